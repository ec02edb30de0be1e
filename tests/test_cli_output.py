"""What a user sees: width, colour, characters, hints, the debug trail, context."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, List

import pytest

from variant_providers import detect
from variant_providers.cli_cache import clear_cache
from variant_providers.entrypoints import KEEP_LISTS, LIST_MAX_AGE, prune
from variant_providers.replay import ReplaySystem
from variant_providers.system import NativeFacade, SystemProxy
from variant_providers.trace import TracingSystem, set_status_stream

from .cli_child import COMMAND, cli
from .conftest import FIXTURE_MACHINES, write_distribution

TORCH = Path(__file__).parent / "data" / "variants" / "torch-like-v0.2.0.json"
MACHINES = [
    "nvidia-h100-sxm-570",
    "nvidia-rtx3060-mismatch-550",
    "amd-strix-halo-r9700-hsa-override",
    "intel-max-1550-composite",
    "cpu-graviton3-al2023",
    "nvidia-a100-h100-mixed-550",
]


def machine(name: str) -> str:
    return str(FIXTURE_MACHINES / name)


def widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


@pytest.mark.parametrize("columns", [40, 60, 80, 132])
def test_no_line_is_wider_than_the_terminal(columns: int, tmp_path: Path) -> None:
    long_path = tmp_path / ("deeply-nested-" * 6) / "torch-like-v0.2.0.json"
    long_path.parent.mkdir(parents=True)
    long_path.write_text(TORCH.read_text())
    for name in MACHINES:
        run = cli("report", "--machine", machine(name), columns=columns)
        assert run.code == 0, run.err
        assert widest(run.out) <= columns, (name, columns, run.out)
        run = cli("match", str(long_path), "--machine", machine(name), columns=columns)
        assert run.code == 0, run.err
        assert widest(run.out) <= columns, (name, columns, run.out)


def test_80_columns_when_not_a_terminal() -> None:
    run = cli("report", "--machine", machine("nvidia-a100-h100-mixed-550"))
    assert widest(run.out) <= 80
    assert widest(run.out) > 60, "the width is used, not a narrower guess"


def test_ascii_console_gets_ascii() -> None:
    run = cli("report", "--machine", machine("nvidia-h100-sxm-570"), encoding="ascii")
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    run.out.encode("ascii")  # nothing the console cannot show
    assert " - CPython" in run.lines[0]
    assert "..." in run.out


def test_colour_only_where_wanted(tmp_path: Path) -> None:
    args = ("report", "--machine", machine("nvidia-rtx3060-mismatch-550"))
    assert "\x1b[" not in cli(*args).out, "a pipe gets no colour"
    coloured = cli(*args, "--color", "always").out
    assert "\x1b[31;1merror\x1b[0m" in coloured and "\x1b[32mok\x1b[0m" not in coloured
    assert "\x1b[" not in cli(*args, "--color", "never").out
    # On a terminal: colour by default, none with NO_COLOR.
    assert "\x1b[31;1merror" in _on_a_terminal([*args], {})
    assert "\x1b[" not in _on_a_terminal([*args], {"NO_COLOR": "1"})


def _on_a_terminal(args: List[str], env: dict[str, str]) -> str:
    primary, secondary = pty.openpty()
    environ = {**os.environ, "COLUMNS": "100", "TERM": "xterm", **env}
    if "NO_COLOR" not in env:
        environ.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [*COMMAND, *args], stdout=secondary, stderr=subprocess.DEVNULL, env=environ
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(primary)
    return b"".join(chunks).decode("utf-8", "replace")


def test_verbose_prints_the_trail_of_every_probe_and_accurate_footers() -> None:
    mismatch = machine("nvidia-rtx3060-mismatch-550")
    quiet = cli("report", "--machine", mismatch)
    assert "Re-run with -v" in quiet.out and "--strict" in quiet.out
    loud = cli("report", "-v", "--machine", mismatch)
    trail = loud.err.splitlines()
    assert any("nvidia: native nvml" in line and "(" in line for line in trail), loud.err
    assert any("nvidia: read /proc/driver/nvidia/version" in line for line in trail)
    assert any(line.startswith("variant_providers.trace: amd: ") for line in trail)
    assert "nvidia: error in " in loud.err
    assert "Re-run with -v" not in loud.out
    strict = cli("report", "--strict", "--machine", mismatch)
    assert strict.code == 1
    assert "--strict" not in strict.out and "Re-run with -v" in strict.out


HINTS = {
    "nvidia-rtx3060-mismatch-550": "reboot, or reload the module",
    "nvidia-container-no-gpu-570": "run it with GPU access",
    "amd-mi300x-container-kfd-unusable": "`render` and `video` groups",
    "amd-strix-halo-r9700-hsa-override": "HSA_OVERRIDE_GFX_VERSION=12.0.1 is set",
}


@pytest.mark.parametrize("name", sorted(HINTS))
def test_hints_for_the_failure_modes_we_know(name: str) -> None:
    run = cli("report", "--json", "--machine", machine(name))
    hints = json.loads(run.out)["hints"]
    assert any(HINTS[name] in hint for hint in hints), hints
    text = " ".join(cli("report", "--machine", machine(name), columns=200).out.split())
    assert HINTS[name] in text
    for other, needle in HINTS.items():
        if other != name:
            assert needle not in text, (other, "gives no advice for a problem it does not have")


def test_match_hint_when_no_variant_covers_the_gpu(tmp_path: Path) -> None:
    doc = json.loads(TORCH.read_text())
    doc["variants"] = {k: v for k, v in doc["variants"].items() if k in ("cu128", "null")}
    only128 = tmp_path / "cu128-only.json"
    only128.write_text(json.dumps(doc))
    pascal = machine("nvidia-gtx1080ti-570")
    data = json.loads(cli("match", "--json", str(only128), "--machine", pascal).out)
    assert data["best"] == "null"
    assert any("`nvidia :: sm_arch` (61_real" in h for h in data["hints"]), data["hints"]
    full = json.loads(cli("match", "--json", str(TORCH), "--machine", pascal).out)
    assert full["best"] == "cu126" and full["hints"] == []


def test_match_small_things(tmp_path: Path) -> None:
    mismatch = machine("nvidia-rtx3060-mismatch-550")
    data = json.loads(cli("match", "--json", str(TORCH), "--machine", mismatch).out)
    assert data["schema_version"] == 1
    assert "driver/library version mismatch" in data["rejected"]["cu126"]
    single = tmp_path / "one.json"
    doc = json.loads(TORCH.read_text())
    doc["variants"] = {"cu126": doc["variants"]["cu126"]}
    single.write_text(json.dumps(doc))
    out = cli("match", str(single), "--machine", mismatch, columns=200).out
    assert ": 1 variant\n" in out


def test_context_in_the_header_and_the_json() -> None:
    graviton = json.loads(cli("report", "--json", "--machine", machine("cpu-graviton3-al2023")).out)
    context = graviton["context"]
    assert context["os"] == "Linux" and context["kernel"]
    assert context["cpu"]["microarchitecture"].startswith("Neoverse V1")
    assert context["libc"] is None, "a replay cannot tell this machine's C library"
    live = json.loads(cli("report", "--json", "--only", "x86_64,aarch64").out)["context"]
    if sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION"):
        assert live["libc"]["family"] == "glibc"
    text = cli("report", "--machine", machine("cpu-graviton3-al2023")).out.split("\n\n")[0]
    assert "cpu: Arm Neoverse V1" in text and "kernel: Linux" in text


def test_a_lock_does_not_claim_this_machines_kernel(tmp_path: Path) -> None:
    lock = tmp_path / "graviton.lock"
    assert (
        cli("report", "--machine", machine("cpu-graviton3-al2023"), "--lock", str(lock)).code == 0
    )
    context = json.loads(cli("report", "--json", "--use-lock", str(lock)).out)["context"]
    assert context["kernel"] is None and context["os"] is None


def test_unwritable_cache_is_off_and_the_cache_command(tmp_path: Path) -> None:
    off = cli("report", "--only", "x86_64", env={"VARIANT_PROVIDERS_CACHE_DIR": "/proc/x"})
    assert "cache: off" in off.out.split("\n\n")[0]
    env = {"VARIANT_PROVIDERS_CACHE_DIR": str(tmp_path / "c")}
    assert cli("cache", "dir", env=env).out == f"{tmp_path / 'c'}\n"
    cli("report", "--only", "x86_64", env=env)
    assert "cache: hit" in cli("report", "--only", "x86_64", env=env).out.split("\n\n")[0]
    victim = tmp_path / "victim.json"
    victim.write_text("{}")
    (tmp_path / "c" / "v1" / "link.json").symlink_to(victim)
    cleared = cli("cache", "clear", env=env)
    assert cleared.code == 0 and cleared.out.startswith("removed ")
    assert victim.exists(), "a link is removed, never followed"
    assert "cache: miss" in cli("report", "--only", "x86_64", env=env).out.split("\n\n")[0]
    assert clear_cache(tmp_path / "nothing-here") == 0


def test_stale_entry_point_lists_are_pruned(tmp_path: Path) -> None:
    now = time.time()
    for index in range(KEEP_LISTS + 3):
        path = tmp_path / f"entry-points-{index:02d}.json"
        path.write_text("{}")
        os.utime(path, (now - index, now - index))
    old = tmp_path / "entry-points-old.json"
    old.write_text("{}")
    os.utime(old, (now - LIST_MAX_AGE - 10, now - LIST_MAX_AGE - 10))
    keep = tmp_path / f"entry-points-{KEEP_LISTS + 2:02d}.json"
    assert prune(tmp_path, keep=keep, now=now) == 3
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == KEEP_LISTS + 1 and keep.name in left and old.name not in left


def test_detection_is_a_read_only_mapping() -> None:
    detection = detect(ReplaySystem(FIXTURE_MACHINES / "nvidia-h100-sxm-570"))
    assert "nvidia" in detection and "nope" not in detection
    assert list(detection) == detection.namespaces
    assert len(detection) == len(detection.providers)
    assert detection.get("nope") is None
    assert detection["nvidia"].status == "ok"
    assert dict(detection.items())["nvidia"] is detection["nvidia"]
    with pytest.raises(TypeError):
        detection["nvidia"] = detection["amd"]  # type: ignore[index]


def test_every_subcommand_has_a_description_and_an_example() -> None:
    for command in ("report", "match", "record", "new-provider", "cache"):
        run = cli(command, "--help")
        assert run.code == 0
        description = run.out.split("\n\n")[1]
        assert len(description.split()) > 4, (command, description)
        prog = "variant-providers" if len(COMMAND) == 1 else "python -m variant_providers"
        assert "examples:" in run.out and f"  {prog} {command}" in run.out


def test_the_console_script_names_itself() -> None:
    script = Path(sys.executable).with_name("variant-providers")
    if not script.exists():
        pytest.skip("the console script is not installed in this environment")
    assert cli("--help").out.startswith("usage: variant-providers ")


class _Slow(SystemProxy):
    def native(self, facade: NativeFacade) -> Any:
        time.sleep(1.0)
        return {"ok": True}


def test_a_slow_probe_shows_a_status_line_on_a_terminal_only() -> None:
    primary, secondary = pty.openpty()
    terminal = os.fdopen(secondary, "w")
    set_status_stream(terminal, delay=0.05)
    try:
        system = TracingSystem(_Slow(ReplaySystem(FIXTURE_MACHINES / "cpu-zen5-vm")), "nvidia")
        assert system.native(NativeFacade("nvml", "x:y")) == {"ok": True}
    finally:
        set_status_stream(None)
        terminal.close()
    shown = ""
    while select.select([primary], [], [], 0.5)[0]:
        try:
            shown += os.read(primary, 4096).decode()
        except OSError:  # EIO: everything written has been read
            break
    os.close(primary)
    assert "probing nvidia (nvml)…" in shown
    assert shown.endswith("\r\x1b[K"), "the line is erased when the probe answers"
    run = cli("report", "--machine", machine("nvidia-h100-sxm-570"))
    assert "probing" not in run.err, "not a terminal: no status line"


def _hanging_plugin(site: Path) -> None:
    write_distribution(
        site,
        "sleepy_provider",
        "[variant_providers]\nsleepy = vp_sleepy\n",
        {
            "vp_sleepy": (
                "import time\n"
                "from variant_providers import Provider, hookimpl\n"
                "def detect(system):\n"
                "    time.sleep(30)\n"
                "@hookimpl\n"
                "def variant_providers():\n"
                "    yield Provider('sleepy', detect)\n"
            )
        },
    )


def test_plugins_time_out_with_their_time_and_are_blamed_on_the_right_option(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    _hanging_plugin(site)
    env = {"PYTHONPATH": str(site)}
    run = cli("report", "--json", "--no-cache", "--only", "sleepy", "--timeout", "1", env=env)
    assert run.code == 0, run.err
    row = json.loads(run.out)["providers"][0]
    assert row["status"] == "timeout" and row["duration_ms"] >= 900, row
    blocked = json.loads(cli("report", "--json", "--no-plugins", env=env).out)["plugins"]
    assert [p["state"] for p in blocked if p["name"] == "sleepy"] == ["blocked by --no-plugins"]
    typo = cli("report", env={**env, "VARIANT_PROVIDERS_PLUGINS": "sleepyy"})
    assert typo.code == 2 and "'sleepyy'" in typo.err
    # The known names include any installed standard plugin (ascend, in the test extras).
    assert "sleepy" in typo.err.partition("(known: ")[2].rstrip(")\n").split(", ")


def test_the_readme_shows_the_new_options() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    use = readme.split("## Use", 1)[1].split("\n## ", 1)[0]
    for needle in (
        "variant-providers report",
        "--only NS[,NS]",
        "--color auto|always|never",
        "NO_COLOR",
        "COLUMNS",
        "debug trail",
        "cache dir",
        "cache clear",
        "Hints",
        "usage error",
    ):
        assert needle in use, needle


@pytest.mark.parametrize("columns", [20, 50, 100])
def test_every_recorded_machine_fits_the_width(
    columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In process, for speed: the same renderer as the child-process tests above."""
    from variant_providers.cli import main

    monkeypatch.setenv("COLUMNS", str(columns))
    for recorded in sorted(p for p in FIXTURE_MACHINES.iterdir() if p.is_dir()):
        for args in (["report"], ["match", str(TORCH)]):
            out = io.StringIO()
            assert main([*args, "--machine", str(recorded)], out=out) == 0, recorded
            assert widest(out.getvalue()) <= columns, (recorded.name, args[0])
    capsys.readouterr()
