"""Plugin-API objects: our providers as PEP 817/825 installer plugins.

An installer such as variantlib or uv loads a provider through a
``plugin-api`` string (``variant_providers.providers.nvidia:Plugin``) and calls
``get_supported_configs()`` / ``get_all_configs()`` on the object.  The
objects made here answer through the same host, cache, overrides and
isolation as ``python -m variant_providers report``: there is no second
detection path.

The shape follows variantlib 0.2.2's ``PluginType`` protocol (class methods,
``all_properties_compatible``), plus the ``namespace`` attribute older hosts
and uv's prototype read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Dict, List, Optional, Type

__all__ = ["PluginBase", "PluginConfig", "plugin_class"]


@dataclass(frozen=True)
class PluginConfig:
    """A feature config in exactly the types installers validate (plain lists)."""

    name: str
    values: List[str]
    multi_value: bool


_HOSTS: Dict[int, Any] = {}


def _host_for(plugin: Optional[object]) -> Any:
    from .host import Host

    key = id(plugin)
    if key not in _HOSTS:
        if plugin is None:
            _HOSTS[key] = Host(entry_points=False)
        else:
            _HOSTS[key] = Host(builtins=False, entry_points=False, plugins=[plugin])
    return _HOSTS[key]


def _convert(features: Any) -> List[PluginConfig]:
    return [PluginConfig(f.name, list(f.values), bool(f.multi_value)) for f in features]


class PluginBase:
    """What every plugin-API object is; :func:`plugin_class` makes one per namespace."""

    #: Read by pre-0.2 variantlib and uv's prototype; variantlib 0.2.2 takes the
    #: namespace from the variants.json key instead.
    namespace: ClassVar[str] = ""
    #: Values depend on the machine: not usable as build-time static data.
    all_properties_compatible: ClassVar[bool] = False
    #: The plugin whose hook yields the provider; ``None`` for the built-ins.
    _plugin: ClassVar[Optional[object]] = None

    @classmethod
    def get_supported_configs(cls) -> List[PluginConfig]:
        """What this machine supports, most preferred first (cached, overridable)."""
        detection = _host_for(cls._plugin).detect(only=[cls.namespace])
        result = detection.get(cls.namespace)
        if result is None or result.status not in ("ok", "override"):
            return []
        return _convert(result.features)

    @classmethod
    def get_all_configs(cls) -> List[PluginConfig]:
        """Every feature and value the provider can ever emit."""
        found, _ = _host_for(cls._plugin).providers()
        for registered in found:
            provider = registered.provider
            if provider.namespace == cls.namespace and provider.all_configs is not None:
                return _convert(provider.all_configs())
        return []


def plugin_class(namespace: str, plugin: Optional[object] = None) -> Type[PluginBase]:
    """Build the plugin-API class for *namespace*.

    *plugin* is the module (or object) whose ``variant_providers`` hook
    yields the provider; ``None`` means the built-in provider of that name.
    """
    doc = f"The ``{namespace}`` provider as a PEP 817/825 installer plugin."
    attributes = {"namespace": namespace, "_plugin": plugin, "__doc__": doc}
    return type("Plugin", (PluginBase,), attributes)
