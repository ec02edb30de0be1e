"""The sysfs probe: ACME devices under ``/sys/class/acme`` and their ``generation`` files.

One module per probe: what it reads, how it parses what it read, and what it
says when a read fails.  Optional files go through
:func:`variant_providers.probe.read_optional`: a missing file is normal.  A
probe that needs a vendor library would hold both halves here: the function
run in a child process through a ``NativeFacade``, and the code reading its
answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from variant_providers import System
from variant_providers.fingerprint import file_fingerprint
from variant_providers.probe import list_optional, read_optional

from .vocab import parse_generation

SYSFS = "/sys/class/acme"


@dataclass(frozen=True)
class Device:
    """One ACME device."""

    name: str
    generation: int

    def to_info(self) -> dict[str, object]:
        return {"name": self.name, "generation": self.generation}


def _read(system: System, path: str) -> str:
    return (read_optional(system, path).text or "").strip()


def device_names(system: System) -> Optional[List[str]]:
    """The device directories, or ``None`` when there is no ACME driver."""
    return list_optional(system, SYSFS).names


#: What the answer depends on, cheaply: the device list and generations.  Declared
#: as data, so an installer's cache can check it without running this package.
fingerprint = file_fingerprint(entries=[(SYSFS, "generation")])


def read_devices(system: System, names: List[str]) -> Tuple[List[Device], List[str]]:
    """The devices with a known generation, and a note for each one skipped."""
    devices: List[Device] = []
    notes: List[str] = []
    for name in names:
        text = _read(system, f"{SYSFS}/{name}/generation")
        generation = parse_generation(text)
        if generation is None:
            notes.append(f"{name}: unreadable or unknown generation {text!r}, skipped")
            continue
        devices.append(Device(name, generation))
    return devices, notes
