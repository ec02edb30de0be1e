"""Replay every recorded machine in fixtures/machines and compare with its ``expected`` block.

The rule: each namespace listed in ``expected`` has exactly that status, those
features in that order with those values in that order, and the listed
``info`` keys; every namespace not listed is ``not-detected``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
from variant_providers.host import Host
from variant_providers.replay import ReplaySystem

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
        if result.status != want.get("status", "ok"):
            problems.append(
                f"{result.namespace}: status {result.status!r} != {want.get('status', 'ok')!r} "
                f"({result.error or result.reason})"
            )
        got_features = [(f.name, list(f.values)) for f in result.features]
        want_features = [(name, list(values)) for name, values in want.get("features", {}).items()]
        if got_features != want_features:
            problems.append(f"{result.namespace}: features {got_features} != {want_features}")
        for key, value in want.get("info", {}).items():
            if result.info.get(key) != value:
                problems.append(
                    f"{result.namespace}: info[{key!r}] = {result.info.get(key)!r} != {value!r}"
                )
    unknown = set(expected) - set(detection.namespaces)
    if unknown:
        problems.append(f"expected namespaces that no provider reported: {sorted(unknown)}")
    assert not problems, "\n".join(problems)


def test_there_are_recorded_machines() -> None:
    assert MACHINES, "fixtures/machines holds no recorded machine"
