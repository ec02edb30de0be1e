"""variant-providers: tell a package installer what hardware this machine has.

The public API::

    from variant_providers import detect, VariantProperty, FeatureConfig
    detection = detect()                  # every provider, this machine
    [str(p) for p in detection.properties]
    # ['x86_64 :: level :: v4', 'x86_64 :: level :: v3', ...]

Importing this package is cheap — about the cost of reading this file: each
name is loaded on first use (the model, pluggy, the host, the providers), so
an installer that only asks a warm record pays for nothing else.  Even
``typing`` is left out here.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)

__version__ = "0.1.0"

__all__ = [
    "Detection",
    "FeatureConfig",
    "InvalidFeatureConfig",
    "InvalidVariantProperty",
    "Provider",
    "ProviderOutput",
    "ProviderResult",
    "System",
    "VariantProperty",
    "__version__",
    "detect",
    "hookimpl",
    "select",
]

# name -> module that defines it; resolved lazily by __getattr__ (PEP 562).
_LAZY = {
    "FeatureConfig": "model",
    "InvalidFeatureConfig": "model",
    "InvalidVariantProperty": "model",
    "VariantProperty": "model",
    "Detection": "host",
    "ProviderResult": "host",
    "detect": "warm_detect",
    "Provider": "provider",
    "ProviderOutput": "provider",
    "System": "system",
    "hookimpl": "hookspecs",
    "select": "selection",
}

if TYPE_CHECKING:
    from typing import Any

    from .hookspecs import hookimpl
    from .host import Detection, ProviderResult
    from .model import FeatureConfig, InvalidFeatureConfig, InvalidVariantProperty, VariantProperty
    from .provider import Provider, ProviderOutput
    from .selection import select
    from .system import System
    from .warm_detect import detect


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
