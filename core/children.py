"""Child processes with a deadline, bounded output and no survivors.

Every program we start — a vendor tool through ``System.run``, a native
facade, a third-party provider — may flood its pipes, hang, or leave a daemon
behind.  :class:`BoundedChild` is the one place that starts such a child:

* **bounded output** — stdout (the answer) is read up to a limit and a child
  that writes more is killed and reported as :class:`ChildOutputTooLarge`;
  stderr (diagnostics) is drained but only its head and tail are kept, with a
  note of how much was dropped.  The parent's memory does not depend on what
  the child writes.
* **a deadline** — the child is read until it exits or the deadline passes
  (:class:`ChildTimeout`).  The wait ends when the child exits, not when its
  pipes close, so a grandchild that inherited them cannot turn an answered
  call into a timeout.
* **no survivors** — the child runs in its own session and process group,
  and when the call ends, answered or not, the whole group is killed.  A
  descendant that left the group (``setsid``, a double-forked daemon) still
  carries the call's id in its environment (:data:`CALL_ID_VAR`); on Linux
  every process started after the child that carries it is killed too.  (A
  process that scrubs its own environment escapes this; a cgroup would be
  needed to catch it.)
"""

from __future__ import annotations

import errno
import os
import time
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence

from .record_class import dataclass

if TYPE_CHECKING:
    import subprocess

__all__ = [
    "CALL_ID_VAR",
    "STDERR_KEEP",
    "STDOUT_LIMIT",
    "BoundedChild",
    "ChildOutput",
    "ChildOutputTooLarge",
    "ChildTimeout",
    "kill_process_group",
]

#: Most bytes of stdout a child may write; its answer is never larger.
STDOUT_LIMIT = 1024 * 1024
#: Bytes of stderr kept from its beginning and, again, from its end.
STDERR_KEEP = 16 * 1024
#: Environment variable carrying the id of the call a process belongs to.
CALL_ID_VAR = "VARIANT_PROVIDERS_CALL_ID"

_CHUNK = 65536
#: How often the reader checks whether the child exited while its pipes stay open.
_TICK = 0.02


class ChildTimeout(Exception):
    """A bounded child process did not finish in time (it has been killed)."""


#: Seconds a killed child gets to go: a killed process is reaped in
#: milliseconds, and the detection's deadline allows for this much more.
KILL_GRACE = 0.5

#: What a timeout adds when the killed child was still there after the grace:
#: stuck in the kernel (an uninterruptible driver call survives SIGKILL).  It
#: is abandoned, not waited for.
ABANDONED = "; it did not exit when killed (stuck in the kernel?) and was abandoned"


class ChildOutputTooLarge(Exception):
    """A child wrote more than its stdout limit (it has been killed)."""


@dataclass(frozen=True)
class ChildOutput:
    """What a finished child left: exit status, its stdout, a summary of its stderr."""

    returncode: int
    stdout: bytes
    stderr: bytes


class _StderrSummary:
    """Keeps the first and the last :data:`STDERR_KEEP` bytes of a stream."""

    def __init__(self, keep: int = STDERR_KEEP) -> None:
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self.keep - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > 2 * self.keep:
                del self.tail[: len(self.tail) - self.keep]

    def value(self) -> bytes:
        tail = bytes(self.tail[-self.keep :])
        dropped = self.total - len(self.head) - len(tail)
        if dropped <= 0:
            return bytes(self.head) + tail
        note = f"\n[... {dropped} bytes of stderr not kept ...]\n".encode()
        return bytes(self.head) + note + tail


class BoundedChild:
    """One child process, started at construction and finished by :meth:`wait`."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Optional[Mapping[str, str]] = None,
        *,
        stdout_limit: int = STDOUT_LIMIT,
    ) -> None:
        import subprocess

        self.argv = list(argv)
        self.stdout_limit = stdout_limit
        self.call_id = os.urandom(12).hex()  # secrets.token_hex, without its hashlib import
        child_env: Dict[str, str] = dict(os.environ if env is None else env)
        child_env[CALL_ID_VAR] = self.call_id
        kwargs: Dict[str, Any] = {"start_new_session": True} if os.name == "posix" else {}
        self.started = time.monotonic()
        self.proc: subprocess.Popen[bytes] = subprocess.Popen(  # argv list, never a shell
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env,
            **kwargs,
        )

    def wait(self, timeout: float) -> ChildOutput:
        """Read the child until it exits; the deadline counts from its start.

        A child that already exited (while the caller waited for another one)
        is read even when the deadline has passed.  Whatever happens, the
        child's process group and marked descendants are gone on return.
        """
        try:
            output = self._read(self.started + timeout, timeout)
        except ChildTimeout as exc:
            if not self._end():
                raise ChildTimeout(f"{exc}{ABANDONED}") from None
            raise
        except BaseException:
            self._end()
            raise
        self._end()
        return output

    def _read(self, deadline: float, timeout: float) -> ChildOutput:
        if os.name != "posix":
            return self._read_without_select(deadline, timeout)
        import selectors

        proc = self.proc
        assert proc.stdout is not None and proc.stderr is not None
        out = bytearray()
        err = _StderrSummary()
        sinks = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
        with selectors.DefaultSelector() as selector:
            for fd in sinks:
                os.set_blocking(fd, False)
                selector.register(fd, selectors.EVENT_READ)
            while True:
                exited = proc.poll() is not None
                # After an exit, what the child wrote is in the pipes: take it and stop,
                # whether or not a descendant keeps the pipes open.
                self._drain(selector, sinks, out, err)
                if exited or not selector.get_map():
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ChildTimeout(f"{self.argv[0]}: no answer within {timeout:g} s")
                selector.select(min(remaining, _TICK))
        if proc.poll() is None:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.0))
            except Exception:
                raise ChildTimeout(f"{self.argv[0]}: no answer within {timeout:g} s") from None
        return ChildOutput(int(proc.returncode), bytes(out), err.value())

    def _read_without_select(self, deadline: float, timeout: float) -> ChildOutput:
        """Windows: pipes cannot be polled, so the deadline holds but not the caps
        while reading; what exceeds them is refused afterwards."""
        import subprocess

        try:
            out, err = self.proc.communicate(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            raise ChildTimeout(f"{self.argv[0]}: no answer within {timeout:g} s") from None
        if len(out) > self.stdout_limit:
            raise ChildOutputTooLarge(f"{self.argv[0]}: wrote more than {self.stdout_limit} bytes")
        summary = _StderrSummary()
        summary.add(err)
        return ChildOutput(int(self.proc.returncode), out, summary.value())

    def _drain(
        self,
        selector: Any,
        sinks: Dict[int, Any],
        out: bytearray,
        err: _StderrSummary,
    ) -> None:
        """Read what is available now, for at most a fifth of a second.

        The time bound keeps a child that writes faster than we read from
        holding the reader past its deadline.
        """
        stop = time.monotonic() + 0.2
        for fd in list(selector.get_map()):
            while True:
                try:
                    data = os.read(fd, _CHUNK)
                except BlockingIOError:
                    break
                except OSError as exc:  # pragma: no cover - a pipe error ends the stream
                    if exc.errno == errno.EINTR:
                        continue
                    data = b""
                if not data:
                    selector.unregister(fd)
                    break
                sink = sinks[fd]
                if sink is out:
                    out += data
                    if len(out) > self.stdout_limit:
                        raise ChildOutputTooLarge(
                            f"{self.argv[0]}: wrote more than {self.stdout_limit} bytes"
                        )
                else:
                    err.add(data)
                if time.monotonic() > stop:
                    return

    def _end(self) -> bool:
        """Kill the group and every marked descendant, reap the child, close pipes.

        False when the child was still there after the kill (it is abandoned).
        """
        proc = self.proc
        kill_process_group(proc)
        _kill_marked(self.call_id, proc.pid)
        gone = True
        try:
            proc.wait(KILL_GRACE)
        except Exception:
            gone = False
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        return gone


def kill_process_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill *proc* and everything in its process group (POSIX) or *proc* alone.

    Safe after *proc* exited: its process group id stays reserved while any
    member is alive, and an empty group is simply not found.
    """
    import signal

    if os.name == "posix":
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    if proc.poll() is None:
        try:
            proc.kill()
        except OSError:  # pragma: no cover - exited in between
            pass


def _kill_marked(call_id: str, first_pid: int) -> None:
    """Kill processes started since *first_pid* that carry *call_id* (Linux)."""
    import signal

    marker = f"{CALL_ID_VAR}={call_id}".encode()
    for _ in range(5):  # a marked process may fork while we look
        found = [pid for pid in _pids_since(first_pid) if _carries(pid, marker)]
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if not found:
            return


def _pids_since(first_pid: int) -> List[int]:
    """Process ids allocated from *first_pid* on (all of them after a wrap-around)."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    pids = [int(n) for n in names if n.isdigit()]
    try:
        with open("/proc/sys/kernel/ns_last_pid", "rb") as fh:
            last = int(fh.read(32).strip() or 0)
    except (OSError, ValueError):
        last = max(pids, default=0)
    own = os.getpid()
    wrapped = last < first_pid
    return [p for p in pids if p != own and (wrapped or p >= first_pid)]


def _carries(pid: int, marker: bytes) -> bool:
    try:
        fd = os.open(f"/proc/{pid}/environ", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        data = os.read(fd, 256 * 1024)
    except OSError:
        return False
    finally:
        os.close(fd)
    return any(entry == marker for entry in data.split(b"\0"))
