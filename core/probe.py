"""Optional reads: "read this file if it is there, and note why not".

Providers probe many files that may legitimately be missing (a driver not
installed, a sysfs node another kernel lacks) and a few that exist but cannot
be read (permissions, a vanished node).  The first is normal and silent; the
second is worth a note in the report.  Every provider asks the same way:

>>> found = read_optional(system, "/sys/module/nvidia/version")  # doctest: +SKIP
>>> found.text or found.note                                     # doctest: +SKIP
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, List, Optional, Tuple

from .record_class import dataclass

if TYPE_CHECKING:
    from .system import System

__all__ = ["Listing", "Read", "list_optional", "read_optional"]


@dataclass(frozen=True)
class _Outcome:
    path: str
    #: Why it could not be read, in words (``""`` when it was).
    why_not: str = ""
    #: The errno name of the failure (``ENOENT``, ``EACCES`` …; ``""`` when read).
    code: str = ""

    @property
    def missing(self) -> bool:
        """It is not there (no such file, or a parent is not a directory): nothing to say."""
        return self.code in ("ENOENT", "ENOTDIR")

    @property
    def note(self) -> str:
        """``"path: reason"`` for a failure worth reporting; ``""`` when read or simply missing."""
        return f"{self.path}: {self.why_not}" if self.why_not and not self.missing else ""


@dataclass(frozen=True)
class Read(_Outcome):
    """One optional file read: its ``text``, or ``None`` and why not."""

    text: Optional[str] = None


@dataclass(frozen=True)
class Listing(_Outcome):
    """One optional directory listing: its ``names``, or ``None`` and why not."""

    names: Optional[List[str]] = None


def _failure(exc: OSError) -> Tuple[str, str]:
    code = errno.errorcode.get(exc.errno or 0, "")
    if not code:
        code = "ENOENT" if isinstance(exc, FileNotFoundError) else "EIO"
    if isinstance(exc, NotADirectoryError):
        code = "ENOTDIR"
    return str(exc.strerror or exc), code


def read_optional(system: System, path: str) -> Read:
    """The text of *path* on *system*, or why it could not be read (never raises ``OSError``)."""
    try:
        return Read(path, text=system.read_text(path))
    except OSError as exc:
        why, code = _failure(exc)
        return Read(path, why_not=why, code=code)


def list_optional(system: System, path: str) -> Listing:
    """The entries of directory *path* on *system*, or why it could not be listed."""
    try:
        return Listing(path, names=system.listdir(path))
    except OSError as exc:
        why, code = _failure(exc)
        return Listing(path, why_not=why, code=code)
