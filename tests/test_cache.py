"""The disk cache: hits, honest invalidation, atomic writes, corruption, concurrency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

from variant_providers import FeatureConfig, Provider, ProviderOutput, System, hookimpl
from variant_providers.cache import ERROR_TTL, DetectionCache, default_cache_dir
from variant_providers.host import Host
from variant_providers.system import LiveSystem


class Counting:
    """A provider that counts its runs and depends on a file and a variable."""

    def __init__(self) -> None:
        self.runs = 0
        self.fail = False

    def detect(self, system: System) -> ProviderOutput:
        self.runs += 1
        if self.fail:
            raise RuntimeError("driver wedged")
        version = system.read_text("/driver/version").strip()
        visible = system.getenv("DEMO_VISIBLE_DEVICES") or "all"
        return ProviderOutput(
            features=[FeatureConfig("version", [version])], info={"visible": visible}
        )

    @hookimpl
    def variant_providers(self) -> Iterator[Provider]:
        yield Provider(
            "demo",
            self.detect,
            version="1.0",
            fingerprint=lambda system: system.read_text("/driver/version"),
        )


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "driver").mkdir(parents=True)
    (root / "driver" / "version").write_text("570.148\n")
    return root


def run(plugin: Counting, root: Path, **kwargs: object) -> object:
    env = kwargs.pop("env", {})
    system = LiveSystem(root=str(root), environ=env)  # type: ignore[arg-type]
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    return host.detect(system, cache=True, **kwargs)  # type: ignore[arg-type]


def test_second_run_is_a_hit_with_an_age(machine: Path, _isolated_cache: Path) -> None:
    plugin = Counting()
    first = run(plugin, machine)["demo"]  # type: ignore[index]
    second = run(plugin, machine)["demo"]  # type: ignore[index]
    assert plugin.runs == 1
    assert first.cache_age_s is None and second.cache_age_s is not None
    assert second.cache_age_s >= 0
    assert second.features == first.features and second.info == first.info
    assert (_isolated_cache / "v1" / "demo.json").is_file()


def test_fingerprint_change_invalidates(machine: Path) -> None:
    plugin = Counting()
    run(plugin, machine)
    (machine / "driver" / "version").write_text("575.51\n")
    result = run(plugin, machine)["demo"]  # type: ignore[index]
    assert plugin.runs == 2 and result.features[0].values == ("575.51",)


def test_a_variable_the_provider_read_invalidates(machine: Path) -> None:
    plugin = Counting()
    run(plugin, machine, env={"DEMO_VISIBLE_DEVICES": "0"})
    run(plugin, machine, env={"DEMO_VISIBLE_DEVICES": "0", "UNRELATED": "x"})
    assert plugin.runs == 1, "a variable the provider never read does not matter"
    result = run(plugin, machine, env={"DEMO_VISIBLE_DEVICES": "1"})["demo"]  # type: ignore[index]
    assert plugin.runs == 2 and result.info["visible"] == "1"


def test_refresh_and_no_cache(machine: Path, _isolated_cache: Path) -> None:
    plugin = Counting()
    run(plugin, machine)
    run(plugin, machine, refresh=True)
    assert plugin.runs == 2
    run(plugin, machine)
    assert plugin.runs == 2
    entry = _isolated_cache / "v1" / "demo.json"
    entry.unlink()
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    host.detect(LiveSystem(root=str(machine), environ={}), cache=False)
    assert plugin.runs == 3 and not entry.exists()


def test_errors_are_cached_briefly(machine: Path, _isolated_cache: Path) -> None:
    plugin = Counting()
    plugin.fail = True
    assert run(plugin, machine)["demo"].status == "error"  # type: ignore[index]
    doc = json.loads((_isolated_cache / "v1" / "demo.json").read_text())
    assert doc["ttl"] == ERROR_TTL
    store = DetectionCache(_isolated_cache / "v1")
    assert store.load("demo", doc["key"], now=doc["created"] + ERROR_TTL + 1) is None
    assert store.load("demo", doc["key"], now=doc["created"] + 1) is not None


@pytest.mark.parametrize(
    "garbage",
    [b"", b"{", b"\xff\xfe\x00", b"[]", b'{"format": 99}', b'{"format": 1, "key": 3}'],
)
def test_corrupt_entries_are_ignored_and_rewritten(
    machine: Path, _isolated_cache: Path, garbage: bytes
) -> None:
    plugin = Counting()
    run(plugin, machine)
    entry = _isolated_cache / "v1" / "demo.json"
    entry.write_bytes(garbage)
    result = run(plugin, machine)["demo"]  # type: ignore[index]
    assert plugin.runs == 2 and result.status == "ok"
    assert json.loads(entry.read_text())["format"] == 1


def test_unwritable_cache_directory_disables_the_cache_quietly(
    machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    monkeypatch.setenv("VARIANT_PROVIDERS_CACHE_DIR", str(blocker / "cache"))
    plugin = Counting()
    assert run(plugin, machine)["demo"].status == "ok"  # type: ignore[index]
    assert run(plugin, machine)["demo"].status == "ok"  # type: ignore[index]
    assert plugin.runs == 2


def test_default_locations() -> None:
    assert default_cache_dir({"VARIANT_PROVIDERS_CACHE_DIR": "/x"}) == "/x"
    if sys.platform.startswith("linux"):
        assert default_cache_dir({"HOME": "/home/u"}) == "/home/u/.cache/variant-providers"
        assert default_cache_dir({"HOME": "/h", "XDG_CACHE_HOME": "/c"}) == "/c/variant-providers"
        assert default_cache_dir({"HOME": "/h", "XDG_CACHE_HOME": "relative"}) == (
            "/h/.cache/variant-providers"
        )
        assert default_cache_dir({}) is None


def test_overrides_apply_on_top_of_a_cached_answer(machine: Path) -> None:
    plugin = Counting()
    run(plugin, machine)
    env = {"VARIANT_PROVIDERS_OVERRIDE": "demo :: version :: 999"}
    result = run(plugin, machine, env=env)["demo"]  # type: ignore[index]
    assert plugin.runs == 1
    assert result.status == "override" and result.features[0].values == ("999",)


def test_sixteen_processes_at_once_agree(_isolated_cache: Path) -> None:
    """Concurrent cold starts never read a partial cache file."""
    code = (
        "import json, variant_providers as vp;"
        "d = vp.detect(cache=True);"
        "print(json.dumps([str(p) for p in d.properties]))"
    )
    env = {**os.environ, "VARIANT_PROVIDERS_CACHE_DIR": str(_isolated_cache)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        for _ in range(16)
    ]
    outputs: List[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        outputs.append(out.decode())
    assert len(set(outputs)) == 1
    assert json.loads(outputs[0]), "the live machine reports properties"
    for entry in (_isolated_cache / "v1").glob("*.json"):
        json.loads(entry.read_text())
    assert not list((_isolated_cache / "v1").glob(".*")), "no temporary file left behind"
