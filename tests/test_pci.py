"""The shared PCI sysfs scanner (variant_providers.pci)."""

from __future__ import annotations

from typing import Dict, List

import pytest

from variant_providers.pci import (
    DISPLAY_CLASS,
    PCI_DEVICES,
    PciDevice,
    parse_hex,
    read_pci_device,
    scan_pci,
)
from variant_providers.testing import FakeSystem


def _pci_files(
    address: str, vendor: str, device: str, cls: str, extra: bool = True
) -> Dict[str, str]:
    base = f"{PCI_DEVICES}/{address}"
    files = {f"{base}/vendor": vendor, f"{base}/device": device, f"{base}/class": cls}
    if extra:
        files.update(
            {
                f"{base}/revision": "0x08\n",
                f"{base}/subsystem_vendor": "0x8086\n",
                f"{base}/subsystem_device": "0x1020\n",
            }
        )
    return files


@pytest.fixture
def workstation() -> FakeSystem:
    """A host bridge, an Arc A770 on i915, its audio function, and an NVIDIA card."""
    files: Dict[str, str] = {}
    files.update(_pci_files("0000:00:00.0", "0x8086\n", "0x4660\n", "0x060000\n"))
    files.update(_pci_files("0000:03:00.0", "0x8086\n", "0x56a0\n", "0x030000\n"))
    files.update(_pci_files("0000:04:00.0", "0x8086\n", "0x4f90\n", "0x040300\n"))
    files.update(_pci_files("0000:81:00.0", "0x10de\n", "0x2504\n", "0x030000\n", extra=False))
    addresses = ["0000:00:00.0", "0000:03:00.0", "0000:04:00.0", "0000:81:00.0"]
    links = {
        f"{PCI_DEVICES}/0000:03:00.0/driver": "../../../../../../bus/pci/drivers/i915",
        f"{PCI_DEVICES}/0000:04:00.0/driver": "../../../../../../bus/pci/drivers/snd_hda_intel",
        f"{PCI_DEVICES}/0000:81:00.0/driver": "../../../bus/pci/drivers/nvidia",
    }
    return FakeSystem(files=files, links=links, dirs={PCI_DEVICES: addresses})


def test_parse_hex() -> None:
    assert parse_hex("0x8086\n") == 0x8086
    assert parse_hex("0X56A0") == 0x56A0
    assert parse_hex("030000") == 0x030000
    for garbage in ("", "0x", "vendor", "0x80 86", "\x00\x01", "0x123456789"):
        assert parse_hex(garbage) is None


def test_scan_without_filters_lists_everything_in_address_order(
    workstation: FakeSystem,
) -> None:
    scan = scan_pci(workstation)
    assert scan.available and not scan.errors
    assert [d.address for d in scan.devices] == [
        "0000:00:00.0",
        "0000:03:00.0",
        "0000:04:00.0",
        "0000:81:00.0",
    ]
    arc = scan.devices[1]
    assert arc == PciDevice(
        address="0000:03:00.0",
        vendor=0x8086,
        device=0x56A0,
        class_code=0x030000,
        revision=0x08,
        subsystem_vendor=0x8086,
        subsystem_device=0x1020,
        driver="i915",
    )
    assert arc.is_display and arc.base_class == 0x03 and arc.pci_id == "8086:56a0"
    assert scan.devices[0].driver is None  # no driver link: nothing bound
    # Missing optional files (revision, subsystem) are not errors.
    assert scan.devices[3].revision is None and scan.devices[3].driver == "nvidia"


def test_scan_filters_by_vendor_and_display_class(workstation: FakeSystem) -> None:
    scan = scan_pci(workstation, vendor=0x8086, base_class=DISPLAY_CLASS)
    assert [d.address for d in scan.devices] == ["0000:03:00.0"]
    nvidia = scan_pci(workstation, vendor=0x10DE)
    assert [d.pci_id for d in nvidia.devices] == ["10de:2504"]


def test_class_filter_costs_one_read_per_non_matching_device(
    workstation: FakeSystem,
) -> None:
    scan_pci(workstation, vendor=0x8086, base_class=DISPLAY_CLASS)
    bridge_reads = [p for p in workstation.asked("read") if "/0000:00:00.0/" in p]
    audio_reads = [p for p in workstation.asked("read") if "/0000:04:00.0/" in p]
    nvidia_reads = [p for p in workstation.asked("read") if "/0000:81:00.0/" in p]
    assert bridge_reads == [f"{PCI_DEVICES}/0000:00:00.0/class"]
    assert audio_reads == [f"{PCI_DEVICES}/0000:04:00.0/class"]
    # Display class, wrong vendor: class then vendor, nothing more.
    assert len(nvidia_reads) == 2


def test_missing_pci_directory_is_reported_not_raised() -> None:
    scan = scan_pci(FakeSystem())
    assert not scan.available and scan.error == "ENOENT" and scan.devices == ()


def test_masked_pci_directory() -> None:
    system = FakeSystem(errors={"/sys/bus/pci": "EACCES"})
    scan = scan_pci(system, vendor=0x8086)
    assert not scan.available and scan.error == "EACCES"


def test_garbage_and_unreadable_files_become_error_lines() -> None:
    files: Dict[str, str] = {}
    files.update(_pci_files("0000:00:02.0", "garbage\n", "0x4680\n", "0x030000\n"))
    files.update(_pci_files("0000:03:00.0", "0x8086\n", "0x56a0\n", "0x030000\n"))
    system = FakeSystem(
        files=files,
        errors={f"{PCI_DEVICES}/0000:03:00.0/device": "EACCES"},
        dirs={PCI_DEVICES: ["0000:00:02.0", "0000:03:00.0"]},
    )
    scan = scan_pci(system, vendor=0x8086)
    assert scan.available and scan.devices == ()
    assert scan.errors == (
        f"{PCI_DEVICES}/0000:00:02.0/vendor: not a hex number ('garbage')",
        f"{PCI_DEVICES}/0000:03:00.0/device: EACCES",
    )


def test_unreadable_driver_link_is_an_error_line() -> None:
    files = _pci_files("0000:00:02.0", "0x8086\n", "0x4680\n", "0x030000\n")
    system = FakeSystem(
        files=files,
        errors={f"{PCI_DEVICES}/0000:00:02.0/driver": "EPERM"},
        dirs={PCI_DEVICES: ["0000:00:02.0"]},
    )
    errors: List[str] = []
    dev = read_pci_device(system, "0000:00:02.0", errors=errors)
    assert dev is not None and dev.driver is None
    assert errors == [f"{PCI_DEVICES}/0000:00:02.0/driver: EPERM"]


def test_to_dict_is_json_friendly(workstation: FakeSystem) -> None:
    arc = scan_pci(workstation, vendor=0x8086, base_class=DISPLAY_CLASS).devices[0]
    assert arc.to_dict() == {
        "address": "0000:03:00.0",
        "vendor": "0x8086",
        "device": "0x56a0",
        "class": "0x030000",
        "revision": "0x08",
        "subsystem": "8086:1020",
        "driver": "i915",
    }
