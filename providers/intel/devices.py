"""The Intel provider's record of one GPU, as the PCI scan and Level Zero saw it.

Both probes (:mod:`.sysfs`, :mod:`.level_zero`) build :class:`Gpu` records;
:mod:`.detect` orders them and turns their device IPs into ``device_ip``.
``info["devices"]`` in the report is :meth:`Gpu.to_info` of each.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from variant_providers.pci import PciDevice
from variant_providers.record_class import dataclass

from .tables import DEVICE_NAMES, family_for

__all__ = ["Gpu", "SubDevice", "discrete_first"]


@dataclass(frozen=True)
class SubDevice:
    """One tile of a multi-tile GPU (Level Zero sub-device) and its own IP."""

    subdevice_id: Optional[int]
    ip: Optional[str]


@dataclass
class Gpu:
    """One Intel GPU: where it is, what it is, and where each fact came from."""

    pci: Optional[str]
    device_id: Optional[str]
    name: Optional[str]
    driver: Optional[str]
    family: Optional[str]
    integrated: Optional[bool] = None
    integrated_source: Optional[str] = None
    ip: Optional[str] = None
    ip_source: Optional[str] = None
    subdevices: Optional[List[SubDevice]] = None
    note: Optional[str] = None

    @classmethod
    def from_pci(cls, dev: PciDevice) -> Gpu:
        """The identity of a PCI function (address, id, names, bound driver, family)."""
        family = family_for(dev.device)
        return cls(
            pci=dev.address,
            device_id=f"0x{dev.device:04x}",
            name=DEVICE_NAMES.get(dev.device),
            driver=dev.driver,
            family=family.name if family else None,
        )

    def identity(self) -> Dict[str, Any]:
        """The PCI identity fields only (the report's skipped devices)."""
        return {
            "pci": self.pci,
            "device_id": self.device_id,
            "name": self.name,
            "driver": self.driver,
            "family": self.family,
        }

    def to_info(self) -> Dict[str, Any]:
        """The JSON shape of ``info["devices"]`` entries."""
        info = self.identity()
        info.update(
            integrated=self.integrated,
            integrated_source=self.integrated_source,
            ip=self.ip,
            ip_source=self.ip_source,
        )
        if self.subdevices is not None:
            info["subdevices"] = [
                {"subdevice_id": s.subdevice_id, "ip": s.ip} for s in self.subdevices
            ]
        if self.note is not None:
            info["note"] = self.note
        return info


#: Sort rank of ``integrated``: discrete GPUs, unknown, then integrated ones.
_INTEGRATED_RANK = {False: 0, None: 1, True: 2}


def discrete_first(devices: Sequence[Gpu]) -> List[Gpu]:
    """Discrete GPUs before integrated ones (as the AMD provider orders), each
    group in enumeration order, so an iGPU enumerated first cannot outrank
    the card a wheel is really for."""
    return sorted(devices, key=lambda d: _INTEGRATED_RANK.get(d.integrated, 1))
