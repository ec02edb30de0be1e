"""The Windows library choices and the HIP facade, run for real against stand-ins.

A Windows machine is a directory tree here (``SystemRoot``, ``HIP_PATH``,
``ProgramFiles`` point into it) and the DLLs in it are the stand-in
libraries compiled for this system under their Windows names.  The provider
picks the files by the Windows rules and the facade's ctypes code — the same
on both systems — loads them by full path in its child process.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Dict

import pytest

from variant_providers.providers.amd import detect as amd
from variant_providers.providers.amd.hip import HIP
from variant_providers.providers.intel import detect as intel
from variant_providers.providers.nvidia import detect as nvidia
from variant_providers.system import LiveSystem, PlatformInfo

from .standins import (
    Cuda,
    CudaDevice,
    Hip,
    HipDevice,
    LevelZero,
    Nvml,
    NvmlGpu,
    StandIns,
    ZeDevice,
    ZeDriver,
)

WINDOWS = PlatformInfo("Windows", "AMD64", "10")


def _windows(tmp_path: Path, **env: str) -> LiveSystem:
    environ = {
        "SystemRoot": str(tmp_path / "Windows"),
        "ProgramFiles": str(tmp_path / "Program Files"),
        "PATH": str(tmp_path / "empty"),
        **env,
    }
    return LiveSystem(environ=environ, timeout=20, platform=WINDOWS)


def _features(output: Any) -> Dict[str, Any]:
    return {f.name: list(f.values) for f in output.features}


# -- AMD: the HIP runtime -----------------------------------------------------------------


def test_the_sdk_runtime_of_hip_path_answers_before_the_driver_copy_in_system32(
    standins: StandIns, tmp_path: Path
) -> None:
    sdk = tmp_path / "Program Files" / "AMD" / "ROCm" / "6.4"
    standins.place(
        Hip(devices=[HipDevice("AMD Radeon RX 6800 XT", "gfx1030")], runtime_version=60443483),
        sdk / "bin" / "amdhip64_6.dll",
    )
    # The display driver's older runtime would say something else: it must not be asked.
    standins.place(
        Hip(devices=[HipDevice("AMD Radeon RX 6800 XT", "gfx1031")], runtime_version=50732000),
        tmp_path / "Windows" / "System32" / "amdhip64.dll",
    )
    out = amd.detect(_windows(tmp_path, HIP_PATH=f"{sdk}\\"))
    assert _features(out) == {"gfx_arch": ["gfx1030"], "rocm_version": ["6.4"]}
    assert out.info["hip"]["library"] == str(sdk / "bin" / "amdhip64_6.dll")
    assert out.info["source"] == {"gfx_arch": "hip", "rocm_version": "hipRuntimeGetVersion"}
    assert out.info["devices"][0]["layout"] == "R0600"


def test_a_hip_7_runtime_without_the_gpu_gives_way_to_the_older_sdk(
    standins: StandIns, tmp_path: Path
) -> None:
    rocm = tmp_path / "Program Files" / "AMD" / "ROCm"
    standins.place(Hip(count_rc=100, runtime_version=70151411), rocm / "7.1/bin/amdhip64_7.dll")
    standins.place(
        Hip(devices=[HipDevice("AMD Radeon RX 6800 XT", "gfx1030")], runtime_version=60443483),
        rocm / "6.4/bin/amdhip64_6.dll",
    )
    out = amd.detect(_windows(tmp_path, HIP_PATH=str(rocm / "7.1") + "\\"))
    assert _features(out) == {"gfx_arch": ["gfx1030"], "rocm_version": ["6.4"]}
    assert out.info["hip"]["library"].endswith("6.4/bin/amdhip64_6.dll")
    first = out.info["hip"]["attempts"][0]
    assert "amdhip64_7.dll" in first and "hipErrorNoDevice" in first


def test_a_hip_5_runtime_is_read_with_the_old_struct_layout(
    standins: StandIns, tmp_path: Path
) -> None:
    devices = [
        HipDevice("AMD Radeon(TM) Graphics", "gfx1036", integrated=True),
        HipDevice("AMD Radeon RX 7900 XTX", "gfx1100"),
    ]
    hip5 = Hip(
        devices=devices, runtime_version=50731921, omit=frozenset({"hipGetDevicePropertiesR0600"})
    )
    standins.place(hip5, tmp_path / "Windows" / "System32" / "amdhip64.dll")
    out = amd.detect(_windows(tmp_path))
    # Discrete first; the iGPU's flag comes from the APU table (R0000 leaves it 0).
    assert _features(out) == {"gfx_arch": ["gfx1100", "gfx1036"], "rocm_version": ["5.7"]}
    assert [d["layout"] for d in out.info["devices"]] == ["R0000", "R0000"]
    assert out.info["devices"][1]["name"] == "AMD Radeon RX 7900 XTX"


def test_the_hip_facade_reads_every_field_of_the_new_layout(standins: StandIns) -> None:
    device = HipDevice(
        "AMD Instinct MI210", "gfx90a:sramecc+:xnack-", total_global_mem=64 << 30, pci=(0, 0x83, 0)
    )
    path = standins.place(
        Hip(devices=[device], runtime_version=60241134), standins.directory / "libamdhip64.so.6"
    )
    answer = LiveSystem(environ=standins.environ(), timeout=20).native(
        replace(HIP, args=([str(path)],))
    )
    (attempt,) = answer["attempts"]
    assert attempt["runtime_version"] == [0, 60241134]
    assert attempt["devices"] == [
        {
            "index": 0,
            "layout": "R0600",
            "result": 0,
            "name": "AMD Instinct MI210",
            "gcn_arch_name": "gfx90a:sramecc+:xnack-",
            "major": 11,
            "minor": 0,
            "compute_units": 96,
            "integrated": 0,
            "total_global_mem": 64 << 30,
            "pci": "0000:83:00",
        }
    ]


def test_a_runtime_that_cannot_load_is_reported_and_the_next_one_asked(
    standins: StandIns, tmp_path: Path
) -> None:
    broken = tmp_path / "Windows" / "System32" / "amdhip64_7.dll"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"MZ not a library")
    standins.place(
        Hip(devices=[HipDevice("AMD Radeon 860M Graphics", "gfx1152", integrated=True)]),
        tmp_path / "Windows" / "System32" / "amdhip64_6.dll",
    )
    out = amd.detect(_windows(tmp_path))
    assert _features(out)["gfx_arch"] == ["gfx1152"]
    assert "does not load" in out.info["hip"]["attempts"][0]


def test_wsl_hip_runtime_of_a_rocm_install(standins: StandIns) -> None:
    path = standins.place(
        Hip(devices=[HipDevice("AMD Radeon RX 7900 XT", "gfx1100")], runtime_version=60140091),
        standins.directory / "rocm" / "lib" / "libamdhip64.so",
    )
    answer = LiveSystem(environ=standins.environ(), timeout=20).native(
        replace(HIP, args=([str(path)],))
    )
    assert answer["attempts"][0]["devices"][0]["gcn_arch_name"] == "gfx1100"


# -- NVIDIA and Intel: the DLLs through the existing facades -------------------------------


def test_nvml_dll_of_system32_with_a_tcc_gpu(standins: StandIns, tmp_path: Path) -> None:
    gpus = [
        NvmlGpu("NVIDIA RTX A6000", (8, 6), uuid="GPU-a", pci_bus_id="00000000:17:00.0"),
        NvmlGpu("NVIDIA GeForce RTX 4090", (8, 9), uuid="GPU-b", driver_model=0),
    ]
    gpus[0] = replace(gpus[0], driver_model=1)
    nvml_dll = tmp_path / "Windows" / "System32" / "nvml.dll"
    standins.place(Nvml(gpus=gpus, driver_version="572.60", cuda_version=12080), nvml_dll)
    out = nvidia.detect(_windows(tmp_path))
    assert out.info["cuda_driver_version"] == "12.8"
    assert out.info["kernel_driver_version"] == "572.60"
    assert out.info["libraries"] == {"nvml": str(nvml_dll)}
    assert [d["driver_model"] for d in out.info["devices"]] == ["TCC", "WDDM"]
    assert _features(out)["sm_arch"][0] == "89_real"


def test_nvml_of_an_old_driver_in_the_nvsmi_folder(standins: StandIns, tmp_path: Path) -> None:
    nvsmi = tmp_path / "Program Files" / "NVIDIA Corporation" / "NVSMI" / "nvml.dll"
    standins.place(
        Nvml(
            gpus=[NvmlGpu("NVIDIA GeForce GTX 1080", (6, 1))],
            driver_version="417.35",
            cuda_version=11000,
        ),
        nvsmi,
    )
    out = nvidia.detect(_windows(tmp_path))
    assert out.info["libraries"] == {"nvml": str(nvsmi)}
    assert _features(out)["sm_arch"][0] == "61_real"


def test_nvcuda_dll_answers_when_nvml_fails(standins: StandIns, tmp_path: Path) -> None:
    system32 = tmp_path / "Windows" / "System32"
    standins.place(Nvml(rc={"init": 9}), system32 / "nvml.dll")  # DRIVER_NOT_LOADED
    standins.place(
        Cuda(devices=[CudaDevice("NVIDIA GeForce GTX 1650", (7, 5))], version=12020),
        system32 / "nvcuda.dll",
    )
    out = nvidia.detect(_windows(tmp_path))
    assert out.info["cuda_driver_version"] == "12.2"
    assert out.info["libraries"]["libcuda"] == str(system32 / "nvcuda.dll")
    assert "NVML_ERROR_DRIVER_NOT_LOADED" in out.info["probes"]["nvml"]
    assert _features(out)["sm_arch"][0] == "75_real"


def test_ze_loader_dll_of_system32(standins: StandIns, tmp_path: Path) -> None:
    b580 = ZeDevice(device_id=0xE20B, ip_version=0x05004000, name="Intel(R) Arc(TM) B580 Graphics")
    loader = tmp_path / "Windows" / "System32" / "ze_loader.dll"
    standins.place(LevelZero(drivers=[ZeDriver(devices=[b580])]), loader)
    out = intel.detect(_windows(tmp_path))
    assert _features(out) == {"device_ip": ["20.1.0"]}
    assert out.info["level_zero"]["library"] == str(loader)


# -- no library: no child ------------------------------------------------------------------


@pytest.mark.parametrize("provider", [amd, intel, nvidia], ids=["amd", "intel", "nvidia"])
def test_without_the_dll_nothing_is_started(
    provider: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Windows" / "System32").mkdir(parents=True)
    (tmp_path / "Windows" / "System32" / "kernel32.dll").write_bytes(b"")
    started = []

    def no_child(self: Any, argv: Any, env: Any = None) -> None:
        started.append(argv)
        raise AssertionError(f"a child was started: {argv}")

    monkeypatch.setattr("variant_providers.children.BoundedChild.__init__", no_child)
    out = provider.detect(_windows(tmp_path, HIP_PATH=str(tmp_path / "ROCm" / "6.4") + "\\"))
    # No status and no feature is what the host reports as not-detected.
    assert out.status in (None, "not-detected") and not out.features
    assert any(name in out.reason for name in ("dll", "NVIDIA driver")), out.reason
    assert started == []


@pytest.mark.parametrize(
    ("namespace", "dll"),
    [
        ("nvidia", "Windows/System32/nvml.dll"),
        ("amd", "Windows/System32/amdhip64_6.dll"),
        ("intel", "Windows/System32/ze_loader.dll"),
    ],
)
def test_windows_fingerprint_changes_when_the_driver_dll_appears(
    namespace: str, dll: str, tmp_path: Path
) -> None:
    import importlib

    plugin = importlib.import_module(f"variant_providers.providers.{namespace}.plugin")
    (provider,) = plugin.variant_providers()
    system = _windows(tmp_path)
    before = provider.fingerprint(system)
    (tmp_path / dll).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / dll).write_bytes(b"")
    assert provider.fingerprint(system) != before
