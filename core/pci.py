"""A small PCI scanner over sysfs, through the machine seam.

Every GPU vendor starts the same way: which PCI functions carry my vendor id
and a display class, which kernel driver is bound to them.  Linux answers in
``/sys/bus/pci/devices/<address>/``:

* ``vendor``, ``device``, ``subsystem_vendor``, ``subsystem_device`` — hex
  with a ``0x`` prefix (``0x8086``, ``0x56a0``);
* ``class`` — the 24-bit class code (``0x030000``: base class 0x03 display,
  subclass 0x00 VGA; 0x0302 is 3D, 0x0380 other display);
* ``revision`` — the PCI revision id;
* ``driver`` — a symlink ending in ``/bus/pci/drivers/<name>`` when a driver
  is bound.

The scan only reads files (microseconds, cannot hang), filters as early as
it can (class first, then vendor, so the many bridges of a chipset cost one
read each), and turns unreadable files into data: a device whose ``vendor``
cannot be read is skipped and noted in :attr:`PciScan.errors`, never raised.
"""

from __future__ import annotations

import errno
from typing import Any, Dict, List, Optional, Tuple

from .record_class import dataclass, field
from .system import System

__all__ = [
    "DISPLAY_CLASS",
    "PCI_DEVICES",
    "PciDevice",
    "PciScan",
    "parse_hex",
    "read_pci_device",
    "scan_pci",
]

#: Where Linux lists every PCI function.
PCI_DEVICES = "/sys/bus/pci/devices"

#: PCI base class of display controllers (VGA 0x0300, 3D 0x0302, other 0x0380).
DISPLAY_CLASS = 0x03


def parse_hex(text: str) -> Optional[int]:
    """``"0x8086\\n"`` → ``0x8086``; ``None`` for anything that is not hex."""
    value = text.strip().lower()
    if value.startswith("0x"):
        value = value[2:]
    if not value or len(value) > 8:
        return None
    try:
        return int(value, 16)
    except ValueError:
        return None


def _errno_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, "EIO")


@dataclass(frozen=True)
class PciDevice:
    """One PCI function as sysfs describes it.

    ``class_code`` is the 24-bit class (``0x030000``); ``driver`` is the name
    of the bound kernel driver (``"i915"``, ``"xe"``, ``"amdgpu"``,
    ``"nvidia"``) or ``None`` when none is bound (or the link is unreadable).
    """

    address: str
    vendor: int
    device: int
    class_code: Optional[int] = None
    revision: Optional[int] = None
    subsystem_vendor: Optional[int] = None
    subsystem_device: Optional[int] = None
    driver: Optional[str] = None

    @property
    def base_class(self) -> Optional[int]:
        """The PCI base class (``0x03`` for display controllers)."""
        return None if self.class_code is None else self.class_code >> 16

    @property
    def is_display(self) -> bool:
        return self.base_class == DISPLAY_CLASS

    @property
    def pci_id(self) -> str:
        """``"8086:56a0"``, the form ``lspci -n`` prints."""
        return f"{self.vendor:04x}:{self.device:04x}"

    def to_dict(self) -> Dict[str, Any]:
        """JSON form for a provider's ``info``."""
        data: Dict[str, Any] = {
            "address": self.address,
            "vendor": f"0x{self.vendor:04x}",
            "device": f"0x{self.device:04x}",
        }
        if self.class_code is not None:
            data["class"] = f"0x{self.class_code:06x}"
        if self.revision is not None:
            data["revision"] = f"0x{self.revision:02x}"
        if self.subsystem_vendor is not None and self.subsystem_device is not None:
            data["subsystem"] = f"{self.subsystem_vendor:04x}:{self.subsystem_device:04x}"
        data["driver"] = self.driver
        return data


@dataclass(frozen=True)
class PciScan:
    """The result of :func:`scan_pci`.

    ``available`` is False when the PCI directory itself could not be listed
    (no sysfs, a sandbox); ``error`` then names the errno.  ``errors`` holds
    one ``"path: ERRNO"`` line per file that could not be read.
    """

    devices: Tuple[PciDevice, ...] = ()
    available: bool = True
    error: Optional[str] = None
    errors: Tuple[str, ...] = field(default=())


def _read_hex(system: System, path: str, errors: List[str]) -> Optional[int]:
    try:
        text = system.read_text(path)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            errors.append(f"{path}: {_errno_name(exc)}")
        return None
    value = parse_hex(text)
    if value is None:
        errors.append(f"{path}: not a hex number ({text.strip()[:20]!r})")
    return value


def _driver_name(system: System, path: str, errors: List[str]) -> Optional[str]:
    try:
        target = system.readlink(path)
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.EINVAL):
            errors.append(f"{path}: {_errno_name(exc)}")
        return None
    name = target.rstrip("/").rsplit("/", 1)[-1]
    return name or None


def read_pci_device(
    system: System,
    address: str,
    *,
    vendor: Optional[int] = None,
    base_class: Optional[int] = None,
    errors: Optional[List[str]] = None,
) -> Optional[PciDevice]:
    """Read one PCI function, or ``None`` when it does not match the filters.

    The class is read first when *base_class* is given and the vendor first
    when only *vendor* is, so a non-matching device costs a single read.
    """
    errs: List[str] = [] if errors is None else errors
    base = f"{PCI_DEVICES}/{address}"
    class_code: Optional[int] = None
    if base_class is not None:
        class_code = _read_hex(system, f"{base}/class", errs)
        if class_code is None or class_code >> 16 != base_class:
            return None
    vendor_id = _read_hex(system, f"{base}/vendor", errs)
    if vendor_id is None or (vendor is not None and vendor_id != vendor):
        return None
    device_id = _read_hex(system, f"{base}/device", errs)
    if device_id is None:
        return None
    if base_class is None:
        class_code = _read_hex(system, f"{base}/class", errs)
    return PciDevice(
        address=address,
        vendor=vendor_id,
        device=device_id,
        class_code=class_code,
        revision=_read_hex(system, f"{base}/revision", errs),
        subsystem_vendor=_read_hex(system, f"{base}/subsystem_vendor", errs),
        subsystem_device=_read_hex(system, f"{base}/subsystem_device", errs),
        driver=_driver_name(system, f"{base}/driver", errs),
    )


def scan_pci(
    system: System, *, vendor: Optional[int] = None, base_class: Optional[int] = None
) -> PciScan:
    """Every PCI function matching *vendor* and *base_class*, in address order.

    >>> scan = scan_pci(system, vendor=0x8086, base_class=DISPLAY_CLASS)  # doctest: +SKIP
    >>> [(d.address, d.pci_id, d.driver) for d in scan.devices]  # doctest: +SKIP
    [('0000:03:00.0', '8086:56a0', 'i915')]
    """
    try:
        addresses = system.listdir(PCI_DEVICES)
    except OSError as exc:
        return PciScan(available=False, error=_errno_name(exc))
    errors: List[str] = []
    found: List[PciDevice] = []
    for address in addresses:
        dev = read_pci_device(system, address, vendor=vendor, base_class=base_class, errors=errors)
        if dev is not None:
            found.append(dev)
    return PciScan(devices=tuple(found), errors=tuple(errors))
