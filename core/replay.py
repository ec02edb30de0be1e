"""Recorded machines: replay one exactly (recording one: :mod:`variant_providers.recording`).

A recorded machine is a directory holding ``machine.json`` and, optionally, a
``root/`` tree with files at their absolute paths (``root/proc/cpuinfo``).
The format is the contract for vendors and bug reports; it is documented key
by key in ``fixtures/README.md``.

:class:`ReplaySystem` answers every :class:`~variant_providers.system.System`
question from the recording and never touches the live machine — not its
files, not its environment, not its commands.  :meth:`ReplaySystem.from_dict`
does the same for a document written inline (a test's machine, no directory).
:class:`RecordingSystem` (re-exported here) writes recordings in this format.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Union

from .machine_file import (
    MACHINE_SCHEMA,
    InvalidMachine,
    check_manifest,
    check_root,
    command_key,
    confined,
    norm_path,
    read_manifest,
)
from .recording import RecordingSystem
from .safefs import read_bytes as _safe_read
from .system import (
    DEFAULT_TIMEOUT,
    MAX_READ_BYTES,
    CommandResult,
    NativeError,
    NativeFacade,
    NativeTimeout,
    NativeUnavailable,
    PlatformInfo,
    os_error,
)

__all__ = ["MACHINE_SCHEMA", "InvalidMachine", "RecordingSystem", "ReplaySystem", "command_key"]


def _parent(path: str) -> str:
    return norm_path(os.path.dirname(path))


class ReplaySystem:
    """A :class:`System` that replays a recorded machine directory.

    >>> system = ReplaySystem("fixtures/machines/zen5-vm")  # doctest: +SKIP
    >>> system.read_text("/proc/cpuinfo")[:9]  # doctest: +SKIP
    'processor'
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        manifest = self.path / "machine.json"
        if self.path.is_file() and self.path.name == "machine.json":
            manifest, self.path = self.path, self.path.parent
        data = read_manifest(manifest)
        problems = check_root(self.path)
        if problems:
            raise InvalidMachine(problems[0])
        self._load(data, manifest)
        self._root: Optional[Path] = self.path / "root"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str = "inline machine") -> ReplaySystem:
        """A machine written as a ``machine.json`` document, with no directory (no ``root/``).

        *name* stands for the directory in messages and :attr:`source`.
        """
        self = cls.__new__(cls)
        self.path = Path(name)
        self._load(check_manifest(_copy_json(dict(data)), name), name)
        self._root = None
        return self

    def _load(self, data: Dict[str, Any], manifest: Union[str, Path]) -> None:
        self.data: Dict[str, Any] = data
        plat = data["platform"]
        self._platform = PlatformInfo(
            str(plat["system"]), str(plat["machine"]), str(plat.get("release", ""))
        )
        self._env: Dict[str, str] = {
            str(k): str(v) for k, v in (data.get("env") or {}).items() if v is not None
        }
        self._files = {norm_path(k): v for k, v in _mapping(data, "files", manifest).items()}
        self._errors = {norm_path(k): str(v) for k, v in _mapping(data, "errors", manifest).items()}
        self._dirs = {norm_path(k): list(v) for k, v in _mapping(data, "dirs", manifest).items()}
        self._links = {norm_path(k): str(v) for k, v in _mapping(data, "links", manifest).items()}
        self._commands: Dict[str, Any] = dict(_mapping(data, "commands", manifest))
        self._native: Dict[str, Any] = dict(_mapping(data, "native", manifest))

    def __repr__(self) -> str:
        return f"ReplaySystem({str(self.path)!r})"

    @property
    def source(self) -> str:
        """How reports name this machine."""
        return f"replay of {self.path}"

    @property
    def expected(self) -> Optional[Dict[str, Any]]:
        """The recording's ``expected`` block, if it has one."""
        value = self.data.get("expected")
        return value if isinstance(value, dict) else None

    # -- platform and environment -------------------------------------------------

    @property
    def platform(self) -> PlatformInfo:
        return self._platform

    def getenv(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self._env.get(name, default)

    # -- files --------------------------------------------------------------------

    def _rooted(self, path: str) -> Optional[Path]:
        """Where *path* lies under ``root/`` (``None``: the machine has no ``root/``)."""
        if self._root is None:
            return None
        # Never outside the recording, even through a link added after loading.
        return confined(self._root, path.lstrip("/"))

    def _check_error(self, path: str) -> None:
        # An error recorded on a directory applies to everything below it.
        probe = path
        while True:
            if probe in self._errors:
                raise os_error(self._errors[probe], path)
            if probe == "/":
                return
            probe = _parent(probe)

    def read_bytes(self, path: str) -> bytes:
        p = norm_path(path)
        self._check_error(p)
        if p in self._files:
            content: str = self._files[p]
            return content.encode("utf-8")
        if p in self._dirs:
            raise os_error("EISDIR", path)
        target = self._rooted(p)
        if target is None or not os.path.lexists(target):
            raise os_error("ENOENT", path)
        if target.is_dir():
            raise os_error("EISDIR", path)
        # Regular files only, never blocking, capped like the live seam.
        return _safe_read(target, MAX_READ_BYTES)

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", "replace")

    def listdir(self, path: str) -> list[str]:
        p = norm_path(path)
        self._check_error(p)
        names: set[str] = set()
        found = False
        if p in self._dirs:
            names.update(self._dirs[p])
            found = True
        prefix = p.rstrip("/") + "/"
        for table in (self._files, self._dirs, self._links, self._errors):
            for key in table:
                if key != p and key.startswith(prefix):
                    # Nested entries make their intermediate directories exist too.
                    names.add(key[len(prefix) :].split("/", 1)[0])
                    found = True
        target = self._rooted(p)
        if target is not None and target.is_dir():
            names.update(os.listdir(target))
            found = True
        if not found:
            if p in self._files or (target is not None and target.is_file()):
                raise os_error("ENOTDIR", path)
            raise os_error("ENOENT", path)
        return sorted(names)

    def exists(self, path: str) -> bool:
        p = norm_path(path)
        if self._errors.get(p) == "ENOENT":
            return False
        if p in self._files or p in self._dirs or p in self._links or p in self._errors:
            return True
        target = self._rooted(p)
        if target is not None and os.path.lexists(target):
            return True
        parent = _parent(p)
        if parent != p and p.rsplit("/", 1)[1] in self._dirs.get(parent, ()):
            return True  # an entry of a recorded listing (a device node in /dev)
        prefix = p.rstrip("/") + "/"
        return any(
            key.startswith(prefix)
            for table in (self._files, self._dirs, self._links)
            for key in table
        )

    def readlink(self, path: str) -> str:
        p = norm_path(path)
        self._check_error(p)
        if p in self._links:
            return self._links[p]
        target = self._rooted(p)
        if target is not None and target.is_symlink():
            return os.readlink(target)
        if self.exists(p):
            raise os_error("EINVAL", path)
        raise os_error("ENOENT", path)

    # -- commands and native facades --------------------------------------------------

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        args = tuple(argv)
        entry = self._commands.get(command_key(args))
        if entry is None:
            # A command the recording never ran is, for replay, not installed.
            return CommandResult(args, error="ENOENT")
        if entry.get("timeout"):
            return CommandResult(args, timed_out=True, duration_ms=timeout * 1e3)
        if entry.get("error"):
            return CommandResult(args, error=str(entry["error"]))
        return CommandResult(
            args,
            returncode=int(entry.get("returncode", 0)),
            stdout=str(entry.get("stdout", "")),
            stderr=str(entry.get("stderr", "")),
            duration_ms=float(entry.get("ms", 0.0)),
        )

    def native(self, facade: NativeFacade) -> Any:
        entry = self._native.get(facade.name)
        if entry is None:
            raise NativeUnavailable(f"{facade.name}: not recorded on this machine")
        if not isinstance(entry, dict):
            raise InvalidMachine(f"{self.path}: native.{facade.name} must be an object")
        if entry.get("timeout"):
            # Replays never sleep: a recorded hang is an immediate timeout.
            raise NativeTimeout(f"{facade.name}: no answer within {facade.timeout:g} s")
        if "unavailable" in entry:
            raise NativeUnavailable(f"{facade.name}: {entry['unavailable']}")
        if "error" in entry:
            raise NativeError(f"{facade.name}: {entry['error']}")
        if "answer" not in entry:
            raise InvalidMachine(
                f"{self.path}: native.{facade.name} needs one of answer/error/timeout/unavailable"
            )
        return _copy_json(entry["answer"])


def _mapping(data: Mapping[str, Any], key: str, where: Union[str, Path]) -> Mapping[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise InvalidMachine(f"{where}: {key!r} must be a JSON object")
    return value


def _copy_json(value: Any) -> Any:
    return json.loads(json.dumps(value))
