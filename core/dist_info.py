"""Installed distributions' entry points, read straight from their metadata directories.

``importlib.metadata`` answers the same question, but importing it pulls in
``email``, ``zipfile``, ``csv``, ``tempfile`` and ``socket`` — about as long
as the rest of a cold detection.  For the ordinary layout (every ``sys.path``
entry a directory, found by the standard path finder) the answer is a
directory listing per entry plus one small file per distribution that has
entry points, so this module reads exactly that:

* each ``sys.path`` entry in order, its ``*.dist-info`` and ``*.egg-info``
  directories (the ones ``importlib.metadata`` finds);
* a distribution shadows any later one of the same normalized name, as on
  import;
* ``entry_points.txt`` is parsed here (sections of ``name = value`` lines),
  and ``METADATA`` / ``PKG-INFO`` only for a distribution that has an entry
  point of the group, for its name and version;
* every file is read through :func:`~variant_providers.rawfs.read_bytes`:
  regular files only, bounded.

Anything else — a ``sys.path`` entry that is a zip file, or an import hook
of its own that finds distributions — is :class:`Unusual`, and the caller
asks ``importlib.metadata`` instead, which knows those layouts.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from importlib.machinery import PathFinder
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from .rawfs import read_bytes

__all__ = [
    "DistEntryPoints",
    "Unusual",
    "entry_points",
    "entry_points_of",
    "load",
    "parse_entry_points",
]

#: Larger metadata files are refused as garbage (real ones are a few KiB).
MAX_METADATA_BYTES = 1 << 20

_SUFFIXES = (".dist-info", ".egg-info")


class Unusual(Exception):
    """A layout this reader does not handle; ``importlib.metadata`` must answer."""


class DistEntryPoints(NamedTuple):
    """One distribution's entry points of a group, or why they could not be read."""

    distribution: str
    version: str
    #: ``(name, value)`` pairs, in file order.
    entries: Tuple[Tuple[str, str], ...]
    error: str = ""


def normalize(name: str) -> str:
    """The PEP 503 form of a distribution name, which decides shadowing."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _metadata_dirs() -> Iterator[str]:
    """Every distribution metadata directory on ``sys.path``, first one wins."""
    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            raise Unusual(f"import hook {finder!r} finds distributions")
    seen = set()
    for entry in sys.path:
        root = entry or "."
        try:
            names = sorted(n for n in os.listdir(root) if n.lower().endswith(_SUFFIXES))
        except NotADirectoryError:
            raise Unusual(f"sys.path entry {entry!r} is not a directory") from None
        except OSError:
            continue  # missing or unreadable: importlib.metadata skips it too
        for name in names:
            key = normalize(name.rpartition(".")[0].split("-", 1)[0])
            if key in seen:
                continue  # an older copy further down sys.path is shadowed
            seen.add(key)
            yield os.path.join(root, name)


def parse_entry_points(text: str, group: str) -> List[Tuple[str, str]]:
    """The ``(name, value)`` pairs of *group* in an ``entry_points.txt``.

    Raises ``ValueError`` quoting the first line that is neither a section,
    a ``name = value`` pair, a comment nor blank.
    """
    return _parse_groups(text, (group,))[group]


def _parse_groups(text: str, groups: Sequence[str]) -> Dict[str, List[Tuple[str, str]]]:
    """:func:`parse_entry_points` for several groups in one reading."""
    found: Dict[str, List[Tuple[str, str]]] = {group: [] for group in groups}
    section: Optional[str] = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip() or section is None:
            raise ValueError(f"line {number}: {raw[:200]!r} is not 'name = value' in a section")
        if section in found:
            found[section].append((name.strip(), value.strip()))
    return found


def _name_and_version(directory: str) -> Tuple[str, str]:
    """``Name`` and ``Version`` from the metadata headers (they end at the first blank line)."""
    filename = "METADATA" if directory.lower().endswith(".dist-info") else "PKG-INFO"
    headers = read_bytes(os.path.join(directory, filename), MAX_METADATA_BYTES)
    name = version = ""
    for line in headers.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break
        field, _, value = line.partition(":")
        if field.lower() == "name" and not name:
            name = value.strip()
        elif field.lower() == "version" and not version:
            version = value.strip()
    if not name:
        raise ValueError(f"no Name header in {filename}")
    return name, version


def entry_points(group: str) -> List[DistEntryPoints]:
    """The installed distributions with entry points in *group*, in ``sys.path`` order.

    A distribution whose metadata cannot be read or parsed is listed with
    ``error`` set, so one broken package never hides the others.  Raises
    :class:`Unusual` for a layout only ``importlib.metadata`` understands.
    """
    return entry_points_of((group,))[group]


def entry_points_of(groups: Sequence[str]) -> Dict[str, List[DistEntryPoints]]:
    """:func:`entry_points` of each of *groups*, from one walk of ``sys.path``.

    The host reads two groups (its own and the standard's); one walk lists
    each directory and reads each ``entry_points.txt`` once for both.  A
    broken distribution is an error row of every group.
    """
    found: Dict[str, List[DistEntryPoints]] = {group: [] for group in groups}
    for directory in _metadata_dirs():
        path = os.path.join(directory, "entry_points.txt")
        pairs: Dict[str, List[Tuple[str, str]]] = {}
        try:
            text = read_bytes(path, MAX_METADATA_BYTES)
            pairs = _parse_groups(text.decode("utf-8"), groups)
            if not any(pairs.values()):
                continue
            name, version = _name_and_version(directory)
        except FileNotFoundError as exc:
            if exc.filename == path:
                continue  # no entry points at all: most distributions
            broken = _broken(directory, exc)
        except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            broken = _broken(directory, exc)
        else:
            for group, entries in pairs.items():
                if entries:
                    found[group].append(DistEntryPoints(name, version, tuple(entries)))
            continue
        # An unreadable file is an error of every group; unreadable headers, of those it has.
        for group in [g for g in groups if pairs.get(g)] if pairs else groups:
            found[group].append(broken)
    return found


def _broken(directory: str, exc: Exception) -> DistEntryPoints:
    """The error row of a distribution whose metadata could not be read or parsed."""
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return DistEntryPoints(_label(directory), "", (), f"{type(exc).__name__}: {detail}"[:300])


def _label(directory: str) -> str:
    """The distribution's name for an error row: its ``Name``, else the directory's."""
    try:
        return _name_and_version(directory)[0]
    except (OSError, ValueError):
        return os.path.basename(directory)


def load(value: str) -> Any:
    """Import an entry point's ``module:attribute.path`` value (in the child that runs it)."""
    module_name, _, attributes = value.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for part in attributes.strip().split(".") if attributes.strip() else ():
        obj = getattr(obj, part)
    return obj
