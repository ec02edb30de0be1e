"""Detect ACME accelerators: orchestration only, the machine read through the ``System`` seam.

Which probe runs when, and how their findings become the answer; the reads
are in :mod:`.sysfs`, the value rules in :mod:`.vocab`.
"""

from __future__ import annotations

from variant_providers import FeatureConfig, ProviderOutput, System

from .sysfs import SYSFS, device_names, read_devices
from .vocab import generation_values


def detect(system: System) -> ProviderOutput:
    """``generation``: the best device's generation and every older one."""
    names = device_names(system)
    if names is None:
        return ProviderOutput(reason=f"no {SYSFS}")  # not-detected: a normal state
    devices, notes = read_devices(system, names)
    if not devices:
        return ProviderOutput(reason="; ".join(notes) or "no ACME device", info={"notes": notes})
    best = max(d.generation for d in devices)
    return ProviderOutput(
        features=[FeatureConfig("generation", generation_values(best))],
        info={
            "devices": [d.to_info() for d in devices],
            "notes": notes,
            "source": {"generation": "sysfs"},
        },
    )
