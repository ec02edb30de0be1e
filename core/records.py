"""The records a detection produces: one provider's result, the whole detection.

They are plain frozen data, importable without the host (pluggy, the
registry, the runner), so a lock reader, the cache, the report or a
provider's own tests can use them without pulling in the installer layer.

**Provenance** — where each feature's values came from — is one field,
:attr:`ProviderResult.provenance`, mapping a feature name to one of::

    probe:<name>         detected by the provider's probe <name> (nvml, cpuid …)
    override:<VARIABLE>  set (or forced absent) by an override or force variable
    lock:<path>          read from a lock file
    cache:<name>         the answer of probe <name>, read back from the disk cache
    cache                a cached answer whose probe was not named

The older views of the same facts (the JSON ``overridden`` object and
``info["source"]``, the report's source column) are derived from it here and
nowhere else.
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
)

from .model import FeatureConfig, VariantProperty
from .provider import STATUSES, Provider, Status
from .record_class import dataclass, field, replace

if TYPE_CHECKING:
    from .platform_info import PlatformInfo

__all__ = [
    "CACHE",
    "STATUSES",
    "ChildOutcome",
    "Detection",
    "PluginFailure",
    "ProviderResult",
    "Registered",
    "Status",
    "current_traceback",
    "from_cache",
    "from_lock",
    "from_override",
    "from_probe",
    "one_line",
    "origin_kind",
    "origin_name",
]

#: Provenance of a cached feature whose probe was not named.
CACHE = "cache"


def from_probe(name: str) -> str:
    """Provenance of values a provider's probe *name* detected."""
    return f"probe:{name}"


def from_override(variable: str) -> str:
    """Provenance of values an override or force *variable* set."""
    return f"override:{variable}"


def from_lock(path: str) -> str:
    """Provenance of values read from the lock file *path*."""
    return f"lock:{path}"


def from_cache(origin: str) -> str:
    """*origin* read back from the disk cache (a probe's name survives)."""
    if origin_kind(origin) == "probe":
        return f"{CACHE}:{origin_name(origin)}"
    return origin if origin_kind(origin) == CACHE else CACHE


def origin_kind(origin: str) -> str:
    """``probe``, ``override``, ``lock`` or ``cache``."""
    return origin.partition(":")[0]


def origin_name(origin: str) -> str:
    """The probe, variable or path an *origin* names (``""`` for plain ``cache``)."""
    return origin.partition(":")[2]


def check_status(value: object) -> Status:
    """*value* as a :data:`Status`; ``ValueError`` naming the allowed ones otherwise."""
    if value not in STATUSES:
        raise ValueError(f"unknown status {value!r} (expected one of {', '.join(STATUSES)})")
    return value


@dataclass(frozen=True)
class ProviderResult:
    """What one provider reported (or why it could not)."""

    namespace: str
    status: Status
    features: Tuple[FeatureConfig, ...] = ()
    info: Mapping[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    error: Optional[str] = None
    reason: str = ""
    description: str = ""
    plugin: str = ""
    version: str = ""
    #: Where each feature's values came from (see the module docstring); a
    #: feature forced absent by an override keeps its entry.
    provenance: Mapping[str, str] = field(default_factory=dict)
    #: Age of the cached answer in seconds, or ``None`` when detected just now.
    cache_age_s: Optional[float] = None
    traceback: Optional[str] = field(default=None, compare=False, repr=False)

    @property
    def properties(self) -> List[VariantProperty]:
        """This provider's supported properties, most preferred first."""
        if self.status not in ("ok", "override"):
            return []
        return [p for f in self.features for p in f.properties(self.namespace)]

    @property
    def overridden(self) -> Dict[str, str]:
        """Features whose values an override set, and the variable that did (derived)."""
        return {
            feature: origin_name(origin)
            for feature, origin in self.provenance.items()
            if origin_kind(origin) == "override"
        }

    def sources(self) -> List[str]:
        """The distinct origins of this result's values, for the report's source column."""
        shown = []
        for origin in self.provenance.values():
            kind, name = origin_kind(origin), origin_name(origin)
            shown.append(f"lock {name}" if kind == "lock" else name or kind)
        return list(dict.fromkeys(shown))

    def source_view(self) -> Dict[str, str]:
        """``info["source"]`` as the JSON has always carried it, derived from :attr:`provenance`.

        Feature to the probe's name (``override`` for an overridden one,
        ``lock <path>`` for a locked one).
        """
        view = {}
        for feature, origin in self.provenance.items():
            kind, name = origin_kind(origin), origin_name(origin)
            view[feature] = {"override": "override", "lock": f"lock {name}"}.get(kind, name or kind)
        return view

    def to_dict(self) -> Dict[str, Any]:
        info = dict(self.info)
        if self.provenance:  # the older view, kept for the JSON's readers
            info["source"] = self.source_view()
        data: Dict[str, Any] = {
            "namespace": self.namespace,
            "status": self.status,
            "features": [f.to_dict() for f in self.features],
            "info": info,
            "duration_ms": round(self.duration_ms, 3),
            "plugin": self.plugin,
            "description": self.description,
            "version": self.version,
            "cached": self.cache_age_s is not None,
        }
        if self.cache_age_s is not None:
            data["cache_age_s"] = round(self.cache_age_s, 1)
        if self.provenance:
            data["provenance"] = dict(self.provenance)
        overridden = self.overridden
        if overridden:
            data["overridden"] = overridden
        if self.reason:
            data["reason"] = self.reason
        if self.error:
            data["error"] = self.error
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderResult:
        """Rebuild a result from :meth:`to_dict` output (cache, child process)."""
        features = tuple(
            FeatureConfig(f["name"], f["values"], bool(f.get("multi_value", False)))
            for f in data.get("features", ())
        )
        provenance = data.get("provenance") or {}
        if not isinstance(provenance, Mapping):
            raise ValueError("provenance must be a mapping")
        return cls(
            namespace=str(data["namespace"]),
            status=check_status(data["status"]),
            features=features,
            info=dict(data.get("info") or {}),
            duration_ms=float(data.get("duration_ms", 0.0)),
            error=data.get("error"),
            reason=str(data.get("reason", "")),
            description=str(data.get("description", "")),
            plugin=str(data.get("plugin", "")),
            version=str(data.get("version", "")),
            provenance={str(k): str(v) for k, v in provenance.items()},
            traceback=data.get("traceback"),
        )

    def cached(self, age_s: float) -> ProviderResult:
        """This result read back from the disk cache *age_s* seconds after it was stored."""
        provenance = {f: from_cache(o) for f, o in self.provenance.items()}
        for feature in self.features:
            provenance.setdefault(feature.name, CACHE)
        return replace(self, provenance=provenance, cache_age_s=age_s)


@dataclass(frozen=True)
class Registered:
    """A provider record with the plugin that supplied it."""

    provider: Provider
    plugin: str


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` — how a failure reads in a report row."""
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def current_traceback() -> str:
    """The traceback of the exception being handled, for a failure's row.

    :mod:`traceback` (with ``linecache`` and ``tokenize``) is imported only
    when something failed.
    """
    import traceback

    return traceback.format_exc()


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not even supply its providers."""

    name: str
    error: str
    traceback: str

    def result(self) -> ProviderResult:
        """Its row in the detection."""
        return ProviderResult(
            namespace=self.name,
            status="error",
            error=self.error,
            plugin=self.name,
            traceback=self.traceback or None,
        )


@dataclass(frozen=True)
class ChildOutcome:
    """What a provider's child process answered: a result and the variables it read.

    ``result`` is ``None`` when the child failed; ``status`` (``error`` or
    ``timeout``) and ``error`` then say how.  ``env`` is ``None`` when the
    answer cannot be cached (the child did not say what it read).
    """

    status: Status
    result: Optional[Mapping[str, Any]] = None
    env: Optional[Mapping[str, Optional[str]]] = None
    error: str = ""

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> ChildOutcome:
        """The outcome in the plain dict an isolated run returns."""
        if message.get("status") == "ok" and isinstance(message.get("result"), Mapping):
            env = message.get("env")
            return cls("ok", message["result"], env if isinstance(env, Mapping) else None)
        status: Status = "timeout" if message.get("status") == "timeout" else "error"
        return cls(status, error=str(message.get("error", "failed")))


@dataclass(frozen=True)
class Detection(Mapping[str, ProviderResult]):
    """The result of one detection run: one :class:`ProviderResult` per provider.

    A read-only mapping of namespace to result, in report order, so
    ``"nvidia" in detection``, ``list(detection)``, ``len(detection)`` and
    ``detection.get("nvidia")`` mean what they say.
    """

    providers: Tuple[ProviderResult, ...]
    duration_ms: float = 0.0
    source: str = "live"
    platform: Optional[PlatformInfo] = None
    #: Where the cache lives and whether it was used (``None``: not used).
    cache_dir: Optional[str] = None
    #: Override items and disabled namespaces in effect, for the report.
    overrides: Tuple[Dict[str, Any], ...] = ()
    #: Third-party plugins and what became of them (loaded, blocked, failed).
    plugins: Tuple[Dict[str, str], ...] = ()
    #: Rows of namespaces claimed twice whose values are not used (the rule:
    #: :mod:`variant_providers.standard_plugins`); each reason names the answering row.
    shadowed: Tuple[ProviderResult, ...] = ()

    @property
    def properties(self) -> List[VariantProperty]:
        """Every supported property, provider by provider, most preferred first."""
        return [p for r in self.providers for p in r.properties]

    @property
    def namespaces(self) -> List[str]:
        return [r.namespace for r in self.providers]

    @property
    def failed(self) -> List[ProviderResult]:
        """Providers whose status is ``error`` or ``timeout``."""
        return [r for r in self.providers if r.status in ("error", "timeout")]

    @property
    def cache_hits(self) -> int:
        return sum(r.cache_age_s is not None for r in self.providers)

    def get(  # type: ignore[override]  # the default may be of any type, as dict.get's
        self, namespace: str, default: Optional[ProviderResult] = None
    ) -> Optional[ProviderResult]:
        for result in self.providers:
            if result.namespace == namespace:
                return result
        return default

    def __getitem__(self, namespace: str) -> ProviderResult:
        result = self.get(namespace)
        if result is None:
            raise KeyError(namespace)
        return result

    def __iter__(self) -> Iterator[str]:
        return iter(self.namespaces)

    def __len__(self) -> int:
        return len(self.providers)
