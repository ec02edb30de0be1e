"""Registers the ACME provider with variant-providers (entry point ``variant_providers``)."""

from __future__ import annotations

from typing import Iterator, Sequence

from variant_providers import FeatureConfig, Provider, hookimpl

from .detect import ALL_GENERATIONS, detect, fingerprint

VERSION = "0.1.0"


def all_configs() -> Sequence[FeatureConfig]:
    """Every feature and value this provider can ever emit."""
    return [FeatureConfig("generation", ALL_GENERATIONS)]


@hookimpl
def variant_providers() -> Iterator[Provider]:
    yield Provider(
        namespace="acme",
        detect=detect,
        all_configs=all_configs,
        fingerprint=fingerprint,
        description="ACME accelerator generation",
        version=VERSION,
    )
