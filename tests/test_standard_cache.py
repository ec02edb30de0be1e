"""A standard plugin's answer, cached on the inputs its child was seen to read.

Each plugin here is a real distribution run in a child.  It appends a line
to a run log every time it answers (a write is not an input), so the log
says exactly how often its code ran: once per detection without the cache,
once in all while its inputs stay the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

from variant_providers.host import Detection, Host
from variant_providers.system import LiveSystem

from .conftest import write_distribution

TIMEOUT = 8.0

PLUGIN = """
import os, subprocess, sys

LOG = {log!r}

class Config:
    def __init__(self, name, values):
        self.name, self.values, self.multi_value = name, values, False

def _answer():
{body}

class Plugin:
    @classmethod
    def get_supported_configs(cls):
        with open(LOG, "a") as log:
            log.write("ran\\n")
        return [Config("value", [_answer()])]

    @classmethod
    def get_all_configs(cls):
        return [Config("value", ["any"])]
"""


class Installed:
    """One test plugin on ``sys.path``, its run log and the folder its inputs live in."""

    def __init__(self, root: Path, name: str, body: str) -> None:
        self.root = root
        self.name = name
        self.log = root / f"{name}.log"
        site = root / "site"
        source = PLUGIN.format(log=str(self.log), body=body)
        write_distribution(
            site, f"{name}_dist", f"[variant_plugins]\n{name} = {name}:Plugin\n", {name: source}
        )
        self.site = site

    def runs(self) -> int:
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0


@pytest.fixture
def cache_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("VARIANT_PROVIDERS_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path


def _detect(plugin: Installed, monkeypatch: pytest.MonkeyPatch) -> Detection:
    monkeypatch.syspath_prepend(str(plugin.site))
    monkeypatch.setenv("VARIANT_PROVIDERS_PLUGINS", plugin.name)
    return Host().detect(LiveSystem(), only=[plugin.name], timeout=TIMEOUT)


def _value(detection: Detection, name: str) -> List[str]:
    return [str(p) for p in detection[name].properties]


def test_the_answer_is_reused_until_one_input_it_read_changes(
    cache_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = cache_env / "data"
    data.mkdir()
    (data / "gen").write_text("g1\n")
    marker = cache_env / "marker"
    link = cache_env / "driver"
    link.symlink_to("drv_a")
    body = f"""
    text = open({str(data / "gen")!r}).read().strip()
    extra = len(os.listdir({str(data)!r}))
    mark = "m" if os.path.exists({str(marker)!r}) else "n"
    driver = os.readlink({str(link)!r})[-1]
    raw = os.environb.get(b"VP_TEST_RAW", b"r").decode() if os.name != "nt" else "r"
    return text + str(extra) + mark + os.environ.get("VP_TEST_TIER", "t") + driver + raw
"""
    plugin = Installed(cache_env, "reads_hw", body)
    first = _detect(plugin, monkeypatch)
    assert _value(first, "reads_hw") == ["reads_hw :: value :: g11ntar"]
    second = _detect(plugin, monkeypatch)
    assert second["reads_hw"].cache_age_s is not None and plugin.runs() == 1
    assert _value(second, "reads_hw") == _value(first, "reads_hw")

    changes: List[Tuple[Callable[[], object], str]] = [
        (lambda: (data / "gen").write_text("g2\n"), "g21ntar"),  # a file it read
        (lambda: (data / "new").write_text(""), "g22ntar"),  # a folder it listed
        (lambda: marker.write_text(""), "g22mtar"),  # a path it checked
        (lambda: monkeypatch.setenv("VP_TEST_TIER", "x"), "g22mxar"),  # a variable it read
        (lambda: _append(plugin.site / "reads_hw.py", "\n# 1.1\n"), "g22mxar"),  # its own code
        (lambda: _relink(link, "drv_b"), "g22mxbr"),  # a link it read
    ]
    if os.name != "nt":  # a variable it read as bytes
        changes.append((lambda: monkeypatch.setenv("VP_TEST_RAW", "s"), "g22mxbs"))
    for runs, (change, value) in enumerate(changes, start=2):
        change()
        again = _detect(plugin, monkeypatch)
        assert _value(again, "reads_hw") == [f"reads_hw :: value :: {value}"]
        assert again["reads_hw"].cache_age_s is None and plugin.runs() == runs
        assert _detect(plugin, monkeypatch)["reads_hw"].cache_age_s is not None
        assert plugin.runs() == runs


def _relink(link: Path, target: str) -> None:
    link.unlink()
    link.symlink_to(target)


def _append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)


@pytest.mark.parametrize(
    "body",
    [
        # a program that starts: its output cannot be asked again without running it
        "    return subprocess.run([sys.executable, '-c', 'print(1)'], capture_output=True,"
        " text=True).stdout.strip()",
        # the whole environment
        "    return 'e' if dict(os.environ) else 'none'",
        # a native library
        "    import ctypes, ctypes.util\n    ctypes.CDLL(None)\n    return 'c'",
        # a machine fact with no file behind it
        "    return 'many' if (os.cpu_count() or 1) > 1 else 'one'",
    ],
    ids=["runs-a-program", "whole-environment", "native-library", "cpu-count"],
)
def test_an_answer_whose_inputs_cannot_be_asked_again_is_never_cached(
    cache_env: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    plugin = Installed(cache_env, "opaque_hw", body)
    for runs in (1, 2, 3):
        row = _detect(plugin, monkeypatch)["opaque_hw"]
        assert row.status == "ok" and row.cache_age_s is None
        assert plugin.runs() == runs


def test_a_missing_program_holds_until_it_is_installed(
    cache_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = cache_env / "bin"
    tools.mkdir()
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ.get('PATH', '')}")
    body = """
    try:
        subprocess.run(["vp-test-smi"], capture_output=True, check=False)
    except FileNotFoundError:
        return "absent"
    return "present"
"""
    plugin = Installed(cache_env, "tool_hw", body)
    assert _value(_detect(plugin, monkeypatch), "tool_hw") == ["tool_hw :: value :: absent"]
    assert _detect(plugin, monkeypatch)["tool_hw"].cache_age_s is not None
    assert plugin.runs() == 1
    tool = tools / "vp-test-smi"
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    found = _detect(plugin, monkeypatch)
    assert found["tool_hw"].cache_age_s is None and plugin.runs() == 2
    if sys.platform != "win32":
        assert _value(found, "tool_hw") == ["tool_hw :: value :: present"]


def test_an_error_is_asked_again(cache_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = Installed(cache_env, "failing_hw", "    raise RuntimeError('no device')")
    for runs in (1, 2):
        row = _detect(plugin, monkeypatch)["failing_hw"]
        assert row.status == "error" and "no device" in str(row.error)
        assert row.cache_age_s is None and plugin.runs() == runs


def test_the_warm_report_covers_a_standard_plugins_inputs(cache_env: Path) -> None:
    data = cache_env / "gen"
    data.write_text("g1")
    plugin = Installed(cache_env, "warm_hw", f"    return open({str(data)!r}).read()")
    env = {
        **os.environ,
        "PYTHONPATH": str(plugin.site),
        "VARIANT_PROVIDERS_CACHE_DIR": str(cache_env / "cache"),
        "VARIANT_PROVIDERS_PLUGINS": "warm_hw",
    }

    def report() -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-X", "importtime", "-m", "variant_providers", "report", "--json"]
        return subprocess.run(argv, env=env, capture_output=True, text=True, check=True)

    def answered(run: subprocess.CompletedProcess[str]) -> List[str]:
        doc = json.loads(run.stdout)
        return [p for p in doc["properties"] if p.startswith("warm_hw")]

    assert answered(report()) == ["warm_hw :: value :: g1"]
    report()  # a full hit: writes the warm record
    warm = report()
    assert "pluggy" not in warm.stderr and plugin.runs() == 1
    assert answered(warm) == ["warm_hw :: value :: g1"]
    data.write_text("g2")
    changed = report()
    assert "pluggy" in changed.stderr and plugin.runs() == 2
    assert answered(changed) == ["warm_hw :: value :: g2"]


def test_observed_inputs_beyond_the_bound_are_never_asked_again() -> None:
    """A child's report is plugin-controlled: a forged, huge one is refused, not re-read."""
    from variant_providers.observe import MAX_OBSERVED, answers

    reads = [f"/nonexistent/{i}" for i in range(MAX_OBSERVED + 5)]
    forged: Dict[str, Any] = {
        "opaque": None,
        "reads": reads,
        "listed": [],
        "exists": [],
        "links": [],
        "programs": [],
        "env": {},
    }
    assert answers(forged, LiveSystem()) is None
    small = {**forged, "reads": reads[:3]}
    found = answers(small, LiveSystem())
    assert found is not None and all(v.startswith("!") for v in found.values())
    assert answers({"opaque": "runs npu-smi"}, LiveSystem()) is None
    assert answers({"opaque": None, "reads": []}, LiveSystem()) is None  # malformed: keys missing
