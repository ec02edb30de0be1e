"""The py-cpuinfo probe, both halves: the Windows fallback when CPUID cannot run.

py-cpuinfo spawns processes and busy-waits for a second (it measures the
clock by sleeping), so the child half (:func:`pycpuinfo_probe`) runs only in
a child interpreter, and the parent half (:func:`ask_pycpuinfo`) memoises its
answer for the live machine.
"""

from __future__ import annotations

from typing import Any, Dict

from variant_providers.system import LiveSystem, NativeFacade, System

__all__ = ["PYCPUINFO_FACADE", "ask_pycpuinfo", "pycpuinfo_probe"]

PYCPUINFO_FACADE = NativeFacade(
    "py-cpuinfo", "variant_providers.providers.x86_64.pycpuinfo:pycpuinfo_probe", 30.0
)


# -- child half: run only in the native-facade child process ------------------------------


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


# -- parent half -----------------------------------------------------------------------------

_MEMO: Dict[str, Any] = {}


def ask_pycpuinfo(system: System) -> Any:
    """py-cpuinfo's answer; memoised for the live machine (it costs about a second)."""
    live = isinstance(system, LiveSystem)
    if live and "answer" in _MEMO:
        return _MEMO["answer"]
    answer = system.native(PYCPUINFO_FACADE)
    if live:
        _MEMO["answer"] = answer
    return answer
