"""Detect ACME accelerators: read the machine only through the ``System`` seam."""

from __future__ import annotations

from typing import List

from variant_providers import FeatureConfig, ProviderOutput, System
from variant_providers.probe import read_optional

SYSFS = "/sys/class/acme"

#: Every generation a wheel may target, newest first.
ALL_GENERATIONS = ("g3", "g2", "g1")


def fingerprint(system: System) -> str:
    """What the answer depends on, cheaply: the device list and generations."""
    try:
        names = system.listdir(SYSFS)
    except OSError:
        return "none"
    return ";".join(f"{n}={_read(system, f'{SYSFS}/{n}/generation')}" for n in names)


def _read(system: System, path: str) -> str:
    return (read_optional(system, path).text or "").strip()


def detect(system: System) -> ProviderOutput:
    """``generation``: the best device's generation and every older one."""
    try:
        names = system.listdir(SYSFS)
    except OSError:
        return ProviderOutput(reason=f"no {SYSFS}")  # not-detected: a normal state
    devices: List[dict[str, object]] = []
    notes: List[str] = []
    for name in names:
        text = _read(system, f"{SYSFS}/{name}/generation")
        if not text.isdigit() or not 1 <= int(text) <= len(ALL_GENERATIONS):
            notes.append(f"{name}: unreadable or unknown generation {text!r}, skipped")
            continue
        devices.append({"name": name, "generation": int(text)})
    if not devices:
        return ProviderOutput(reason="; ".join(notes) or "no ACME device", info={"notes": notes})
    best = max(int(str(d["generation"])) for d in devices)
    values = [f"g{n}" for n in range(best, 0, -1)]
    return ProviderOutput(
        features=[FeatureConfig("generation", values)],
        info={"devices": devices, "notes": notes, "source": {"generation": "sysfs"}},
    )
