"""Static lock files: write on the target, detect from them elsewhere."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from variant_providers.cli import main
from variant_providers.host import Host
from variant_providers.lock import LOCK_FORMAT, InvalidLock, read_lock
from variant_providers.replay import ReplaySystem

from .conftest import FIXTURE_MACHINES, V2_FLAGS, MachineFactory, cpuinfo


def report(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(args, out=out), out.getvalue()


def test_lock_round_trip_reproduces_the_target(
    make_machine: MachineFactory, tmp_path: Path
) -> None:
    target = make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)})
    lock = tmp_path / "target.lock"
    code, _ = report(["report", "--json", "--machine", str(target), "--lock", str(lock)])
    assert code == 0
    doc = json.loads(lock.read_text())
    assert doc["format"] == LOCK_FORMAT and doc["format_version"] == 1
    assert doc["created"].endswith("Z") and doc["tool"]["name"] == "variant-providers"
    _, direct = report(["report", "--json", "--machine", str(target)])
    _, locked = report(["report", "--json", "--use-lock", str(lock)])
    assert json.loads(locked)["properties"] == json.loads(direct)["properties"]
    assert json.loads(locked)["machine"]["source"] == f"lock {lock}"


def test_the_environment_variable_and_the_report_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = tmp_path / "h100.lock"
    machine = FIXTURE_MACHINES / "nvidia-h100-sxm-570"
    assert report(["report", "--machine", str(machine), "--lock", str(lock)])[0] == 0
    monkeypatch.setenv("VARIANT_PROVIDERS_LOCK", str(lock))
    monkeypatch.setenv("COLUMNS", "300")
    code, text = report(["report"])
    assert code == 0
    header = text.split("\n\n", 1)[0]  # wrapped to the width at its " · " separators
    assert f"machine: lock {lock} · " in header
    assert "nvidia :: sm_arch :: 90_real" in text
    results = read_lock(lock)
    assert [r.namespace for r in results][:1] == ["nvidia"]


def test_overrides_still_apply_on_top_of_a_lock(
    tmp_path: Path, make_machine: MachineFactory
) -> None:
    lock = tmp_path / "l.json"
    report(
        ["report", "--machine", str(FIXTURE_MACHINES / "nvidia-h100-sxm-570"), "--lock", str(lock)]
    )
    system = ReplaySystem(
        make_machine(env={"VARIANT_PROVIDERS_OVERRIDE": "nvidia :: sm_arch :: 80_real"})
    )
    detection = Host(entry_points=False).detect(system, lock=str(lock))
    assert detection["nvidia"].status == "override"
    assert [f.values for f in detection["nvidia"].features if f.name == "sm_arch"] == [("80_real",)]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{", "not valid JSON"),
        ('{"format": "something-else"}', "not a variant-providers lock file"),
        (f'{{"format": "{LOCK_FORMAT}", "format_version": 7}}', "format version 7"),
        (
            f'{{"format": "{LOCK_FORMAT}", "format_version": 1, "providers": '
            '[{"namespace": "nvidia", "features": [{"name": "sm_arch", "values": ["9.0 real"]}]}]}',
            "providers[0]",
        ),
    ],
)
def test_unusable_lock_files_name_the_file(tmp_path: Path, content: str, fragment: str) -> None:
    lock = tmp_path / "bad.lock"
    lock.write_text(content)
    with pytest.raises(InvalidLock) as excinfo:
        read_lock(lock)
    assert str(lock) in str(excinfo.value) and fragment in str(excinfo.value)
    assert report(["report", "--use-lock", str(lock)])[0] == 2


def test_missing_lock_file_is_a_usage_error(tmp_path: Path) -> None:
    assert report(["report", "--use-lock", str(tmp_path / "nope")])[0] == 2
