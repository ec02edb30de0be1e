"""The matcher's boundary: every input shape it accepts, checked and turned into one shape.

A variant's properties arrive as ``"ns :: feature :: value"`` strings,
:class:`~variant_providers.model.VariantProperty` objects, or the
``variants.json`` shape ``{namespace: {feature: [values]}}``.  Each is checked
against the grammar of ``model.py`` (labels, names, values), for types,
and for empty and repeated entries, and converted to the *canonical shape*
``{namespace: {feature: [values]}}`` made of plain dicts and lists (or
tuples), the only shape the ranker works on.  That is the shape installers hold after
``json.load``, so such input is not copied: the ranker checks each entry its
tables do not already vouch for as it reads it.

Installers see the same few hundred strings over and over, so what has been
checked once is remembered (bounded sets): a second sighting costs a set or
dict lookup, which keeps conversion cheap enough that the ranker stays many
times faster than variantlib on every shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, Dict, List, Optional, Set, Tuple, Union

from .model import (
    NULL_LABEL,
    InvalidVariantProperty,
    VariantProperty,
    is_valid_label,
    is_valid_name,
    is_valid_value,
)

__all__ = [
    "KNOWN_LABELS",
    "KNOWN_NAMES",
    "KNOWN_VALUES",
    "FeatureKey",
    "FeaturePrioritiesKey",
    "PropertyPrioritiesKey",
    "abi_dependencies_key",
    "feature_priorities_key",
    "items_argument",
    "property_priorities_key",
    "short_repr",
    "strings_argument",
    "triple_of",
    "FeatureLike",
    "Features",
    "PropertyLike",
    "as_property",
    "canonical",
    "check_label",
    "check_name",
    "check_value",
    "check_values",
    "checked_copy",
    "clear_caches",
    "from_list",
    "is_null_variant",
    "parse_feature",
    "parse_property",
]

PropertyLike = Union[str, VariantProperty]
FeatureLike = Union[str, Tuple[str, str]]
FeatureKey = Tuple[str, str]
Features = Dict[str, Dict[str, Any]]
"""One variant in the canonical shape: ``{namespace: {feature: [values]}}``."""

_CACHE_LIMIT = 65536
_PROPERTY_CACHE: Dict[str, VariantProperty] = {}
_Parts = Tuple[str, str, Tuple[str]]
# property string -> its VariantProperty's (namespace, feature, (value,)), already checked
_TRIPLES: Dict[str, _Parts] = {}
_PARTS = attrgetter("_parts")
KNOWN_LABELS: Set[str] = set()
"""Labels already checked against the grammar."""
KNOWN_NAMES: Set[str] = set()
"""Namespace and feature names already checked."""
KNOWN_VALUES: Set[str] = set()
"""Values already checked."""


def clear_caches() -> None:
    """Forget every remembered check (for cold-start measurements)."""
    for cache in (_PROPERTY_CACHE, _TRIPLES, KNOWN_LABELS, KNOWN_NAMES, KNOWN_VALUES):
        cache.clear()


def _bounded(cache: Union[Set[Any], Dict[Any, Any]]) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()


def parse_property(text: str) -> VariantProperty:
    """Parse ``"ns :: feature :: value"`` once; later calls are a dict lookup."""
    prop = _PROPERTY_CACHE.get(text)
    if prop is None:
        prop = VariantProperty.parse(text)
        _bounded(_PROPERTY_CACHE)
        _PROPERTY_CACHE[text] = prop
    return prop


def as_property(item: object) -> VariantProperty:
    """A property string or :class:`VariantProperty` as a :class:`VariantProperty`."""
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


def check_label(label: object) -> str:
    """*label* if it is a valid variant label, else ``ValueError`` quoting it."""
    if isinstance(label, str) and label in KNOWN_LABELS:
        return label
    if not is_valid_label(label):
        raise ValueError(f"invalid variant label {label!r}: allowed characters are [0-9a-z._]")
    assert isinstance(label, str)
    _bounded(KNOWN_LABELS)
    KNOWN_LABELS.add(label)
    return label


def canonical(label: str, props: object) -> Features:
    """One variant's properties in the canonical shape (*label* already checked).

    Plain dicts are the shape itself and are returned as they are: the ranker
    checks their entries while it reads them, and hands anything it does not
    expect back to :func:`checked_copy`.  Strings, property objects and other
    mappings are converted (and checked) here.
    """
    kind = type(props)
    if kind is dict:
        return props  # type: ignore[return-value]
    if kind is list or kind is tuple:
        return from_list(label, props)  # type: ignore[arg-type]
    if isinstance(props, Mapping):
        return checked_copy(label, props)
    if isinstance(props, (str, bytes)):
        raise TypeError(
            f"variant {label!r}: expected a collection of properties, not the string {props!r}"
        )
    if not isinstance(props, Iterable):
        raise TypeError(
            f"variant {label!r}: expected a list of properties or a {{namespace: {{feature: "
            f"[values]}}}} mapping, not {type(props).__name__}"
        )
    return from_list(label, list(props))


def from_list(label: str, props: Sequence[object]) -> Features:
    # A tight loop for the common lists (strings seen before, property objects), with
    # each property's parts made once and shared, and a careful loop for the rest
    # (first sightings, mixed lists, errors).  What the tight loop takes on trust,
    # the ranker checks unless its tables vouch for it.
    try:
        if props and type(props[0]) is VariantProperty:
            parts: Iterable[_Parts] = map(_PARTS, props)
        else:
            parts = map(_TRIPLES.__getitem__, props)  # type: ignore[arg-type]  # KeyError: slow loop
        out: Features = {}
        for ns, feature, single in parts:
            features = out.get(ns)
            if features is None:
                out[ns] = {feature: single}
                continue
            values = features.get(feature)
            if values is None:
                features[feature] = single
                continue
            value = single[0]
            if value in values:
                raise _Repeated
            if type(values) is tuple:  # a shared single: never appended to
                features[feature] = [*values, value]
            else:
                values.append(value)
        return out
    except (KeyError, TypeError, AttributeError, _Repeated):
        return _from_flat_checked(label, props)


class _Repeated(Exception):
    """A value listed twice: the careful loop says which."""


def _from_flat_checked(label: str, props: Sequence[object]) -> Features:
    out: Features = {}
    for item in props:
        ns, feature, (value,) = _triple(label, item)
        values = out.setdefault(ns, {}).setdefault(feature, [])
        if value in values:
            raise ValueError(f"variant {label!r}: duplicate value {value!r} of '{ns} :: {feature}'")
        values.append(value)
    return out


def triple_of(text: str) -> Optional[_Parts]:
    """The checked parts of a property string seen before, or None."""
    return _TRIPLES.get(text)


def _triple(label: str, item: object) -> _Parts:
    try:
        prop = as_property(item)
    except InvalidVariantProperty as exc:
        raise InvalidVariantProperty(f"variant {label!r}: {exc}") from None
    parts: _Parts = prop._parts  # type: ignore[attr-defined]
    if isinstance(item, str):
        _bounded(_TRIPLES)
        _TRIPLES[item] = parts
    return parts


def checked_copy(label: str, props: Mapping[Any, Any]) -> Features:
    """Any mapping of mappings of value collections, as plain dicts and lists, fully checked.

    The slow, thorough path: every type, name and value is looked at, so the
    error names exactly what is wrong.
    """
    copy: Features = {}
    for ns, features in props.items():
        check_name(label, "namespace", ns)
        if not isinstance(features, Mapping):
            raise TypeError(
                f"variant {label!r}: namespace {ns!r} must map features to value lists, "
                f"not {type(features).__name__}"
            )
        if not features:
            raise ValueError(f"variant {label!r}: namespace {ns!r} lists no features")
        table: Dict[str, List[str]] = {}
        for feature, values in features.items():
            check_name(label, "feature", feature)
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise TypeError(
                    f"variant {label!r}: '{ns} :: {feature}' must be a list of values, "
                    f"not {values!r}"
                )
            table[feature] = check_values(label, ns, feature, list(values))
        copy[ns] = table
    return copy


def check_values(label: str, ns: object, feature: object, values: Sequence[Any]) -> List[str]:
    """*values* if it is a non-empty list of valid values, none twice."""
    if not values:
        raise ValueError(f"variant {label!r}: '{ns} :: {feature}' lists no values")
    seen: List[object] = []
    for value in values:
        check_value(label, ns, feature, value)
        if value in seen:
            raise ValueError(f"variant {label!r}: duplicate value {value!r} of '{ns} :: {feature}'")
        seen.append(value)
    return list(values)


def check_name(label: str, part: str, text: object) -> None:
    """A namespace or feature name, checked once (``InvalidVariantProperty`` quoting it)."""
    if isinstance(text, str) and text in KNOWN_NAMES:
        return
    if not is_valid_name(text):  # type: ignore[arg-type]
        raise InvalidVariantProperty(
            f"variant {label!r}: invalid {part} {text!r} (allowed: [a-z0-9_]+)"
        )
    _bounded(KNOWN_NAMES)
    KNOWN_NAMES.add(text)  # type: ignore[arg-type]


def check_value(label: str, ns: object, feature: object, value: object) -> None:
    """A value, checked once (``TypeError`` for a non-string, else ``InvalidVariantProperty``)."""
    if type(value) is not str:
        raise TypeError(
            f"variant {label!r}: values of '{ns} :: {feature}' must be strings, "
            f"not {type(value).__name__}"
        )
    if value in KNOWN_VALUES:
        return
    if not is_valid_value(value):
        raise InvalidVariantProperty(
            f"variant {label!r}: invalid value {value!r} for '{ns} :: {feature}' "
            f"(allowed: [a-z0-9_.]+)"
        )
    _bounded(KNOWN_VALUES)
    KNOWN_VALUES.add(value)


def is_null_variant(label: str, features: Features) -> bool:
    """True for the null variant; an error for a null with properties or an empty other."""
    if label == NULL_LABEL:
        if features:
            raise ValueError(f"the {NULL_LABEL!r} variant must not have properties")
        return True
    if not features:
        raise ValueError(
            f"variant {label!r} has no properties; only the {NULL_LABEL!r} variant may be empty"
        )
    return False


# --------------------------------------------------------------------------------------
# The other arguments of the ranker: checked, and copied into hashable memo keys
# --------------------------------------------------------------------------------------


def short_repr(value: object) -> str:
    """``repr`` cut to a readable length, for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def items_argument(items: object, what: str) -> Tuple[Any, ...]:
    """A sequence argument as a tuple; a string, a mapping or a scalar is a ``TypeError``."""
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise TypeError(
            f"{what} must be a sequence, not {type(items).__name__}: {short_repr(items)}"
        )
    return tuple(items)


def strings_argument(items: object, what: str) -> Tuple[str, ...]:
    result = items_argument(items, what)
    for item in result:
        if not isinstance(item, str):
            raise TypeError(f"{what} must contain strings, not {type(item).__name__}")
    return result


def _mapping(value: object, what: str, shape: str) -> Mapping[Any, Any]:
    """A mapping argument; anything else is a ``TypeError`` that names it and shows *shape*."""
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{what} must be a mapping {shape}, not {type(value).__name__}: {short_repr(value)}"
        )
    return value


def _str_key(key: object, what: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"{what} keys must be namespace strings, not {type(key).__name__}: {key!r}")
    return key


FeaturePrioritiesKey = Optional[Tuple[Tuple[str, Tuple[str, ...]], ...]]
PropertyPrioritiesKey = Optional[Tuple[Tuple[str, Tuple[Tuple[str, Tuple[str, ...]], ...]], ...]]


def feature_priorities_key(value: object) -> FeaturePrioritiesKey:
    """``{namespace: [feature, ...]}`` as a hashable key (``TypeError`` for another shape)."""
    if value is None:
        return None
    shape = "{namespace: [feature, ...]}"
    return tuple(
        (
            _str_key(ns, "feature_priorities"),
            strings_argument(features, f"feature_priorities[{ns!r}]"),
        )
        for ns, features in _mapping(value, "feature_priorities", shape).items()
    )


def property_priorities_key(value: object) -> PropertyPrioritiesKey:
    """``{namespace: {feature: [value, ...]}}`` as a hashable key."""
    if value is None:
        return None
    shape = "{namespace: {feature: [value, ...]}}"
    return tuple(
        (
            _str_key(ns, "property_priorities"),
            tuple(
                (feature, strings_argument(values, f"property_priorities[{ns!r}][{feature!r}]"))
                for feature, values in _mapping(
                    features, f"property_priorities[{ns!r}]", "{feature: [value, ...]}"
                ).items()
            ),
        )
        for ns, features in _mapping(value, "property_priorities", shape).items()
    )


def abi_dependencies_key(value: object) -> Optional[Tuple[Tuple[str, str], ...]]:
    """``{package: version}`` as a hashable key."""
    if value is None:
        return None
    return tuple(sorted(_mapping(value, "abi_dependencies", "{package: version}").items()))
