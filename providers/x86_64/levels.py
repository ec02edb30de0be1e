"""Pure functions: psABI level and extension list from a set of Linux flag names."""

from __future__ import annotations

from typing import AbstractSet, FrozenSet, List, Optional, Set, Tuple

from .tables import (
    ALL_EXTENSIONS,
    AMX_EXTENSIONS,
    LEVEL_FLAGS,
    LINUX_TO_PUBLISHED,
    PUBLISHED_TO_LINUX,
    YMM_EXTENSIONS,
    ZMM_EXTENSIONS,
)

__all__ = [
    "gate_by_state",
    "level_from_flags",
    "level_values",
    "missing_for_next_level",
    "ordered_extensions",
    "parse_level",
]


def level_from_flags(flags: AbstractSet[str]) -> Optional[int]:
    """The highest psABI level whose flags (and all lower levels') are present.

    Returns 1–4, or ``None`` when even the baseline is missing (not an
    x86-64 flag set).  Monotone: adding flags never lowers the result.
    """
    level = 0
    for _name, needed in LEVEL_FLAGS:
        if not needed <= flags:
            break
        level += 1
    return level or None


def missing_for_next_level(flags: AbstractSet[str]) -> Tuple[str, ...]:
    """The flags the next level up lacks (empty at v4)."""
    level = level_from_flags(flags) or 0
    if level >= len(LEVEL_FLAGS):
        return ()
    return tuple(sorted(LEVEL_FLAGS[level][1] - flags))


def level_values(level: int) -> Tuple[str, ...]:
    """``level :: vN … v1``: a v3 machine runs v3, v2 and v1 wheels, v3 preferred."""
    return tuple(f"v{n}" for n in range(level, 0, -1))


def parse_level(text: str) -> Optional[int]:
    """``"v3"``/``"3"``/``"x86-64-v3"`` → 3; ``None`` when not a level 1–4."""
    value = text.strip().lower()
    for prefix in ("x86-64-", "x86_64_", "x86_64-"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    value = value.removeprefix("v")
    if value in ("1", "2", "3", "4"):
        return int(value)
    return None


def gate_by_state(
    flags: AbstractSet[str],
    *,
    ymm: Optional[bool] = None,
    zmm: Optional[bool] = None,
    amx: Optional[bool] = None,
) -> FrozenSet[str]:
    """Drop the flags whose register state the OS does not enable.

    ``None`` means "unknown": nothing is dropped for that state.  The rules are
    glibc's (``cpu-features.c::update_active``): no YMM state → no AVX family
    (and no AVX-512); no ZMM state → no AVX-512; no tile state → no AMX.
    """
    out: Set[str] = set(flags)
    if ymm is False:
        out -= YMM_EXTENSIONS
        out -= ZMM_EXTENSIONS
        out -= AMX_EXTENSIONS
    if zmm is False:
        out -= ZMM_EXTENSIONS
    if amx is False:
        out -= AMX_EXTENSIONS
    return frozenset(out)


def ordered_extensions(flags: AbstractSet[str]) -> List[str]:
    """The published extension names present in *flags*, in report order."""
    out = []
    for name in ALL_EXTENSIONS:
        if PUBLISHED_TO_LINUX.get(name, name) in flags:
            out.append(name)
    return out


def published_name(linux_name: str) -> str:
    """The name the provider publishes for a Linux flag (``pni`` → ``sse3``)."""
    return LINUX_TO_PUBLISHED.get(linux_name, linux_name)
