"""Reading files that may be hostile: the one way this project opens a file.

Installers run us as root on machines we do not control, so a file we read
may be a FIFO (blocks forever), ``/dev/zero`` (never ends), a 10 GB file, a
JSON document nested 200 000 levels deep, or a file another user planted in
a shared cache directory.  Every read therefore goes through
:func:`read_bytes`:

* the file is opened with ``O_NONBLOCK`` (opening a FIFO cannot block) and
  ``O_NOCTTY``, then refused unless it is a regular file;
* at most *limit* bytes are read, and a larger file is an error
  (``EFBIG``), not a memory spike;
* with ``private=True`` (cache entries, the remembered entry-point list) the
  last path component must not be a symlink, and the file must belong to
  the current user and be writable by nobody else (:class:`UntrustedFile`).

JSON is parsed by :func:`loads_json`: strict (no ``NaN``/``Infinity``),
nesting bounded by :data:`JSON_MAX_DEPTH` (so no reader ever recurses into
``RecursionError``), and integers bounded by :data:`JSON_MAX_DIGITS` digits
(a million-digit integer costs quadratic time to convert).  Its errors are
:class:`json.JSONDecodeError`, so callers report them like syntax errors.
"""

from __future__ import annotations

import json
import os
import re
from itertools import accumulate
from typing import Any, Set, Union

from . import lazy_log
from .rawfs import MAX_INPUT_BYTES, UntrustedFile, open_regular, read_bytes, untrusted_reason

__all__ = [
    "JSON_MAX_DEPTH",
    "JSON_MAX_DIGITS",
    "MAX_INPUT_BYTES",
    "UntrustedFile",
    "dumps_json",
    "loads_json",
    "open_regular",
    "read_bytes",
    "report_untrusted",
    "untrusted_reason",
]

#: Deepest nesting of arrays and objects a JSON document we read may have.
JSON_MAX_DEPTH = 100
#: Most digits an integer in a JSON document we read may have.
JSON_MAX_DIGITS = 4300

PathArg = Union[str, "os.PathLike[str]"]


_REPORTED: Set[str] = set()


def report_untrusted(path: PathArg, reason: str) -> None:
    """Warn, once per process and path, that *path* is ignored and why."""
    key = str(path)
    if key not in _REPORTED:
        _REPORTED.add(key)
        lazy_log.getLogger("variant_providers").warning("ignoring %s: %s", key, reason)


# -- JSON ------------------------------------------------------------------------------

_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _nesting(text: str) -> int:
    """The deepest nesting of arrays/objects in *text* (exact for valid JSON)."""
    if text.count("[") + text.count("{") <= JSON_MAX_DEPTH:
        return 0
    brackets = _NOT_BRACKET_RE.sub("", _STRING_RE.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


class _Refused(ValueError):
    """A token json accepts but we do not; ``token`` locates it in the document."""

    def __init__(self, message: str, token: str) -> None:
        super().__init__(message)
        self.token = token


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"non-finite number {name} is not allowed", name)


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > JSON_MAX_DIGITS:
        raise _Refused(f"an integer of {digits} digits (at most {JSON_MAX_DIGITS})", text)
    return int(text)


def loads_json(data: Union[str, bytes]) -> Any:
    """Parse strict JSON with bounded nesting and integers.

    Raises :class:`json.JSONDecodeError` (a :class:`ValueError`) for every
    way the document is unacceptable, and :class:`UnicodeDecodeError` for
    bytes that are not UTF-8.
    """
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    depth = _nesting(text)
    if depth > JSON_MAX_DEPTH:
        raise json.JSONDecodeError(
            f"arrays and objects nested {depth} levels deep (at most {JSON_MAX_DEPTH})", text, 0
        )
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_int=_bounded_int)
    except _Refused as exc:
        raise json.JSONDecodeError(str(exc), text, max(text.find(exc.token), 0)) from None
    except RecursionError:  # pragma: no cover - the nesting check comes first
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def dumps_json(value: Any, **options: Any) -> str:
    """Serialise *value* as strict JSON: ``NaN`` and ``Infinity`` are errors."""
    return json.dumps(value, allow_nan=False, **options)
