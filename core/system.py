"""The machine seam: the only way a provider may look at the machine.

Providers never call ``open``, ``os.environ``, ``platform`` or ``subprocess``
themselves.  They get a :class:`System` and ask it.  That one rule is what
lets a machine recorded elsewhere (a GPU server, a laptop, a bug reporter's
box) be replayed exactly on a machine with no GPU at all — see
:mod:`variant_providers.replay` and ``fixtures/README.md``.

The seam has five parts:

* **files** — :meth:`System.read_text`, :meth:`~System.read_bytes`,
  :meth:`~System.listdir`, :meth:`~System.exists`, :meth:`~System.readlink`.
  Paths are absolute POSIX paths of the machine (``/proc/cpuinfo``); errors
  are ordinary :class:`OSError` subclasses carrying the errno, so a
  permission-masked sysfs node is a testable input, not a crash.
* **environment** — :meth:`System.getenv` (one variable at a time, so a
  recording holds only the variables a provider actually looked at).
* **platform** — :attr:`System.platform` (OS, machine, release).
* **commands** — :meth:`System.run` runs an argv (never a shell) with a
  timeout and returns a :class:`CommandResult`; "not installed", "timed out"
  and "not allowed" are results, not exceptions.
* **native facades** — :meth:`System.native` calls a vendor API (NVML,
  libcuda, Level Zero, CPUID …) through a :class:`NativeFacade`, whose JSON
  answer, computed in a child interpreter (:mod:`variant_providers.native`),
  is what the provider sees.
"""

from __future__ import annotations

import errno
import os
import time
from typing import Any, Mapping, Optional, Protocol, Sequence, runtime_checkable

from .children import ChildOutputTooLarge, ChildTimeout, kill_process_group
from .libraries import DRIVE_RE, LibraryPlace, find_libraries, machine_path, native_join
from .native import (
    DEFAULT_TIMEOUT,
    NativeError,
    NativeFacade,
    NativeTimeout,
    NativeUnavailable,
    run_bounded,
    run_python_child,
)
from .platform_info import PlatformInfo
from .record_class import dataclass
from .safefs import read_bytes as _safe_read
from .settings import MAX_TIMEOUT, seconds

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_READ_BYTES",
    "LibraryPlace",
    "TIMEOUT_VAR",
    "ChildOutputTooLarge",
    "ChildTimeout",
    "CommandResult",
    "LiveSystem",
    "NativeError",
    "NativeFacade",
    "NativeTimeout",
    "NativeUnavailable",
    "PlatformInfo",
    "System",
    "SystemProxy",
    "find_libraries",
    "kill_process_group",
    "machine_path",
    "native_join",
    "os_error",
    "run_bounded",
    "run_python_child",
    "timeout_from",
]

#: Environment variable that changes :data:`DEFAULT_TIMEOUT` for a live run.
TIMEOUT_VAR = "VARIANT_PROVIDERS_TIMEOUT"

#: Largest file the live seam reads; anything bigger is not a sysfs/procfs
#: fact and is refused with ``EFBIG`` rather than read into memory.
MAX_READ_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class CommandResult:
    """The outcome of :meth:`System.run`.

    Exactly one of these holds: the command ran (``returncode`` is an int,
    possibly non-zero), it timed out (``timed_out``), or it could not be
    started (``error`` is an errno name such as ``"ENOENT"`` for "not
    installed" or ``"EACCES"``; ``"EFBIG"`` when it wrote more than
    :data:`~variant_providers.children.STDOUT_LIMIT` bytes and was killed).
    """

    argv: tuple[str, ...]
    returncode: Optional[int] = None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    error: Optional[str] = None
    duration_ms: float = 0.0
    #: The limit in force when it timed out, in words ("the 5 s time limit of
    #: this detection"); set by whoever imposed it, so the message names it.
    limit: str = ""

    @property
    def ok(self) -> bool:
        """True when the command ran and exited 0."""
        return self.returncode == 0 and not self.timed_out and self.error is None

    def describe(self) -> str:
        """One line for ``info`` and error messages."""
        name = self.argv[0] if self.argv else "?"
        if self.error == "ENOENT":
            return f"{name}: not found"
        if self.error == "EFBIG":
            return f"{name}: output too large"
        if self.error:
            return f"{name}: cannot run ({self.error})"
        if self.timed_out:
            limit = f", no answer within {self.limit}" if self.limit else ""
            return f"{name}: timed out{limit}"
        return f"{name}: exit {self.returncode}"


def os_error(code_name: str, path: str) -> OSError:
    """Build the :class:`OSError` subclass Python raises for errno *code_name*."""
    code = getattr(errno, code_name, errno.EIO)
    return OSError(code, os.strerror(code), path)


@runtime_checkable
class System(Protocol):
    """Everything a provider may learn about the machine.  See module docs."""

    @property
    def platform(self) -> PlatformInfo: ...

    def getenv(self, name: str, default: Optional[str] = None) -> Optional[str]: ...

    def read_text(self, path: str) -> str: ...

    def read_bytes(self, path: str) -> bytes: ...

    def listdir(self, path: str) -> list[str]: ...

    def exists(self, path: str) -> bool: ...

    def readlink(self, path: str) -> str: ...

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult: ...

    def native(self, facade: NativeFacade) -> Any: ...


class SystemProxy:
    """A :class:`System` that forwards every question to another one.

    Subclass it to watch or change one kind of answer (the host records the
    environment variables a provider reads this way) without re-stating the
    rest of the seam.
    """

    def __init__(self, inner: System) -> None:
        self.inner = inner

    @property
    def platform(self) -> PlatformInfo:
        return self.inner.platform

    def getenv(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.inner.getenv(name, default)

    def read_text(self, path: str) -> str:
        return self.inner.read_text(path)

    def read_bytes(self, path: str) -> bytes:
        return self.inner.read_bytes(path)

    def listdir(self, path: str) -> list[str]:
        return self.inner.listdir(path)

    def exists(self, path: str) -> bool:
        return self.inner.exists(path)

    def readlink(self, path: str) -> str:
        return self.inner.readlink(path)

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        return self.inner.run(argv, timeout)

    def native(self, facade: NativeFacade) -> Any:
        return self.inner.native(facade)


def _this_platform() -> PlatformInfo:
    """``platform.uname()``'s system, machine and release; ``os.uname()`` where there is one."""
    if hasattr(os, "uname"):  # POSIX: the same three fields, without importing platform
        uname = os.uname()
        return PlatformInfo(uname.sysname, uname.machine, uname.release)
    import platform  # Windows: platform asks the registry and the environment

    win = platform.uname()
    return PlatformInfo(win.system, win.machine, win.release)


class LiveSystem:
    """The real machine.

    ``root`` prefixes every file path (default ``/``), which lets a test point
    the live seam at a directory tree; ``platform`` replaces what this process
    reports (a Jetson's ``aarch64`` tree examined on an x86-64 box).
    Environment (``environ``, default this process's) is also the environment
    of every command and native child, so ``LD_LIBRARY_PATH`` there decides
    which vendor libraries they load.
    """

    def __init__(
        self,
        root: str = "/",
        environ: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        platform: Optional[PlatformInfo] = None,
    ) -> None:
        self._root = root
        self._environ: Mapping[str, str] = dict(os.environ if environ is None else environ)
        if platform is None:
            platform = _this_platform()
        self._platform = platform
        #: When set, an upper bound for every command and native call (``--timeout`` /
        #: ``VARIANT_PROVIDERS_TIMEOUT``); each call's own timeout holds below it.
        self.timeout = (
            timeout_from(self._environ)
            if timeout is None
            else seconds(timeout, "timeout", maximum=MAX_TIMEOUT)
        )

    def __repr__(self) -> str:
        return f"LiveSystem(root={self._root!r})"

    @property
    def root(self) -> str:
        """The directory file paths are read under (``/`` for the machine itself)."""
        return self._root

    @property
    def environ(self) -> Mapping[str, str]:
        """The environment detection reads, also that of every child it starts."""
        return self._environ

    @property
    def source(self) -> str:
        """How reports name this machine."""
        return "live" if self._root in ("", "/") else f"live, root {self._root}"

    def _path(self, path: str) -> str:
        if self._root in ("", "/"):
            # A drive path in machine form (``/C:/Windows``) is ``C:/Windows`` to Windows.
            return path[1:] if os.name == "nt" and DRIVE_RE.match(path) else path
        return os.path.join(self._root, path.lstrip("/"))

    @property
    def platform(self) -> PlatformInfo:
        return self._platform

    def getenv(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self._environ.get(name, default)

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", "replace")

    def read_bytes(self, path: str) -> bytes:
        # Regular files only (sysfs and procfs nodes are), never blocking, capped.
        return _safe_read(self._path(path), MAX_READ_BYTES)

    def listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(self._path(path)))

    def exists(self, path: str) -> bool:
        return os.path.lexists(self._path(path))

    def readlink(self, path: str) -> str:
        return os.readlink(self._path(path))

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        args = tuple(argv)
        limit = timeout if self.timeout is None else min(timeout, self.timeout)
        start = time.perf_counter()
        try:
            returncode, out, err = run_bounded(args, limit, self._environ)
        except ChildTimeout:
            return CommandResult(args, timed_out=True, duration_ms=_ms_since(start))
        except ChildOutputTooLarge:
            return CommandResult(args, error="EFBIG", duration_ms=_ms_since(start))
        except OSError as exc:
            name = errno.errorcode.get(exc.errno or 0, "EIO")
            return CommandResult(args, error=name, duration_ms=_ms_since(start))
        return CommandResult(
            args,
            returncode=returncode,
            stdout=out.decode("utf-8", "replace"),
            stderr=err.decode("utf-8", "replace"),
            duration_ms=_ms_since(start),
        )

    def native(self, facade: NativeFacade) -> Any:
        limit = facade.timeout if self.timeout is None else min(facade.timeout, self.timeout)
        return run_python_child(
            facade.target, facade.args, timeout=limit, env=self._environ, what=facade.name
        )


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1e3


def timeout_from(environ: Mapping[str, str]) -> Optional[float]:
    """:data:`TIMEOUT_VAR` in seconds; a bad value is an ``InvalidSetting``, not ignored."""
    text = environ.get(TIMEOUT_VAR, "").strip()
    return seconds(text, TIMEOUT_VAR, maximum=MAX_TIMEOUT) if text else None
