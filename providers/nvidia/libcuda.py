"""libcuda, both halves: the CUDA driver API asked in a child, and the parent's reading.

:func:`libcuda` runs in a short-lived child through the :data:`LIBCUDA`
facade and answers ``[status, value]`` pairs (CUDA ``CUresult``);
:func:`read_libcuda` turns them into the CUDA version and
:class:`~.devices.Device` records.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from variant_providers.native_lib import LibrarySearch, load_library
from variant_providers.system import NativeFacade

from . import parse, tables
from .devices import ABSENT, FAILED, OK, Device, Probe
from .nvml import MAX_DEVICES, _cc_pair, _mib, _pair, _str_or_none

__all__ = ["LIBCUDA", "LIBCUDA_NAMES", "libcuda", "read_libcuda"]

#: The child half, as the machine seam calls it (sharing the detection's deadline).
LIBCUDA = NativeFacade("libcuda", "variant_providers.providers.nvidia.libcuda:libcuda")


# -- child half: runs in the bounded child process ----------------------------------------


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


# -- parent half: reads the child's answer ------------------------------------------------


def read_libcuda(answer: Any, probe: Probe) -> None:
    if not isinstance(answer, dict):
        probe.outcome("libcuda", FAILED, "malformed answer")
        return
    visible = answer.get("cuda_visible_devices")
    if isinstance(visible, str):
        probe.notes.append(f"libcuda: CUDA_VISIBLE_DEVICES={visible!r} ignored to see every GPU")
    load = answer.get("load")
    if not isinstance(load, dict) or not load.get("ok", False):
        probe.outcome("libcuda", ABSENT, "libcuda not installed")
        return
    if isinstance(load.get("path"), str):
        probe.libraries["libcuda"] = load["path"]
    init = answer.get("cuInit")
    if init != 0:
        name = tables.cuda_error_name(init) if isinstance(init, int) else "no answer"
        kind = ABSENT if init == 34 else FAILED  # 34: the toolkit's stub library
        probe.outcome("libcuda", kind, f"cuInit failed: {name}")
        return
    status, value = _pair(answer.get("version"))
    if status == 0:
        cuda = parse.cuda_from_int(value)
        if cuda is None:
            probe.notes.append(f"libcuda cuDriverGetVersion: implausible value {value!r}")
        probe.set_cuda(cuda, "libcuda")
    status, count = _pair(answer.get("count"))
    if status != 0 or not isinstance(count, int):
        probe.outcome("libcuda", FAILED, "cuDeviceGetCount failed")
        return
    devices: List[Device] = []
    raw_devices = answer.get("devices")
    for raw in raw_devices if isinstance(raw_devices, list) else []:
        if not isinstance(raw, dict):
            continue
        ordinal = raw.get("ordinal") if isinstance(raw.get("ordinal"), int) else None
        dev_status, _ = _pair(raw.get("device"))
        if dev_status != 0:
            probe.notes.append(f"CUDA device {ordinal}: skipped (cuDeviceGet failed)")
            continue
        cc_status, cc_value = _pair(raw.get("cc"))
        cc = _cc_pair(cc_value) if cc_status == 0 else None
        if cc is None:
            probe.notes.append(f"CUDA device {ordinal}: compute capability unavailable")
        name_status, name = _pair(raw.get("name"))
        mem_status, mem = _pair(raw.get("memory_total"))
        devices.append(
            Device(
                index=ordinal,
                name=_str_or_none(name) if name_status == 0 else None,
                cc=cc,
                source="libcuda",
                memory_total_mib=_mib(mem) if mem_status == 0 else None,
            )
        )
    probe.add_devices(devices, "libcuda")
    probe.outcome("libcuda", OK, f"{len(devices)} GPU(s)")
