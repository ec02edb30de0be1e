"""Rank a package's wheel variants against the properties this machine supports.

The order is the one the standard prescribes (PEP 825, "best value per
feature, then label") and the one variantlib 0.2.2's
``sort_and_filter_supported_variants`` produces:

1. Keep a variant only if, for every feature it uses, at least one of its
   values is supported (and not forbidden), and it touches no forbidden
   namespace or feature.
2. Order the supported properties: namespaces by ``namespace_priorities``;
   inside a namespace the features listed in ``feature_priorities`` first,
   then the others in provider order; inside a feature the values listed in
   ``property_priorities`` first, then the others in provider order.
   Priority entries that are not supported have no effect.
3. Each kept variant's key: its best value per feature as one small int
   (``feature_position * stride + value_position``), ascending, then a
   sentinel larger than every pair, so a key that is a prefix of another
   loses, equal keys fall back to the label, and null is last.  This sparse
   key orders exactly as variantlib's dense per-feature vector while costing
   only the variant's own properties.

One ranking implementation, :meth:`Ranker._keyed`, works on the
``variants.json`` shape; other shapes are converted and checked at the
boundary (``_canonical.py``).  The one shortcut: a list made only of
properties already seen in a valid list is keyed from a per-ranker memo of
each property's code (``_list_memo.py``) by the same per-feature rule; the
tests rank every shape, first and repeated sightings, and compare orders.
Tables are built once per (supported, priorities, forbidden) combination by
:func:`compile_ranker` and memoized.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Dict, FrozenSet, List, Optional, Tuple

from ._canonical import (
    KNOWN_LABELS,
    KNOWN_NAMES,
    KNOWN_VALUES,
    FeatureKey,
    FeatureLike,
    FeaturePrioritiesKey,
    Features,
    PropertyLike,
    PropertyPrioritiesKey,
    abi_dependencies_key,
    as_property,
    canonical,
    check_label,
    check_name,
    check_value,
    check_values,
    checked_copy,
    clear_caches,
    feature_priorities_key,
    from_list,
    is_null_variant,
    items_argument,
    parse_feature,
    parse_property,
    property_priorities_key,
    short_repr,
    strings_argument,
)
from ._list_memo import ListMemo
from ._ranking_tables import build_tables
from .abi_dependency import abi_dependency_properties
from .model import (
    ABI_DEPENDENCY_NAMESPACE,
    NULL_LABEL,
    VariantProperty,
    is_valid_label,
)

__all__ = [
    "ABI_DEPENDENCY_NAMESPACE",
    "NULL_LABEL",
    "FeatureKey",
    "FeatureLike",
    "PropertyLike",
    "Ranker",
    "abi_dependency_properties",
    "clear_caches",
    "compile_ranker",
    "is_valid_label",
    "parse_feature",
    "parse_property",
    "rank_variants",
]

# --------------------------------------------------------------------------------------
# The compiled ranker
# --------------------------------------------------------------------------------------


class Ranker:
    """Ranking tables for one machine and one set of priorities / forbidden lists.

    Build it with :func:`compile_ranker` (memoized) and call :meth:`rank` for
    each package.  Immutable after construction, so one instance can be shared
    between threads.
    """

    __slots__ = (
        "_allowed_order",
        "_lists",
        "_ordered",
        "_restricted",
        "_sentinel",
        "_table",
    )

    def __init__(
        self,
        supported: Sequence[VariantProperty],
        namespace_priorities: Sequence[str],
        *,
        feature_priorities: Optional[Mapping[str, Sequence[str]]],
        property_priorities: Optional[Mapping[str, Mapping[str, Sequence[str]]]],
        forbidden_namespaces: FrozenSet[str],
        forbidden_features: FrozenSet[FeatureKey],
        forbidden_properties: FrozenSet[VariantProperty],
        filter_values: bool,
    ) -> None:
        tables = build_tables(
            supported,
            namespace_priorities,
            feature_priorities=feature_priorities,
            property_priorities=property_priorities,
            forbidden_namespaces=forbidden_namespaces,
            forbidden_features=forbidden_features,
            forbidden_properties=forbidden_properties,
            filter_values=filter_values,
        )
        self._table = tables.codes
        self._restricted = tables.restricted
        self._ordered = tables.ordered
        self._allowed_order = tables.allowed
        self._sentinel = tables.sentinel
        # Lists of properties seen before are ranked without building their dicts.
        self._lists = ListMemo(self._table, self._sentinel)

    @property
    def ordered_supported(self) -> Tuple[VariantProperty, ...]:
        """All supported properties in ranking order (best first), forbidden ones included."""
        return self._ordered

    def allowed_values(self, namespace: str, feature: str) -> Tuple[str, ...]:
        """Supported, non-forbidden values of a feature, best first (empty if none)."""
        return self._allowed_order.get((namespace, feature), ())

    def is_usable_feature(self, namespace: str, feature: str) -> bool:
        """True when some value of the feature can make a variant compatible."""
        return feature in self._table.get(namespace, {})

    def rank(self, variants: Mapping[str, object]) -> List[str]:
        """Compatible labels, best first; ``"null"`` is always present and last.

        A variant's properties may be given as property strings, as
        :class:`VariantProperty` objects, or in the ``variants.json`` shape
        ``{namespace: {feature: [values]}}``; all are converted to that one
        shape first.  Everything is checked: an invalid label, name or value,
        a value listed twice, an empty non-``null`` variant or a ``null``
        with properties raise ``ValueError``, a wrong type ``TypeError``.
        """
        if not isinstance(variants, Mapping):
            raise TypeError(
                "variants must map each label to its properties, "
                f"not {type(variants).__name__}: {short_repr(variants)}"
            )
        keyed = self._keyed(variants)
        keyed.sort()
        result = [label for _, label in keyed]
        result.append(NULL_LABEL)
        return result

    def variant_key(self, label: str, props: object) -> Optional[Tuple[int, ...]]:
        """The sort key of one variant, or None when it is not compatible.

        Raises like :meth:`rank` for invalid input.
        """
        check_label(label)
        variant = canonical(label, props)
        if is_null_variant(label, variant):
            return (self._sentinel,)
        found = self._keyed({label: variant})
        return tuple(found[0][0]) if found else None

    def _keyed(self, variants: Mapping[str, object]) -> List[Tuple[List[int], str]]:
        """``(key, label)`` of each compatible variant: the compatibility rule, once.

        Each variant is converted to the canonical shape first.  Compatible
        when every feature has a supported, allowed value; the key is the best
        value's code per feature, ascending, then the sentinel.  A variant is
        read to the end even once it is known to be incompatible, so that every
        entry is checked: an entry the tables know is valid, any other is
        checked against the grammar (once: the check is remembered).  Odd
        containers and empty entries go through ``checked_copy``, which names
        the error or returns plain dicts and lists.
        """
        keyed: List[Tuple[List[int], str]] = []
        table_get = self._table.get
        restricted = self._restricted
        sentinel = self._sentinel
        known_labels = KNOWN_LABELS
        known_names = KNOWN_NAMES
        known_values = KNOWN_VALUES
        for label, props in variants.items():
            if label not in known_labels:
                check_label(label)
            kind = type(props)
            if kind is dict:
                variant: Features = props  # type: ignore[assignment]
            elif kind is list:
                if props and not restricted and label != NULL_LABEL:
                    try:
                        flat = self._lists.key(props)  # type: ignore[arg-type]
                    except (KeyError, TypeError):
                        pass  # a first sighting, a repeat or an odd item: the full path
                    else:
                        if flat is not None:
                            keyed.append((flat, label))
                        continue
                variant = from_list(label, props)  # type: ignore[arg-type]
            else:
                variant = canonical(label, props)
            if (label == NULL_LABEL or not variant) and is_null_variant(label, variant):
                continue
            codes: List[int] = []
            compatible = True
            try:
                for ns, features in variant.items():
                    if type(features) is not dict or not features:
                        raise _NotCanonical
                    ns_table = table_get(ns)
                    if ns_table is None:
                        compatible = False
                        if ns not in known_names:
                            check_name(label, "namespace", ns)
                        ns_table = _NO_FEATURES
                    for feature, values in features.items():
                        if type(values) is not list and type(values) is not tuple:
                            raise _NotCanonical
                        value_codes = ns_table.get(feature)
                        if value_codes is None:
                            compatible = False
                            if feature not in known_names:
                                check_name(label, "feature", feature)
                            value_codes = _NO_VALUES
                        if len(values) == 1:  # the common case, without the loop
                            best = value_codes.get(values[0], sentinel)
                            if best == sentinel:
                                compatible = False
                                if values[0] not in known_values:
                                    check_value(label, ns, feature, values[0])
                        elif values:
                            if len(set(values)) != len(values):
                                check_values(label, ns, feature, values)  # names the repeat
                            best = sentinel
                            for value in values:
                                code = value_codes.get(value)
                                if code is None:
                                    if value not in known_values:
                                        check_value(label, ns, feature, value)
                                elif code < best:
                                    best = code
                            if best == sentinel:
                                compatible = False
                        else:
                            raise _NotCanonical
                        if restricted:  # only with forbidden values and filter_values=False
                            allowed = restricted.get((ns, feature))
                            if allowed is not None and allowed.isdisjoint(values):
                                compatible = False
                        codes.append(best)
            except (_NotCanonical, TypeError):
                # An odd container, an empty entry or an unhashable value: the
                # thorough path raises the precise error or returns plain data.
                keyed.extend(self._keyed({label: checked_copy(label, variant)}))
                continue
            if compatible:
                codes.sort()
                codes.append(sentinel)
                keyed.append((codes, label))
            if kind is list and not restricted:
                self._lists.remember(props)  # type: ignore[arg-type]
        return keyed


class _NotCanonical(Exception):
    """A variant that is not plain dicts and non-empty lists all the way down."""


_NO_FEATURES: Dict[str, Dict[str, int]] = {}
_NO_VALUES: Dict[str, int] = {}


# --------------------------------------------------------------------------------------
# Memoized construction
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _compile(
    supported: Tuple[PropertyLike, ...],
    namespace_priorities: Tuple[str, ...],
    *,
    feature_priorities: FeaturePrioritiesKey,
    property_priorities: PropertyPrioritiesKey,
    forbidden_namespaces: FrozenSet[str],
    forbidden_features: FrozenSet[FeatureLike],
    forbidden_properties: FrozenSet[PropertyLike],
    filter_values: bool,
    abi_dependencies: Optional[Tuple[Tuple[str, str], ...]],
) -> Ranker:
    props = [as_property(item) for item in supported]
    if abi_dependencies:
        props.extend(abi_dependency_properties(dict(abi_dependencies)))
    return Ranker(
        props,
        namespace_priorities,
        feature_priorities=None if feature_priorities is None else dict(feature_priorities),
        property_priorities=None
        if property_priorities is None
        else {ns: dict(features) for ns, features in property_priorities},
        forbidden_namespaces=frozenset(forbidden_namespaces),
        forbidden_features=frozenset(parse_feature(item) for item in forbidden_features),
        forbidden_properties=frozenset(as_property(item) for item in forbidden_properties),
        filter_values=filter_values,
    )


def compile_ranker(
    supported: Sequence[PropertyLike],
    namespace_priorities: Sequence[str],
    feature_priorities: Optional[Mapping[str, Sequence[str]]] = None,
    property_priorities: Optional[Mapping[str, Mapping[str, Sequence[str]]]] = None,
    *,
    forbidden_namespaces: Iterable[str] = (),
    forbidden_features: Iterable[FeatureLike] = (),
    forbidden_properties: Iterable[PropertyLike] = (),
    filter_values: bool = False,
    abi_dependencies: Optional[Mapping[str, str]] = None,
) -> Ranker:
    """Build (or fetch from the memo) the :class:`Ranker` for these inputs.

    The arguments are copied into an immutable, hashable key, so later changes
    to the caller's lists cannot leak into a cached ranker.
    """
    return _compile(
        items_argument(supported, "supported"),
        strings_argument(namespace_priorities, "namespace_priorities"),
        feature_priorities=feature_priorities_key(feature_priorities),
        property_priorities=property_priorities_key(property_priorities),
        forbidden_namespaces=frozenset(
            strings_argument(forbidden_namespaces, "forbidden_namespaces")
        ),
        forbidden_features=frozenset(items_argument(forbidden_features, "forbidden_features")),
        forbidden_properties=frozenset(
            items_argument(forbidden_properties, "forbidden_properties")
        ),
        filter_values=bool(filter_values),
        abi_dependencies=abi_dependencies_key(abi_dependencies),
    )


def rank_variants(
    variants: Mapping[str, Iterable[PropertyLike]],
    supported: Sequence[PropertyLike],
    namespace_priorities: Sequence[str],
    feature_priorities: Optional[Mapping[str, Sequence[str]]] = None,
    property_priorities: Optional[Mapping[str, Mapping[str, Sequence[str]]]] = None,
    *,
    forbidden_namespaces: Iterable[str] = (),
    forbidden_features: Iterable[FeatureLike] = (),
    forbidden_properties: Iterable[PropertyLike] = (),
    filter_values: bool = False,
    abi_dependencies: Optional[Mapping[str, str]] = None,
) -> List[str]:
    """Compatible variant labels, best first, exactly as the standard orders them.

    *variants* maps each label to its properties (``"ns :: f :: v"`` strings,
    :class:`VariantProperty` objects, or a ``{ns: {feature: [values]}}``
    mapping).  *supported* is the machine's property list in provider order,
    most preferred value first within each feature.  ``"null"`` is always in
    the result, last.  Inputs are never modified.

    ``abi_dependencies`` (``{"torch": "2.9.1"}``) adds the ``abi_dependency``
    properties of those packages (see :func:`abi_dependency_properties`);
    without it, variants that pin an ABI dependency are not compatible.

    Raises ``ValueError`` when a supported namespace is missing from
    *namespace_priorities*, or for an invalid label or property.
    """
    ranker = compile_ranker(
        supported,
        namespace_priorities,
        feature_priorities,
        property_priorities,
        forbidden_namespaces=forbidden_namespaces,
        forbidden_features=forbidden_features,
        forbidden_properties=forbidden_properties,
        filter_values=filter_values,
        abi_dependencies=abi_dependencies,
    )
    return ranker.rank(variants)
