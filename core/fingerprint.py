"""Cheap cache fingerprints built from files, listings and existence checks.

A provider's ``fingerprint(system)`` must change whenever its answer could,
and cost no more than a few file reads.  Most are "these version files, these
directory listings, these device nodes", so they are declared, not written::

    fingerprint = file_fingerprint(
        files=["/sys/module/nvidia/version"],
        listings=["/proc/driver/nvidia/gpus"],
        exists=["/dev/nvidia0", "/dev/dxg"],
    )
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Tuple

from .system import System
from .warm import sha256_hex

__all__ = ["FileFingerprint", "file_fingerprint", "fingerprint_of"]


def fingerprint_of(
    system: System,
    files: Iterable[str] = (),
    listings: Iterable[str] = (),
    exists: Iterable[str] = (),
    lines: Iterable[tuple[str, str]] = (),
    *,
    entries: Iterable[tuple[str, str]] = (),
) -> str:
    """A digest of the given machine facts; unreadable ones count as a fact too.

    ``lines`` takes ``(path, prefix)`` pairs and keeps only the first line of
    the file starting with *prefix* — for files such as ``/proc/cpuinfo`` whose
    other lines (clock speeds) change all the time.  ``entries`` takes
    ``(directory, name)`` pairs: the file *name* in every entry of
    *directory* (``/sys/class/acme/*/generation``), and the listing itself.
    """
    parts: List[str] = []
    for path in files:
        try:
            parts.append(f"f:{path}={system.read_text(path).strip()}")
        except OSError as exc:
            parts.append(f"f:{path}!{exc.errno}")
    for path in listings:
        try:
            parts.append(f"l:{path}={','.join(system.listdir(path))}")
        except OSError as exc:
            parts.append(f"l:{path}!{exc.errno}")
    parts.extend(f"e:{path}={system.exists(path)}" for path in exists)
    for path, prefix in lines:
        try:
            text = system.read_text(path)
        except OSError as exc:
            parts.append(f"p:{path}!{exc.errno}")
            continue
        found = next((ln for ln in text.splitlines() if ln.startswith(prefix)), "")
        parts.append(f"p:{path}:{prefix}={found.strip()}")
    for directory, name in entries:
        try:
            listed = system.listdir(directory)
        except OSError as exc:
            parts.append(f"d:{directory}!{exc.errno}")
            continue
        if len(listed) > MAX_ENTRIES:
            parts.append(f"d:{directory}+{len(listed) - MAX_ENTRIES}")
        for entry in listed[:MAX_ENTRIES]:
            path = f"{directory.rstrip('/')}/{entry}/{name}"
            try:
                parts.append(f"d:{path}={system.read_text(path).strip()}")
            except OSError as exc:
                parts.append(f"d:{path}!{exc.errno}")
    return sha256_hex("\n".join(parts).encode("utf-8"))


class FileFingerprint:
    """A ``Provider.fingerprint`` declared as data: the paths it reads, lists and checks.

    Calling it computes :func:`fingerprint_of` over those paths.  Because it is
    data, its :meth:`spec` can be stored as plain JSON and the digest computed
    again from it without the provider's code: that is how a third-party
    provider, which runs only in a child process, is cached (the child sends
    the spec, the parent recomputes the digest on the next run).  A
    fingerprint written as an arbitrary function cannot be sent this way.

    The spec's shape (stored in the cache; keep it stable)::

        {"files": [path, ...], "listings": [path, ...], "exists": [path, ...],
         "lines": [[path, prefix], ...], "entries": [[directory, name], ...]}
    """

    __slots__ = ("entries", "exists", "files", "lines", "listings")

    def __init__(
        self,
        files: Iterable[str] = (),
        listings: Iterable[str] = (),
        exists: Iterable[str] = (),
        lines: Iterable[Tuple[str, str]] = (),
        entries: Iterable[Tuple[str, str]] = (),
    ) -> None:
        self.files = tuple(files)
        self.listings = tuple(listings)
        self.exists = tuple(exists)
        self.lines = tuple((str(p), str(prefix)) for p, prefix in lines)
        self.entries = tuple((str(d), str(name)) for d, name in entries)

    def __call__(self, system: System) -> str:
        return fingerprint_of(
            system, self.files, self.listings, self.exists, self.lines, entries=self.entries
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileFingerprint) and self.spec() == other.spec()

    def __hash__(self) -> int:
        return hash(json.dumps(self.spec(), sort_keys=True))

    def __repr__(self) -> str:
        return f"FileFingerprint({self.spec()!r})"

    def spec(self) -> Dict[str, List[Any]]:
        """The declared paths as plain JSON (see the class docstring for the shape)."""
        return {
            "files": list(self.files),
            "listings": list(self.listings),
            "exists": list(self.exists),
            "lines": [list(pair) for pair in self.lines],
            "entries": [list(pair) for pair in self.entries],
        }

    @classmethod
    def from_spec(cls, spec: Any) -> FileFingerprint:
        """Rebuild one from :meth:`spec` output; ``ValueError`` for anything else."""
        if not isinstance(spec, dict) or set(spec) - {*_PATHS, *_PAIRS}:
            raise ValueError("a fingerprint spec is an object of files/listings/exists/lines")
        paths = {k: spec.get(k, []) for k in _PATHS}
        if not all(
            isinstance(v, list) and all(isinstance(p, str) for p in v) for v in paths.values()
        ):
            raise ValueError("fingerprint paths must be lists of strings")
        pairs = {k: spec.get(k, []) for k in _PAIRS}
        if not all(
            isinstance(v, list)
            and all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
                for p in v
            )
            for v in pairs.values()
        ):
            raise ValueError("fingerprint lines and entries must be pairs of strings")
        if sum(map(len, [*paths.values(), *pairs.values()])) > MAX_SPEC_PATHS:
            raise ValueError(f"a fingerprint spec names more than {MAX_SPEC_PATHS} paths")
        lines, entries = ([(p[0], p[1]) for p in pairs[k]] for k in _PAIRS)
        return cls(paths["files"], paths["listings"], paths["exists"], lines, entries)


#: Most paths a spec may name: a third-party child chooses them, the parent reads them.
MAX_SPEC_PATHS = 256
#: Most entries of one directory an ``entries`` pair reads (the rest count as their number).
MAX_ENTRIES = 256

#: The keys of a spec holding paths, and those holding pairs of strings.
_PATHS = ("files", "listings", "exists")
_PAIRS = ("lines", "entries")


def file_fingerprint(
    files: Iterable[str] = (),
    listings: Iterable[str] = (),
    exists: Iterable[str] = (),
    lines: Iterable[Tuple[str, str]] = (),
    entries: Iterable[Tuple[str, str]] = (),
) -> FileFingerprint:
    """A declarative ``Provider.fingerprint`` over fixed paths (see :class:`FileFingerprint`)."""
    return FileFingerprint(files, listings, exists, lines, entries)
