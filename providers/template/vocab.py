"""The ``acme`` namespace's value rules: which values a generation means, the catalogue.

Pure functions of numbers and strings; nothing here looks at the machine, so
these rules can be tested without any machine at all.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from variant_providers import FeatureConfig

#: Every generation a wheel may target, newest first.
ALL_GENERATIONS = ("g3", "g2", "g1")


def catalogue() -> List[FeatureConfig]:
    """Every feature and value this provider can ever emit."""
    return [FeatureConfig("generation", ALL_GENERATIONS)]


def parse_generation(text: str) -> Optional[int]:
    """The contents of a ``generation`` file → its number; ``None`` when unknown."""
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= len(ALL_GENERATIONS):
        return None
    return int(text)


def generation_values(best: int) -> Tuple[str, ...]:
    """A generation-*best* device runs code for *best* and every older one, newest first."""
    return tuple(f"g{n}" for n in range(best, 0, -1))
