"""Recorded machines: replay one exactly, or record the live one.

A recorded machine is a directory holding ``machine.json`` and, optionally, a
``root/`` tree with files at their absolute paths (``root/proc/cpuinfo``).
The format is the contract for vendors and bug reports; it is documented key
by key in ``fixtures/README.md``.

:class:`ReplaySystem` answers every :class:`~variant_providers.system.System`
question from the recording and never touches the live machine — not its
files, not its environment, not its commands.  :class:`RecordingSystem` wraps
a live seam, remembers every answer the providers used, and writes them out
in the same format, redacting serial numbers and UUIDs (keeping their shape,
so parsers see what they would see on the real machine).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .machine_file import MACHINE_SCHEMA, InvalidMachine, check_root, confined, read_manifest
from .safefs import dumps_json
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
    System,
    os_error,
)

__all__ = ["MACHINE_SCHEMA", "InvalidMachine", "RecordingSystem", "ReplaySystem", "command_key"]


def command_key(argv: Sequence[str]) -> str:
    """The key of a command in ``machine.json``: its argv, shell-quoted."""
    return shlex.join(list(argv))


def _norm(path: str) -> str:
    """Normalise an absolute machine path (no trailing slash, no ``..``)."""
    if not path.startswith("/"):
        raise ValueError(f"machine paths are absolute, got {path!r}")
    norm = os.path.normpath(path)
    return "/" + norm.lstrip("/") if norm != "/" else "/"


def _parent(path: str) -> str:
    return _norm(os.path.dirname(path))


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
        self.data: Dict[str, Any] = data
        plat = data["platform"]
        self._platform = PlatformInfo(
            str(plat["system"]), str(plat["machine"]), str(plat.get("release", ""))
        )
        self._env: Dict[str, str] = {
            str(k): str(v) for k, v in (data.get("env") or {}).items() if v is not None
        }
        self._files = {_norm(k): v for k, v in _mapping(data, "files", manifest).items()}
        self._errors = {_norm(k): str(v) for k, v in _mapping(data, "errors", manifest).items()}
        self._dirs = {_norm(k): list(v) for k, v in _mapping(data, "dirs", manifest).items()}
        self._links = {_norm(k): str(v) for k, v in _mapping(data, "links", manifest).items()}
        self._commands: Dict[str, Any] = dict(_mapping(data, "commands", manifest))
        self._native: Dict[str, Any] = dict(_mapping(data, "native", manifest))
        self._root = self.path / "root"

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

    def _rooted(self, path: str) -> Path:
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
        p = _norm(path)
        self._check_error(p)
        if p in self._files:
            content: str = self._files[p]
            return content.encode("utf-8")
        if p in self._dirs:
            raise os_error("EISDIR", path)
        target = self._rooted(p)
        if target.is_dir():
            raise os_error("EISDIR", path)
        if not os.path.lexists(target):
            raise os_error("ENOENT", path)
        # Regular files only, never blocking, capped like the live seam.
        return _safe_read(target, MAX_READ_BYTES)

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", "replace")

    def listdir(self, path: str) -> list[str]:
        p = _norm(path)
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
        if target.is_dir():
            names.update(os.listdir(target))
            found = True
        if not found:
            if p in self._files or target.is_file():
                raise os_error("ENOTDIR", path)
            raise os_error("ENOENT", path)
        return sorted(names)

    def exists(self, path: str) -> bool:
        p = _norm(path)
        if self._errors.get(p) == "ENOENT":
            return False
        if p in self._files or p in self._dirs or p in self._links or p in self._errors:
            return True
        if os.path.lexists(self._rooted(p)):
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
        p = _norm(path)
        self._check_error(p)
        if p in self._links:
            return self._links[p]
        target = self._rooted(p)
        if target.is_symlink():
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


def _mapping(data: Mapping[str, Any], key: str, where: Path) -> Mapping[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise InvalidMachine(f"{where}: {key!r} must be a JSON object")
    return value


def _copy_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


# -- redaction ------------------------------------------------------------------------

_UUID_RE = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_SERIAL_LINE_RE = re.compile(
    r"(?im)^(\s*(?:serial(?:[ _]?number)?|board[ _]serial|product[ _]serial|uuid)\s*[:=]\s*)"
    r"(\S[^\n]*)$"
)
# sysfs "key value" files (KFD node properties) carry a per-device unique_id.
_UNIQUE_ID_RE = re.compile(r"(?m)^(unique_id[ \t]+)(\S+)$")
_SECRET_FILES = frozenset(
    {"serial", "serial_number", "unique_id", "product_serial", "board_serial", "product_uuid"}
)
_SECRET_KEYS = frozenset({"uuid", "serial", "serial_number", "unique_id", "board_serial"})


def _scramble(text: str) -> str:
    """Replace *text* by a stable stand-in of the same shape.

    Digits stay digits, hex letters stay hex letters, other letters stay
    letters of the same case, punctuation is kept: ``GPU-1fb8…`` remains a
    valid-looking UUID, so parsers behave as they would on the real machine,
    and the same secret always maps to the same stand-in.
    """
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    out = []
    for i, ch in enumerate(text):
        b = digest[i % len(digest)] ^ (i // len(digest))
        if ch.isdigit():
            out.append(str(b % 10))
        elif ch in "abcdef":
            out.append("abcdef"[b % 6])
        elif ch in "ABCDEF":
            out.append("ABCDEF"[b % 6])
        elif ch.isascii() and ch.islower():
            out.append(chr(ord("a") + b % 26))
        elif ch.isascii() and ch.isupper():
            out.append(chr(ord("A") + b % 26))
        else:
            out.append(ch)
    return "".join(out)


def redact_text(text: str) -> str:
    """Scramble UUIDs and ``Serial: …`` values in *text*, keeping its shape."""
    text = _UUID_RE.sub(lambda m: _scramble(m.group(0)), text)
    text = _UNIQUE_ID_RE.sub(lambda m: m.group(1) + _scramble(m.group(2)), text)
    return _SERIAL_LINE_RE.sub(lambda m: m.group(1) + _scramble(m.group(2)), text)


def _redact_json(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return _scramble(value) if key.lower() in _SECRET_KEYS else redact_text(value)
    if isinstance(value, list):
        return [_redact_json(v, key) for v in value]
    if isinstance(value, dict):
        return {k: _redact_json(v, str(k)) for k, v in value.items()}
    return value


# -- recording ------------------------------------------------------------------------


class RecordingSystem:
    """Wrap a live :class:`System` and remember every answer it gave.

    Use it for one detection run, then :meth:`save` the recording; replaying
    the saved directory gives the providers exactly the answers they got live.
    """

    def __init__(self, inner: System) -> None:
        self.inner = inner
        self._files: Dict[str, bytes] = {}
        self._errors: Dict[str, str] = {}
        self._dirs: Dict[str, List[str]] = {}
        self._links: Dict[str, str] = {}
        self._present: Dict[str, bool] = {}
        self._env: Dict[str, Optional[str]] = {}
        self._commands: Dict[str, Dict[str, Any]] = {}
        self._native: Dict[str, Dict[str, Any]] = {}

    @property
    def platform(self) -> PlatformInfo:
        return self.inner.platform

    @property
    def source(self) -> str:
        return f"{getattr(self.inner, 'source', 'live')} (recording)"

    def getenv(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = self.inner.getenv(name)
        self._env[name] = value
        return default if value is None else value

    def _error(self, path: str, exc: OSError) -> None:
        import errno as _errno

        self._errors[_norm(path)] = _errno.errorcode.get(exc.errno or 0, "EIO")

    def read_bytes(self, path: str) -> bytes:
        try:
            data = self.inner.read_bytes(path)
        except OSError as exc:
            self._error(path, exc)
            raise
        self._files[_norm(path)] = data
        return data

    def read_text(self, path: str) -> str:
        try:
            text = self.inner.read_text(path)
        except OSError as exc:
            self._error(path, exc)
            raise
        self._files[_norm(path)] = text.encode("utf-8")
        return text

    def listdir(self, path: str) -> list[str]:
        try:
            names = self.inner.listdir(path)
        except OSError as exc:
            self._error(path, exc)
            raise
        self._dirs[_norm(path)] = list(names)
        return names

    def exists(self, path: str) -> bool:
        present = self.inner.exists(path)
        self._present[_norm(path)] = present
        return present

    def readlink(self, path: str) -> str:
        try:
            target = self.inner.readlink(path)
        except OSError as exc:
            self._error(path, exc)
            raise
        self._links[_norm(path)] = target
        return target

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        result = self.inner.run(argv, timeout)
        entry: Dict[str, Any]
        if result.timed_out:
            entry = {"timeout": True}
        elif result.error:
            entry = {"error": result.error}
        else:
            entry = {
                "returncode": result.returncode,
                "stdout": redact_text(result.stdout),
                "stderr": redact_text(result.stderr),
            }
        entry["ms"] = round(result.duration_ms, 1)
        self._commands[command_key(argv)] = entry
        return result

    def native(self, facade: NativeFacade) -> Any:
        try:
            answer = self.inner.native(facade)
        except NativeTimeout:
            self._native[facade.name] = {"timeout": True}
            raise
        except NativeUnavailable as exc:
            self._native[facade.name] = {"unavailable": str(exc)}
            raise
        except NativeError as exc:
            self._native[facade.name] = {"error": str(exc)}
            raise
        self._native[facade.name] = {"answer": _redact_json(answer)}
        return answer

    def machine_json(self, **extra: Any) -> Dict[str, Any]:
        """The ``machine.json`` document for what was recorded (files excluded)."""
        # Listings keep their names here, so entries that were never read
        # (device nodes, unread sysfs files) still show up when replayed.
        dirs = {path: sorted(names) for path, names in self._dirs.items()}
        for path, present in self._present.items():
            if present and not self._is_backed(path) and self._looks_like_dir(path):
                dirs.setdefault(path, [])
        doc: Dict[str, Any] = {
            "schema": MACHINE_SCHEMA,
            "platform": self.platform.to_dict(),
            "env": {k: v for k, v in sorted(self._env.items()) if v is not None},
            "errors": dict(sorted(self._errors.items())),
            "dirs": dict(sorted(dirs.items())),
            "links": dict(sorted(self._links.items())),
            "commands": dict(sorted(self._commands.items())),
            "native": dict(sorted(self._native.items())),
        }
        doc.update(extra)
        return {k: v for k, v in doc.items() if v or k in ("schema", "platform", "env")}

    def _is_backed(self, path: str) -> bool:
        return path in self._files or path in self._dirs or path in self._links

    def _looks_like_dir(self, path: str) -> bool:
        try:
            self.inner.listdir(path)
        except OSError:
            return False
        return True

    def save(self, directory: str | os.PathLike[str], **extra: Any) -> Path:
        """Write ``machine.json`` and ``root/`` into *directory* (created if needed).

        Links planted inside *directory* are never followed, and only regular
        files are replaced (:class:`~variant_providers.atomic.SafeTree`).
        """
        from .atomic import SafeTree

        out = Path(directory)
        tree = SafeTree(out)
        for path, data in sorted(self._files.items()):
            name = path.rsplit("/", 1)[1]
            if name in _SECRET_FILES:
                data = _scramble(data.decode("utf-8", "replace").strip()).encode() + b"\n"
            else:
                try:
                    data = redact_text(data.decode("utf-8")).encode("utf-8")
                except UnicodeDecodeError:
                    pass
            tree.write("root" + path, data)
        # Paths that exist but were never read (device nodes such as /dev/nvidia0)
        # become empty placeholder files so that exists() replays as True.
        for path, present in sorted(self._present.items()):
            placeholder = present and not self._is_backed(path)
            if placeholder and not self._looks_like_dir(path) and not tree.exists("root" + path):
                tree.write("root" + path, b"")
        doc = self.machine_json(**extra)
        text = dumps_json(doc, indent=2, sort_keys=False) + "\n"
        tree.write("machine.json", text.encode("utf-8"))
        return out
