"""The Intel XPU provider: fixtures, device-IP encoding, tables, force variable, failure modes."""

from __future__ import annotations

import ctypes
import json
import sys
import types
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from variant_providers.host import Host
from variant_providers.overrides import InvalidOverride
from variant_providers.pci import PCI_DEVICES
from variant_providers.provider import ProviderOutput
from variant_providers.providers import BUILTIN_PROVIDERS
from variant_providers.providers.intel import native, plugin
from variant_providers.providers.intel.detect import detect
from variant_providers.providers.intel.level_zero import LEVEL_ZERO, result_name
from variant_providers.providers.intel.plugin import fingerprint
from variant_providers.providers.intel.tables import (
    BASE_IP,
    FAMILIES,
    FAMILY_BY_DEVICE_ID,
    KNOWN_IPS,
    compatible_ips,
    decode_ip,
    device_ip_values,
    encode_ip,
    family_for,
    parse_ip,
)
from variant_providers.providers.intel.vocab import FORCE_VARIABLE
from variant_providers.replay import RecordingSystem, ReplaySystem
from variant_providers.system import LiveSystem
from variant_providers.testing import FakeSystem

from ..conftest import FIXTURE_MACHINES, MachineFactory

UNINITIALIZED = 0x78000001


class Probe(FakeSystem):
    """A recorded machine that names its native calls and commands (detection must be cheap)."""

    @property
    def native_calls(self) -> List[str]:
        return self.asked("native")

    @property
    def commands(self) -> List[str]:
        return self.asked("run")


def _pci(address: str, device: int, driver: Optional[str], cls: int = 0x030000) -> Dict[str, Any]:
    base = f"{PCI_DEVICES}/{address}"
    files = {
        f"{base}/vendor": "0x8086\n",
        f"{base}/device": f"0x{device:04x}\n",
        f"{base}/class": f"0x{cls:06x}\n",
    }
    links = {f"{base}/driver": f"../../../bus/pci/drivers/{driver}"} if driver else {}
    return {"address": address, "files": files, "links": links}


def _ze_device(device_id: int, ip: Optional[int], flags: int = 0, **extra: Any) -> Dict[str, Any]:
    dev = {
        "result": 0,
        "type": 1,
        "vendor_id": 0x8086,
        "device_id": device_id,
        "flags": flags,
        "name": f"device {device_id:#x}",
        "ip_version": ip,
        "subdevices": [],
    }
    dev.update(extra)
    return dev


def _ze_answer(*devices: Dict[str, Any], result: int = 0) -> Dict[str, Any]:
    return {
        "answer": {
            "loader": {"ok": True, "library": "libze_loader.so.1"},
            "init": {"function": "zeInitDrivers", "result": result},
            "drivers": [{"api_version": 0x1000D, "devices": list(devices)}] if not result else [],
        }
    }


def _machine(
    make_machine: MachineFactory,
    pci: Sequence[Dict[str, Any]],
    level_zero: Optional[Dict[str, Any]] = None,
    **manifest: Any,
) -> Probe:
    files: Dict[str, str] = {}
    links: Dict[str, str] = {}
    for dev in pci:
        files.update(dev["files"])
        links.update(dev["links"])
    dirs = {PCI_DEVICES: [d["address"] for d in pci], **manifest.pop("dirs", {})}
    native_map = {"level_zero": level_zero} if level_zero is not None else {}
    return Probe(make_machine(files=files, links=links, dirs=dirs, native=native_map, **manifest))


def _values(out: ProviderOutput) -> List[str]:
    assert len(out.features) <= 1
    return list(out.features[0].values) if out.features else []


# -- the recorded machines ----------------------------------------------------------------

#: Per fixture: device_ip values (gpu.md §3.3/§6.4 and the provider's compat rule),
#: where they came from, and each device's (driver, integrated) as the spec describes it.
FIXTURES = {
    "intel-arc-a770-i915": (["12.55.8"], "level_zero", [("i915", False)]),
    "intel-max-1100-x8": (["12.60.7"], "level_zero", [("i915", False)] * 8),
    "intel-arc-pro-b60-xe-x8": (["20.1.0"], "level_zero", [("xe", False)] * 8),
    "intel-lnl-arc-igpu-xe": (["20.4.4", "20.1.0"], "level_zero", [("xe", True)]),
    "intel-adl-uhd770-i915": (["12.2.0"], "level_zero", [("i915", True)]),
    "intel-mtl-h-ze-uninitialized": (["12.71.4", "12.70.4"], "pci-table", [("i915", True)]),
    "intel-max-1550-composite": (["12.60.7"], "level_zero", [("i915", False)]),
}


def _fixture(name: str) -> Path:
    path = FIXTURE_MACHINES / name
    if not (path / "machine.json").exists():  # pragma: no cover - fixtures ship with the repo
        pytest.skip(f"fixture {name} missing")
    return path


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture(name: str) -> None:
    values, source, devices = FIXTURES[name]
    system = Probe(_fixture(name))
    out = detect(system)
    assert out.status is None
    assert _values(out) == values
    assert out.features[0].multi_value
    assert out.info["source"] == {"device_ip": source}
    got = [(d["driver"], d["integrated"]) for d in out.info["devices"]]
    assert got == devices
    assert system.native_calls == ["level_zero"]
    assert system.commands == []


def test_fixture_level_zero_failure_is_explained() -> None:
    out = detect(ReplaySystem(_fixture("intel-mtl-h-ze-uninitialized")))
    assert out.info["level_zero"]["status"] == "init-failed"
    assert out.info["level_zero"]["result"] == "ZE_RESULT_ERROR_UNINITIALIZED"
    assert "PCI device-id table" in out.info["notes"][0]
    (dev,) = out.info["devices"]
    assert dev["device_id"] == "0x7d55" and dev["ip_source"] == "pci-table"
    assert dev["name"] == "Intel(R) Arc(TM) Graphics"


def test_fixture_composite_hierarchy_records_env_and_subdevices() -> None:
    out = detect(ReplaySystem(_fixture("intel-max-1550-composite")))
    assert out.info["env"] == {"ZE_FLAT_DEVICE_HIERARCHY": "COMPOSITE"}
    (dev,) = out.info["devices"]
    assert [s["ip"] for s in dev["subdevices"]] == ["12.60.7", "12.60.7"]


def test_fixture_without_intel_gpu_is_cheap() -> None:
    system = Probe(_fixture("intel-none-epyc-aspeed"))
    out = detect(system)
    assert out.features == () and out.status is None
    assert out.reason == "no Intel display device on the PCI bus"
    assert system.native_calls == [] and system.commands == []


def test_fixture_expected_blocks_agree_with_this_table() -> None:
    """The machine.json expectations (written separately) say the same as FIXTURES."""
    for name, (values, source, _devices) in FIXTURES.items():
        data = json.loads((_fixture(name) / "machine.json").read_text(encoding="utf-8"))
        want = data["expected"]["intel"]
        assert want["features"] == {"device_ip": values}, name
        assert want["info"]["source"] == {"device_ip": source}, name


# -- device IP encoding -------------------------------------------------------------------


def test_ip_known_pairs() -> None:
    # gpu.md §3.3: 12.60.7 <-> 0x030f0007, 12.55.8 <-> 0x030dc008.
    assert encode_ip("12.60.7") == 0x030F0007
    assert encode_ip("12.55.8") == 0x030DC008
    assert decode_ip(0x030F0007) == "12.60.7"
    assert decode_ip(0x030DC008) == "12.55.8"
    # The test vector of the wheelnext provider: an id outside every table.
    assert decode_ip(0x12341234) == "72.208.52"


@given(
    st.integers(0, 1023),
    st.integers(0, 255),
    st.integers(0, 63),
)
def test_ip_encode_decode_round_trip(arch: int, release: int, revision: int) -> None:
    text = f"{arch}.{release}.{revision}"
    value = encode_ip(text)
    assert 0 <= value <= 0xFFFFFFFF
    assert decode_ip(value) == text
    assert parse_ip(text) == (arch, release, revision)


@given(st.integers(0, 0xFFFFFFFF))
def test_ip_decode_ignores_reserved_bits(value: int) -> None:
    text = decode_ip(value)
    reserved = 0xFF << 6
    assert encode_ip(text) == value & ~reserved


@pytest.mark.parametrize(
    "bad", ["", "12.55", "12.55.8.1", "12.55.x", "1024.0.0", "12.256.0", "12.55.64", "-1.2.3"]
)
def test_ip_parse_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_ip(bad)


@pytest.mark.parametrize("bad", [-1, 1 << 32])
def test_ip_decode_rejects_non_uint32(bad: int) -> None:
    with pytest.raises(ValueError):
        decode_ip(bad)


# -- the compatibility table --------------------------------------------------------------


def test_known_ips() -> None:
    # wheel-variants.md §10: 23 known IPs, 12.0.0 (TGL) … 35.11.0 (CRI).
    assert len(KNOWN_IPS) == 23 == len(set(KNOWN_IPS))
    assert KNOWN_IPS[0] == "35.11.0" and KNOWN_IPS[-1] == "12.0.0"
    assert list(KNOWN_IPS) == sorted(KNOWN_IPS, key=parse_ip, reverse=True)
    for ip in ("12.55.8", "12.60.7", "20.1.0", "20.4.4", "12.2.0", "30.0.4", "12.74.4"):
        assert ip in KNOWN_IPS


def test_compatibility_groups() -> None:
    # gpu.md §3.3, compute-runtime compatibilityMapping.
    groups = {
        "12.55.8": {"12.56.5", "12.57.0"},
        "12.70.4": {"12.71.4"},
        "20.1.0": {"20.2.0", "20.4.4"},
        "30.0.4": {"30.1.0", "30.3.1", "30.4.4", "30.5.4"},
    }
    derived: Dict[str, set[str]] = {}
    for ip, base in BASE_IP.items():
        derived.setdefault(base, set()).add(ip)
    assert derived == groups
    for ip, base in BASE_IP.items():
        assert ip in KNOWN_IPS and base in KNOWN_IPS
        assert base not in BASE_IP  # one level: a base has no base
        assert parse_ip(ip)[0] == parse_ip(base)[0]  # same architecture
    assert compatible_ips("20.4.4") == ("20.4.4", "20.1.0")
    assert compatible_ips("12.60.7") == ("12.60.7",)


def test_device_ip_values_order_dedup_and_filter() -> None:
    values, dropped = device_ip_values(["20.4.4", "20.1.0", "12.99.0", "20.2.0", "12.56.5"])
    assert values == ["20.4.4", "20.1.0", "20.2.0", "12.56.5", "12.55.8"]
    assert dropped == ["12.99.0"]
    assert device_ip_values([]) == ([], [])
    # pvc-vg is real hardware but not a known IP: dropped.
    assert device_ip_values(["12.61.7"]) == ([], ["12.61.7"])


def test_pci_id_families_from_the_spec() -> None:
    # gpu.md §3.4 / §6.4 device ids and the IPs of their platforms.
    cases = {
        0x56A0: ("12.55.8", False),  # Arc A770, DG2-G10
        0x56A5: ("12.56.5", False),  # Arc A380, DG2-G11
        0x0BDA: ("12.60.7", False),  # Max 1100
        0xE211: ("20.1.0", False),  # Arc Pro B60, BMG-G21
        0xE20B: ("20.1.0", False),  # Arc B580
        0x64A0: ("20.4.4", True),  # Lunar Lake
        0x4680: ("12.2.0", True),  # UHD 770
        0xA780: ("12.2.0", True),  # Raptor Lake-S UHD 770
        0x46A6: ("12.3.0", True),  # Alder Lake-P Iris Xe
        0x9A49: ("12.0.0", True),  # Tiger Lake
        0x4905: ("12.10.0", False),  # DG1
        0x7D55: ("12.71.4", True),  # Meteor Lake-H
        0x7D45: ("12.70.4", True),  # Meteor Lake-U
        0x7D51: ("12.74.4", True),  # Arrow Lake-H
        0xB080: ("30.0.4", True),  # Panther Lake
    }
    for device_id, (ip, integrated) in cases.items():
        family = family_for(device_id)
        assert family is not None, hex(device_id)
        assert (family.ip, family.integrated) == (ip, integrated), hex(device_id)
    assert family_for(0x3E92) is None  # Coffee Lake UHD 630: Gen9, not in the table
    assert family_for(0x2504) is None


def test_family_table_is_consistent() -> None:
    total = sum(len(f.device_ids) for f in FAMILIES)
    assert total == len(FAMILY_BY_DEVICE_ID), "a device id is listed in two families"
    for family in FAMILIES:
        parse_ip(family.ip)
        assert family.device_ids
    known = [f for f in FAMILIES if f.ip in KNOWN_IPS]
    assert len(known) == len(FAMILIES) - 1  # only pvc-vg (12.61.7) is outside


# -- the force variable -------------------------------------------------------------------


def _forced(system: Any) -> Any:
    """The ``intel`` row of a host detection (where the force variable is applied)."""
    return Host(entry_points=False).detect(system, only=["intel"], cache=False)["intel"]


def test_force_gives_exactly_that_value(make_machine: MachineFactory) -> None:
    system = _machine(make_machine, [], env={FORCE_VARIABLE: "20.4.4"})
    out = _forced(system)
    assert out.status == "override"
    assert _values(out) == ["20.4.4"]  # no compat IP, like the wheelnext provider
    assert out.provenance == {"device_ip": f"override:{FORCE_VARIABLE}"}
    assert system.native_calls == []


def test_force_wins_over_hardware_and_platform(make_machine: MachineFactory) -> None:
    machine = _fixture("intel-lnl-arc-igpu-xe")
    data = json.loads((machine / "machine.json").read_text(encoding="utf-8"))
    data["env"] = {FORCE_VARIABLE: " 12.60.7 "}
    data["platform"] = {"system": "Darwin", "machine": "arm64"}
    path = make_machine(**{k: v for k, v in data.items() if k != "expected"})
    out = _forced(ReplaySystem(path))
    assert (out.status, _values(out)) == ("override", ["12.60.7"])


def test_force_through_the_host(make_machine: MachineFactory) -> None:
    path = make_machine(env={FORCE_VARIABLE: "30.0.4"})
    result = Host(entry_points=False).detect(ReplaySystem(path), only=["intel"])["intel"]
    assert result.status == "override"
    assert [str(p) for p in result.properties] == ["intel :: device_ip :: 30.0.4"]


@pytest.mark.parametrize("value", ["12.99.99", "gfx942", "20.4.4,20.1.0"])
def test_force_unknown_value_is_a_usage_error(make_machine: MachineFactory, value: str) -> None:
    with pytest.raises(InvalidOverride, match=FORCE_VARIABLE):
        _forced(_machine(make_machine, [], env={FORCE_VARIABLE: value}))


@pytest.mark.parametrize("value", ["", "  "])
def test_force_empty_means_absent(make_machine: MachineFactory, value: str) -> None:
    system = _machine(
        make_machine,
        [_pci("0000:03:00.0", 0x56A0, "i915")],
        _ze_answer(_ze_device(0x56A0, 0x030DC008)),
        env={FORCE_VARIABLE: value},
    )
    out = detect(system)
    assert out.status is None and _values(out) == ["12.55.8"]


# -- failure modes and fallbacks ----------------------------------------------------------


def test_not_linux(make_machine: MachineFactory) -> None:
    system = Probe(make_machine(platform={"system": "Darwin", "machine": "arm64"}))
    out = detect(system)
    assert out.features == () and "Darwin" in out.reason
    assert system.native_calls == []


def test_no_pci_sysfs_and_no_dri_is_cheap(make_machine: MachineFactory) -> None:
    system = Probe(make_machine())
    out = detect(system)
    assert out.features == () and "no PCI sysfs" in out.reason
    assert system.native_calls == []


def test_masked_pci_sysfs_with_dri_asks_level_zero(make_machine: MachineFactory) -> None:
    system = _machine(
        make_machine,
        [],
        _ze_answer(_ze_device(0xE20B, 0x05004000)),
        errors={"/sys/bus/pci": "EACCES"},
        dirs={"/dev/dri": ["card0", "renderD128"]},
    )
    out = detect(system)
    assert _values(out) == ["20.1.0"]
    assert out.info["pci"] == "unavailable (EACCES)"
    assert out.info["devices"][0]["pci"] is None


@pytest.mark.parametrize(
    ("level_zero", "status"),
    [
        ({"timeout": True}, "timeout"),
        ({"unavailable": "cannot start a child"}, "unavailable"),
        ({"error": "ValueError: boom"}, "error"),
        ({"answer": ["not", "a", "dict"]}, "error"),
        ({"answer": {"loader": {"ok": False, "error": "libze_loader.so.1: cannot open"}}}, None),
        (_ze_answer(result=UNINITIALIZED), "init-failed"),
        (_ze_answer(), "no-devices"),
        (None, "unavailable"),
    ],
)
def test_level_zero_failures_fall_back_to_the_table(
    make_machine: MachineFactory, level_zero: Optional[Dict[str, Any]], status: Optional[str]
) -> None:
    system = _machine(make_machine, [_pci("0000:00:02.0", 0x64A0, "xe")], level_zero)
    out = detect(system)
    assert out.status is None
    assert _values(out) == ["20.4.4", "20.1.0"]
    assert out.info["source"] == {"device_ip": "pci-table"}
    assert out.info["level_zero"]["status"] == (status or "no-library")
    assert out.info["devices"][0]["integrated"] is True
    assert out.info["devices"][0]["integrated_source"] == "pci-table"


def test_level_zero_hang_without_any_device_is_a_timeout(make_machine: MachineFactory) -> None:
    system = _machine(
        make_machine,
        [],
        {"timeout": True},
        errors={"/sys/bus/pci": "ENOENT"},
        dirs={"/dev/dri": ["card0"]},
    )
    out = detect(system)
    assert out.status == "timeout" and out.features == ()


def test_level_zero_order_is_kept_and_non_intel_devices_ignored(
    make_machine: MachineFactory,
) -> None:
    """A Raptor Lake iGPU and an Arc B580: values follow Level Zero's enumeration."""
    nvidia = _ze_device(0x2504, None, vendor_id=0x10DE)
    npu = _ze_device(0x7D1D, None, type=5)
    system = _machine(
        make_machine,
        [_pci("0000:00:02.0", 0xA780, "i915"), _pci("0000:03:00.0", 0xE20B, "xe")],
        _ze_answer(
            nvidia,
            _ze_device(0xE20B, 0x05004000),
            npu,
            _ze_device(0xA780, 0x03008000, flags=1),
        ),
    )
    out = detect(system)
    assert _values(out) == ["20.1.0", "12.2.0"]
    assert [(d["pci"], d["driver"], d["integrated"]) for d in out.info["devices"]] == [
        ("0000:03:00.0", "xe", False),
        ("0000:00:02.0", "i915", True),
    ]


def test_level_zero_without_ip_extension_uses_the_table(make_machine: MachineFactory) -> None:
    system = _machine(
        make_machine,
        [_pci("0000:03:00.0", 0x56A5, "i915")],
        _ze_answer(_ze_device(0x56A5, None, ip_result=0x78000003)),
    )
    out = detect(system)
    assert _values(out) == ["12.56.5", "12.55.8"]
    assert out.info["source"] == {"device_ip": "pci-table"}
    assert out.info["devices"][0]["integrated_source"] == "level_zero"


def test_mixed_sources_are_both_named(make_machine: MachineFactory) -> None:
    system = _machine(
        make_machine,
        [_pci("0000:00:02.0", 0x4680, "i915"), _pci("0000:03:00.0", 0x56A0, "i915")],
        _ze_answer(_ze_device(0x4680, None, flags=1), _ze_device(0x56A0, 0x030DC008)),
    )
    out = detect(system)
    # The iGPU is enumerated first; the discrete Arc card still comes first.
    assert _values(out) == ["12.55.8", "12.2.0"]
    assert out.info["source"] == {"device_ip": "level_zero+pci-table"}


def test_unknown_ip_from_level_zero_is_filtered(make_machine: MachineFactory) -> None:
    system = _machine(
        make_machine,
        [_pci("0000:03:00.0", 0x56A0, "i915")],
        _ze_answer(_ze_device(0x56A0, 0x12341234)),
    )
    out = detect(system)
    assert out.features == () and out.status is None
    assert out.info["unknown_ips"] == ["72.208.52"]
    assert "none with a device IP" in out.reason


def test_unknown_device_id_without_level_zero(make_machine: MachineFactory) -> None:
    """A Coffee Lake UHD 630 (Gen9): present, integrated by its slot, but no IP."""
    system = _machine(make_machine, [_pci("0000:00:02.0", 0x3E92, "i915")])
    out = detect(system)
    assert out.features == () and out.status is None
    assert out.info["unknown_device_ids"] == ["0x3e92"]
    dev = out.info["devices"][0]
    assert (dev["integrated"], dev["integrated_source"]) == (True, "pci-slot")


def test_vfio_bound_devices_are_skipped(make_machine: MachineFactory) -> None:
    system = _machine(
        make_machine,
        [_pci("0000:03:00.0", 0x56A0, "vfio-pci")],
        _ze_answer(_ze_device(0x56A0, 0x030DC008)),
    )
    out = detect(system)
    assert out.features == () and "vfio-pci" in out.reason
    assert out.info["skipped"][0]["pci"] == "0000:03:00.0"
    assert system.native_calls == []


def test_device_without_driver_is_noted(make_machine: MachineFactory) -> None:
    system = _machine(make_machine, [_pci("0000:03:00.0", 0xE211, None)])
    out = detect(system)
    assert _values(out) == ["20.1.0"]
    assert out.info["devices"][0]["note"] == "no kernel driver bound"


def test_garbage_sysfs_is_data(make_machine: MachineFactory) -> None:
    files = {
        f"{PCI_DEVICES}/0000:00:02.0/vendor": "\x00\xff garbage",
        f"{PCI_DEVICES}/0000:00:02.0/class": "0x030000\n",
    }
    system = Probe(make_machine(files=files, dirs={PCI_DEVICES: ["0000:00:02.0"]}))
    out = detect(system)
    assert out.features == () and out.status is None
    assert out.info["pci_errors"][0].startswith(f"{PCI_DEVICES}/0000:00:02.0/vendor")
    assert system.native_calls == []


def test_non_display_intel_functions_are_ignored(make_machine: MachineFactory) -> None:
    """Chipset bridges, the NPU and Arc's audio function are Intel but not display."""
    system = _machine(
        make_machine,
        [
            _pci("0000:00:00.0", 0x4660, None, cls=0x060000),
            _pci("0000:00:0b.0", 0x7D1D, "intel_vpu", cls=0x120000),
            _pci("0000:04:00.0", 0x4F90, "snd_hda_intel", cls=0x040300),
        ],
    )
    out = detect(system)
    assert out.features == () and out.reason == "no Intel display device on the PCI bus"
    assert system.native_calls == []


def test_result_names() -> None:
    assert result_name(0) == "ZE_RESULT_SUCCESS"
    assert result_name(UNINITIALIZED) == "ZE_RESULT_ERROR_UNINITIALIZED"
    assert result_name(0x7FFFFFFE) == "ZE_RESULT_ERROR_UNKNOWN"
    assert result_name(0x78000042) == "0x78000042"
    assert result_name(None) == "None"


# -- the plugin ---------------------------------------------------------------------------


def test_plugin_registration() -> None:
    assert "intel" in BUILTIN_PROVIDERS
    (provider,) = list(plugin.variant_providers())
    assert provider.namespace == "intel"
    assert provider.all_configs is not None
    (config,) = provider.all_configs()
    assert config.name == "device_ip" and config.multi_value
    assert list(config.values) == list(KNOWN_IPS)


# -- the native facade (ctypes side) ------------------------------------------------------


def test_chain_links_every_extension() -> None:
    head = native.DeviceProperties(stype=native.ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES)
    first = native.DeviceIpVersionExt(stype=native.ZE_STRUCTURE_TYPE_DEVICE_IP_VERSION_EXT)
    second = native.DeviceIpVersionExt(stype=native.ZE_STRUCTURE_TYPE_DEVICE_IP_VERSION_EXT)
    native.chain(head, first, second)
    assert head.pNext == ctypes.addressof(first)
    assert first.pNext == ctypes.addressof(second)
    assert second.pNext is None


def _plain(method: Any) -> Any:
    """A plain function (ctypes sets ``argtypes`` on it; a bound method refuses)."""

    def call(*args: Any) -> Any:
        return method(*args)

    return call


class FakeLevelZero:
    """Python stand-ins for the loader's entry points.

    ctypes hands the arguments through unchanged, so ``byref(x)._obj`` is the
    structure the real library would fill in.  Devices are ``(device_id,
    ip_version, flags, n_subdevices)``.
    """

    def __init__(self, devices: Sequence[tuple[int, int, int, int]], new_api: bool = True):
        self.devices = list(devices)
        self.lib = types.SimpleNamespace()
        self.lib.zeDeviceGet = _plain(self._device_get)
        self.lib.zeDeviceGetProperties = _plain(self._properties)
        self.lib.zeDeviceGetSubDevices = _plain(self._subdevices)
        self.lib.zeDriverGetApiVersion = _plain(self._api_version)
        self.lib.zeDriverGetProperties = _plain(self._driver_properties)
        self.lib.zeDriverGet = _plain(self._driver_get)
        self.lib.zeInit = _plain(self._init)
        if new_api:
            self.lib.zeInitDrivers = _plain(self._init_drivers)
        self.init_flags: List[int] = []

    @staticmethod
    def _fill(count_ref: Any, array: Any, handles: Sequence[int], handle_type: Any) -> int:
        count = count_ref._obj
        if array is None:
            count.value = len(handles)
            return 0
        for i in range(count.value):
            array[i] = ctypes.cast(ctypes.c_void_p(handles[i]), handle_type)
        return 0

    @staticmethod
    def _id(handle: Any) -> int:
        value: int = ctypes.cast(handle, ctypes.c_void_p).value or 0
        return value

    def _init_drivers(self, count_ref: Any, array: Any, desc_ref: Any) -> int:
        desc = desc_ref._obj
        assert desc.stype == native.ZE_STRUCTURE_TYPE_INIT_DRIVER_TYPE_DESC
        self.init_flags.append(desc.flags)
        return self._fill(count_ref, array, [0x1000], native.DriverHandle)

    def _init(self, flags: int) -> int:
        self.init_flags.append(flags)
        return 0

    def _driver_get(self, count_ref: Any, array: Any) -> int:
        return self._fill(count_ref, array, [0x1000], native.DriverHandle)

    def _api_version(self, driver: Any, version_ref: Any) -> int:
        version_ref._obj.value = (1 << 16) | 13
        return 0

    def _driver_properties(self, driver: Any, props_ref: Any) -> int:
        props_ref._obj.driverVersion = 0x01036681
        return 0

    def _device_get(self, driver: Any, count_ref: Any, array: Any) -> int:
        assert self._id(driver) == 0x1000
        handles = [0x2000 + i for i in range(len(self.devices))]
        return self._fill(count_ref, array, handles, native.DeviceHandle)

    def _subdevices(self, device: Any, count_ref: Any, array: Any) -> int:
        index = self._id(device) - 0x2000
        if index >= len(self.devices):  # a sub-device has none
            return self._fill(count_ref, array, [], native.DeviceHandle)
        n = self.devices[index][3]
        return self._fill(count_ref, array, [0x3000 + i for i in range(n)], native.DeviceHandle)

    def _properties(self, device: Any, props_ref: Any) -> int:
        props = props_ref._obj
        assert props.stype == native.ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES
        handle = self._id(device)
        sub = handle >= 0x3000
        device_id, ip, flags, _ = self.devices[0 if sub else handle - 0x2000]
        props.type, props.vendorId, props.deviceId = 1, 0x8086, device_id
        props.flags = flags | (2 if sub else 0)
        props.subdeviceId = handle - 0x3000 if sub else 0
        props.name = b"Intel(R) Fake GPU"
        if props.pNext:
            ext = ctypes.cast(props.pNext, ctypes.POINTER(native.DeviceIpVersionExt)).contents
            assert ext.stype == native.ZE_STRUCTURE_TYPE_DEVICE_IP_VERSION_EXT
            ext.ipVersion = ip
        return 0


def _with_fake(monkeypatch: pytest.MonkeyPatch, fake: Optional[FakeLevelZero]) -> None:
    def cdll(name: str) -> Any:
        assert name == native.LINUX_LIBRARY  # loaded by soname, no path
        if fake is None:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
        return fake.lib

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", cdll)


def test_query_reads_ip_through_the_chained_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeLevelZero([(0x0BD5, 0x030F0007, 0b1100, 2), (0x64A0, 0x05010004, 1, 0)])
    _with_fake(monkeypatch, fake)
    answer = native.query()
    assert fake.init_flags == [native.ZE_INIT_DRIVER_TYPE_FLAG_GPU] * 2
    assert answer["loader"] == {"ok": True, "library": "libze_loader.so.1"}
    assert answer["init"]["function"] == "zeInitDrivers" and answer["init"]["result"] == 0
    (driver,) = answer["drivers"]
    assert driver["api_version"] == 0x1000D and driver["driver_version"] == 0x01036681
    pvc, lnl = driver["devices"]
    assert (pvc["device_id"], pvc["ip_version"], pvc["flags"]) == (0x0BD5, 0x030F0007, 12)
    assert [s["subdevice_id"] for s in pvc["subdevices"]] == [0, 1]
    assert all(s["ip_version"] == 0x030F0007 for s in pvc["subdevices"])
    assert (lnl["device_id"], lnl["ip_version"], lnl["flags"]) == (0x64A0, 0x05010004, 1)
    assert lnl["name"] == "Intel(R) Fake GPU" and lnl["subdevices"] == []
    json.dumps(answer)  # what crosses the process boundary


def test_query_falls_back_to_zeinit_on_old_loaders(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeLevelZero([(0x56A0, 0x030DC008, 0, 0)], new_api=False)
    _with_fake(monkeypatch, fake)
    answer = native.query()
    assert answer["init"]["function"] == "zeInit"
    assert fake.init_flags == [native.ZE_INIT_FLAG_GPU_ONLY]
    assert answer["drivers"][0]["devices"][0]["ip_version"] == 0x030DC008


def test_query_without_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_fake(monkeypatch, None)
    answer = native.query()
    assert answer["loader"]["ok"] is False and "cannot open" in answer["loader"]["error"]
    assert "init" not in answer


def test_query_reports_init_failure_as_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeLevelZero([])
    fake.lib.zeInitDrivers = lambda count, array, desc: UNINITIALIZED
    _with_fake(monkeypatch, fake)
    answer = native.query()
    assert answer["init"]["result"] == UNINITIALIZED and answer["drivers"] == []


def test_facade_runs_in_a_child_on_this_machine() -> None:
    """Whatever this machine has (usually no loader), the child answers with data."""
    answer = LiveSystem().native(LEVEL_ZERO)
    assert isinstance(answer, dict) and isinstance(answer["loader"]["ok"], bool)
    if answer["loader"]["ok"]:
        assert answer["init"]["function"] in ("zeInitDrivers", "zeInit")
        assert isinstance(answer["init"]["result"], int)


def test_record_then_replay_gives_the_same_answer(tmp_path: Path) -> None:
    """A live sysfs tree (real symlinks) recorded and replayed detects the same."""
    if not LiveSystem().platform.is_linux:  # pragma: no cover
        pytest.skip("the live seam reads a Linux sysfs layout")
    root = tmp_path / "root"
    device = root / "sys/devices/pci0000:00/0000:00:02.0"
    device.mkdir(parents=True)
    for name, text in {"vendor": "0x8086", "device": "0x64a0", "class": "0x030000"}.items():
        (device / name).write_text(text + "\n")
    (root / "sys/bus/pci/drivers/xe").mkdir(parents=True)
    (device / "driver").symlink_to("../../../bus/pci/drivers/xe")
    (root / "sys/bus/pci/devices").mkdir(parents=True)
    (root / "sys/bus/pci/devices/0000:00:02.0").symlink_to(
        "../../../devices/pci0000:00/0000:00:02.0"
    )
    recorder = RecordingSystem(LiveSystem(root=str(root), environ={}))
    live = detect(recorder)
    saved = recorder.save(tmp_path / "recorded")
    replayed = detect(ReplaySystem(saved))
    # Whatever Level Zero said here (usually: not installed), the IP is Lunar Lake's.
    assert _values(live) == _values(replayed) == ["20.4.4", "20.1.0"]
    assert live.info == replayed.info
    assert replayed.info["devices"][0]["driver"] == "xe"


def test_fingerprint_is_cheap_and_follows_devices_drivers_and_libraries(
    make_machine: MachineFactory,
) -> None:
    def fp(driver: str, links: Optional[Dict[str, str]] = None) -> str:
        pci = _pci("0000:03:00.0", 0x56A0, driver)
        pci["links"].update(links or {})
        system = _machine(make_machine, [pci], _ze_answer(_ze_device(0x56A0, 0x030DC008)))
        text = fingerprint(system)
        assert system.native_calls == [] and system.commands == []
        return text

    loader = "/usr/lib/x86_64-linux-gnu/libze_loader.so.1"
    base = fp("i915")
    assert base == fp("i915") and "0000:03:00.0=56a0/i915" in base
    assert fp("xe") != base
    old = fp("i915", {loader: "libze_loader.so.1.21.9"})
    new = fp("i915", {loader: "libze_loader.so.1.24.0"})
    assert len({base, old, new}) == 3


def test_fingerprint_without_intel_gpu_reads_no_library(make_machine: MachineFactory) -> None:
    system = Probe(
        make_machine(links={"/usr/lib/x86_64-linux-gnu/libze_loader.so.1": "libze_loader.so.1.8.0"})
    )
    assert (
        fingerprint(system)
        == "pci:ENOENT;/usr/lib/x86_64-linux-gnu/libze_loader.so.1->libze_loader.so.1.8.0"
    )
    nothing = _machine(make_machine, [_pci("0000:00:00.0", 0x4660, None, cls=0x060000)])
    assert fingerprint(nothing) == ""
    darwin = Probe(make_machine(platform={"system": "Darwin", "machine": "arm64"}))
    assert fingerprint(darwin) == "Darwin"


def test_plugin_passes_the_fingerprint(make_machine: MachineFactory) -> None:
    (provider,) = list(plugin.variant_providers())
    assert provider.fingerprint is not None
    darwin = ReplaySystem(make_machine(platform={"system": "Darwin", "machine": "arm64"}))
    assert provider.fingerprint(darwin) == fingerprint(darwin) == "Darwin"
