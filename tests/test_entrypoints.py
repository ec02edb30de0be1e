"""The remembered entry-point list follows installs and removals."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from variant_providers.entrypoints import discover, load

from .conftest import write_distribution

GROUP = "variant_providers"


def names(cache: Path) -> set[str]:
    return {ep.name for ep in discover(GROUP, cache)}


def test_installing_and_removing_a_plugin_is_noticed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    assert "acme" not in names(cache)
    assert len(list(cache.glob("entry-points-*.json"))) == 1
    write_distribution(site, "acme_vp", "[variant_providers]\nacme = acme_mod:plugin\n", {})
    os.utime(site, ns=(1, 1))  # make the change visible even on coarse clocks
    found = {ep.name: ep for ep in discover(GROUP, cache)}
    assert found["acme"].value == "acme_mod:plugin" and found["acme"].distribution == "acme_vp"
    shutil.rmtree(site / "acme_vp-1.0.dist-info")
    os.utime(site, ns=(2, 2))
    assert "acme" not in names(cache)


def test_an_entry_points_file_rewritten_in_place_is_noticed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``setup.py egg_info`` rewrites entry_points.txt inside an existing folder:
    # neither the site folder nor the metadata folder changes its status.
    site, cache = tmp_path / "site", tmp_path / "cache"
    write_distribution(site, "late_vp", "[console_scripts]\nlate = late_mod:main\n", {})
    monkeypatch.syspath_prepend(str(site))
    assert "late" not in names(cache)
    folder = site / "late_vp-1.0.dist-info"
    site_before, folder_before = site.stat(), folder.stat()
    (folder / "entry_points.txt").write_text("[variant_providers]\nlate = late_mod:plugin\n")
    os.utime(folder, ns=(folder_before.st_atime_ns, folder_before.st_mtime_ns))
    os.utime(site, ns=(site_before.st_atime_ns, site_before.st_mtime_ns))
    assert "late" in names(cache)


def test_a_corrupt_list_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    discover(GROUP, cache)
    (remembered,) = cache.glob("entry-points-*.json")
    remembered.write_text("{not json")
    assert discover(GROUP, cache) == discover(GROUP, None)
    assert remembered.read_text().startswith("{")


def test_load_resolves_module_and_attribute_path() -> None:
    assert load("os.path:join") is os.path.join
    assert load("os") is os
