"""The child half of an isolated third-party provider (the parent half: :mod:`.isolation`).

Run by :class:`~variant_providers.isolation.IsolatedRun` in a fresh
interpreter: it loads one entry point, runs one namespace exactly as the
parent runs an in-process provider (:func:`~variant_providers.runner.run_tracked`)
and returns plain JSON.  A module of its own so that the parent half stays
free of the registry and the runner it needs.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from .entrypoints import discover, load
from .hookspecs import PROJECT_NAME
from .registry import Registry
from .replay import ReplaySystem
from .runner import run_tracked
from .system import LiveSystem, System

__all__ = ["child_detect"]


def child_detect(entry_point: str, namespace: str, machine: Optional[str]) -> Dict[str, Any]:
    """Child side: load one entry point, run one namespace, return its result.

    Returns ``{"result": <ProviderResult.to_dict()>, "env": {variable: value}}``
    — the environment variables the provider read, so the parent can cache
    the answer exactly as it caches in-process providers.
    """
    found = [ep for ep in discover(PROJECT_NAME, None) if ep.name == entry_point]
    if not found:
        raise LookupError(f"entry point {entry_point!r} is no longer installed")
    registry = Registry(builtins=False, plugins=[load(found[0].value)], entry_points=None)
    registered, failures = registry.providers()
    for reg in registered:
        if reg.provider.namespace == namespace:
            system: System = LiveSystem() if machine is None else ReplaySystem(machine)
            result, env = run_tracked(reg, system)
            return {"result": {**result.to_dict(), "traceback": result.traceback}, "env": env}
    if failures:
        raise RuntimeError(failures[0].error)
    raise LookupError(f"entry point {entry_point!r} no longer provides namespace {namespace!r}")
