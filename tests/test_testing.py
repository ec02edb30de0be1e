"""The fixture harness of variant_providers.testing: each kind of difference is caught."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from variant_providers.host import Detection, ProviderResult
from variant_providers.model import FeatureConfig
from variant_providers.testing import (
    ConformanceError,
    check_detection,
    detection_problems,
)

from .conftest import MachineFactory

DETECTION = Detection(
    providers=(
        ProviderResult(
            "acme",
            "ok",
            features=(FeatureConfig("generation", ["g2", "g1"]),),
            info={"source": "sysfs", "devices": 2},
        ),
        ProviderResult("other", "not-detected", reason="no device"),
    )
)
MATCHING: Dict[str, Any] = {
    "acme": {"features": {"generation": ["g2", "g1"]}, "info": {"source": "sysfs"}}
}


def test_a_matching_block_has_no_problem() -> None:
    assert detection_problems(DETECTION, MATCHING) == []
    assert detection_problems(DETECTION, MATCHING, complete=True) == []


@pytest.mark.parametrize(
    ("expected", "fragment"),
    [
        (
            {"acme": {"status": "override", "features": {"generation": ["g2", "g1"]}}},
            "acme: status 'ok' != 'override'",
        ),
        ({"acme": {"features": {"generation": ["g1", "g2"]}}}, "acme: features"),
        ({"acme": {"features": {"generation": ["g2", "g1"]}, "info": {"devices": 3}}}, "info"),
        ({"other": {"status": "not-detected"}}, "acme: expected not-detected, got ok"),
    ],
    ids=["status", "value-order", "info", "unlisted-but-detected"],
)
def test_each_kind_of_difference_is_named(expected: Dict[str, Any], fragment: str) -> None:
    problems = detection_problems(DETECTION, expected)
    assert len(problems) == 1 and fragment in problems[0], problems


def test_a_listed_namespace_nobody_reported_counts_only_when_complete() -> None:
    expected = {**MATCHING, "ghost": {"status": "ok"}}
    assert detection_problems(DETECTION, expected) == []
    assert detection_problems(DETECTION, expected, complete=True) == [
        "expected namespaces that no provider reported: ['ghost']"
    ]


def test_check_detection_reads_the_machines_block(make_machine: MachineFactory) -> None:
    good = make_machine(expected=MATCHING)
    assert check_detection(DETECTION, good) is DETECTION
    wrong = make_machine(expected={"acme": {"status": "timeout"}})
    with pytest.raises(ConformanceError, match="status 'ok' != 'timeout'"):
        check_detection(DETECTION, wrong)
    with pytest.raises(ConformanceError, match="no 'expected' block"):
        check_detection(DETECTION, make_machine())
