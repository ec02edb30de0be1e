"""Child half of hosting a standard (``variant_plugins``) plugin: load it, adapt it, ask it.

This module runs only inside the short-lived child interpreter that
:class:`~variant_providers.isolation.IsolatedRun` starts: importing the
plugin, calling its methods and reading its answer all happen here, so
whatever the plugin does (print, hang, crash, exit) stays in the child.

Two plugin shapes are in use, and both are spoken:

* **variantlib 0.2.2** — an object (module, class, or instance) with
  ``get_supported_configs()`` and ``get_all_configs()``, as class methods or
  plain functions; configs with ``name``, ``values`` and ``multi_value``; the
  namespace is the entry-point name.
* **the older protocol** of the published ``provider-variant-x86-64`` /
  ``-aarch64`` releases — a class with *instance* methods,
  ``get_supported_configs(known_properties)``, no ``get_all_configs``, configs
  without ``multi_value``, the namespace in a ``namespace`` attribute.

What can be adapted is (the class is instantiated, ``known_properties`` is
passed as ``None``, a missing ``multi_value`` reads as single-value, a
feature listed with no values is dropped as unsupported); each adaptation is
named in the row's ``info["adapted"]``.  Everything else — a config that is
not one, a value that breaks the grammar, a feature listed twice — is
validated by the host's own :func:`~variant_providers.runner.run_provider`,
with the same rules as our providers.
"""

from __future__ import annotations

import inspect
from typing import Any, Dict, List, Optional, Tuple

from .dist_info import load
from .model import FeatureConfig, is_valid_name
from .observe import Observer
from .provider import Provider, ProviderOutput
from .runner import run_provider
from .system import LiveSystem

__all__ = ["PluginAdapter", "child_query"]


class PluginAdapter:
    """One loaded plugin object, seen through the protocol the host speaks."""

    def __init__(self, obj: Any, entry_point: str) -> None:
        self.notes: List[str] = []
        self.namespace = self._namespace(obj, entry_point)
        self.target = self._target(obj)
        self.has_all_configs = callable(getattr(self.target, "get_all_configs", None))
        if not self.has_all_configs:
            self.notes.append("no get_all_configs (older protocol; variantlib 0.2.2 refuses it)")

    def _namespace(self, obj: Any, entry_point: str) -> str:
        attribute = getattr(obj, "namespace", None)
        if isinstance(attribute, str) and is_valid_name(attribute):
            if attribute != entry_point:
                self.notes.append(
                    f"namespace {attribute!r} from the plugin's namespace attribute "
                    f"(entry point named {entry_point!r})"
                )
            return attribute
        if attribute is not None:
            self.notes.append(f"ignored invalid namespace attribute {attribute!r}")
        return entry_point

    def _target(self, obj: Any) -> Any:
        """The object whose methods are called: *obj*, or an instance of it."""
        method = "get_supported_configs"
        if not callable(getattr(obj, method, None)):
            raise TypeError(f"{obj!r} has no {method}(): not a variant plugin")
        if inspect.isclass(obj) and not isinstance(
            inspect.getattr_static(obj, method), (classmethod, staticmethod)
        ):
            self.notes.append("instantiated the class (older protocol: instance methods)")
            return obj()
        return obj

    def _call(self, name: str) -> Any:
        method = getattr(self.target, name)
        try:
            required = [
                p
                for p in inspect.signature(method).parameters.values()
                if p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
        except (TypeError, ValueError):  # a builtin or C callable: call it plainly
            required = []
        if required:
            self.notes.append(
                f"called {name}({', '.join(p.name + '=None' for p in required)}) (older signature)"
            )
        return method(*[None] * len(required))

    def configs(self, name: str) -> Tuple[List[FeatureConfig], List[str]]:
        """Call *name* and convert its answer; also the features dropped for no values."""
        raw = self._call(name)
        if isinstance(raw, (str, bytes, dict)) or not hasattr(raw, "__iter__"):
            raise ValueError(f"{name}() returned {type(raw).__name__}, expected a list of configs")
        features: List[FeatureConfig] = []
        empty: List[str] = []
        missing_multi = False
        for item in raw:
            if not (hasattr(item, "name") and hasattr(item, "values")):
                raise ValueError(
                    f"{name}() returned a {type(item).__name__} ({item!r:.80}), "
                    "expected a config with name and values"
                )
            values = item.values
            if isinstance(values, (list, tuple)) and not values:
                empty.append(str(item.name))
                continue
            if not hasattr(item, "multi_value"):
                missing_multi = True
            features.append(FeatureConfig(item.name, values, bool(getattr(item, "multi_value", 0))))
        if missing_multi:
            self.notes.append("configs without multi_value read as single-value")
        if empty:
            self.notes.append(f"dropped features listed with no values: {', '.join(empty)}")
        return features, empty

    def detect(self, _system: object) -> ProviderOutput:
        """The plugin's supported configs as a host provider answer."""
        features, empty = self.configs("get_supported_configs")
        reason = ""
        if not features:
            reason = (
                f"every feature it listed had no values ({', '.join(empty)})"
                if empty
                else "the plugin reported no supported configs"
            )
        return ProviderOutput(features=features, info=self.info(), reason=reason)

    def info(self) -> Dict[str, Any]:
        protocol = "variantlib 0.2.2" if self.has_all_configs else "older (pre-0.2.2)"
        data: Dict[str, Any] = {"protocol": protocol}
        compatible = getattr(self.target, "all_properties_compatible", None)
        if isinstance(compatible, bool):
            data["all_properties_compatible"] = compatible
        if self.notes:
            data["adapted"] = list(dict.fromkeys(self.notes))
        return data


def child_query(
    plugin_api: str, entry_point: str, distribution: Optional[str], version: str = ""
) -> Dict[str, Any]:
    """Child side: load *plugin_api*, ask for its supported configs, return a host row.

    *version* is the version of *distribution*, which the parent read from its
    metadata while discovering it (``importlib.metadata`` would cost this child
    more than the plugin's own import).

    Returns ``{"result": <ProviderResult.to_dict()>, "env": None, "observed":
    ...}``: a standard plugin reads the environment and the machine directly,
    so what it read is observed while it runs (:class:`~variant_providers.observe.Observer`)
    and the parent decides from that whether, and on what, its answer may be
    cached.  A plugin that cannot be loaded or adapted raises, and the parent
    reports the one-line reason.
    """
    system = LiveSystem()
    observer = Observer()
    observer.start()
    try:
        adapter = PluginAdapter(load(plugin_api), entry_point)
        provider = Provider(namespace=adapter.namespace, detect=adapter.detect, version=version)
        # The plugin looks at the machine itself; the seam is passed only because detect takes one.
        result = run_provider(provider, system, plugin=entry_point)
    finally:
        observer.stop()
    data = result.to_dict()
    data["info"] = {"plugin_api": plugin_api, **adapter.info(), **data["info"]}
    return {
        "result": {**data, "traceback": result.traceback},
        "env": None,
        "observed": observer.report(),
    }
