"""Replay every recorded machine in fixtures/machines and compare with its ``expected`` block.

The rule: each namespace listed in ``expected`` has exactly that status, those
features in that order with those values in that order, and the listed
``info`` keys; every namespace not listed is ``not-detected``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from variant_providers.host import Host
from variant_providers.providers import BUILTIN_PROVIDERS
from variant_providers.replay import ReplaySystem
from variant_providers.testing import check_provider, expected_mismatches

from .conftest import FIXTURE_MACHINES

MACHINES = sorted(p.parent for p in FIXTURE_MACHINES.glob("*/machine.json"))


def _expected(machine: Path) -> Dict[str, Any]:
    data = json.loads((machine / "machine.json").read_text(encoding="utf-8"))
    expected = data.get("expected")
    assert isinstance(expected, dict) and expected, f"{machine.name} has no expected block"
    return expected


@pytest.mark.parametrize("machine", MACHINES, ids=[m.name for m in MACHINES])
def test_fixture_machine_replays_as_expected(machine: Path) -> None:
    expected = _expected(machine)
    detection = Host(entry_points=False).detect(ReplaySystem(machine))
    problems: List[str] = []
    for result in detection.providers:
        want = expected.get(result.namespace)
        if want is None:
            if result.status != "not-detected":
                problems.append(
                    f"{result.namespace}: expected not-detected, got {result.status} "
                    f"({result.error or result.reason or [f.name for f in result.features]})"
                )
            continue
        problems += [f"{result.namespace}: {p}" for p in expected_mismatches(result, want)]
    unknown = set(expected) - set(detection.namespaces)
    if unknown:
        problems.append(f"expected namespaces that no provider reported: {sorted(unknown)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("vendor", BUILTIN_PROVIDERS)
def test_builtin_providers_conform_on_every_machine(vendor: str) -> None:
    """Values within all_configs(), same answer twice, no unexpected error."""
    plugin = importlib.import_module(f"variant_providers.providers.{vendor}.plugin")
    check_provider(plugin, MACHINES)


def test_there_are_recorded_machines() -> None:
    assert MACHINES, "fixtures/machines holds no recorded machine"
