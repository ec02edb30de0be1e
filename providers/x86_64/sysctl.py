"""The macOS probe: ``sysctl machdep.cpu hw.optional sysctl.proc_translated``.

``machdep.cpu.*features`` name what the CPU has; ``hw.optional.*`` are
OS-aware (0 when the OS does not enable the state); ``sysctl.proc_translated``
tells Rosetta 2 apart.
"""

from __future__ import annotations

from typing import FrozenSet, Mapping

from .tables import DARWIN_FEATURE_NAMES, DARWIN_OPTIONAL_NAMES

__all__ = ["SYSCTL_NAMES", "darwin_flags"]

#: What one ``sysctl`` call asks on macOS.
SYSCTL_NAMES = ("machdep.cpu", "hw.optional", "sysctl.proc_translated")


def darwin_flags(values: Mapping[str, str]) -> FrozenSet[str]:
    """Linux flag names from the ``sysctl`` values."""
    flags = set()
    for key in ("machdep.cpu.features", "machdep.cpu.leaf7_features", "machdep.cpu.extfeatures"):
        for word in values.get(key, "").split():
            flags.add(DARWIN_FEATURE_NAMES.get(word, word.lower().replace(".", "_")))
    if "osxsave" not in flags:
        flags.discard("xsave")
    # hw.optional.* are OS-aware (0 when the OS does not enable the state).
    for key, name in DARWIN_OPTIONAL_NAMES.items():
        if values.get(f"hw.optional.{key}") == "0":
            flags.discard(name)
    return frozenset(flags)
