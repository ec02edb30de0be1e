"""Static facts about AMD GPU targets and ROCm releases."""

from __future__ import annotations

from typing import Tuple

#: GPU targets of integrated parts (APUs), from the LLVM AMDGPU processor table.
#: sysfs has no reliable "integrated" flag on current kernels (the APU's GPU is
#: its own KFD node and looks discrete), so this list is a heuristic; it only
#: affects the order of ``gfx_arch`` values and the ``integrated`` device fact.
#: gfx942 is left out on purpose: it is both MI300X (discrete) and MI300A (APU).
APU_TARGETS = frozenset(
    {
        "gfx801",  # Carrizo
        "gfx810",  # Stoney
        "gfx902",  # Raven Ridge
        "gfx909",  # Raven 2
        "gfx90c",  # Renoir / Cezanne
        "gfx1013",  # Cyan Skillfish
        "gfx1033",  # Van Gogh
        "gfx1035",  # Rembrandt
        "gfx1036",  # Raphael / Granite Ridge iGPU
        "gfx1103",  # Phoenix / Hawk Point
        "gfx1150",  # Strix Point
        "gfx1151",  # Strix Halo
        "gfx1152",  # Krackan Point
        "gfx1153",
    }
)

#: Every GPU target value this provider knows (``all_configs``).  Detection
#: can report a target outside this list (a part newer than this table); the
#: list is what a wheel builder validates against.
KNOWN_TARGETS: Tuple[str, ...] = (
    "gfx803",
    "gfx900",
    "gfx902",
    "gfx904",
    "gfx906",
    "gfx908",
    "gfx909",
    "gfx90a",
    "gfx90c",
    "gfx940",
    "gfx941",
    "gfx942",
    "gfx950",
    "gfx1010",
    "gfx1011",
    "gfx1012",
    "gfx1013",
    "gfx1030",
    "gfx1031",
    "gfx1032",
    "gfx1033",
    "gfx1034",
    "gfx1035",
    "gfx1036",
    "gfx1100",
    "gfx1101",
    "gfx1102",
    "gfx1103",
    "gfx1150",
    "gfx1151",
    "gfx1152",
    "gfx1153",
    "gfx1200",
    "gfx1201",
)


def _rocm_catalog() -> Tuple[str, ...]:
    out = [f"7.{m}" for m in range(20, -1, -1)]
    out += [f"6.{m}" for m in range(4, -1, -1)]
    out += [f"5.{m}" for m in range(7, -1, -1)]
    return tuple(out)


#: ``rocm_version`` values for ``all_configs``, newest first: a superset of the
#: existing provider's catalog (7.10 … 7.0, 6.4, 6.3).
ROCM_VERSIONS: Tuple[str, ...] = _rocm_catalog()
