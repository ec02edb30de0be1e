"""The NVIDIA provider, live, against stand-in NVML and libcuda: every failure mode.

Each test builds the files of a machine with a loaded driver, compiles the
libraries it should have, and runs the provider through the host.  Product
names the name table does not know (``NVIDIA Graphics Device``, what
drivers show for a GPU newer than themselves) keep a compute capability
from coming from the table when a test means another source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from variant_providers.host import ProviderResult

from .machines import detect_one, live_tree, nvidia_tree, values
from .standins import Cuda, CudaDevice, Nvml, NvmlGpu, NvmlMig, StandIns

UNKNOWN = "NVIDIA Graphics Device"
GPU_IS_LOST = 15
NOT_SUPPORTED = 3
ALL_NVML = frozenset(
    {
        "nvmlInitWithFlags",
        "nvmlSystemGetDriverVersion",
        "nvmlSystemGetCudaDriverVersion_v2",
        "nvmlDeviceGetCount_v2",
        "nvmlDeviceGetHandleByIndex_v2",
        "nvmlShutdown",
    }
)


def buses(n: int, model: str = UNKNOWN) -> Any:
    return [(f"0000:{0x18 + 0x10 * i:02x}:00.0", model) for i in range(n)]


def run(
    standins: StandIns,
    tmp_path: Path,
    *libs: Any,
    gpus: Any = None,
    timeout: float = 20,
    **env: str,
) -> ProviderResult:
    standins.install(*libs)
    root = nvidia_tree(tmp_path / "root", buses(1) if gpus is None else gpus)
    return detect_one(live_tree(root, standins, env=env), "nvidia", timeout)


def sm(result: ProviderResult) -> Any:
    return values(result, "sm_arch")


def test_eight_gpus_nvml_cannot_open_are_described_by_libcuda(
    standins: StandIns, tmp_path: Path
) -> None:
    lost = [NvmlGpu(name=UNKNOWN, rc={"handle": GPU_IS_LOST}) for _ in range(8)]
    cuda = Cuda(devices=[CudaDevice(name=UNKNOWN, cc=(9, 0)) for _ in range(8)])
    result = run(standins, tmp_path, Nvml(gpus=lost), cuda, gpus=buses(8))
    assert result.status == "ok"
    assert sm(result) == ["90_real", "90_virtual"]
    devices = result.info["devices"]
    assert len(devices) == 8
    assert {(d["source"], d["cc_source"]) for d in devices} == {("nvml", "libcuda")}
    assert all("GPU_IS_LOST" in d["error"] for d in devices)
    assert result.info["source"]["sm_arch"] == "libcuda"


def test_one_gpu_lost_among_four_takes_the_cc_libcuda_has_left(
    standins: StandIns, tmp_path: Path
) -> None:
    gpus = [NvmlGpu(name=UNKNOWN, cc=cc) for cc in ((8, 0), (8, 0), (9, 0))]
    gpus.append(NvmlGpu(name=UNKNOWN, rc={"handle": GPU_IS_LOST}))
    # CUDA enumerates fastest first: the order differs from NVML's PCI order.
    cuda = Cuda(
        devices=[CudaDevice(name=UNKNOWN, cc=cc) for cc in ((10, 0), (9, 0), (8, 0), (8, 0))]
    )
    result = run(standins, tmp_path, Nvml(gpus=gpus), cuda, gpus=buses(4))
    assert sm(result)[:2] == ["100_real", "100_virtual"]
    lost = result.info["devices"][3]
    assert (lost["compute_capability"], lost["cc_source"]) == ("10.0", "libcuda")
    assert result.info["probes"]["nvml"] == "4 GPU(s), 1 could not be opened"


def test_jetson_nvml_without_a_cc_takes_the_tegra_soc_table(
    standins: StandIns, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "nv_tegra_release").write_text("# R36 (release), REVISION: 4.3, GCID: 1\n")
    (root / "proc" / "device-tree").mkdir(parents=True)
    (root / "proc" / "device-tree" / "compatible").write_bytes(
        b"nvidia,p3737-0000+p3701-0005\0nvidia,p3701-0005\0nvidia,tegra234\0"
    )
    (root / "proc" / "device-tree" / "model").write_text("NVIDIA Jetson AGX Orin\0")
    gpu = NvmlGpu(name="Orin (nvgpu)", rc={"cc": NOT_SUPPORTED, "pci": NOT_SUPPORTED})
    standins.install(Nvml(gpus=[gpu], driver_version="540.4.0", cuda_version=12060))
    # No libcuda: the SoC table is what is left.  The platform says aarch64.
    result = detect_one(live_tree(root, standins, machine="aarch64"), "nvidia")
    assert result.status == "ok"
    assert sm(result)[0] == "87_real"
    (device,) = result.info["devices"]
    assert device["cc_source"] == "tegra-soc-table"
    assert result.info["kind"] == "jetson"


def test_a_gpu_no_probe_describes_takes_its_cc_from_the_name_table(
    standins: StandIns, tmp_path: Path
) -> None:
    gpu = NvmlGpu(name="NVIDIA H100 PCIe", rc={"cc": NOT_SUPPORTED})
    result = run(standins, tmp_path, Nvml(gpus=[gpu]))
    assert sm(result) == ["90_real", "90_virtual"]
    assert result.info["devices"][0]["cc_source"] == "name-table"


def test_mismatch_is_an_error_and_asks_nothing_else(standins: StandIns, tmp_path: Path) -> None:
    cuda = Cuda(devices=[CudaDevice()], hang=frozenset({"cuInit"}))
    result = run(standins, tmp_path, Nvml(rc={"init": 18}), cuda)
    assert result.status == "error"
    assert "version mismatch (NVML error 18)" in result.reason
    assert list(result.info["probes"]) == ["nvml"]


def test_driver_not_loaded_without_kernel_traces_starts_nothing(
    standins: StandIns, tmp_path: Path
) -> None:
    # Libraries installed, kernel module not loaded: no file says NVIDIA, so the
    # (hanging) libraries are never loaded.
    standins.install(Nvml(hang=ALL_NVML), Cuda(hang=frozenset({"cuInit"})))
    root = tmp_path / "root"
    root.mkdir()
    result = detect_one(live_tree(root, standins), "nvidia", timeout=20)
    assert result.status == "not-detected"
    assert "probes" not in result.info


def test_driver_not_loaded_answers_of_the_libraries_are_named(
    standins: StandIns, tmp_path: Path
) -> None:
    nvml = Nvml(rc={"init": 9})  # NVML_ERROR_DRIVER_NOT_LOADED
    cuda = Cuda(rc={"init": 100})  # CUDA_ERROR_NO_DEVICE
    result = run(standins, tmp_path, nvml, cuda)
    assert result.status == "error"
    assert "NVML_ERROR_DRIVER_NOT_LOADED (9)" in result.info["probes"]["nvml"]
    assert "cuInit failed" in result.info["probes"]["libcuda"]


def test_init_hang_is_listed_and_the_files_answer(standins: StandIns, tmp_path: Path) -> None:
    nvml = Nvml(gpus=[NvmlGpu()], hang=frozenset({"nvmlInitWithFlags"}))
    result = run(standins, tmp_path, nvml, gpus=buses(1, "NVIDIA H100 80GB HBM3"), timeout=1)
    assert result.status == "ok"
    assert result.info["probes"] == {
        "nvml": "no answer within the 1 s time limit of this detection"
    }
    assert "hung" in result.reason
    assert values(result, "cuda_version_lower_bound")[0] == "12.8"  # R570 → CUDA 12.8


def test_mig_instances_in_sparse_slots_are_listed(standins: StandIns, tmp_path: Path) -> None:
    migs = [NvmlMig(1, uuid="MIG-11111111-0000-4000-8000-000000000000"), NvmlMig(5)]
    gpu = NvmlGpu(name="NVIDIA A100 80GB PCIe", cc=(8, 0), mig=(1, 1), migs=migs)
    result = run(standins, tmp_path, Nvml(gpus=[gpu]))
    (device,) = result.info["devices"]
    assert device["mig_mode"] == "enabled"
    assert [m["index"] for m in device["mig_devices"]] == [1, 5]
    assert sm(result) == ["80_real", "80_virtual"]


def test_zero_devices_is_not_detected(standins: StandIns, tmp_path: Path) -> None:
    result = run(standins, tmp_path, Nvml(gpus=[]), gpus=[])
    assert result.status == "not-detected"
    assert "lists no GPU" in result.reason


def test_old_nvml_without_the_v2_calls(standins: StandIns, tmp_path: Path) -> None:
    old = Nvml(
        gpus=[NvmlGpu(name=UNKNOWN, cc=(8, 6))],
        cuda_version=11040,
        omit=frozenset(
            {
                "nvmlSystemGetCudaDriverVersion_v2",
                "nvmlDeviceGetCount_v2",
                "nvmlDeviceGetHandleByIndex_v2",
                "nvmlDeviceGetPciInfo_v3",
            }
        ),
    )
    cuda = Cuda(devices=[CudaDevice(name=UNKNOWN, cc=(8, 6))], version=11040)
    result = run(standins, tmp_path, old, cuda)
    assert result.status == "ok"
    assert result.info["cuda_driver_version"] == "11.4"
    assert result.info["source"]["cuda_driver_version"] == "nvml"
    assert sm(result)[0] == "86_real"
    assert result.info["source"]["sm_arch"] == "libcuda"
    assert "FUNCTION_NOT_FOUND" in result.info["probes"]["nvml"]


def test_a_cuda_version_of_zero_is_taken_from_libcuda(standins: StandIns, tmp_path: Path) -> None:
    nvml = Nvml(gpus=[NvmlGpu()], cuda_version=0)
    cuda = Cuda(devices=[CudaDevice()], version=12080)
    result = run(standins, tmp_path, nvml, cuda)
    assert result.info["cuda_driver_version"] == "12.8"
    assert result.info["source"]["cuda_driver_version"] == "libcuda"
    assert any("implausible value 0" in n for n in result.info["notes"])


def test_libcuda_only(standins: StandIns, tmp_path: Path) -> None:
    result = run(standins, tmp_path, Cuda(devices=[CudaDevice(name=UNKNOWN, cc=(12, 0))]))
    assert result.status == "ok"
    assert sm(result)[0] == "120_real"
    assert "not installed" in result.info["probes"]["nvml"]


def test_a_gpu_name_that_is_not_utf8_still_counts(standins: StandIns, tmp_path: Path) -> None:
    result = run(standins, tmp_path, Nvml(gpus=[NvmlGpu(name=b"NVIDIA \xff\xfe")]))
    assert sm(result) == ["90_real", "90_virtual"]
    assert result.info["devices"][0]["name"] is None


def test_cuda_visible_devices_as_uuids_is_ignored(standins: StandIns, tmp_path: Path) -> None:
    devices = [CudaDevice(uuid="GPU-aaaa", cc=(8, 0)), CudaDevice(uuid="GPU-bbbb", cc=(9, 0))]
    result = run(
        standins,
        tmp_path,
        Nvml(rc={"init": 9}),
        Cuda(devices=devices),
        gpus=buses(2),
        CUDA_VISIBLE_DEVICES="GPU-bbbb",
    )
    assert sm(result) == ["90_real", "90_virtual", "80_real", "80_virtual"]
    assert any("CUDA_VISIBLE_DEVICES='GPU-bbbb' ignored" in n for n in result.info["notes"])
