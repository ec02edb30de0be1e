"""Decode raw CPUID answers (and XCR0) into Linux flag names.

The answer format is the one the native probe returns and the one recorded
in archspec's Windows fixtures: rows ``[leaf, subleaf, eax, ebx, ecx, edx]``
(integers), plus ``xcr0`` (``XGETBV(0)``) when it could be read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from .levels import gate_by_state
from .tables import CPUID_BITS, XCR0_AMX, XCR0_YMM, XCR0_ZMM

__all__ = ["CpuidView", "decode_cpuid", "parse_cpuid_csv"]

_Regs = Tuple[int, int, int, int]


@dataclass(frozen=True)
class CpuidView:
    """What a CPUID (+XGETBV) answer says, in Linux flag names.

    ``raw`` holds every bit the silicon advertises; ``usable`` removes what the
    OS state (XCR0) does not allow, the way glibc does.  When ``xcr0`` is
    unknown (a recording without it), OSXSAVE alone decides: the state is
    assumed enabled when the OS set OSXSAVE.
    """

    raw: FrozenSet[str]
    usable: FrozenSet[str]
    xcr0: Optional[int] = None
    vendor: str = ""
    brand: str = ""
    notes: Tuple[str, ...] = field(default=())

    @property
    def osxsave(self) -> bool:
        return "osxsave" in self.raw


def parse_cpuid_csv(text: str) -> List[List[int]]:
    """Rows of a ``leaf, subleaf, eax, ebx, ecx, edx`` CSV (decimal); bad rows skipped."""
    rows: List[List[int]] = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 6:
            continue
        try:
            rows.append([int(p, 0) for p in parts])
        except ValueError:
            continue
    return rows


def _registers(rows: Sequence[Any]) -> Dict[Tuple[int, int], _Regs]:
    table: Dict[Tuple[int, int], _Regs] = {}
    for row in rows:
        if not isinstance(row, (list, tuple)) or len(row) != 6:
            continue
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in row):
            continue
        leaf, sub, eax, ebx, ecx, edx = (int(v) & 0xFFFFFFFF for v in row)
        table.setdefault((leaf, sub), (eax, ebx, ecx, edx))
    return table


def _text(*words: int) -> str:
    raw = b"".join(struct.pack("<I", w & 0xFFFFFFFF) for w in words)
    return raw.split(b"\0", 1)[0].decode("ascii", "replace").strip()


def decode_cpuid(answer: Mapping[str, Any]) -> CpuidView:
    """Decode ``{"rows": [...], "xcr0": int|None}`` into a :class:`CpuidView`.

    Leaves above the reported maximum (leaf 0 EAX, leaf 0x80000000 EAX) are
    ignored, as the SDM requires; missing leaves simply contribute no bits.
    """
    table = _registers(answer.get("rows") or [])
    notes: List[str] = []
    max_basic = table.get((0, 0), (0, 0, 0, 0))[0]
    max_ext = table.get((0x80000000, 0), (0, 0, 0, 0))[0]
    raw = set()
    for leaf, sub, reg, bit, name in CPUID_BITS:
        limit = max_ext if leaf >= 0x80000000 else max_basic
        if leaf > limit:
            continue
        regs = table.get((leaf, sub))
        if regs is not None and regs[reg] >> bit & 1:
            raw.add(name)
    vendor = ""
    if (0, 0) in table:
        _, ebx, ecx, edx = table[(0, 0)]
        vendor = _text(ebx, edx, ecx)
    brand = ""
    if max_ext >= 0x80000004 and all((leaf, 0) in table for leaf in range(0x80000002, 0x80000005)):
        brand = _text(*(w for leaf in range(0x80000002, 0x80000005) for w in table[(leaf, 0)]))
    xcr0_value = answer.get("xcr0")
    xcr0 = xcr0_value if isinstance(xcr0_value, int) and not isinstance(xcr0_value, bool) else None
    if "osxsave" not in raw:
        ymm: Optional[bool] = False
        zmm: Optional[bool] = False
        amx: Optional[bool] = False
        raw_usable = set(raw)
        raw_usable.discard("xsave")  # XSAVE without OSXSAVE: the OS does not use it
        notes.append("OSXSAVE is clear: no AVX state")
    elif xcr0 is None:
        ymm = zmm = amx = None
        raw_usable = set(raw)
        notes.append("XCR0 not recorded: OS state assumed from OSXSAVE")
    else:
        ymm = xcr0 & XCR0_YMM == XCR0_YMM
        zmm = ymm and xcr0 & XCR0_ZMM == XCR0_ZMM
        amx = xcr0 & XCR0_AMX == XCR0_AMX
        raw_usable = set(raw)
    usable = gate_by_state(raw_usable, ymm=ymm, zmm=zmm, amx=amx)
    return CpuidView(
        raw=frozenset(raw),
        usable=usable,
        xcr0=xcr0,
        vendor=vendor,
        brand=" ".join(brand.split()),
        notes=tuple(notes),
    )
