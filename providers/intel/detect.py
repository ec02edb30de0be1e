"""Detect the device IPs of Intel GPUs (namespace ``intel``, feature ``device_ip``).

The vocabulary is the wheelnext intel-variant-provider's: one multi-value
feature ``device_ip`` whose values are, for every Intel GPU (discrete ones
first, then integrated ones, each group in enumeration order), its IP
``architecture.release.revision`` followed by the base IP it is binary
compatible with — de-duplicated and limited to the IPs in
:data:`~.tables.KNOWN_IPS`.  ``INTEL_VARIANT_PROVIDER_FORCE_DEVICE_IP``
replaces detection with exactly that one value (declared on the
``Provider`` record and applied by the host, never read here).

Detection, cheapest first:

1. **PCI sysfs** — Intel (``0x8086``) functions of display class ``0x03``
   and the kernel driver bound to each (``i915`` or ``xe``).  No such
   device: not detected, without starting anything.
2. **Level Zero** — in a child process with a timeout
   (:mod:`.native`): every GPU's device IP from the
   ``ZE_extension_device_ip_version`` extension, its INTEGRATED flag, its
   sub-devices.  ``ZE_AFFINITY_MASK`` and ``ZE_FLAT_DEVICE_HIERARCHY``
   change what Level Zero shows and are recorded in ``info``.
3. **PCI device-id table** — when Level Zero is missing, fails or hangs,
   or fails for one device while answering for others, each such device's
   IP comes from :data:`~.tables.FAMILY_BY_DEVICE_ID` and ``info`` says so
   (``source: pci-table``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from variant_providers.model import FeatureConfig
from variant_providers.pci import DISPLAY_CLASS, PciDevice, PciScan, scan_pci
from variant_providers.provider import ProviderOutput
from variant_providers.system import (
    NativeError,
    NativeFacade,
    NativeTimeout,
    NativeUnavailable,
    System,
    find_libraries,
)

from .tables import (
    DEVICE_NAMES,
    INTEL_VENDOR_ID,
    LINUX_LOADER,
    WINDOWS_LOADER,
    decode_ip,
    device_ip_values,
    family_for,
    library_dirs,
)
from .vocab import FEATURE, FORCE_VARIABLE

__all__ = [
    "FEATURE",
    "FORCE_VARIABLE",
    "INTEL_VENDOR_ID",
    "LEVEL_ZERO",
    "ZE_ENV",
    "detect",
    "result_name",
]


#: Kernel drivers through which Level Zero (compute-runtime) reaches a GPU.
GPU_DRIVERS = ("i915", "xe")

#: The Level Zero facade; its answer is recorded as ``native.level_zero``.
LEVEL_ZERO = NativeFacade("level_zero", "variant_providers.providers.intel.native:query")

#: Environment variables that change which devices Level Zero reports.
ZE_ENV = ("ZE_AFFINITY_MASK", "ZE_FLAT_DEVICE_HIERARCHY", "ZE_ENABLE_PCI_ID_DEVICE_ORDER")

ZE_DEVICE_TYPE_GPU = 1
ZE_DEVICE_PROPERTY_FLAG_INTEGRATED = 1 << 0

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


# -- the cheap layer ----------------------------------------------------------------------


def _pci_entry(dev: PciDevice) -> Dict[str, Any]:
    family = family_for(dev.device)
    return {
        "pci": dev.address,
        "device_id": f"0x{dev.device:04x}",
        "name": DEVICE_NAMES.get(dev.device),
        "driver": dev.driver,
        "family": family.name if family else None,
    }


def _split_usable(scan: PciScan) -> Tuple[List[PciDevice], List[PciDevice]]:
    """Devices a GPU driver can use (i915, xe, or none bound yet) vs. the rest (vfio …)."""
    usable = [d for d in scan.devices if d.driver is None or d.driver in GPU_DRIVERS]
    other = [d for d in scan.devices if d not in usable]
    return usable, other


# -- Level Zero ---------------------------------------------------------------------------


def _ask_level_zero(
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


def _level_zero_gpus(answer: Dict[str, Any]) -> Tuple[List[Dict[str, Any]], List[str]]:
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


def _from_level_zero(
    gpus: Sequence[Dict[str, Any]], pci: Sequence[PciDevice]
) -> Tuple[List[Dict[str, Any]], List[PciDevice]]:
    """One ``info`` device per Level Zero GPU, matched to its PCI function by id,
    and the PCI functions no Level Zero GPU matched."""
    unmatched = list(pci)
    devices: List[Dict[str, Any]] = []
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
        entry: Dict[str, Any] = {
            "pci": match.address if match else None,
            "device_id": f"0x{device_id:04x}" if device_id is not None else None,
            "name": str(dev.get("name") or "") or None,
            "driver": match.driver if match else None,
            "family": family.name if family else None,
            "integrated": bool(flags & ZE_DEVICE_PROPERTY_FLAG_INTEGRATED),
            "integrated_source": "level_zero",
            "ip": ip,
            "ip_source": ip_source,
        }
        if isinstance(subdevices, list) and subdevices:
            entry["subdevices"] = [
                {
                    "subdevice_id": _int(s.get("subdevice_id")),
                    "ip": _decode_or_none(s.get("ip_version")),
                }
                for s in subdevices
                if isinstance(s, dict)
            ]
        devices.append(entry)
    return devices, unmatched


def _stand_in_for_failed(
    unmatched: Sequence[PciDevice],
    failed: Sequence[str],
    env: Mapping[str, Optional[str]],
    info: Dict[str, Any],
) -> List[Dict[str, Any]]:
    """Table answers for the PCI GPUs behind Level Zero devices that failed.

    Level Zero names no device id for a device whose properties it could not
    read, so the PCI functions no Level Zero GPU matched stand for them.
    Without ``ZE_AFFINITY_MASK`` every unmatched function is one of those; with
    a mask the unmatched ones may be deliberately hidden, so they are used
    only when their number is that of the failed devices.
    """
    if not failed or not unmatched:
        return []
    if env.get("ZE_AFFINITY_MASK") and len(unmatched) != len(failed):
        return []
    notes = info.setdefault("notes", [])
    notes.append(
        f"{len(failed)} Level Zero device(s) failed ({', '.join(failed)}): "
        "their device IPs come from the PCI device-id table"
    )
    return _from_table(unmatched)


#: Sort rank of ``integrated``: discrete GPUs, unknown, then integrated ones.
_INTEGRATED_RANK = {False: 0, None: 1, True: 2}


def discrete_first(devices: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Discrete GPUs before integrated ones (as the AMD provider orders), each
    group in enumeration order, so an iGPU enumerated first cannot outrank
    the card a wheel is really for."""
    return sorted(devices, key=lambda d: _INTEGRATED_RANK.get(d.get("integrated"), 1))


def _decode_or_none(value: Any) -> Optional[str]:
    number = _int(value)
    if not number:
        return None
    try:
        return decode_ip(number)
    except ValueError:
        return None


def _from_table(pci: Sequence[PciDevice]) -> List[Dict[str, Any]]:
    """One ``info`` device per PCI function, its IP from the device-id table."""
    devices: List[Dict[str, Any]] = []
    for dev in pci:
        family = family_for(dev.device)
        entry = _pci_entry(dev)
        if family is not None:
            entry.update(integrated=family.integrated, integrated_source="pci-table")
        elif dev.address.endswith(":00:02.0"):
            # Intel iGPUs sit at 00:02.0 on every platform since Sandy Bridge.
            entry.update(integrated=True, integrated_source="pci-slot")
        else:
            entry.update(integrated=None, integrated_source=None)
        entry.update(ip=family.ip if family else None, ip_source="pci-table" if family else None)
        devices.append(entry)
    return devices


# -- the provider -------------------------------------------------------------------------


def _source(devices: Sequence[Dict[str, Any]]) -> str:
    sources = [d["ip_source"] for d in devices if d.get("ip_source")]
    return "+".join(dict.fromkeys(sources)) or "none"


def detect(system: System) -> ProviderOutput:
    """The ``intel`` namespace for *system*."""
    if system.platform.is_windows:
        # No PCI sysfs: Level Zero itself enumerates the GPUs (through the display devnodes).
        libraries = find_libraries(system, WINDOWS_LOADER)
        if not libraries:
            return ProviderOutput(reason="no Level Zero loader (System32\\ze_loader.dll)")
        return _detect_with(system, {}, [], replace(LEVEL_ZERO, args=(libraries,)))
    if not system.platform.is_linux:
        return ProviderOutput(reason=f"no detector for {system.platform.system} yet")

    scan = scan_pci(system, vendor=INTEL_VENDOR_ID, base_class=DISPLAY_CLASS)
    info: Dict[str, Any] = {}
    if scan.errors:
        info["pci_errors"] = list(scan.errors)
    if not scan.available:
        # No PCI sysfs (a sandbox): only a DRM node justifies asking Level Zero.
        if not system.exists("/dev/dri") and not system.exists("/dev/dxg"):
            return ProviderOutput(info=info, reason=f"no PCI sysfs ({scan.error}) and no /dev/dri")
        info["pci"] = f"unavailable ({scan.error})"
        usable: List[PciDevice] = []
    else:
        usable, other = _split_usable(scan)
        if other:
            info["skipped"] = [
                {**_pci_entry(d), "why": f"bound to {d.driver}, not a GPU driver"} for d in other
            ]
        if not usable and not other and system.exists("/dev/dxg"):
            # WSL2: GPUs are projected over /dev/dxg, not on the guest's PCI bus.
            if not _has_linux_loader(system):
                return ProviderOutput(
                    info=info, reason="WSL GPU (/dev/dxg) but no Level Zero loader installed"
                )
            info["wsl"] = True
            return _detect_with(system, info, [], LEVEL_ZERO)
        if not usable:
            reason = "no Intel display device on the PCI bus"
            if other:
                reason = (
                    "Intel display devices are bound to other drivers ("
                    + ", ".join(sorted({str(d.driver) for d in other}))
                    + ")"
                )
            return ProviderOutput(info=info, reason=reason)
    return _detect_with(system, info, usable, LEVEL_ZERO)


def _detect_with(
    system: System, info: Dict[str, Any], usable: List[PciDevice], facade: NativeFacade
) -> ProviderOutput:
    """Level Zero through *facade*, matched to the *usable* PCI functions (none on Windows)."""
    env = {name: system.getenv(name) for name in ZE_ENV}
    info["env"] = {k: v for k, v in env.items() if v is not None}

    answer, level_zero = _ask_level_zero(system, facade)
    info["level_zero"] = level_zero
    gpus, failed = _level_zero_gpus(answer) if answer is not None else ([], [])
    if failed:
        level_zero["failed_devices"] = failed
    if gpus:
        devices, unmatched = _from_level_zero(gpus, usable)
        devices += _stand_in_for_failed(unmatched, failed, env, info)
    else:
        if answer is not None:
            level_zero["status"] = "no-devices"
        devices = _from_table(usable)
        if usable:
            info["notes"] = [
                "device IPs come from the PCI device-id table: Level Zero "
                + {
                    "no-devices": "reported no Intel GPU",
                    "init-failed": f"init failed ({level_zero.get('result')})",
                    "no-library": "is not installed",
                    "timeout": "did not answer in time",
                }.get(str(level_zero.get("status")), "could not be asked")
            ]
    for dev in devices:
        if dev.get("driver") is None and dev.get("pci") is not None:
            dev["note"] = "no kernel driver bound"
    devices = discrete_first(devices)
    info["devices"] = devices

    values, dropped = device_ip_values(d["ip"] for d in devices if d.get("ip"))
    if dropped:
        info["unknown_ips"] = dropped
    unknown_ids = [d["device_id"] for d in devices if not d.get("ip")]
    if unknown_ids:
        info["unknown_device_ids"] = unknown_ids
    info["source"] = {FEATURE: _source(devices)}
    if not values:
        if devices:
            reason = f"{len(devices)} Intel GPU(s), none with a device IP this provider knows"
            return ProviderOutput(info=info, reason=reason)
        status = "timeout" if level_zero.get("status") == "timeout" else None
        reason = f"no Intel GPU found (Level Zero: {level_zero.get('status')})"
        return ProviderOutput(info=info, status=status, reason=reason)
    return ProviderOutput(features=[FeatureConfig(FEATURE, values, multi_value=True)], info=info)


def _has_linux_loader(system: System) -> bool:
    return any(system.exists(f"{d}/{LINUX_LOADER}") for d in library_dirs(system))
