"""Replay every recorded machine in fixtures/machines and compare with its ``expected`` block.

The rule is :func:`variant_providers.testing.detection_problems`'s, with every
built-in provider run, so a namespace the block lists must be reported.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from variant_providers.host import Host
from variant_providers.providers import BUILTIN_PROVIDERS
from variant_providers.replay import ReplaySystem
from variant_providers.testing import check_detection, check_provider

from .conftest import FIXTURE_MACHINES

MACHINES = sorted(p.parent for p in FIXTURE_MACHINES.glob("*/machine.json"))


@pytest.mark.parametrize("machine", MACHINES, ids=[m.name for m in MACHINES])
def test_fixture_machine_replays_as_expected(machine: Path) -> None:
    assert ReplaySystem(machine).expected, f"{machine.name} has no expected block"
    detection = Host(entry_points=False).detect(ReplaySystem(machine))
    check_detection(detection, machine, complete=True)


@pytest.mark.parametrize("vendor", BUILTIN_PROVIDERS)
def test_builtin_providers_conform_on_every_machine(vendor: str) -> None:
    """Values within all_configs(), same answer twice, no unexpected error."""
    plugin = importlib.import_module(f"variant_providers.providers.{vendor}.plugin")
    check_provider(plugin, MACHINES)


def test_there_are_recorded_machines() -> None:
    assert MACHINES, "fixtures/machines holds no recorded machine"
