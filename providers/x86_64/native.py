"""Functions run in a child interpreter through :class:`~variant_providers.system.NativeFacade`.

Nothing here is ever called in the caller's process: executing machine code
from an RWX page can be refused (SELinux ``execmem``, PaX, hardened runtimes)
and a wrong opcode kills the interpreter, and py-cpuinfo spawns processes and
busy-waits for a second.  Each function returns plain JSON data; failures are
returned as data (``{"error": "..."}``) whenever they can be caught.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Dict, List

__all__ = ["cpuid_probe", "pycpuinfo_probe"]

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


def pycpuinfo_probe() -> Dict[str, Any]:
    """py-cpuinfo's view (brand, vendor, flags); ``{"error": ...}`` when unavailable.

    Used only as the Windows fallback when the CPUID probe cannot run: it
    costs about a second (it measures the clock by sleeping).
    """
    try:
        import cpuinfo
    except ImportError as exc:
        return {"error": f"py-cpuinfo is not installed ({exc})"}
    try:
        info = cpuinfo.get_cpu_info()
    except Exception as exc:
        return {"error": f"py-cpuinfo failed: {type(exc).__name__}: {exc}"}
    return {
        "brand": str(info.get("brand_raw", "")),
        "vendor": str(info.get("vendor_id_raw", "")),
        "flags": [str(f) for f in info.get("flags", [])],
        "version": str(info.get("cpuinfo_version_string", "")),
    }
