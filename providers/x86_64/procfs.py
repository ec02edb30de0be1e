"""The Linux procfs probe: ``/proc/cpuinfo`` flags and ``AT_MINSIGSTKSZ`` from ``/proc/self/auxv``.

The ``flags`` line holds the kernel's enabled feature bits (Linux names:
``pni`` = SSE3, ``abm`` = LZCNT, ``xsave`` standing in for OSXSAVE).
``AT_MINSIGSTKSZ`` checks them: the kernel sizes signal frames for every
register state it enabled, so a frame too small for the ZMM (or YMM) state
proves that state is off even when a hypervisor advertises the flags.  Both
are file reads (tens of µs).
"""

from __future__ import annotations

from typing import AbstractSet, FrozenSet, Optional, Tuple

from variant_providers.cpu import AT_MINSIGSTKSZ, parse_cpuinfo, read_auxv
from variant_providers.system import System

from .tables import MIN_SIGFRAME_WITH_YMM, MIN_SIGFRAME_WITH_ZMM
from .vocab import Evidence

__all__ = ["auxv_evidence", "parse_cpuinfo_flags"]


def parse_cpuinfo_flags(text: str) -> Tuple[FrozenSet[str], str]:
    """The first ``flags`` line and ``model name`` of ``/proc/cpuinfo``."""
    info = parse_cpuinfo(text)
    return frozenset(info.words("flags")), info.get("model name", "")


def auxv_evidence(system: System, flags: AbstractSet[str]) -> Optional[Evidence]:
    """Evidence against *flags* when the signal frame is too small for their state; else None."""
    auxv = read_auxv(system)
    size = auxv.get(AT_MINSIGSTKSZ)
    if size is None:
        return None
    ymm = False if size < MIN_SIGFRAME_WITH_YMM else None
    zmm = False if size < MIN_SIGFRAME_WITH_ZMM else None
    if (ymm is False and "avx" in flags) or (zmm is False and "avx512f" in flags):
        state = "YMM" if ymm is False else "ZMM"
        return Evidence(
            "auxv",
            ymm=ymm,
            zmm=zmm,
            detail={
                "AT_MINSIGSTKSZ": size,
                "status": f"signal frame too small for the {state} state the flags claim",
            },
        )
    return None
