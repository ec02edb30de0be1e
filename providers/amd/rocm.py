"""Find the installed ROCm userspace and read its version from its version files.

Root, in order: ``ROCM_PATH``, ``ROCM_HOME``, the ROCm that ``hipcc`` on
``PATH`` belongs to, ``/opt/rocm``, and the single ``/opt/rocm-X.Y.Z`` when
there is exactly one.  Files, in order, in each root: ``.info/version``
(``6.2.0-66``), ``.info/version-dev`` (older installs), ``core/.info/version``
(TheRock native packages), ``include/rocm-core/rocm_version.h`` and the older
``include/rocm_version.h``.  Missing ROCm is a normal state, not an error.
"""

from __future__ import annotations

import posixpath
import re
from typing import Dict, Iterator, Optional, Set, Tuple

from variant_providers import lazy_re
from variant_providers.probe import list_optional, read_optional
from variant_providers.record_class import dataclass
from variant_providers.system import System

__all__ = [
    "RocmInstall",
    "RocmLookup",
    "find_rocm",
    "parse_version_file",
    "parse_version_header",
    "rocm_roots",
]

DEFAULT_ROOT = "/opt/rocm"

VERSION_FILES = (".info/version", ".info/version-dev", "core/.info/version")
HEADER_FILES = ("include/rocm-core/rocm_version.h", "include/rocm_version.h")

# ``x.y[.z][-build]``; digit counts are bounded so that a garbage file of
# digits is rejected instead of being converted.
_VERSION_RE = lazy_re.compile(
    r"([0-9]{1,4})\.([0-9]{1,4})(?:\.([0-9]{1,6}))?(?:[-+~][0-9A-Za-z.~+_-]{0,64})?"
)
_DEFINE_RE = lazy_re.compile(
    r"^[ \t]*#[ \t]*define[ \t]+ROCM_VERSION_(MAJOR|MINOR|PATCH)[ \t]+\(?([0-9]{1,6})\)?[ \t]*$",
    re.MULTILINE,
)
_VERSIONED_DIR_RE = lazy_re.compile(r"rocm-[0-9]{1,4}\.[0-9]{1,4}(?:\.[0-9]{1,6})?")

Version = Tuple[int, int, Optional[int]]


def parse_version_file(text: str) -> Optional[Version]:
    """``.info/version`` text → ``(major, minor, patch)``; ``None`` when it is not one.

    The first non-empty line must be the whole version: ``7.2.0``,
    ``6.2.0-66``, ``6.4``.  Anything else (garbage, truncation to ``6.``,
    absurdly long numbers) is "no version".
    """
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _VERSION_RE.fullmatch(line)
        if match is None:
            return None
        patch = match.group(3)
        return int(match.group(1)), int(match.group(2)), int(patch) if patch else None
    return None


def parse_version_header(text: str) -> Optional[Version]:
    """``rocm_version.h`` → ``(major, minor, patch)`` from its ``#define`` lines."""
    found: Dict[str, int] = {}
    for name, value in _DEFINE_RE.findall(text):
        found.setdefault(name, int(value))
    if "MAJOR" not in found or "MINOR" not in found:
        return None
    if found["MAJOR"] > 9999 or found["MINOR"] > 9999:
        return None
    return found["MAJOR"], found["MINOR"], found.get("PATCH")


@dataclass(frozen=True)
class RocmInstall:
    """An installed ROCm found through one of its version files."""

    major: int
    minor: int
    patch: Optional[int]
    root: str
    file: str
    how: str

    @property
    def value(self) -> str:
        """The ``rocm_version`` property value: ``major.minor``."""
        return f"{self.major}.{self.minor}"

    @property
    def full(self) -> str:
        return self.value if self.patch is None else f"{self.value}.{self.patch}"

    def to_info(self) -> dict[str, object]:
        return {"version": self.full, "root": self.root, "file": self.file, "found_by": self.how}


def _resolve(system: System, path: str) -> str:
    """Follow symlinks of *path* (the last component, repeatedly) through the seam."""
    for _ in range(16):
        try:
            target = system.readlink(path)
        except OSError:
            return path
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return path


def _hipcc_root(system: System) -> Optional[str]:
    search = system.getenv("PATH") or ""
    for directory in search.split(":"):
        if not directory.startswith("/"):
            continue
        candidate = posixpath.join(directory, "hipcc")
        if not system.exists(candidate):
            continue
        real = _resolve(system, candidate)
        root = posixpath.dirname(posixpath.dirname(real))
        if posixpath.basename(root) == "hip":
            root = posixpath.dirname(root)
        return root or None
    return None


def rocm_roots(system: System) -> Iterator[Tuple[str, str]]:
    """Candidate ROCm roots, best first, as ``(path, how it was found)``.

    Lazy: the later candidates (``hipcc`` on ``PATH``, the ``/opt`` listing)
    are only looked for when the earlier ones gave no version.
    """
    seen: Set[str] = set()

    def fresh(path: str) -> bool:
        if path in seen:
            return False
        seen.add(path)
        return True

    for var in ("ROCM_PATH", "ROCM_HOME"):
        value = (system.getenv(var) or "").strip()
        if value.startswith("/") and fresh(posixpath.normpath(value)):
            yield posixpath.normpath(value), var
    hip = _hipcc_root(system)
    if hip and fresh(hip):
        yield hip, "hipcc on PATH"
    if fresh(DEFAULT_ROOT):
        yield DEFAULT_ROOT, "default"
    listing = list_optional(system, "/opt").names or []
    versioned = [n for n in listing if _VERSIONED_DIR_RE.fullmatch(n)]
    if len(versioned) == 1 and fresh(f"/opt/{versioned[0]}"):
        yield f"/opt/{versioned[0]}", "only /opt/rocm-* directory"


def read_version_in(system: System, root: str, how: str) -> Optional[RocmInstall]:
    """The version of the ROCm installed at *root*, from its first readable version file."""
    sources = [(rel, parse_version_file) for rel in VERSION_FILES]
    sources += [(rel, parse_version_header) for rel in HEADER_FILES]
    for rel, parse in sources:
        path = posixpath.join(root, rel)
        text = read_optional(system, path).text
        if text is None:
            continue
        version = parse(text)
        if version is not None:
            return RocmInstall(*version, root=root, file=path, how=how)
    return None


def find_rocm(system: System) -> Optional[RocmInstall]:
    """The installed ROCm, or ``None`` (no ROCm userspace is a normal state)."""
    for root, how in rocm_roots(system):
        found = read_version_in(system, root, how)
        if found is not None:
            return found
    return None


class RocmLookup:
    """Find the ROCm install at most once per detection, and only when asked."""

    def __init__(self, system: System) -> None:
        self._system = system
        self._done = False
        self._found: Optional[RocmInstall] = None

    def get(self) -> Optional[RocmInstall]:
        if not self._done:
            self._done = True
            self._found = find_rocm(self._system)
        return self._found

    def command(self, name: str) -> str:
        """*name* in the install's ``bin`` when it is there, else the bare name (``PATH``)."""
        install = self.get()
        if install is not None:
            candidate = f"{install.root}/bin/{name}"
            if self._system.exists(candidate):
                return candidate
        return name
