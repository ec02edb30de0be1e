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


def expand_forced_features(value: str) -> list[FeatureConfig]:
    """``VARIANT_PROVIDERS_AARCH64_FORCE_FEATURES``: feature names, comma-separated.

    The answer is what detection gives for the same names: the architecture
    versions they reach, then the known features in report order.
    """
    from variant_providers.model import is_valid_name

    from .detect import ordered_features, versions_from_features

    names = [n.strip() for n in value.split(",") if n.strip()]
    bad = [n for n in names if not is_valid_name(n)]
    if bad:
        raise ValueError(f"invalid feature name(s) {', '.join(map(repr, bad))} ([a-z0-9_]+)")
    features = ordered_features(names)
    versions = versions_from_features(set(features)) if features else ()
    head = [FeatureConfig("version", versions)] if versions else []
    return head + [FeatureConfig(n, ["on"]) for n in features]


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
                "VARIANT_PROVIDERS_AARCH64_FORCE_FEATURES", (EVERY_FEATURE,), expand_forced_features
            ),
        ),
    )
