"""Asking the machine out of process: commands, and native facades in a child interpreter.

A driver library can print to stdout, hang in an ioctl or crash the process
that loads it, and a native call cannot be interrupted in-process.  So the
live seam never loads one: :func:`run_python_child` calls a facade's
``module:function`` in a fresh interpreter with a deadline and takes back
only its JSON answer; :func:`run_bounded` runs a command the same bounded
way (see :mod:`variant_providers.children`).  The failures are three
exceptions a provider can tell apart: :class:`NativeTimeout`,
:class:`NativeUnavailable` and :class:`NativeError`.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Mapping, Optional, Sequence, Tuple

from .children import ABANDONED, BoundedChild, ChildOutputTooLarge, ChildTimeout
from .record_class import dataclass
from .safefs import loads_json

__all__ = [
    "CHILD_SOURCE",
    "DEFAULT_TIMEOUT",
    "NativeError",
    "NativeFacade",
    "NativeTimeout",
    "NativeUnavailable",
    "run_bounded",
    "run_python_child",
]

#: Seconds a command or a native call may take before it counts as hung.
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class NativeFacade:
    """A named call into a vendor's native API, run out of process.

    ``name`` is the key under which the answer is recorded in a fixture
    (``native.<name>`` in ``machine.json``).  ``target`` is a
    ``"module:function"`` string; the function takes no argument and returns
    a JSON-serialisable value.  It runs in a fresh interpreter, so it may load
    any library, print anything and even hang: the caller sees only its
    answer, or :class:`NativeTimeout` / :class:`NativeError`.

    Example::

        NVML = NativeFacade("nvml", "variant_providers.providers.nvidia.nvml:nvml")
        answer = system.native(NVML)
    """

    name: str
    target: str
    timeout: float = DEFAULT_TIMEOUT
    #: JSON-able arguments of the call (the library paths the caller chose).
    args: Tuple[Any, ...] = ()


class NativeError(Exception):
    """A native facade failed: the child crashed, raised or answered garbage."""


class NativeUnavailable(NativeError):
    """The facade cannot answer here (no recording of it, or it cannot start)."""


class NativeTimeout(NativeError):
    """The facade did not answer within its timeout (a hung driver call)."""


# The child side of :func:`run_python_child`.  It runs with ``python -I`` (no
# user site, no PYTHONPATH, no current directory), points stdout at /dev/null
# before any of our code runs so library chatter cannot corrupt the answer,
# and writes one JSON document on a private duplicate of the original stdout.
CHILD_SOURCE = r"""
import importlib, json, os, sys
out = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
sys.stdout = open(os.devnull, "w")
sys.path[:0] = json.loads(sys.argv[2])
mod, _, func = sys.argv[1].partition(":")
try:
    obj = importlib.import_module(mod)
    for part in func.split("."):
        obj = getattr(obj, part)
    answer = {"ok": obj(*json.loads(sys.argv[3]))}
except BaseException as exc:
    answer = {"error": type(exc).__name__ + ": " + str(exc)}
try:
    text = json.dumps(answer, allow_nan=False)
except ValueError as exc:
    text = json.dumps({"error": "invalid answer: " + str(exc)})
out.write(text)
out.flush()
"""


def run_bounded(
    argv: Sequence[str], timeout: float, env: Optional[Mapping[str, str]] = None
) -> Tuple[int, bytes, bytes]:
    """Run *argv* (never through a shell) and return ``(returncode, stdout, stderr)``.

    See :class:`~variant_providers.children.BoundedChild`: stdout is capped,
    stderr summarised, and nothing the child started survives the call.
    Raises :class:`ChildTimeout` on timeout, :class:`ChildOutputTooLarge`
    when stdout exceeds its cap, and :class:`OSError` when the program cannot
    be started.
    """
    done = BoundedChild(argv, env).wait(timeout)
    return done.returncode, done.stdout, done.stderr


def run_python_child(
    target: str,
    args: Sequence[Any] = (),
    *,
    timeout: float,
    env: Optional[Mapping[str, str]] = None,
    what: str = "child",
) -> Any:
    """Call ``module:function(*args)`` in a fresh interpreter and return its result.

    Only the function's JSON-serialisable return value comes back; whatever
    the child prints, loads or crashes on stays in the child.  Raises
    :class:`NativeTimeout`, :class:`NativeUnavailable` (no child could be
    started) or :class:`NativeError` (it raised, exited or answered garbage).
    """
    argv = [
        sys.executable,
        "-I",
        "-B",  # never write bytecode as root into the places modules come from
        "-c",
        CHILD_SOURCE,
        target,
        json.dumps(sys.path),
        json.dumps(list(args)),
    ]
    try:
        returncode, out, err = run_bounded(argv, timeout, env)
    except ChildTimeout as exc:
        abandoned = ABANDONED if ABANDONED in str(exc) else ""
        raise NativeTimeout(f"{what}: no answer within {timeout:g} s{abandoned}") from None
    except ChildOutputTooLarge as exc:
        raise NativeError(f"{what}: answer too large ({exc})") from None
    except OSError as exc:
        raise NativeUnavailable(f"{what}: cannot start a child process ({exc})") from None
    try:
        answer = loads_json(out.decode("utf-8", "replace"))
    except ValueError:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else f"exit code {returncode}"
        raise NativeError(f"{what}: exited without an answer ({last})") from None
    if isinstance(answer, dict) and "ok" in answer:
        return answer["ok"]
    message = answer.get("error", "malformed answer") if isinstance(answer, dict) else "malformed"
    raise NativeError(f"{what}: {message}")
