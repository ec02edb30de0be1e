"""Registers the x86-64 provider with the host."""

from __future__ import annotations

from typing import Iterator, Sequence

from variant_providers.hookspecs import hookimpl
from variant_providers.model import FeatureConfig
from variant_providers.provider import Provider

from .detect import ALL_LEVELS, detect

VERSION = "0.1.0"


def all_configs() -> Sequence[FeatureConfig]:
    """Every feature and value this provider can emit."""
    return [FeatureConfig("level", ALL_LEVELS)]


@hookimpl
def variant_providers() -> Iterator[Provider]:
    yield Provider(
        namespace="x86_64",
        detect=detect,
        all_configs=all_configs,
        description="x86-64 psABI micro-architecture level",
        version=VERSION,
    )
