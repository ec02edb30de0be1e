"""Finding the ``variant_providers`` entry points, remembered between runs.

``importlib.metadata`` reads every installed distribution's metadata and costs
more to import than the rest of a cached detection.  The list of entry points
only changes when something is installed, removed or rewritten: a
``*.dist-info`` directory added or deleted changes a ``sys.path`` directory's
modification time, and ``setup.py egg_info`` rewrites ``entry_points.txt`` in
place.  So the list is stored beside the detection cache, keyed on those
directories' status and on each metadata folder's and ``entry_points.txt``'s
(:func:`~variant_providers.warm.metadata_state`), and rebuilt whenever one
differs.  One list is kept per distinct ``sys.path`` (it starts with the
current or script directory, so a tool run from several directories keeps
one list each).

The remembered list decides what gets imported, so it is read only when it
is the current user's own (see :func:`variant_providers.cache.read_private_json`).
Each distribution's ``entry_points.txt`` is parsed on its own: a malformed
one, even of a package unrelated to us, is skipped and named (a record with
``error`` set) instead of breaking discovery.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from . import dist_info
from .atomic import PathArg
from .cache import read_private_json, write_private_json
from .warm import metadata_states, sha256_hex

__all__ = ["EntryPointRecord", "discover", "discover_groups", "load"]

#: Importing an entry point's value (kept here too: it is part of this module's API).
load = dist_info.load

_FORMAT = 2


class EntryPointRecord(NamedTuple):
    """One entry point; with ``error`` set, a distribution whose metadata is broken."""

    name: str
    value: str
    distribution: str
    error: str = ""
    #: The distribution's version (part of a third-party answer's cache key).
    version: str = ""

    def identity(self) -> Dict[str, str]:
        """What names a plugin's code, for its answer's cache key: entry point and version."""
        return {
            "name": self.name,
            "value": self.value,
            "distribution": self.distribution,
            "version": self.version,
        }


def _path_state() -> List[Tuple[str, int, List[Any]]]:
    """Each ``sys.path`` entry's status, and its distributions' (:func:`.warm.metadata_state`)."""
    state: List[Tuple[str, int, List[Any]]] = []
    for entry in sys.path:
        try:
            mtime = os.stat(entry or ".").st_mtime_ns
        except OSError:
            state.append((entry, -1, []))
            continue
        state.append((entry, mtime, metadata_states(entry or ".")))
    return state


def _scan(groups: Sequence[str]) -> Dict[str, List[EntryPointRecord]]:
    try:
        found = dist_info.entry_points_of(groups)
    except dist_info.Unusual:
        return {group: _scan_with_importlib(group) for group in groups}
    return {group: _records(dists) for group, dists in found.items()}


def _records(found: List[dist_info.DistEntryPoints]) -> List[EntryPointRecord]:
    records: List[EntryPointRecord] = []
    for dist in found:
        if dist.error:
            records.append(
                EntryPointRecord("", "", dist.distribution, f"unreadable metadata ({dist.error})")
            )
        else:
            records += [
                EntryPointRecord(name, value, dist.distribution, version=dist.version)
                for name, value in dist.entries
            ]
    return records


def _scan_with_importlib(group: str) -> List[EntryPointRecord]:
    """:func:`_scan` for the layouts only ``importlib.metadata`` reads (zips, import hooks)."""
    from importlib.metadata import distributions

    records: List[EntryPointRecord] = []
    seen = set()
    for dist in distributions():
        name = ""
        try:
            name = str(dist.metadata["Name"] or "")
            version = str(dist.metadata["Version"] or "")
            key = dist_info.normalize(name)
            if key in seen:  # an older copy further down sys.path is shadowed
                continue
            seen.add(key)
            found = [
                EntryPointRecord(str(ep.name), str(ep.value), name, version=version)
                for ep in dist.entry_points
                if ep.group == group
            ]
        except Exception as exc:
            where = getattr(dist, "_path", None)
            label = name or (str(where) if where is not None else "a distribution")
            message = str(exc).strip().splitlines()
            detail = f"{type(exc).__name__}: {message[0][:200]}" if message else type(exc).__name__
            records.append(EntryPointRecord("", "", label, f"unreadable metadata ({detail})"))
            continue
        records += found
    return records


def discover(group: str, cache_dir: Optional[PathArg]) -> List[EntryPointRecord]:
    """The entry points of *group*, from the remembered list when still valid."""
    return discover_groups((group,), cache_dir)[group]


def discover_groups(
    groups: Sequence[str], cache_dir: Optional[PathArg]
) -> Dict[str, List[EntryPointRecord]]:
    """:func:`discover` of each of *groups*; the ones not remembered are read in one walk."""
    # Taken before the walk: a change during it leaves a list that no longer matches.
    state = _path_state() if cache_dir is not None else []
    paths: Dict[str, str] = {}
    if cache_dir is not None:
        digest = sha256_hex(json.dumps([entry for entry, _, _ in state]).encode())[:16]
        # One list per group too: the host reads two groups and neither may evict the other.
        paths = {g: os.path.join(cache_dir, f"entry-points-{g}-{digest}.json") for g in groups}
    found: Dict[str, List[EntryPointRecord]] = {}
    for group, path in paths.items():
        remembered = _remembered(path, group, state)
        if remembered is not None:
            found[group] = remembered
    missing = [g for g in groups if g not in found]
    if missing:
        found.update(_scan(missing))
    for group in missing:
        if group in paths:
            _remember(paths[group], group, state, found[group])
    return {group: found[group] for group in groups}


def _remember(
    path: str, group: str, state: List[Tuple[str, int, List[Any]]], records: List[EntryPointRecord]
) -> None:
    doc = {"format": _FORMAT, "group": group, "paths": state, "entries": records}
    try:
        write_private_json(path, doc)
    except (OSError, ValueError):
        return
    prune(os.path.dirname(path), keep=path)


def _remembered(
    path: str, group: str, state: List[Tuple[str, int, List[Any]]]
) -> Optional[List[EntryPointRecord]]:
    """The stored list when it is ours, well-formed and still current."""
    doc = read_private_json(path)
    try:
        if (
            doc.get("format") == _FORMAT
            and doc.get("group") == group
            and [tuple(p) for p in doc.get("paths", ())] == state
        ):
            entries = [EntryPointRecord(*e) for e in doc["entries"]]
            if all(isinstance(f, str) for e in entries for f in e):
                return entries
    except (KeyError, TypeError, AttributeError):
        pass
    return None


#: Remembered lists kept per cache directory, and how long an unused one lives.
KEEP_LISTS = 8
LIST_MAX_AGE = 30 * 24 * 3600.0


def prune(
    directory: PathArg,
    keep: Optional[PathArg] = None,
    now: Optional[float] = None,
    *,
    prefix: str = "entry-points-",
    limit: int = KEEP_LISTS,
) -> int:
    """Delete stale remembered lists (one is written per distinct ``sys.path``).

    A list unused for :data:`LIST_MAX_AGE` goes, and beyond the *limit* most
    recently written ones the oldest go too; *keep* (the list just written)
    always stays.  Files named *prefix*``*.json`` count (the warm records,
    also one per ``sys.path``, are pruned the same way).  Returns how many
    were deleted.
    """
    now = time.time() if now is None else now
    kept = os.path.basename(os.fspath(keep)) if keep is not None else None
    found = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                name = entry.name
                if (
                    name.startswith(prefix)
                    and name.endswith(".json")
                    and entry.is_file(follow_symlinks=False)
                ):
                    found.append((entry.stat(follow_symlinks=False).st_mtime, entry.path))
    except OSError:
        return 0
    found.sort(reverse=True)
    removed = 0
    for index, (mtime, name) in enumerate(found):
        if os.path.basename(name) == kept:
            continue
        if index >= limit or now - mtime > LIST_MAX_AGE:
            try:
                os.unlink(name)
                removed += 1
            except OSError:
                pass
    return removed
