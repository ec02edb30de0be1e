"""Reader and writer of the v0.0.2 format: the 2025 WheelNext test index.

Published as ``https://variants-schema.wheelnext.dev/v0.0.2.json`` and,
earlier, as the unversioned ``https://variants-schema.wheelnext.dev/`` (the
same format; the index renamed one to the other).  As variantlib's ``v0.0.2``
tag reads it:

* ``default-priorities.namespace/feature/property`` as in v0.0.3;
* providers with ``requires``, ``plugin-api``, ``enable-if``, ``optional``
  and ``plugin-use``: ``all`` (default: the plugin runs at install time),
  ``build`` (it ran when the wheel was built) or ``none`` (there is no plugin;
  ``requires`` may then be empty);
* a ``build`` / ``none`` namespace supports exactly the package-defined
  values: for each feature of ``default-priorities.feature[ns]``, in that
  order, the values of ``default-priorities.property[ns][feature]``.  A
  feature with values but missing from ``feature[ns]`` supports nothing, and
  ``optional`` / ``enable-if`` are not consulted for such namespaces.
* labels are ``[0-9a-z._]{1,16}``; a variant may use a namespace without a
  provider (it is never compatible).

The null variant may be labelled ``null`` or, as in the index's 2025 torch
files, ``00000000`` (the variant hash of the empty property set, the null
label before ``null`` was reserved).  The ``v0.0.2`` tag itself rejects
``00000000``; earlier variantlib read it as the null variant, and so do we.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict, Mapping, Optional, Tuple

from ..model import FeatureConfig
from ..variants_file import PLUGIN_USES, V002_SCHEMA, Provider, VariantsFile, schema_url
from .common import JsonReader, VariantRules, join, sorted_variants
from .v0_0_3 import MAX_LABEL, priorities_json

__all__ = ["ONLY_KEYS", "read", "write"]

ONLY_KEYS = ("plugin-use",)
"""Provider keys that exist only in this format."""

_FOREIGN_KEYS = {
    "install-time": "v0.0.3",
    "static-properties": "v0.2.0",
    "feature-order": "v0.2.0",
    "builtin": "v0.2.0",
    "build-requires": "v0.2.0",
}
_RULES = VariantRules(
    max_label=MAX_LABEL, legacy_null=True, need_provider=False, version=V002_SCHEMA
)


def read(doc: Mapping[str, Any], source: str) -> VariantsFile:
    """Convert a v0.0.2 (or unversioned) document into the model."""
    r = JsonReader(source)
    if "static-properties" in doc:
        raise r.fail(
            "static-properties",
            "top-level static-properties belong to the v0.0.3 format; this file declares v0.0.2",
        )
    prio = r.default_priorities(doc)
    namespaces = r.namespace_priorities(prio, non_empty=False)
    feature_priorities, property_priorities = r.package_priorities(prio)
    providers: Dict[str, Provider] = {}
    for ns, info in r.obj(doc.get("providers", {}), "providers").items():
        providers[ns] = _provider(ns, info, feature_priorities, property_priorities, r)
    r.same_namespaces(namespaces, providers)
    frozen = MappingProxyType(providers)
    return VariantsFile(
        schema=V002_SCHEMA,
        namespace_priorities=namespaces,
        providers=frozen,
        variants=_RULES.read(doc, frozen, r),
        feature_priorities=feature_priorities,
        property_priorities=property_priorities,
        source=source,
        writer=write,
    )


def _provider(
    ns: str,
    info: Any,
    feature_priorities: Mapping[str, Tuple[str, ...]],
    property_priorities: Mapping[str, Mapping[str, Tuple[str, ...]]],
    r: JsonReader,
) -> Provider:
    path, info = r.provider_entry(ns, info, _FOREIGN_KEYS, "v0.0.2")
    plugin_use: Optional[str] = None
    if "plugin-use" in info:
        use_path = join(path, "plugin-use")
        plugin_use = r.string(info["plugin-use"], use_path)
        if plugin_use not in PLUGIN_USES:
            raise r.fail(
                use_path,
                f"invalid plugin-use {plugin_use!r} (allowed: {', '.join(PLUGIN_USES)})",
            )
    requires = r.requires(info, path, non_empty=plugin_use != "none")
    static: Optional[Tuple[FeatureConfig, ...]] = None
    if plugin_use in ("build", "none"):
        values = property_priorities.get(ns, {})
        static = tuple(
            FeatureConfig(feature, values[feature])
            for feature in dict.fromkeys(feature_priorities.get(ns, ()))
            if values.get(feature)
        )
    return Provider(
        namespace=ns,
        requires=requires,
        plugin_api=r.plugin_api(info, path),
        static_features=static,
        optional=r.optional_flag(info, path),
        enable_if=r.enable_if(info, path),
        install_time=static is None,
        plugin_use=plugin_use,
    )


def write(vfile: VariantsFile) -> Dict[str, Any]:
    """The v0.0.2 document of *vfile* (under the versioned URL)."""
    providers: Dict[str, Dict[str, Any]] = {}
    for ns, prov in vfile.providers.items():
        entry: Dict[str, Any] = {}
        if prov.requires or prov.plugin_use != "none":
            entry["requires"] = list(prov.requires)
        if prov.plugin_api is not None:
            entry["plugin-api"] = prov.plugin_api
        if prov.enable_if is not None:
            entry["enable-if"] = prov.enable_if
        if prov.optional:
            entry["optional"] = True
        if prov.plugin_use is not None:
            entry["plugin-use"] = prov.plugin_use
        providers[ns] = entry
    return {
        "$schema": schema_url(V002_SCHEMA),
        "default-priorities": priorities_json(vfile),
        "providers": providers,
        "variants": sorted_variants(vfile.variants),
    }
