"""Level Zero, the parent half: the facade, and the reading of the child's answer.

The child half is :func:`.native.query` (ctypes against ``ze_loader``, run in
a short-lived child process through :data:`LEVEL_ZERO`, so ctypes and the
driver never load in the caller).  Here its plain-JSON answer becomes the
``info["level_zero"]`` state (:func:`ask_level_zero`), the Intel GPU root
devices (:func:`level_zero_gpus`) and :class:`~.devices.Gpu` records
matched to their PCI functions (:func:`from_level_zero`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from variant_providers.pci import PciDevice
from variant_providers.system import (
    LibraryPlace,
    NativeError,
    NativeFacade,
    NativeTimeout,
    NativeUnavailable,
    System,
)

from .devices import Gpu, SubDevice
from .tables import INTEL_VENDOR_ID, decode_ip, family_for

__all__ = [
    "LEVEL_ZERO",
    "LINUX_LOADER",
    "WINDOWS_LOADER",
    "ZE_LIBRARIES",
    "ZE_ENV",
    "ask_level_zero",
    "from_level_zero",
    "has_linux_loader",
    "level_zero_gpus",
    "library_dirs",
    "result_name",
]

#: The Level Zero facade; its answer is recorded as ``native.level_zero``.
LEVEL_ZERO = NativeFacade("level_zero", "variant_providers.providers.intel.native:query")


#: Environment variables that change which devices Level Zero reports.
ZE_ENV = ("ZE_AFFINITY_MASK", "ZE_FLAT_DEVICE_HIERARCHY", "ZE_ENABLE_PCI_ID_DEVICE_ORDER")


ZE_DEVICE_TYPE_GPU = 1


ZE_DEVICE_PROPERTY_FLAG_INTEGRATED = 1 << 0


LINUX_LOADER = "libze_loader.so.1"

#: Where the Level Zero loader is on Windows (the GPU and NPU drivers install it;
#: the name has no ``64``).  On Linux the loader is found by its soname.
WINDOWS_LOADER = (LibraryPlace("SystemRoot", "System32/ze_loader.dll", "C:\\Windows"),)

#: Shared objects whose install or upgrade changes what Level Zero answers:
#: the loader and Intel's GPU driver behind it (compute-runtime).
ZE_LIBRARIES = (LINUX_LOADER, "libze_intel_gpu.so.1")


def library_dirs(system: System) -> Tuple[str, ...]:
    arch = system.platform.arch
    return (f"/usr/lib/{arch}-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib")


def has_linux_loader(system: System) -> bool:
    """Whether the Level Zero loader is installed where the Linux loader finds it."""
    return any(system.exists(f"{d}/{LINUX_LOADER}") for d in library_dirs(system))


#: ``ze_result_t`` names (``ze_api.h``) for the codes worth naming in a report.
ZE_RESULTS = {
    0x0: "ZE_RESULT_SUCCESS",
    0x1: "ZE_RESULT_NOT_READY",
    0x70000001: "ZE_RESULT_ERROR_DEVICE_LOST",
    0x70000002: "ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY",
    0x70000003: "ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY",
    0x70010000: "ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS",
    0x70010001: "ZE_RESULT_ERROR_NOT_AVAILABLE",
    0x70020000: "ZE_RESULT_ERROR_DEPENDENCY_UNAVAILABLE",
    0x78000001: "ZE_RESULT_ERROR_UNINITIALIZED",
    0x78000002: "ZE_RESULT_ERROR_UNSUPPORTED_VERSION",
    0x78000003: "ZE_RESULT_ERROR_UNSUPPORTED_FEATURE",
    0x78000004: "ZE_RESULT_ERROR_INVALID_ARGUMENT",
    0x7FFFFFFE: "ZE_RESULT_ERROR_UNKNOWN",
}


def result_name(code: Any) -> str:
    """``0x78000001`` → ``"ZE_RESULT_ERROR_UNINITIALIZED"``; unknown codes in hex."""
    if isinstance(code, bool) or not isinstance(code, int):
        return str(code)
    return ZE_RESULTS.get(code, f"0x{code:08x}")


def _api_version(value: Any) -> Optional[str]:
    """``ZE_MAKE_VERSION(major, minor)`` = ``(major << 16) | minor`` → ``"1.13"``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return f"{value >> 16}.{value & 0xFFFF}"


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _decode_or_none(value: Any) -> Optional[str]:
    number = _int(value)
    if not number:
        return None
    try:
        return decode_ip(number)
    except ValueError:
        return None


def ask_level_zero(
    system: System, facade: NativeFacade
) -> Tuple[Optional[Dict[str, Any]], Dict[str, Any]]:
    """Run the facade; return ``(answer or None, info["level_zero"])``."""
    try:
        answer = system.native(facade)
    except NativeTimeout as exc:
        return None, {"status": "timeout", "detail": str(exc)}
    except NativeUnavailable as exc:
        return None, {"status": "unavailable", "detail": str(exc)}
    except NativeError as exc:
        return None, {"status": "error", "detail": str(exc)}
    if not isinstance(answer, dict):
        return None, {"status": "error", "detail": "malformed answer"}
    loader = _dict(answer.get("loader"))
    state: Dict[str, Any] = {"library": loader.get("library")}
    if not loader.get("ok"):
        state.update(status="no-library", detail=str(loader.get("error", "not loaded")))
        return None, state
    init = _dict(answer.get("init"))
    state["init"] = init.get("function")
    if answer.get("error"):
        state.update(status="error", detail=str(answer["error"]))
        return None, state
    code = init.get("result")
    state["result"] = result_name(code)
    if code != 0:
        state["status"] = "init-failed"
        return None, state
    drivers = answer.get("drivers")
    if not isinstance(drivers, list):
        state.update(status="error", detail="no driver list in answer")
        return None, state
    versions = [_api_version(d.get("api_version")) for d in drivers if isinstance(d, dict)]
    state["api_versions"] = sorted({v for v in versions if v})
    state["status"] = "ok"
    return answer, state


def level_zero_gpus(answer: Dict[str, Any]) -> Tuple[List[Dict[str, Any]], List[str]]:
    """The Intel GPU root devices of every driver, in enumeration order, and the
    ``ze_result_t`` names of the root devices whose properties could not be read."""
    gpus: List[Dict[str, Any]] = []
    failed: List[str] = []
    for driver in answer.get("drivers") or []:
        if not isinstance(driver, dict):
            continue
        for dev in driver.get("devices") or []:
            if not isinstance(dev, dict):
                continue
            if dev.get("result", 0) != 0:
                failed.append(result_name(dev.get("result")))
                continue
            if dev.get("type") == ZE_DEVICE_TYPE_GPU and dev.get("vendor_id") == INTEL_VENDOR_ID:
                gpus.append(dev)
    return gpus, failed


def from_level_zero(
    gpus: Sequence[Dict[str, Any]], pci: Sequence[PciDevice]
) -> Tuple[List[Gpu], List[PciDevice]]:
    """One :class:`~.devices.Gpu` per Level Zero GPU, matched to its PCI function by id,
    and the PCI functions no Level Zero GPU matched."""
    unmatched = list(pci)
    devices: List[Gpu] = []
    for dev in gpus:
        device_id = _int(dev.get("device_id"))
        match = next((p for p in unmatched if p.device == device_id), None)
        if match is not None:
            unmatched.remove(match)
        family = family_for(device_id) if device_id is not None else None
        ip_version = _int(dev.get("ip_version"))
        ip: Optional[str] = None
        ip_source: Optional[str] = None
        if ip_version:
            try:
                ip, ip_source = decode_ip(ip_version), "level_zero"
            except ValueError:
                ip = None
        if ip is None and family is not None:
            ip, ip_source = family.ip, "pci-table"
        flags = _int(dev.get("flags")) or 0
        subdevices = dev.get("subdevices")
        entry = Gpu(
            pci=match.address if match else None,
            device_id=f"0x{device_id:04x}" if device_id is not None else None,
            name=str(dev.get("name") or "") or None,
            driver=match.driver if match else None,
            family=family.name if family else None,
            integrated=bool(flags & ZE_DEVICE_PROPERTY_FLAG_INTEGRATED),
            integrated_source="level_zero",
            ip=ip,
            ip_source=ip_source,
        )
        if isinstance(subdevices, list) and subdevices:
            entry.subdevices = [
                SubDevice(_int(s.get("subdevice_id")), _decode_or_none(s.get("ip_version")))
                for s in subdevices
                if isinstance(s, dict)
            ]
        devices.append(entry)
    return devices, unmatched
