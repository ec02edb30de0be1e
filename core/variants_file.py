"""The one model of a ``variants.json`` / ``variant.json``, whatever format it was read from.

Three formats are published and each has its own private reader (in
``_formats``) that converts into :class:`VariantsFile`; the matcher and
:func:`~variant_providers.selection.select` only ever see this model.  What
differs between the formats is kept as data on the model (which providers
are static, the package's priorities, the null variant's label), so no code
after the reader needs to know which format a file was in.

The model is immutable; a reader builds it completely or raises
:class:`VariantsJsonError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from .model import NULL_LABEL, FeatureConfig, VariantProperty

__all__ = [
    "LEGACY_SCHEMA",
    "SCHEMA",
    "SUPPORTED_SCHEMAS",
    "V002_SCHEMA",
    "Provider",
    "UnsupportedSchemaError",
    "VariantsFile",
    "VariantsJsonError",
    "schema_url",
]

SCHEMA = "0.2.0"
"""The providers-PEP format written by variantlib 0.2.2."""
LEGACY_SCHEMA = "0.0.3"
"""PEP 817's format."""
V002_SCHEMA = "0.0.2"
"""The 2025 format of the WheelNext test index (also published under the unversioned URL)."""
SUPPORTED_SCHEMAS = (SCHEMA, LEGACY_SCHEMA, V002_SCHEMA)

PLUGIN_USES = ("all", "build", "none")
"""v0.0.2 ``plugin-use`` values: run the plugin at install time, only at build time, never."""


def schema_url(version: str) -> str:
    """The ``$schema`` URL of a format version."""
    return f"https://variants-schema.wheelnext.dev/v{version}.json"


class VariantsJsonError(ValueError):
    """A variants.json / variant.json that cannot be read; says where and why."""

    def __init__(self, source: str, location: str, message: str) -> None:
        self.source = source
        self.location = location
        self.message = message
        where = f"{source}: {location}" if location else source
        super().__init__(f"{where}: {message}")


class UnsupportedSchemaError(VariantsJsonError):
    """The file declares a format version this library does not read."""


@dataclass(frozen=True)
class Provider:
    """How one namespace's supported properties are obtained, as the file says.

    ``static_features`` is set for providers whose supported values are in the
    file itself, most preferred first: v0.2.0 ``static-properties``; v0.0.3
    ``install-time = false`` with top-level ``static-properties``; v0.0.2
    ``plugin-use = "build"`` or ``"none"``, whose values are the features of
    ``default-priorities.feature[ns]`` with the values of
    ``default-priorities.property[ns]`` (the v0.0.2 rule).  ``enable_if`` and
    ``install_time`` exist in v0.0.2 / v0.0.3, ``plugin_use`` only in v0.0.2.
    """

    namespace: str
    requires: Tuple[str, ...] = ()
    plugin_api: Optional[str] = None
    static_features: Optional[Tuple[FeatureConfig, ...]] = None
    feature_order: Tuple[str, ...] = ()
    optional: bool = False
    enable_if: Optional[str] = None
    install_time: bool = True
    builtin: Optional[str] = None
    plugin_use: Optional[str] = None

    @property
    def is_static(self) -> bool:
        """True when the supported properties come from the file, not a plugin."""
        return self.static_features is not None

    @property
    def is_switchable(self) -> bool:
        """Whether ``optional`` and ``enable-if`` can turn this provider off.

        v0.0.2 consulted them only for ``plugin-use = "all"`` namespaces; a
        ``build`` / ``none`` namespace's package-defined values always apply.
        """
        return self.plugin_use in (None, "all")

    def static_properties(self) -> Tuple[VariantProperty, ...]:
        """The file's supported properties for this namespace, file order."""
        if self.static_features is None:
            return ()
        return tuple(p for feat in self.static_features for p in feat.properties(self.namespace))


Writer = Callable[["VariantsFile"], Dict[str, Any]]


@dataclass(frozen=True)
class VariantsFile:
    """One parsed variants.json (or variant.json), immutable.

    ``variants`` maps each label to its properties sorted by
    ``(namespace, feature, value)``.  ``feature_priorities`` and
    ``property_priorities`` are the package's own preferences: v0.0.2 / v0.0.3
    ``default-priorities.feature/property``, and for v0.2.0 the
    ``feature-order`` of static providers (variantlib uses it the same way).
    ``writer`` is the reader's counterpart that turns the model back into a
    document of the same format; it is not part of the value.
    """

    schema: str
    namespace_priorities: Tuple[str, ...]
    providers: Mapping[str, Provider]
    variants: Mapping[str, Tuple[VariantProperty, ...]]
    feature_priorities: Mapping[str, Tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    property_priorities: Mapping[str, Mapping[str, Tuple[str, ...]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    source: str = field(default="<variants.json>", compare=False)
    writer: Optional[Writer] = field(default=None, compare=False, repr=False)

    @property
    def null_label(self) -> str:
        """The label of the file's null variant (``null``, or ``00000000`` in older files).

        ``null`` when the file has no null variant: it then stands for the
        plain, non-variant wheel.
        """
        for label, props in self.variants.items():
            if not props:
                return label
        return NULL_LABEL

    def variant_dicts(self) -> Dict[str, Dict[str, Dict[str, List[str]]]]:
        """``{label: {namespace: {feature: [values]}}}``, the shape installers hold."""
        result: Dict[str, Dict[str, Dict[str, List[str]]]] = {}
        for label, props in self.variants.items():
            nested: Dict[str, Dict[str, List[str]]] = {}
            for prop in props:
                nested.setdefault(prop.namespace, {}).setdefault(prop.feature, []).append(
                    prop.value
                )
            result[label] = nested
        return result

    @property
    def label(self) -> str:
        """The single label of a wheel's variant.json (error if there are several)."""
        if len(self.variants) != 1:
            raise ValueError(f"{self.source}: describes {len(self.variants)} variants, not one")
        return next(iter(self.variants))

    def to_json(self) -> Dict[str, Any]:
        """The JSON document, in this file's own format (values sorted, as PEP 825 asks)."""
        if self.writer is None:
            raise ValueError(
                f"{self.source}: this VariantsFile was not built by a reader, so its format "
                f"v{self.schema} has no writer attached"
            )
        return self.writer(self)
