"""Step 1 of a detection: which providers run, and which rows are decided already.

A detection first settles everything that needs no probe: the providers
*only=* asks for (an unknown namespace is an error, not an empty row), the
rows decided by policy alone (an invalid or repeated namespace, a disabled
provider), the one deadline every probe shares, and whether the standard
``variant_plugins`` children start.  Its last step (:meth:`Plan.finish`)
joins the standard plugins' rows and the rows no provider produced, and
checks *only=* and the disabled names against the namespaces third-party
plugins declared.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .deadline import Deadline
from .model import is_valid_name
from .overrides import DISABLE_VAR, Overrides
from .record_class import dataclass
from .records import PluginFailure, ProviderResult, Registered
from .registry import Registry
from .runner import error_result
from .settings import check_names
from .system import DEFAULT_TIMEOUT, LiveSystem, System, timeout_from

if TYPE_CHECKING:
    from .cache import DetectionCache
    from .standard_plugins import StandardRuns

__all__ = ["Plan", "Planned", "UnknownNamespace", "is_live"]


class UnknownNamespace(ValueError):
    """``only=`` named a namespace no provider offers."""


def _unknown(missing: Sequence[str], known: Iterable[str]) -> UnknownNamespace:
    return UnknownNamespace(
        f"no provider offers namespace {', '.join(map(repr, missing))} "
        f"(known: {', '.join(sorted(known)) or 'none'})"
    )


def is_live(system: System) -> bool:
    """Whether *system* is this machine (not a replay, a recording or a lock)."""
    return isinstance(system, LiveSystem) and system.source == "live"


@dataclass(frozen=True)
class Planned:
    """One registered provider and, when policy alone decides it, its row."""

    reg: Registered
    decided: Optional[ProviderResult] = None


@dataclass(frozen=True)
class Plan:
    """What one detection will do, before any provider runs."""

    steps: Tuple[Planned, ...]
    failures: Tuple[PluginFailure, ...]
    #: The namespaces of ``only=`` (``None``: every provider).
    wanted: Optional[List[str]]
    #: Namespaces of ``only=`` no registered provider offers (standard plugins may).
    missing: Tuple[str, ...]
    known: frozenset[str]
    found: Tuple[str, ...]
    live: bool
    limit: float
    deadline: Deadline
    standard: Optional[StandardRuns]
    #: Valid namespaces of the in-process providers, and the plugin of each:
    #: a third-party plugin cannot claim them.
    taken: Mapping[str, str]
    #: Whether third-party plugins run (their namespaces are known after).
    third_party: bool = False

    @classmethod
    def make(
        cls,
        registry: Registry,
        system: System,
        overrides: Overrides,
        only: Optional[Iterable[str]],
        timeout: Optional[float],
        *,
        third_party: bool = False,
        store: Optional[DetectionCache] = None,
        refresh: bool = False,
    ) -> Plan:
        """Plan a detection of *system*; raises :class:`UnknownNamespace` for a bad *only*."""
        found, failures = registry.providers()
        wanted = None if only is None else list(dict.fromkeys(only))
        live = is_live(system)
        # Standard plugins run on the live machine only; their namespaces are known after.
        plugins = registry.entry_points.standard if registry.entry_points else None
        standard_ok = live and plugins is not None and bool(plugins.plugins)
        known: set[str] = set()
        missing: List[str] = []
        if wanted is not None:
            known = {r.provider.namespace for r in found} | {
                o.namespace for o in overrides.features
            }
            missing = [ns for ns in wanted if ns not in known]
            if missing and not standard_ok and not third_party:
                raise _unknown(missing, known)
        limit = (
            timeout
            or getattr(system, "timeout", None)
            or timeout_from(os.environ)
            or DEFAULT_TIMEOUT
        )
        deadline = Deadline(limit)
        standard = None
        names = [r.provider.namespace for r in found]
        if standard_ok and plugins is not None and (wanted is None or missing):
            standard = plugins.start(limit, system=system, store=store, refresh=refresh)
        elif not third_party:  # else the plugins' namespaces count too (see finish)
            check_names(overrides.disabled, names, DISABLE_VAR, "provider")
        taken: Dict[str, str] = {}
        for reg in found:
            if is_valid_name(reg.provider.namespace):
                taken.setdefault(reg.provider.namespace, reg.plugin)
        steps = [Planned(reg, decided) for reg, decided in _decide(found, wanted, overrides)]
        return cls(
            tuple(steps),
            tuple(failures),
            wanted,
            tuple(missing),
            frozenset(known),
            tuple(names),
            live,
            limit,
            deadline,
            standard,
            taken,
            third_party,
        )

    @property
    def to_run(self) -> List[Registered]:
        """The providers whose answer must be found (in the cache or by running them)."""
        return [step.reg for step in self.steps if step.decided is None]

    def finish(
        self, rows: List[ProviderResult], overrides: Overrides, declared: Sequence[str] = ()
    ) -> Tuple[List[ProviderResult], List[ProviderResult]]:
        """The final rows and the shadowed ones: standard plugins, override-only, failures.

        *declared*: the namespaces third-party plugins declared (they may be
        named by *only=* and the disabled list).
        """
        shadowed: List[ProviderResult] = []
        if self.standard is not None:
            rows, shadowed = self.standard.merge(rows, overrides, self.wanted)
        if self.standard is not None or self.third_party:
            answered = {r.namespace for r in rows}
            if any(ns not in answered for ns in self.missing):
                unanswered = [ns for ns in self.missing if ns not in answered]
                raise _unknown(unanswered, self.known | answered)
            names = [*self.found, *declared, *answered]
            check_names(overrides.disabled, names, DISABLE_VAR, "provider")
        rows += overrides.unprovided(rows, self.wanted)
        if self.wanted is None:
            rows += [failure.result() for failure in self.failures]
        return rows, shadowed


def _decide(
    found: Sequence[Registered], wanted: Optional[Sequence[str]], overrides: Overrides
) -> List[Tuple[Registered, Optional[ProviderResult]]]:
    """Each provider with the row policy alone gives it (``None``: it must run)."""
    decided: List[Tuple[Registered, Optional[ProviderResult]]] = []
    taken: dict[str, str] = {}
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
            decided.append((reg, error_result(provider, reg.plugin, problem)))
            continue
        taken[provider.namespace] = reg.plugin
        if provider.namespace in overrides.disabled:
            row = ProviderResult(
                namespace=provider.namespace,
                status="disabled",
                reason=f"disabled by {overrides.disabled_origin}",
                description=provider.description,
                plugin=reg.plugin,
                version=provider.version,
            )
            decided.append((reg, row))
            continue
        decided.append((reg, None))
    return decided
