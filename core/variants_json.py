"""Read ``variants.json`` files, and a wheel's ``*.dist-info/variant.json``.

Two formats are in use and they are mutually incompatible, so the file's
``$schema`` URL decides which one is read:

* **v0.2.0** (providers-PEP era, written by variantlib 0.2.2): each provider
  has exactly one of ``requires`` (install-time plugin), ``static-properties``
  (ordered supported values, plus ``feature-order``) or ``builtin``;
  ``default-priorities`` holds only ``namespace``.
* **v0.0.3** (PEP 817): ``default-priorities.namespace/feature/property``,
  providers with ``requires`` / ``plugin-api`` / ``enable-if`` /
  ``install-time`` / ``optional``, and top-level ``static-properties`` for
  ahead-of-time providers.

A file whose ``$schema`` names another version is reported as unsupported
rather than guessed at.  A file without ``$schema`` is read as v0.0.3 when it
uses a key only that format has, else as v0.2.0.  Unknown keys are ignored, as
the PEPs require, except keys that belong to the *other* format: they mean the
``$schema`` is wrong, and reading on would silently drop priorities.

Every error names the file and the position (``line:column`` for JSON syntax,
a JSON path such as ``providers.nvidia.requires[0]`` for content).  Parsing
builds a new immutable :class:`VariantsFile` or raises: nothing is applied
half-way.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from packaging.markers import InvalidMarker, Marker

from .matcher import ABI_DEPENDENCY_NAMESPACE, NULL_LABEL
from .model import FeatureConfig, VariantProperty, is_valid_name, is_valid_value

__all__ = [
    "LEGACY_SCHEMA",
    "SCHEMA",
    "SUPPORTED_SCHEMAS",
    "Provider",
    "UnsupportedSchemaError",
    "VariantsFile",
    "VariantsJsonError",
    "load_variants_json",
    "load_wheel_variant_json",
    "parse_variants_json",
    "schema_url",
]

SCHEMA = "0.2.0"
LEGACY_SCHEMA = "0.0.3"
SUPPORTED_SCHEMAS = (SCHEMA, LEGACY_SCHEMA)

_SCHEMA_URL_RE = re.compile(r"https://variants-schema\.wheelnext\.dev/v(?P<version>[^/]+)\.json")
_LABEL_RE = re.compile(r"[0-9a-z._]+")
_LEGACY_LABEL_MAX = 16  # PEP 817 limit; PEP 825 / v0.2.0 dropped it
_PLUGIN_API_RE = re.compile(r"[\w.]+(?:\s*:\s*[\w.]+)?")
_REQUIRES_RE = re.compile(r"[\S ]+")

# Keys that exist in only one of the formats (used to detect a wrong/missing $schema).
_LEGACY_ONLY_PROVIDER_KEYS = ("enable-if", "install-time")
_V020_ONLY_PROVIDER_KEYS = ("static-properties", "feature-order", "builtin", "build-requires")


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
    file itself (v0.2.0 ``static-properties``; v0.0.3 ``install-time = false``
    with top-level ``static-properties``); their order is the file's, most
    preferred first.  ``enable_if`` and ``install_time`` exist only in v0.0.3.
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

    @property
    def is_static(self) -> bool:
        """True when the supported properties come from the file, not a plugin."""
        return self.static_features is not None

    def static_properties(self) -> Tuple[VariantProperty, ...]:
        """The file's supported properties for this namespace, file order."""
        if self.static_features is None:
            return ()
        return tuple(p for feat in self.static_features for p in feat.properties(self.namespace))


@dataclass(frozen=True)
class VariantsFile:
    """One parsed variants.json (or variant.json), immutable.

    ``variants`` maps each label to its properties sorted by
    ``(namespace, feature, value)``.  ``feature_priorities`` and
    ``property_priorities`` are the package's own preferences: v0.0.3
    ``default-priorities.feature/property``, and for v0.2.0 the
    ``feature-order`` of static providers (variantlib uses it the same way).
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

    def variant_dicts(self) -> Dict[str, Dict[str, Dict[str, List[str]]]]:
        """``{label: {namespace: {feature: [values]}}}``, the shape the matcher ranks fastest."""
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
        variants = {
            label: {
                ns: {f: sorted(values) for f, values in features.items()}
                for ns, features in nested.items()
            }
            for label, nested in self.variant_dicts().items()
        }
        if self.schema == LEGACY_SCHEMA:
            return self._to_legacy_json(variants)
        providers: Dict[str, Dict[str, Any]] = {}
        for ns, prov in self.providers.items():
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
            "default-priorities": {"namespace": list(self.namespace_priorities)},
            "providers": providers,
            "variants": variants,
        }

    def _to_legacy_json(self, variants: Dict[str, Any]) -> Dict[str, Any]:
        priorities: Dict[str, Any] = {"namespace": list(self.namespace_priorities)}
        if self.feature_priorities:
            priorities["feature"] = {ns: list(f) for ns, f in self.feature_priorities.items()}
        if self.property_priorities:
            priorities["property"] = {
                ns: {f: list(v) for f, v in features.items()}
                for ns, features in self.property_priorities.items()
            }
        providers: Dict[str, Dict[str, Any]] = {}
        static: Dict[str, Dict[str, List[str]]] = {}
        for ns, prov in self.providers.items():
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
            if prov.static_features is not None:
                static[ns] = {f.name: list(f.values) for f in prov.static_features}
            providers[ns] = entry
        doc: Dict[str, Any] = {
            "$schema": schema_url(LEGACY_SCHEMA),
            "default-priorities": priorities,
            "providers": providers,
        }
        if static:
            doc["static-properties"] = static
        doc["variants"] = variants
        return doc


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------

PathLike = Union[str, "os.PathLike[str]"]


def _decode(text: Union[str, bytes], source: str) -> Any:
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise VariantsJsonError(source, f"byte {exc.start}", "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise VariantsJsonError(
            source, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None


def load_variants_json(path: PathLike) -> VariantsFile:
    """Read a ``variants.json``, a ``variant.json``, a ``*.dist-info`` folder or a wheel."""
    p = Path(path)
    source = str(path)
    if p.suffix == ".whl":
        return load_wheel_variant_json(p)
    if p.is_dir():
        p = p / "variant.json"
        source = str(p)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise VariantsJsonError(source, "", f"cannot read: {exc.strerror or exc}") from None
    parsed = parse_variants_json(raw, source=source)
    if p.name == "variant.json":
        _require_single(parsed, source)
    return parsed


def _require_single(parsed: VariantsFile, source: str) -> None:
    if len(parsed.variants) != 1:
        raise VariantsJsonError(
            source,
            "variants",
            f"a variant.json describes exactly one variant, found {len(parsed.variants)}",
        )


def _wheel_label(filename: str) -> Optional[str]:
    """The variant label in a wheel filename, or None for a plain wheel."""
    parts = filename[: -len(".whl")].split("-")
    if len(parts) == 7:
        return parts[6]
    if len(parts) == 6 and not parts[2][:1].isdigit():
        # Six parts are either name-ver-build-py-abi-plat or name-ver-py-abi-plat-label;
        # build tags start with a digit and python tags must not (PEP 825).
        return parts[5]
    return None


def load_wheel_variant_json(path: PathLike) -> VariantsFile:
    """Read ``*.dist-info/variant.json`` from a wheel and check its label."""
    source = str(path)
    try:
        with zipfile.ZipFile(path) as wheel:
            names = [
                n
                for n in wheel.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/variant.json")
            ]
            if len(names) != 1:
                raise VariantsJsonError(
                    source,
                    "",
                    "no *.dist-info/variant.json in this wheel (not a variant wheel)"
                    if not names
                    else f"several variant.json files: {', '.join(sorted(names))}",
                )
            raw = wheel.read(names[0])
    except (OSError, zipfile.BadZipFile) as exc:
        raise VariantsJsonError(source, "", f"cannot read wheel: {exc}") from None
    inner = f"{source}!{names[0]}"
    parsed = parse_variants_json(raw, source=inner)
    _require_single(parsed, inner)
    expected = _wheel_label(Path(path).name)
    if expected is not None and parsed.label != expected:
        raise VariantsJsonError(
            inner,
            "variants",
            f"label {parsed.label!r} does not match the wheel filename's label {expected!r}",
        )
    return parsed


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


class _Reader:
    """Type-checked access to JSON values that knows its path, for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> VariantsJsonError:
        return VariantsJsonError(self.source, path or "(top level)", message)

    def obj(self, value: Any, path: str) -> Dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, found {_kind(value)}")
        return value

    def str_list(self, value: Any, path: str, *, non_empty: bool = True) -> List[str]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of strings, found {_kind(value)}")
        if non_empty and not value:
            raise self.fail(path, "must not be empty")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{path}[{i}]", f"expected a string, found {_kind(item)}")
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
            raise self.fail(path, f"expected true or false, found {_kind(value)}")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, found {_kind(value)}")
        return value


def _kind(value: Any) -> str:
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


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parse_variants_json(
    data: Union[Mapping[str, Any], str, bytes], *, source: str = "<variants.json>"
) -> VariantsFile:
    """Parse a variants.json document (already loaded, or as JSON text)."""
    doc = _decode(data, source) if isinstance(data, (str, bytes)) else data
    r = _Reader(source)
    if not isinstance(doc, Mapping):
        raise r.fail("", f"expected a JSON object, found {_kind(doc)}")
    doc = dict(doc)
    schema = _schema_version(doc, r)
    if schema == LEGACY_SCHEMA:
        return _parse_legacy(doc, r)
    return _parse_v020(doc, r)


def _schema_version(doc: Dict[str, Any], r: _Reader) -> str:
    if "$schema" not in doc:
        return LEGACY_SCHEMA if _looks_legacy(doc) else SCHEMA
    url = r.string(doc["$schema"], "$schema")
    match = _SCHEMA_URL_RE.fullmatch(url.strip())
    if match is None:
        raise UnsupportedSchemaError(
            r.source, "$schema", f"unrecognized schema {url!r} (supported: {_supported_text()})"
        )
    version = match.group("version")
    if version not in SUPPORTED_SCHEMAS:
        raise UnsupportedSchemaError(
            r.source,
            "$schema",
            f"unsupported format version {version} (supported: {_supported_text()})",
        )
    return version


def _supported_text() -> str:
    return ", ".join(f"v{v}" for v in SUPPORTED_SCHEMAS)


def _looks_legacy(doc: Dict[str, Any]) -> bool:
    if "static-properties" in doc:
        return True
    prio = doc.get("default-priorities")
    if isinstance(prio, dict) and ("feature" in prio or "property" in prio):
        return True
    providers = doc.get("providers")
    if isinstance(providers, dict):
        for info in providers.values():
            if isinstance(info, dict) and any(k in info for k in _LEGACY_ONLY_PROVIDER_KEYS):
                return True
    return False


def _namespace_priorities(
    doc: Dict[str, Any], r: _Reader
) -> Tuple[Dict[str, Any], Tuple[str, ...]]:
    if "default-priorities" not in doc:
        raise r.fail("default-priorities", "missing (it must list every namespace)")
    prio = r.obj(doc["default-priorities"], "default-priorities")
    if "namespace" not in prio:
        raise r.fail("default-priorities.namespace", "missing")
    namespaces = r.names(prio["namespace"], "default-priorities.namespace")
    dupes = sorted({ns for ns in namespaces if namespaces.count(ns) > 1})
    if dupes:
        raise r.fail("default-priorities.namespace", f"lists {', '.join(dupes)} more than once")
    return prio, namespaces


def _check_same_namespaces(
    namespaces: Tuple[str, ...], providers: Mapping[str, Provider], r: _Reader
) -> None:
    if set(namespaces) != set(providers):
        only_prio = sorted(set(namespaces) - set(providers))
        only_prov = sorted(set(providers) - set(namespaces))
        details = []
        if only_prio:
            details.append(f"no provider for {', '.join(only_prio)}")
        if only_prov:
            details.append(f"{', '.join(only_prov)} missing from the priority list")
        raise r.fail(
            "default-priorities.namespace",
            "must list exactly the namespaces of providers (" + "; ".join(details) + ")",
        )


def _parse_variants(
    doc: Dict[str, Any], providers: Mapping[str, Provider], r: _Reader, *, legacy: bool
) -> Mapping[str, Tuple[VariantProperty, ...]]:
    raw = r.obj(doc.get("variants", {}), "variants")
    result: Dict[str, Tuple[VariantProperty, ...]] = {}
    for label, nested in raw.items():
        path = f"variants.{label}"
        if not _LABEL_RE.fullmatch(label):
            raise r.fail(path, f"invalid variant label {label!r} (allowed: [0-9a-z._])")
        if legacy and len(label) > _LEGACY_LABEL_MAX:
            raise r.fail(path, f"label {label!r} is longer than 16 characters (v0.0.3 limit)")
        props: List[VariantProperty] = []
        for ns, features in r.obj(nested, path).items():
            ns_path = _join(path, ns)
            r.key_name(ns, ns_path)
            if ns not in providers and ns != ABI_DEPENDENCY_NAMESPACE:
                raise r.fail(ns_path, f"namespace {ns!r} has no entry in providers")
            features = r.obj(features, ns_path)
            if not features:
                raise r.fail(ns_path, "lists no features")
            for feature, values in features.items():
                f_path = _join(ns_path, feature)
                r.key_name(feature, f_path)
                props.extend(VariantProperty(ns, feature, v) for v in r.values(values, f_path))
        if not props and label != NULL_LABEL:
            raise r.fail(path, f"only the {NULL_LABEL!r} variant may have no properties")
        if props and label == NULL_LABEL:
            raise r.fail(path, f"the {NULL_LABEL!r} variant must have no properties")
        result[label] = tuple(sorted(props))
    return MappingProxyType(result)


def _parse_v020(doc: Dict[str, Any], r: _Reader) -> VariantsFile:
    if "static-properties" in doc:
        raise r.fail(
            "static-properties",
            "top-level static-properties belong to the v0.0.3 format; this file declares v0.2.0",
        )
    prio, namespaces = _namespace_priorities(doc, r)
    for key in ("feature", "property"):
        if key in prio:
            raise r.fail(
                f"default-priorities.{key}",
                "belongs to the v0.0.3 format; v0.2.0 files have only default-priorities.namespace",
            )
    raw_providers = r.obj(doc.get("providers", {}), "providers")
    providers: Dict[str, Provider] = {}
    feature_priorities: Dict[str, Tuple[str, ...]] = {}
    for ns, info in raw_providers.items():
        path = f"providers.{ns}"
        r.key_name(ns, path)
        info = r.obj(info, path)
        for key in _LEGACY_ONLY_PROVIDER_KEYS:
            if key in info:
                raise r.fail(
                    _join(path, key), "belongs to the v0.0.3 format; this file declares v0.2.0"
                )
        if "build-requires" in info:
            raise r.fail(
                _join(path, "build-requires"),
                "only allowed in pyproject.toml (a build replaces it with static-properties)",
            )
        requires: Tuple[str, ...] = ()
        if "requires" in info:
            requires = tuple(r.str_list(info["requires"], _join(path, "requires")))
            _check_requires(requires, _join(path, "requires"), r)
        static: Optional[Tuple[FeatureConfig, ...]] = None
        if "static-properties" in info:
            sp_path = _join(path, "static-properties")
            raw_static = r.obj(info["static-properties"], sp_path)
            if not raw_static:
                raise r.fail(sp_path, "lists no features")
            static = tuple(
                FeatureConfig(r.key_name(f, _join(sp_path, f)), r.values(v, _join(sp_path, f)))
                for f, v in raw_static.items()
            )
        builtin = r.string(info["builtin"], _join(path, "builtin")) if "builtin" in info else None
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
        plugin_api = None
        if "plugin-api" in info:
            plugin_api = r.string(info["plugin-api"], _join(path, "plugin-api"))
            if not requires:
                raise r.fail(_join(path, "plugin-api"), "is only valid together with requires")
            if not _PLUGIN_API_RE.fullmatch(plugin_api.strip()):
                raise r.fail(_join(path, "plugin-api"), f"invalid object reference {plugin_api!r}")
        order: Tuple[str, ...] = ()
        if "feature-order" in info:
            fo_path = _join(path, "feature-order")
            if static is None:
                raise r.fail(fo_path, "is only valid together with static-properties")
            order = r.names(info["feature-order"], fo_path)
        if static is not None and (len(static) > 1 or order):
            names = {f.name for f in static}
            if set(order) != names:
                raise r.fail(
                    _join(path, "feature-order"),
                    f"must order every static feature ({', '.join(sorted(names))}); "
                    f"found [{', '.join(order)}]",
                )
        if order:
            feature_priorities[ns] = order
        optional = (
            r.boolean(info["optional"], _join(path, "optional")) if "optional" in info else False
        )
        providers[ns] = Provider(
            namespace=ns,
            requires=requires,
            plugin_api=plugin_api,
            static_features=static,
            feature_order=order,
            optional=optional,
            install_time=static is None,
            builtin=builtin,
        )
    _check_same_namespaces(namespaces, providers, r)
    frozen_providers = MappingProxyType(providers)
    return VariantsFile(
        schema=SCHEMA,
        namespace_priorities=namespaces,
        providers=frozen_providers,
        variants=_parse_variants(doc, frozen_providers, r, legacy=False),
        feature_priorities=MappingProxyType(feature_priorities),
        source=r.source,
    )


def _check_requires(requires: Tuple[str, ...], path: str, r: _Reader) -> None:
    for i, req in enumerate(requires):
        if not _REQUIRES_RE.fullmatch(req):
            raise r.fail(f"{path}[{i}]", f"invalid requirement {req!r}")


def _parse_legacy(doc: Dict[str, Any], r: _Reader) -> VariantsFile:
    prio, namespaces = _namespace_priorities(doc, r)
    feature_priorities: Dict[str, Tuple[str, ...]] = {}
    if "feature" in prio:
        for ns, feats in r.obj(prio["feature"], "default-priorities.feature").items():
            path = f"default-priorities.feature.{ns}"
            feature_priorities[r.key_name(ns, path)] = r.names(feats, path, non_empty=False)
    property_priorities: Dict[str, Mapping[str, Tuple[str, ...]]] = {}
    if "property" in prio:
        for ns, features in r.obj(prio["property"], "default-priorities.property").items():
            ns_path = f"default-priorities.property.{ns}"
            r.key_name(ns, ns_path)
            per_feature: Dict[str, Tuple[str, ...]] = {}
            for feature, values in r.obj(features, ns_path).items():
                f_path = _join(ns_path, feature)
                per_feature[r.key_name(feature, f_path)] = r.values(values, f_path)
            property_priorities[ns] = MappingProxyType(per_feature)

    raw_static = r.obj(doc.get("static-properties", {}), "static-properties")
    raw_providers = r.obj(doc.get("providers", {}), "providers")
    providers: Dict[str, Provider] = {}
    for ns, info in raw_providers.items():
        path = f"providers.{ns}"
        r.key_name(ns, path)
        info = r.obj(info, path)
        for key in _V020_ONLY_PROVIDER_KEYS:
            if key in info:
                raise r.fail(
                    _join(path, key), "belongs to the v0.2.0 format; this file declares v0.0.3"
                )
        requires = tuple(
            r.str_list(info.get("requires", []), _join(path, "requires"), non_empty=False)
        )
        _check_requires(requires, _join(path, "requires"), r)
        install_time = (
            r.boolean(info["install-time"], _join(path, "install-time"))
            if "install-time" in info
            else True
        )
        if install_time and not requires:
            raise r.fail(
                _join(path, "requires"), "an install-time provider needs at least one requirement"
            )
        plugin_api = None
        if info.get("plugin-api") is not None:
            plugin_api = r.string(info["plugin-api"], _join(path, "plugin-api"))
            if not _PLUGIN_API_RE.fullmatch(plugin_api.strip()):
                raise r.fail(_join(path, "plugin-api"), f"invalid object reference {plugin_api!r}")
        enable_if = None
        if info.get("enable-if") is not None:
            enable_if = r.string(info["enable-if"], _join(path, "enable-if"))
            try:
                Marker(enable_if)
            except InvalidMarker as exc:
                raise r.fail(
                    _join(path, "enable-if"), f"invalid environment marker: {exc}"
                ) from None
        optional = (
            r.boolean(info["optional"], _join(path, "optional")) if "optional" in info else False
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
            static = tuple(
                FeatureConfig(r.key_name(f, _join(sp_path, f)), r.values(v, _join(sp_path, f)))
                for f, v in r.obj(raw_static[ns], sp_path).items()
            )
        elif not install_time:
            static = ()  # ahead-of-time provider that declares nothing: supports nothing
        providers[ns] = Provider(
            namespace=ns,
            requires=requires,
            plugin_api=plugin_api,
            static_features=static,
            optional=optional,
            enable_if=enable_if,
            install_time=install_time,
        )
    for ns in raw_static:
        if ns not in providers:
            raise r.fail(f"static-properties.{ns}", f"namespace {ns!r} has no entry in providers")
    _check_same_namespaces(namespaces, providers, r)
    frozen_providers = MappingProxyType(providers)
    return VariantsFile(
        schema=LEGACY_SCHEMA,
        namespace_priorities=namespaces,
        providers=frozen_providers,
        variants=_parse_variants(doc, frozen_providers, r, legacy=True),
        feature_priorities=MappingProxyType(feature_priorities),
        property_priorities=MappingProxyType(property_priorities),
        source=r.source,
    )
