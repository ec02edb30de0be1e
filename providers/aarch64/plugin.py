"""Registers the aarch64 provider with the host."""

from __future__ import annotations

from typing import Iterator, Sequence

from variant_providers.hookspecs import hookimpl
from variant_providers.model import FeatureConfig
from variant_providers.provider import Provider, lazy

VERSION = "0.1.0"


def all_configs() -> Sequence[FeatureConfig]:
    """Every feature and value this provider can emit (:func:`.vocab.catalogue`)."""
    from .vocab import catalogue

    return catalogue()


@hookimpl
def variant_providers() -> Iterator[Provider]:
    yield Provider(
        namespace="aarch64",
        detect=lazy("variant_providers.providers.aarch64.detect:detect"),
        all_configs=all_configs,
        description="AArch64 architecture version and CPU features",
        version=VERSION,
    )
