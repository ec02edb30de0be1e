"""The command line: report (human and JSON), exit codes, record/replay."""

from __future__ import annotations

import io
import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from variant_providers.cli import SCHEMA_VERSION, main

from .conftest import V2_FLAGS, MachineFactory, cpuinfo


def run_cli(args: List[str]) -> Tuple[int, str]:
    out = io.StringIO()
    code = main(args, out=out)
    return code, out.getvalue()


def test_json_report_is_versioned_sorted_and_complete(make_machine: MachineFactory) -> None:
    machine = make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)})
    code, out = run_cli(["report", "--json", "--machine", str(machine)])
    assert code == 0
    doc = json.loads(out)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert out == json.dumps(doc, indent=2, sort_keys=True) + "\n", "keys are sorted"
    assert doc["properties"][:2] == ["x86_64 :: level :: v2", "x86_64 :: level :: v1"]
    assert doc["machine"]["platform"] == {"system": "Linux", "machine": "x86_64", "release": ""}
    # Taken from sys, not platform (a cold run does not import it): the same answer.
    assert doc["host"] == {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }
    x86 = next(p for p in doc["providers"] if p["namespace"] == "x86_64")
    assert x86["status"] == "ok"
    assert x86["features"][0] == {"name": "level", "values": ["v2", "v1"], "multi_value": False}
    assert isinstance(x86["duration_ms"], float)
    for provider in doc["providers"]:
        assert {"namespace", "status", "features", "info", "duration_ms"} <= set(provider)


def test_report_shows_the_replayed_machine_not_this_one(make_machine: MachineFactory) -> None:
    arm = make_machine(platform={"system": "Linux", "machine": "aarch64"})
    code, out = run_cli(["report", "--machine", str(arm), "--only", "x86_64"])
    assert code == 0
    assert "linux-aarch64" in out.splitlines()[0]
    assert "not-detected" in out
    assert "x86_64 :: level" not in out
    v2 = make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)})
    code, out = run_cli(["report", "--machine", str(v2)])
    assert "x86_64 :: level :: v2" in out and "x86_64 :: level :: v3" not in out


def test_human_report_layout(make_machine: MachineFactory) -> None:
    machine = make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)})
    _, out = run_cli(["report", "--machine", str(machine), "--only", "x86_64"])
    lines = out.splitlines()
    assert lines[0].startswith("variant-providers ")
    table = next(i for i, line in enumerate(lines) if line.startswith("NAMESPACE"))
    assert lines[table - 1] == "", "the header (wrapped to the width) ends in a blank line"
    assert lines[table].split() == ["NAMESPACE", "STATUS", "TIME", "SOURCE", "DETECTED"]
    assert lines[table + 1].split()[:4] == ["x86_64", "ok", lines[table + 1].split()[2], "ms"]
    assert "level=v2,v1" in lines[table + 1]
    assert "  x86_64 :: level :: v2" in lines


def test_usage_errors_exit_2(
    make_machine: MachineFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["report", "--only", "no_such_namespace"])[0] == 2
    assert "no_such_namespace" in capsys.readouterr().err
    assert run_cli(["report", "--machine", str(make_machine().parent / "missing")])[0] == 2
    with pytest.raises(SystemExit) as excinfo:
        run_cli(["report", "--bogus"])
    assert excinfo.value.code == 2
    with pytest.raises(SystemExit) as excinfo:
        run_cli([])
    assert excinfo.value.code == 2


def test_strict_passes_when_nothing_failed(make_machine: MachineFactory) -> None:
    healthy = make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)})
    assert run_cli(["report", "--strict", "--machine", str(healthy), "--only", "x86_64"])[0] == 0
    # An unreadable /proc/cpuinfo is reported in the provider's row; the report
    # is still produced.
    unreadable = make_machine(errors={"/proc/cpuinfo": "EIO"})
    code, out = run_cli(["report", "--machine", str(unreadable), "--only", "x86_64"])
    assert code == 0 and "/proc/cpuinfo" in out


def test_strict_with_a_failing_provider(
    monkeypatch: pytest.MonkeyPatch, make_machine: MachineFactory
) -> None:
    from variant_providers import FeatureConfig, Provider, System, hookimpl, host

    class Broken:
        @hookimpl
        def variant_providers(self) -> List[Provider]:
            def detect(system: System) -> List[FeatureConfig]:
                raise OSError("boom")

            return [Provider("broken", detect)]

    monkeypatch.setattr(host, "_DEFAULT_HOST", host.Host(entry_points=False, plugins=[Broken()]))
    machine = make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)})
    code, out = run_cli(["report", "--machine", str(machine)])
    assert code == 0 and "1 provider(s) failed (broken)" in out
    code, _ = run_cli(["report", "--strict", "--machine", str(machine)])
    assert code == 1
    code, out = run_cli(["report", "--json", "--strict", "--machine", str(machine)])
    assert code == 1
    broken = next(p for p in json.loads(out)["providers"] if p["namespace"] == "broken")
    assert broken["status"] == "error" and broken["error"] == "OSError: boom"


def test_module_entry_point_prints_only_the_report(make_machine: MachineFactory) -> None:
    machine = make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)})
    proc = subprocess.run(
        [sys.executable, "-m", "variant_providers", "report", "--json", "--machine", str(machine)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)  # stdout is exactly one JSON document


def test_record_then_replay_reproduces_the_live_report(tmp_path: Path) -> None:
    """The done criterion: record this machine, replay it, same report."""
    recorded = tmp_path / "this-machine"
    code, _ = run_cli(["record", str(recorded)])
    assert code == 0
    assert (recorded / "machine.json").is_file()
    # Installed standard (variant_plugins) plugins look at the live machine themselves and
    # are never replayed, so the live side is compared without them.
    _, live = run_cli(["report", "--json", "--no-plugins"])
    _, replay = run_cli(["report", "--json", "--machine", str(recorded)])
    live_doc, replay_doc = json.loads(live), json.loads(replay)
    assert replay_doc["properties"] == live_doc["properties"]
    assert [(p["namespace"], p["status"], p["features"]) for p in replay_doc["providers"]] == [
        (p["namespace"], p["status"], p["features"]) for p in live_doc["providers"]
    ]
    assert (
        json.loads((recorded / "machine.json").read_text())["reported"]["properties"]
        == (live_doc["properties"])
    )


def test_the_live_platform_is_what_platform_uname_says() -> None:
    """LiveSystem reads os.uname() (no platform import on a cold run): the same three fields."""
    from variant_providers.system import LiveSystem

    uname = platform.uname()
    live = LiveSystem().platform
    assert (live.system, live.machine, live.release) == (uname.system, uname.machine, uname.release)
