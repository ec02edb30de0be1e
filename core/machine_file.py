"""Reading a recorded machine's ``machine.json`` and confining its ``root/``.

A recorded machine comes from a bug report or a download: its manifest may
be binary, deeply nested, or hold values of the wrong type, and its ``root/``
may contain links that point at the live machine.  This module turns all of
that into :class:`InvalidMachine` errors that name the file and the key, so
``report --machine`` exits 2 with a message instead of a traceback, and a
replay never reads a file outside its recording.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Union

from .safefs import loads_json, read_bytes

__all__ = [
    "MACHINE_SCHEMA",
    "InvalidMachine",
    "check_manifest",
    "command_key",
    "confined",
    "norm_path",
    "read_manifest",
]

#: Version of the ``machine.json`` format this code reads and writes.
MACHINE_SCHEMA = 1

_COMMAND_TYPES: Mapping[str, Any] = {
    "returncode": int,
    "stdout": str,
    "stderr": str,
    "ms": (int, float),
    "timeout": bool,
    "error": str,
}


class InvalidMachine(ValueError):
    """A recorded machine directory that cannot be read."""


def command_key(argv: Sequence[str]) -> str:
    """The key of a command in ``machine.json``: its argv, shell-quoted."""
    return shlex.join(list(argv))


def norm_path(path: str) -> str:
    """Normalise an absolute machine path (no trailing slash, no ``..``)."""
    if not path.startswith("/"):
        raise ValueError(f"machine paths are absolute, got {path!r}")
    norm = os.path.normpath(path)
    return "/" + norm.lstrip("/") if norm != "/" else "/"


def read_manifest(manifest: Path) -> Dict[str, Any]:
    """The validated ``machine.json`` document at *manifest*."""
    try:
        raw = read_bytes(manifest)
    except OSError as exc:
        raise InvalidMachine(
            f"cannot read recorded machine {manifest}: {exc.strerror or exc}"
        ) from None
    try:
        data = loads_json(raw)
    except UnicodeDecodeError as exc:
        raise InvalidMachine(f"{manifest}: not UTF-8 text (byte {exc.start})") from None
    except ValueError as exc:
        raise InvalidMachine(f"{manifest}: not valid JSON: {exc}") from None
    return check_manifest(data, manifest)


def check_manifest(data: Any, manifest: Union[str, Path]) -> Dict[str, Any]:
    """*data* when it is a valid ``machine.json`` document; *manifest* names it in errors."""
    if not isinstance(data, dict):
        raise InvalidMachine(f"{manifest}: the top level must be a JSON object")
    schema = data.get("schema", MACHINE_SCHEMA)
    if schema != MACHINE_SCHEMA or isinstance(schema, bool):
        raise InvalidMachine(
            f"{manifest}: machine schema {schema!r} is not supported (this version reads "
            f"{MACHINE_SCHEMA})"
        )
    plat = data.get("platform")
    if not isinstance(plat, dict) or "system" not in plat or "machine" not in plat:
        raise InvalidMachine(f"{manifest}: 'platform' needs at least 'system' and 'machine'")
    for key in ("system", "machine", "release"):
        if key in plat and not isinstance(plat[key], str):
            raise InvalidMachine(f"{manifest}: platform.{key} must be a string")
    _table(data, "env", manifest, lambda v: v is None or isinstance(v, str), "a string")
    for key in ("files", "errors", "links"):
        _table(data, key, manifest, lambda v: isinstance(v, str), "a string", paths=True)
    _table(data, "dirs", manifest, _is_name_list, "a list of names", paths=True)
    for name, entry in _table(data, "commands", manifest, _is_object, "an object").items():
        for field, kind in _COMMAND_TYPES.items():
            if field in entry and (
                not isinstance(entry[field], kind)
                or (kind is int and isinstance(entry[field], bool))
            ):
                raise InvalidMachine(f"{manifest}: commands[{name!r}].{field} has the wrong type")
    _table(data, "native", manifest, _is_object, "an object")
    return data


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _is_name_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _table(
    data: Mapping[str, Any],
    key: str,
    where: Union[str, Path],
    valid: Any,
    what: str,
    *,
    paths: bool = False,
) -> Dict[str, Any]:
    """Check that ``data[key]`` maps strings (absolute paths) to valid values."""
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise InvalidMachine(f"{where}: {key!r} must be a JSON object")
    for name, item in value.items():
        if paths and not name.startswith("/"):
            raise InvalidMachine(f"{where}: {key}[{name!r}]: machine paths are absolute")
        if not valid(item):
            raise InvalidMachine(f"{where}: {key}[{name!r}] must be {what}")
    return value


def confined(root: Path, relative: str) -> Path:
    """``root/relative``, refused when it resolves outside *root*.

    A link inside a recording that points at ``/proc`` or ``/etc`` would
    otherwise read the live machine into the replay.
    """
    target = root / relative
    real_root = os.path.realpath(root)
    real = os.path.realpath(target)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise InvalidMachine(f"{target} resolves to {real}, outside the recording's root/")
    return target


def check_root(directory: Path) -> List[str]:
    """Problems of *directory*'s ``root/``: itself or links in it leading outside."""
    root = directory / "root"
    if not os.path.lexists(root):
        return []
    real_dir = os.path.realpath(directory)
    real_root = os.path.realpath(root)
    if not real_root.startswith(real_dir.rstrip(os.sep) + os.sep):
        return [f"{root} resolves to {real_root}, outside the recording"]
    problems = []
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(base) / name
            if path.is_symlink():
                try:
                    confined(root, str(path.relative_to(root)))
                except InvalidMachine as exc:
                    problems.append(str(exc))
    return problems
