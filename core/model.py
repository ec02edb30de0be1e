"""The wheel-variant property model: pure values, no I/O.

A *variant property* is the triple ``namespace :: feature :: value`` that a
provider emits and a wheel declares.  The grammar is the one every revision of
the wheel-variant standard uses (PEP 817 / PEP 825, variantlib 0.2.2):

* namespace and feature: ``[a-z0-9_]+``
* value: ``[a-z0-9_.]+`` (the dot lets values look like versions: ``12.8``)
* variant label: ``[0-9a-z._]+``; the variant with no properties is the
  *null variant*, labelled ``null`` (files of the 2025 formats label it
  ``00000000``, the hash of the empty property set, from before ``null`` was
  reserved).  Length limits are format rules and live with the readers.

Parsing accepts any whitespace around ``::`` (variantlib does the same, so a
property copied from its output or from a hand-edited file still parses);
``str()`` always gives the canonical single-space form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Tuple

from .record_class import dataclass as record

__all__ = [
    "ABI_DEPENDENCY_NAMESPACE",
    "LABEL_CHARS",
    "LEGACY_NULL_LABEL",
    "NULL_LABEL",
    "FeatureConfig",
    "InvalidFeatureConfig",
    "InvalidVariantProperty",
    "VariantProperty",
    "is_valid_label",
    "is_valid_name",
    "is_valid_value",
]

NULL_LABEL = "null"
"""Label reserved for the variant with no properties (always compatible, ranked last)."""

ABI_DEPENDENCY_NAMESPACE = "abi_dependency"
"""Reserved namespace whose properties pin the release of another installed package."""

LEGACY_NULL_LABEL = "00000000"
"""The null variant's label in v0.0.2 / v0.0.3 files written before ``null`` was reserved."""

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
LABEL_CHARS = _VALUE_CHARS
"""Characters a variant label may use (the same set as values: ``[0-9a-z._]``)."""


def is_valid_label(label: object) -> bool:
    """True when *label* is a valid variant label: ``[0-9a-z._]+``, no length limit."""
    return isinstance(label, str) and bool(label) and LABEL_CHARS.issuperset(label)


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
        # The matcher reads a property as (namespace, feature, (value,)); made once here
        # so ranking lists of properties builds nothing per property.  Not a field.
        object.__setattr__(self, "_parts", (self.namespace, self.feature, (self.value,)))
        # Its canonical text, whose hash Python caches: the matcher's memo key for lists
        # of properties (a frozen dataclass's own hash is recomputed at every lookup).
        object.__setattr__(self, "_text", f"{self.namespace} :: {self.feature} :: {self.value}")

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


@record(frozen=True)
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
