"""Functions run in a short-lived child interpreter through the machine seam's native facades.

Nothing here is imported by the provider's own process: the seam runs
``variant_providers.providers.nvidia.native:nvml`` (or ``:libcuda``) in a
fresh ``python -I`` child with a timeout, so a hanging ``nvmlInit``, a
crashing driver or a library that prints cannot harm the caller.  Each
function catches the library's errors itself and answers plain JSON data in
which every driver call is a ``[status, value]`` pair, the status being the
library's own return code (NVML ``nvmlReturn_t``, CUDA ``CUresult``).  The
recorded machines under ``fixtures/machines/`` store exactly these answers.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from variant_providers.native_lib import LibrarySearch, load_library

__all__ = ["LIBCUDA_NAMES", "NVML_NAMES", "libcuda", "nvml"]

Pair = List[Any]

#: Status used when a binding raised something that is not a library error.
UNEXPECTED = 999
#: ``NVML_ERROR_FUNCTION_NOT_FOUND``: the driver predates the entry point.
NVML_FUNCTION_NOT_FOUND = 13
#: Most MIG devices any GPU offers (A100/H100: 7).
MAX_MIG_DEVICES = 8
#: More GPUs than this in one machine means a broken answer.
MAX_DEVICES = 64


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _nvml_call(pynvml: Any, func: Callable[..., Any], *args: Any) -> Pair:
    try:
        return [0, _text(func(*args))]
    except pynvml.NVMLError as exc:
        return [int(getattr(exc, "value", UNEXPECTED)), None]
    except Exception:
        return [UNEXPECTED, None]


def _nvml_device(pynvml: Any, index: int) -> Dict[str, Any]:
    handle = _nvml_call(pynvml, pynvml.nvmlDeviceGetHandleByIndex, index)
    device: Dict[str, Any] = {"index": index, "handle": [handle[0], None]}
    if handle[0] != 0:
        return device
    h = handle[1]
    device["name"] = _nvml_call(pynvml, pynvml.nvmlDeviceGetName, h)
    device["uuid"] = _nvml_call(pynvml, pynvml.nvmlDeviceGetUUID, h)
    cc = _nvml_call(pynvml, pynvml.nvmlDeviceGetCudaComputeCapability, h)
    device["cc"] = [cc[0], list(cc[1]) if cc[0] == 0 else None]
    memory = _nvml_call(pynvml, pynvml.nvmlDeviceGetMemoryInfo, h)
    device["memory_total"] = [memory[0], int(memory[1].total) if memory[0] == 0 else None]
    pci = _nvml_call(pynvml, pynvml.nvmlDeviceGetPciInfo, h)
    device["pci_bus_id"] = [pci[0], _text(pci[1].busId) if pci[0] == 0 else None]
    model = _nvml_call(pynvml, pynvml.nvmlDeviceGetDriverModel, h)
    if model[0] == NVML_FUNCTION_NOT_FOUND and hasattr(pynvml, "nvmlDeviceGetDriverModel_v1"):
        model = _nvml_call(pynvml, pynvml.nvmlDeviceGetDriverModel_v1, h)  # older drivers
    device["driver_model"] = [model[0], list(model[1]) if model[0] == 0 else None]
    mig = _nvml_call(pynvml, pynvml.nvmlDeviceGetMigMode, h)
    device["mig_mode"] = [mig[0], list(mig[1]) if mig[0] == 0 else None]
    if mig[0] == 0 and mig[1][0] == 1:
        device["mig_devices"] = _nvml_mig_devices(pynvml, h)
    return device


def _nvml_mig_devices(pynvml: Any, parent: Any) -> List[Dict[str, Any]]:
    count = _nvml_call(pynvml, pynvml.nvmlDeviceGetMaxMigDeviceCount, parent)
    found: List[Dict[str, Any]] = []
    if count[0] != 0:
        return found
    # The count is the maximum possible; the indices that answer are the real ones.
    for i in range(min(int(count[1]), MAX_MIG_DEVICES)):
        handle = _nvml_call(pynvml, pynvml.nvmlDeviceGetMigDeviceHandleByIndex, parent, i)
        if handle[0] != 0:
            continue
        mig: Dict[str, Any] = {"index": i}
        mig["name"] = _nvml_call(pynvml, pynvml.nvmlDeviceGetName, handle[1])
        mig["uuid"] = _nvml_call(pynvml, pynvml.nvmlDeviceGetUUID, handle[1])
        memory = _nvml_call(pynvml, pynvml.nvmlDeviceGetMemoryInfo, handle[1])
        mig["memory_total"] = [memory[0], int(memory[1].total) if memory[0] == 0 else None]
        found.append(mig)
    return found


#: NVML's names as pynvml looks for them by itself (``libnvidia-ml.so.1``; on
#: Windows ``nvml.dll`` in System32, then the NVSMI directory).  The provider
#: passes full paths instead where it finds them through the seam.
NVML_NAMES = LibrarySearch("NVML", {"Linux": ("libnvidia-ml.so.1",), "Windows": ("nvml.dll",)})


def _preload(pynvml: Any, libraries: List[str], answer: Dict[str, Any]) -> bool:
    """Load the first of *libraries* that loads as pynvml's NVML; say which one."""
    lib, path, errors = load_library(NVML_NAMES, names=libraries)
    if lib is None:
        answer["library_errors"] = errors[:4]
        return False
    pynvml.nvmlLib = lib
    answer["library"] = path
    return True


def nvml(libraries: Optional[List[str]] = None) -> Dict[str, Any]:
    """Ask NVML (through ``pynvml``, distribution ``nvidia-ml-py``) about the driver and GPUs.

    *libraries* (Windows: the ``nvml.dll`` files found, best first) are
    loaded by full path instead of pynvml's own search.
    """
    try:
        import pynvml
    except Exception as exc:  # not installed, or broken
        return {"import": {"ok": False, "error": f"{type(exc).__name__}: {exc}"}}
    answer: Dict[str, Any] = {"import": {"ok": True}}
    if libraries and not _preload(pynvml, libraries, answer):
        answer["init"] = [12, None]  # NVML_ERROR_LIBRARY_NOT_FOUND, as pynvml says it
        return answer
    init = _nvml_call(pynvml, pynvml.nvmlInit)
    answer["init"] = [init[0], None]
    if init[0] != 0:
        return answer
    try:
        answer["driver_version"] = _nvml_call(pynvml, pynvml.nvmlSystemGetDriverVersion)
        answer["cuda_driver_version_v2"] = _nvml_call(
            pynvml, pynvml.nvmlSystemGetCudaDriverVersion_v2
        )
        if answer["cuda_driver_version_v2"][0] != 0:
            answer["cuda_driver_version"] = _nvml_call(
                pynvml, pynvml.nvmlSystemGetCudaDriverVersion
            )
        count = _nvml_call(pynvml, pynvml.nvmlDeviceGetCount)
        answer["count"] = count
        if count[0] == 0:
            answer["devices"] = [
                _nvml_device(pynvml, i) for i in range(min(int(count[1]), MAX_DEVICES))
            ]
    finally:
        _nvml_call(pynvml, pynvml.nvmlShutdown)
    return answer


#: libcuda's names: the soname through the loader's search first, then where
#: drivers put it when that search does not find it (Jetson, WSL2, RHEL).
LIBCUDA_NAMES = LibrarySearch(
    "libcuda",
    {
        "Linux": (
            "libcuda.so.1",
            "libcuda.so",
            "/usr/lib64/nvidia/libcuda.so.1",
            "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
            "/usr/lib/aarch64-linux-gnu/libcuda.so.1",
            "/usr/lib/aarch64-linux-gnu/tegra/libcuda.so.1",
            "/usr/lib/aarch64-linux-gnu/nvidia/libcuda.so.1",
            "/usr/lib/wsl/lib/libcuda.so.1",
        ),
        "Windows": ("nvcuda.dll",),
    },
)

CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76


def libcuda(libraries: Optional[List[str]] = None, os_name: Optional[str] = None) -> Dict[str, Any]:
    """Ask the CUDA driver API (``libcuda`` through ctypes) for its version and devices.

    *libraries* (Windows: the ``nvcuda.dll`` found) replace the names of
    :data:`LIBCUDA_NAMES`; *os_name* picks another OS's row of it (tests run the
    Windows names on Linux).

    ``CUDA_VISIBLE_DEVICES`` is removed before ``cuInit``, whatever its form
    (ordinals, ``GPU-`` or ``MIG-`` UUIDs): it picks the GPUs one program
    runs on, not what the machine supports, and an empty or invalid value
    hides every GPU.  The answer says what it was.
    """
    import ctypes
    import os

    answer: Dict[str, Any] = {"cuda_visible_devices": os.environ.pop("CUDA_VISIBLE_DEVICES", None)}
    lib, loaded, errors = load_library(LIBCUDA_NAMES, os_name, libraries)
    if lib is None:
        answer["load"] = {"ok": False, "error": "; ".join(errors[:2])}
        return answer
    answer["load"] = {"ok": True, "path": loaded}

    def call(name: str, *args: Any) -> int:
        try:
            func = getattr(lib, name)
        except AttributeError:
            return -1
        func.restype = ctypes.c_int
        return int(func(*args))

    answer["cuInit"] = call("cuInit", ctypes.c_uint(0))
    if answer["cuInit"] != 0:
        return answer
    version = ctypes.c_int(0)
    status = call("cuDriverGetVersion", ctypes.byref(version))
    answer["version"] = [status, version.value if status == 0 else None]
    count = ctypes.c_int(0)
    status = call("cuDeviceGetCount", ctypes.byref(count))
    answer["count"] = [status, count.value if status == 0 else None]
    if status != 0:
        return answer
    devices = []
    for ordinal in range(min(count.value, MAX_DEVICES)):
        dev = ctypes.c_int(0)
        status = call("cuDeviceGet", ctypes.byref(dev), ctypes.c_int(ordinal))
        device: Dict[str, Any] = {"ordinal": ordinal, "device": [status, None]}
        if status == 0:
            major, minor = ctypes.c_int(0), ctypes.c_int(0)
            s1 = call(
                "cuDeviceGetAttribute",
                ctypes.byref(major),
                ctypes.c_int(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                dev,
            )
            s2 = call(
                "cuDeviceGetAttribute",
                ctypes.byref(minor),
                ctypes.c_int(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                dev,
            )
            worst = s1 or s2
            device["cc"] = [worst, [major.value, minor.value] if worst == 0 else None]
            name = ctypes.create_string_buffer(256)
            s3 = call("cuDeviceGetName", name, ctypes.c_int(256), dev)
            device["name"] = [s3, name.value.decode("utf-8", "replace") if s3 == 0 else None]
            memory = ctypes.c_size_t(0)
            s4 = call("cuDeviceTotalMem_v2", ctypes.byref(memory), dev)
            device["memory_total"] = [s4, int(memory.value) if s4 == 0 else None]
        devices.append(device)
    answer["devices"] = devices
    return answer
