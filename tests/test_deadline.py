"""One deadline per detection: the shared clock, calls that find no time left,
the limit a detection uses, and a child that does not die when killed."""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any, List

import pytest

from variant_providers import children
from variant_providers.deadline import Deadline, DeadlineSystem
from variant_providers.host import Host
from variant_providers.replay import ReplaySystem
from variant_providers.system import (
    ChildTimeout,
    NativeFacade,
    NativeTimeout,
    run_bounded,
    run_python_child,
)
from variant_providers.testing import FakeSystem

from .conftest import FIXTURE_MACHINES

HANG = FIXTURE_MACHINES / "nvidia-h200-nvml-hang-570"
FACADE = NativeFacade("probe", "os:getpid")


def test_a_spent_deadline_starts_no_call() -> None:
    system = DeadlineSystem(ReplaySystem(HANG), Deadline(0.0))
    with pytest.raises(NativeTimeout, match="not started, the 0 s time limit of this detection"):
        system.native(FACADE)
    result = system.run(["nvidia-smi"])
    assert result.timed_out and result.duration_ms == 0.0
    assert result.describe() == (
        "nvidia-smi: timed out, no answer within the 0 s time limit of this detection"
    )


def test_a_command_that_times_out_names_the_limit_in_force() -> None:
    argv = [
        "nvidia-smi",
        "--query-gpu=index,name,uuid,pci.bus_id,driver_version,memory.total,compute_cap",
        "--format=csv,noheader,nounits",
    ]
    assert ReplaySystem(HANG).run(argv).describe() == "nvidia-smi: timed out"
    result = DeadlineSystem(ReplaySystem(HANG), Deadline(3.0)).run(argv, timeout=60)
    assert result.timed_out
    assert result.describe() == (
        "nvidia-smi: timed out, no answer within the 3 s time limit of this detection"
    )


def test_calls_get_what_is_left_whatever_they_ask_for() -> None:
    spy = FakeSystem(HANG)
    system = DeadlineSystem(spy, Deadline(3.0))
    system.run(["true"], timeout=60)
    with pytest.raises(NativeTimeout, match="no answer within the 3 s time limit"):
        system.native(NativeFacade("nvml", "x:y", timeout=60))
    asked = [(call.kind, call.timeout) for call in spy.calls]
    assert [kind for kind, _ in asked] == ["run", "native"]
    assert all(t is not None and 0 < t <= 3.0 for _, t in asked), asked


def test_the_environment_variable_sets_the_limit_of_a_passed_system(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VARIANT_PROVIDERS_TIMEOUT", "7")
    result = Host(entry_points=False).detect(ReplaySystem(HANG), only=["nvidia"])["nvidia"]
    assert result.info["probes"]["nvml"] == "no answer within the 7 s time limit of this detection"
    # An explicit timeout wins over the variable.
    result = Host(entry_points=False).detect(ReplaySystem(HANG), only=["nvidia"], timeout=2)[
        "nvidia"
    ]
    assert result.info["probes"]["nvml"] == "no answer within the 2 s time limit of this detection"


@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
def test_a_child_that_survives_the_kill_is_abandoned_not_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A child stuck in the kernel survives SIGKILL; here the kill is withheld instead.
    started: List[Any] = []
    monkeypatch.setattr(children, "kill_process_group", started.append)
    monkeypatch.setattr(children, "_kill_marked", lambda call_id, first: None)
    begin = time.monotonic()
    try:
        with pytest.raises(ChildTimeout) as caught:
            run_bounded([sys.executable, "-c", "import time; time.sleep(60)"], 0.3)
        elapsed = time.monotonic() - begin
    finally:
        for proc in started:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "abandoned" in str(caught.value)
    assert elapsed < 0.3 + children.KILL_GRACE + 0.5  # the limit, the grace, slack


@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
def test_an_abandoned_native_child_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    started: List[Any] = []
    monkeypatch.setattr(children, "kill_process_group", started.append)
    monkeypatch.setattr(children, "_kill_marked", lambda call_id, first: None)
    try:
        with pytest.raises(NativeTimeout, match="abandoned"):
            run_python_child("time:sleep", [60], timeout=0.5, what="nvml")
    finally:
        for proc in started:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
