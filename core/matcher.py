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
3. Each kept variant gets the *sparse* key: one ``(feature position,
   best value position)`` pair per feature it uses, sorted ascending.  Keys
   compare lexicographically, a key that is a proper prefix of another loses
   (more matching features is better), equal keys fall back to the label.
   Appending a sentinel larger than every pair makes plain tuple comparison
   do exactly that, and gives the null variant (no pairs) the last place.

variantlib builds a dense vector with one slot per supported feature for
every variant and scans lists to find positions; the sparse key orders
variants identically (the first differing slot of the dense vectors is the
first differing pair of the sparse keys) while costing only the variant's
own properties.  Here each ``(feature, value)`` pair is folded into one int
(``feature_position * stride + value_position``) so that a key is a tuple of
small ints.

Installers rank many packages against one machine, so the tables for one
(supported properties, priorities, forbidden lists) combination are built
once by :func:`compile_ranker` and memoized; property strings are parsed once
and cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Dict, FrozenSet, List, Optional, Tuple, Union

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .model import (
    ABI_DEPENDENCY_NAMESPACE,
    LABEL_CHARS,
    NULL_LABEL,
    InvalidVariantProperty,
    VariantProperty,
    is_valid_name,
    is_valid_value,
)

__all__ = [
    "ABI_DEPENDENCY_NAMESPACE",
    "NULL_LABEL",
    "Ranker",
    "abi_dependency_properties",
    "compile_ranker",
    "is_valid_label",
    "parse_feature",
    "parse_property",
    "rank_variants",
]

PropertyLike = Union[str, VariantProperty]
FeatureLike = Union[str, Tuple[str, str]]
FeatureKey = Tuple[str, str]

# --------------------------------------------------------------------------------------
# Cached parsing.  Installers see the same few hundred property strings over and over;
# parsing each once keeps regexes off the ranking path.
# --------------------------------------------------------------------------------------

_CACHE_LIMIT = 65536
_PROPERTY_CACHE: Dict[str, VariantProperty] = {}
_VALID_LABELS: set[str] = set()
_VALID_NAMES: set[str] = set()
_VALID_VALUES: set[str] = set()


def _remember(cache: set[str], text: str) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache.add(text)


def parse_property(text: str) -> VariantProperty:
    """Parse ``"ns :: feature :: value"`` once; later calls are a dict lookup."""
    prop = _PROPERTY_CACHE.get(text)
    if prop is None:
        prop = VariantProperty.parse(text)
        if len(_PROPERTY_CACHE) >= _CACHE_LIMIT:
            _PROPERTY_CACHE.clear()
        _PROPERTY_CACHE[text] = prop
    return prop


def _as_property(item: object) -> VariantProperty:
    if isinstance(item, VariantProperty):
        return item
    if isinstance(item, str):
        return parse_property(item)
    raise TypeError(
        f"expected a variant property ('ns :: feature :: value' or VariantProperty), "
        f"not {type(item).__name__}: {item!r}"
    )


def parse_feature(item: FeatureLike) -> FeatureKey:
    """Parse ``"ns :: feature"`` (or accept a ``(ns, feature)`` pair)."""
    if isinstance(item, tuple):
        if len(item) == 2 and all(is_valid_name(part) for part in item):
            return (item[0], item[1])
        raise InvalidVariantProperty(f"invalid variant feature {item!r}")
    if not isinstance(item, str):
        raise TypeError(f"expected a variant feature 'ns :: feature', not {type(item).__name__}")
    parts = [part.strip() for part in item.strip().split("::")]
    if len(parts) != 2 or not all(is_valid_name(part) for part in parts):
        raise InvalidVariantProperty(
            f"invalid variant feature {item!r}: expected 'namespace :: feature' "
            f"with both parts matching [a-z0-9_]+"
        )
    return (parts[0], parts[1])


def is_valid_label(label: object) -> bool:
    """True when *label* is a valid variant label (``[0-9a-z._]+``, no length limit)."""
    if not isinstance(label, str):
        return False
    if label in _VALID_LABELS:
        return True
    if label and LABEL_CHARS.issuperset(label):
        _remember(_VALID_LABELS, label)
        return True
    return False


def _check_label(label: object) -> str:
    if not is_valid_label(label):
        raise ValueError(f"invalid variant label {label!r}: allowed characters are [0-9a-z._]")
    assert isinstance(label, str)
    return label


def _check_name(label: str, part: str, text: object) -> None:
    if isinstance(text, str) and text in _VALID_NAMES:
        return
    if not is_valid_name(text):  # type: ignore[arg-type]
        raise InvalidVariantProperty(
            f"variant {label!r}: invalid {part} {text!r} (allowed: [a-z0-9_]+)"
        )
    assert isinstance(text, str)
    _remember(_VALID_NAMES, text)


def _check_value(label: str, namespace: str, feature: str, value: object) -> None:
    if isinstance(value, str) and value in _VALID_VALUES:
        return
    if not is_valid_value(value):  # type: ignore[arg-type]
        raise InvalidVariantProperty(
            f"variant {label!r}: invalid value {value!r} for '{namespace} :: {feature}' "
            f"(allowed: [a-z0-9_.]+)"
        )
    assert isinstance(value, str)
    _remember(_VALID_VALUES, value)


# --------------------------------------------------------------------------------------
# abi_dependency
# --------------------------------------------------------------------------------------


def abi_dependency_properties(dependencies: Mapping[str, str]) -> List[VariantProperty]:
    """The ``abi_dependency`` properties a set of installed packages supports.

    For ``torch 2.9.1`` that is ``2``, ``2.9``, ``2.9.1`` in that order, so the
    coarsest pin is preferred; packages come in sorted normalized-name order.
    This is the emulation variantlib applies (name normalized with ``-`` -> ``_``,
    release from ``Version.major/minor/micro``: local, pre, post and epoch are
    ignored).  Unlike variantlib nothing is read from the running interpreter:
    the caller says which environment it installs into.
    """
    packages: Dict[str, Version] = {}
    for name, version in dependencies.items():
        if not isinstance(name, str) or not isinstance(version, str):
            raise TypeError("abi_dependencies must map package names to version strings")
        normalized = canonicalize_name(name).replace("-", "_")
        if not is_valid_name(normalized):
            raise ValueError(f"abi_dependencies: invalid package name {name!r}")
        try:
            packages[normalized] = Version(version)
        except InvalidVersion:
            raise ValueError(
                f"abi_dependencies: invalid version {version!r} for {name!r}"
            ) from None
    props: List[VariantProperty] = []
    for name in sorted(packages):
        ver = packages[name]
        for value in (
            f"{ver.major}",
            f"{ver.major}.{ver.minor}",
            f"{ver.major}.{ver.minor}.{ver.micro}",
        ):
            props.append(VariantProperty(ABI_DEPENDENCY_NAMESPACE, name, value))
    return props


# --------------------------------------------------------------------------------------
# The compiled ranker
# --------------------------------------------------------------------------------------

# Per supported, non-forbidden feature: value -> int code used for ranking, and the set of
# values that make a variant compatible (supported minus forbidden) when that differs
# from the ranked values.
_Entry = Tuple[Dict[str, int], Optional[FrozenSet[str]]]
_INCOMPATIBLE = -1


class Ranker:
    """Ranking tables for one machine and one set of priorities / forbidden lists.

    Build it with :func:`compile_ranker` (memoized) and call :meth:`rank` for
    each package.  Immutable after construction, so one instance can be shared
    between threads.
    """

    __slots__ = ("_allowed_order", "_ordered", "_sentinel", "_table")

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

        missing = sorted(
            ns for ns in grouped if ns not in ns_rank and ns != ABI_DEPENDENCY_NAMESPACE
        )
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
        self._sentinel = len(ordered_features) * stride + stride
        table: Dict[FeatureKey, _Entry] = {}
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
            # None: every ranked value is also allowed, so "has a ranked value" already
            # means "compatible" (always true with filter_values=True).
            needs_check = not filter_values and len(allowed) != len(values)
            table[(ns, feature)] = (codes, frozenset(allowed) if needs_check else None)
        self._table = table
        self._ordered = tuple(ordered)
        self._allowed_order = allowed_order

    @property
    def ordered_supported(self) -> Tuple[VariantProperty, ...]:
        """All supported properties in ranking order (best first), forbidden ones included."""
        return self._ordered

    def allowed_values(self, namespace: str, feature: str) -> Tuple[str, ...]:
        """Supported, non-forbidden values of a feature, best first (empty if none)."""
        return self._allowed_order.get((namespace, feature), ())

    def is_usable_feature(self, namespace: str, feature: str) -> bool:
        """True when some value of the feature can make a variant compatible."""
        return (namespace, feature) in self._table

    def rank(self, variants: Mapping[str, Iterable[PropertyLike]]) -> List[str]:
        """Compatible labels, best first; ``"null"`` is always present and last.

        A variant's properties may be given as property strings, as
        :class:`VariantProperty` objects, or in the ``variants.json`` shape
        ``{namespace: {feature: [values]}}``.
        """
        keyed: List[Tuple[Tuple[int, ...], str]] = []
        append = keyed.append
        table_get = self._table.get
        sentinel = self._sentinel
        valid_labels = _VALID_LABELS
        valid_names = _VALID_NAMES
        valid_values = _VALID_VALUES
        for label, props in variants.items():
            # Fast path for the variants.json shape made of plain dicts and lists,
            # the form installers hold after json.load; anything else, and every
            # error report, goes through variant_key().
            if label not in valid_labels or type(props) is not dict or not props:
                key = self.variant_key(label, props)
                if key is not None and label != NULL_LABEL:
                    append((key, label))
                continue
            codes: Optional[List[int]] = []
            compatible = True
            try:
                for ns, features in props.items():
                    if type(features) is not dict or not features:
                        codes = None
                        break
                    for feature, values in features.items():
                        if type(values) is not list or not values:
                            codes = None
                            break
                        entry = table_get((ns, feature))
                        if entry is None:
                            # Unsupported feature: incompatible, but the names and values
                            # must still be valid (checked against the caches only).
                            if ns not in valid_names or feature not in valid_names:
                                codes = None
                                break
                            for value in values:
                                if value not in valid_values:
                                    codes = None
                                    break
                            if codes is None:
                                break
                            compatible = False
                            continue
                        value_codes, allowed = entry
                        best = sentinel
                        for value in values:
                            code = value_codes.get(value)
                            if code is None:
                                if value not in valid_values:
                                    codes = None
                                    break
                            elif code < best:
                                best = code
                        else:
                            if best == sentinel or (
                                allowed is not None and allowed.isdisjoint(values)
                            ):
                                compatible = False
                            codes.append(best)  # type: ignore[union-attr]
                            continue
                        break
                    if codes is None:
                        break
            except TypeError:
                codes = None  # e.g. an unhashable value: the slow path explains it
            if codes is None:
                # An unknown feature, an unvalidated value or an odd type: the slow
                # path validates and decides.
                key = self.variant_key(label, props)
                if key is not None and label != NULL_LABEL:
                    append((key, label))
                continue
            if label == NULL_LABEL:
                self.variant_key(label, props)  # raises: null with properties
            if compatible:
                codes.sort()
                codes.append(sentinel)
                append((tuple(codes), label))
        keyed.sort()
        result = [label for _, label in keyed]
        result.append(NULL_LABEL)
        return result

    def variant_key(self, label: str, props: Iterable[PropertyLike]) -> Optional[Tuple[int, ...]]:
        """The sort key of one variant, or None when it is not compatible.

        Raises ``ValueError`` for an invalid label or property, for a
        non-``null`` label without properties and for ``null`` with some.
        """
        _check_label(label)
        if isinstance(props, Mapping):
            codes = self._codes_nested(label, props)
        else:
            if isinstance(props, str):
                raise TypeError(
                    f"variant {label!r}: expected a collection of properties, not the string "
                    f"{props!r}"
                )
            codes = self._codes_flat(label, props)
        if not codes:
            if label != NULL_LABEL:
                raise ValueError(
                    f"variant {label!r} has no properties; only the {NULL_LABEL!r} variant "
                    "may be empty"
                )
            return (self._sentinel,)
        if label == NULL_LABEL:
            raise ValueError(f"the {NULL_LABEL!r} variant must not have properties")
        if codes[-1] == _INCOMPATIBLE:
            return None
        codes.sort()
        codes.append(self._sentinel)
        return tuple(codes)

    # The two helpers return one code per feature the variant uses; an incompatible
    # variant's list ends with _INCOMPATIBLE (still non-empty, so "null with
    # properties" is reported even when those properties are unsupported).

    def _codes_flat(self, label: str, props: Iterable[PropertyLike]) -> List[int]:
        table = self._table
        best: Dict[FeatureKey, int] = {}
        ok: set[FeatureKey] = set()
        incompatible = False
        sentinel = self._sentinel
        for item in props:
            try:
                prop = _as_property(item)
            except InvalidVariantProperty as exc:
                raise InvalidVariantProperty(f"variant {label!r}: {exc}") from None
            fk = (prop.namespace, prop.feature)
            entry = table.get(fk)
            if entry is None:
                incompatible = True
                continue
            codes, allowed = entry
            value = prop.value
            code = codes.get(value, sentinel)
            previous = best.get(fk, sentinel)
            best[fk] = code if code < previous else previous
            if code != sentinel and (allowed is None or value in allowed):
                ok.add(fk)
        if incompatible or len(ok) != len(best):
            return [_INCOMPATIBLE]
        return list(best.values())

    def _codes_nested(
        self, label: str, props: Mapping[str, Mapping[str, Iterable[str]]]
    ) -> List[int]:
        table = self._table
        sentinel = self._sentinel
        out: List[int] = []
        incompatible = False
        no_codes: Dict[str, int] = {}
        for ns, features in props.items():
            if not isinstance(features, Mapping):
                raise TypeError(
                    f"variant {label!r}: namespace {ns!r} must map features to value lists"
                )
            if not features:
                raise ValueError(f"variant {label!r}: namespace {ns!r} lists no features")
            for feature, values in features.items():
                if isinstance(values, str):
                    raise TypeError(
                        f"variant {label!r}: '{ns} :: {feature}' must be a list of values, "
                        f"not the string {values!r}"
                    )
                entry = table.get((ns, feature))
                if entry is None:
                    _check_name(label, "namespace", ns)
                    _check_name(label, "feature", feature)
                    codes, allowed = no_codes, None
                else:
                    codes, allowed = entry
                best = sentinel
                compatible = False
                seen = False
                for value in values:
                    seen = True
                    if not isinstance(value, str):
                        raise TypeError(
                            f"variant {label!r}: values of '{ns} :: {feature}' must be "
                            f"strings, not {type(value).__name__}"
                        )
                    code = codes.get(value)
                    if code is None:
                        _check_value(label, ns, feature, value)
                        continue
                    best = min(best, code)
                    if not compatible and (allowed is None or value in allowed):
                        compatible = True
                if not seen:
                    raise ValueError(f"variant {label!r}: '{ns} :: {feature}' lists no values")
                if not compatible:
                    incompatible = True
                out.append(best)
        if incompatible:
            out.append(_INCOMPATIBLE)
        return out


def _preferred_first(preferred: Iterable[str], available: Mapping[str, object]) -> List[str]:
    """Entries of *preferred* that are available (first mention counts), then the rest."""
    order: Dict[str, None] = {}
    for item in preferred:
        if item in available:
            order.setdefault(item, None)
    for item in available:
        order.setdefault(item, None)
    return list(order)


# --------------------------------------------------------------------------------------
# Memoized construction
# --------------------------------------------------------------------------------------


def _str_tuple(items: object, what: str) -> Tuple[str, ...]:
    if isinstance(items, str) or not isinstance(items, Iterable):
        raise TypeError(f"{what} must be a sequence of strings, not {type(items).__name__}")
    result = tuple(items)
    for item in result:
        if not isinstance(item, str):
            raise TypeError(f"{what} must contain strings, not {type(item).__name__}")
    return result


_FpKey = Optional[Tuple[Tuple[str, Tuple[str, ...]], ...]]
_PpKey = Optional[Tuple[Tuple[str, Tuple[Tuple[str, Tuple[str, ...]], ...]], ...]]


@lru_cache(maxsize=128)
def _compile(
    supported: Tuple[PropertyLike, ...],
    namespace_priorities: Tuple[str, ...],
    *,
    feature_priorities: _FpKey,
    property_priorities: _PpKey,
    forbidden_namespaces: FrozenSet[str],
    forbidden_features: FrozenSet[FeatureLike],
    forbidden_properties: FrozenSet[PropertyLike],
    filter_values: bool,
    abi_dependencies: Optional[Tuple[Tuple[str, str], ...]],
) -> Ranker:
    props = [_as_property(item) for item in supported]
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
        forbidden_properties=frozenset(_as_property(item) for item in forbidden_properties),
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
    if isinstance(supported, str):
        raise TypeError("supported must be a sequence of properties, not one string")
    fp_key: _FpKey = None
    if feature_priorities is not None:
        fp_key = tuple(
            (ns, _str_tuple(features, f"feature_priorities[{ns!r}]"))
            for ns, features in feature_priorities.items()
        )
    pp_key: _PpKey = None
    if property_priorities is not None:
        pp_key = tuple(
            (
                ns,
                tuple(
                    (feature, _str_tuple(values, f"property_priorities[{ns!r}][{feature!r}]"))
                    for feature, values in features.items()
                ),
            )
            for ns, features in property_priorities.items()
        )
    abi_key = None if abi_dependencies is None else tuple(sorted(abi_dependencies.items()))
    return _compile(
        tuple(supported),
        _str_tuple(namespace_priorities, "namespace_priorities"),
        feature_priorities=fp_key,
        property_priorities=pp_key,
        forbidden_namespaces=frozenset(_str_tuple(forbidden_namespaces, "forbidden_namespaces")),
        forbidden_features=frozenset(forbidden_features),
        forbidden_properties=frozenset(forbidden_properties),
        filter_values=bool(filter_values),
        abi_dependencies=abi_key,
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
