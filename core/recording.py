"""Recording the live machine: every answer the providers used, written out for replay.

:class:`RecordingSystem` wraps a live seam, remembers every answer the
providers used, and writes them out in the ``machine.json`` + ``root/`` format
that :class:`~variant_providers.replay.ReplaySystem` reads, redacting serial
numbers and UUIDs (keeping their shape, so parsers see what they would see on
the real machine).  Recordings travel in bug reports, so redaction lives next
to the only code that writes them.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from .atomic import SafeTree
from .machine_file import MACHINE_SCHEMA, command_key, norm_path
from .safefs import dumps_json
from .system import (
    DEFAULT_TIMEOUT,
    CommandResult,
    NativeError,
    NativeFacade,
    NativeTimeout,
    NativeUnavailable,
    PlatformInfo,
    System,
)
from .warm import sha256_hex

__all__ = ["RecordingSystem", "redact_text"]


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
    digest = bytes.fromhex(sha256_hex(text.encode("utf-8")))
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
        self._errors[norm_path(path)] = errno.errorcode.get(exc.errno or 0, "EIO")

    def read_bytes(self, path: str) -> bytes:
        try:
            data = self.inner.read_bytes(path)
        except OSError as exc:
            self._error(path, exc)
            raise
        self._files[norm_path(path)] = data
        return data

    def read_text(self, path: str) -> str:
        try:
            text = self.inner.read_text(path)
        except OSError as exc:
            self._error(path, exc)
            raise
        self._files[norm_path(path)] = text.encode("utf-8")
        return text

    def listdir(self, path: str) -> list[str]:
        try:
            names = self.inner.listdir(path)
        except OSError as exc:
            self._error(path, exc)
            raise
        self._dirs[norm_path(path)] = list(names)
        return names

    def exists(self, path: str) -> bool:
        present = self.inner.exists(path)
        self._present[norm_path(path)] = present
        return present

    def readlink(self, path: str) -> str:
        try:
            target = self.inner.readlink(path)
        except OSError as exc:
            self._error(path, exc)
            raise
        self._links[norm_path(path)] = target
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
