"""Third-party plugins: code in children only, answers checked, cached honestly.

Each plugin is installed as a real distribution on a temporary ``sys.path``
entry.  A plugin's module appends a line to a log file each time it is
imported, so a test can tell whether (and how often) its code ran.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from variant_providers.entrypoints import EntryPointRecord
from variant_providers.fingerprint import FileFingerprint, file_fingerprint
from variant_providers.host import Host
from variant_providers.plugin_api import plugin_class
from variant_providers.replay import ReplaySystem
from variant_providers.scaffold import new_provider
from variant_providers.system import LiveSystem, PlatformInfo, SystemProxy
from variant_providers.third_party import read_answer

from .conftest import MachineFactory, write_distribution

RECORD = EntryPointRecord("acme", "acme_vp", "acme-provider", version="1.0")
TIMEOUT = 4.0


def _plugin_source(log: Path, namespace: str, fingerprint: str = "None") -> str:
    return (
        "import os\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    f.write(str(os.getpid()) + '\\n')\n"
        "from variant_providers import FeatureConfig, Provider, ProviderOutput, hookimpl\n"
        "from variant_providers.fingerprint import file_fingerprint\n"
        "def detect(system):\n"
        "    try:\n"
        "        gen = system.read_text('/etc/acme-generation').strip()\n"
        "    except OSError:\n"
        "        gen = 'g1'\n"
        "    features = [FeatureConfig('generation', [gen, str(os.getpid())])]\n"
        "    return ProviderOutput(features, info={'machine': system.platform.machine})\n"
        "@hookimpl\n"
        "def variant_providers():\n"
        f"    yield Provider({namespace!r}, detect, fingerprint={fingerprint},\n"
        "                   all_configs=lambda: [FeatureConfig('generation', ['g1', 'g2'])])\n"
    )


def _install(site: Path, name: str, source: str, version: str = "1.0") -> None:
    for old in site.glob(f"{name}_provider-*.dist-info"):
        for path in old.iterdir():
            path.unlink()
        old.rmdir()
    write_distribution(
        site,
        f"{name}_provider",
        f"[variant_providers]\n{name} = vp_{name}\n",
        {f"vp_{name}": source},
    )
    if version != "1.0":
        info = site / f"{name}_provider-1.0.dist-info"
        meta = info / "METADATA"
        meta.write_text(meta.read_text().replace("Version: 1.0", f"Version: {version}"))
        info.rename(site / f"{name}_provider-{version}.dist-info")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


def _runs(log: Path) -> List[str]:
    return log.read_text().split() if log.exists() else []


def test_a_warm_hit_runs_no_plugin_code_and_a_changed_fingerprint_is_a_miss(
    site: Path, tmp_path: Path
) -> None:
    log, facts = tmp_path / "imports.log", tmp_path / "acme-driver-version"
    facts.write_text("1\n")
    _install(site, "acme", _plugin_source(log, "acme", f"file_fingerprint(files=[{str(facts)!r}])"))
    host = Host(allow="acme")
    first = host.detect(LiveSystem(), timeout=TIMEOUT)["acme"]
    assert first.status == "ok" and first.cache_age_s is None
    child_pid = first.features[0].values[1]
    assert _runs(log) == [child_pid] and child_pid != str(os.getpid()), "imported in a child"
    second = host.detect(LiveSystem(), timeout=TIMEOUT)["acme"]
    assert second.cache_age_s is not None and second.features == first.features
    assert len(_runs(log)) == 1, "a warm hit imports nothing of the plugin"
    facts.write_text("2\n")
    third = host.detect(LiveSystem(), timeout=TIMEOUT)["acme"]
    assert third.cache_age_s is None and len(_runs(log)) == 2


def test_a_new_version_of_the_distribution_is_a_miss(site: Path, tmp_path: Path) -> None:
    log = tmp_path / "imports.log"
    _install(site, "acme", _plugin_source(log, "acme"))
    Host(allow="acme").detect(LiveSystem(), timeout=TIMEOUT)
    assert Host(allow="acme").detect(LiveSystem(), timeout=TIMEOUT)["acme"].cache_age_s is not None
    _install(site, "acme", _plugin_source(log, "acme"), version="2.0")
    again = Host(allow="acme").detect(LiveSystem(), timeout=TIMEOUT)["acme"]
    assert again.cache_age_s is None and len(_runs(log)) == 2


def test_a_fingerprint_that_is_code_runs_the_plugin_every_time(site: Path, tmp_path: Path) -> None:
    log = tmp_path / "imports.log"
    _install(site, "acme", _plugin_source(log, "acme", "lambda system: 'x'"))
    host = Host(allow="acme")
    for _ in range(2):
        assert host.detect(LiveSystem(), timeout=TIMEOUT)["acme"].cache_age_s is None
    assert len(_runs(log)) == 2


def test_a_live_root_and_a_recorded_machine_are_examined_by_the_child(
    site: Path, tmp_path: Path, make_machine: MachineFactory
) -> None:
    log = tmp_path / "imports.log"
    _install(site, "acme", _plugin_source(log, "acme"))
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "acme-generation").write_text("g2\n")
    jetson = PlatformInfo("Linux", "aarch64", "5.15-tegra")
    live = Host(allow="acme").detect(LiveSystem(root=str(root), platform=jetson), timeout=TIMEOUT)[
        "acme"
    ]
    machine = make_machine(root_files={"/etc/acme-generation": "g3\n"})
    replayed = Host(allow="acme").detect(ReplaySystem(machine), timeout=TIMEOUT)["acme"]
    assert live.features[0].values[0] == "g2" and replayed.features[0].values[0] == "g3"
    assert live.info == {"machine": "aarch64"}, "the child sees the platform the caller gave"
    assert str(os.getpid()) not in _runs(log)


def test_a_machine_a_child_cannot_rebuild_is_one_row_saying_so(site: Path, tmp_path: Path) -> None:
    log = tmp_path / "imports.log"
    _install(site, "acme", _plugin_source(log, "acme"))
    detection = Host(allow="acme").detect(SystemProxy(LiveSystem()), timeout=TIMEOUT)
    row = detection["acme"]
    assert row.status == "error" and "child process" in (row.error or "")
    assert _runs(log) == [] and detection["x86_64"].status in ("ok", "not-detected")


def test_namespaces_and_catalogue_come_from_the_child_then_from_the_cache(
    site: Path, tmp_path: Path
) -> None:
    log = tmp_path / "imports.log"
    _install(site, "acme", _plugin_source(log, "acme"))
    host = Host(allow="acme")
    assert "acme" in host.namespaces()
    assert len(_runs(log)) == 1
    host.detect(LiveSystem(), timeout=TIMEOUT)  # stores the answer, declarations included
    catalogue = {p.namespace: p for p in host.third_party_providers()}["acme"]
    assert catalogue.all_configs is not None
    assert [list(f.values) for f in catalogue.all_configs()] == [["g1", "g2"]]
    assert "acme" in host.namespaces()
    assert len(_runs(log)) == 2, "the detection ran it once more; the listings did not"


def test_a_providers_plugin_api_object_detects_in_a_child(site: Path, tmp_path: Path) -> None:
    log = tmp_path / "imports.log"
    (site / "vp_tmpl.py").write_text(_plugin_source(log, "tmpl"))
    sys.modules.pop("vp_tmpl", None)
    plugin = plugin_class("tmpl", "vp_tmpl")
    supported = plugin.get_supported_configs()
    assert [c.name for c in supported] == ["generation"]
    assert supported[0].values[1] != str(os.getpid())
    assert [c.values for c in plugin.get_all_configs()] == [["g1", "g2"]]
    assert "vp_tmpl" not in sys.modules and str(os.getpid()) not in _runs(log)


def test_a_plugins_force_variable_is_expanded_in_its_child_and_reported(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "imports.log"
    source = _plugin_source(log, "acme").replace(
        "                   all_configs=",
        "                   force_variables=(ForceVariable('ACME_FORCE_GEN', ('generation',),\n"
        "                       expand=lambda v: [FeatureConfig('generation', [v.lower()])]),),\n"
        "                   all_configs=",
    )
    source = "from variant_providers.provider import ForceVariable\n" + source
    _install(site, "acme", source)
    monkeypatch.setenv("ACME_FORCE_GEN", "G7")
    detection = Host(allow="acme").detect(LiveSystem(), timeout=TIMEOUT)
    row = detection["acme"]
    assert row.status == "override" and [list(f.values) for f in row.features] == [["g7"]]
    assert row.overridden == {"generation": "ACME_FORCE_GEN"}
    assert {"variable": "ACME_FORCE_GEN", "namespace": "acme", "feature": "generation"}.items() <= (
        detection.overrides[0].items()
    )
    monkeypatch.setenv("ACME_FORCE_GEN", "G8")
    again = Host(allow="acme").detect(LiveSystem(), timeout=TIMEOUT)["acme"]
    assert [list(f.values) for f in again.features] == [["g8"]], "a changed variable is a miss"


def test_a_provider_made_from_the_template_is_cached_without_running_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "chip"
    new_provider("chip", project)
    monkeypatch.syspath_prepend(str(project / "src"))
    root = tmp_path / "root"
    device = root / "sys/class/chip/chip0"
    device.mkdir(parents=True)
    (device / "generation").write_text("2\n")
    record = EntryPointRecord("chip", "chip_variant_provider.plugin", "chip", version="0.1.0")
    host = Host(builtins=False, entry_points=False, third_party=[record])
    first = host.detect(LiveSystem(root=str(root)), cache=True, timeout=TIMEOUT)["chip"]
    second = host.detect(LiveSystem(root=str(root)), cache=True, timeout=TIMEOUT)["chip"]
    assert first.status == "ok" and first.cache_age_s is None
    assert second.cache_age_s is not None and second.features == first.features
    (device / "generation").write_text("3\n")
    third = host.detect(LiveSystem(root=str(root)), cache=True, timeout=TIMEOUT)["chip"]
    assert third.cache_age_s is None and third.features != first.features
    assert "chip_variant_provider.plugin" not in sys.modules


# -- read_answer: what a parent accepts from a child -----------------------------------


def _declared(namespace: str, **extra: Any) -> Dict[str, Any]:
    return {
        "namespace": namespace,
        "description": "",
        "version": "",
        "all_configs": None,
        "fingerprint": None,
        **extra,
    }


def _result(namespace: str, values: List[str]) -> Dict[str, Any]:
    features = [{"name": "generation", "values": values, "multi_value": False}]
    return {"result": {"namespace": namespace, "status": "ok", "features": features}, "env": {}}


def test_a_valid_answer_is_accepted_for_its_own_namespace() -> None:
    doc = {"declared": [_declared("acme")], "results": {"acme": _result("acme", ["g2"])}}
    answer = read_answer(RECORD, doc, None, {"nvidia": "builtin:nvidia"})
    assert [(r.result.namespace, r.result.status) for r in answer.rows] == [("acme", "ok")]
    assert answer.rows[0].result.plugin == "acme" and answer.cacheable


def test_a_forged_builtin_namespace_is_one_error_row() -> None:
    doc = {
        "declared": [_declared("nvidia")],
        "results": {"nvidia": _result("nvidia", ["100_real"])},
    }
    answer = read_answer(RECORD, doc, None, {"nvidia": "builtin:nvidia"})
    assert len(answer.rows) == 1 and answer.declared == []
    row = answer.rows[0].result
    assert row.status == "error" and row.namespace == "acme" and row.properties == []
    assert "already provided by builtin:nvidia" in (row.error or "")


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (
            {"declared": [_declared("acme")], "results": {"nvidia": _result("nvidia", ["x"])}},
            "may not provide",
        ),
        (
            {"declared": [_declared("acme")], "results": {"acme": _result("nvidia", ["x"])}},
            "a result for namespace 'nvidia'",
        ),
        (
            {"declared": [_declared("acme")], "results": {"acme": _result("acme", ["a b"])}},
            "invalid answer",
        ),
        ({"declared": [_declared("Bad-Name")], "results": {}}, "invalid namespace"),
        ({"declared": [_declared("acme", fingerprint={"files": "x"})]}, "invalid provider"),
        ({"declared": [_declared("acme")], "results": {}}, "no answer"),
        ([1, 2], "malformed answer"),
    ],
)
def test_a_wrong_answer_becomes_error_rows_never_properties(doc: Any, reason: str) -> None:
    answer = read_answer(RECORD, doc, None, {})
    errors = [r.result for r in answer.rows if r.result.status == "error"]
    assert errors and any(reason in (r.error or "") for r in errors), errors
    assert all(r.result.properties == [] for r in answer.rows)


def test_answers_for_namespaces_not_asked_about_are_dropped() -> None:
    doc = {
        "declared": [_declared("acme"), _declared("acme_extra")],
        "results": {"acme": _result("acme", ["g2"]), "acme_extra": _result("acme_extra", ["g1"])},
    }
    answer = read_answer(RECORD, doc, ["acme"], {})
    assert [r.result.namespace for r in answer.rows] == ["acme"]
    assert [p.namespace for p in answer.declared] == ["acme", "acme_extra"]


def test_a_fingerprint_spec_round_trips_and_recomputes(tmp_path: Path) -> None:
    version = tmp_path / "version"
    version.write_text("1\n")
    fingerprint = file_fingerprint(files=[str(version)], lines=[(str(version), "1")])
    again = FileFingerprint.from_spec(fingerprint.spec())
    assert again == fingerprint and again(LiveSystem()) == fingerprint(LiveSystem())
    before = again(LiveSystem())
    version.write_text("2\n")
    assert again(LiveSystem()) != before
    bad_specs: List[Any] = [
        {"files": [1]},
        {"lines": [["a"]]},
        {"other": []},
        "files",
        {"files": ["/etc/hostname"] * 300},  # a child may not make the parent read without end
    ]
    entries = file_fingerprint(entries=[(str(tmp_path), "version")])
    assert FileFingerprint.from_spec(entries.spec()) == entries
    for bad in bad_specs:
        with pytest.raises(ValueError, match="fingerprint"):
            FileFingerprint.from_spec(bad)
