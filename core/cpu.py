"""Readers shared by the CPU providers (x86-64 and aarch64).

Everything here reads the machine through the :class:`~variant_providers.system.System`
seam and parses plain text or bytes; nothing raises on garbage input:

* :func:`read_cpuinfo` — the first ``processor`` block of ``/proc/cpuinfo`` as a
  ``{key: value}`` mapping (that block is what the kernel fills in for CPU 0;
  on x86 every logical CPU prints the same feature flags, and the arm64
  ``Features`` line is the system-wide sanitised set);
* :func:`read_auxv` — the process's ELF auxiliary vector from
  ``/proc/self/auxv`` (``AT_HWCAP``, ``AT_HWCAP2``, ``AT_MINSIGSTKSZ`` …), the
  same numbers ``getauxval(3)`` returns, without loading a library;
* :func:`run_sysctl` / :func:`parse_sysctl` — macOS ``sysctl`` output, ``key: value``
  lines;
* :func:`detect_by_os` — the shape both CPU providers share: wrong architecture
  → not detected, a force variable wins, then one detector per OS.
"""

from __future__ import annotations

import struct
from typing import Callable, Dict, Mapping, Optional, Sequence, Tuple

from .provider import ProviderOutput
from .system import System

__all__ = [
    "AT_HWCAP",
    "AT_HWCAP2",
    "AT_HWCAP3",
    "AT_HWCAP4",
    "AT_MINSIGSTKSZ",
    "CpuInfo",
    "detect_by_os",
    "parse_auxv",
    "parse_cpuinfo",
    "parse_sysctl",
    "read_auxv",
    "read_cpuinfo",
    "run_sysctl",
]

#: ``getauxval`` keys (``include/uapi/linux/auxvec.h``, ``elf.h``).
AT_HWCAP = 16
AT_HWCAP2 = 26
AT_HWCAP3 = 29
AT_HWCAP4 = 30
AT_MINSIGSTKSZ = 51

#: Cap on what is parsed: a real ``/proc/cpuinfo`` block is a few kB.
_MAX_BLOCK_CHARS = 1 << 16


class CpuInfo(Dict[str, str]):
    """The first ``processor`` block of ``/proc/cpuinfo``: ``{key: value}``.

    Keys keep the kernel's spelling (``"model name"``, ``"CPU implementer"``);
    the first occurrence of a key wins.
    """

    def words(self, key: str) -> Tuple[str, ...]:
        """The whitespace-separated words of *key* (``flags``, ``Features``)."""
        return tuple(self.get(key, "").split())


def parse_cpuinfo(text: str) -> CpuInfo:
    """Parse the first ``processor`` block of a ``/proc/cpuinfo`` text.

    Reading stops at the first blank line after some key was seen, like the
    kernel's own per-CPU blocks.  Lines without a colon are skipped, so a
    truncated or garbage file gives a partial (possibly empty) mapping.
    """
    info = CpuInfo()
    for line in text[:_MAX_BLOCK_CHARS].splitlines():
        if not line.strip():
            if info:
                break
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip()
        if key and key not in info:
            info[key] = value.strip()
    return info


def read_cpuinfo(system: System) -> Tuple[Optional[CpuInfo], str]:
    """``(parsed first block, "")`` or ``(None, reason)`` when unreadable."""
    try:
        text = system.read_text("/proc/cpuinfo")
    except OSError as exc:
        return None, f"/proc/cpuinfo unreadable ({exc.strerror or type(exc).__name__})"
    return parse_cpuinfo(text), ""


def parse_auxv(data: bytes, word: int = 8) -> Dict[int, int]:
    """Decode an auxiliary vector (pairs of native little-endian words).

    Stops at ``AT_NULL``; a short or malformed buffer gives what could be read.
    """
    fmt = "<QQ" if word == 8 else "<II"
    step = 2 * word
    out: Dict[int, int] = {}
    for offset in range(0, len(data) - step + 1, step):
        key, value = struct.unpack_from(fmt, data, offset)
        if key == 0:
            break
        out.setdefault(int(key), int(value))
    return out


def read_auxv(system: System) -> Dict[int, int]:
    """This process's auxiliary vector, or ``{}`` when it cannot be read.

    ``/proc/self/auxv`` is the process's own copy of what ``getauxval`` reads
    (qemu-user even emulates it for the guest), so reading it costs one small
    file read instead of a library call.
    """
    try:
        data = system.read_bytes("/proc/self/auxv")
    except OSError:
        return {}
    return parse_auxv(data)


def parse_sysctl(text: str) -> Dict[str, str]:
    """Parse ``sysctl`` output (``key: value`` lines; first occurrence wins)."""
    out: Dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key and " " not in key and key not in out:
            out[key] = value.strip()
    return out


def run_sysctl(
    system: System, names: Sequence[str], timeout: float = 5.0
) -> Tuple[Optional[Mapping[str, str]], str, bool]:
    """Run ``sysctl NAME…`` and parse it: ``(values, "", False)`` or ``(None, reason, timed_out)``.

    ``sysctl`` exits non-zero when one of the names is unknown on this macOS
    release but still prints the others, so its output is parsed whatever the
    exit status; only "could not run" and "printed nothing" are failures.  The
    third item says whether the failure was a timeout, so callers need not
    read it out of the message (which names the limit in force).
    """
    result = system.run(["sysctl", *names], timeout=timeout)
    if result.timed_out or result.error:
        return None, result.describe(), result.timed_out
    values = parse_sysctl(result.stdout)
    if not values:
        return None, f"{result.describe()}, no output", False
    return values, "", False


OsDetector = Callable[[System], ProviderOutput]


def detect_by_os(
    system: System,
    *,
    arch: str,
    label: str,
    linux: OsDetector,
    darwin: OsDetector,
    windows: OsDetector,
) -> ProviderOutput:
    """Run the detector for this OS, after the architecture check.

    *arch* is the normalised architecture the provider serves (``x86_64``,
    ``aarch64``) and *label* how messages name it ("x86-64", "AArch64").
    """
    if system.platform.arch != arch:
        return ProviderOutput(reason=f"not an {label} machine ({system.platform.machine})")
    name = system.platform.system
    if system.platform.is_linux:
        return linux(system)
    if name == "Darwin":
        return darwin(system)
    if name == "Windows":
        return windows(system)
    return ProviderOutput(reason=f"no {label} detector for {name or 'this OS'}")
