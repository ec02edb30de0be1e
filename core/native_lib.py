"""Where a vendor library is looked for on each OS, and the one loader that uses it.

Each native facade that loads a driver library through ctypes declares one
:class:`LibrarySearch`: a small table from OS (``platform.system()`` names)
to the names it tries, in order.  Names without a directory go through the
OS loader's own search (``LD_LIBRARY_PATH``, ``ld.so.cache``; ``PATH`` and
the system directory on Windows), which is how distributions and driver
installers place them and how the test suite's stand-in libraries are found.
Adding an OS is adding a row; :func:`load_library` is shared.

Imported only inside native-facade child processes (and by tests).
"""

from __future__ import annotations

import sys
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from .record_class import dataclass

__all__ = ["LibrarySearch", "current_os", "load_library"]


def current_os() -> str:
    """This process's OS as ``platform.system()`` names it."""
    if sys.platform.startswith("win"):
        return "Windows"
    if sys.platform == "darwin":
        return "Darwin"
    return "Linux"


@dataclass(frozen=True)
class LibrarySearch:
    """The names one library goes by, per OS, most likely first."""

    library: str
    names: Mapping[str, Tuple[str, ...]]

    def candidates(self, os_name: Optional[str] = None) -> Tuple[str, ...]:
        return tuple(self.names.get(os_name or current_os(), ()))


def load_library(
    search: LibrarySearch,
    os_name: Optional[str] = None,
    names: Optional[Sequence[str]] = None,
) -> Tuple[Optional[Any], str, List[str]]:
    """``(library or None, the name that loaded, the errors of the names that did not)``.

    *os_name* picks another OS's row, so the Windows names can be exercised
    with stand-ins of those names on Linux; *names* (full paths a provider
    found through the seam) replace the row.
    """
    import ctypes

    errors: List[str] = []
    candidates = tuple(names) if names else search.candidates(os_name)
    for name in candidates:
        try:
            return ctypes.CDLL(name), name, errors
        except OSError as exc:
            errors.append(f"{name}: {exc}")
    if not candidates:
        errors.append(f"no {search.library} name known for {os_name or current_os()}")
    return None, "", errors
