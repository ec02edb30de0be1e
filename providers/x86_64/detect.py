"""Detect the x86-64 psABI level from the kernel's CPU flags.

The levels are the x86-64 psABI's micro-architecture levels.  Linux prints
the CPU feature bits it has enabled in the ``flags`` line of
``/proc/cpuinfo``, with its own names: ``pni`` is SSE3, ``abm`` is LZCNT,
``lahf_lm`` is LAHF/SAHF in long mode, and ``xsave`` stands in for OSXSAVE
(which the kernel never prints).  Because the kernel clears ``avx`` and
``avx512f`` when it cannot save their register state, the flag check also
covers the OS-support condition in practice.
"""

from __future__ import annotations

from typing import AbstractSet, Optional, Tuple

from variant_providers.model import FeatureConfig
from variant_providers.provider import ProviderOutput
from variant_providers.system import System

#: Linux flag names each level adds to the one below it.
LEVEL_FLAGS: Tuple[Tuple[str, frozenset[str]], ...] = (
    ("v1", frozenset({"fpu", "cx8", "cmov", "mmx", "fxsr", "sse", "sse2"})),
    ("v2", frozenset({"pni", "ssse3", "sse4_1", "sse4_2", "popcnt", "cx16", "lahf_lm"})),
    (
        "v3",
        frozenset({"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}),
    ),
    ("v4", frozenset({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"})),
)

#: Every level value, most capable first (what a wheel may declare).
ALL_LEVELS = ("v4", "v3", "v2", "v1")


def level_from_flags(flags: AbstractSet[str]) -> Optional[int]:
    """The highest psABI level whose flags (and all lower levels') are present.

    Returns 1–4, or ``None`` when even the baseline is missing (not an
    x86-64 flag set).
    """
    level = 0
    for _name, needed in LEVEL_FLAGS:
        if not needed <= flags:
            break
        level += 1
    return level or None


def parse_cpuinfo_flags(text: str) -> Tuple[frozenset[str], str]:
    """The first ``flags`` line and ``model name`` of ``/proc/cpuinfo``."""
    flags: frozenset[str] = frozenset()
    model = ""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip()
        if key == "flags" and not flags:
            flags = frozenset(value.split())
        elif key == "model name" and not model:
            model = value.strip()
        if flags and model:
            break
    return flags, model


def level_values(level: int) -> Tuple[str, ...]:
    """``level :: vN … v1``: a v3 machine runs v3, v2 and v1 wheels, v3 preferred."""
    return tuple(f"v{n}" for n in range(level, 0, -1))


def detect(system: System) -> ProviderOutput:
    """Detect the level on Linux through ``/proc/cpuinfo``."""
    if system.platform.arch != "x86_64":
        return ProviderOutput(reason=f"not an x86-64 machine ({system.platform.machine})")
    if not system.platform.is_linux:
        return ProviderOutput(reason=f"no detector for {system.platform.system} yet")
    try:
        text = system.read_text("/proc/cpuinfo")
    except OSError as exc:
        return ProviderOutput(reason=f"/proc/cpuinfo unreadable ({exc.strerror})")
    flags, model = parse_cpuinfo_flags(text)
    level = level_from_flags(flags)
    if level is None:
        return ProviderOutput(reason="/proc/cpuinfo has no x86-64 baseline flags")
    return ProviderOutput(
        features=[FeatureConfig("level", level_values(level))],
        info={"model": model, "level": f"v{level}", "source": {"level": "/proc/cpuinfo"}},
    )
