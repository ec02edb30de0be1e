"""The NVIDIA provider's records: one GPU as a probe saw it, and what the probes found.

Every probe module (:mod:`.nvml`, :mod:`.libcuda`, :mod:`.smi`,
:mod:`.procfs`) fills the same :class:`Probe` with :class:`Device` records;
:mod:`.detect` turns the merged result into features.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from variant_providers.record_class import dataclass, field

from .parse import cuda_to_str

__all__ = ["ABSENT", "FAILED", "OK", "TIMEOUT", "Device", "Probe", "Version2", "borrow_cc"]

Version2 = Tuple[int, int]

# Outcomes of a probe that mean "this software is not here" rather than "it broke".
# Outcomes of a probe that mean "this software is not here" rather than "it broke".
ABSENT = "absent"

FAILED = "failed"

TIMEOUT = "timeout"

OK = "ok"


@dataclass
class Device:
    """One GPU as a probe reported it."""

    index: Optional[int]
    name: Optional[str]
    cc: Optional[Version2]
    source: str
    uuid: Optional[str] = None
    pci_bus_id: Optional[str] = None
    memory_total_mib: Optional[int] = None
    mig_mode: Optional[str] = None
    mig_devices: List[Dict[str, Any]] = field(default_factory=list)
    #: Where the compute capability came from when not from ``source`` itself.
    cc_source: Optional[str] = None
    #: Why the probe that listed this GPU could not describe it.
    error: Optional[str] = None
    #: Windows driver model: ``WDDM``, ``TCC`` or ``MCDM``.
    driver_model: Optional[str] = None

    def to_info(self) -> Dict[str, Any]:
        info: Dict[str, Any] = {
            "index": self.index,
            "name": self.name,
            "compute_capability": cuda_to_str(self.cc) if self.cc else None,
            "source": self.source,
        }
        for key in (
            "cc_source",
            "error",
            "uuid",
            "pci_bus_id",
            "memory_total_mib",
            "mig_mode",
            "driver_model",
        ):
            value = getattr(self, key)
            if value is not None:
                info[key] = value
        if self.mig_devices:
            info["mig_devices"] = self.mig_devices
        return info


@dataclass
class Probe:
    """What the driver-facing probes (NVML, libcuda, nvidia-smi) found, merged."""

    cuda: Optional[Version2] = None
    cuda_source: Optional[str] = None
    driver: Optional[str] = None
    driver_source: Optional[str] = None
    devices: Optional[List[Device]] = None
    devices_source: Optional[str] = None
    outcomes: Dict[str, str] = field(default_factory=dict)
    kinds: Dict[str, str] = field(default_factory=dict)
    #: The library file each native probe loaded (Windows: the DLL that answered).
    libraries: Dict[str, str] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    mismatch: bool = False

    @property
    def timed_out(self) -> bool:
        return TIMEOUT in self.kinds.values()

    @property
    def complete(self) -> bool:
        """Driver version known and every GPU listed has a compute capability."""
        return (
            self.cuda is not None
            and self.devices is not None
            and all(d.cc is not None for d in self.devices)
        )

    def add_devices(self, devices: List[Device], source: str) -> None:
        """Take *devices* as the GPU list, or use them to fill the gaps of the one there is."""
        if self.devices is None:
            self.set_devices(devices, source)
        else:
            borrow_cc(self.devices, devices, source)

    def set_cuda(self, cuda: Optional[Version2], source: str) -> None:
        if cuda is not None and self.cuda is None:
            self.cuda, self.cuda_source = cuda, source

    def set_driver(self, driver: Optional[str], source: str) -> None:
        if driver and self.driver is None:
            self.driver, self.driver_source = driver, source

    def set_devices(self, devices: Optional[List[Device]], source: str) -> None:
        if devices is not None and self.devices is None:
            self.devices, self.devices_source = devices, source

    def outcome(self, probe: str, kind: str, text: str) -> None:
        self.kinds[probe] = kind
        self.outcomes[probe] = text


def borrow_cc(devices: List[Device], others: Sequence[Device], source: str) -> None:
    """Give the GPUs of *devices* without a compute capability one from *others*.

    Probes enumerate in different orders (NVML by PCI bus, CUDA fastest
    first) and libcuda reports no UUID, so GPUs are not paired one to one:
    each described GPU first claims a candidate of its own compute capability,
    and the gaps take what is left, a same-named candidate first.
    """
    pool = [o for o in others if o.cc is not None]
    for device in devices:
        match = next((o for o in pool if device.cc is not None and o.cc == device.cc), None)
        if match is not None:
            pool.remove(match)
    for device in devices:
        if device.cc is not None or not pool:
            continue
        match = next((o for o in pool if device.name and o.name == device.name), pool[0])
        pool.remove(match)
        device.cc, device.cc_source = match.cc, source
        device.name = device.name or match.name
