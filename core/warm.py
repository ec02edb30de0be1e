"""The warm path: ``report --json`` (and the plugin API) answered from one small file.

Installers ask on every resolve, in a fresh interpreter, and the answer
rarely changes.  A cache hit through the normal command line still imports
argparse, logging, pluggy, ``importlib.metadata`` and every provider just to
compute the cache keys.  So after a run whose every answer came from the
cache, :mod:`variant_providers.warm_record` stores a *warm record*: the exact
report and a manifest of every input the cache keys covered, observed while
they were computed —

* the Python (executable, version, platform) and this package's own code
  (the status of every module file the run loaded, which is where the tool
  and provider versions are declared);
* every file, listing, existence check and link the fingerprints and the
  boot id read (a digest of what was read, or that it failed);
* every environment variable read (value or absent), all
  ``VARIANT_PROVIDERS_*`` variables and where the cache lives;
* what every ``sys.path`` entry holds that could change the run: a module
  named like one the run or its plugins imported (a ``json.py`` in the
  current folder), a startup hook, distribution metadata or a ``.pth`` file
  (a plugin installed or removed) — not other files, so a busy current
  folder does not miss; and the status of every cache entry used;
* the arguments, and the earliest moment a cache entry expires.

This module re-checks the manifest with ``os`` calls only and prints the
report; anything it does not recognise (no record, another user's file, a
parse error, any input that differs) returns ``None`` and the caller falls
through to the normal command line.  It imports nothing beyond ``os``,
``sys``, ``time``, the C halves of ``json`` and of SHA-256, and the two small
modules below, and must stay so.
"""

from __future__ import annotations

import os
import sys
import time

from .cachedir import LOCATION_VARS, entry_dir
from .rawfs import read_bytes, untrusted_reason

# Not typing.TYPE_CHECKING: importing typing costs a third of a warm run (mypy knows the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

__all__ = [
    "ENV_PREFIX",
    "WARM_FORMAT",
    "Facts",
    "dumps_report",
    "lookup",
    "python_facts",
    "record_path",
    "serve",
    "sha256_hex",
    "stat_of",
    "watched_environ",
]

#: Version of the warm record; a record of another format is ignored.
WARM_FORMAT = 2
#: Every variable with this prefix is part of the manifest, read or not.
ENV_PREFIX = "VARIANT_PROVIDERS_"
#: Largest warm record read back; real ones are a few kilobytes.
MAX_RECORD_BYTES = 4 * 1024 * 1024
#: Largest fingerprint file re-read (as :class:`~variant_providers.system.LiveSystem` reads).
MAX_READ_BYTES = 16 * 1024 * 1024


def dumps_report(doc: Any) -> str:
    """The ``report --json`` text of *doc*: stable, keys sorted (also the normal path's).

    Exactly ``json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True,
    allow_nan=False)``.  The ``json`` package imports ``re`` (and with it
    ``enum``), a fifth of a warm run; its C accelerator does not, so plain JSON
    values are written here with it, and anything else by ``json`` itself.
    """
    try:
        encode = _c_json().encode_basestring_ascii
        parts: list[str] = []
        _encode(doc, encode, parts, "\n")
        return "".join(parts)
    except (ImportError, _NotPlain):
        import json

        return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False)


def loads_record(data: bytes) -> Any:
    """``json.loads`` of a warm record, through the C scanner when there is one."""
    try:
        scan = _c_json().make_scanner(_ScanContext())
    except ImportError:
        import json

        return json.loads(data)
    text = data.decode("utf-8")
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, end = scan(text, start)
    except StopIteration:  # the C scanner's "no value here"
        raise ValueError(f"no JSON value at offset {start}") from None
    if text[end:].strip(" \t\n\r"):
        raise ValueError("extra data after the record")
    return value


class _NotPlain(Exception):
    """A value only ``json`` itself knows how to write (or refuse)."""


def _c_json() -> Any:
    import _json  # the C accelerator: no re, no enum

    return _json


class _ScanContext:
    """The settings ``_json.make_scanner`` reads: those of a default ``json.loads``."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> Any:
        raise ValueError(f"{name} in a warm record")  # NaN and Infinity are never written


def _encode(value: Any, encode: Any, out: list[str], newline: str) -> None:
    if isinstance(value, str):
        out.append(encode(value))
    elif value is None or value is True or value is False:
        out.append("null" if value is None else "true" if value else "false")
    elif type(value) is int:
        out.append(int.__repr__(value))
    elif type(value) is float:
        if not value - value == 0.0:  # NaN or an infinity (math.isfinite, without math)
            raise _NotPlain  # json raises its own ValueError for these
        out.append(float.__repr__(value))
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        out.append("[")
        for index, item in enumerate(value):
            out.append(inner if index == 0 else "," + inner)
            _encode(item, encode, out, inner)
        out.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        if not all(type(k) is str for k in value):
            raise _NotPlain  # json converts or refuses other keys
        inner = newline + "  "
        out.append("{")
        for index, key in enumerate(sorted(value)):
            out.append(inner if index == 0 else "," + inner)
            out.append(encode(key) + ": ")
            _encode(value[key], encode, out, inner)
        out.append(newline + "}")
    else:
        raise _NotPlain


def python_facts() -> list[Any]:
    """The interpreter and platform a record was written under."""
    uname = list(os.uname()) if hasattr(os, "uname") else []
    return [sys.executable, sys.version, sys.platform, list(sys.path), uname[:1] + uname[2:]]


def record_path(environ: Mapping[str, str], argv: Sequence[str]) -> str | None:
    """Where the record of *argv* under this interpreter and ``sys.path`` lives."""
    directory = entry_dir(environ)
    if directory is None:
        return None
    text = "\0".join([*argv, "", sys.executable, *sys.path])
    # SHA-256, not zlib.crc32: the warm run loads _sha256 anyway, and each
    # extension module more is a shared library to map.
    digest = sha256_hex(text.encode("utf-8", "replace"))[:16]
    return os.path.join(directory, f"warm-{digest}.json")


def watched_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables compared whether or not the run read them."""
    return {
        name: value
        for name, value in environ.items()
        if name.startswith(ENV_PREFIX) or name in LOCATION_VARS
    }


#: Names that matter in a ``sys.path`` folder besides the modules imported:
#: startup hooks a later interpreter would run, and what registers plugins.
_ALWAYS_WATCHED = ("sitecustomize", "usercustomize")
_METADATA_SUFFIXES = (".dist-info", ".egg-info")
_WATCHED_SUFFIXES = (*_METADATA_SUFFIXES, ".egg-link", ".pth")


def path_entry_state(entry: str, modules: Sequence[str]) -> Any:
    """What in the ``sys.path`` entry *entry* could change what a run imports or finds.

    For a folder: each name in it that could shadow one of *modules* (the
    top-level modules the run imported: ``json.py`` in the current folder
    would) or is a startup hook, and each distribution's metadata folder and
    ``.pth`` file with its status (a plugin installed, removed, or
    reinstalled at the same version: a new folder; a ``.pth`` edited in
    place).  Any other file coming and going (the current folder of a busy
    build) changes nothing.  For anything else (a zip, a missing folder):
    its own status, as :func:`stat_of` gives it.
    """
    folder = entry or "."
    try:
        names = os.listdir(folder)
    except NotADirectoryError:
        return stat_of(entry)
    except OSError:
        return None
    watched = set(modules).union(_ALWAYS_WATCHED)
    state: list[Any] = []
    for name in sorted(names):
        if name.lower().endswith(_METADATA_SUFFIXES):
            state.append(metadata_state(folder, name))
        elif name.lower().endswith(_WATCHED_SUFFIXES):
            state.append([name, stat_of(os.path.join(folder, name))])
        elif name.partition(".")[0] in watched:
            state.append(name)  # there or not: a module's own version shows in the metadata
    return state


def metadata_states(folder: str) -> list[Any]:
    """:func:`metadata_state` of every distribution metadata folder in *folder*, by name."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [
        metadata_state(folder, n) for n in sorted(names) if n.lower().endswith(_METADATA_SUFFIXES)
    ]


def metadata_state(folder: str, name: str) -> list[Any]:
    """The status of the metadata folder *name* in *folder*, and of its ``entry_points.txt``.

    Installing, removing or reinstalling a distribution makes or deletes the
    folder; ``setup.py egg_info`` (an old-style editable install) rewrites
    ``entry_points.txt`` in place, which the folder's own status does not show.
    """
    path = os.path.join(folder, name)
    return [name, stat_of(path), stat_of(os.path.join(path, "entry_points.txt"))]


def top_level_modules() -> list[str]:
    """The top-level names of every module imported so far (``json``, ``variant_providers``)."""
    return sorted({name.partition(".")[0] for name in list(sys.modules)})


def stat_of(path: str) -> list[int] | None:
    """What a change to *path* (a file or a directory) shows in its status."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def sha256_hex(data: bytes) -> str:
    """SHA-256 without ``hashlib``: its OpenSSL import costs more than a warm run."""
    if not _SHA256:
        # The built-in modules (3.12+, then older), hashlib only where neither is built.
        # Looked up once: a module that is not there is searched for on all of sys.path.
        for name in ("_sha2", "_sha256", "hashlib"):
            try:
                _SHA256.append(__import__(name).sha256)
                break
            except ImportError:
                continue
        else:
            raise OSError("no SHA-256 implementation")
    return str(_SHA256[0](data).hexdigest())


#: The SHA-256 constructor :func:`sha256_hex` found.
_SHA256: list[Any] = []


class Facts:
    """Asks the machine the manifest's questions, the way the live system answers them.

    Each answer is plain JSON, so the writer stores what it observed and this
    reader compares it with a fresh one: equal answers, same key inputs.
    """

    @staticmethod
    def read(path: str) -> str | None:
        try:
            return sha256_hex(read_bytes(path, MAX_READ_BYTES))
        except OSError:
            return None

    @staticmethod
    def listdir(path: str) -> list[str] | None:
        try:
            return sorted(os.listdir(path))
        except OSError:
            return None

    @staticmethod
    def exists(path: str) -> bool:
        return os.path.lexists(path)

    @staticmethod
    def readlink(path: str) -> str | None:
        try:
            return os.readlink(path)
        except OSError:
            return None

    @classmethod
    def answer(cls, kind: str, path: str) -> Any:
        """The answer to one recorded question (``KeyError`` for an unknown kind)."""
        ask: Any = {
            "read": cls.read,
            "listdir": cls.listdir,
            "exists": cls.exists,
            "readlink": cls.readlink,
        }[kind]
        return ask(path)


def _load(path: str) -> Any:
    """The record at *path* when it and its directory are the current user's alone."""
    st = os.stat(os.path.dirname(path))
    if untrusted_reason(st):
        return None
    return loads_record(read_bytes(path, MAX_RECORD_BYTES, private=True))


def _current(record: Any, argv: Sequence[str], environ: Mapping[str, str], now: float) -> bool:
    """Whether every input the record's answer depended on is unchanged."""
    if record.get("format") != WARM_FORMAT or record.get("argv") != list(argv):
        return False
    if not record["created"] <= now < record["expires"]:
        return False
    if record["python"] != python_facts() or record["environ"] != watched_environ(environ):
        return False
    if any(environ.get(name) != value for name, value in record["env_read"].items()):
        return False
    if any(stat_of(path) != state for path, state in record["stats"]):
        return False
    modules = record["modules"]
    if any(path_entry_state(p, modules) != state for p, state in record["path_entries"]):
        return False
    return all(Facts.answer(kind, path) == answer for kind, path, answer in record["asked"])


def render(record: Any, now: float, elapsed_ms: float) -> str:
    """The stored report with what time changes brought up to date."""
    report = record["payload"]
    report["duration_ms"] = round(elapsed_ms, 3)
    for index, age in record["ages"]:
        report["providers"][index]["cache_age_s"] = round(age + now - record["created"], 1)
    return dumps_report(report) + "\n"


def lookup(key: Sequence[str], environ: Mapping[str, str] = os.environ) -> Any:
    """The current warm record of *key* (a command line, or an API call), or ``None``."""
    try:
        path = record_path(environ, key)
        record = _load(path) if path is not None else None
        if isinstance(record, dict) and _current(record, key, environ, time.time()):
            return record
    except Exception:  # anything unusual: the full run decides, and reports it
        pass
    return None


def serve(
    argv: Sequence[str], environ: Mapping[str, str] = os.environ, out: Any = None
) -> int | None:
    """Print the report of *argv* from its warm record; ``None`` when the caller must run.

    Returns the exit code the full run returned.
    """
    start = time.perf_counter()
    if not argv or argv[0] != "report":
        return None
    record = lookup(argv, environ)
    if record is None:
        return None
    try:
        text = render(record, time.time(), (time.perf_counter() - start) * 1e3)
        code = int(record["code"])
    except Exception:  # a record of an unexpected shape: the full run answers
        return None
    stream = sys.stdout if out is None else out
    stream.write(text)
    stream.flush()
    return code
