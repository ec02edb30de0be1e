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

import hashlib
from typing import Callable, Iterable, List

from .system import System

__all__ = ["file_fingerprint", "fingerprint_of"]


def fingerprint_of(
    system: System,
    files: Iterable[str] = (),
    listings: Iterable[str] = (),
    exists: Iterable[str] = (),
    lines: Iterable[tuple[str, str]] = (),
) -> str:
    """A digest of the given machine facts; unreadable ones count as a fact too.

    ``lines`` takes ``(path, prefix)`` pairs and keeps only the first line of
    the file starting with *prefix* — for files such as ``/proc/cpuinfo`` whose
    other lines (clock speeds) change all the time.
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
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def file_fingerprint(
    files: Iterable[str] = (),
    listings: Iterable[str] = (),
    exists: Iterable[str] = (),
    lines: Iterable[tuple[str, str]] = (),
) -> Callable[[System], str]:
    """A ``Provider.fingerprint`` function over fixed paths (see :func:`fingerprint_of`)."""
    f, ls, ex, ln = tuple(files), tuple(listings), tuple(exists), tuple(lines)

    def fingerprint(system: System) -> str:
        return fingerprint_of(system, f, ls, ex, ln)

    return fingerprint
