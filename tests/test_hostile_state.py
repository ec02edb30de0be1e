"""Planted state: shared caches, planted links at write targets, broken metadata.

Root runs us in shared places.  A cache entry or remembered entry-point list
another user could write is ignored (and reported once); PATH is part of what
a command-running provider's cached answer depends on; every write refuses
to follow a link it did not expect; one broken ``entry_points.txt`` anywhere
on ``sys.path`` is skipped and named.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from variant_providers import FeatureConfig, Provider, System, hookimpl
from variant_providers.cli import main
from variant_providers.host import Host
from variant_providers.system import LiveSystem

from .conftest import write_distribution

posix = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX owners")
root_only = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to plant as another uid"
)


def run_cli(args: List[str], capsys: pytest.CaptureFixture[str]) -> Tuple[int, str, str]:
    out = io.StringIO()
    code = main(args, out=out)
    return code, out.getvalue(), capsys.readouterr().err


class Counter:
    """An in-process provider counting its detections (a cache hit does not count)."""

    def __init__(self, argv: List[str]) -> None:
        self.argv = argv
        self.calls = 0

    @hookimpl
    def variant_providers(self) -> List[Provider]:
        def detect(system: System) -> List[FeatureConfig]:
            self.calls += 1
            found = system.run(self.argv).ok
            return [FeatureConfig("tool", ["present"])] if found else []

        return [Provider("acme", detect)]


def _cache_entry(cache: Path) -> Path:
    return cache / "v1" / "acme.json"


@posix
def test_group_writable_cache_entries_are_ignored_and_reported_once(
    _isolated_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plugin = Counter(["true"])
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    host.detect(LiveSystem(), only=["acme"])
    host.detect(LiveSystem(), only=["acme"])
    assert plugin.calls == 1, "a private entry is a hit"
    with caplog.at_level(logging.WARNING, logger="variant_providers"):
        for expected_calls in (2, 3):
            _cache_entry(_isolated_cache).chmod(0o666)
            host.detect(LiveSystem(), only=["acme"])
            assert plugin.calls == expected_calls, "an entry others can write is never served"
            # ... and the fresh answer replaced it with a private file.
            assert _cache_entry(_isolated_cache).stat().st_mode & 0o077 == 0
    warnings = [r.getMessage() for r in caplog.records if "writable by other users" in r.message]
    assert len(warnings) == 1 and "acme.json" in warnings[0]


@posix
def test_a_cache_directory_others_can_write_is_not_used(_isolated_cache: Path) -> None:
    plugin = Counter(["true"])
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    host.detect(LiveSystem(), only=["acme"])
    (_isolated_cache / "v1").chmod(0o777)
    host.detect(LiveSystem(), only=["acme"])
    assert plugin.calls == 2


@root_only
def test_entries_planted_by_another_user_are_not_served_to_root(_isolated_cache: Path) -> None:
    plugin = Counter(["true"])
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    host.detect(LiveSystem(), only=["acme"])
    os.chown(_cache_entry(_isolated_cache), 65534, 65534)
    host.detect(LiveSystem(), only=["acme"])
    assert plugin.calls == 2


@posix
def test_a_planted_entry_point_list_is_never_imported(
    tmp_path: Path, _isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from variant_providers import entrypoints

    marker = tmp_path / "imported"
    site = tmp_path / "site"
    site.mkdir()
    (site / "vp_planted.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(site))
    Host(builtins=False)  # writes the remembered list for this sys.path
    lists = list((_isolated_cache / "v1").glob("entry-points-variant_providers-*.json"))
    assert len(lists) == 1
    doc = json.loads(lists[0].read_text())
    doc["entries"] = [["planted", "vp_planted", "victim"]]
    lists[0].write_text(json.dumps(doc))
    lists[0].chmod(0o666)
    assert entrypoints.discover("variant_providers", lists[0].parent) == []
    Host(builtins=False)
    assert not marker.exists(), "root imported a module named by a planted list"


def test_a_tool_added_to_path_is_a_cache_miss(tmp_path: Path) -> None:
    tool_dir = tmp_path / "bin"
    tool_dir.mkdir()
    plugin = Counter(["vp-test-tool"])
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    environ = {**os.environ, "PATH": os.environ.get("PATH", "")}
    first = host.detect(LiveSystem(environ=environ), only=["acme"])["acme"]
    assert first.status == "not-detected"
    tool = tool_dir / "vp-test-tool"
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    environ["PATH"] = f"{tool_dir}{os.pathsep}{environ['PATH']}"
    second = host.detect(LiveSystem(environ=environ), only=["acme"])["acme"]
    assert second.cache_age_s is None and second.status == "ok"


# -- writes ---------------------------------------------------------------------------


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim"
    path.write_text("precious\n")
    return path


@posix
def test_lock_writes_never_go_through_a_planted_link(
    tmp_path: Path, victim: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "out.lock"
    (tmp_path / ".out.lock.tmp").symlink_to(victim)  # the old predictable name
    code, _, err = run_cli(
        ["report", "--no-cache", "--only", "x86_64", "--lock", str(lock)], capsys
    )
    assert code == 0 and json.loads(lock.read_text())["format"] == "variant-providers-lock"
    assert victim.read_text() == "precious\n"
    linked = tmp_path / "linked.lock"
    linked.symlink_to(victim)
    code, _, err = run_cli(
        ["report", "--no-cache", "--only", "x86_64", "--lock", str(linked)], capsys
    )
    assert code == 2 and "symlink" in err and victim.read_text() == "precious\n"
    fifo = tmp_path / "fifo.lock"
    os.mkfifo(fifo)
    code, _, err = run_cli(
        ["report", "--no-cache", "--only", "x86_64", "--lock", str(fifo)], capsys
    )
    assert code == 2 and "not a regular file" in err
    assert fifo.is_fifo()


@posix
def test_recordings_do_not_follow_links_planted_in_their_directory(tmp_path: Path) -> None:
    from variant_providers.replay import RecordingSystem

    outside = tmp_path / "outside"
    outside.mkdir()
    recorder = RecordingSystem(LiveSystem())
    recorder.read_text("/proc/self/status")
    out = tmp_path / "rec"
    out.mkdir()
    (out / "root").symlink_to(outside)  # planted between the CLI's check and the write
    with pytest.raises(OSError, match="symlink is not followed"):
        recorder.save(out)
    assert list(outside.iterdir()) == []
    (out / "root").unlink()
    (out / "machine.json").symlink_to(tmp_path / "victim-manifest")
    with pytest.raises(OSError, match="symlink"):
        recorder.save(out)
    assert not (tmp_path / "victim-manifest").exists()


def test_unusable_output_paths_are_usage_errors(
    tmp_path: Path, victim: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["record", str(victim / "sub"), "--only", "x86_64"], capsys)
    assert code == 2 and "cannot create" in err and "Traceback" not in err
    code, _, err = run_cli(["new-provider", "acme", str(victim / "sub")], capsys)
    assert code == 2 and "Traceback" not in err


# -- entry-point metadata -------------------------------------------------------------


def test_one_broken_entry_points_file_is_skipped_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_distribution(site, "unrelated_broken", "[console_scripts]\nno-equals-sign\n", {})
    monkeypatch.syspath_prepend(str(site))
    detection = Host().detect(LiveSystem(), cache=False, only=["x86_64"])
    assert detection["x86_64"].status in ("ok", "not-detected")
    skipped = [p for p in detection.plugins if p["state"].startswith("skipped")]
    assert [p["name"] for p in skipped] == ["unrelated_broken"]
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, "-m", "variant_providers", "report", "--json", "--no-plugins"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "unrelated_broken" in {p["name"] for p in json.loads(proc.stdout)["plugins"]}
