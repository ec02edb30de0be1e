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
import os
import sys
import time
import traceback
from dataclasses import dataclass, replace
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
)

import pluggy

from . import hookspecs
from .cache import ERROR_TTL, DetectionCache
from .deadline import Deadline, DeadlineSystem
from .force import Forced, describe_forced, mark_forced, read_forced
from .lock import LOCK_VAR, read_lock
from .model import FeatureConfig, InvalidFeatureConfig, is_valid_name
from .overrides import DISABLE_VAR, Overrides, read_overrides
from .provider import Provider, ProviderOutput
from .records import (
    ChildOutcome,
    Detection,
    PluginFailure,
    ProviderResult,
    Status,
    check_status,
    from_override,
    from_probe,
)
from .settings import MAX_TIMEOUT, InvalidSetting, check_names, seconds
from .system import (
    DEFAULT_TIMEOUT,
    CommandResult,
    LiveSystem,
    System,
    SystemProxy,
    timeout_from,
)
from .trace import traced

if TYPE_CHECKING:
    from .standard_plugins import StandardPlugins

__all__ = [
    "PLUGINS_VAR",
    "Detection",
    "Host",
    "PluginFailure",
    "ProviderResult",
    "UnknownNamespace",
    "detect",
    "get_host",
    "run_provider",
]

log = logging.getLogger("variant_providers")


class UnknownNamespace(ValueError):
    """``only=`` named a namespace no provider offers."""


def _unknown(missing: Sequence[str], known: Iterable[str]) -> UnknownNamespace:
    return UnknownNamespace(
        f"no provider offers namespace {', '.join(map(repr, missing))} "
        f"(known: {', '.join(sorted(known)) or 'none'})"
    )


@dataclass(frozen=True)
class _Registered:
    """A provider record with the plugin that supplied it."""

    provider: Provider
    plugin: str


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


#: Allow/deny list for third-party plugins: unset = all installed plugins;
#: ``none`` = none; ``a,b`` = only those; ``-c`` = all but c.
PLUGINS_VAR = "VARIANT_PROVIDERS_PLUGINS"


def _plugin_policy(text: Optional[str]) -> Tuple[Optional[set[str]], set[str]]:
    """Parse :data:`PLUGINS_VAR`: ``(allowed or None for all, denied)``."""
    if text is None or not text.strip():
        return None, set()
    items = [t.strip() for t in text.split(",") if t.strip()]
    if [t.lower() for t in items] == ["none"]:
        return set(), set()
    # ``namespace=plugin`` items choose a claim (see variant_providers.standard_plugins).
    allowed = {t for t in items if not t.startswith("-") and "=" not in t}
    denied = {t[1:] for t in items if t.startswith("-")}
    return (allowed or None), denied


class Host:
    """A pluggy plugin manager plus per-provider isolation, cache and overrides.

    ``builtins`` registers the providers shipped in
    :mod:`variant_providers.providers` (always trusted, run in-process).
    ``entry_points`` loads third-party plugins from the ``variant_providers``
    entry-point group, filtered by ``allow`` (``None``: read
    ``VARIANT_PROVIDERS_PLUGINS``; see :data:`PLUGINS_VAR`); their providers
    run in child processes.  ``plugins`` registers extra plugin objects
    in-process (tests, or an installer embedding its own provider).
    ``remember_entry_points`` keeps the list of installed entry points beside
    the detection cache (see :mod:`variant_providers.entrypoints`).
    """

    def __init__(
        self,
        *,
        builtins: bool = True,
        entry_points: bool = True,
        plugins: Iterable[object] = (),
        allow: Optional[str] = None,
        remember_entry_points: bool = True,
        allow_origin: Optional[str] = None,
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._remember_entry_points = remember_entry_points
        self.pm.add_hookspecs(hookspecs)
        self._failures: List[PluginFailure] = []
        self._third_party: set[str] = set()
        self.plugin_report: List[Dict[str, str]] = []
        #: Where the plugin policy came from, for messages (``--no-plugins`` …).
        self._policy_origin = allow_origin or (PLUGINS_VAR if allow is None else "allow=")
        self._policy_problem: Optional[str] = None
        self._standard: Optional[StandardPlugins] = None
        if builtins:
            from .providers import BUILTIN_PROVIDERS

            for vendor in BUILTIN_PROVIDERS:
                module = f"{__package__}.providers.{vendor}.plugin"
                self._register(lambda m=module: importlib.import_module(m), f"builtin:{vendor}")
        for index, plugin in enumerate(plugins):
            name = getattr(plugin, "__name__", None) or f"plugin-{index}"
            self._register(lambda p=plugin: p, str(name))
        if entry_points:
            policy = os.environ.get(PLUGINS_VAR) if allow is None else allow
            self._load_entry_points(policy)

    def _register(self, load: Any, name: str) -> bool:
        try:
            obj = load()
            self.pm.register(obj, name=name)
        except Exception as exc:
            log.debug("plugin %s failed to load", name, exc_info=True)
            self._failures.append(PluginFailure(name, _one_line(exc), traceback.format_exc()))
            return False
        return True

    def _load_entry_points(self, policy: Optional[str]) -> None:
        from .entrypoints import discover, load

        allowed, denied = _plugin_policy(policy)
        try:
            store = DetectionCache.from_environ(os.environ) if self._remember_entry_points else None
        except InvalidSetting:
            store = None  # reported by detect(), which reads the same variable
        from .standard_plugins import StandardPlugins

        cache_dir = store.directory if store else None
        found = discover(hookspecs.PROJECT_NAME, cache_dir)
        standard = StandardPlugins.discover(cache_dir, allowed, denied, policy, self._policy_origin)
        self._standard = standard
        try:
            check_names(
                {*(allowed or ()), *denied, *standard.chosen_plugins()},
                [ep.name for ep in found if not ep.error] + [p["name"] for p in standard.report],
                self._policy_origin,
                "installed plugin",
            )
        except InvalidSetting as exc:
            self._policy_problem = str(exc)
        for ep in found:
            if ep.error:  # a distribution with broken metadata: named, never imported
                row = {"name": ep.distribution, "value": "entry_points.txt"}
                self.plugin_report.append({**row, "state": f"skipped: {ep.error}"})
                continue
            row = {"name": ep.name, "value": ep.value, "distribution": ep.distribution}
            if ep.name in denied or (allowed is not None and ep.name not in allowed):
                self.plugin_report.append({**row, "state": f"blocked by {self._policy_origin}"})
                continue
            if self.pm.get_plugin(ep.name) is not None or self.pm.is_blocked(ep.name):
                continue
            loaded = self._register(lambda value=ep.value: load(value), ep.name)
            if loaded:
                self._third_party.add(ep.name)
            self.plugin_report.append({**row, "state": "loaded" if loaded else "failed to import"})
        self.plugin_report += standard.report

    def providers(self) -> Tuple[List[_Registered], List[PluginFailure]]:
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
                failures.append(
                    PluginFailure(impl.plugin_name, _one_line(exc), traceback.format_exc())
                )
                continue
            for item in items:
                if not isinstance(item, Provider):
                    failures.append(
                        PluginFailure(
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
        self,
        system: Optional[System] = None,
        *,
        only: Optional[Iterable[str]] = None,
        cache: Optional[bool] = None,
        refresh: bool = False,
        isolate: bool = True,
        timeout: Optional[float] = None,
        lock: Optional[str] = None,
    ) -> Detection:
        """Run every provider (or those in *only*) against *system*.

        ``cache``: ``None`` uses the disk cache for the live machine only,
        ``False`` never, ``True`` also for other systems.  ``refresh`` ignores
        cached answers but stores the new ones.  ``isolate`` runs third-party
        providers in child processes.  ``timeout`` is one deadline for the
        whole detection, shared by every command, driver call and third-party
        provider, also for a *system* passed in (default: the system's own
        ``timeout``, ``VARIANT_PROVIDERS_TIMEOUT`` or 5 s; see
        :mod:`variant_providers.deadline`).  ``lock`` (default:
        ``VARIANT_PROVIDERS_LOCK``) reads a static lock file instead of the
        machine.  Raises :class:`UnknownNamespace` for a bad *only*,
        :class:`~variant_providers.overrides.InvalidOverride` for unparsable
        override variables and :class:`~variant_providers.lock.InvalidLock` for
        an unusable lock file.
        """
        start = time.perf_counter()
        if timeout is not None:
            timeout = seconds(timeout, "timeout", maximum=MAX_TIMEOUT)
        if self._policy_problem:
            raise InvalidSetting(self._policy_problem)
        system = LiveSystem(timeout=timeout) if system is None else system
        overrides = read_overrides(system)
        lock_path = lock if lock is not None else system.getenv(LOCK_VAR)
        if lock_path:
            return self._detect_from_lock(lock_path, system, overrides, only, start)
        found, failures = self.providers()
        wanted = None if only is None else list(dict.fromkeys(only))
        live = isinstance(system, LiveSystem) and system.source == "live"
        # Standard plugins run on the live machine only; their namespaces are known after.
        standard_ok = live and self._standard is not None and bool(self._standard.plugins)
        known: set[str] = set()
        missing: List[str] = []
        if wanted is not None:
            known = {r.provider.namespace for r in found} | {
                o.namespace for o in overrides.features
            }
            missing = [ns for ns in wanted if ns not in known]
            if missing and not standard_ok:
                raise _unknown(missing, known)
        store = _open_cache(system, cache, live)
        limit = (
            timeout
            or getattr(system, "timeout", None)
            or timeout_from(os.environ)
            or DEFAULT_TIMEOUT
        )
        deadline = Deadline(limit)
        standard = None
        if standard_ok and self._standard is not None and (wanted is None or missing):
            standard = self._standard.start(limit)
        else:  # with standard plugins running, their namespaces count too (checked below)
            check_names(
                overrides.disabled, [r.provider.namespace for r in found], DISABLE_VAR, "provider"
            )
        boot_id = _boot_id(system) if store is not None else ""

        # Validate, then start third-party children first so they run in parallel.
        plan: List[Tuple[_Registered, Optional[ProviderResult]]] = []
        forced: Dict[str, Tuple[Forced, ...]] = {}
        taken: Dict[str, str] = {}
        for reg in found:
            provider = reg.provider
            if wanted is not None and provider.namespace not in wanted:
                continue
            problem = None
            if not is_valid_name(provider.namespace):
                problem = f"invalid namespace {provider.namespace!r} (allowed: [a-z0-9_]+)"
            elif provider.namespace in taken:
                problem = (
                    f"namespace {provider.namespace!r} is already provided by "
                    f"{taken[provider.namespace]}"
                )
            if problem:
                plan.append((reg, _error_result(provider, reg.plugin, problem)))
                continue
            taken[provider.namespace] = reg.plugin
            if provider.namespace in overrides.disabled:
                plan.append(
                    (
                        reg,
                        ProviderResult(
                            namespace=provider.namespace,
                            status="disabled",
                            reason=f"disabled by {overrides.disabled_origin}",
                            description=provider.description,
                            plugin=reg.plugin,
                            version=provider.version,
                        ),
                    )
                )
                continue
            forced[provider.namespace] = read_forced(provider, system)
            plan.append((reg, None))

        keys: Dict[str, Optional[str]] = {}
        runs: Dict[str, Any] = {}
        results: Dict[str, ProviderResult] = {}
        for reg, done in plan:
            if done is not None:
                continue
            ns = reg.provider.namespace
            key = _cache_key(reg, system, boot_id) if store is not None else None
            keys[ns] = key
            cached = _cached_result(store, ns, key, system) if key and not refresh else None
            if cached is not None:
                results[ns] = cached
            elif isolate and reg.plugin in self._third_party and _replayable(system, live):
                from .isolation import IsolatedRun

                machine = None if live else str(getattr(system, "path", ""))
                runs[ns] = IsolatedRun(reg.plugin, ns, machine, limit)

        # In-process providers run side by side, so one hung driver does not eat the
        # time of another vendor's probes: all of them share one deadline.
        local = [
            reg
            for reg, done in plan
            if done is None
            and reg.provider.namespace not in results
            and reg.provider.namespace not in runs
        ]
        bounded = DeadlineSystem(system, deadline)
        finished = _run_side_by_side(local, bounded)
        ordered: List[ProviderResult] = []
        for reg, done in plan:
            ns = reg.provider.namespace
            if done is not None:
                ordered.append(done)
                continue
            if ns not in results:
                if ns in runs:
                    outcome = ChildOutcome.from_message(runs[ns].result())
                    result = _from_child(reg, outcome)
                    if result.status in ("error", "timeout"):  # the child's own time is lost
                        result = _timed(result, runs[ns].started)
                    env_read = outcome.env
                else:
                    result, env_read = finished[ns]
                results[ns] = result
                key = keys.get(ns)
                if store is not None and key is not None and env_read is not None:
                    _store_result(store, ns, key, result, env_read)
            marked = mark_forced(results[ns], forced.get(ns, ()))
            ordered.append(_apply_overrides(marked, overrides, reg.provider))

        shadowed: List[ProviderResult] = []
        if standard is not None:
            ordered, shadowed = standard.merge(ordered, overrides, wanted)
            answered = {r.namespace for r in ordered}
            if any(ns not in answered for ns in missing):
                raise _unknown([ns for ns in missing if ns not in answered], known | answered)
            found_names = [r.provider.namespace for r in found]
            check_names(overrides.disabled, [*found_names, *answered], DISABLE_VAR, "provider")
        ordered += _override_only(overrides, ordered, wanted)
        if wanted is None:
            ordered += [failure.result() for failure in failures]
        return Detection(
            tuple(ordered),
            (time.perf_counter() - start) * 1e3,
            str(getattr(system, "source", "live")),
            system.platform,
            cache_dir=str(store.directory) if store is not None else None,
            overrides=tuple(describe_forced(forced, ordered) + _describe_overrides(overrides)),
            plugins=tuple(self.plugin_report),
            shadowed=tuple(shadowed),
        )

    def _detect_from_lock(
        self,
        path: str,
        system: System,
        overrides: Overrides,
        only: Optional[Iterable[str]],
        start: float,
    ) -> Detection:
        """A detection read from a lock file; the machine itself is not examined."""
        results = read_lock(path)
        if only is not None:
            # A static description: a namespace it does not list is unsupported.
            by_namespace = {r.namespace: r for r in results}
            results = [
                by_namespace.get(ns)
                or ProviderResult(ns, "not-detected", reason=f"not in the lock file {path}")
                for ns in dict.fromkeys(only)
            ]
        ordered: List[ProviderResult] = []
        for result in results:
            if result.namespace in overrides.disabled:
                result = replace(
                    result,
                    status="disabled",
                    features=(),
                    reason=f"disabled by {overrides.disabled_origin}",
                )
            ordered.append(_apply_overrides(result, overrides, None))
        ordered += _override_only(overrides, ordered, None)
        return Detection(
            tuple(ordered),
            (time.perf_counter() - start) * 1e3,
            f"lock {path}",
            system.platform,
            overrides=tuple(_describe_overrides(overrides)),
        )


# -- helpers of Host.detect -------------------------------------------------------------


def _open_cache(system: System, cache: Optional[bool], live: bool) -> Optional[DetectionCache]:
    if cache is False or (cache is None and not live):
        return None
    environ = getattr(system, "environ_for_cache", None)
    store = DetectionCache.from_environ(environ if environ is not None else os.environ)
    return store if store is not None and store.writable() else None


def _boot_id(system: System) -> str:
    if not system.platform.is_linux:
        return ""
    try:
        return system.read_text("/proc/sys/kernel/random/boot_id").strip()
    except OSError:
        return ""


def _cache_key(reg: _Registered, system: System, boot_id: str) -> Optional[str]:
    """The cache key of one provider, or ``None`` when it cannot be computed."""
    from . import __version__

    fingerprint = ""
    if reg.provider.fingerprint is not None:
        try:
            fingerprint = reg.provider.fingerprint(system)
        except Exception:
            log.debug("fingerprint of %s failed; not cached", reg.provider.namespace, exc_info=True)
            return None
    return DetectionCache.key(
        {
            "tool": __version__,
            "python": sys.version_info[:2],
            "namespace": reg.provider.namespace,
            "plugin": reg.plugin,
            "provider_version": reg.provider.version,
            "platform": system.platform.to_dict(),
            "boot_id": boot_id,
            "fingerprint": fingerprint,
        }
    )


def _cached_result(
    store: Optional[DetectionCache], namespace: str, key: Optional[str], system: System
) -> Optional[ProviderResult]:
    if store is None or key is None:
        return None
    entry = store.load(namespace, key)
    if entry is None:
        return None
    env = entry.get("env")
    if not isinstance(env, dict):
        return None
    for name, value in env.items():
        if system.getenv(name) != value:
            return None
    try:
        result = ProviderResult.from_dict(entry["result"])
    except (KeyError, TypeError, ValueError):
        return None
    return result.cached(float(entry["age_s"]))


def _store_result(
    store: DetectionCache,
    namespace: str,
    key: str,
    result: ProviderResult,
    env_read: Mapping[str, Optional[str]],
) -> None:
    ttl = ERROR_TTL if result.status in ("error", "timeout") else store.ttl
    store.save(namespace, key, {"env": dict(env_read), "result": result.to_dict()}, ttl)


class _EnvTracker(SystemProxy):
    """A :class:`System` view that remembers which variables were read."""

    def __init__(self, inner: System) -> None:
        super().__init__(inner)
        self.read: Dict[str, Optional[str]] = {}

    def getenv(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = self.inner.getenv(name)
        self.read[name] = value
        return default if value is None else value

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        # PATH decides which program runs: a tool added to PATH must be a cache miss.
        self.getenv("PATH")
        return self.inner.run(argv, timeout)


def run_tracked(
    reg: _Registered, system: System
) -> Tuple[ProviderResult, Dict[str, Optional[str]]]:
    """Run one provider and also return the environment variables it read."""
    tracker = _EnvTracker(traced(system, reg.provider.namespace))
    result = run_provider(reg.provider, tracker, plugin=reg.plugin)
    return result, tracker.read


def _run_side_by_side(
    regs: Sequence[_Registered], system: System
) -> Dict[str, Tuple[ProviderResult, Dict[str, Optional[str]]]]:
    """:func:`run_tracked` for each provider, in threads when there are several.

    The providers spend their time waiting on child processes, so threads
    overlap the waits; each provider still sees only its own tracker.
    """
    if len(regs) <= 1:
        return {r.provider.namespace: run_tracked(r, system) for r in regs}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(regs)) as pool:
        futures = {r.provider.namespace: pool.submit(run_tracked, r, system) for r in regs}
    return {ns: future.result() for ns, future in futures.items()}


def _replayable(system: System, live: bool) -> bool:
    """Whether a child process can rebuild *system* (live, or a replay directory)."""
    from .replay import ReplaySystem

    return live or isinstance(system, ReplaySystem)


def _from_child(reg: _Registered, outcome: ChildOutcome) -> ProviderResult:
    provider = reg.provider
    if outcome.result is not None:
        try:
            result = ProviderResult.from_dict(outcome.result)
        except (KeyError, TypeError, ValueError) as exc:
            return _error_result(
                provider, reg.plugin, f"invalid result from provider process: {exc}"
            )
        return replace(result, plugin=reg.plugin, version=provider.version)
    return replace(
        _error_result(provider, reg.plugin, outcome.error or "failed"), status=outcome.status
    )


def _apply_overrides(
    result: ProviderResult, overrides: Overrides, provider: Optional[Provider]
) -> ProviderResult:
    """Replace, add or remove the overridden features of one provider's result."""
    items = overrides.for_namespace(result.namespace)
    if not items or result.status == "disabled":
        return result
    known_multi: Dict[str, bool] = {}
    if provider is not None and provider.all_configs is not None:
        try:
            known_multi = {f.name: bool(f.multi_value) for f in provider.all_configs()}
        except Exception:
            known_multi = {}
    usable = result.status in ("ok", "override")
    features: List[FeatureConfig] = list(result.features) if usable else []
    provenance: Dict[str, str] = dict(result.provenance) if usable else {}
    for item in items:
        index = next((i for i, f in enumerate(features) if f.name == item.feature), None)
        provenance[item.feature] = from_override(item.origin)
        if item.absent:
            if index is not None:
                del features[index]
            continue
        multi = (
            features[index].multi_value
            if index is not None
            else known_multi.get(item.feature, False)
        )
        feature = FeatureConfig(item.feature, item.values, multi)
        if index is None:
            features.append(feature)
        else:
            features[index] = feature
    status: Status = "override" if features else "not-detected"
    reason = result.reason if usable or not features else ""
    if not features:
        reason = "every detected feature was overridden as absent"
    return replace(
        result,
        status=status,
        features=tuple(features),
        provenance=provenance,
        reason=reason,
        error=None if features else result.error,
    )


def _override_only(
    overrides: Overrides, results: Sequence[ProviderResult], wanted: Optional[Sequence[str]]
) -> List[ProviderResult]:
    """Rows for overridden namespaces that no provider reported (a remote target's GPU)."""
    covered = {r.namespace for r in results}
    rows = []
    for ns in dict.fromkeys(o.namespace for o in overrides.features):
        if ns not in covered and (wanted is None or ns in wanted):
            blank = ProviderResult(ns, "not-detected", plugin="override")
            rows.append(_apply_overrides(blank, overrides, None))
    return rows


def _describe_overrides(overrides: Overrides) -> List[Dict[str, Any]]:
    rows: List[Dict[str, Any]] = [
        {
            "variable": o.origin,
            "namespace": o.namespace,
            "feature": o.feature,
            "values": list(o.values),
        }
        for o in overrides.features
    ]
    rows += [
        {"variable": overrides.disabled_origin, "namespace": ns, "disabled": True}
        for ns in overrides.disabled
    ]
    return rows


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
    # Strict: NaN or Infinity in info is the provider's invalid output, never ours.
    result: Dict[str, Any] = json.loads(json.dumps(dict(info), default=str, allow_nan=False))
    return result


def run_provider(provider: Provider, system: System, *, plugin: str = "") -> ProviderResult:
    """Run one provider's ``detect`` isolated: any failure becomes its result."""
    start = time.perf_counter()
    try:
        raw = provider.detect(system)
        provenance: Dict[str, str] = {}
        if isinstance(raw, ProviderOutput):
            features = _coerce_features(raw.features)
            info = _json_safe(raw.info)
            status = check_status(raw.status or ("ok" if features else "not-detected"))
            reason = raw.reason
            provenance = _provenance(raw.sources or info.get("source"), features)
        else:
            features = _coerce_features(raw)
            info, reason = {}, ""
            status = "ok" if features else "not-detected"
        if status in ("ok", "override") and not features:
            raise ValueError(f"status {status!r} with no features")
    except (InvalidFeatureConfig, ValueError) as exc:
        return _timed(
            _error_result(provider, plugin, f"invalid result: {exc}", traceback.format_exc()),
            start,
        )
    except Exception as exc:
        log.debug("provider %s failed", provider.namespace, exc_info=True)
        return _timed(
            _error_result(provider, plugin, _one_line(exc), traceback.format_exc()), start
        )
    failed = status in ("error", "timeout")
    return ProviderResult(
        namespace=provider.namespace,
        status=status,
        features=features if status in ("ok", "override") else (),
        info=info,
        duration_ms=(time.perf_counter() - start) * 1e3,
        error=(reason or status) if failed else None,
        reason=reason,
        description=provider.description,
        plugin=plugin,
        version=provider.version,
        provenance=provenance if status in ("ok", "override") else {},
    )


def _provenance(sources: Any, features: Sequence[FeatureConfig]) -> Dict[str, str]:
    """Provenance from what a provider said about its probes.

    ``ProviderOutput.sources`` (or, from a provider that predates it, an
    ``info["source"]`` of the same shape) maps features to probe names; a
    single name stands for every feature.  Anything else names no probe.
    """
    if isinstance(sources, str) and sources:
        return {f.name: from_probe(sources) for f in features}
    if not isinstance(sources, Mapping):
        return {}
    return {str(k): from_probe(str(v)) for k, v in sources.items() if isinstance(v, (str, int))}


def _timed(result: ProviderResult, start: float) -> ProviderResult:
    return replace(result, duration_ms=(time.perf_counter() - start) * 1e3)


_DEFAULT_HOST: Optional[Host] = None


def get_host() -> Host:
    """The process-wide host with built-in and entry-point providers."""
    global _DEFAULT_HOST  # noqa: PLW0603 - one host per process, built on first use
    if _DEFAULT_HOST is None:
        _DEFAULT_HOST = Host()
    return _DEFAULT_HOST


def detect(
    system: Optional[System] = None,
    *,
    only: Optional[Sequence[str]] = None,
    cache: Optional[bool] = None,
    refresh: bool = False,
    timeout: Optional[float] = None,
    lock: Optional[str] = None,
) -> Detection:
    """Detect what this machine (or *system*) supports.

    The live machine's answer is cached on disk (see
    :mod:`variant_providers.cache`); ``cache=False`` bypasses the cache,
    ``refresh=True`` re-detects and rewrites it.  See :meth:`Host.detect`.

    >>> from variant_providers import detect
    >>> detection = detect()                      # doctest: +SKIP
    >>> [str(p) for p in detection.properties][:1]  # doctest: +SKIP
    ['x86_64 :: level :: v4']
    """
    return get_host().detect(
        system, only=only, cache=cache, refresh=refresh, timeout=timeout, lock=lock
    )
