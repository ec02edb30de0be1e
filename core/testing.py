"""Helpers for testing a provider — ours or a vendor's — against recorded machines.

A third-party provider's test suite typically does::

    from variant_providers.testing import check_provider, check_fixture, replay
    from acme_variant_provider import plugin

    def test_conformance():
        check_provider(plugin, machines=["tests/machines/acme-two-devices"])

    def test_two_devices():
        check_fixture(plugin, "tests/machines/acme-two-devices")

The checks are the ones the host applies at run time, plus the promises a
wheel builder relies on: every value ``detect`` emits is listed by
``all_configs``, and detecting the same machine twice gives the same answer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from .host import Detection, Host, ProviderResult
from .model import FeatureConfig, is_valid_name
from .provider import Provider
from .replay import ReplaySystem

__all__ = [
    "ConformanceError",
    "check_detection",
    "check_fixture",
    "check_provider",
    "detect_with",
    "detection_problems",
    "expected_mismatches",
    "replay",
]

PathLike = Union[str, "os.PathLike[str]"]


class ConformanceError(AssertionError):
    """A provider broke the contract; the message lists every problem found."""


def replay(machine: PathLike) -> ReplaySystem:
    """The recorded machine in directory *machine*."""
    return ReplaySystem(machine)


def detect_with(plugin: object, machine: PathLike) -> Detection:
    """Run *plugin*'s providers (only them) against a recorded machine."""
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    return host.detect(ReplaySystem(machine), cache=False, isolate=False)


def _providers(plugin: object) -> List[Provider]:
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    found, failures = host.providers()
    if failures:
        raise ConformanceError("; ".join(f"{f.name}: {f.error}" for f in failures))
    return [r.provider for r in found]


def expected_mismatches(result: ProviderResult, expected: Mapping[str, Any]) -> List[str]:
    """How *result* differs from one namespace's ``expected`` block (empty: it matches)."""
    problems: List[str] = []
    want_status = expected.get("status", "ok")
    if result.status != want_status:
        detail = result.error or result.reason
        problems.append(f"status {result.status!r} != {want_status!r} ({detail})")
    got = [(f.name, list(f.values)) for f in result.features]
    want = [(name, list(values)) for name, values in expected.get("features", {}).items()]
    if got != want:
        problems.append(f"features {got} != {want}")
    for key, value in expected.get("info", {}).items():
        if result.info.get(key) != value:
            problems.append(f"info[{key!r}] = {result.info.get(key)!r} != {value!r}")
    return problems


def detection_problems(
    detection: Detection, expected: Mapping[str, Any], *, complete: bool = False
) -> List[str]:
    """How *detection* differs from a machine's ``expected`` block (empty: it matches).

    Each namespace listed in *expected* must have exactly that status, those
    features in that order with those values in that order, and the listed
    ``info`` keys; every namespace the detection reports and *expected* does
    not list must be ``not-detected``.  With *complete* (the detection ran
    every provider the block names), a listed namespace nobody reported is a
    problem too.
    """
    problems: List[str] = []
    for result in detection.providers:
        want = expected.get(result.namespace)
        if want is None:
            if result.status != "not-detected":
                detail = result.error or result.reason or [f.name for f in result.features]
                problems.append(
                    f"{result.namespace}: expected not-detected, got {result.status} ({detail})"
                )
            continue
        problems += [f"{result.namespace}: {p}" for p in expected_mismatches(result, want)]
    unknown = set(expected) - set(detection.namespaces)
    if complete and unknown:
        problems.append(f"expected namespaces that no provider reported: {sorted(unknown)}")
    return problems


def check_detection(
    detection: Detection, machine: PathLike, *, complete: bool = False
) -> Detection:
    """Compare *detection* of recorded *machine* with its ``expected`` block; return it.

    Raises :class:`ConformanceError` listing every difference
    (see :func:`detection_problems`).
    """
    expected = ReplaySystem(machine).expected
    if expected is None:
        raise ConformanceError(f"{machine}: machine.json has no 'expected' block")
    problems = detection_problems(detection, expected, complete=complete)
    if problems:
        raise ConformanceError(f"{machine}:\n  " + "\n  ".join(problems))
    return detection


def check_fixture(plugin: object, machine: PathLike) -> Detection:
    """Replay *machine* with *plugin*'s providers and compare with its ``expected`` block.

    Namespaces of *plugin* not listed in ``expected`` must be ``not-detected``;
    namespaces of other plugins listed there are not looked at.
    """
    return check_detection(detect_with(plugin, machine), machine)


def _check_all_configs(
    provider: Provider, problems: List[str]
) -> Optional[Dict[str, FeatureConfig]]:
    if provider.all_configs is None:
        return None
    try:
        configs = list(provider.all_configs())
    except Exception as exc:
        problems.append(f"{provider.namespace}: all_configs() raised {type(exc).__name__}: {exc}")
        return None
    by_name: Dict[str, FeatureConfig] = {}
    for config in configs:
        if not isinstance(config, FeatureConfig):
            problems.append(f"{provider.namespace}: all_configs() returned {type(config).__name__}")
            continue
        if config.name in by_name:
            problems.append(f"{provider.namespace}: all_configs() lists {config.name!r} twice")
        by_name[config.name] = config
    return by_name


def check_provider(plugin: object, machines: Iterable[PathLike] = ()) -> None:
    """Apply the host's checks and the stability promises to every provider of *plugin*.

    * the namespace follows the grammar and the hook returns ``Provider`` records;
    * ``all_configs()`` returns valid, unique feature configs;
    * on every machine, ``detect`` succeeds (no ``error`` status), every
      emitted feature and value is listed in ``all_configs()`` with the same
      ``multi_value``, and a second run gives the same answer (``info`` is
      JSON already: the host turns any other ``info`` into an error result).
    """
    problems: List[str] = []
    providers = _providers(plugin)
    if not providers:
        raise ConformanceError("the plugin returned no Provider record")
    for provider in providers:
        if not is_valid_name(provider.namespace):
            problems.append(f"invalid namespace {provider.namespace!r}")
        catalog = _check_all_configs(provider, problems)
        for machine in machines:
            first = detect_with(plugin, machine)[provider.namespace]
            second = detect_with(plugin, machine)[provider.namespace]
            where = f"{provider.namespace} on {Path(machine).name}"
            expected = (ReplaySystem(machine).expected or {}).get(provider.namespace) or {}
            if first.status == "error" and expected.get("status") != "error":
                problems.append(f"{where}: {first.error}")
                continue
            if (first.status, first.features, first.info) != (
                second.status,
                second.features,
                second.info,
            ):
                problems.append(f"{where}: two runs on the same machine differ")
            if catalog is None:
                continue
            for feature in first.features:
                known = catalog.get(feature.name)
                if known is None:
                    problems.append(f"{where}: feature {feature.name!r} is not in all_configs()")
                    continue
                if known.multi_value != feature.multi_value:
                    problems.append(
                        f"{where}: {feature.name!r} multi_value differs from all_configs()"
                    )
                extra = [v for v in feature.values if v not in known.values]
                if extra:
                    problems.append(
                        f"{where}: {feature.name} values {extra} are not in all_configs()"
                    )
    if problems:
        raise ConformanceError("\n".join(problems))
