"""Registers the x86-64 provider with the host."""

from __future__ import annotations

from typing import Iterator, Sequence

from variant_providers.hookspecs import hookimpl
from variant_providers.model import FeatureConfig
from variant_providers.provider import EVERY_FEATURE, ForceVariable, Provider, lazy

VERSION = "0.2.0"


def all_configs() -> Sequence[FeatureConfig]:
    """Every feature and value this provider can emit, in report order."""
    from .tables import ALL_EXTENSIONS, ALL_LEVELS

    return [FeatureConfig("level", ALL_LEVELS)] + [
        FeatureConfig(name, ["on"]) for name in ALL_EXTENSIONS
    ]


def expand_forced_level(value: str) -> list[FeatureConfig]:
    """``VARIANT_PROVIDERS_X86_64_FORCE_LEVEL``: ``v1`` … ``v4`` (or ``x86-64-v3``, ``3``)."""
    from .levels import level_values, parse_level

    level = parse_level(value)
    if level is None:
        raise ValueError(f"{value!r} is not a level (expected v1, v2, v3 or v4)")
    return [FeatureConfig("level", level_values(level))]


def expand_forced_extensions(value: str) -> list[FeatureConfig]:
    """``VARIANT_PROVIDERS_X86_64_FORCE_EXTENSIONS``: extension names, comma-separated."""
    from .tables import ALL_EXTENSIONS

    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_EXTENSIONS]
    if unknown:
        raise ValueError(f"unknown extension(s) {', '.join(map(repr, unknown))}")
    return [FeatureConfig(n, ["on"]) for n in ALL_EXTENSIONS if n in names]


@hookimpl
def variant_providers() -> Iterator[Provider]:
    yield Provider(
        namespace="x86_64",
        detect=lazy("variant_providers.providers.x86_64.detect:detect"),
        all_configs=all_configs,
        description="x86-64 psABI micro-architecture level and CPU extensions",
        version=VERSION,
        force_variables=(
            # A forced level is the whole answer: the level, and only the extensions forced too.
            ForceVariable(
                "VARIANT_PROVIDERS_X86_64_FORCE_LEVEL", (EVERY_FEATURE,), expand_forced_level
            ),
            ForceVariable(
                "VARIANT_PROVIDERS_X86_64_FORCE_EXTENSIONS",
                (EVERY_FEATURE,),
                expand_forced_extensions,
                needs="VARIANT_PROVIDERS_X86_64_FORCE_LEVEL",
            ),
        ),
    )
