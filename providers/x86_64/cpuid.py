"""The CPUID+XGETBV probe, both halves.

The child half (:func:`cpuid_probe`, the target of :data:`CPUID_FACADE`) runs
only in a child interpreter: executing machine code from an RWX page can be
refused (SELinux ``execmem``, PaX, hardened runtimes) and a wrong opcode kills
the interpreter.  It returns plain JSON data, failures as ``{"error": ...}``.
The parent half decodes that answer into Linux flag names
(:func:`decode_cpuid`) and into the :class:`~.vocab.Evidence` of a second
source (:func:`cpuid_evidence`).

The answer format is the one recorded in archspec's Windows fixtures too:
rows ``[leaf, subleaf, eax, ebx, ecx, edx]`` (integers), plus ``xcr0``
(``XGETBV(0)``) when it could be read.
"""

from __future__ import annotations

import struct
import sys
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from variant_providers.record_class import dataclass, field
from variant_providers.system import NativeError, NativeFacade, NativeTimeout, System

from .tables import CPUID_BITS, CPUID_NAMES, PUBLISHED_TO_LINUX, XCR0_AMX, XCR0_YMM, XCR0_ZMM
from .vocab import Evidence, gate_by_state, level_from_flags

__all__ = [
    "CPUID_FACADE",
    "CpuidView",
    "cpuid_evidence",
    "cpuid_probe",
    "decode_cpuid",
    "parse_cpuid_csv",
]

CPUID_FACADE = NativeFacade("cpuid", "variant_providers.providers.x86_64.cpuid:cpuid_probe", 10.0)


# -- child half: run only in the native-facade child process ------------------------------

# cpuid(leaf, subleaf, uint32_t out[4]) — System V AMD64 calling convention.
_CPUID_SYSV = bytes(
    [
        0x53,  # push rbx
        0x49, 0x89, 0xD0,  # mov r8, rdx
        0x89, 0xF8,  # mov eax, edi
        0x89, 0xF1,  # mov ecx, esi
        0x0F, 0xA2,  # cpuid
        0x41, 0x89, 0x00,  # mov [r8], eax
        0x41, 0x89, 0x58, 0x04,  # mov [r8+4], ebx
        0x41, 0x89, 0x48, 0x08,  # mov [r8+8], ecx
        0x41, 0x89, 0x50, 0x0C,  # mov [r8+12], edx
        0x5B,  # pop rbx
        0xC3,  # ret
    ]
)  # fmt: skip

# The same for the Microsoft x64 convention (rcx, rdx, r8).
_CPUID_WIN64 = bytes(
    [
        0x53,  # push rbx
        0x89, 0xC8,  # mov eax, ecx
        0x89, 0xD1,  # mov ecx, edx
        0x0F, 0xA2,  # cpuid
        0x41, 0x89, 0x00,  # mov [r8], eax
        0x41, 0x89, 0x58, 0x04,  # mov [r8+4], ebx
        0x41, 0x89, 0x48, 0x08,  # mov [r8+8], ecx
        0x41, 0x89, 0x50, 0x0C,  # mov [r8+12], edx
        0x5B,  # pop rbx
        0xC3,  # ret
    ]
)  # fmt: skip

# uint64_t xgetbv0(void) — both conventions.
_XGETBV = bytes(
    [
        0x31, 0xC9,  # xor ecx, ecx
        0x0F, 0x01, 0xD0,  # xgetbv
        0x48, 0xC1, 0xE2, 0x20,  # shl rdx, 32
        0x48, 0x09, 0xD0,  # or rax, rdx
        0xC3,  # ret
    ]
)  # fmt: skip

#: Windows ``IsProcessorFeaturePresent`` constants (these include OS support).
_WINDOWS_PF = {
    "sse3": 13,
    "ssse3": 36,
    "sse4_1": 37,
    "sse4_2": 38,
    "avx": 39,
    "avx2": 40,
    "avx512f": 41,
}


def _executable_page(code: bytes) -> Any:
    """Copy *code* into executable memory; return the memory's address holder."""
    import ctypes

    if sys.platform == "win32":
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        kernel32.VirtualAlloc.restype = ctypes.c_void_p
        kernel32.VirtualAlloc.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint32,
            ctypes.c_uint32,
        ]
        mem_commit_reserve, page_execute_readwrite = 0x3000, 0x40
        address = kernel32.VirtualAlloc(None, 4096, mem_commit_reserve, page_execute_readwrite)
        if not address:
            raise OSError(f"VirtualAlloc failed ({ctypes.get_last_error()})")  # type: ignore[attr-defined]
        ctypes.memmove(address, code, len(code))
        return address
    import mmap

    page = mmap.mmap(
        -1,
        mmap.PAGESIZE,
        flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
        prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC,
    )
    page.write(code)
    holder = ctypes.c_char.from_buffer(page)
    _KEEP.append((page, holder))
    return ctypes.addressof(holder)


_KEEP: List[Any] = []


def cpuid_probe() -> Dict[str, Any]:
    """Raw CPUID leaves and XCR0 of this machine.

    Returns ``{"rows": [[leaf, subleaf, eax, ebx, ecx, edx], ...], "xcr0": int|None,
    "method": ..., "pf": {...}}`` (``pf``: Windows ``IsProcessorFeaturePresent``
    answers) or ``{"error": "..."}``.
    """
    import ctypes
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64", "x64"):
        return {"error": f"not an x86-64 process ({platform.machine()})"}
    windows = sys.platform == "win32"
    try:
        cpuid_address = _executable_page(_CPUID_WIN64 if windows else _CPUID_SYSV)
        xgetbv_address = _executable_page(_XGETBV)
    except (OSError, ValueError, AttributeError) as exc:
        return {"error": f"no executable memory: {exc}"}
    regs_type = ctypes.c_uint32 * 4
    cpuid_fn: Callable[[int, int, Any], None] = ctypes.CFUNCTYPE(
        None, ctypes.c_uint32, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32)
    )(cpuid_address)
    xgetbv_fn: Callable[[], int] = ctypes.CFUNCTYPE(ctypes.c_uint64)(xgetbv_address)

    def query(leaf: int, sub: int = 0) -> List[int]:
        out = regs_type()
        cpuid_fn(leaf, sub, out)
        return [leaf, sub, *(int(v) for v in out)]

    rows = [query(0)]
    max_basic = rows[0][2]
    for leaf, sub in ((1, 0), (7, 0), (7, 1), (0xD, 0), (0xD, 1), (0x24, 0)):
        if leaf <= max_basic:
            rows.append(query(leaf, sub))
    ext = query(0x80000000)
    rows.append(ext)
    for leaf in (0x80000001, 0x80000002, 0x80000003, 0x80000004, 0x80000008):
        if leaf <= ext[2]:
            rows.append(query(leaf))
    osxsave = len(rows) > 1 and rows[1][0] == 1 and bool(rows[1][4] >> 27 & 1)
    xcr0 = int(xgetbv_fn()) if osxsave else None
    answer: Dict[str, Any] = {
        "rows": rows,
        "xcr0": xcr0,
        "method": "VirtualAlloc" if windows else "mmap",
    }
    if windows:
        kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
        answer["pf"] = {
            name: bool(kernel32.IsProcessorFeaturePresent(code))
            for name, code in _WINDOWS_PF.items()
        }
    return answer


# -- parent half -----------------------------------------------------------------------------

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


def _cpuid_answer(system: System) -> Tuple[Optional[Dict[str, Any]], str, bool]:
    """``(answer, "", False)`` or ``(None, why, timed_out)``."""
    try:
        answer = system.native(CPUID_FACADE)
    except NativeTimeout as exc:
        return None, f"timeout: {exc}", True
    except NativeError as exc:
        return None, str(exc), False
    if not isinstance(answer, dict) or not isinstance(answer.get("rows"), list):
        error = answer.get("error") if isinstance(answer, dict) else None
        return None, str(error or "malformed answer"), False
    return answer, "", False


def cpuid_evidence(system: System, answer: Optional[Dict[str, Any]] = None) -> Evidence:
    """What CPUID+XGETBV say, asked in a child (or *answer*, already asked)."""
    why, timed_out = "", False
    if answer is None:
        answer, why, timed_out = _cpuid_answer(system)
    if answer is None:
        return Evidence("cpuid", detail={"status": why, "timed_out": timed_out})
    view = decode_cpuid(answer)
    usable = set(view.usable)
    pf = answer.get("pf")
    if isinstance(pf, dict):
        # Windows IsProcessorFeaturePresent: OS-aware; False removes the feature.
        for name, present in pf.items():
            if present is False:
                usable.discard(PUBLISHED_TO_LINUX.get(str(name), str(name)))
    level = level_from_flags(usable)
    if level is None:
        # Not a believable answer (no baseline bits): it must not veto the flags.
        return Evidence("cpuid", detail={"status": "CPUID answer lacks the x86-64 baseline"})
    detail: Dict[str, Any] = {
        "level": f"v{level}",
        "xcr0": None if view.xcr0 is None else hex(view.xcr0),
        "vendor": view.vendor,
        "brand": view.brand,
    }
    if view.notes:
        detail["notes"] = list(view.notes)
    return Evidence(
        "cpuid",
        level=level,
        covered=CPUID_NAMES - {"osxsave"},
        usable=frozenset(usable),
        detail=detail,
    )
