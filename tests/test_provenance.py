"""Provenance: one field says where each feature's values came from.

Probe (``ProviderOutput.sources``, or a third-party provider's older
``info["source"]``), override variable, lock file, cache — and the older
views (JSON ``overridden``, the report's source column) follow from it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Iterator, List, Mapping

import pytest

from variant_providers import FeatureConfig, Provider, ProviderOutput, System, hookimpl
from variant_providers.cli import main
from variant_providers.host import Host, ProviderResult
from variant_providers.lock import write_lock
from variant_providers.records import Detection, from_cache
from variant_providers.system import LiveSystem


class Sourced:
    """A provider naming its probes either the typed way or the old way."""

    def __init__(self, *, typed: bool = True) -> None:
        self.typed = typed

    def detect(self, system: System) -> ProviderOutput:
        features = [FeatureConfig("arch", ["a2", "a1"]), FeatureConfig("version", ["3"])]
        sources = {"arch": "sysfs", "version": "driver-file"}
        if self.typed:
            return ProviderOutput(features=features, sources=sources)
        return ProviderOutput(features=features, info={"source": sources})

    @hookimpl
    def variant_providers(self) -> Iterator[Provider]:
        yield Provider("demo", self.detect, version="1.0", fingerprint=lambda s: "fixed")


def _detect(plugin: Sourced, root: Path, env: Mapping[str, str], **kw: Any) -> Detection:
    system = LiveSystem(root=str(root), environ=dict(env))
    return Host(builtins=False, entry_points=False, plugins=[plugin]).detect(system, **kw)


@pytest.mark.parametrize("typed", [True, False], ids=["sources", "info-source"])
def test_probe_names_become_provenance(tmp_path: Path, typed: bool) -> None:
    result = _detect(Sourced(typed=typed), tmp_path, {}, cache=False)["demo"]
    assert result.provenance == {"arch": "probe:sysfs", "version": "probe:driver-file"}
    assert result.overridden == {}
    assert result.sources() == ["sysfs", "driver-file"]
    # The JSON keeps its older view, derived from provenance (also for ``sources``).
    assert result.to_dict()["info"]["source"] == {"arch": "sysfs", "version": "driver-file"}


def test_an_override_replaces_the_probe_and_derives_overridden(tmp_path: Path) -> None:
    env = {"VARIANT_PROVIDERS_OVERRIDE": "demo :: arch :: a9; demo :: version ::"}
    result = _detect(Sourced(), tmp_path, env, cache=False)["demo"]
    assert result.status == "override"
    assert [f.name for f in result.features] == ["arch"]
    assert result.provenance == {
        "arch": "override:VARIANT_PROVIDERS_OVERRIDE",
        "version": "override:VARIANT_PROVIDERS_OVERRIDE",
    }
    data = result.to_dict()
    assert data["overridden"] == {
        "arch": "VARIANT_PROVIDERS_OVERRIDE",
        "version": "VARIANT_PROVIDERS_OVERRIDE",
    }
    assert data["info"]["source"] == {"arch": "override", "version": "override"}
    assert ProviderResult.from_dict(data).provenance == result.provenance


def test_a_cached_answer_says_so_and_keeps_the_probe_name(
    tmp_path: Path, _isolated_cache: Path
) -> None:
    first = _detect(Sourced(), tmp_path, {}, cache=True)["demo"]
    second = _detect(Sourced(), tmp_path, {}, cache=True)["demo"]
    assert first.cache_age_s is None and second.cache_age_s is not None
    assert second.provenance == {"arch": "cache:sysfs", "version": "cache:driver-file"}
    assert second.sources() == first.sources()


def test_cache_of_a_feature_without_a_probe_name() -> None:
    plain = ProviderResult("demo", "ok", features=(FeatureConfig("arch", ["a1"]),))
    assert plain.cached(3.0).provenance == {"arch": "cache"}
    assert from_cache("override:X") == "cache"
    assert from_cache("cache:sysfs") == "cache:sysfs"


def test_a_lock_names_its_file(tmp_path: Path) -> None:
    lock = tmp_path / "target.lock"
    write_lock(_detect(Sourced(), tmp_path, {}, cache=False), lock)
    result = _detect(Sourced(), tmp_path, {}, cache=False, lock=str(lock))["demo"]
    assert result.provenance == {"arch": f"lock:{lock}", "version": f"lock:{lock}"}
    assert result.sources() == [f"lock {lock}"]
    assert result.to_dict()["info"]["source"] == {"arch": f"lock {lock}", "version": f"lock {lock}"}


def test_report_json_carries_provenance_and_the_derived_views(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VARIANT_PROVIDERS_OVERRIDE", "demo :: arch :: a9")
    monkeypatch.setenv("VARIANT_PROVIDERS_PLUGINS", "none")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = main(["report", "--json", "--no-cache", "--only", "demo"])
    assert code == 0
    rows: List[Any] = json.loads(capsys.readouterr().out)["providers"]
    (row,) = rows
    assert row["provenance"] == {"arch": "override:VARIANT_PROVIDERS_OVERRIDE"}
    assert row["overridden"] == {"arch": "VARIANT_PROVIDERS_OVERRIDE"}
