"""variant_providers.testing: the fixture harness catches each kind of difference, and
FakeSystem answers a machine written as a dict."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from variant_providers.host import Detection, ProviderResult
from variant_providers.model import FeatureConfig
from variant_providers.replay import InvalidMachine
from variant_providers.system import NativeFacade, NativeTimeout, PlatformInfo
from variant_providers.testing import (
    Call,
    ConformanceError,
    FakeSystem,
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


# -- FakeSystem: a machine written as a dict ---------------------------------------------------


def test_a_fake_answers_like_a_replay_of_the_same_document() -> None:
    system = FakeSystem(
        files={"/sys/class/acme/acme0/generation": "2\n"},
        env={"ACME_HOME": "/opt/acme"},
        errors={"/sys/class/acme/acme1": "EACCES"},
        links={"/sys/class/acme/acme0/driver": "../../bus/acme"},
        commands={"acme-smi -q": {"returncode": 0, "stdout": "gen 2\n"}},
        native={"acme": {"answer": {"devices": 1}}, "hung": {"timeout": True}},
    )
    assert system.platform == PlatformInfo("Linux", "x86_64", "6.8.0")
    assert system.read_text("/sys/class/acme/acme0/generation") == "2\n"
    assert system.listdir("/sys/class/acme") == ["acme0", "acme1"]
    with pytest.raises(PermissionError):
        system.read_text("/sys/class/acme/acme1/generation")
    with pytest.raises(FileNotFoundError):
        system.read_bytes("/proc/cpuinfo")
    assert system.readlink("/sys/class/acme/acme0/driver") == "../../bus/acme"
    assert system.getenv("ACME_HOME") == "/opt/acme" and system.getenv("HOME") is None
    assert system.run(["acme-smi", "-q"]).stdout == "gen 2\n"
    assert system.run(["other"]).error == "ENOENT", "a command not written is not installed"
    assert system.native(NativeFacade("acme", "x:y")) == {"devices": 1}
    with pytest.raises(NativeTimeout):
        system.native(NativeFacade("hung", "x:y", timeout=2.0))
    assert system.asked("read") == [
        "/sys/class/acme/acme0/generation",
        "/sys/class/acme/acme1/generation",
        "/proc/cpuinfo",
    ]
    assert system.asked("run") == ["acme-smi -q", "other"]
    assert system.calls[-1] == Call("native", "hung", 2.0)


def test_keywords_merge_into_the_document_and_a_directory_can_be_counted(
    make_machine: MachineFactory,
) -> None:
    arm = {"platform": {"system": "Darwin", "machine": "arm64"}, "env": {"A": "1"}}
    system = FakeSystem(arm, env={"B": "2"})
    assert system.platform.arch == "aarch64"
    assert (system.getenv("A"), system.getenv("B")) == ("1", "2")
    recorded = make_machine(root_files={"/proc/cpuinfo": "flags\t: sse2\n"})
    counted = FakeSystem(recorded)
    assert counted.read_text("/proc/cpuinfo") == "flags\t: sse2\n"
    assert counted.asked("read") == ["/proc/cpuinfo"]
    with pytest.raises(TypeError):
        FakeSystem(recorded, env={"A": "1"})


def test_a_fake_document_is_checked_like_a_machine_json() -> None:
    with pytest.raises(InvalidMachine, match="machine paths are absolute"):
        FakeSystem(files={"proc/cpuinfo": "x"})
    with pytest.raises(InvalidMachine, match="has the wrong type"):
        FakeSystem(commands={"true": {"returncode": "0"}})
