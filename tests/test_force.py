"""Vendor force variables are declared on each provider's record, checked by the host."""

from __future__ import annotations

import importlib

import pytest

from variant_providers.force import Forced, mark_forced, read_forced
from variant_providers.host import Host, ProviderResult
from variant_providers.model import FeatureConfig
from variant_providers.overrides import InvalidOverride
from variant_providers.provider import EVERY_FEATURE
from variant_providers.providers import BUILTIN_PROVIDERS
from variant_providers.system import LiveSystem

# Where each vendor's detection code spells its variables.
CONSTANTS = {
    "nvidia": ("vocab", ["FORCE_CUDA_VAR", "FORCE_SM_VAR"]),
    "amd": ("detect", ["FORCE_GFX_ARCH", "FORCE_ROCM_VERSION"]),
    "intel": ("detect", ["FORCE_VARIABLE"]),
    "x86_64": ("detect", ["FORCE_LEVEL_ENV", "FORCE_EXTENSIONS_ENV"]),
    "aarch64": ("detect", ["FORCE_FEATURES_ENV"]),
}


def test_every_builtin_declares_the_variables_its_detection_reads() -> None:
    records = {r.provider.namespace: r.provider for r in Host(entry_points=False).providers()[0]}
    for vendor in BUILTIN_PROVIDERS:
        module_name, names = CONSTANTS[vendor]
        module = importlib.import_module(f"variant_providers.providers.{vendor}.{module_name}")
        declared = [f.variable for f in records[vendor].force_variables]
        assert declared == [getattr(module, name) for name in names], vendor


def test_read_forced_checks_and_skips() -> None:
    records = {r.provider.namespace: r.provider for r in Host(entry_points=False).providers()[0]}
    x86 = records["x86_64"]
    only_extensions = LiveSystem(environ={"VARIANT_PROVIDERS_X86_64_FORCE_EXTENSIONS": "avx2"})
    assert read_forced(x86, only_extensions) == (), "without the level it has no effect"
    both = LiveSystem(
        environ={
            "VARIANT_PROVIDERS_X86_64_FORCE_LEVEL": "v3",
            "VARIANT_PROVIDERS_X86_64_FORCE_EXTENSIONS": "avx2",
        }
    )
    assert [f.variable for f in read_forced(x86, both)] == [
        "VARIANT_PROVIDERS_X86_64_FORCE_LEVEL",
        "VARIANT_PROVIDERS_X86_64_FORCE_EXTENSIONS",
    ]
    bad = LiveSystem(
        environ={
            "VARIANT_PROVIDERS_X86_64_FORCE_LEVEL": "v3",
            "VARIANT_PROVIDERS_X86_64_FORCE_EXTENSIONS": "avx9",
        }
    )
    with pytest.raises(InvalidOverride, match=r"VARIANT_PROVIDERS_X86_64_FORCE_EXTENSIONS='avx9'"):
        read_forced(x86, bad)


def test_mark_forced_names_the_variable_on_the_features_it_set() -> None:
    result = ProviderResult(
        "x86_64",
        "override",
        features=(FeatureConfig("level", ["v3", "v2", "v1"]), FeatureConfig("avx2", ["on"])),
    )
    forced = (
        Forced("LEVEL_VAR", "x86_64", ("level",), "v3"),
        Forced("EXT_VAR", "x86_64", (EVERY_FEATURE,), "avx2"),
    )
    marked = mark_forced(result, forced)
    assert marked.overridden == {"level": "LEVEL_VAR", "avx2": "EXT_VAR"}
    already = ProviderResult(
        "x86_64", "override", features=result.features[:1], provenance={"level": "override:OTHER"}
    )
    assert mark_forced(already, forced).overridden == {"level": "OTHER"}, "first mark wins"
