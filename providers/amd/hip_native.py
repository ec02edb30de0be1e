"""The HIP runtime through ctypes — run only in the native-facade child process.

:func:`query` is the target of the ``hip`` facade
(``variant_providers.providers.amd.hip_native:query``).  The caller chooses
the libraries (``amdhip64_6.dll`` of a HIP SDK, the copy the display driver
puts in System32, ``libamdhip64.so`` of a ROCm install) and passes their full
paths, best first; this module searches nothing itself, so the same code
runs against a Windows DLL and against a Linux shared object.

Each library is asked in turn until one lists a GPU: a HIP 7 runtime that
dropped an older GPU answers ``hipErrorNoDevice`` where the HIP 6 one of a
second SDK still sees it.  Every attempt is part of the answer.

``hipDeviceProp_t`` changed in HIP 6.0: the header maps
``hipGetDeviceProperties`` to ``hipGetDevicePropertiesR0600``, while the
plain symbol keeps the old (R0000) layout.  The R0600 symbol is used when
the library has it; fields are read at the offsets of the layout in use
(:data:`LAYOUTS`) from a zeroed buffer larger than either struct.
"""

from __future__ import annotations

import ctypes
import struct
from typing import Any, Dict, List, Optional, Tuple

__all__ = ["LAYOUTS", "decode_version", "query"]

#: Byte offsets of the fields read, per struct layout (x86-64; ``name`` is at 0,
#: ``gcnArchName`` is ``char[256]``), and the struct's size.
LAYOUTS: Dict[str, Dict[str, int]] = {
    "R0600": {
        "size": 1472,
        "totalGlobalMem": 288,
        "major": 360,
        "minor": 364,
        "multiProcessorCount": 388,
        "integrated": 396,
        "pciBusID": 584,
        "pciDeviceID": 588,
        "pciDomainID": 592,
        "gcnArchName": 1160,
    },
    "R0000": {
        "size": 792,
        "totalGlobalMem": 256,
        "major": 328,
        "minor": 332,
        "multiProcessorCount": 336,
        "pciDomainID": 364,
        "pciBusID": 368,
        "pciDeviceID": 372,
        "gcnArchName": 396,
        "integrated": 652,
    },
}

#: Room for either layout and for fields a newer runtime appends.
_BUFFER = 4096
_NAME = 256
#: More devices than this from one runtime is a broken answer.
MAX_DEVICES = 64
HIP_SUCCESS = 0


def decode_version(value: int) -> Optional[Tuple[int, int, int]]:
    """``major * 10**7 + minor * 10**5 + patch`` → ``(major, minor, patch)``."""
    if value <= 0:
        return None
    return value // 10_000_000, (value // 100_000) % 100, value % 100_000


def _text(buffer: Any, offset: int) -> str:
    raw = bytes(buffer[offset : offset + _NAME])
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _int(buffer: Any, offset: int, fmt: str = "<i") -> int:
    return int(struct.unpack_from(fmt, buffer, offset)[0])


class _Hip:
    """One loaded runtime with the entry points the facade calls."""

    def __init__(self, lib: Any) -> None:
        self.lib = lib

    def call(self, name: str, *args: Any) -> Optional[int]:
        """The ``hipError_t`` of ``name(*args)``; ``None`` when the library lacks it."""
        try:
            func = getattr(self.lib, name)
        except AttributeError:
            return None
        func.restype = ctypes.c_int
        return int(func(*args))

    def version(self, name: str) -> List[Any]:
        value = ctypes.c_int(0)
        status = self.call(name, ctypes.byref(value))
        return [status, value.value if status == HIP_SUCCESS else None]

    def device(self, index: int) -> Dict[str, Any]:
        buffer = (ctypes.c_char * _BUFFER)()
        layout = "R0600"
        status = self.call("hipGetDevicePropertiesR0600", buffer, ctypes.c_int(index))
        if status is None:  # a HIP 5 runtime: only the old layout exists
            layout = "R0000"
            status = self.call("hipGetDeviceProperties", buffer, ctypes.c_int(index))
        out: Dict[str, Any] = {"index": index, "layout": layout, "result": status}
        if status != HIP_SUCCESS:
            return out
        at = LAYOUTS[layout]
        out.update(
            name=_text(buffer, 0),
            gcn_arch_name=_text(buffer, at["gcnArchName"]),
            major=_int(buffer, at["major"]),
            minor=_int(buffer, at["minor"]),
            compute_units=_int(buffer, at["multiProcessorCount"]),
            integrated=_int(buffer, at["integrated"]),
            total_global_mem=_int(buffer, at["totalGlobalMem"], "<Q"),
            pci="{:04x}:{:02x}:{:02x}".format(
                _int(buffer, at["pciDomainID"]),
                _int(buffer, at["pciBusID"]),
                _int(buffer, at["pciDeviceID"]),
            ),
        )
        return out


def _attempt(path: str) -> Dict[str, Any]:
    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        return {"library": path, "load": {"ok": False, "error": str(exc)}}
    hip = _Hip(lib)
    answer: Dict[str, Any] = {"library": path, "load": {"ok": True}}
    answer["runtime_version"] = hip.version("hipRuntimeGetVersion")
    answer["driver_version"] = hip.version("hipDriverGetVersion")
    answer["count"] = hip.version("hipGetDeviceCount")
    status, count = answer["count"]
    if status == HIP_SUCCESS and count:
        answer["devices"] = [hip.device(i) for i in range(min(int(count), MAX_DEVICES))]
    return answer


def query(libraries: List[str]) -> Dict[str, Any]:
    """Ask each of *libraries* (full paths, best first) until one lists a GPU."""
    attempts: List[Dict[str, Any]] = []
    for path in libraries:
        try:
            attempt = _attempt(path)
        except Exception as exc:  # a ctypes failure is data, like every other
            attempt = {"library": path, "error": f"{type(exc).__name__}: {exc}"}
        attempts.append(attempt)
        if attempt.get("devices"):
            break
    return {"attempts": attempts}
