"""Functions run in a child interpreter through :class:`~variant_providers.system.NativeFacade`.

Nothing here is imported by detection in the caller's process: the host
process only names ``variant_providers.providers.amd.native:<function>``.
``pyamdgpuinfo`` (the optional ``[amd]`` extra, GPL-3.0) is imported inside
the function, so the package works, and stays under its own licence, without
it.  amdsmi is never used: importing it without ROCm prints to stdout and
raises.
"""

from __future__ import annotations

from typing import Any, Dict, List

__all__ = ["PYAMDGPUINFO", "query_pyamdgpuinfo"]

#: The facade name (the key under ``native`` in a recorded machine).
PYAMDGPUINFO = "pyamdgpuinfo"


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
