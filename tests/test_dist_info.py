"""The entry-point reader that stands in for importlib.metadata on ordinary layouts."""

from __future__ import annotations

import os
import sys
import zipfile
from importlib.metadata import distributions
from pathlib import Path
from typing import Iterator, List, Set, Tuple

import pytest

from variant_providers import dist_info, entrypoints


def _importlib_view(group: str) -> Set[Tuple[str, str, str, str]]:
    seen: Set[str] = set()
    found = set()
    for dist in distributions():
        key = dist_info.normalize(dist.metadata["Name"])
        if key in seen:
            continue
        seen.add(key)
        for ep in dist.entry_points:
            if ep.group == group:
                found.add((ep.name, ep.value, dist.metadata["Name"], dist.metadata["Version"]))
    return found


@pytest.mark.parametrize("group", ["console_scripts", "pytest11", "variant_plugins"])
def test_the_installed_environment_reads_as_importlib_metadata_reads_it(group: str) -> None:
    ours = {
        (name, value, d.distribution, d.version)
        for d in dist_info.entry_points(group)
        for name, value in d.entries
    }
    assert ours == _importlib_view(group)
    assert ours  # this environment has entry points in each of these groups


def _dist(site: Path, dirname: str, name: str, version: str, entry_points: str) -> Path:
    meta = site / dirname
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n")
    (meta / "entry_points.txt").write_text(entry_points)
    return meta


@pytest.fixture
def path_of(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[str]]:
    entries: List[str] = []
    monkeypatch.setattr(sys, "path", entries)
    yield entries


def test_first_copy_on_the_path_wins_and_a_broken_file_is_named(
    tmp_path: Path, path_of: List[str]
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _dist(first, "demo_plugin-2.0.dist-info", "Demo.Plugin", "2.0", "[g]\ndemo = new:P\n")
    _dist(second, "demo_plugin-1.0.dist-info", "demo-plugin", "1.0", "[g]\ndemo = old:P\n")
    _dist(second, "broken-1.0.dist-info", "broken", "1.0", "[g]\nthis line has no equals\n")
    _dist(second, "other-1.0.dist-info", "other", "1.0", "[h]\nx = y:z\n")
    path_of += [str(first), str(tmp_path / "missing"), str(second)]
    found = dist_info.entry_points("g")
    assert [d.distribution for d in found] == ["Demo.Plugin", "broken"]
    assert found[0].entries == (("demo", "new:P"),) and found[0].version == "2.0"
    assert "'this line has no equals'" in found[1].error
    records = entrypoints._scan(["g"])["g"]
    assert records[0].name == "demo" and records[1].error.startswith("unreadable metadata")


def test_a_fifo_or_huge_file_is_an_error_row_not_a_hang(tmp_path: Path, path_of: List[str]) -> None:
    meta = _dist(tmp_path, "big-1.0.dist-info", "big", "1.0", "")
    (meta / "entry_points.txt").write_bytes(b"[g]\n" + b"#" * (dist_info.MAX_METADATA_BYTES + 1))
    path_of.append(str(tmp_path))
    (error,) = dist_info.entry_points("g")
    assert error.distribution == "big" and "larger than" in error.error
    if not hasattr(os, "mkfifo"):
        return
    (meta / "entry_points.txt").unlink()
    os.mkfifo(meta / "entry_points.txt")
    (error,) = dist_info.entry_points("g")
    assert "not a regular file" in error.error


def test_entry_points_without_metadata_are_named_by_their_directory(
    tmp_path: Path, path_of: List[str]
) -> None:
    meta = _dist(tmp_path, "nameless-1.0.dist-info", "nameless", "1.0", "[g]\nx = m:o\n")
    (meta / "METADATA").unlink()
    path_of.append(str(tmp_path))
    (error,) = dist_info.entry_points("g")
    assert error.distribution == "nameless-1.0.dist-info" and "FileNotFoundError" in error.error


def test_a_zip_on_the_path_hands_over_to_importlib_metadata(
    tmp_path: Path, path_of: List[str]
) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped-1.0.dist-info/METADATA", "Name: zipped\nVersion: 1.0\n\n")
        zf.writestr("zipped-1.0.dist-info/entry_points.txt", "[g]\nz = zipped:P\n")
    path_of.append(str(archive))
    with pytest.raises(dist_info.Unusual, match="not a directory"):
        dist_info.entry_points("g")
    (record,) = entrypoints._scan(["g"])["g"]
    assert (record.name, record.value, record.distribution) == ("z", "zipped:P", "zipped")


def test_entry_points_text_parses_sections_comments_and_spacing() -> None:
    text = "# comment\n[other]\na=b:c\n\n[g]\n  one = m:o  \n; note\ntwo=m.sub:T.attr\n"
    assert dist_info.parse_entry_points(text, "g") == [("one", "m:o"), ("two", "m.sub:T.attr")]
    with pytest.raises(ValueError, match="line 1"):
        dist_info.parse_entry_points("orphan = m:o\n", "g")


def test_two_groups_in_one_walk_read_as_each_group_alone(
    tmp_path: Path, path_of: List[str]
) -> None:
    site = tmp_path / "site"
    _dist(site, "both-1.0.dist-info", "both", "1.0", "[g]\na = m:A\n[h]\nb = m:B\n")
    _dist(site, "only_h-1.0.dist-info", "only-h", "1.0", "[h]\nc = n:C\n")
    _dist(site, "garbled-1.0.dist-info", "garbled", "1.0", "[g]\nno equals here\n")
    headless = _dist(site, "headless-1.0.dist-info", "headless", "1.0", "[h]\nd = o:D\n")
    (headless / "METADATA").write_text("Version: 1.0\n\n")  # no Name: an error of group h only
    path_of.append(str(site))
    both = dist_info.entry_points_of(["g", "h"])
    assert both == {"g": dist_info.entry_points("g"), "h": dist_info.entry_points("h")}
    assert [d.distribution for d in both["g"]] == ["both", "garbled"]
    assert [d.distribution for d in both["h"]] == ["both", "garbled", headless.name, "only-h"]
    assert both["h"][2].error and not both["h"][3].error
