"""What the format readers share: path-aware JSON access and the rules all formats agree on.

Every reader takes an already-parsed JSON document (opening and decoding
the file is the loader's job) and reports problems as
:class:`~variant_providers.variants_file.VariantsJsonError` naming the JSON
path, e.g. ``providers.nvidia.requires[0]``.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Tuple

from packaging.markers import InvalidMarker, Marker

from ..model import (
    ABI_DEPENDENCY_NAMESPACE,
    LEGACY_NULL_LABEL,
    NULL_LABEL,
    FeatureConfig,
    VariantProperty,
    is_valid_label,
    is_valid_name,
    is_valid_value,
)
from ..variants_file import Provider, VariantsJsonError

__all__ = ["JsonReader", "VariantRules", "join", "kind", "sorted_variants"]

_PLUGIN_API_RE = re.compile(r"[\w.]+(?:\s*:\s*[\w.]+)?")
_REQUIRES_RE = re.compile(r"[\S ]+")


def join(path: str, key: str) -> str:
    """``path.key`` (or just ``key`` at the top level)."""
    return f"{path}.{key}" if path else key


def kind(value: Any) -> str:
    """How an unexpected JSON value is named in an error message."""
    if value is None:
        return "null"
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


class JsonReader:
    """Type-checked access to JSON values that knows its path, for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> VariantsJsonError:
        return VariantsJsonError(self.source, path or "(top level)", message)

    def obj(self, value: Any, path: str) -> Dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, found {kind(value)}")
        return value

    def default_priorities(self, doc: Mapping[str, Any]) -> Dict[str, Any]:
        """The ``default-priorities`` table every format requires."""
        if "default-priorities" not in doc:
            raise self.fail("default-priorities", "missing (it must list every namespace)")
        return self.obj(doc["default-priorities"], "default-priorities")

    def provider_entry(
        self, ns: str, info: Any, foreign: Mapping[str, str], version: str
    ) -> Tuple[str, Dict[str, Any]]:
        """``(path, table)`` of ``providers.<ns>``, refusing keys of other formats.

        *foreign* maps a key to the format it belongs to; *version* is the
        format this file declares, for the message.
        """
        path = f"providers.{ns}"
        self.key_name(ns, path)
        table = self.obj(info, path)
        for key, other in foreign.items():
            if key in table:
                raise self.fail(
                    join(path, key), f"belongs to the {other} format; this file declares {version}"
                )
        return path, table

    def str_list(self, value: Any, path: str, *, non_empty: bool = True) -> List[str]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of strings, found {kind(value)}")
        if non_empty and not value:
            raise self.fail(path, "must not be empty")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{path}[{i}]", f"expected a string, found {kind(item)}")
        return value

    def names(self, value: Any, path: str, *, non_empty: bool = True) -> Tuple[str, ...]:
        items = self.str_list(value, path, non_empty=non_empty)
        for i, item in enumerate(items):
            if not is_valid_name(item):
                raise self.fail(f"{path}[{i}]", f"invalid name {item!r} (allowed: [a-z0-9_]+)")
        return tuple(items)

    def values(self, value: Any, path: str) -> Tuple[str, ...]:
        items = self.str_list(value, path)
        seen = set()
        for i, item in enumerate(items):
            if not is_valid_value(item):
                raise self.fail(f"{path}[{i}]", f"invalid value {item!r} (allowed: [a-z0-9_.]+)")
            if item in seen:
                raise self.fail(f"{path}[{i}]", f"value {item!r} is listed twice")
            seen.add(item)
        return tuple(items)

    def key_name(self, key: str, path: str) -> str:
        if not is_valid_name(key):
            raise self.fail(path, f"invalid name {key!r} (allowed: [a-z0-9_]+)")
        return key

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, found {kind(value)}")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, found {kind(value)}")
        return value

    # ---- pieces several formats share --------------------------------------------------

    def optional_flag(self, info: Mapping[str, Any], path: str) -> bool:
        """A provider's ``optional`` (default false)."""
        return (
            self.boolean(info["optional"], join(path, "optional")) if "optional" in info else False
        )

    def requires(self, info: Mapping[str, Any], path: str, *, non_empty: bool) -> Tuple[str, ...]:
        """A provider's ``requires`` list, each entry a plausible requirement string."""
        req_path = join(path, "requires")
        items = tuple(self.str_list(info.get("requires", []), req_path, non_empty=non_empty))
        for i, req in enumerate(items):
            if not _REQUIRES_RE.fullmatch(req):
                raise self.fail(f"{req_path}[{i}]", f"invalid requirement {req!r}")
        return items

    def plugin_api(self, info: Mapping[str, Any], path: str) -> Optional[str]:
        """A provider's ``plugin-api`` object reference (``module(:attr)``), if set."""
        if info.get("plugin-api") is None:
            return None
        api_path = join(path, "plugin-api")
        api = self.string(info["plugin-api"], api_path)
        if not _PLUGIN_API_RE.fullmatch(api.strip()):
            raise self.fail(api_path, f"invalid object reference {api!r}")
        return api

    def enable_if(self, info: Mapping[str, Any], path: str) -> Optional[str]:
        """A provider's ``enable-if`` environment marker, if set (checked to parse)."""
        if info.get("enable-if") is None:
            return None
        marker_path = join(path, "enable-if")
        marker = self.string(info["enable-if"], marker_path)
        try:
            Marker(marker)
        except InvalidMarker as exc:
            raise self.fail(marker_path, f"invalid environment marker: {exc}") from None
        return marker

    def feature_table(self, value: Any, path: str) -> Tuple[FeatureConfig, ...]:
        """``{feature: [values]}`` as feature configs, file order."""
        return tuple(
            FeatureConfig(self.key_name(f, join(path, f)), self.values(v, join(path, f)))
            for f, v in self.obj(value, path).items()
        )

    def namespace_priorities(self, prio: Mapping[str, Any], *, non_empty: bool) -> Tuple[str, ...]:
        """``default-priorities.namespace``: valid names, none twice."""
        path = "default-priorities.namespace"
        if "namespace" not in prio:
            raise self.fail(path, "missing")
        namespaces = self.names(prio["namespace"], path, non_empty=non_empty)
        dupes = sorted({ns for ns in namespaces if namespaces.count(ns) > 1})
        if dupes:
            raise self.fail(path, f"lists {', '.join(dupes)} more than once")
        return namespaces

    def package_priorities(
        self, prio: Mapping[str, Any]
    ) -> Tuple[Mapping[str, Tuple[str, ...]], Mapping[str, Mapping[str, Tuple[str, ...]]]]:
        """``default-priorities.feature`` and ``.property`` (v0.0.2 / v0.0.3)."""
        features: Dict[str, Tuple[str, ...]] = {}
        if "feature" in prio:
            for ns, feats in self.obj(prio["feature"], "default-priorities.feature").items():
                path = f"default-priorities.feature.{ns}"
                features[self.key_name(ns, path)] = self.names(feats, path, non_empty=False)
        properties: Dict[str, Mapping[str, Tuple[str, ...]]] = {}
        if "property" in prio:
            for ns, table in self.obj(prio["property"], "default-priorities.property").items():
                ns_path = f"default-priorities.property.{ns}"
                self.key_name(ns, ns_path)
                per_feature: Dict[str, Tuple[str, ...]] = {}
                for feature, values in self.obj(table, ns_path).items():
                    f_path = join(ns_path, feature)
                    per_feature[self.key_name(feature, f_path)] = self.values(values, f_path)
                properties[ns] = MappingProxyType(per_feature)
        return MappingProxyType(features), MappingProxyType(properties)

    def same_namespaces(
        self, namespaces: Tuple[str, ...], providers: Mapping[str, Provider]
    ) -> None:
        """Every format: the priority list names exactly the providers' namespaces."""
        if set(namespaces) == set(providers):
            return
        only_prio = sorted(set(namespaces) - set(providers))
        only_prov = sorted(set(providers) - set(namespaces))
        details = []
        if only_prio:
            details.append(f"no provider for {', '.join(only_prio)}")
        if only_prov:
            details.append(f"{', '.join(only_prov)} missing from the priority list")
        raise self.fail(
            "default-priorities.namespace",
            "must list exactly the namespaces of providers (" + "; ".join(details) + ")",
        )


class VariantRules:
    """How one format constrains its ``variants`` table.

    ``max_label``: the format's label length limit (None: unlimited).
    ``legacy_null``: whether the empty variant may be labelled ``00000000``.
    ``need_provider``: whether every namespace a variant uses must be a
    provider (v0.2.0); the older formats accept others, and such a variant
    is simply never supported.
    """

    def __init__(
        self, *, max_label: Optional[int], legacy_null: bool, need_provider: bool, version: str
    ) -> None:
        self.max_label = max_label
        self.legacy_null = legacy_null
        self.need_provider = need_provider
        self.version = version

    def read(
        self, doc: Mapping[str, Any], providers: Mapping[str, Provider], r: JsonReader
    ) -> Mapping[str, Tuple[VariantProperty, ...]]:
        """The ``variants`` table: label -> sorted properties."""
        raw = r.obj(doc.get("variants", {}), "variants")
        result: Dict[str, Tuple[VariantProperty, ...]] = {}
        null_labels = (NULL_LABEL, LEGACY_NULL_LABEL) if self.legacy_null else (NULL_LABEL,)
        for label, nested in raw.items():
            path = f"variants.{label}"
            if not is_valid_label(label):
                raise r.fail(path, f"invalid variant label {label!r} (allowed: [0-9a-z._])")
            if self.max_label is not None and len(label) > self.max_label:
                raise r.fail(
                    path,
                    f"label {label!r} is longer than {self.max_label} characters "
                    f"(v{self.version} limit)",
                )
            props = self._properties(label, nested, providers, r)
            if not props and label not in null_labels:
                raise r.fail(
                    path, f"only the {_either(null_labels)} variant may have no properties"
                )
            if props and label == NULL_LABEL:
                raise r.fail(path, f"the {NULL_LABEL!r} variant must have no properties")
            result[label] = props
        empty = [label for label, props in result.items() if not props]
        if len(empty) > 1:
            raise r.fail("variants", f"two null variants: {', '.join(map(repr, empty))}")
        return MappingProxyType(result)

    def _properties(
        self, label: str, nested: Any, providers: Mapping[str, Provider], r: JsonReader
    ) -> Tuple[VariantProperty, ...]:
        path = f"variants.{label}"
        props: List[VariantProperty] = []
        for ns, features in r.obj(nested, path).items():
            ns_path = join(path, ns)
            r.key_name(ns, ns_path)
            if self.need_provider and ns not in providers and ns != ABI_DEPENDENCY_NAMESPACE:
                raise r.fail(ns_path, f"namespace {ns!r} has no entry in providers")
            features = r.obj(features, ns_path)
            if not features:
                raise r.fail(ns_path, "lists no features")
            for feature, values in features.items():
                f_path = join(ns_path, feature)
                r.key_name(feature, f_path)
                props.extend(VariantProperty(ns, feature, v) for v in r.values(values, f_path))
        return tuple(sorted(props))


def _either(labels: Tuple[str, ...]) -> str:
    return " or ".join(repr(label) for label in labels)


def sorted_variants(vfile_variants: Mapping[str, Tuple[VariantProperty, ...]]) -> Dict[str, Any]:
    """The ``variants`` table of a document, values sorted (PEP 825 asks for it)."""
    out: Dict[str, Any] = {}
    for label, props in vfile_variants.items():
        nested: Dict[str, Dict[str, List[str]]] = {}
        for prop in props:
            nested.setdefault(prop.namespace, {}).setdefault(prop.feature, []).append(prop.value)
        out[label] = {
            ns: {f: sorted(values) for f, values in feats.items()} for ns, feats in nested.items()
        }
    return out
