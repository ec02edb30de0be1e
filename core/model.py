"""The wheel-variant property model: pure values, no I/O.

A *variant property* is the triple ``namespace :: feature :: value`` that a
provider emits and a wheel declares.  The grammar is the one every revision of
the wheel-variant standard uses (PEP 817 / PEP 825, variantlib 0.2.2):

* namespace and feature: ``[a-z0-9_]+``
* value: ``[a-z0-9_.]+`` (the dot lets values look like versions: ``12.8``)

Parsing accepts any whitespace around ``::`` (variantlib does the same, so a
property copied from its output or from a hand-edited file still parses);
``str()`` always gives the canonical single-space form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Tuple

__all__ = [
    "FeatureConfig",
    "InvalidFeatureConfig",
    "InvalidVariantProperty",
    "VariantProperty",
    "is_valid_name",
    "is_valid_value",
]

_NAME_RE = re.compile(r"[a-z0-9_]+")
_VALUE_RE = re.compile(r"[a-z0-9_.]+")
_SEPARATOR_RE = re.compile(r"\s*::\s*")


def is_valid_name(text: str) -> bool:
    """True when *text* is a valid namespace or feature name."""
    return isinstance(text, str) and _NAME_RE.fullmatch(text) is not None


def is_valid_value(text: str) -> bool:
    """True when *text* is a valid property value."""
    return isinstance(text, str) and _VALUE_RE.fullmatch(text) is not None


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_VALUE_CHARS = _NAME_CHARS | {"."}


def _describe_bad(text: object, allowed: frozenset[str] = _NAME_CHARS) -> str:
    """Say what is wrong with a name or value, for error messages."""
    if not isinstance(text, str):
        return f"must be a string, not {type(text).__name__}"
    if not text:
        return "is empty"
    bad = sorted({ch for ch in text if ch not in allowed})
    if bad:
        return "contains " + ", ".join(repr(ch) for ch in bad)
    return "is not valid"  # pragma: no cover - every invalid non-empty text has a bad char


def _chars_for(part: str) -> tuple[frozenset[str], str]:
    if part == "value":
        return _VALUE_CHARS, "[a-z0-9_.]+"
    return _NAME_CHARS, "[a-z0-9_]+"


class InvalidVariantProperty(ValueError):
    """A string or triple that is not a valid ``namespace :: feature :: value``."""


class InvalidFeatureConfig(ValueError):
    """A feature configuration that breaks the grammar or the config rules."""


@dataclass(frozen=True, order=True)
class VariantProperty:
    """One ``namespace :: feature :: value`` triple.

    Immutable, hashable and ordered by ``(namespace, feature, value)`` — the
    order variantlib uses to sort a variant's properties.
    """

    namespace: str
    feature: str
    value: str

    def __post_init__(self) -> None:
        for part, text, valid in (
            ("namespace", self.namespace, is_valid_name),
            ("feature", self.feature, is_valid_name),
            ("value", self.value, is_valid_value),
        ):
            if not valid(text):
                chars, pattern = _chars_for(part)
                raise InvalidVariantProperty(
                    f"invalid variant property {self._quoted()}: the {part} {text!r} "
                    f"{_describe_bad(text, chars)} (allowed: {pattern})"
                )

    def _quoted(self) -> str:
        return repr(f"{self.namespace} :: {self.feature} :: {self.value}")

    @classmethod
    def parse(cls, text: str) -> VariantProperty:
        """Parse ``"ns :: feature :: value"``; whitespace around ``::`` is free.

        >>> VariantProperty.parse("x86_64::level :: v3")
        VariantProperty(namespace='x86_64', feature='level', value='v3')
        """
        if not isinstance(text, str):
            raise InvalidVariantProperty(
                f"invalid variant property {text!r}: expected a string, not {type(text).__name__}"
            )
        parts = _SEPARATOR_RE.split(text.strip())
        if len(parts) != 3:
            raise InvalidVariantProperty(
                f"invalid variant property {text!r}: expected "
                f"'namespace :: feature :: value' (3 parts separated by '::'), "
                f"found {len(parts)} part{'s' if len(parts) != 1 else ''}"
            )
        for part, piece, valid in zip(
            ("namespace", "feature", "value"), parts, (is_valid_name, is_valid_name, is_valid_value)
        ):
            if not valid(piece):
                chars, pattern = _chars_for(part)
                raise InvalidVariantProperty(
                    f"invalid variant property {text!r}: the {part} {piece!r} "
                    f"{_describe_bad(piece, chars)} (allowed: {pattern})"
                )
        return cls(parts[0], parts[1], parts[2])

    @property
    def feature_key(self) -> Tuple[str, str]:
        """The ``(namespace, feature)`` pair this property sets."""
        return (self.namespace, self.feature)

    def __str__(self) -> str:
        return f"{self.namespace} :: {self.feature} :: {self.value}"


@dataclass(frozen=True)
class FeatureConfig:
    """One feature a provider supports, with its values most preferred first.

    ``multi_value`` says a wheel may list several values of this feature (they
    are OR-ed: the wheel is compatible when any of them is supported), e.g.
    ``nvidia :: sm_arch``.  The attribute names match variantlib's
    ``VariantFeatureConfigType`` protocol, so instances can be handed to an
    installer directly.
    """

    name: str
    values: Tuple[str, ...] = field(default=())
    multi_value: bool = False

    def __init__(self, name: str, values: Iterable[str], multi_value: bool = False) -> None:
        if isinstance(values, str):
            raise InvalidFeatureConfig(
                f"feature {name!r}: values must be a sequence of strings, not one string {values!r}"
            )
        try:
            vals = tuple(values)
        except TypeError:
            raise InvalidFeatureConfig(
                f"feature {name!r}: values must be a sequence of strings, "
                f"not {type(values).__name__}"
            ) from None
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "values", vals)
        object.__setattr__(self, "multi_value", bool(multi_value))
        if not is_valid_name(name):
            raise InvalidFeatureConfig(
                f"invalid feature name {name!r}: it {_describe_bad(name)} (allowed: [a-z0-9_]+)"
            )
        if not vals:
            raise InvalidFeatureConfig(f"feature {name!r} has no values (at least one is required)")
        seen = set()
        for value in vals:
            if not is_valid_value(value):
                raise InvalidFeatureConfig(
                    f"feature {name!r}: invalid value {value!r}: "
                    f"it {_describe_bad(value, _VALUE_CHARS)} "
                    f"(allowed: [a-z0-9_.]+)"
                )
            if value in seen:
                raise InvalidFeatureConfig(f"feature {name!r}: value {value!r} is listed twice")
            seen.add(value)

    def properties(self, namespace: str) -> Tuple[VariantProperty, ...]:
        """The properties of this feature in *namespace*, most preferred first."""
        return tuple(VariantProperty(namespace, self.name, v) for v in self.values)

    def to_dict(self) -> dict[str, object]:
        """JSON form used by ``report --json`` and by fixtures."""
        return {"name": self.name, "values": list(self.values), "multi_value": self.multi_value}
