"""The ``pyamdgpuinfo`` probe, both halves: VRAM sizes and names sysfs could not give.

``pyamdgpuinfo`` (the optional ``[amd]`` extra, GPL-3.0) is imported only in
the child half (:func:`query_pyamdgpuinfo`, run through :data:`PYAMDGPUINFO_FACADE`
in a child interpreter), so the package works, and stays under its own
licence, without it.  The parent half (:func:`ask_pyamdgpuinfo`) fills what
is missing on the :class:`~.kfd.PhysicalGpu` records; it never changes the
features.  amdsmi is never used: importing it without ROCm prints to stdout
and raises.
"""

from __future__ import annotations

from typing import Any, Dict, List

from variant_providers.system import (
    NativeError,
    NativeFacade,
    NativeTimeout,
    NativeUnavailable,
    System,
)

from .kfd import PhysicalGpu

__all__ = ["PYAMDGPUINFO", "PYAMDGPUINFO_FACADE", "ask_pyamdgpuinfo", "query_pyamdgpuinfo"]

#: The facade name (the key under ``native`` in a recorded machine).
PYAMDGPUINFO = "pyamdgpuinfo"

PYAMDGPUINFO_FACADE = NativeFacade(
    PYAMDGPUINFO, "variant_providers.providers.amd.gpuinfo:query_pyamdgpuinfo", timeout=5.0
)


# -- child half: run only in the native-facade child process ------------------------------


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def query_pyamdgpuinfo() -> Dict[str, Any]:
    """Marketing names, PCI slots and VRAM sizes from ``pyamdgpuinfo``.

    Every failure is part of the answer: ``load.ok`` false when the module is
    missing or does not load, ``no_data`` when it finds no ``/dev/dri`` (it
    raises ``FileNotFoundError`` there, which means "nothing to report"),
    ``error`` for anything else, and a per-GPU ``error`` when one GPU fails.
    """
    try:
        import pyamdgpuinfo
    except Exception as exc:
        return {"load": {"ok": False, "error": _describe(exc)}}
    answer: Dict[str, Any] = {
        "load": {"ok": True, "version": str(getattr(pyamdgpuinfo, "__version__", "") or "")},
        "gpus": [],
    }
    try:
        count = int(pyamdgpuinfo.detect_gpus())
    except FileNotFoundError as exc:
        answer["no_data"] = _describe(exc)
        return answer
    except Exception as exc:
        answer["error"] = _describe(exc)
        return answer
    gpus: List[Dict[str, Any]] = answer["gpus"]
    for index in range(count):
        try:
            gpu = pyamdgpuinfo.get_gpu(index)
            memory = getattr(gpu, "memory_info", None) or {}
            gpus.append(
                {
                    "index": index,
                    "path": gpu.path,
                    "pci_slot": gpu.pci_slot,
                    "name": gpu.name,
                    "vram_size": memory.get("vram_size"),
                }
            )
        except Exception as exc:
            gpus.append({"index": index, "error": _describe(exc)})
    return answer


# -- parent half ----------------------------------------------------------------------------


def ask_pyamdgpuinfo(system: System, gpus: List[PhysicalGpu]) -> str:
    """Fill missing VRAM sizes and names from ``pyamdgpuinfo``; say how it went."""
    try:
        answer = system.native(PYAMDGPUINFO_FACADE)
    except NativeTimeout:
        return "timeout"
    except NativeUnavailable as exc:
        return f"unavailable ({exc})"
    except NativeError as exc:
        return f"error ({exc})"
    if not isinstance(answer, dict):
        return "malformed answer"
    load = answer.get("load")
    if not isinstance(load, dict) or not load.get("ok"):
        return "not installed"
    if answer.get("no_data"):
        return "no data (no /dev/dri)"
    if answer.get("error"):
        return f"error ({answer['error']})"
    by_slot: Dict[str, Dict[str, Any]] = {}
    for entry in answer.get("gpus") or []:
        if isinstance(entry, dict) and isinstance(entry.get("pci_slot"), str):
            by_slot[entry["pci_slot"].lower()] = entry
    used = False
    for gpu in gpus:
        entry = by_slot.get((gpu.pci or "").lower())
        if entry is None:
            continue
        vram = entry.get("vram_size")
        if gpu.vram_bytes is None and isinstance(vram, int) and vram > 0:
            gpu.vram_bytes = vram
            used = True
        name = entry.get("name")
        if gpu.name is None and isinstance(name, str) and name.strip():
            gpu.name = name.strip()[:128]
            used = True
    return "used" if used else "no match"
