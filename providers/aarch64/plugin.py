"""Registers the aarch64 provider with the host."""

from __future__ import annotations

from typing import Iterator, Sequence

from variant_providers.hookspecs import hookimpl
from variant_providers.model import FeatureConfig
from variant_providers.provider import EVERY_FEATURE, ForceVariable, Provider, lazy

VERSION = "0.1.0"


def all_configs() -> Sequence[FeatureConfig]:
    """Every feature and value this provider can emit, in report order."""
    from .tables import ALL_FEATURES, ALL_VERSIONS

    return [FeatureConfig("version", ALL_VERSIONS)] + [
        FeatureConfig(name, ["on"]) for name in ALL_FEATURES
    ]


def check_forced_features(value: str) -> list[str]:
    """``VARIANT_PROVIDERS_AARCH64_FORCE_FEATURES``: feature names, comma-separated."""
    from variant_providers.model import is_valid_name

    names = [n.strip() for n in value.split(",") if n.strip()]
    bad = [n for n in names if not is_valid_name(n)]
    if bad:
        raise ValueError(f"invalid feature name(s) {', '.join(map(repr, bad))} ([a-z0-9_]+)")
    return names


@hookimpl
def variant_providers() -> Iterator[Provider]:
    yield Provider(
        namespace="aarch64",
        detect=lazy("variant_providers.providers.aarch64.detect:detect"),
        all_configs=all_configs,
        description="AArch64 architecture version and CPU features",
        version=VERSION,
        force_variables=(
            ForceVariable(
                "VARIANT_PROVIDERS_AARCH64_FORCE_FEATURES", (EVERY_FEATURE,), check_forced_features
            ),
        ),
    )
