"""The HWCAP probe, both halves: ``AT_HWCAP``/``AT_HWCAP2`` by bit, from auxv or ``getauxval``.

Used on Linux when ``/proc/cpuinfo`` has no ``Features`` line (an emulator
showing the host's ``/proc/cpuinfo``, an unreadable file): first
``/proc/self/auxv`` (a file read), last ``getauxval(3)``.  The child half
(:func:`getauxval_probe`, the target of :data:`GETAUXVAL_FACADE`) loads the C
library with :mod:`ctypes` in a child interpreter only and returns plain
JSON data, failures included.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from variant_providers.cpu import AT_HWCAP, AT_HWCAP2, read_auxv
from variant_providers.system import NativeError, NativeFacade, NativeTimeout, System

from .tables import HWCAP2_NAMES, HWCAP_NAMES

__all__ = ["GETAUXVAL_FACADE", "ask_getauxval", "decode_hwcaps", "getauxval_probe", "read_hwcaps"]

GETAUXVAL_FACADE = NativeFacade(
    "getauxval", "variant_providers.providers.aarch64.hwcaps:getauxval_probe", 10.0
)

#: ``getauxval`` keys: AT_HWCAP, AT_HWCAP2, AT_HWCAP3, AT_HWCAP4.
_AUXV_KEYS = {"hwcap": 16, "hwcap2": 26, "hwcap3": 29, "hwcap4": 30}


# -- child half: run only in the native-facade child process ------------------------------


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


# -- parent half -----------------------------------------------------------------------------


def decode_hwcaps(hwcap: int, hwcap2: int = 0) -> List[str]:
    """The feature names of ``AT_HWCAP``/``AT_HWCAP2`` bits (unknown bits skipped)."""
    names = [name for bit, name in enumerate(HWCAP_NAMES) if hwcap >> bit & 1]
    names += [name for bit, name in enumerate(HWCAP2_NAMES) if hwcap2 >> bit & 1]
    return names


def read_hwcaps(system: System) -> Optional[List[str]]:
    """The feature names of ``AT_HWCAP``/``AT_HWCAP2`` in ``/proc/self/auxv``; None without it."""
    auxv = read_auxv(system)
    if AT_HWCAP not in auxv:
        return None
    return decode_hwcaps(auxv[AT_HWCAP], auxv.get(AT_HWCAP2, 0))


def ask_getauxval(system: System) -> Tuple[Optional[List[str]], str, bool]:
    """``getauxval`` in a child: ``(feature names, "", False)`` or ``(None, why, timed out)``."""
    try:
        answer: Any = system.native(GETAUXVAL_FACADE)
    except NativeTimeout as exc:
        return None, str(exc), True
    except NativeError as exc:
        return None, str(exc), False
    hwcap = answer.get("hwcap") if isinstance(answer, dict) else None
    if not isinstance(hwcap, int):
        error = answer.get("error") if isinstance(answer, dict) else "malformed answer"
        return None, f"getauxval: {error}", False
    hwcap2 = answer.get("hwcap2")
    return decode_hwcaps(hwcap, hwcap2 if isinstance(hwcap2, int) else 0), "", False
