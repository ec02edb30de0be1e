"""Functions run in a child interpreter through :class:`~variant_providers.system.NativeFacade`.

They load the C library with :mod:`ctypes`; that never happens in the
caller's process.  Each returns plain JSON data, failures included.
"""

from __future__ import annotations

import sys
from typing import Any, Dict

__all__ = ["getauxval_probe", "windows_pf_probe"]

#: ``getauxval`` keys: AT_HWCAP, AT_HWCAP2, AT_HWCAP3, AT_HWCAP4.
_AUXV_KEYS = {"hwcap": 16, "hwcap2": 26, "hwcap3": 29, "hwcap4": 30}

#: Windows ``IsProcessorFeaturePresent`` constants for Arm64.
_WINDOWS_ARM_PF = {
    "neon": 19,
    "v8": 29,
    "crypto": 30,
    "crc32": 31,
    "v81_atomic": 34,
    "v82_dp": 43,
    "v83_jscvt": 44,
    "v83_lrcpc": 45,
    "sve": 46,
    "sve2": 47,
}


def getauxval_probe() -> Dict[str, Any]:
    """``{"hwcap": int, "hwcap2": int, ...}`` from ``getauxval(3)``, or ``{"error": ...}``."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        getauxval = libc.getauxval
    except (OSError, AttributeError) as exc:
        return {"error": f"getauxval unavailable: {exc}"}
    getauxval.restype = ctypes.c_ulong
    getauxval.argtypes = [ctypes.c_ulong]
    return {name: int(getauxval(key)) for name, key in _AUXV_KEYS.items()}


def windows_pf_probe() -> Dict[str, Any]:
    """Windows on Arm ``IsProcessorFeaturePresent`` answers, or ``{"error": ...}``."""
    if sys.platform != "win32":
        return {"error": "not Windows"}
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32")
    return {
        name: bool(kernel32.IsProcessorFeaturePresent(code))
        for name, code in _WINDOWS_ARM_PF.items()
    }
