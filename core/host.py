"""The plugin host: one detection, as a short pipeline of focused steps.

1. **plan** (:mod:`~variant_providers.plan`) — which providers run, which
   rows policy alone decides, the one deadline;
2. **source** — a lock file (:mod:`~variant_providers.lock`) instead of the
   machine, or each provider's answer from the cache or an in-process run
   (:mod:`~variant_providers.gather`, :mod:`~variant_providers.runner`); a
   third-party plugin's from its stored answer or its child process
   (:mod:`~variant_providers.third_party_runs`), never from this process;
3. **overrides**, applied once, after the cache (vendor force variables:
   :mod:`~variant_providers.force`; ours: :mod:`~variant_providers.overrides`);
4. the :class:`~variant_providers.records.Detection`.

Which providers exist, and which third-party plugins may load, is the
registry's job (:mod:`~variant_providers.registry`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Tuple

from .cache import DetectionCache
from .deadline import Deadline
from .entrypoints import EntryPointRecord
from .force import Forced, apply_forced, covers_every_feature, describe_forced, read_forced
from .gather import gather
from .lock import LOCK_VAR, locked_detection
from .overrides import Overrides, read_overrides
from .plan import Plan, UnknownNamespace, is_live
from .policy import PLUGINS_VAR
from .provider import Provider
from .record_class import replace
from .records import Detection, PluginFailure, ProviderResult, Registered
from .registry import EntryPointPlugins, Registry
from .runner import run_provider, run_tracked
from .settings import MAX_TIMEOUT, InvalidSetting, seconds
from .system import DEFAULT_TIMEOUT, LiveSystem, System

if TYPE_CHECKING:
    from .third_party import ThirdPartyRow
    from .third_party_runs import ThirdPartyPlugins

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
    "run_tracked",
]


class Host:
    """Providers from a :class:`~variant_providers.registry.Registry`, detected as one run.

    ``builtins`` registers the providers shipped in
    :mod:`variant_providers.providers` (always trusted, run in-process).
    ``entry_points`` finds third-party plugins in the ``variant_providers``
    entry-point group, filtered by ``allow`` (``None``: read
    ``VARIANT_PROVIDERS_PLUGINS``; see :data:`PLUGINS_VAR`); they are read as
    metadata only, and everything their code does happens in child processes
    (:mod:`variant_providers.third_party`).  ``third_party`` adds entry points
    to run that way.  ``plugins`` registers extra plugin objects in-process:
    the caller's own code (tests, or an installer embedding its provider).
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
        third_party: Iterable[EntryPointRecord] = (),
    ) -> None:
        listed = (
            EntryPointPlugins.from_settings(allow, allow_origin, remember=remember_entry_points)
            if entry_points
            else None
        )
        self.registry = Registry(builtins=builtins, plugins=plugins, entry_points=listed)
        self.pm = self.registry.pm
        found = self.registry.entry_points
        #: Third-party plugins and what became of them (loaded, blocked, failed).
        self.plugin_report: List[Dict[str, str]] = found.report if found else []
        #: The ``variant_providers`` entry points; never imported in this process.
        self.third_records = [*(found.plugins if found else ()), *third_party]
        self._third: Optional[ThirdPartyPlugins] = None

    @property
    def third(self) -> ThirdPartyPlugins:
        """How the third-party entry points run: their children, answers and cache."""
        if self._third is None:
            # The child-running machinery only where there is a third-party plugin.
            from .third_party_runs import ThirdPartyPlugins

            self._third = ThirdPartyPlugins(self.third_records)
        return self._third

    def providers(self) -> Tuple[List[Registered], List[PluginFailure]]:
        """Ask every plugin for its providers, each call isolated."""
        return self.registry.providers()

    def namespaces(self) -> List[str]:
        """The namespaces the registered providers offer, in report order.

        Those of third-party plugins come from their stored answers, or from
        a child asked to declare its providers only.
        """
        found, _ = self.providers()
        names = [r.provider.namespace for r in found]
        return names + [
            p.namespace for p in self.third_party_providers() if p.namespace not in names
        ]

    def third_party_providers(self, timeout: Optional[float] = None) -> List[Provider]:
        """Stand-in records of the third-party providers: namespace, catalogue, description.

        Their ``detect`` never runs in this process.  Read from the stored
        answers when there are some, else from a child that only declares.
        """
        if not self.third_records:
            return []
        system = LiveSystem(timeout=timeout)
        store = DetectionCache.for_detection(system, None, True)
        limit = timeout or system.timeout or DEFAULT_TIMEOUT
        runs = self.third.start(system, Deadline(limit), wanted=[], store=store)
        found, _ = self.providers()
        runs.rows({r.provider.namespace: r.plugin for r in found})
        return runs.declared

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
        cached answers but stores the new ones.  ``isolate`` is kept for
        compatibility: third-party plugins always run in child processes.
        ``timeout`` is one deadline for the whole detection, shared by every
        command, driver call and third-party plugin, also for a *system*
        passed in (default: the system's own
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
        problem = self.registry.entry_points.problem if self.registry.entry_points else None
        if problem:
            raise InvalidSetting(problem)
        system = LiveSystem(timeout=timeout) if system is None else system
        overrides = read_overrides(system)
        lock_path = lock if lock is not None else system.getenv(LOCK_VAR)
        if lock_path:
            return locked_detection(lock_path, system, overrides, only, start)

        store = DetectionCache.for_detection(system, cache, is_live(system))
        third = bool(self.third_records)
        plan = Plan.make(
            self.registry,
            system,
            overrides,
            only,
            timeout,
            third_party=third,
            store=store,
            refresh=refresh,
        )
        # Vendor force variables are checked before anything runs (a bad value is a usage error).
        forced = {reg.provider.namespace: read_forced(reg.provider, system) for reg in plan.to_run}
        skip = {
            reg.provider.namespace
            for reg in plan.to_run
            if covers_every_feature(reg.provider, forced[reg.provider.namespace])
        }
        # Third-party children start first, so they run while the built-ins probe.
        runs = (
            self.third.start(
                system,
                plan.deadline,
                wanted=plan.wanted,
                skip=[*plan.taken, *overrides.disabled],
                store=store,
                refresh=refresh,
            )
            if third
            else None
        )
        answers = gather(plan, system, store, refresh=refresh, skip=skip)
        rows = [
            step.decided
            or _overridden(answers[step.reg.provider.namespace], step.reg, forced, overrides)
            for step in plan.steps
        ]
        declared: List[str] = []
        if runs is not None:
            rows += _third_party_rows(runs.rows(plan.taken), overrides, plan.wanted, forced)
            declared = [p.namespace for p in runs.declared]
        rows, shadowed = plan.finish(rows, overrides, declared)
        return Detection(
            tuple(rows),
            (time.perf_counter() - start) * 1e3,
            str(getattr(system, "source", "live")),
            system.platform,
            cache_dir=str(store.directory) if store is not None else None,
            overrides=tuple(describe_forced(forced, rows) + overrides.describe()),
            plugins=tuple(self.plugin_report),
            shadowed=tuple(shadowed),
        )


def _overridden(
    answer: ProviderResult,
    reg: Registered,
    forced: Dict[str, Tuple[Forced, ...]],
    overrides: Overrides,
) -> ProviderResult:
    """Step 3: *answer* with the force variables, then the overrides, applied."""
    vendor = apply_forced(answer, forced.get(reg.provider.namespace, ()))
    return overrides.apply(vendor, reg.provider)


def _third_party_rows(
    rows: Sequence[ThirdPartyRow],
    overrides: Overrides,
    wanted: Optional[Sequence[str]],
    forced: Dict[str, Tuple[Forced, ...]],
) -> List[ProviderResult]:
    """Step 3 for the third-party plugins' checked rows, exactly as for ours."""
    applied = []
    for row in rows:
        result = row.result
        if wanted is not None and result.namespace not in wanted:
            continue
        if result.status == "disabled":
            result = replace(result, reason=f"disabled by {overrides.disabled_origin}")
        elif row.forced:
            forced[result.namespace] = row.forced
        applied.append(overrides.apply(result, row.provider))
    return applied


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
