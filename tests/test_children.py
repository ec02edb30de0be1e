"""Bounded children: output caps, deadlines and no survivors.

Each hostile command runs under a fresh parent interpreter so that the
parent's peak memory and wall time are those of the call alone.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from variant_providers.children import (
    STDERR_KEEP,
    BoundedChild,
    ChildOutputTooLarge,
    ChildTimeout,
)
from variant_providers.system import LiveSystem, NativeError, NativeFacade, run_python_child

from .hostile import (
    LOUD_THEN_OK,
    RSS_LIMIT_KB,
    STDERR_FLOOD,
    STDOUT_FLOOD,
    orphan_source,
    python_argv,
    read_pid,
    run_parent,
    wait_gone,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")

RUN = (
    "from variant_providers.system import LiveSystem\n"
    "r = LiveSystem().run({argv!r}, timeout={timeout})\n"
    "result = {{'timed_out': r.timed_out, 'error': r.error, 'returncode': r.returncode,\n"
    "          'stdout': r.stdout[:100], 'stderr_len': len(r.stderr)}}\n"
)


def test_stderr_flood_ends_at_the_deadline_with_bounded_memory() -> None:
    doc = run_parent(RUN.format(argv=python_argv(STDERR_FLOOD), timeout=2.0))
    assert doc["result"]["timed_out"] is True
    assert doc["wall_s"] < 2.0 + 1.0
    assert doc["rss_kb"] < RSS_LIMIT_KB


def test_stdout_flood_is_the_commands_error_not_the_parents_memory() -> None:
    doc = run_parent(RUN.format(argv=python_argv(STDOUT_FLOOD), timeout=5.0))
    assert doc["result"]["error"] == "EFBIG"
    assert doc["wall_s"] < 5.0, "stopped at the cap, not at the deadline"
    assert doc["rss_kb"] < RSS_LIMIT_KB


def test_stderr_is_summarised_and_the_answer_kept() -> None:
    result = LiveSystem().run(python_argv(LOUD_THEN_OK), timeout=10.0)
    assert result.ok and result.stdout == "answer\n"
    assert len(result.stderr) < 3 * STDERR_KEEP
    assert "bytes of stderr not kept" in result.stderr
    assert result.stderr.startswith("W") and result.stderr.endswith("W")


@pytest.mark.parametrize("daemon", [False, True], ids=["grandchild", "setsid-daemon"])
def test_nothing_a_command_starts_outlives_the_call(tmp_path: Path, daemon: bool) -> None:
    pidfile = tmp_path / "grandchild.pid"
    result = LiveSystem().run(python_argv(orphan_source(pidfile, daemon)), timeout=10.0)
    # The grandchild still held our pipes when the command exited: answered, not a timeout.
    assert result.ok and result.stdout == "answer\n"
    assert result.duration_ms < 5000
    assert wait_gone(read_pid(pidfile)), "the grandchild survived the call"


def test_a_native_facade_cannot_leave_a_daemon(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    answer = run_python_child(
        "tests.native_targets:leaves_daemon", [str(pidfile)], timeout=10.0, what="demo"
    )
    assert answer == {"devices": []}
    assert wait_gone(read_pid(pidfile))


def test_native_answers_are_capped_and_stderr_floods_time_out() -> None:
    with pytest.raises(NativeError, match="too large"):
        LiveSystem().native(NativeFacade("demo", "tests.native_targets:huge_answer"))
    code = (
        "from variant_providers.system import LiveSystem, NativeFacade, NativeTimeout\n"
        "try:\n"
        "    LiveSystem(timeout=2.0).native(\n"
        "        NativeFacade('demo', 'tests.native_targets:stderr_flood'))\n"
        "    result = 'answered'\n"
        "except NativeTimeout:\n"
        "    result = 'timeout'\n"
    )
    doc = run_parent(code, env={"PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert doc["result"] == "timeout"
    assert doc["wall_s"] < 2.0 + 1.0
    assert doc["rss_kb"] < RSS_LIMIT_KB


def test_non_finite_native_answers_are_errors() -> None:
    with pytest.raises(NativeError, match="invalid answer"):
        LiveSystem().native(NativeFacade("demo", "tests.native_targets:not_finite"))


def test_a_child_over_its_stdout_cap_raises() -> None:
    child = BoundedChild(python_argv("import os\nos.write(1, b'x' * 5000)\n"), stdout_limit=1000)
    with pytest.raises(ChildOutputTooLarge):
        child.wait(10.0)
    assert child.proc.returncode is not None, "the child was reaped"


def test_the_fallback_without_select_keeps_deadline_and_caps() -> None:
    # Where pipes cannot be polled (Windows) the same limits hold after the read.
    def read(code: str, limit: int = 1000, timeout: float = 10.0) -> Any:
        child = BoundedChild(python_argv(code), stdout_limit=limit)
        try:
            return child._read_without_select(child.started + timeout, timeout)
        finally:
            child._end()

    done = read("import os\nos.write(1, b'ok')\nos.write(2, b'W' * 100000)\n")
    assert done.stdout == b"ok" and b"bytes of stderr not kept" in done.stderr
    with pytest.raises(ChildOutputTooLarge):
        read("import os\nos.write(1, b'x' * 5000)\n")
    with pytest.raises(ChildTimeout):
        read("import time\ntime.sleep(30)\n", timeout=0.5)
