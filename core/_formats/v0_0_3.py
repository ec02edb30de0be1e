"""Reader and writer of the v0.0.3 format (PEP 817).

``default-priorities.namespace/feature/property``; providers with
``requires`` / ``plugin-api`` / ``enable-if`` / ``install-time`` /
``optional``; top-level ``static-properties`` for ahead-of-time providers.

Choices beyond variantlib 0.2.2 (which reads none of this format), so that
every published v0.0.3 file reads:

* the empty variant may be labelled ``00000000`` (the WheelNext test index
  kept that label when it converted its v0.0.2 files); it is the null variant;
* ``default-priorities.namespace`` may be empty, and a variant may use a
  namespace that has no provider (ITK ships such ``variant.json`` files):
  that variant is read, and is never compatible.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..model import FeatureConfig
from ..variants_file import LEGACY_SCHEMA, Provider, VariantsFile, schema_url
from .common import JsonReader, VariantRules, join, sorted_variants

__all__ = ["ONLY_KEYS", "read", "write"]

ONLY_KEYS = ("enable-if", "install-time")
"""Provider keys of this format (and v0.0.2) that v0.2.0 lacks."""

MAX_LABEL = 16
_FOREIGN_KEYS = {
    "plugin-use": "v0.0.2",
    "static-properties": "v0.2.0",
    "feature-order": "v0.2.0",
    "builtin": "v0.2.0",
    "build-requires": "v0.2.0",
}
_RULES = VariantRules(
    max_label=MAX_LABEL, legacy_null=True, need_provider=False, version=LEGACY_SCHEMA
)


def read(doc: Mapping[str, Any], source: str) -> VariantsFile:
    """Convert a v0.0.3 document into the model."""
    r = JsonReader(source)
    prio = r.default_priorities(doc)
    namespaces = r.namespace_priorities(prio, non_empty=False)
    feature_priorities, property_priorities = r.package_priorities(prio)
    raw_static = r.obj(doc.get("static-properties", {}), "static-properties")
    providers: Dict[str, Provider] = {}
    for ns, info in r.obj(doc.get("providers", {}), "providers").items():
        providers[ns] = _provider(ns, info, raw_static, r)
    for ns in raw_static:
        if ns not in providers:
            raise r.fail(f"static-properties.{ns}", f"namespace {ns!r} has no entry in providers")
    r.same_namespaces(namespaces, providers)
    frozen = MappingProxyType(providers)
    return VariantsFile(
        schema=LEGACY_SCHEMA,
        namespace_priorities=namespaces,
        providers=frozen,
        variants=_RULES.read(doc, frozen, r),
        feature_priorities=feature_priorities,
        property_priorities=property_priorities,
        source=source,
        writer=write,
    )


def _provider(ns: str, info: Any, raw_static: Mapping[str, Any], r: JsonReader) -> Provider:
    path, info = r.provider_entry(ns, info, _FOREIGN_KEYS, "v0.0.3")
    requires = r.requires(info, path, non_empty=False)
    install_time = (
        r.boolean(info["install-time"], join(path, "install-time"))
        if "install-time" in info
        else True
    )
    if install_time and not requires:
        raise r.fail(
            join(path, "requires"), "an install-time provider needs at least one requirement"
        )
    static: Optional[Tuple[FeatureConfig, ...]] = None
    if ns in raw_static:
        sp_path = f"static-properties.{ns}"
        if install_time:
            raise r.fail(
                sp_path,
                f"provider {ns!r} is install-time; static properties are only for "
                "install-time = false",
            )
        static = r.feature_table(raw_static[ns], sp_path)
    elif not install_time:
        static = ()  # ahead-of-time provider that declares nothing: supports nothing
    return Provider(
        namespace=ns,
        requires=requires,
        plugin_api=r.plugin_api(info, path),
        static_features=static,
        optional=r.optional_flag(info, path),
        enable_if=r.enable_if(info, path),
        install_time=install_time,
    )


def write(vfile: VariantsFile) -> Dict[str, Any]:
    """The v0.0.3 document of *vfile*."""
    providers: Dict[str, Dict[str, Any]] = {}
    static: Dict[str, Dict[str, List[str]]] = {}
    for ns, prov in vfile.providers.items():
        entry: Dict[str, Any] = {}
        if prov.requires:
            entry["requires"] = list(prov.requires)
        if prov.plugin_api is not None:
            entry["plugin-api"] = prov.plugin_api
        if prov.enable_if is not None:
            entry["enable-if"] = prov.enable_if
        if not prov.install_time:
            entry["install-time"] = False
        if prov.optional:
            entry["optional"] = True
        if prov.static_features:
            static[ns] = {f.name: list(f.values) for f in prov.static_features}
        providers[ns] = entry
    doc: Dict[str, Any] = {
        "$schema": schema_url(LEGACY_SCHEMA),
        "default-priorities": priorities_json(vfile),
        "providers": providers,
    }
    if static:
        doc["static-properties"] = static
    doc["variants"] = sorted_variants(vfile.variants)
    return doc


def priorities_json(vfile: VariantsFile) -> Dict[str, Any]:
    """``default-priorities`` with the package's feature and property priorities."""
    priorities: Dict[str, Any] = {"namespace": list(vfile.namespace_priorities)}
    if vfile.feature_priorities:
        priorities["feature"] = {ns: list(f) for ns, f in vfile.feature_priorities.items()}
    if vfile.property_priorities:
        priorities["property"] = {
            ns: {f: list(v) for f, v in features.items()}
            for ns, features in vfile.property_priorities.items()
        }
    return priorities
