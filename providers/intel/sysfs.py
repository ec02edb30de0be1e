"""The PCI sysfs probe: Intel display functions and the kernel driver bound to each.

The cheap first step (no process, no library): which Intel GPUs the PCI bus
has (:func:`variant_providers.pci.scan_pci`), which of them a GPU driver can
use (:func:`split_usable`), and, when Level Zero cannot say, each one's IP
from the device-id table (:func:`from_table`).
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

from variant_providers.pci import PciDevice, PciScan

from .devices import Gpu
from .tables import family_for

__all__ = ["GPU_DRIVERS", "from_table", "split_usable"]

#: Kernel drivers through which Level Zero (compute-runtime) reaches a GPU.
GPU_DRIVERS = ("i915", "xe")


def split_usable(scan: PciScan) -> Tuple[List[PciDevice], List[PciDevice]]:
    """Devices a GPU driver can use (i915, xe, or none bound yet) vs. the rest (vfio …)."""
    usable = [d for d in scan.devices if d.driver is None or d.driver in GPU_DRIVERS]
    other = [d for d in scan.devices if d not in usable]
    return usable, other


def from_table(pci: Sequence[PciDevice]) -> List[Gpu]:
    """One :class:`Gpu` per PCI function, its IP from the device-id table."""
    devices: List[Gpu] = []
    for dev in pci:
        family = family_for(dev.device)
        gpu = Gpu.from_pci(dev)
        if family is not None:
            gpu.integrated, gpu.integrated_source = family.integrated, "pci-table"
        elif dev.address.endswith(":00:02.0"):
            # Intel iGPUs sit at 00:02.0 on every platform since Sandy Bridge.
            gpu.integrated, gpu.integrated_source = True, "pci-slot"
        if family is not None:
            gpu.ip, gpu.ip_source = family.ip, "pci-table"
        devices.append(gpu)
    return devices
