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

from typing import Any, Dict, List, Mapping, Optional, Sequence

from variant_providers.model import FeatureConfig
from variant_providers.pci import DISPLAY_CLASS, PciDevice, scan_pci
from variant_providers.provider import ProviderOutput, Status
from variant_providers.record_class import replace
from variant_providers.system import NativeFacade, System, find_libraries

from .devices import Gpu, discrete_first
from .level_zero import (
    LEVEL_ZERO,
    WINDOWS_LOADER,
    ZE_ENV,
    ask_level_zero,
    from_level_zero,
    has_linux_loader,
    level_zero_gpus,
)
from .sysfs import from_table, split_usable
from .tables import INTEL_VENDOR_ID, device_ip_values
from .vocab import FEATURE

__all__ = ["detect"]


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
        usable, other = split_usable(scan)
        if other:
            info["skipped"] = [
                {**Gpu.from_pci(d).identity(), "why": f"bound to {d.driver}, not a GPU driver"}
                for d in other
            ]
        if not usable and not other and system.exists("/dev/dxg"):
            # WSL2: GPUs are projected over /dev/dxg, not on the guest's PCI bus.
            if not has_linux_loader(system):
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

    answer, level_zero = ask_level_zero(system, facade)
    info["level_zero"] = level_zero
    gpus, failed = level_zero_gpus(answer) if answer is not None else ([], [])
    if failed:
        level_zero["failed_devices"] = failed
    if gpus:
        devices, unmatched = from_level_zero(gpus, usable)
        devices += _stand_in_for_failed(unmatched, failed, env, info)
    else:
        if answer is not None:
            level_zero["status"] = "no-devices"
        devices = from_table(usable)
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
        if dev.driver is None and dev.pci is not None:
            dev.note = "no kernel driver bound"
    devices = discrete_first(devices)
    info["devices"] = [d.to_info() for d in devices]

    values, dropped = device_ip_values(d.ip for d in devices if d.ip)
    if dropped:
        info["unknown_ips"] = dropped
    unknown_ids = [d.device_id for d in devices if not d.ip]
    if unknown_ids:
        info["unknown_device_ids"] = unknown_ids
    info["source"] = {FEATURE: _source(devices)}
    if not values:
        if devices:
            reason = f"{len(devices)} Intel GPU(s), none with a device IP this provider knows"
            return ProviderOutput(info=info, reason=reason)
        status: Optional[Status] = "timeout" if level_zero.get("status") == "timeout" else None
        reason = f"no Intel GPU found (Level Zero: {level_zero.get('status')})"
        return ProviderOutput(info=info, status=status, reason=reason)
    return ProviderOutput(features=[FeatureConfig(FEATURE, values, multi_value=True)], info=info)


def _stand_in_for_failed(
    unmatched: Sequence[PciDevice],
    failed: Sequence[str],
    env: Mapping[str, Optional[str]],
    info: Dict[str, Any],
) -> List[Gpu]:
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
    return from_table(unmatched)


def _source(devices: Sequence[Gpu]) -> str:
    sources = [d.ip_source for d in devices if d.ip_source]
    return "+".join(dict.fromkeys(sources)) or "none"
