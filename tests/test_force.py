"""Vendor force variables are declared on each provider's record, checked by the host."""

from __future__ import annotations

import importlib
import types
from dataclasses import replace
from typing import Any, List, Tuple

import pytest

from variant_providers.force import Forced, apply_forced, read_forced
from variant_providers.hookspecs import hookimpl
from variant_providers.host import Host, ProviderResult
from variant_providers.model import FeatureConfig
from variant_providers.overrides import InvalidOverride
from variant_providers.provider import EVERY_FEATURE, ForceVariable, Provider, ProviderOutput
from variant_providers.providers import BUILTIN_PROVIDERS
from variant_providers.replay import ReplaySystem
from variant_providers.system import LiveSystem, System

# Where each vendor's detection code spells its variables.
CONSTANTS = {
    "nvidia": ("vocab", ["FORCE_CUDA_VAR", "FORCE_SM_VAR"]),
    "amd": ("vocab", ["FORCE_GFX_ARCH", "FORCE_ROCM_VERSION"]),
    "intel": ("vocab", ["FORCE_VARIABLE"]),
    # The project's own x86_64/aarch64 force variables are gone: VARIANT_PROVIDERS_OVERRIDE
    # says the same for every namespace.
    "x86_64": ("vocab", []),
    "aarch64": ("vocab", []),
}


def test_every_builtin_declares_the_variables_its_detection_reads() -> None:
    records = {r.provider.namespace: r.provider for r in Host(entry_points=False).providers()[0]}
    for vendor in BUILTIN_PROVIDERS:
        module_name, names = CONSTANTS[vendor]
        module = importlib.import_module(f"variant_providers.providers.{vendor}.{module_name}")
        declared = [f.variable for f in records[vendor].force_variables]
        assert declared == [getattr(module, name) for name in names], vendor


def _expand_level(value: str) -> List[FeatureConfig]:
    if value not in ("v1", "v2", "v3"):
        raise ValueError(f"{value!r} is not a level")
    return [FeatureConfig("level", [value])]


def _expand_extensions(value: str) -> List[FeatureConfig]:
    names = [n.strip() for n in value.split(",")]
    unknown = [n for n in names if n not in ("avx", "avx2")]
    if unknown:
        raise ValueError(f"unknown extension(s) {', '.join(map(repr, unknown))}")
    return [FeatureConfig(n, ["on"]) for n in names]


#: A provider whose second variable only acts with the first (``needs``).
NEEDY = Provider(
    "chip",
    lambda system: ProviderOutput(),
    force_variables=(
        ForceVariable("CHIP_FORCE_LEVEL", (EVERY_FEATURE,), _expand_level),
        ForceVariable(
            "CHIP_FORCE_EXTENSIONS", (EVERY_FEATURE,), _expand_extensions, needs="CHIP_FORCE_LEVEL"
        ),
    ),
)


def test_read_forced_checks_and_skips() -> None:
    only_extensions = LiveSystem(environ={"CHIP_FORCE_EXTENSIONS": "avx2"})
    assert read_forced(NEEDY, only_extensions) == (), "without the level it has no effect"
    both = LiveSystem(environ={"CHIP_FORCE_LEVEL": "v3", "CHIP_FORCE_EXTENSIONS": "avx2"})
    assert [f.variable for f in read_forced(NEEDY, both)] == [
        "CHIP_FORCE_LEVEL",
        "CHIP_FORCE_EXTENSIONS",
    ]
    bad = LiveSystem(environ={"CHIP_FORCE_LEVEL": "v3", "CHIP_FORCE_EXTENSIONS": "avx9"})
    with pytest.raises(InvalidOverride, match=r"CHIP_FORCE_EXTENSIONS='avx9'"):
        read_forced(NEEDY, bad)


def _forced(
    variable: str, features: Tuple[str, ...], *values: FeatureConfig, alone: bool = True
) -> Forced:
    return Forced(variable, "x86_64", features, "raw", tuple(values), alone)


def test_apply_forced_replaces_the_declared_features_in_place() -> None:
    detected = ProviderResult(
        "nvidia",
        "ok",
        features=(FeatureConfig("lower", ["12.8"]), FeatureConfig("sm", ["90_real"], True)),
        provenance={"lower": "probe:nvml", "sm": "probe:nvml"},
    )
    cuda = _forced("CUDA_VAR", ("lower", "upper"), FeatureConfig("lower", ["12.6"]))
    result = apply_forced(detected, [cuda])
    assert result.status == "override"
    assert [(f.name, list(f.values)) for f in result.features] == [
        ("lower", ["12.6"]),
        ("sm", ["90_real"]),
    ]
    assert result.provenance == {
        "lower": "override:CUDA_VAR",
        "upper": "override:CUDA_VAR",
        "sm": "probe:nvml",
    }
    assert result.overridden == {"lower": "CUDA_VAR", "upper": "CUDA_VAR"}


def test_apply_forced_alone_or_not() -> None:
    nothing = ProviderResult("nvidia", "not-detected", reason="no driver")
    sm = _forced("SM_VAR", ("sm",), FeatureConfig("sm", ["90_real"], True), alone=False)
    assert apply_forced(nothing, [sm]) == nothing, "needs an answer with features"
    cuda = _forced("CUDA_VAR", ("lower",), FeatureConfig("lower", ["12.8"]))
    both = apply_forced(nothing, [cuda, sm])
    assert both.status == "override"
    assert [f.name for f in both.features] == ["lower", "sm"]
    gone = apply_forced(both, [_forced("SM_VAR", ("sm",))])
    assert [f.name for f in gone.features] == ["lower"], "an empty expansion removes it"
    assert gone.provenance["sm"] == "override:SM_VAR"


def test_every_feature_replaces_the_whole_answer() -> None:
    detected = ProviderResult(
        "x86_64",
        "ok",
        features=(FeatureConfig("level", ["v4", "v3"]), FeatureConfig("avx512f", ["on"])),
    )
    level = _forced("LEVEL_VAR", (EVERY_FEATURE,), FeatureConfig("level", ["v2", "v1"]))
    extensions = _forced("EXT_VAR", (EVERY_FEATURE,), FeatureConfig("sse4_2", ["on"]))
    result = apply_forced(detected, [level, extensions])
    assert [f.name for f in result.features] == ["level", "sse4_2"]
    assert result.overridden == {"level": "LEVEL_VAR", "sse4_2": "EXT_VAR"}


def test_detect_is_skipped_only_when_every_feature_is_forced(make_machine: Any) -> None:
    calls: List[str] = []
    records = {r.provider.namespace: r.provider for r in Host(entry_points=False).providers()[0]}
    nvidia = records["nvidia"]

    def spy(system: System) -> ProviderOutput:
        calls.append("detect")
        return ProviderOutput()

    spied = replace(nvidia, detect=spy)
    plugin = types.SimpleNamespace(variant_providers=hookimpl(lambda: [spied]))
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    cuda = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8"}
    one = host.detect(ReplaySystem(make_machine(env=cuda)), cache=False)["nvidia"]
    assert calls == ["detect"] and one.status == "override"
    both = {**cuda, "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "9.0"}
    detection = host.detect(ReplaySystem(make_machine(env=both)), cache=False)
    assert calls == ["detect"], "every feature forced: not run"
    assert [str(p) for p in detection["nvidia"].properties][-2:] == [
        "nvidia :: sm_arch :: 90_real",
        "nvidia :: sm_arch :: 90_virtual",
    ]
    rows = {(r["variable"], r["feature"]) for r in detection.overrides}
    assert ("NV_VARIANT_PROVIDER_FORCE_SM_ARCH", "sm_arch") in rows
    assert ("NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION", "cuda_version_lower_bound") in rows
