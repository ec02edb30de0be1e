"""The Windows on Arm probe, both halves: ``IsProcessorFeaturePresent``.

The child half (:func:`windows_pf_probe`, the target of
:data:`WINDOWS_PF_FACADE`) loads ``kernel32`` in a child interpreter only;
the parent half maps its answers to Linux feature names.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Optional, Tuple

from variant_providers.system import NativeError, NativeFacade, NativeTimeout, System

from .tables import WINDOWS_PF_NAMES

__all__ = ["WINDOWS_PF_FACADE", "ask_windows_pf", "windows_pf_probe"]

WINDOWS_PF_FACADE = NativeFacade(
    "windows-pf", "variant_providers.providers.aarch64.windows_pf:windows_pf_probe", 10.0
)

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


# -- child half: run only in the native-facade child process ------------------------------


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


# -- parent half -----------------------------------------------------------------------------


def ask_windows_pf(system: System) -> Tuple[Optional[List[str]], str, bool]:
    """The feature names: ``(names, "", False)`` or ``(None, why, timed out)``."""
    try:
        answer: Any = system.native(WINDOWS_PF_FACADE)
    except NativeTimeout as exc:
        return None, str(exc), True
    except NativeError as exc:
        return None, str(exc), False
    if not isinstance(answer, dict) or "error" in answer:
        error = answer.get("error") if isinstance(answer, dict) else "malformed answer"
        return None, f"IsProcessorFeaturePresent: {error}", False
    names: List[str] = []
    for key, present in answer.items():
        if present is True:
            names.extend(WINDOWS_PF_NAMES.get(str(key), ()))
    return names, "", False
