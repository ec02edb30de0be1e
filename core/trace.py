"""The debug trail of a detection, and the "still probing…" line on a terminal.

Every question a provider asks goes through its :class:`~.system.System`, so
the seam is the one place that sees what was tried, in what order, how long
it took and what came back — for every provider, built-in or not, without a
line of logging in any of them.  :func:`traced` wraps a provider's system in
a :class:`TracingSystem` when the debug log is on (``-v``) or a status line
is wanted; otherwise it returns the system untouched and costs nothing.

A driver waking up can take seconds (``cuInit`` 6.5 s in a confidential VM,
NVML without persistence mode); a silent terminal looks hung.  When the
command line sets :data:`STATUS` to a terminal stream, a call that has not
answered after :data:`STATUS_DELAY` seconds shows one line there
(``probing nvidia (nvml)…``), erased as soon as it answers.  Nothing of it
reaches stdout.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, List, Optional, Sequence, TextIO, TypeVar

from . import lazy_log
from .system import DEFAULT_TIMEOUT, CommandResult, NativeFacade, System, SystemProxy

__all__ = ["STATUS_DELAY", "StatusLine", "TracingSystem", "set_status_stream", "traced"]

log = lazy_log.getLogger("variant_providers.trace")

#: Seconds a call may take before the status line appears.
STATUS_DELAY = 0.5

T = TypeVar("T")


class StatusLine:
    """One erasable line on a terminal stream, shown only for slow calls."""

    def __init__(self, stream: TextIO, delay: float = STATUS_DELAY) -> None:
        self.stream = stream
        self.delay = delay
        self._lock = threading.Lock()
        self._shown = False

    def _show(self, text: str) -> None:
        with self._lock:
            try:
                self.stream.write(f"\r{text}\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                return
            self._shown = True

    def start(self, text: str) -> threading.Timer:
        timer = threading.Timer(self.delay, self._show, args=(text,))
        timer.daemon = True
        timer.start()
        return timer

    def stop(self, timer: threading.Timer) -> None:
        timer.cancel()
        with self._lock:
            if self._shown:
                try:
                    self.stream.write("\r\x1b[K")
                    self.stream.flush()
                except (OSError, ValueError):
                    pass
                self._shown = False


_STATUS: List[StatusLine] = []


def set_status_stream(stream: Optional[TextIO], delay: float = STATUS_DELAY) -> None:
    """Show slow probes on *stream* (a terminal), or nowhere with ``None``."""
    _STATUS.clear()
    if stream is not None:
        _STATUS.append(StatusLine(stream, delay))


def _short(value: Any) -> str:
    if isinstance(value, CommandResult):
        text = value.describe()
        return f"{text}, {len(value.stdout)} bytes of output" if value.ok else text
    if isinstance(value, (bytes, str)):
        return f"{len(value)} bytes"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return f"{len(value)} entries"
    if isinstance(value, dict):
        try:
            text = json.dumps(value, sort_keys=True, default=str)
        except (TypeError, ValueError):
            text = "{" + ", ".join(sorted(map(str, value))) + "}"
        return text if len(text) <= _ANSWER_CHARS else text[: _ANSWER_CHARS - 1] + "…"
    return type(value).__name__


#: How much of a native answer the trail shows.
_ANSWER_CHARS = 240


class TracingSystem(SystemProxy):
    """A :class:`System` view that logs every call of one provider, timed."""

    def __init__(self, inner: System, namespace: str) -> None:
        super().__init__(inner)
        self.namespace = namespace

    def _call(self, what: str, call: Callable[[], T], slow: Optional[str] = None) -> T:
        status = _STATUS[0] if _STATUS and slow else None
        timer = status.start(f"probing {self.namespace} ({slow})…") if status and slow else None
        start = time.perf_counter()
        try:
            value = call()
        except Exception as exc:
            ms = (time.perf_counter() - start) * 1e3
            log.debug(
                "%s: %s -> %s: %s (%.1f ms)", self.namespace, what, type(exc).__name__, exc, ms
            )
            raise
        finally:
            if status is not None and timer is not None:
                status.stop(timer)
        ms = (time.perf_counter() - start) * 1e3
        log.debug("%s: %s -> %s (%.1f ms)", self.namespace, what, _short(value), ms)
        return value

    def getenv(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = self.inner.getenv(name, default)
        log.debug(
            "%s: getenv %s -> %s", self.namespace, name, "unset" if value is None else repr(value)
        )
        return value

    def read_text(self, path: str) -> str:
        return self._call(f"read {path}", lambda: self.inner.read_text(path))

    def read_bytes(self, path: str) -> bytes:
        return self._call(f"read {path}", lambda: self.inner.read_bytes(path))

    def listdir(self, path: str) -> list[str]:
        return self._call(f"list {path}", lambda: self.inner.listdir(path))

    def exists(self, path: str) -> bool:
        return self._call(f"exists {path}", lambda: self.inner.exists(path))

    def readlink(self, path: str) -> str:
        return self._call(f"readlink {path}", lambda: self.inner.readlink(path))

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        name = argv[0] if argv else "?"
        return self._call(
            f"run {' '.join(argv)}", lambda: self.inner.run(argv, timeout), slow=f"running {name}"
        )

    def native(self, facade: NativeFacade) -> Any:
        return self._call(
            f"native {facade.name} ({facade.target})",
            lambda: self.inner.native(facade),
            slow=facade.name,
        )


def traced(system: System, namespace: str) -> System:
    """*system* with its calls traced, when a trail or a status line is wanted."""
    if _STATUS or log.isEnabledFor(lazy_log.DEBUG):
        return TracingSystem(system, namespace)
    return system
