"""Where vendor libraries live, and Windows paths in the seam's POSIX form.

A provider looks for a library by its install places (an environment
variable naming a base directory, a path below it) before it asks a native
facade to load it, so a machine without the library is told apart by file
checks alone.  On Windows those places are drive paths; the seam's file
methods take POSIX paths, so :func:`machine_path` writes ``C:\\Windows`` as
``/C:/Windows`` and a Windows machine is recorded and replayed like any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Sequence

from . import lazy_re
from .record_class import dataclass

if TYPE_CHECKING:  # the seam's type only; system.py re-exports these names
    from .system import System

__all__ = ["DRIVE_RE", "LibraryPlace", "find_libraries", "machine_path", "native_join"]

#: A drive path, with or without the seam's leading slash (``C:\\``, ``/C:/``).
DRIVE_RE = lazy_re.compile(r"/?[A-Za-z]:[\\/]")


def machine_path(native: str) -> str:
    """A Windows path in the seam's absolute POSIX form: ``C:\\Windows`` → ``/C:/Windows``.

    Recorded machines and the file methods of :class:`System` take POSIX
    paths only; a drive path keeps its drive as the first component, so a
    Windows machine is recorded and replayed like any other.  POSIX paths
    are returned unchanged.
    """
    if DRIVE_RE.match(native) and not native.startswith("/"):
        return "/" + native.replace("\\", "/")
    return native


def native_join(base: str, *parts: str) -> str:
    """*parts* below directory *base*, joined in *base*'s own style (``\\`` for a drive path)."""
    sep = "\\" if DRIVE_RE.match(base) or "\\" in base else "/"
    return sep.join([base.rstrip("\\/"), *(p.strip("\\/").replace("/", sep) for p in parts)])


@dataclass(frozen=True)
class LibraryPlace:
    """One place a vendor library may be installed: ``path`` below the directory
    that environment variable ``base`` names (``default`` when it is unset)."""

    base: str
    path: str
    default: str = ""

    def resolve(self, system: System) -> Optional[str]:
        """The library's native path on *system*, or ``None`` when the base is unknown."""
        root = system.getenv(self.base) or self.default
        return native_join(root, self.path) if root else None


def find_libraries(system: System, places: Sequence[LibraryPlace]) -> List[str]:
    """The native paths of *places* that exist on *system*, in order, each once.

    File checks only — no library is loaded — so a machine without the
    vendor's library is told apart without starting a child process.
    """
    found: List[str] = []
    for place in places:
        path = place.resolve(system)
        if path is None or path in found:
            continue
        try:
            present = system.exists(machine_path(path))
        except (OSError, ValueError):
            present = False
        if present:
            found.append(path)
    return found
