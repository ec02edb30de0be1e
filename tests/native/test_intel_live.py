"""The Intel provider, live, against a stand-in Level Zero loader: every failure mode.

Each test writes the Intel display functions a machine has into PCI sysfs,
compiles the loader it should have, and runs the provider through the host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence, Tuple

from variant_providers.host import ProviderResult
from variant_providers.providers.intel.tables import encode_ip

from .machines import detect_one, live_tree, pci_tree, values
from .standins import INTEGRATED, ZE_DEVICE_TYPE_VPU, LevelZero, StandIns, ZeDevice, ZeDriver

ZE_RESULT_ERROR_UNINITIALIZED = 0x78000001
ZE_RESULT_ERROR_UNSUPPORTED_FEATURE = 0x78000003

A770 = ("0000:03:00.0", 0x56A0, "i915")
A380 = ("0000:04:00.0", 0x56A5, "i915")
B580 = ("0000:05:00.0", 0xE20B, "xe")
UHD770 = ("0000:00:02.0", 0x4680, "i915")
MAX1550 = ("0000:29:00.0", 0x0BD5, "i915")


def gpu(device_id: int, ip: str, **kwargs: Any) -> ZeDevice:
    return ZeDevice(device_id=device_id, ip_version=encode_ip(ip), **kwargs)


def run(
    standins: StandIns,
    tmp_path: Path,
    loader: LevelZero,
    pci: Sequence[Tuple[str, int, str]],
    timeout: float = 20,
    **env: str,
) -> ProviderResult:
    standins.install(loader)
    root = pci_tree(tmp_path / "root", pci)
    return detect_one(live_tree(root, standins, env=env), "intel", timeout)


def ips(result: ProviderResult) -> Any:
    return values(result, "device_ip")


def one_driver(*devices: ZeDevice, **kwargs: Any) -> LevelZero:
    return LevelZero(drivers=[ZeDriver(devices=devices)], **kwargs)


def test_a_device_whose_properties_fail_gets_the_pci_table_answer(
    standins: StandIns, tmp_path: Path
) -> None:
    loader = one_driver(
        gpu(0x56A0, "12.55.8"), ZeDevice(device_id=0xE20B, props_rc=ZE_RESULT_ERROR_UNINITIALIZED)
    )
    result = run(standins, tmp_path, loader, [A770, B580])
    assert ips(result) == ["12.55.8", "20.1.0"]
    sources = {d["pci"]: d["ip_source"] for d in result.info["devices"]}
    assert sources == {"0000:03:00.0": "level_zero", "0000:05:00.0": "pci-table"}
    assert result.info["level_zero"]["failed_devices"] == ["ZE_RESULT_ERROR_UNINITIALIZED"]


def test_discrete_card_before_the_igpu_enumerated_first(standins: StandIns, tmp_path: Path) -> None:
    loader = one_driver(gpu(0x4680, "12.2.0", flags=INTEGRATED), gpu(0x56A0, "12.55.8"))
    result = run(standins, tmp_path, loader, [UHD770, A770])
    assert ips(result) == ["12.55.8", "12.2.0"]
    assert [d["integrated"] for d in result.info["devices"]] == [False, True]


def test_without_zeinitdrivers_the_older_zeinit_is_used(standins: StandIns, tmp_path: Path) -> None:
    loader = one_driver(gpu(0x56A0, "12.55.8"), omit=frozenset({"zeInitDrivers"}))
    result = run(standins, tmp_path, loader, [A770])
    assert ips(result) == ["12.55.8"]
    assert result.info["level_zero"]["init"] == "zeInit"


def test_ip_extension_rejected_falls_back_to_the_table(standins: StandIns, tmp_path: Path) -> None:
    loader = one_driver(gpu(0x56A5, "12.56.5", ip_rc=ZE_RESULT_ERROR_UNSUPPORTED_FEATURE))
    result = run(standins, tmp_path, loader, [A380])
    assert ips(result) == ["12.56.5", "12.55.8"]  # the IP, then its base IP
    assert result.info["devices"][0]["ip_source"] == "pci-table"


def test_flat_and_composite_hierarchies_report_the_same(standins: StandIns, tmp_path: Path) -> None:
    tiles = [gpu(0x0BD5, "12.60.7", subdevice_id=i) for i in (0, 1)]
    loader = one_driver(gpu(0x0BD5, "12.60.7", tiles=tiles))
    flat = run(standins, tmp_path / "flat", loader, [MAX1550])
    composite = run(
        standins, tmp_path / "composite", loader, [MAX1550], ZE_FLAT_DEVICE_HIERARCHY="COMPOSITE"
    )
    assert ips(flat) == ips(composite) == ["12.60.7"]
    assert len(flat.info["devices"]) == 2  # FLAT: each tile is a device
    (card,) = composite.info["devices"]
    assert [s["subdevice_id"] for s in card["subdevices"]] == [0, 1]


def test_an_npu_typed_device_in_the_gpu_driver_is_not_a_gpu(
    standins: StandIns, tmp_path: Path
) -> None:
    npu = ZeDevice(device_id=0x7D1D, type=ZE_DEVICE_TYPE_VPU, ip_version=encode_ip("20.4.4"))
    loader = one_driver(npu, gpu(0x56A0, "12.55.8"))
    result = run(standins, tmp_path, loader, [A770])
    assert ips(result) == ["12.55.8"]
    assert [d["device_id"] for d in result.info["devices"]] == ["0x56a0"]


def test_ze_affinity_mask_is_honoured(standins: StandIns, tmp_path: Path) -> None:
    loader = one_driver(gpu(0x56A0, "12.55.8"), gpu(0x56A5, "12.56.5"))
    result = run(standins, tmp_path, loader, [A770, A380], ZE_AFFINITY_MASK="1")
    assert ips(result) == ["12.56.5", "12.55.8"]
    assert [d["device_id"] for d in result.info["devices"]] == ["0x56a5"]
    assert result.info["env"] == {"ZE_AFFINITY_MASK": "1"}


def test_level_zero_init_hang_is_listed_and_the_table_answers(
    standins: StandIns, tmp_path: Path
) -> None:
    loader = one_driver(gpu(0x56A0, "12.55.8"), hang=frozenset({"zeInitDrivers"}))
    result = run(standins, tmp_path, loader, [A770], timeout=1)
    assert ips(result) == ["12.55.8"]
    assert result.info["level_zero"] == {
        "status": "timeout",
        "detail": "level_zero: no answer within the 1 s time limit of this detection",
    }
