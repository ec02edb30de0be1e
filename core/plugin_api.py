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

A third-party provider's plugin-API object (the provider template's
``Plugin``) names its plugin module; that module is imported, and its
``detect`` and catalogue run, only in a child process under the detection's
deadline, exactly as for an installed entry point.  The installer's process
runs none of its code.
"""

from __future__ import annotations

import os
import types

from .warm import lookup

# Not typing.TYPE_CHECKING, and no dataclasses: a warm get_supported_configs()
# in a fresh interpreter would spend more on those two imports than on its answer.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, Dict, List, Optional, Type

    from .entrypoints import EntryPointRecord

__all__ = ["PluginBase", "PluginConfig", "plugin_class"]


class PluginConfig:
    """A feature config in exactly the types installers validate (plain lists).

    Immutable and compared by value, as a frozen dataclass would be.
    """

    name: str
    values: List[str]
    multi_value: bool

    def __init__(self, name: str, values: List[str], multi_value: bool) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "multi_value", multi_value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def _fields(self) -> tuple[str, List[str], bool]:
        return (self.name, self.values, self.multi_value)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, PluginConfig)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.values), self.multi_value))

    def __repr__(self) -> str:
        return (
            f"PluginConfig(name={self.name!r}, values={self.values!r}, "
            f"multi_value={self.multi_value!r})"
        )

    def as_dict(self) -> Dict[str, Any]:
        """The plain-JSON form (what ``dataclasses.asdict`` gave)."""
        return {"name": self.name, "values": list(self.values), "multi_value": self.multi_value}


_HOSTS: Dict[Any, Any] = {}


def _isolated(namespace: str, module: str) -> EntryPointRecord:
    """*module* as an entry point run in a child; its file's stat stands for a version.

    (Reinstalling the provider rewrites the file, so a cached answer of the
    old code is not reused.)
    """
    # With the host: a warm get_supported_configs() loads neither (logging, hashlib).
    import importlib.util  # contextlib and more: not on the warm path

    from .entrypoints import EntryPointRecord

    try:  # finds the file without running it (a parent package is imported, as it was)
        found = importlib.util.find_spec(module)
        stat = os.stat(found.origin) if found is not None and found.origin else None
    except (ImportError, ValueError, OSError):
        stat = None
    stamp = f"{stat.st_mtime_ns}-{stat.st_size}" if stat is not None else ""
    return EntryPointRecord(namespace, module, module.partition(".")[0], version=stamp)


def _host_for(plugin: Optional[object], namespace: str) -> Any:
    from .host import Host

    if isinstance(plugin, types.ModuleType):
        plugin = plugin.__name__  # a provider package's module: third-party code
    key = (namespace, plugin) if isinstance(plugin, str) else id(plugin)
    if key not in _HOSTS:
        if plugin is None:
            _HOSTS[key] = Host(entry_points=False)
        elif isinstance(plugin, str):
            record = _isolated(namespace, plugin)
            _HOSTS[key] = Host(builtins=False, entry_points=False, third_party=[record])
        else:
            _HOSTS[key] = Host(builtins=False, entry_points=False, plugins=[plugin])
    return _HOSTS[key]


def _warm_configs(key: List[str]) -> Optional[List[PluginConfig]]:
    """The configs stored in *key*'s current warm record, or ``None``."""
    record = lookup(key)
    try:
        stored = record["payload"] if record is not None else None
        if stored is None:
            return None
        return [
            PluginConfig(str(f["name"]), [str(v) for v in f["values"]], bool(f["multi_value"]))
            for f in stored
        ]
    except (KeyError, TypeError, ValueError):
        return None


def _convert(features: Any) -> List[PluginConfig]:
    return [PluginConfig(f.name, list(f.values), bool(f.multi_value)) for f in features]


class PluginBase:
    """What every plugin-API object is; :func:`plugin_class` makes one per namespace."""

    #: Read by pre-0.2 variantlib and uv's prototype; variantlib 0.2.2 takes the
    #: namespace from the variants.json key instead.
    namespace: ClassVar[str] = ""
    #: Values depend on the machine: not usable as build-time static data.
    all_properties_compatible: ClassVar[bool] = False
    #: The plugin whose hook yields the provider: ``None`` for the built-ins, a
    #: module name (or module) for a provider package, run in a child process.
    _plugin: ClassVar[Optional[object]] = None

    @classmethod
    def get_supported_configs(cls) -> List[PluginConfig]:
        """What this machine supports, most preferred first (cached, overridable).

        A built-in provider's answer comes from its warm record when every
        input is unchanged (see :mod:`variant_providers.warm`): an installer
        calling this in a fresh interpreter then loads no host at all.
        """
        key = ["plugin-api", "get_supported_configs", cls.namespace]
        if cls._plugin is None:
            warm = _warm_configs(key)
            if warm is not None:
                return warm
        from .warm_record import WarmRecorder  # the host's machinery, only on a miss

        recorder = WarmRecorder(key) if cls._plugin is None else None
        system = recorder.system if recorder is not None else None
        detection = _host_for(cls._plugin, cls.namespace).detect(system, only=[cls.namespace])
        result = detection.get(cls.namespace)
        ok = result is not None and result.status in ("ok", "override")
        configs = _convert(result.features) if result is not None and ok else []
        if recorder is not None:
            recorder.remember(detection, [c.as_dict() for c in configs])
        return configs

    @classmethod
    def get_all_configs(cls) -> List[PluginConfig]:
        """Every feature and value the provider can ever emit."""
        host = _host_for(cls._plugin, cls.namespace)
        found, _ = host.providers()
        for provider in [r.provider for r in found] + host.third_party_providers():
            if provider.namespace == cls.namespace and provider.all_configs is not None:
                return _convert(provider.all_configs())
        return []


def plugin_class(namespace: str, plugin: Optional[object] = None) -> Type[PluginBase]:
    """Build the plugin-API class for *namespace*.

    *plugin* names the module whose ``variant_providers`` hook yields the
    provider (``"acme_variant_provider.plugin"``, or the module itself): it
    runs in a child process, never here.  ``None`` means the built-in
    provider of that name; any other object is the caller's own plugin,
    run in-process.
    """
    doc = f"The ``{namespace}`` provider as a PEP 817/825 installer plugin."
    attributes = {"namespace": namespace, "_plugin": plugin, "__doc__": doc}
    return type("Plugin", (PluginBase,), attributes)
