"""Fault injection: third-party providers in real child processes.

A provider installed through the entry-point group may raise, hang, print to
stdout, exit the process or return garbage; only its own row shows it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from variant_providers.host import Host
from variant_providers.system import LiveSystem

from .conftest import write_distribution

PLUGINS = {
    "hangs": "import time\ndef detect(system):\n    time.sleep(60)\n",
    "crashes": "import os\ndef detect(system):\n    os._exit(3)\n",
    "noisy": (
        "import os, sys\n"
        "from variant_providers import FeatureConfig\n"
        "def detect(system):\n"
        "    print('banner from a vendor SDK')\n"
        "    os.write(1, b'raw fd 1 noise\\n')\n"
        "    return [FeatureConfig('generation', ['g2'])]\n"
    ),
    "garbage": "def detect(system):\n    return {'generation': 'g2'}\n",
    "raises": "def detect(system):\n    raise RuntimeError('vendor SDK failed')\n",
    "slow": (
        "import time\n"
        "from variant_providers import FeatureConfig\n"
        "def detect(system):\n"
        "    time.sleep(0.3)\n"
        "    return [FeatureConfig('generation', ['g1'])]\n"
    ),
    "exits": "import sys\ndef detect(system):\n    sys.exit(0)\n",
}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    for name, body in PLUGINS.items():
        module = f"vp_{name}"
        source = (
            body
            + "\nfrom variant_providers import Provider, hookimpl\n"
            + "@hookimpl\n"
            + "def variant_providers():\n"
            + f"    yield Provider({name!r}, detect)\n"
        )
        write_distribution(
            site,
            f"{name}_provider",
            f"[variant_providers]\n{name} = {module}\n",
            {module: source},
        )
        sys.modules.pop(module, None)
    monkeypatch.syspath_prepend(str(site))
    return site


def test_each_fault_stays_in_its_own_row(site: Path, capfd: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    # Seven interpreters start at once; 4 s leaves a loaded 2-core machine room
    # to start them all, so only the hanging one can reach the deadline.
    detection = Host().detect(LiveSystem(), cache=False, timeout=4.0)
    elapsed = time.perf_counter() - start
    status = {r.namespace: (r.status, r.error or "") for r in detection.providers}
    assert status["hangs"][0] == "timeout"
    assert status["crashes"][0] == "error" and "without an answer" in status["crashes"][1]
    assert status["exits"][0] == "error"
    assert status["garbage"][0] == "error" and "invalid result" in status["garbage"][1]
    assert status["raises"] == ("error", "RuntimeError: vendor SDK failed")
    assert status["noisy"][0] == "ok" and status["slow"][0] == "ok"
    assert status["x86_64"][0] == "ok", "built-in providers are unaffected"
    assert "noisy :: generation :: g2" in [str(p) for p in detection.properties]
    assert capfd.readouterr().out == "", "nothing a provider printed reached our stdout"
    # Children run in parallel: the whole run is bounded by one timeout, not seven.
    assert elapsed < 4.0 + 1.5


def test_report_completes_with_exit_0_and_json_only(site: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(site), "VARIANT_PROVIDERS_CACHE_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "variant_providers", "report", "--json", "--timeout", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    rows = {p["namespace"]: p for p in doc["providers"]}
    assert rows["hangs"]["status"] == "timeout"
    assert rows["noisy"]["status"] == "ok"
    assert {p["name"] for p in doc["plugins"]} >= set(PLUGINS)


def test_plugin_allow_and_deny_lists(site: Path) -> None:
    none = Host(allow="none").detect(LiveSystem(), cache=False, timeout=2.0)
    assert not set(PLUGINS) & set(none.namespaces)
    assert all(p["state"].startswith("blocked") for p in none.plugins)
    only = Host(allow="noisy,slow").detect(LiveSystem(), cache=False, timeout=2.0)
    assert set(PLUGINS) & set(only.namespaces) == {"noisy", "slow"}
    deny = Host(allow="-hangs").detect(LiveSystem(), cache=False, timeout=2.0)
    assert "hangs" not in deny.namespaces and "noisy" in deny.namespaces


def test_third_party_answers_are_cached_too(site: Path) -> None:
    host = Host(allow="slow")
    first = host.detect(LiveSystem(), timeout=5.0)["slow"]
    second = host.detect(LiveSystem(), timeout=5.0)["slow"]
    assert first.cache_age_s is None and second.cache_age_s is not None
    assert second.features == first.features
