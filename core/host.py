"""The plugin host: find providers, run each one isolated, collect a Detection.

pluggy does the registration; the host adds what pluggy deliberately leaves
to its hosts:

* **isolation** — an entry point that fails to import, a hook that raises, a
  ``detect`` that raises or returns invalid data each become one provider
  result with status ``error`` and a one-line reason.  Every other provider
  still runs.  (pluggy itself propagates the first exception of a hook call.)
* **validation** — namespaces and features are checked against the grammar,
  a feature may appear once per provider and a namespace once per host.
* **order** — built-in providers first (GPU vendors, then CPUs), then
  third-party ones in entry-point order, so the report reads the same way
  on every run.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import pluggy

from . import hookspecs
from .model import FeatureConfig, InvalidFeatureConfig, VariantProperty, is_valid_name
from .provider import STATUSES, Provider, ProviderOutput
from .system import LiveSystem, PlatformInfo, System

__all__ = ["Detection", "Host", "ProviderResult", "UnknownNamespace", "detect", "get_host"]

log = logging.getLogger("variant_providers")


class UnknownNamespace(ValueError):
    """``only=`` named a namespace no provider offers."""


@dataclass(frozen=True)
class ProviderResult:
    """What one provider reported (or why it could not)."""

    namespace: str
    status: str
    features: Tuple[FeatureConfig, ...] = ()
    info: Mapping[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    error: Optional[str] = None
    reason: str = ""
    description: str = ""
    plugin: str = ""
    version: str = ""
    traceback: Optional[str] = field(default=None, compare=False, repr=False)

    @property
    def properties(self) -> List[VariantProperty]:
        """This provider's supported properties, most preferred first."""
        if self.status not in ("ok", "override"):
            return []
        return [p for f in self.features for p in f.properties(self.namespace)]

    def to_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "namespace": self.namespace,
            "status": self.status,
            "features": [f.to_dict() for f in self.features],
            "info": dict(self.info),
            "duration_ms": round(self.duration_ms, 3),
            "plugin": self.plugin,
            "description": self.description,
            "version": self.version,
        }
        if self.reason:
            data["reason"] = self.reason
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class Detection:
    """The result of one detection run: one :class:`ProviderResult` per provider."""

    providers: Tuple[ProviderResult, ...]
    duration_ms: float = 0.0
    source: str = "live"
    platform: Optional[PlatformInfo] = None

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

    def get(self, namespace: str) -> Optional[ProviderResult]:
        for result in self.providers:
            if result.namespace == namespace:
                return result
        return None

    def __getitem__(self, namespace: str) -> ProviderResult:
        result = self.get(namespace)
        if result is None:
            raise KeyError(namespace)
        return result


@dataclass(frozen=True)
class _Registered:
    """A provider record with the plugin that supplied it."""

    provider: Provider
    plugin: str


@dataclass(frozen=True)
class _Failure:
    """A plugin that could not even supply its providers."""

    name: str
    error: str
    traceback: str


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class Host:
    """A pluggy plugin manager plus per-provider isolation.

    ``builtins`` registers the providers shipped in
    :mod:`variant_providers.providers`; ``entry_points`` loads third-party
    plugins from the ``variant_providers`` entry-point group; ``plugins``
    registers extra plugin objects (modules, classes, instances) — handy for
    tests and for an installer embedding its own provider.
    """

    def __init__(
        self,
        *,
        builtins: bool = True,
        entry_points: bool = True,
        plugins: Iterable[object] = (),
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self._failures: List[_Failure] = []
        if builtins:
            from .providers import BUILTIN_PROVIDERS

            for vendor in BUILTIN_PROVIDERS:
                module = f"{__package__}.providers.{vendor}.plugin"
                self._register(lambda m=module: importlib.import_module(m), f"builtin:{vendor}")
        for index, plugin in enumerate(plugins):
            name = getattr(plugin, "__name__", None) or f"plugin-{index}"
            self._register(lambda p=plugin: p, str(name))
        if entry_points:
            self._load_entry_points()

    def _register(self, load: Any, name: str) -> None:
        try:
            obj = load()
            self.pm.register(obj, name=name)
        except Exception as exc:
            log.debug("plugin %s failed to load", name, exc_info=True)
            self._failures.append(_Failure(name, _one_line(exc), traceback.format_exc()))

    def _load_entry_points(self) -> None:
        from importlib.metadata import entry_points

        if sys.version_info >= (3, 10):
            eps = list(entry_points(group=hookspecs.PROJECT_NAME))
        else:  # pragma: no cover - Python 3.9
            eps = list(entry_points().get(hookspecs.PROJECT_NAME, ()))
        for ep in eps:
            if self.pm.get_plugin(ep.name) is not None or self.pm.is_blocked(ep.name):
                continue
            self._register(ep.load, ep.name)

    def providers(self) -> Tuple[List[_Registered], List[_Failure]]:
        """Ask every plugin for its providers, each call isolated."""
        found: List[_Registered] = []
        failures = list(self._failures)
        # get_hookimpls() lists implementations in registration order (pluggy's own
        # hook call runs them in reverse); registration order is the report order.
        for impl in self.pm.hook.variant_providers.get_hookimpls():
            try:
                records: Any = impl.function()
                items: List[object] = list(records) if records is not None else []
            except Exception as exc:
                failures.append(_Failure(impl.plugin_name, _one_line(exc), traceback.format_exc()))
                continue
            for item in items:
                if not isinstance(item, Provider):
                    failures.append(
                        _Failure(
                            impl.plugin_name,
                            f"hook returned {type(item).__name__}, not a Provider record",
                            "",
                        )
                    )
                    continue
                found.append(_Registered(item, impl.plugin_name))
        return found, failures

    def namespaces(self) -> List[str]:
        """The namespaces the registered providers offer, in report order."""
        found, _ = self.providers()
        return [r.provider.namespace for r in found]

    def detect(
        self, system: Optional[System] = None, *, only: Optional[Iterable[str]] = None
    ) -> Detection:
        """Run every provider (or those in *only*) against *system*."""
        system = LiveSystem() if system is None else system
        start = time.perf_counter()
        found, failures = self.providers()
        wanted = None if only is None else list(dict.fromkeys(only))
        if wanted is not None:
            known = {r.provider.namespace for r in found}
            missing = [ns for ns in wanted if ns not in known]
            if missing:
                raise UnknownNamespace(
                    f"no provider offers namespace {', '.join(map(repr, missing))} "
                    f"(known: {', '.join(sorted(known)) or 'none'})"
                )
        results: List[ProviderResult] = []
        taken: Dict[str, str] = {}
        for reg in found:
            provider = reg.provider
            if wanted is not None and provider.namespace not in wanted:
                continue
            if not is_valid_name(provider.namespace):
                results.append(
                    _error_result(
                        provider,
                        reg.plugin,
                        f"invalid namespace {provider.namespace!r} (allowed: [a-z0-9_]+)",
                    )
                )
                continue
            if provider.namespace in taken:
                results.append(
                    _error_result(
                        provider,
                        reg.plugin,
                        f"namespace {provider.namespace!r} is already provided by "
                        f"{taken[provider.namespace]}",
                    )
                )
                continue
            taken[provider.namespace] = reg.plugin
            results.append(run_provider(provider, system, plugin=reg.plugin))
        if wanted is None:
            for failure in failures:
                results.append(
                    ProviderResult(
                        namespace=failure.name,
                        status="error",
                        error=failure.error,
                        plugin=failure.name,
                        traceback=failure.traceback or None,
                    )
                )
        source = getattr(system, "source", "live")
        return Detection(
            tuple(results), (time.perf_counter() - start) * 1e3, str(source), system.platform
        )


def _error_result(
    provider: Provider, plugin: str, message: str, tb: Optional[str] = None
) -> ProviderResult:
    return ProviderResult(
        namespace=provider.namespace,
        status="error",
        error=message,
        description=provider.description,
        plugin=plugin,
        version=provider.version,
        traceback=tb,
    )


def _coerce_features(raw: Any) -> Tuple[FeatureConfig, ...]:
    """Validate what ``detect`` returned; raise ``ValueError`` saying what is wrong."""
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
        raise ValueError(
            f"detect returned {type(raw).__name__}, expected a sequence of FeatureConfig"
        )
    features: List[FeatureConfig] = []
    seen = set()
    for item in raw:
        if isinstance(item, FeatureConfig):
            feature = item
        elif all(hasattr(item, a) for a in ("name", "values", "multi_value")):
            # Any object with the variantlib feature-config shape is accepted.
            feature = FeatureConfig(item.name, list(item.values), bool(item.multi_value))
        else:
            raise ValueError(f"detect returned a {type(item).__name__}, expected FeatureConfig")
        if feature.name in seen:
            raise ValueError(f"feature {feature.name!r} is listed twice")
        seen.add(feature.name)
        features.append(feature)
    return tuple(features)


def _json_safe(info: Any) -> Dict[str, Any]:
    if not isinstance(info, Mapping):
        raise ValueError(f"info must be a mapping, not {type(info).__name__}")
    result: Dict[str, Any] = json.loads(json.dumps(dict(info), default=str))
    return result


def run_provider(provider: Provider, system: System, *, plugin: str = "") -> ProviderResult:
    """Run one provider's ``detect`` isolated: any failure becomes its result."""
    start = time.perf_counter()
    try:
        raw = provider.detect(system)
        if isinstance(raw, ProviderOutput):
            features = _coerce_features(raw.features)
            info = _json_safe(raw.info)
            status = raw.status or ("ok" if features else "not-detected")
            reason = raw.reason
        else:
            features = _coerce_features(raw)
            info, reason = {}, ""
            status = "ok" if features else "not-detected"
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r} (expected one of {', '.join(STATUSES)})")
        if status in ("ok", "override") and not features:
            raise ValueError(f"status {status!r} with no features")
    except (InvalidFeatureConfig, ValueError) as exc:
        return _timed(
            _error_result(provider, plugin, f"invalid result: {exc}", traceback.format_exc()), start
        )
    except Exception as exc:
        log.debug("provider %s failed", provider.namespace, exc_info=True)
        return _timed(
            _error_result(provider, plugin, _one_line(exc), traceback.format_exc()), start
        )
    return ProviderResult(
        namespace=provider.namespace,
        status=status,
        features=features if status in ("ok", "override") else (),
        info=info,
        duration_ms=(time.perf_counter() - start) * 1e3,
        reason=reason,
        description=provider.description,
        plugin=plugin,
        version=provider.version,
    )


def _timed(result: ProviderResult, start: float) -> ProviderResult:
    from dataclasses import replace

    return replace(result, duration_ms=(time.perf_counter() - start) * 1e3)


_DEFAULT_HOST: Optional[Host] = None


def get_host() -> Host:
    """The process-wide host with built-in and entry-point providers."""
    global _DEFAULT_HOST  # noqa: PLW0603 - one host per process, built on first use
    if _DEFAULT_HOST is None:
        _DEFAULT_HOST = Host()
    return _DEFAULT_HOST


def detect(system: Optional[System] = None, *, only: Optional[Sequence[str]] = None) -> Detection:
    """Detect what this machine (or *system*) supports.

    >>> from variant_providers import detect
    >>> detection = detect()                      # doctest: +SKIP
    >>> [str(p) for p in detection.properties][:1]  # doctest: +SKIP
    ['x86_64 :: level :: v4']
    """
    return get_host().detect(system, only=only)
