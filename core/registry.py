"""Which providers there are: built-ins, in-process plugins and entry points.

pluggy does the registration; the registry adds what pluggy deliberately
leaves to its hosts:

* **isolation of failures** — an in-process plugin that fails to load or a
  hook that raises becomes a :class:`~variant_providers.records.PluginFailure`
  (one row with a reason); every other plugin still registers.  Entry points
  are never imported here: they are metadata until a detection runs their
  code in children (:mod:`variant_providers.third_party`).
* **order** — built-in providers first (GPU vendors, then CPUs), then
  in-process plugins, then third-party ones in entry-point order, so the
  report reads the same way on every run.
* **policy** — which third-party plugins may load (:data:`PLUGINS_VAR`),
  applied by :class:`EntryPointPlugins`, the one place entry points are read.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import pluggy

from . import hookspecs, lazy_log
from .cache import DetectionCache
from .entrypoints import EntryPointRecord, discover_groups
from .policy import PLUGINS_VAR, plugin_policy
from .provider import Provider
from .providers import BUILTIN_PROVIDERS
from .records import PluginFailure, Registered, current_traceback, one_line
from .settings import InvalidSetting, check_names
from .standard_plugins import GROUP as STANDARD_GROUP
from .standard_plugins import StandardPlugins

__all__ = ["EntryPointPlugins", "Registered", "Registry"]

log = lazy_log.getLogger("variant_providers")


class Registry:
    """A pluggy plugin manager whose registrations cannot fail the caller.

    ``builtins`` registers the providers shipped in
    :mod:`variant_providers.providers` (trusted, run in-process); ``plugins``
    registers extra plugin objects in-process (tests, or an installer
    embedding its own provider); ``entry_points`` (an
    :class:`EntryPointPlugins`, or ``None``) loads the third-party ones.
    """

    def __init__(
        self,
        *,
        builtins: bool,
        plugins: Iterable[object],
        entry_points: Optional[EntryPointPlugins],
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.failures: List[PluginFailure] = []
        if builtins:
            for vendor in BUILTIN_PROVIDERS:
                module = f"{__package__}.providers.{vendor}.plugin"
                self.register(lambda m=module: importlib.import_module(m), f"builtin:{vendor}")
        for index, plugin in enumerate(plugins):
            name = getattr(plugin, "__name__", None) or f"plugin-{index}"
            self.register(lambda p=plugin: p, str(name))
        self.entry_points = entry_points
        if entry_points is not None:
            entry_points.load_into(self)

    def register(self, load_plugin: Callable[..., object], name: str) -> bool:
        """Load and register one plugin; a failure is recorded, never raised."""
        try:
            self.pm.register(load_plugin(), name=name)
        except Exception as exc:
            log.debug("plugin %s failed to load", name, exc_info=True)
            self.failures.append(PluginFailure(name, one_line(exc), current_traceback()))
            return False
        return True

    def has(self, name: str) -> bool:
        """Whether a plugin of that name is registered (or blocked)."""
        return self.pm.get_plugin(name) is not None or self.pm.is_blocked(name)

    def providers(self) -> Tuple[List[Registered], List[PluginFailure]]:
        """Ask every plugin for its providers, each call isolated."""
        found: List[Registered] = []
        failures = list(self.failures)
        # get_hookimpls() lists implementations in registration order (pluggy's own
        # hook call runs them in reverse); registration order is the report order.
        for impl in self.pm.hook.variant_providers.get_hookimpls():
            try:
                records: Any = impl.function()
                items: List[object] = list(records) if records is not None else []
            except Exception as exc:
                failures.append(PluginFailure(impl.plugin_name, one_line(exc), current_traceback()))
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
                found.append(Registered(item, impl.plugin_name))
        return found, failures


class EntryPointPlugins:
    """Third-party plugins: the ``variant_providers`` and ``variant_plugins`` entry points.

    *policy* is the text of :data:`PLUGINS_VAR` (or ``allow=``), *origin* how
    messages name it.  ``remember`` keeps the list of installed entry points
    beside the detection cache (see :mod:`variant_providers.entrypoints`).
    After :meth:`load_into`: ``report`` lists every plugin and what became of
    it, ``plugins`` the ``variant_providers`` entry points allowed to run (as
    metadata: their code runs only in children, see
    :class:`~variant_providers.third_party_runs.ThirdPartyPlugins`),
    ``standard`` the standard plugins found, ``problem`` a policy naming a
    plugin that is not installed.
    """

    def __init__(self, policy: Optional[str], origin: str, *, remember: bool) -> None:
        self.policy = policy
        self.origin = origin
        self.remember = remember
        self.report: List[Dict[str, str]] = []
        self.plugins: List[EntryPointRecord] = []
        self.standard: Optional[StandardPlugins] = None
        self.problem: Optional[str] = None

    @classmethod
    def from_settings(
        cls, allow: Optional[str], allow_origin: Optional[str], *, remember: bool
    ) -> EntryPointPlugins:
        """The policy of ``allow=`` if given, otherwise :data:`PLUGINS_VAR`."""
        policy = os.environ.get(PLUGINS_VAR) if allow is None else allow
        origin = allow_origin or (PLUGINS_VAR if allow is None else "allow=")
        return cls(policy, origin, remember=remember)

    def load_into(self, registry: Registry) -> None:
        """Discover the entry points (metadata only) and apply the policy."""
        allowed, denied = plugin_policy(self.policy)
        try:
            store = DetectionCache.from_environ(os.environ) if self.remember else None
        except InvalidSetting:
            store = None  # reported by detect(), which reads the same variable
        cache_dir = store.directory if store else None
        groups = discover_groups((hookspecs.PROJECT_NAME, STANDARD_GROUP), cache_dir)
        found = groups[hookspecs.PROJECT_NAME]
        standard = StandardPlugins(
            groups[STANDARD_GROUP], allowed, denied, self.policy, self.origin
        )
        self.standard = standard
        try:
            check_names(
                {*(allowed or ()), *denied, *standard.chosen_plugins()},
                [ep.name for ep in found if not ep.error] + [p["name"] for p in standard.report],
                self.origin,
                "installed plugin",
            )
        except InvalidSetting as exc:
            self.problem = str(exc)
        for ep in found:
            if ep.error:  # a distribution with broken metadata: named, never imported
                row = {"name": ep.distribution, "value": "entry_points.txt"}
                self.report.append({**row, "state": f"skipped: {ep.error}"})
                continue
            row = {"name": ep.name, "value": ep.value, "distribution": ep.distribution}
            if ep.name in denied or (allowed is not None and ep.name not in allowed):
                self.report.append({**row, "state": f"blocked by {self.origin}"})
                continue
            if registry.has(ep.name) or any(p.name == ep.name for p in self.plugins):
                continue
            self.plugins.append(ep)  # never imported here: its code runs in its child
            self.report.append({**row, "state": "runs in a child process"})
        self.report += standard.report
