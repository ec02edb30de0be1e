"""The warm path: a full cache hit answered from one record, and every key input a miss."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

import variant_providers
from variant_providers import FeatureConfig, Provider, ProviderOutput, System, hookimpl, host, warm
from variant_providers.cache import read_private_json, write_private_json
from variant_providers.cli import main
from variant_providers.fingerprint import file_fingerprint
from variant_providers.host import Host
from variant_providers.records import Detection
from variant_providers.warm import record_path, serve

from .conftest import write_distribution

REPO = Path(__file__).resolve().parents[1]
ARGV = ["report", "--json"]
#: What a warm answer must not import (the cost of a full run).
HEAVY = ("pluggy", "importlib.metadata", "argparse", "logging", "email", "zipfile", "socket")


class Demo:
    """A provider whose fingerprint reads files under *root* and whose detect reads a variable."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runs = 0

    def detect(self, system: System) -> ProviderOutput:
        self.runs += 1
        value = system.getenv("WARM_DEMO_LEVEL") or "1"
        return ProviderOutput(features=[FeatureConfig("level", [value])])

    @hookimpl
    def variant_providers(self) -> Iterator[Provider]:
        yield Provider(
            "demo",
            self.detect,
            version="1.0",
            fingerprint=file_fingerprint(
                files=[str(self.root / "version")],
                listings=[str(self.root / "devices")],
                exists=[str(self.root / "node")],
            ),
        )


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Demo:
    root = tmp_path / "machine"
    (root / "devices").mkdir(parents=True)
    (root / "version").write_text("570.1\n")
    (root / "devices" / "0").write_text("")
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    plugin = Demo(root)
    monkeypatch.setattr(
        host, "_DEFAULT_HOST", Host(builtins=False, entry_points=False, plugins=[plugin])
    )
    for name in ("WARM_DEMO_LEVEL", "VARIANT_PROVIDERS_LOCK"):
        monkeypatch.delenv(name, raising=False)
    return plugin


def _report() -> dict[str, object]:
    out = io.StringIO()
    assert main(ARGV, out) == 0
    doc: dict[str, object] = json.loads(out.getvalue())
    return doc


def _warm() -> Optional[dict[str, object]]:
    out = io.StringIO()
    code = serve(ARGV, os.environ, out)
    if code is None:
        assert out.getvalue() == ""
        return None
    doc: dict[str, object] = json.loads(out.getvalue())
    return doc


def _prime(demo: Demo) -> dict[str, object]:
    """A cold run, then a full cache hit (which writes the record); the hit's report."""
    _report()
    runs = demo.runs
    hit = _report()
    assert demo.runs == runs, "the second run was not a cache hit"
    return hit


def _without_times(doc: dict[str, object]) -> dict[str, object]:
    doc = {**doc, "duration_ms": None}
    doc["providers"] = [{**p, "cache_age_s": None} for p in doc["providers"]]  # type: ignore[attr-defined]
    return doc


def test_a_full_hit_is_answered_from_the_record_as_the_full_run_answers(demo: Demo) -> None:
    hit = _prime(demo)
    warm = _warm()
    assert warm is not None
    assert _without_times(warm) == _without_times(hit)
    assert [p["cached"] for p in warm["providers"]] == [True]  # type: ignore[attr-defined]


def test_no_record_after_a_cold_run(demo: Demo) -> None:
    _report()
    assert _warm() is None


def _change_version_file(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    (demo.root / "version").write_text("575.2\n")


def _add_device(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    (demo.root / "devices" / "1").write_text("")


def _create_node(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    (demo.root / "node").write_text("")


def _set_read_variable(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARM_DEMO_LEVEL", "2")


def _set_override(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VARIANT_PROVIDERS_OVERRIDE", "demo :: level :: 3")


def _set_lock(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = demo.root.parent / "machine.lock.json"
    lock.write_text("{}")
    monkeypatch.setenv("VARIANT_PROVIDERS_LOCK", str(lock))


def _install_plugin(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    site = demo.root.parent / "site"
    write_distribution(
        site, "warm_extra", "[variant_providers]\nextra = warm_extra:Plugin\n", {"warm_extra": ""}
    )


def _shadow_an_imported_module(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module first on sys.path named like one the run imported (pluggy here)."""
    (demo.root.parent / "site" / "pluggy.py").write_text("")


def _add_startup_hook(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    (demo.root.parent / "site" / "sitecustomize.py").write_text("")


def _add_pth_file(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    (demo.root.parent / "site" / "extra.pth").write_text("/somewhere\n")


def _reinstall_same_version(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A metadata folder replaced by one of the same name (its entry points may differ)."""
    site = demo.root.parent / "site"
    write_distribution(site, "warm_same", "[console_scripts]\nx = y:z\n", {})
    _prime(demo)
    assert _warm() is not None
    shutil.rmtree(site / "warm_same-1.0.dist-info")
    write_distribution(site, "warm_same", "[variant_providers]\nsame = warm_same:Plugin\n", {})


def _edit_entry_points_in_place(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """``setup.py egg_info`` rewrites entry_points.txt in place: its folder looks unchanged."""
    site = demo.root.parent / "site"
    write_distribution(site, "warm_edited", "[console_scripts]\nx = y:z\n", {})
    _prime(demo)
    assert _warm() is not None
    folder = site / "warm_edited-1.0.dist-info"
    before = folder.stat()
    with open(folder / "entry_points.txt", "a") as text:
        text.write("[variant_providers]\nedited = warm_edited:Plugin\n")
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert folder.stat().st_mtime_ns == before.st_mtime_ns


def _rewrite_cache_entry(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """As ``--refresh`` or another process does: the entry replaced (here by an equal one)."""
    entry = Path(os.environ["VARIANT_PROVIDERS_CACHE_DIR"]) / "v1" / "demo.json"
    write_private_json(entry, read_private_json(entry))


@pytest.mark.parametrize(
    "change",
    [
        _change_version_file,
        _add_device,
        _create_node,
        _set_read_variable,
        _set_override,
        _set_lock,
        _install_plugin,
        _shadow_an_imported_module,
        _add_startup_hook,
        _add_pth_file,
        _reinstall_same_version,
        _edit_entry_points_in_place,
        _rewrite_cache_entry,
    ],
)
def test_each_key_input_changed_is_a_miss(
    demo: Demo, monkeypatch: pytest.MonkeyPatch, change: object
) -> None:
    _prime(demo)
    assert _warm() is not None
    change(demo, monkeypatch)  # type: ignore[operator]
    assert _warm() is None


def test_other_files_coming_and_going_on_the_path_keep_it_warm(demo: Demo) -> None:
    """A busy current folder (a build writing its outputs) is not a change of the key."""
    _prime(demo)
    site = demo.root.parent / "site"
    (site / "notes.txt").write_text("")
    (site / "build").mkdir()
    (site / "build" / "out.o").write_text("")
    assert _warm() is not None
    (site / "notes.txt").unlink()
    assert _warm() is not None


def test_a_record_another_user_could_write_is_ignored(demo: Demo) -> None:
    _prime(demo)
    path = record_path(os.environ, ARGV)
    assert path is not None
    os.chmod(path, 0o666)
    assert _warm() is None


def test_a_corrupt_record_falls_through(demo: Demo) -> None:
    _prime(demo)
    path = record_path(os.environ, ARGV)
    assert path is not None
    with open(path, "w") as f:
        f.write('{"format": 1, "argv": ')
    assert _warm() is None


def test_an_expired_cache_entry_is_a_miss(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    _prime(demo)
    path = record_path(os.environ, ARGV)
    assert path is not None
    doc = json.loads(Path(path).read_text())
    monkeypatch.setattr("variant_providers.warm.time.time", lambda: doc["expires"] + 1)
    assert _warm() is None


# -- children: the real entry point, the modules it imports, the package's own version


def _child(env: dict[str, str], *python: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python, "-m", "variant_providers", *ARGV],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def _imported(stderr: str) -> List[str]:
    """The modules ``-X importtime`` says were imported."""
    return [
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]


def _startup_modules(*python: str) -> set[str]:
    """What the interpreter itself imports before any of our code (``-m`` adds runpy's).

    On Python 3.9 the editable install's finder and runpy already bring in
    ``typing``: not ours to count.
    """
    run = subprocess.run(
        [sys.executable, "-X", "importtime", *python],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(_imported(run.stderr))


def _child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "VARIANT_PROVIDERS_CACHE_DIR": str(tmp_path / "cache"),
        # Installed standard plugins run in children every time; blocked, they run nothing.
        "VARIANT_PROVIDERS_PLUGINS": "none",
        **extra,
    }


def test_a_warm_child_imports_none_of_the_heavy_modules(tmp_path: Path) -> None:
    env = _child_env(tmp_path)
    _child(env)
    full = _child(env, "-X", "importtime")
    assert "pluggy" in _imported(full.stderr)  # the full hit ran the host
    warm = _child(env, "-X", "importtime")
    modules = set(_imported(warm.stderr)) - _startup_modules("-c", "import runpy")
    for heavy in (*HEAVY, "typing", "dataclasses", "hashlib", "json"):
        assert heavy not in modules, f"a warm report imported {heavy}"
    assert not [m for m in modules if m.startswith("variant_providers.providers")]
    assert _without_times(json.loads(warm.stdout)) == _without_times(json.loads(full.stdout))


def test_a_new_version_of_the_package_is_a_miss(tmp_path: Path) -> None:
    """A copy of the package first on the path, its version changed after the record."""
    package = tmp_path / "path" / "variant_providers"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "core", package, ignore=ignore)
    shutil.copytree(REPO / "providers", package / "providers", ignore=ignore)
    env = _child_env(tmp_path, PYTHONPATH=str(tmp_path / "path"))
    _child(env)
    _child(env)
    assert "pluggy" not in _imported(_child(env, "-X", "importtime").stderr)
    init = package / "__init__.py"
    text = init.read_text()
    assert '__version__ = "0.1.0"' in text
    init.write_text(text.replace('__version__ = "0.1.0"', '__version__ = "0.1.1"'))
    again = _child(env, "-X", "importtime")
    assert "pluggy" in _imported(again.stderr)
    assert json.loads(again.stdout)["tool"]["version"] == "0.1.1"


PLUGIN_CALL = (
    "import sys\n"
    "from variant_providers.providers.x86_64 import Plugin\n"
    "configs = Plugin.get_supported_configs()\n"
    "import json\n"
    "json.dump([c.__dict__ for c in configs], sys.stdout)\n"
)


def test_a_warm_plugin_api_call_loads_no_host(tmp_path: Path) -> None:
    """An installer calling ``get_supported_configs()`` in a fresh interpreter each time."""
    env = _child_env(tmp_path)

    def call(*python: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, *python, "-c", PLUGIN_CALL]
        return subprocess.run(argv, env=env, capture_output=True, text=True, check=True)

    cold = call()
    full = call("-X", "importtime")
    assert "pluggy" in _imported(full.stderr)  # the full hit ran the host
    warm = call("-X", "importtime")
    modules = set(_imported(warm.stderr)) - _startup_modules("-c", "pass")
    for heavy in (*HEAVY, "typing", "dataclasses", "hashlib"):
        assert heavy not in modules, f"a warm get_supported_configs() imported {heavy}"
    assert "variant_providers.host" not in modules
    assert json.loads(warm.stdout) == json.loads(full.stdout) == json.loads(cold.stdout)


def test_a_third_party_plugins_cached_answer_is_covered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its rows come from its own entry; its declared fingerprint file is in the manifest."""
    from .test_third_party import _install, _plugin_source, _runs

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    log, facts = tmp_path / "imports.log", tmp_path / "acme-driver-version"
    facts.write_text("1\n")
    _install(site, "acme", _plugin_source(log, "acme", f"file_fingerprint(files=[{str(facts)!r}])"))
    monkeypatch.setattr(host, "_DEFAULT_HOST", Host(builtins=False, allow="acme"))
    _report()
    hit = _report()
    assert len(_runs(log)) == 1, "the second run was a cache hit"
    warm = _warm()
    assert warm is not None and _without_times(warm) == _without_times(hit)
    assert [p["namespace"] for p in warm["providers"]] == ["acme"]  # type: ignore[attr-defined]
    facts.write_text("2\n")
    assert _warm() is None


def _same_but_times(detection: Detection) -> Detection:
    rows = tuple(replace(r, cache_age_s=None) for r in detection.providers)
    return replace(detection, providers=rows, duration_ms=0.0)


def test_detect_is_rebuilt_from_the_record_as_the_full_hit_returned_it(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    variant_providers.detect()
    hit = variant_providers.detect()
    assert demo.runs == 1, "the second call was a cache hit"
    monkeypatch.setattr(host, "get_host", None)  # a warm answer never reaches the host
    warm = variant_providers.detect()
    assert _same_but_times(warm) == _same_but_times(hit)
    assert warm["demo"].cache_age_s is not None
    (demo.root / "version").write_text("575.2\n")
    with pytest.raises(TypeError):  # a miss: the host is asked
        variant_providers.detect()


DETECT_CALL = (
    "import json, sys\n"
    "from variant_providers import detect\n"
    "json.dump([str(p) for p in detect().properties], sys.stdout)\n"
)


def test_a_warm_detect_call_loads_no_host(tmp_path: Path) -> None:
    env = _child_env(tmp_path)

    def call(*python: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, *python, "-c", DETECT_CALL]
        return subprocess.run(argv, env=env, capture_output=True, text=True, check=True)

    cold = call()
    full = call("-X", "importtime")
    assert "pluggy" in _imported(full.stderr)
    warm = call("-X", "importtime")
    modules = _imported(warm.stderr)
    startup = _startup_modules("-c", "pass")
    for heavy in (
        *("pluggy", "importlib.metadata", "argparse", "email", "zipfile", "socket"),
        # the records it rebuilds need no dataclasses (and so no inspect), nor logging
        *("dataclasses", "inspect", "logging"),
    ):
        assert heavy not in modules or heavy in startup, f"a warm detect() imported {heavy}"
    assert "variant_providers.host" not in modules
    assert not [m for m in modules if m.startswith("variant_providers.providers")]
    assert json.loads(warm.stdout) == json.loads(full.stdout) == json.loads(cold.stdout)


# -- the cold run: what a detection without any cache imports ------------------------------

#: Each provider's probes past its presence check, and the reason that says the check failed.
_GATED = {
    "nvidia": ("no NVIDIA driver, GPU device or library found", ("nvml", "libcuda", "smi")),
    "amd": ("no KFD topology and no AMD GPU driver", ("hip", "hipsdk", "rocminfo", "gpuinfo")),
    "aarch64": ("not an AArch64 machine", ("hwcaps", "procfs", "sysctl", "windows_pf", "tables")),
}


def test_a_cold_run_imports_only_what_detection_needs(tmp_path: Path) -> None:
    """``report --json --no-cache``: no importlib.metadata, and no probe past a failed check."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "variant_providers", *ARGV, "--no-cache"],
        env=_child_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    modules = _imported(run.stderr)
    # (the editable install's own finder imports pathlib at every start: not ours)
    startup = _startup_modules("-c", "import runpy")
    for heavy in (
        *("importlib.metadata", "email", "zipfile", "hashlib", "platform", "shutil"),
        # argparse for a flags-only report, logging and traceback with nothing to show,
        # pathlib and textwrap anywhere in a --json report.
        *("argparse", "logging", "traceback", "pathlib", "textwrap"),
    ):
        assert heavy not in modules or heavy in startup, f"a cold report imported {heavy}"
    assert "concurrent.futures" not in modules
    rows = {p["namespace"]: p for p in json.loads(run.stdout)["providers"]}
    checked = 0
    for namespace, (reason, probes) in _GATED.items():
        if not rows[namespace]["reason"].startswith(reason):
            continue  # the check passed on this machine: its probes may load
        checked += 1
        for probe in probes:
            module = f"variant_providers.providers.{namespace}.{probe}"
            assert module not in modules, f"{module} loaded: {rows[namespace]['reason']}"
    x86 = rows["x86_64"]
    if x86["status"] == "ok" and "fallback" not in x86["info"] and sys.platform == "linux":
        checked += 1  # /proc/cpuinfo answered: no CPUID child, no py-cpuinfo
        for probe in ("cpuid", "pycpuinfo", "sysctl"):
            assert f"variant_providers.providers.x86_64.{probe}" not in modules
    assert checked >= 2  # any machine fails the presence check of some vendor


# -- the record's JSON, written and read without the json package ----------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_plain_json: st.SearchStrategy[object] = st.deferred(
    lambda: (
        _scalars
        | st.lists(_plain_json, max_size=4)
        | st.dictionaries(st.text(), _plain_json, max_size=4)
    )
)


@given(doc=_plain_json)
def test_the_report_text_is_exactly_what_json_writes(doc: object) -> None:
    expected = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False)
    assert warm.dumps_report(doc) == expected
    assert warm.loads_record(expected.encode()) == doc


@pytest.mark.parametrize(
    "doc", [float("nan"), {"a": float("inf")}, {1: "int key"}, {"a": {1, 2}}, (1, "x")]
)
def test_values_json_refuses_or_converts_go_through_json(doc: object) -> None:
    try:
        expected: object = json.dumps(
            doc, indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        expected = type(exc)
    try:
        got: object = warm.dumps_report(doc)
    except (TypeError, ValueError) as exc:
        got = type(exc)
    assert got == expected


@pytest.mark.parametrize("data", [b'{"a": 1} trailing', b"NaN", b'{"a": Infinity}', b"\xff", b""])
def test_a_record_that_is_not_plain_json_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        warm.loads_record(data)
