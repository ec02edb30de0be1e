"""Installer-level selection: which variant of a package this machine gets, and why not the others.

:func:`select` joins a package's ``variants.json`` with the machine's
detection the way the standard's installer procedure does:

* providers with static properties in the file use exactly those (the file
  is authoritative for ahead-of-time providers);
* the other providers' properties come from the detection;
* ``optional`` providers are off unless enabled - static ones included
  (variantlib 0.2.2 ignores ``optional`` for static providers; the PEPs do not);
* a v0.0.3 ``enable-if`` marker that is false disables its provider;
* namespace priorities are the user's list followed by the file's, feature
  and property priorities likewise (the user's entries win);
* ranking is :func:`variant_providers.matcher.rank_variants` with
  ``filter_values=True``, as variantlib's installer API uses it.

Every label the file lists ends up either in ``ranked`` or in ``rejected``
with a sentence saying what it needs that this machine does not offer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from packaging.markers import Marker

from .matcher import (
    ABI_DEPENDENCY_NAMESPACE,
    NULL_LABEL,
    FeatureKey,
    PropertyLike,
    compile_ranker,
    parse_feature,
    parse_property,
)
from .model import VariantProperty, is_valid_name
from .plugin_choice import plugin_answers
from .variants_json import VariantsFile, load_variants_json, parse_variants_json

if TYPE_CHECKING:
    from .host import Detection

__all__ = ["Priorities", "Selection", "select"]


@dataclass(frozen=True)
class Priorities:
    """User preferences that go before the package's own (variantlib's ``variants.toml``)."""

    namespaces: Tuple[str, ...] = ()
    features: Mapping[str, Tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    properties: Mapping[str, Mapping[str, Tuple[str, ...]]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Priorities:
        """Build from ``variants.toml``-style keys.

        ``namespace_priorities`` (list), ``feature_priorities`` (``{ns: [feature]}``)
        and ``property_priorities`` (``{ns: {feature: [value]}}``); other keys are
        an error, so a typo does not silently drop a preference.
        """
        unknown = set(data) - {"namespace_priorities", "feature_priorities", "property_priorities"}
        if unknown:
            raise ValueError(f"unknown priority keys: {', '.join(sorted(unknown))}")
        return cls(
            namespaces=tuple(data.get("namespace_priorities", ())),
            features=MappingProxyType(
                {ns: tuple(f) for ns, f in data.get("feature_priorities", {}).items()}
            ),
            properties=MappingProxyType(
                {
                    ns: MappingProxyType({f: tuple(v) for f, v in features.items()})
                    for ns, features in data.get("property_priorities", {}).items()
                }
            ),
        )


@dataclass(frozen=True)
class Selection:
    """The outcome of :func:`select`.

    ``ranked``: compatible labels, best first; ``null_label`` (the null
    variant under the label the file gives it - ``null``, or ``00000000`` in
    older files - or ``null`` for the plain wheel when the package has no null
    variant) is always last.  ``rejected``:
    every other label of the file, with the reason.  ``supported``: the
    properties the decision used, in ranking order.
    """

    ranked: Tuple[str, ...]
    rejected: Mapping[str, str] = field(hash=False)
    supported: Tuple[VariantProperty, ...] = ()
    schema: str = ""
    null_label: str = NULL_LABEL
    #: Per plugin namespace of the file, which plugin answered (and when our built-in
    #: answered because the plugin-api the file names is not installed); see
    #: :mod:`variant_providers.plugin_choice`.
    providers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @property
    def best(self) -> str:
        """The label an installer would pick (``"null"`` when no variant fits)."""
        return self.ranked[0]

    def to_dict(self) -> Dict[str, Any]:
        """JSON form (used by ``match --json``)."""
        return {
            "best": self.best,
            "ranked": list(self.ranked),
            "rejected": dict(self.rejected),
            "supported": [str(p) for p in self.supported],
            "schema": self.schema,
            "providers": dict(self.providers),
        }


VariantsSource = Union[VariantsFile, Mapping[str, Any], str, "os.PathLike[str]"]
DetectionLike = Union["Detection", Sequence[PropertyLike], Any]


def _as_variants_file(variants_json: VariantsSource) -> VariantsFile:
    if isinstance(variants_json, VariantsFile):
        return variants_json
    if isinstance(variants_json, Mapping):
        return parse_variants_json(variants_json)
    return load_variants_json(variants_json)


def _detected(detection: DetectionLike) -> Tuple[List[VariantProperty], Dict[str, str]]:
    """Supported properties and per-namespace provider status from a detection."""
    statuses: Dict[str, str] = {}
    props_source: Any = detection
    if hasattr(detection, "properties"):
        props_source = detection.properties
        for result in getattr(detection, "providers", ()):
            namespace = getattr(result, "namespace", None)
            if isinstance(namespace, str):
                status = str(getattr(result, "status", ""))
                why = getattr(result, "error", None) or getattr(result, "reason", "")
                statuses[namespace] = f"{status}: {why}" if why else status
    if isinstance(props_source, (str, bytes)):
        raise TypeError("detection must be a Detection or a sequence of properties, not a string")
    props = [p if isinstance(p, VariantProperty) else parse_property(p) for p in props_source]
    return props, statuses


def _merge_lists(*lists: Iterable[str]) -> Tuple[str, ...]:
    merged: Dict[str, None] = {}
    for items in lists:
        for item in items:
            merged.setdefault(item, None)
    return tuple(merged)


def _split_forbidden(
    forbidden: Iterable[Union[str, VariantProperty]],
) -> Tuple[List[str], List[FeatureKey], List[VariantProperty]]:
    namespaces: List[str] = []
    features: List[FeatureKey] = []
    properties: List[VariantProperty] = []
    for item in forbidden:
        if isinstance(item, VariantProperty):
            properties.append(item)
            continue
        if not isinstance(item, str):
            raise TypeError(f"forbidden entries must be strings, not {type(item).__name__}")
        parts = item.count("::")
        if parts == 0:
            name = item.strip()
            if not is_valid_name(name):
                raise ValueError(f"invalid forbidden namespace {item!r}")
            namespaces.append(name)
        elif parts == 1:
            features.append(parse_feature(item))
        else:
            properties.append(parse_property(item))
    return namespaces, features, properties


def select(
    variants_json: VariantsSource,
    detection: Optional[DetectionLike] = None,
    *,
    enable_optional: Union[bool, Iterable[str]] = (),
    forbidden: Iterable[Union[str, VariantProperty]] = (),
    priorities: Union[Priorities, Mapping[str, Any], None] = None,
    abi_dependencies: Optional[Mapping[str, str]] = None,
    environment: Optional[Mapping[str, str]] = None,
) -> Selection:
    """Rank a package's variants for this machine and explain the rejected ones.

    *variants_json*: a parsed :class:`VariantsFile`, a loaded JSON document, or
    a path (variants.json, variant.json, dist-info folder, wheel).
    *detection*: a :class:`~variant_providers.host.Detection`, anything with a
    ``.properties`` list, or a plain sequence of properties; ``None`` detects
    this machine.  *enable_optional*: namespaces of optional providers to use
    (``True`` for all).  *forbidden*: ``"ns"``, ``"ns :: feature"`` or
    ``"ns :: feature :: value"`` entries.  *priorities*: user preferences
    (:class:`Priorities` or ``variants.toml``-style mapping).
    *abi_dependencies*: ``{package: version}`` of the target environment, for
    ``abi_dependency`` variants.  *environment*: marker environment overrides
    for v0.0.3 ``enable-if`` (default: this interpreter).
    """
    vfile = _as_variants_file(variants_json)
    if detection is None:
        from .host import detect

        detection = detect()
    detected, statuses = _detected(detection)
    answers = plugin_answers(vfile, detection)  # the plugins the file names, where installed
    statuses.update(answers.statuses)
    if priorities is None:
        prio = Priorities()
    elif isinstance(priorities, Priorities):
        prio = priorities
    else:
        prio = Priorities.from_mapping(priorities)
    enabled_optional = (
        set(vfile.providers) if enable_optional is True else set(enable_optional or ())
    )
    forbidden_ns, forbidden_features, forbidden_props = _split_forbidden(forbidden)

    disabled: Dict[str, str] = {}
    supported: List[VariantProperty] = []
    by_namespace: Dict[str, List[VariantProperty]] = {}
    for prop in detected:
        by_namespace.setdefault(prop.namespace, []).append(prop)
    for ns, provider in vfile.providers.items():
        if provider.is_switchable and provider.optional and ns not in enabled_optional:
            disabled[ns] = f"provider `{ns}` is optional and not enabled"
            continue
        if (
            provider.is_switchable
            and provider.enable_if is not None
            and not Marker(provider.enable_if).evaluate(
                dict(environment) if environment is not None else None
            )
        ):
            disabled[ns] = f"provider `{ns}` is disabled here (enable-if `{provider.enable_if}`)"
            continue
        if provider.is_static:
            supported.extend(provider.static_properties())
        elif ns in answers.properties:
            supported.extend(answers.properties[ns])
        else:
            supported.extend(by_namespace.get(ns, ()))

    namespace_priorities = _merge_lists(prio.namespaces, vfile.namespace_priorities)
    feature_priorities = {
        ns: _merge_lists(prio.features.get(ns, ()), vfile.feature_priorities.get(ns, ()))
        for ns in set(prio.features) | set(vfile.feature_priorities)
    }
    property_priorities: Dict[str, Dict[str, Tuple[str, ...]]] = {}
    for source in (prio.properties, vfile.property_priorities):
        for ns, features in source.items():
            for feature, values in features.items():
                slot = property_priorities.setdefault(ns, {})
                slot[feature] = _merge_lists(slot.get(feature, ()), values)

    ranker = compile_ranker(
        supported,
        namespace_priorities,
        feature_priorities,
        property_priorities,
        forbidden_namespaces=forbidden_ns,
        forbidden_features=forbidden_features,
        forbidden_properties=forbidden_props,
        filter_values=True,
        abi_dependencies=abi_dependencies,
    )
    null_label = vfile.null_label
    ranked = ranker.rank(
        {label: props for label, props in vfile.variant_dicts().items() if label != null_label}
    )
    ranked[-1] = null_label  # the matcher's "null": shown under the label the file uses
    ranked_set = set(ranked)
    supported_values: Dict[FeatureKey, List[str]] = {}
    for prop in ranker.ordered_supported:
        supported_values.setdefault((prop.namespace, prop.feature), []).append(prop.value)
    explain = _Explainer(
        ranker_allowed=ranker.allowed_values,
        supported_values=supported_values,
        supported_namespaces={p.namespace for p in ranker.ordered_supported},
        disabled=disabled,
        statuses=statuses,
        forbidden_namespaces=set(forbidden_ns),
        forbidden_features=set(forbidden_features),
        has_abi=abi_dependencies is not None,
        declared=set(vfile.providers),
    )
    rejected = {
        label: explain(props) for label, props in vfile.variants.items() if label not in ranked_set
    }
    return Selection(
        ranked=tuple(ranked),
        rejected=MappingProxyType(rejected),
        supported=ranker.ordered_supported,
        schema=vfile.schema,
        null_label=null_label,
        providers=MappingProxyType(dict(answers.sources)),
    )


@dataclass
class _Explainer:
    ranker_allowed: Any
    supported_values: Mapping[FeatureKey, List[str]]
    supported_namespaces: set[str]
    disabled: Mapping[str, str]
    statuses: Mapping[str, str]
    forbidden_namespaces: set[str]
    forbidden_features: set[FeatureKey]
    has_abi: bool
    declared: set[str]

    def __call__(self, props: Tuple[VariantProperty, ...]) -> str:
        features: Dict[FeatureKey, List[str]] = {}
        for prop in props:
            features.setdefault((prop.namespace, prop.feature), []).append(prop.value)
        namespaces = list(dict.fromkeys(ns for ns, _ in features))

        clauses = [
            f"namespace `{ns}` is forbidden" for ns in namespaces if ns in self.forbidden_namespaces
        ]
        clauses += [
            f"feature `{ns} :: {f}` is forbidden"
            for ns, f in features
            if (ns, f) in self.forbidden_features
        ]
        if clauses:
            return "; ".join(clauses)
        clauses = [self.disabled[ns] for ns in namespaces if ns in self.disabled]
        for ns in namespaces:
            if ns in self.disabled or ns in self.supported_namespaces:
                continue
            if ns not in self.declared and ns != ABI_DEPENDENCY_NAMESPACE:
                clauses.append(f"needs namespace `{ns}`, for which the file declares no provider")
                continue
            if ns == ABI_DEPENDENCY_NAMESPACE and not self.has_abi:
                clauses.append(
                    "pins an ABI dependency; no abi_dependencies were given for the target "
                    "environment"
                )
                continue
            status = self.statuses.get(ns)
            detail = f" (the {ns} provider reported {status})" if status else ""
            clauses.append(
                f"needs namespace `{ns}`; this machine reports no `{ns}` properties{detail}"
            )
        for (ns, feature), values in features.items():
            if ns in self.disabled or ns not in self.supported_namespaces:
                continue
            allowed = self.ranker_allowed(ns, feature)
            if any(v in allowed for v in values):
                continue
            clauses.append(self._feature_clause(ns, feature, values, allowed))
        if not clauses:  # pragma: no cover - every rejection has a cause above
            return "not compatible with this machine"
        return "; also ".join(clauses)

    def _feature_clause(
        self, ns: str, feature: str, values: List[str], allowed: Sequence[str]
    ) -> str:
        needs = f"needs `{ns} :: {feature} :: {values[0]}`"
        if len(values) > 1:
            needs += f" (or {_short(values[1:])})"
        every = self.supported_values.get((ns, feature), [])
        if not every:
            return f"{needs}; this machine supports no `{ns} :: {feature}` value"
        forbidden_here = [v for v in values if v in every and v not in allowed]
        offered = _short(allowed) if allowed else "none that is allowed"
        text = f"{needs}; this machine supports {offered}"
        if forbidden_here:
            text += f" ({', '.join(forbidden_here)} forbidden)"
        return text


_SHOWN = 8


def _short(values: Sequence[str]) -> str:
    """A value list for a message, cut after a few entries."""
    if len(values) <= _SHOWN:
        return ", ".join(values)
    return ", ".join(values[:_SHOWN]) + f", ... ({len(values) - _SHOWN} more)"
