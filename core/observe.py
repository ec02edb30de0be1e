"""What a standard plugin looked at, observed in its child, so its answer can be cached honestly.

A ``variant_plugins`` plugin declares nothing about its inputs: it reads the
machine however it likes.  Its child process therefore watches it, from
just before the plugin's import until its answer is back, and reports the
inputs it saw:

* files it opened for reading (``open`` audit events), the sources of the
  modules it imported (a reinstall changes them), directories it listed
  (``os.listdir`` / ``os.scandir``), paths whose existence it checked
  (``os.stat``, ``os.lstat``, ``os.access`` — wrapped here, they raise no
  audit event), links it read (``os.readlink``, likewise) and environment
  variables it read (``os.environ`` and ``os.environb`` reads);
* programs it tried to start that are not installed (``subprocess`` found
  nothing on ``PATH``: the answer holds until one appears there).

Anything whose result cannot be asked again cheaply and exactly makes the
answer **opaque** (never cached), with the reason: a program that does
start, a native library (``ctypes``) or a C extension outside the standard
library (C code reads what it likes, unseen), a device opened, the network,
``mmap``, iterating the whole environment, a machine fact the interpreter
asks the kernel for without a file (:data:`_OPAQUE_CALLS`: the CPU count, a
file system's size, the load), or more inputs than :data:`MAX_OBSERVED`.
The standard library's own files are not inputs: the interpreter is part of
every cache key.

The parent recomputes each input through the :class:`~variant_providers.system.System`
seam (see :mod:`variant_providers.standard_plugins`), so the cache entry, and
the warm record built on it, are checked exactly like a built-in's fingerprint.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from typing import Any, Callable, Dict, List, Optional, Set

from .warm import sha256_hex

__all__ = ["MAX_OBSERVED", "Observer", "answers"]

#: More inputs than this, or longer paths in all, and the answer is not cached
#: (what the child reports stays far below its output limit).
MAX_OBSERVED = 512
MAX_OBSERVED_CHARS = 256 * 1024
#: Audit events after which an answer cannot be re-checked by reading files.
_OPAQUE_EVENTS = {
    "ctypes.dlopen": "loads a native library",
    "os.system": "runs a shell command",
    "os.exec": "runs a program",
    "os.posix_spawn": "runs a program",
    "os.spawn": "runs a program",
    "os.fork": "forks",
    "os.forkpty": "forks",
    "pty.spawn": "runs a program",
    "socket.connect": "uses the network",
    "socket.bind": "uses the network",
    "socket.getaddrinfo": "uses the network",
    "socket.gethostbyname": "uses the network",
    "urllib.Request": "uses the network",
    "mmap.__new__": "maps memory",
    "sqlite3.connect": "opens a database",
    "winreg.OpenKey": "reads the Windows registry",
    "winreg.QueryValue": "reads the Windows registry",
}


#: ``os`` functions whose answers come from the kernel without a file to read again.
_OPAQUE_CALLS = {
    "cpu_count": "asks the CPU count",
    "process_cpu_count": "asks the CPU count",
    "sched_getaffinity": "asks the CPU affinity",
    "sysconf": "asks sysconf",
    "statvfs": "asks a file system's size",
    "getloadavg": "asks the load average",
}

#: Folders holding installed packages, even inside the standard library's folder.
_PACKAGE_DIRS = ("site-packages", "dist-packages")


def _stdlib_dirs() -> List[str]:
    """The standard library's folders (where ``os`` lives, and its C extensions)."""
    stdlib = os.path.realpath(os.path.dirname(os.__file__))
    return [stdlib, os.path.join(stdlib, "lib-dynload")]


class Observer:
    """Watches the current process; :meth:`report` says what the watched code read."""

    def __init__(self) -> None:
        self.reads: List[str] = []
        self.listed: List[str] = []
        self.exists: List[str] = []
        self.links: List[str] = []
        self.programs: List[str] = []
        self.env: Dict[str, Optional[str]] = {}
        self.opaque: Optional[str] = None
        self._active = False
        self._busy = False
        self._seen: Set[str] = set()
        self._chars = 0
        self._ignored = [*_stdlib_dirs(), os.path.dirname(os.path.abspath(__file__))]
        self._restore: List[Callable[[], None]] = []

    # -- starting and stopping ------------------------------------------------------

    def start(self) -> None:
        """Begin watching (the audit hook stays installed; it is idle once stopped)."""
        sys.addaudithook(self._audit)
        for name in ("stat", "lstat", "access", "readlink"):
            self._wrap_path_function(name)
        for name, why in _OPAQUE_CALLS.items():
            self._wrap_opaque_call(name, why)
        self._track_environ()
        self._active = True

    def stop(self) -> None:
        """Stop watching; note the source of every module the plugin could have used.

        Every module loaded by then counts, also those this child had loaded
        before the plugin (a dependency it shares with us): upgrading one
        changes its file.  The standard library's and ours are not inputs.
        """
        self._active = False
        for undo in reversed(self._restore):
            undo()
        self._restore.clear()
        for name in sorted(sys.modules):
            spec = getattr(sys.modules.get(name), "__spec__", None)
            origin = getattr(spec, "origin", None)
            if isinstance(origin, str) and os.path.isabs(origin):
                self._module_file(name, origin)

    def report(self) -> Dict[str, Any]:
        """The inputs seen, as plain JSON; ``opaque`` set when they cannot be re-checked."""
        if self.opaque is not None:
            return {"opaque": self.opaque}
        return {
            "opaque": None,
            "reads": self.reads,
            "listed": self.listed,
            "exists": self.exists,
            "links": self.links,
            "programs": self.programs,
            "env": self.env,
        }

    # -- what counts ------------------------------------------------------------------

    def _make_opaque(self, why: str) -> None:
        if self.opaque is None:
            self.opaque = why

    def _ignored_path(self, path: str) -> bool:
        """The standard library's files and ours, and bytecode: not a plugin's inputs."""
        real = os.path.realpath(path)
        if real.endswith(".pyc"):
            return True
        for directory in self._ignored:
            if real == directory or real.startswith(directory + os.sep):
                rest = real[len(directory) :].split(os.sep)
                return not any(part in _PACKAGE_DIRS for part in rest)
        return False

    def _note(self, kind: List[str], label: str, raw: Any) -> None:
        if isinstance(raw, bytes):
            raw = os.fsdecode(raw)
        elif hasattr(raw, "__fspath__"):
            raw = os.fspath(raw)
        if not isinstance(raw, str):
            return  # a descriptor: its file was noted when it was opened
        path = os.path.abspath(raw or ".")
        if self._ignored_path(path) or f"{label}:{path}" in self._seen:
            return
        if label == "read" and (path == "/dev" or path.startswith("/dev/")):
            self._make_opaque(f"opens the device {path}")
            return
        self._seen.add(f"{label}:{path}")
        self._chars += len(path)
        if len(self._seen) > MAX_OBSERVED or self._chars > MAX_OBSERVED_CHARS:
            self._make_opaque(f"reads more than {MAX_OBSERVED} inputs")
            return
        kind.append(path)

    def _module_file(self, name: str, origin: str) -> None:
        if any(origin.endswith(suffix) for suffix in EXTENSION_SUFFIXES):
            if not self._ignored_path(origin):
                self._make_opaque(f"loads the C extension {name}")
            return
        self._note(self.reads, "read", origin)

    def _audit(self, event: str, args: Any) -> None:
        if not self._active or self._busy:
            return
        self._busy = True
        try:
            if event == "open":
                path, mode, flags = args
                writing = (mode is not None and any(c in mode for c in "wax+")) or (
                    mode is None and flags & (os.O_WRONLY | os.O_RDWR)
                )
                if not writing:
                    self._note(self.reads, "read", path)
            elif event in ("os.listdir", "os.scandir"):
                self._note(self.listed, "listed", args[0] if args else ".")
            elif event == "subprocess.Popen":
                self._program(args[0], args[1], args[3])
            elif event in _OPAQUE_EVENTS:
                self._make_opaque(_OPAQUE_EVENTS[event])
        except Exception as exc:  # an event of an unexpected shape: do not guess
            self._make_opaque(f"unreadable {event} event ({type(exc).__name__})")
        finally:
            self._busy = False

    def _program(self, executable: Any, argv: Any, env: Any) -> None:
        """A program about to start: fine while it is not installed, opaque once it is."""
        program = executable if executable is not None else None
        if program is None and isinstance(argv, (list, tuple)) and argv:
            program = argv[0]
        if program is None:
            program = argv
        program = os.fsdecode(program) if isinstance(program, (str, bytes)) else None
        if program is None:
            self._make_opaque("runs a program")
            return
        if os.sep in program:
            if os.path.exists(program):
                self._make_opaque(f"runs {program}")
            else:
                self._note(self.exists, "exists", program)
            return
        search = env.get("PATH") if isinstance(env, dict) else self._environ_get("PATH")
        for directory in (search or os.defpath).split(os.pathsep):
            if os.path.exists(os.path.join(directory or ".", program)):
                self._make_opaque(f"runs {program}")
                return
        if "PATH" not in self.env:
            self.env["PATH"] = self._environ_get("PATH")
        if program not in self.programs:
            self.programs.append(program)

    # -- the calls that raise no audit event -----------------------------------------------

    def _wrap_path_function(self, name: str) -> None:
        original = getattr(os, name, None)
        if original is None:
            return
        observer = self

        # A link's target is an input in itself (a PCI device's driver link names its driver).
        kind, label = (
            (observer.links, "link") if name == "readlink" else (observer.exists, "exists")
        )

        def watched(path: Any, *args: Any, **kwargs: Any) -> Any:
            if observer._active and not observer._busy:
                observer._busy = True
                try:
                    observer._note(kind, label, path)
                finally:
                    observer._busy = False
            return original(path, *args, **kwargs)

        setattr(os, name, watched)
        self._restore.append(lambda: setattr(os, name, original))

    def _wrap_opaque_call(self, name: str, why: str) -> None:
        original = getattr(os, name, None)
        if original is None:
            return
        observer = self

        def watched(*args: Any, **kwargs: Any) -> Any:
            if observer._active and not observer._busy:
                observer._make_opaque(why)
            return original(*args, **kwargs)

        setattr(os, name, watched)
        self._restore.append(lambda: setattr(os, name, original))

    def _environ_get(self, name: str) -> Optional[str]:
        # The mapping's own storage: reading it here is not the plugin reading a variable.
        value = os.environ._data.get(os.environ.encodekey(name))  # type: ignore[attr-defined]
        return None if value is None else os.environ.decodevalue(value)

    def _track_environ(self) -> None:
        self._watch(os.environ, lambda key: key if isinstance(key, str) else None)
        environb = getattr(os, "environb", None)  # POSIX: the same variables, as bytes
        if environb is not None:
            self._watch(environb, lambda key: os.fsdecode(key) if isinstance(key, bytes) else None)

    def _watch(self, environ: Any, name_of: Callable[[Any], Optional[str]]) -> None:
        """Note each variable read through the mapping *environ*; reading all of it is opaque."""
        base = type(environ)
        observer = self

        class Watched(base):  # type: ignore[valid-type,misc]
            def __getitem__(self, key: Any) -> Any:
                if observer._active and not observer._busy:
                    name = name_of(key)
                    if name is not None:
                        observer.env.setdefault(name, observer._environ_get(name))
                return base.__getitem__(self, key)

            def __iter__(self) -> Any:
                if observer._active and not observer._busy:
                    observer._make_opaque("reads the whole environment")
                return base.__iter__(self)

        environ.__class__ = Watched
        self._restore.append(lambda: setattr(environ, "__class__", base))


# -- the parent's half: asking the same questions again through the System seam ------------


def answers(observed: Any, system: Any) -> Optional[Dict[str, Any]]:
    """What each observed input gives now, or ``None`` when *observed* cannot be re-asked.

    Read through *system* (the live machine; a warm recorder's system notes
    every question, so the warm record covers the cached answer too).  Equal
    answers, same inputs: the cached answer of the plugin still holds.
    """
    if not isinstance(observed, dict) or observed.get("opaque") is not None:
        return None
    try:
        kinds = ("reads", "listed", "exists", "links", "programs", "env")
        if sum(len(observed[k]) for k in kinds) > MAX_OBSERVED + 1:  # PATH comes with programs
            return None  # more than a child reports: never asked again, never stored
        found: Dict[str, Any] = {}
        for path in observed["reads"]:
            try:
                found[f"read:{path}"] = sha256_hex(system.read_bytes(str(path)))
            except (OSError, ValueError) as exc:
                found[f"read:{path}"] = f"!{getattr(exc, 'errno', None)}"
        for path in observed["listed"]:
            try:
                names = sorted(system.listdir(str(path)))
                found[f"listed:{path}"] = sha256_hex("\0".join(names).encode("utf-8", "replace"))
            except (OSError, ValueError) as exc:
                found[f"listed:{path}"] = f"!{getattr(exc, 'errno', None)}"
        for path in observed["exists"]:
            found[f"exists:{path}"] = bool(system.exists(str(path)))
        for path in observed["links"]:
            try:
                found[f"link:{path}"] = system.readlink(str(path))
            except (OSError, ValueError) as exc:
                found[f"link:{path}"] = f"!{getattr(exc, 'errno', None)}"
        for name in observed["env"]:
            found[f"env:{name}"] = system.getenv(str(name))
        search = (system.getenv("PATH") or os.defpath).split(os.pathsep)
        for program in observed["programs"]:
            places = [os.path.join(d or ".", str(program)) for d in search]
            found[f"program:{program}"] = any(system.exists(p) for p in places)
    except (KeyError, TypeError, AttributeError):
        return None
    return found
