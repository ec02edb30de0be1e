"""Reader and writer of the v0.2.0 format (providers-PEP era, written by variantlib 0.2.2).

Each provider has exactly one of ``requires`` (install-time plugin),
``static-properties`` (ordered supported values, plus ``feature-order``) or
``builtin``; ``default-priorities`` holds only ``namespace``.  Every
namespace a variant uses must be a provider, and only ``null`` may be empty.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict, Mapping, Optional, Tuple

from ..model import FeatureConfig
from ..variants_file import SCHEMA, Provider, VariantsFile, schema_url
from .common import JsonReader, VariantRules, join, sorted_variants

__all__ = ["ONLY_KEYS", "read", "write"]

ONLY_KEYS = ("static-properties", "feature-order", "builtin", "build-requires")
"""Provider keys that exist only in this format (they reveal a wrong ``$schema``)."""

_FOREIGN_KEYS = {"enable-if": "v0.0.3", "install-time": "v0.0.3", "plugin-use": "v0.0.2"}
_RULES = VariantRules(max_label=None, legacy_null=False, need_provider=True, version=SCHEMA)


def read(doc: Mapping[str, Any], source: str) -> VariantsFile:
    """Convert a v0.2.0 document into the model."""
    r = JsonReader(source)
    if "static-properties" in doc:
        raise r.fail(
            "static-properties",
            "top-level static-properties belong to the v0.0.3 format; this file declares v0.2.0",
        )
    prio = r.default_priorities(doc)
    namespaces = r.namespace_priorities(prio, non_empty=True)
    for key in ("feature", "property"):
        if key in prio:
            raise r.fail(
                f"default-priorities.{key}",
                "belongs to the v0.0.3 format; v0.2.0 files have only default-priorities.namespace",
            )
    providers: Dict[str, Provider] = {}
    feature_priorities: Dict[str, Tuple[str, ...]] = {}
    for ns, info in r.obj(doc.get("providers", {}), "providers").items():
        provider = _provider(ns, info, r)
        if provider.feature_order:
            feature_priorities[ns] = provider.feature_order
        providers[ns] = provider
    r.same_namespaces(namespaces, providers)
    frozen = MappingProxyType(providers)
    return VariantsFile(
        schema=SCHEMA,
        namespace_priorities=namespaces,
        providers=frozen,
        variants=_RULES.read(doc, frozen, r),
        feature_priorities=MappingProxyType(feature_priorities),
        source=source,
        writer=write,
    )


def _provider(ns: str, info: Any, r: JsonReader) -> Provider:
    path, info = r.provider_entry(ns, info, _FOREIGN_KEYS, "v0.2.0")
    if "build-requires" in info:
        raise r.fail(
            join(path, "build-requires"),
            "only allowed in pyproject.toml (a build replaces it with static-properties)",
        )
    requires = r.requires(info, path, non_empty=True) if "requires" in info else ()
    static: Optional[Tuple[FeatureConfig, ...]] = None
    if "static-properties" in info:
        sp_path = join(path, "static-properties")
        static = r.feature_table(info["static-properties"], sp_path)
        if not static:
            raise r.fail(sp_path, "lists no features")
    builtin = r.string(info["builtin"], join(path, "builtin")) if "builtin" in info else None
    kinds = [
        k
        for k, present in (
            ("requires", bool(requires)),
            ("static-properties", static is not None),
            ("builtin", builtin is not None),
        )
        if present
    ]
    if len(kinds) != 1:
        raise r.fail(
            path,
            "needs exactly one of requires, static-properties or builtin"
            + (f" (found {', '.join(kinds)})" if kinds else ""),
        )
    plugin_api = r.plugin_api(info, path)
    if plugin_api is not None and not requires:
        raise r.fail(join(path, "plugin-api"), "is only valid together with requires")
    order: Tuple[str, ...] = ()
    if "feature-order" in info:
        fo_path = join(path, "feature-order")
        if static is None:
            raise r.fail(fo_path, "is only valid together with static-properties")
        order = r.names(info["feature-order"], fo_path)
    if static is not None and (len(static) > 1 or order):
        names = {f.name for f in static}
        if set(order) != names:
            raise r.fail(
                join(path, "feature-order"),
                f"must order every static feature ({', '.join(sorted(names))}); "
                f"found [{', '.join(order)}]",
            )
    return Provider(
        namespace=ns,
        requires=requires,
        plugin_api=plugin_api,
        static_features=static,
        feature_order=order,
        optional=r.optional_flag(info, path),
        install_time=static is None,
        builtin=builtin,
    )


def write(vfile: VariantsFile) -> Dict[str, Any]:
    """The v0.2.0 document of *vfile*."""
    providers: Dict[str, Dict[str, Any]] = {}
    for ns, prov in vfile.providers.items():
        entry: Dict[str, Any] = {}
        if prov.requires:
            entry["requires"] = list(prov.requires)
        if prov.plugin_api is not None:
            entry["plugin-api"] = prov.plugin_api
        if prov.static_features is not None:
            entry["static-properties"] = {f.name: list(f.values) for f in prov.static_features}
        if prov.feature_order:
            entry["feature-order"] = list(prov.feature_order)
        if prov.builtin is not None:
            entry["builtin"] = prov.builtin
        if prov.optional:
            entry["optional"] = True
        providers[ns] = entry
    return {
        "$schema": schema_url(SCHEMA),
        "default-priorities": {"namespace": list(vfile.namespace_priorities)},
        "providers": providers,
        "variants": sorted_variants(vfile.variants),
    }
