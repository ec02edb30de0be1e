"""NVML, both halves: the query run in a child process, and the parent's reading of it.

:func:`nvml` runs in a short-lived ``python -I`` child through the machine
seam's :data:`NVML` facade (a hanging ``nvmlInit``, a crashing driver or a
library that prints cannot harm the caller).  It catches the library's
errors itself and answers plain JSON in which every driver call is a
``[status, value]`` pair, the status being NVML's ``nvmlReturn_t``; the
recorded machines under ``fixtures/machines/`` store exactly these answers.
:func:`read_nvml`, in the parent, turns that answer into the driver
version, the CUDA version and :class:`~.devices.Device` records.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from variant_providers.native_lib import LibrarySearch, load_library
from variant_providers.system import NativeFacade

from . import parse, tables
from .devices import ABSENT, FAILED, OK, Device, Probe, Version2

__all__ = ["MAX_DEVICES", "NVML", "NVML_NAMES", "nvml", "read_nvml"]

#: The child half, as the machine seam calls it.  No timeout of its own: under
#: the host every probe shares the detection's one deadline.
NVML = NativeFacade("nvml", "variant_providers.providers.nvidia.nvml:nvml")

Pair = List[Any]


# -- child half: runs in the bounded child process ----------------------------------------

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


def _call(pynvml: Any, func: Callable[..., Any], *args: Any) -> Pair:
    try:
        return [0, _text(func(*args))]
    except pynvml.NVMLError as exc:
        return [int(getattr(exc, "value", UNEXPECTED)), None]
    except Exception:
        return [UNEXPECTED, None]


def _query_device(pynvml: Any, index: int) -> Dict[str, Any]:
    handle = _call(pynvml, pynvml.nvmlDeviceGetHandleByIndex, index)
    device: Dict[str, Any] = {"index": index, "handle": [handle[0], None]}
    if handle[0] != 0:
        return device
    h = handle[1]
    device["name"] = _call(pynvml, pynvml.nvmlDeviceGetName, h)
    device["uuid"] = _call(pynvml, pynvml.nvmlDeviceGetUUID, h)
    cc = _call(pynvml, pynvml.nvmlDeviceGetCudaComputeCapability, h)
    device["cc"] = [cc[0], list(cc[1]) if cc[0] == 0 else None]
    memory = _call(pynvml, pynvml.nvmlDeviceGetMemoryInfo, h)
    device["memory_total"] = [memory[0], int(memory[1].total) if memory[0] == 0 else None]
    pci = _call(pynvml, pynvml.nvmlDeviceGetPciInfo, h)
    device["pci_bus_id"] = [pci[0], _text(pci[1].busId) if pci[0] == 0 else None]
    model = _call(pynvml, pynvml.nvmlDeviceGetDriverModel, h)
    if model[0] == NVML_FUNCTION_NOT_FOUND and hasattr(pynvml, "nvmlDeviceGetDriverModel_v1"):
        model = _call(pynvml, pynvml.nvmlDeviceGetDriverModel_v1, h)  # older drivers
    device["driver_model"] = [model[0], list(model[1]) if model[0] == 0 else None]
    mig = _call(pynvml, pynvml.nvmlDeviceGetMigMode, h)
    device["mig_mode"] = [mig[0], list(mig[1]) if mig[0] == 0 else None]
    if mig[0] == 0 and mig[1][0] == 1:
        device["mig_devices"] = _query_mig_devices(pynvml, h)
    return device


def _query_mig_devices(pynvml: Any, parent: Any) -> List[Dict[str, Any]]:
    count = _call(pynvml, pynvml.nvmlDeviceGetMaxMigDeviceCount, parent)
    found: List[Dict[str, Any]] = []
    if count[0] != 0:
        return found
    # The count is the maximum possible; the indices that answer are the real ones.
    for i in range(min(int(count[1]), MAX_MIG_DEVICES)):
        handle = _call(pynvml, pynvml.nvmlDeviceGetMigDeviceHandleByIndex, parent, i)
        if handle[0] != 0:
            continue
        mig: Dict[str, Any] = {"index": i}
        mig["name"] = _call(pynvml, pynvml.nvmlDeviceGetName, handle[1])
        mig["uuid"] = _call(pynvml, pynvml.nvmlDeviceGetUUID, handle[1])
        memory = _call(pynvml, pynvml.nvmlDeviceGetMemoryInfo, handle[1])
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
    init = _call(pynvml, pynvml.nvmlInit)
    answer["init"] = [init[0], None]
    if init[0] != 0:
        return answer
    try:
        answer["driver_version"] = _call(pynvml, pynvml.nvmlSystemGetDriverVersion)
        answer["cuda_driver_version_v2"] = _call(pynvml, pynvml.nvmlSystemGetCudaDriverVersion_v2)
        if answer["cuda_driver_version_v2"][0] != 0:
            answer["cuda_driver_version"] = _call(pynvml, pynvml.nvmlSystemGetCudaDriverVersion)
        count = _call(pynvml, pynvml.nvmlDeviceGetCount)
        answer["count"] = count
        if count[0] == 0:
            answer["devices"] = [
                _query_device(pynvml, i) for i in range(min(int(count[1]), MAX_DEVICES))
            ]
    finally:
        _call(pynvml, pynvml.nvmlShutdown)
    return answer


# -- parent half: reads the child's answer ------------------------------------------------


def _pair(value: Any) -> Tuple[Optional[int], Any]:
    """A recorded ``[status, value]`` pair; ``(None, None)`` when malformed."""
    if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], int):
        return value[0], value[1]
    return None, None


def _str_or_none(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _cc_pair(value: Any) -> Optional[Version2]:
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 100 for v in value)
    ):
        return (int(value[0]), int(value[1]))
    return None


def _mib(value: Any) -> Optional[int]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value // (1024 * 1024)
    return None


def read_nvml(answer: Any, probe: Probe) -> None:
    if not isinstance(answer, dict):
        probe.outcome("nvml", FAILED, "malformed answer")
        return
    imported = answer.get("import")
    if isinstance(imported, dict) and not imported.get("ok", False):
        probe.outcome(
            "nvml",
            ABSENT,
            f"pynvml not importable ({imported.get('error', '?')}); install the [nvidia] extra",
        )
        return
    if isinstance(answer.get("library"), str):
        probe.libraries["nvml"] = answer["library"]
    code, _ = _pair(answer.get("init"))
    if code is None:
        probe.outcome("nvml", FAILED, "malformed answer (no init status)")
        return
    if code == tables.NVML_LIB_RM_VERSION_MISMATCH:
        probe.mismatch = True
        probe.outcome("nvml", FAILED, "driver/library version mismatch (NVML error 18)")
        return
    if code == tables.NVML_LIBRARY_NOT_FOUND:
        probe.outcome("nvml", ABSENT, "libnvidia-ml not installed (NVML error 12)")
        return
    if code != 0:
        probe.outcome("nvml", FAILED, f"init failed: {tables.nvml_error_name(code)} ({code})")
        return
    status, value = _pair(answer.get("driver_version"))
    if status == 0:
        probe.set_driver(parse.parse_driver_version(value), "nvml")
    for key in ("cuda_driver_version_v2", "cuda_driver_version"):
        status, value = _pair(answer.get(key))
        if status == 0:
            cuda = parse.cuda_from_int(value)
            if cuda is None:
                probe.notes.append(f"NVML {key}: implausible value {value!r}")
            probe.set_cuda(cuda, "nvml")
            if cuda is not None:
                break
        elif status is not None:
            probe.notes.append(f"NVML {key}: {tables.nvml_error_name(status)}")
    status, count = _pair(answer.get("count"))
    if status != 0 or not isinstance(count, int):
        name = tables.nvml_error_name(status) if status is not None else "no answer"
        probe.outcome("nvml", FAILED, f"device count failed: {name}")
        return
    devices: List[Device] = []
    raw_devices = answer.get("devices")
    for raw in raw_devices if isinstance(raw_devices, list) else []:
        device = _nvml_device(raw, probe.notes)
        if device is not None:
            devices.append(device)
    probe.set_devices(devices, "nvml")
    lost = sum(d.error is not None for d in devices)
    probe.outcome(
        "nvml", OK, f"{len(devices)} GPU(s)" + (f", {lost} could not be opened" if lost else "")
    )


def _nvml_device(raw: Any, notes: List[str]) -> Optional[Device]:
    if not isinstance(raw, dict):
        notes.append("NVML: malformed device entry skipped")
        return None
    index = raw.get("index") if isinstance(raw.get("index"), int) else None
    status, _ = _pair(raw.get("handle"))
    if status != 0:
        # Listed but not described: kept, so another probe or a table can describe it.
        name = tables.nvml_error_name(status) if status is not None else "no answer"
        return Device(index, None, None, "nvml", error=f"NVML could not open it ({name})")

    def value(key: str) -> Any:
        code, val = _pair(raw.get(key))
        return val if code == 0 else None

    cc_status, cc_value = _pair(raw.get("cc"))
    cc = _cc_pair(cc_value) if cc_status == 0 else None
    if cc is None:
        reason = tables.nvml_error_name(cc_status) if cc_status else "no answer"
        notes.append(f"GPU {index}: compute capability unavailable ({reason})")
    model = value("driver_model")
    driver_model = tables.NVML_DRIVER_MODELS.get(model[0]) if isinstance(model, list) else None
    mig = value("mig_mode")
    mig_mode = None
    if isinstance(mig, list) and mig:
        mig_mode = "enabled" if mig[0] == 1 else "disabled"
    migs: List[Dict[str, Any]] = []
    raw_migs = raw.get("mig_devices")
    for entry in raw_migs if isinstance(raw_migs, list) else []:
        if not isinstance(entry, dict):
            continue
        name_status, mig_name = _pair(entry.get("name"))
        uuid_status, mig_uuid = _pair(entry.get("uuid"))
        mem_status, mig_mem = _pair(entry.get("memory_total"))
        migs.append(
            {
                "index": entry.get("index"),
                "name": _str_or_none(mig_name) if name_status == 0 else None,
                "uuid": _str_or_none(mig_uuid) if uuid_status == 0 else None,
                "memory_total_mib": _mib(mig_mem) if mem_status == 0 else None,
            }
        )
    return Device(
        index=index,
        name=_str_or_none(value("name")),
        cc=cc,
        source="nvml",
        uuid=_str_or_none(value("uuid")),
        pci_bus_id=_str_or_none(value("pci_bus_id")),
        memory_total_mib=_mib(value("memory_total")),
        mig_mode=mig_mode,
        mig_devices=migs,
        driver_model=driver_model,
    )
