"""Step 2 of the ranking: the supported properties in preference order, as integer codes.

:class:`~variant_providers.matcher.Ranker` applies these tables to variants
(steps 1 and 3 of the rule in :mod:`variant_providers.matcher`); building them
is the part that reads the priorities and the forbidden lists, once per
machine, so it lives apart from the per-variant loop that has to be fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Tuple

from ._canonical import FeatureKey
from .model import ABI_DEPENDENCY_NAMESPACE, VariantProperty

__all__ = ["RankingTables", "build_tables"]


@dataclass(frozen=True)
class RankingTables:
    """What a ranker compares, for one machine and one set of priorities."""

    #: namespace -> feature -> value -> code (``feature position * stride +
    #: value position``); a feature no variant can be compatible through is absent.
    codes: Dict[str, Dict[str, Dict[str, int]]]
    #: Features whose ranked values include forbidden ones (``filter_values=False``):
    #: a compatible variant also needs one of these allowed values.
    restricted: Dict[FeatureKey, FrozenSet[str]]
    #: Every supported property, best first, forbidden ones included.
    ordered: Tuple[VariantProperty, ...]
    #: Supported, non-forbidden values of each feature, best first.
    allowed: Dict[FeatureKey, Tuple[str, ...]]
    #: A code larger than every feature's: ends every key (fewer features lose).
    sentinel: int


def build_tables(
    supported: Sequence[VariantProperty],
    namespace_priorities: Sequence[str],
    *,
    feature_priorities: Optional[Mapping[str, Sequence[str]]],
    property_priorities: Optional[Mapping[str, Mapping[str, Sequence[str]]]],
    forbidden_namespaces: FrozenSet[str],
    forbidden_features: FrozenSet[FeatureKey],
    forbidden_properties: FrozenSet[VariantProperty],
    filter_values: bool,
) -> RankingTables:
    """Order *supported* by the priorities and code it; ``ValueError`` for an unlisted namespace."""
    ns_rank: Dict[str, int] = {}
    for ns in namespace_priorities:
        ns_rank.setdefault(ns, len(ns_rank))
    # variantlib appends abi_dependency to the end of the namespace list on
    # every call, so it is never "missing"; an explicit entry keeps its place.
    abi_rank = ns_rank.get(ABI_DEPENDENCY_NAMESPACE, len(ns_rank))

    # namespace -> feature -> values, each in first-appearance (provider) order.
    grouped: Dict[str, Dict[str, Dict[str, None]]] = {}
    for prop in supported:
        grouped.setdefault(prop.namespace, {}).setdefault(prop.feature, {})[prop.value] = None

    missing = sorted(ns for ns in grouped if ns not in ns_rank and ns != ABI_DEPENDENCY_NAMESPACE)
    if missing:
        raise ValueError(
            "namespace_priorities does not list the supported namespace"
            f"{'s' if len(missing) > 1 else ''} {', '.join(repr(ns) for ns in missing)}"
        )

    fp = feature_priorities or {}
    pp = property_priorities or {}
    ordered_features: List[Tuple[str, str, List[str]]] = []
    for ns in sorted(
        grouped, key=lambda n: abi_rank if n == ABI_DEPENDENCY_NAMESPACE else ns_rank[n]
    ):
        features = grouped[ns]
        feature_order = _preferred_first(fp.get(ns, ()), features)
        ns_pp = pp.get(ns, {})
        for feature in feature_order:
            values = _preferred_first(ns_pp.get(feature, ()), features[feature])
            ordered_features.append((ns, feature, values))

    stride = max((len(values) for _, _, values in ordered_features), default=0) + 1
    sentinel = len(ordered_features) * stride + stride
    table: Dict[str, Dict[str, Dict[str, int]]] = {}
    restricted: Dict[FeatureKey, FrozenSet[str]] = {}
    ordered: List[VariantProperty] = []
    allowed_order: Dict[FeatureKey, Tuple[str, ...]] = {}
    for position, (ns, feature, values) in enumerate(ordered_features):
        ordered.extend(VariantProperty(ns, feature, value) for value in values)
        allowed = tuple(
            v for v in values if VariantProperty(ns, feature, v) not in forbidden_properties
        )
        allowed_order[(ns, feature)] = allowed
        if ns in forbidden_namespaces or (ns, feature) in forbidden_features or not allowed:
            # A variant using this feature can never be compatible.
            continue
        base = position * stride
        # With filter_values=False a forbidden value still sets the rank of a variant
        # that is compatible through another value (variantlib quirk Q3).
        ranked_values = allowed if filter_values else values
        position_of = {value: index for index, value in enumerate(values)}
        codes = {value: base + position_of[value] for value in ranked_values}
        table.setdefault(ns, {})[feature] = codes
        if not filter_values and len(allowed) != len(values):
            # Ranked values include forbidden ones: being compatible also needs an
            # allowed value (with filter_values=True every ranked value is allowed).
            restricted[(ns, feature)] = frozenset(allowed)
    return RankingTables(table, restricted, tuple(ordered), allowed_order, sentinel)


def _preferred_first(preferred: Iterable[str], available: Mapping[str, object]) -> List[str]:
    """Entries of *preferred* that are available (first mention counts), then the rest."""
    order: Dict[str, None] = {}
    for item in preferred:
        if item in available:
            order.setdefault(item, None)
    for item in available:
        order.setdefault(item, None)
    return list(order)
