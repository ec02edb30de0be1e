"""The native facades against stand-in libraries that export the vendors' C ABI.

Each recorded machine's facade answer is turned back into a library
(``from_answer``); the live facade, run in its child process against that
library, must give the recorded answer again — the structs, signatures and
two-call enumeration idioms are exercised for real, not replayed.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from tests.conftest import FIXTURE_MACHINES
from variant_providers.providers.amd.hip import HIP
from variant_providers.providers.intel.level_zero import LEVEL_ZERO
from variant_providers.providers.nvidia.libcuda import LIBCUDA
from variant_providers.providers.nvidia.nvml import NVML
from variant_providers.system import LiveSystem, NativeFacade, run_python_child

from .standins import (
    Config,
    Cuda,
    CudaDevice,
    Hip,
    HipDevice,
    LevelZero,
    Nvml,
    NvmlGpu,
    NvmlMig,
    StandIns,
    ZeDevice,
    ZeDriver,
)

FACADES: Dict[str, NativeFacade] = {
    "nvml": NVML,
    "libcuda": LIBCUDA,
    "level_zero": LEVEL_ZERO,
    "hip": HIP,
}


def _recorded() -> Dict[str, Any]:
    found = {}
    for manifest in sorted(FIXTURE_MACHINES.glob("*/machine.json")):
        native = json.loads(manifest.read_text()).get("native", {})
        for name, entry in native.items():
            answer = entry.get("answer")
            # A recording of a missing pynvml module cannot be rebuilt as a library.
            if name in FACADES and answer and answer.get("import", {}).get("ok", True):
                found[f"{manifest.parent.name}:{name}"] = (entry["answer"], manifest.parent)
    return found


RECORDED = _recorded()


def _as_recorded(live: Any, recorded: Any) -> Any:
    """*live* cut to the keys *recorded* has (hand-made recordings omit some), timings dropped."""
    if isinstance(live, dict) and isinstance(recorded, dict):
        return {k: _as_recorded(live.get(k), v) for k, v in recorded.items() if k != "ms"}
    if isinstance(live, list) and isinstance(recorded, list) and len(live) == len(recorded):
        return [_as_recorded(a, b) for a, b in zip(live, recorded)]
    return live


def _without_timings(answer: Any) -> Any:
    return _as_recorded(answer, answer)


def _ask(standins: StandIns, facade: NativeFacade, **env: str) -> Any:
    return LiveSystem(environ=standins.environ(**env), timeout=20).native(facade)


_DRIVE_RE = re.compile(r"^[A-Za-z]:\\")


def _windows_library(answer: Dict[str, Any]) -> Optional[Tuple[Dict[str, Any], str]]:
    """The entry of a Windows recording that names the DLL that answered, and its key."""
    for holder, key in (
        (answer, "library"),
        (answer.get("load"), "path"),
        (answer.get("loader"), "library"),
    ):
        if isinstance(holder, dict) and _DRIVE_RE.match(str(holder.get(key, ""))):
            return holder, key
    return None


def _as_windows(
    standins: StandIns, config: Config, answer: Dict[str, Any], name: str
) -> Tuple[NativeFacade, Dict[str, Any]]:
    """A Windows recording: the stand-in goes to the recorded DLL's path inside the test
    directory and is handed to the facade by that full path, as the provider does."""
    named = _windows_library(answer)
    facade = FACADES[name]
    if named is None:
        standins.install(config)
        return facade, answer
    holder, key = named
    windows_path = str(holder[key])
    local = standins.directory / "C" / Path(*windows_path[3:].split("\\"))
    standins.place(config, local)
    holder[key] = str(local)
    return replace(facade, args=([str(local)],)), answer


def _hip_config(attempt: Dict[str, Any]) -> Hip:
    devices = [
        HipDevice(
            name=d["name"],
            gcn_arch_name=d["gcn_arch_name"],
            integrated=bool(d["integrated"]),
            total_global_mem=d["total_global_mem"],
            major=d["major"],
            minor=d["minor"],
            compute_units=d["compute_units"],
            pci=tuple(int(x, 16) for x in d["pci"].split(":")),  # type: ignore[arg-type]
        )
        for d in attempt.get("devices", [])
    ]
    layouts = {d.get("layout") for d in attempt.get("devices", [])}
    return Hip(
        devices=devices,
        runtime_version=attempt["runtime_version"][1] or 0,
        driver_version=attempt["driver_version"][1] or 0,
        count_rc=attempt["count"][0],
        omit=frozenset({"hipGetDevicePropertiesR0600"}) if layouts == {"R0000"} else frozenset(),
    )


def _hip_round_trip(standins: StandIns, answer: Dict[str, Any]) -> Any:
    """Every attempt's runtime at its recorded path (below the test directory), asked in order."""
    paths: List[str] = []
    for attempt in answer["attempts"]:
        windows_path = attempt["library"]
        local = standins.directory / "C" / Path(*windows_path[3:].split("\\"))
        standins.place(_hip_config(attempt), local)
        attempt["library"] = str(local)
        paths.append(str(local))
    return _ask(standins, replace(HIP, args=(paths,)))


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_recorded_answer_round_trips_through_a_stand_in(standins: StandIns, key: str) -> None:
    recorded, machine = RECORDED[key]
    answer = json.loads(json.dumps(recorded))  # adjusted below, never shared between tests
    name = key.split(":")[1]
    env = json.loads((machine / "machine.json").read_text()).get("env", {})
    missing = answer.get("init") == [12, None] or answer.get("load", {}).get("ok") is False
    if missing:
        # Recorded "library not found": install nothing; the error text names this machine's
        # search, so only the outcome is compared.
        answer = {k: v for k, v in answer.items() if k != "load"}
        answer["load"] = {"ok": False} if name == "libcuda" else None
        if answer["load"] is None:
            del answer["load"]
    elif name == "hip":
        live = _hip_round_trip(standins, answer)
        assert _as_recorded(live, answer) == _without_timings(answer)
        return
    facade = FACADES[name]
    if not missing:
        config: Config
        if name == "nvml":
            config = Nvml.from_answer(answer)
        elif name == "libcuda":
            config = Cuda.from_answer(answer)
        else:
            config = LevelZero.from_answer(answer)
        facade, answer = _as_windows(standins, config, answer, name)
    live = _ask(standins, facade, **{k: v for k, v in env.items() if k.startswith("ZE_")})
    assert _as_recorded(live, answer) == _without_timings(answer)


def test_nvml_mig_instances_in_sparse_slots(standins: StandIns) -> None:
    migs = [NvmlMig(1, uuid="MIG-a"), NvmlMig(5, uuid="MIG-b")]
    standins.install(Nvml(gpus=[NvmlGpu(name="NVIDIA A100", cc=(8, 0), mig=(1, 1), migs=migs)]))
    answer = _ask(standins, NVML)
    device = answer["devices"][0]
    assert device["mig_mode"] == [0, [1, 1]]
    assert [(m["index"], m["uuid"][1]) for m in device["mig_devices"]] == [
        (1, "MIG-a"),
        (5, "MIG-b"),
    ]


def test_nvml_without_the_v2_cuda_call_falls_back_to_the_first_version(
    standins: StandIns,
) -> None:
    standins.install(
        Nvml(
            gpus=[NvmlGpu()],
            cuda_version=11040,
            omit=frozenset({"nvmlSystemGetCudaDriverVersion_v2"}),
        )
    )
    answer = _ask(standins, NVML)
    assert answer["cuda_driver_version_v2"] == [13, None]  # NVML_ERROR_FUNCTION_NOT_FOUND
    assert answer["cuda_driver_version"] == [0, 11040]


def test_nvml_gpu_name_that_is_not_utf8_is_a_failed_call_not_a_crash(standins: StandIns) -> None:
    standins.install(Nvml(gpus=[NvmlGpu(name=b"NVIDIA \xff\xfe GPU")]))
    device = _ask(standins, NVML)["devices"][0]
    assert device["name"][1] is None and device["name"][0] != 0
    assert device["cc"] == [0, [9, 0]]


def test_libcuda_sees_every_gpu_whatever_cuda_visible_devices_says(standins: StandIns) -> None:
    # The stand-in honours CUDA_VISIBLE_DEVICES (UUIDs here) like the real driver;
    # the facade removes it before cuInit and reports what it was.
    devices = [CudaDevice(uuid="GPU-aaaa", cc=(8, 0)), CudaDevice(uuid="GPU-bbbb", cc=(9, 0))]
    standins.install(Cuda(devices=devices))
    answer = _ask(standins, LIBCUDA, CUDA_VISIBLE_DEVICES="GPU-bbbb")
    assert answer["cuda_visible_devices"] == "GPU-bbbb"
    assert [d["cc"][1] for d in answer["devices"]] == [[8, 0], [9, 0]]


def test_level_zero_without_zeinitdrivers_uses_zeinit(standins: StandIns) -> None:
    standins.install(
        LevelZero(drivers=[ZeDriver(devices=[ZeDevice()])], omit=frozenset({"zeInitDrivers"}))
    )
    answer = _ask(standins, LEVEL_ZERO)
    assert answer["init"]["function"] == "zeInit"
    assert answer["drivers"][0]["devices"][0]["ip_version"] == 0x030DC008


def test_level_zero_ip_extension_rejected_still_gives_the_plain_properties(
    standins: StandIns,
) -> None:
    standins.install(LevelZero(drivers=[ZeDriver(devices=[ZeDevice(ip_rc=0x78000003)])]))
    device = _ask(standins, LEVEL_ZERO)["drivers"][0]["devices"][0]
    assert device["ip_result"] == 0x78000003
    assert device["ip_version"] is None and device["device_id"] == 0x56A0


def test_level_zero_flat_and_composite_hierarchies(standins: StandIns) -> None:
    tiles = [ZeDevice(device_id=0x0BD5, subdevice_id=i, ip_version=0x030F0007) for i in (0, 1)]
    card = ZeDevice(device_id=0x0BD5, ip_version=0x030F0007, tiles=tiles)
    standins.install(LevelZero(drivers=[ZeDriver(devices=[card])]))
    flat = _ask(standins, LEVEL_ZERO)["drivers"][0]["devices"]
    composite = _ask(standins, LEVEL_ZERO, ZE_FLAT_DEVICE_HIERARCHY="COMPOSITE")
    roots = composite["drivers"][0]["devices"]
    assert [d["subdevice_id"] for d in flat] == [0, 1]
    assert all(d["subdevices"] == [] for d in flat)
    assert len(roots) == 1 and [s["subdevice_id"] for s in roots[0]["subdevices"]] == [0, 1]


def test_the_windows_names_of_the_search_tables_load_the_same_stand_ins(
    standins: StandIns,
) -> None:
    # The OS row is data: a stand-in under the Windows name answers through the same code.
    standins.install(Cuda(devices=[CudaDevice(cc=(8, 9))]), soname="nvcuda.dll")
    standins.install(LevelZero(drivers=[ZeDriver(devices=[ZeDevice()])]), soname="ze_loader.dll")
    env = standins.environ()
    cuda = run_python_child(
        "variant_providers.providers.nvidia.libcuda:libcuda", [None, "Windows"], timeout=20, env=env
    )
    assert cuda["load"] == {"ok": True, "path": "nvcuda.dll"}
    assert cuda["devices"][0]["cc"] == [0, [8, 9]]
    ze = run_python_child(
        "variant_providers.providers.intel.native:query", [None, "Windows"], timeout=20, env=env
    )
    assert ze["loader"] == {"ok": True, "library": "ze_loader.dll"}
