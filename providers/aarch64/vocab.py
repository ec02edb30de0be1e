"""The ``aarch64`` namespace's value rules: versions from features, feature order, catalogue.

Pure functions of feature-name sets (Linux HWCAP names); nothing here looks
at the machine.
"""

from __future__ import annotations

from typing import AbstractSet, Iterable, List, Tuple

from variant_providers.model import FeatureConfig, is_valid_name

from .tables import ALL_FEATURES, ALL_VERSIONS, V9_0_EXTRA, VERSION_STEPS

__all__ = [
    "catalogue",
    "missing_for_next",
    "ordered_features",
    "versions_from_features",
]


def catalogue() -> List[FeatureConfig]:
    """Every feature and value this provider can emit, in report order."""
    return [FeatureConfig("version", ALL_VERSIONS)] + [
        FeatureConfig(name, ["on"]) for name in ALL_FEATURES
    ]


def versions_from_features(features: AbstractSet[str]) -> Tuple[str, ...]:
    """The architecture versions *features* prove, most capable first.

    Cumulative: ``8.3a`` needs the mandatory features of 8.1 and 8.2 as well.
    ``9.0a`` needs ``8.5a`` plus ``sve`` and ``sve2`` and is listed before
    ``8.6a`` (which it does not imply).  Empty when not even ``fp`` + ``asimd``.
    """
    proven: List[str] = []
    for name, needed in VERSION_STEPS:
        if not needed <= features:
            break
        proven.append(name)
    values = list(reversed(proven))
    if "8.5a" in proven and V9_0_EXTRA.issubset(features):
        values.insert(0, "9.0a")
    return tuple(values)


def ordered_features(names: Iterable[str]) -> List[str]:
    """*names* in report order: the known order, then unknown names as given."""
    given = [n for n in dict.fromkeys(names) if is_valid_name(n)]
    present = set(given)
    known = [n for n in ALL_FEATURES if n in present]
    seen = set(known)
    return known + [n for n in given if n not in seen]


def missing_for_next(features: AbstractSet[str], top: str) -> List[str]:
    """The features the version after *top* needs and *features* lack."""
    names = [name for name, _ in VERSION_STEPS]
    if top == "9.0a":
        return []
    index = names.index(top) + 1
    if index < len(VERSION_STEPS):
        return sorted(VERSION_STEPS[index][1] - features)
    return []
