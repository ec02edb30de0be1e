"""The macOS probe: ``sysctl hw.optional machdep.cpu.brand_string``.

``hw.optional.arm.FEAT_*`` on current macOS, the older ``hw.optional.*``
keys before it, mapped to Linux feature names.
"""

from __future__ import annotations

from typing import List, Mapping

from .tables import DARWIN_FEAT_NAMES, DARWIN_LEGACY_NAMES

__all__ = ["SYSCTL_NAMES", "darwin_features"]

SYSCTL_NAMES = ("hw.optional", "machdep.cpu.brand_string")


def darwin_features(values: Mapping[str, str]) -> List[str]:
    """Linux feature names from macOS ``hw.optional.*`` values."""
    names: List[str] = []
    for key, value in values.items():
        if value != "1" or not key.startswith("hw.optional."):
            continue
        short = key[len("hw.optional.") :]
        if short.startswith("arm.FEAT_"):
            names.extend(DARWIN_FEAT_NAMES.get(short[len("arm.") :], ()))
        names.extend(DARWIN_LEGACY_NAMES.get(short, ()))
    if values.get("hw.optional.arm64") == "1" or names:
        # Every Apple arm64 core has FP and Advanced SIMD (macOS requires them).
        names[:0] = ["fp", "asimd"]
    return names
