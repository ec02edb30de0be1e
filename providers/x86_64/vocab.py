"""The ``x86_64`` namespace's value rules: levels, extensions, evidence, the catalogue.

Pure functions of flag-name sets (Linux names: ``pni`` = SSE3); nothing here
looks at the machine.  :func:`combine` is the rule every second source is
applied by: for the names a source can see, only those it calls usable are
kept, and the lower level wins.
"""

from __future__ import annotations

from typing import AbstractSet, Any, Dict, FrozenSet, List, Optional, Set, Tuple

from variant_providers.model import FeatureConfig
from variant_providers.record_class import dataclass, field

from .tables import (
    ALL_EXTENSIONS,
    ALL_LEVELS,
    AMX_EXTENSIONS,
    LEVEL_FLAGS,
    LINUX_TO_PUBLISHED,
    PUBLISHED_TO_LINUX,
    YMM_EXTENSIONS,
    ZMM_EXTENSIONS,
)

__all__ = [
    "Evidence",
    "catalogue",
    "combine",
    "gate_by_state",
    "level_from_flags",
    "level_values",
    "missing_for_next_level",
    "ordered_extensions",
    "parse_level",
]


def catalogue() -> List[FeatureConfig]:
    """Every feature and value this provider can emit, in report order."""
    return [FeatureConfig("level", ALL_LEVELS)] + [
        FeatureConfig(name, ["on"]) for name in ALL_EXTENSIONS
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


# -- evidence of a second source ------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What one second source says.

    ``level`` caps the level; ``ymm``/``zmm`` False drop the extensions that
    need that register state; ``covered``/``usable``: for the names a source
    can see, only those it calls usable are kept.
    """

    source: str
    level: Optional[int] = None
    ymm: Optional[bool] = None
    zmm: Optional[bool] = None
    covered: FrozenSet[str] = frozenset()
    usable: FrozenSet[str] = frozenset()
    detail: Dict[str, Any] = field(default_factory=dict)


def combine(
    flags: AbstractSet[str], source: str, evidence: List[Evidence]
) -> Tuple[FrozenSet[str], Optional[int], str, List[str]]:
    """Apply every second source; the lower level wins.

    Returns ``(flags kept, level, source that decided the level, disagreements)``.
    """
    kept = frozenset(flags)
    level = level_from_flags(kept)
    decided = source
    disagreements: List[str] = []
    for ev in evidence:
        before = level
        if ev.covered:
            dropped = (kept & ev.covered) - ev.usable
            if dropped:
                disagreements.append(f"{ev.source} lacks {', '.join(sorted(dropped))}")
            kept = kept - dropped
            extra = (ev.usable & ev.covered) - kept - {"osxsave"}
            if extra:
                disagreements.append(
                    f"{ev.source} also has {', '.join(sorted(extra))} (not used: {source} lacks it)"
                )
        cap = ev.level
        zmm = ev.zmm
        ymm = ev.ymm
        if cap is not None and level is not None and cap < level:
            disagreements.append(f"{ev.source} says v{cap}, {source} says v{level}")
            zmm = False if cap < 4 else zmm
            ymm = False if cap < 3 else ymm
        kept = gate_by_state(kept, ymm=ymm, zmm=zmm)
        level = level_from_flags(kept)
        if cap is not None and level is not None:
            level = min(level, cap)
        if level is not None and before is not None and level < before:
            decided = ev.source
    return kept, level, decided, disagreements
