"""Hostile third-party plugins, installed as real distributions, against a real run.

Each plugin below is installed the way pip would (a ``*.dist-info`` with an
``entry_points.txt`` on ``PYTHONPATH``) and ``report --json --lock`` runs in
a fresh interpreter beside them.  Whatever they do — flood stderr, flood the
answer channel, hang, leave daemons, run commands that leave daemons, report
NaN — the run must keep the promises of the hardening work:

* the parent's peak RSS stays under 100 MB;
* detection ends within the deadline + 1 s;
* nothing a plugin or its commands started is still running afterwards;
* stdout is strict JSON;
* nothing is written outside the cache directory and the lock path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

from .conftest import write_distribution
from .hostile import (
    IMPORT_ATTACKS,
    PEAK_RSS_SOURCE,
    RSS_LIMIT_KB,
    STDERR_FLOOD,
    orphan_source,
    python_argv,
    read_pid,
    run_parent,
    wait_gone,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX rusage and fork")

TIMEOUT = 4.0

HEADER = (
    "import os, sys, time\n"
    "from variant_providers import FeatureConfig, ProviderOutput\n"
    f"FLOOD = {STDERR_FLOOD!r}\n"
)

PLUGINS: Dict[str, str] = {
    "stderr_flood": "def detect(system):\n    while True:\n        os.write(2, b'E' * 65536)\n",
    "answer_flood": (
        "def detect(system):\n"
        "    while True:\n"
        "        for fd in range(3, 12):\n"
        "            try:\n"
        "                os.write(fd, b'[' * 65536)\n"
        "            except OSError:\n"
        "                pass\n"
    ),
    "hangs": "def detect(system):\n    time.sleep(60)\n",
    "not_finite": (
        "def detect(system):\n"
        "    return ProviderOutput([FeatureConfig('g', ['a'])], info={'x': float('nan')})\n"
    ),
    "daemon": (
        "def detect(system):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            open(os.environ['VP_TEST_PIDS'] + '/daemon', 'w').write(str(os.getpid()))\n"
        "            time.sleep(300)\n"
        "        os._exit(0)\n"
        "    return [FeatureConfig('g', ['a'])]\n"
    ),
    "commands": (
        "def detect(system):\n"
        "    pidfile = os.environ['VP_TEST_PIDS'] + '/command-daemon'\n"
        "    result = system.run(ARGV_OF(pidfile))\n"
        "    flood = system.run([sys.executable, '-c', FLOOD], 0.2)\n"
        "    ok = result.ok and flood.timed_out\n"
        "    return [FeatureConfig('g', ['a'])] if ok else []\n"
    ),
}


def _install(site: Path) -> None:
    for name, body in PLUGINS.items():
        module = f"vp_hostile_{name}"
        source = HEADER + body
        if name == "commands":
            argv = python_argv(orphan_source(Path("PIDFILE"), daemon=True))
            source = (
                f"ARGV = {argv!r}\n"
                "def ARGV_OF(pidfile):\n"
                "    return [a.replace('PIDFILE', pidfile) for a in ARGV]\n" + source
            )
        source += (
            "\nfrom variant_providers import Provider, hookimpl\n"
            "@hookimpl\n"
            "def variant_providers():\n"
            f"    yield Provider({name!r}, detect)\n"
        )
        write_distribution(
            site, f"hostile_{name}", f"[variant_providers]\n{name} = {module}\n", {module: source}
        )
    # And a distribution unrelated to us whose metadata is broken.
    write_distribution(site, "broken_metadata", "[console_scripts]\nno-equals-sign\n", {})


def _snapshot(root: Path) -> Set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _strict(name: str) -> Any:
    raise AssertionError(f"{name} on stdout")


def test_hostile_plugins_are_contained(tmp_path: Path) -> None:
    site, pids, cache, home, work = (
        tmp_path / n for n in ("site", "pids", "cache", "home", "work")
    )
    for directory in (pids, home, work):
        directory.mkdir()
    _install(site)
    before = _snapshot(tmp_path)
    lock = work / "machine.lock"
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "PYTHONDONTWRITEBYTECODE": "1",
        "VARIANT_PROVIDERS_CACHE_DIR": str(cache),
        "HOME": str(home),
        "TMPDIR": str(work),
        "VP_TEST_PIDS": str(pids),
    }
    rss_file = tmp_path / "rss"
    args = ["report", "--json", "--timeout", str(TIMEOUT), "--lock", str(lock)]
    # The parent's own peak RSS (wait4 would fold in the children it reaped and,
    # on Linux, the size of the test process it was forked from).
    wrapper = (
        "import runpy, sys\n"
        f"{PEAK_RSS_SOURCE}"
        f"sys.argv = ['variant_providers', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('variant_providers', run_name='__main__')\n"
        "finally:\n"
        "    peak = _peak_rss_kb()\n"
        f"    open({str(rss_file)!r}, 'w').write(str(peak))\n"
    )
    out_path = tmp_path / "stdout"
    start = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.run(
            [sys.executable, "-c", wrapper],
            stdout=out,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=work,
            timeout=120,
            check=False,
        )
    wall = time.monotonic() - start
    peak_kb = int(rss_file.read_text())

    assert proc.returncode == 0
    doc = json.loads(out_path.read_text(), parse_constant=_strict)
    rows = {row["namespace"]: row for row in doc["providers"]}
    assert peak_kb < RSS_LIMIT_KB, f"parent peak RSS {peak_kb} kB"
    assert doc["duration_ms"] < (TIMEOUT + 1.0) * 1e3
    assert wall < TIMEOUT + 1.0 + 10.0, "interpreter start-up aside, the run ended on time"

    assert rows["stderr_flood"]["status"] == "timeout"
    assert rows["hangs"]["status"] == "timeout"
    assert rows["answer_flood"]["status"] == "error"
    assert "too much output" in rows["answer_flood"]["error"]
    assert rows["not_finite"]["status"] == "error"
    assert "invalid result" in rows["not_finite"]["error"]
    assert rows["daemon"]["status"] == "ok", "a lingering daemon does not make it a timeout"
    assert rows["commands"]["status"] == "ok", rows["commands"]
    skipped = [p for p in doc["plugins"] if p["state"].startswith("skipped")]
    assert [p["name"] for p in skipped] == ["broken_metadata"]

    for name in ("daemon", "command-daemon"):
        assert wait_gone(read_pid(pids / name)), f"the {name} outlived the run"

    written = _snapshot(tmp_path) - before - {"stdout", "rss"}
    outside = {
        p
        for p in written
        if not p.startswith(("cache", "pids")) and p != str(lock.relative_to(tmp_path))
    }
    assert outside == set(), "written outside the cache directory and the lock path"
    assert json.loads(lock.read_text())["format"] == "variant-providers-lock"


# -- plugins that attack the process loading them -------------------------------------

#: Ten children start at once on what may be a loaded 2-core machine.
ATTACK_TIMEOUT = 3.0


@pytest.fixture
def attack_site(tmp_path: Path) -> Path:
    """Every plugin of :data:`IMPORT_ATTACKS`, installed as its own distribution."""
    site = tmp_path / "attack-site"
    for name, attack in IMPORT_ATTACKS.items():
        module = f"vp_attack_{name}"
        write_distribution(
            site,
            f"attack_{name}",
            f"[variant_providers]\n{name} = {module}\n",
            {module: attack["source"]},
        )
    return site


def _attack_env(site: Path, tmp_path: Path) -> Dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(site),
        "PYTHONDONTWRITEBYTECODE": "1",
        "VARIANT_PROVIDERS_CACHE_DIR": str(tmp_path / "attack-cache"),
    }


def _cli(args: List[str], env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "variant_providers", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _builtin_features(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {r["namespace"]: r["features"] for r in rows if r["plugin"].startswith("builtin:")}


def _check_attack_rows(rows: List[Dict[str, Any]]) -> None:
    """Each attack is exactly one row, with the status and reason it must have."""
    for name, attack in IMPORT_ATTACKS.items():
        mine = [r for r in rows if r["plugin"] == name]
        assert len(mine) == 1, (name, mine)
        row = mine[0]
        assert row["status"] == attack["status"], (name, row)
        if attack["status"] != "ok":
            assert attack.get("reason", "no answer within") in row["error"], (name, row)


def test_plugins_attacking_their_loader_change_nothing_of_report(
    attack_site: Path, tmp_path: Path
) -> None:
    env = _attack_env(attack_site, tmp_path)
    args = ["report", "--json", "--timeout", str(ATTACK_TIMEOUT)]
    baseline = _cli([*args, "--no-plugins"], env, tmp_path)
    attacked = _cli(args, env, tmp_path)
    assert baseline.returncode == 0, baseline.stderr
    assert attacked.returncode == 0, attacked.stderr
    doc = json.loads(attacked.stdout, parse_constant=_strict)  # nothing else on stdout
    clean = json.loads(baseline.stdout)
    assert _builtin_features(doc["providers"]) == _builtin_features(clean["providers"])
    nvidia = [p for p in doc["properties"] if p.startswith("nvidia ::")]
    assert nvidia == [p for p in clean["properties"] if p.startswith("nvidia ::")]
    assert "nvidia :: sm_arch :: 100_real" not in doc["properties"]
    _check_attack_rows(doc["providers"])
    assert doc["duration_ms"] < (ATTACK_TIMEOUT + 1.0) * 1e3


def test_plugins_attacking_their_loader_change_nothing_of_detect(
    attack_site: Path, tmp_path: Path
) -> None:
    code = (
        "from variant_providers import detect\n"
        f"d = detect(timeout={ATTACK_TIMEOUT}, cache=False)\n"
        "result = {'rows': [r.to_dict() for r in d.providers],\n"
        "          'properties': [str(p) for p in d.properties]}\n"
    )
    env = _attack_env(attack_site, tmp_path)
    attacked = run_parent(code, env)["result"]
    clean = run_parent(code, {**env, "VARIANT_PROVIDERS_PLUGINS": "none"})["result"]
    assert _builtin_features(attacked["rows"]) == _builtin_features(clean["rows"])
    assert [p for p in attacked["properties"] if p in clean["properties"]] == clean["properties"]
    assert "nvidia :: sm_arch :: 100_real" not in attacked["properties"]
    _check_attack_rows(attacked["rows"])


def test_plugins_attacking_their_loader_change_nothing_of_record(
    attack_site: Path, tmp_path: Path
) -> None:
    env = _attack_env(attack_site, tmp_path)
    recorded = _cli(
        ["record", str(tmp_path / "rec"), "--timeout", str(ATTACK_TIMEOUT)], env, tmp_path
    )
    clean = _cli(
        ["record", str(tmp_path / "clean"), "--timeout", str(ATTACK_TIMEOUT)],
        {**env, "VARIANT_PROVIDERS_PLUGINS": "none"},
        tmp_path,
    )
    assert recorded.returncode == 0, recorded.stderr
    assert clean.returncode == 0, clean.stderr
    assert "banner" not in recorded.stdout and "raw noise" not in recorded.stdout
    reported = json.loads((tmp_path / "rec" / "machine.json").read_text())["reported"]
    baseline = json.loads((tmp_path / "clean" / "machine.json").read_text())["reported"]
    assert reported["properties"][: len(baseline["properties"])] == baseline["properties"]
    assert "nvidia :: sm_arch :: 100_real" not in reported["properties"]
    for namespace, status in baseline["status"].items():
        assert reported["status"][namespace] == status, namespace
    for name, attack in IMPORT_ATTACKS.items():
        assert reported["status"].get(name, attack["status"]) == attack["status"], name
