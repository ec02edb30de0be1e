"""The facts around a report, as ``conda info`` and ``pixi info`` show them.

A bug report that says "I got the CPU build" is answerable only with the
machine's context: operating system and kernel, C library, CPU model and
microarchitecture, and where the cache lives.  Everything here comes from
the detection itself (so a replayed machine shows *its* facts) except the C
library, which only the live machine can tell.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, Optional

if TYPE_CHECKING:
    from .host import Detection

__all__ = ["machine_context"]


def _libc() -> Optional[Dict[str, str]]:
    """This process's C library: ``{"family": "glibc", "version": "2.36"}``."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.36"
    except (AttributeError, ValueError, OSError):
        text = None
    if text and " " in text:
        family, version = text.split(" ", 1)
        return {"family": family, "version": version}
    import platform  # only where confstr cannot tell: it scans the executable

    family, version = platform.libc_ver()
    if family:
        return {"family": family, "version": version}
    if any(n.startswith("ld-musl-") for n in _listdir("/lib")):
        return {"family": "musl", "version": ""}
    return None


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _cpu(detection: Detection) -> Optional[Dict[str, str]]:
    """CPU model and microarchitecture from the CPU provider that answered."""
    for namespace, label in (("x86_64", "x86-64-{}"), ("aarch64", "armv{}")):
        result = detection.get(namespace)
        if result is None or result.status not in ("ok", "override"):
            continue
        info = result.info
        first = next((f.values[0] for f in result.features if f.values), "")
        level = label.format(first) if first else ""
        model = str(info.get("model") or "")
        vendor = str(info.get("vendor") or "")
        if namespace == "aarch64" and model:  # "Neoverse V1" names the core itself
            uarch = f"{model} ({level})" if level else model
            model = f"{vendor} {model}".strip()
        else:
            uarch = level
        return {"model": model, "microarchitecture": uarch}
    return None


def machine_context(detection: Detection) -> Dict[str, Any]:
    """OS, kernel, libc, CPU and cache directory of *detection*'s machine."""
    plat = detection.platform
    live = detection.source == "live"
    if detection.source.startswith("lock"):
        plat = None  # the platform is this machine's, not the locked target's
    return {
        "os": plat.system if plat else None,
        "kernel": (plat.release or None) if plat else None,
        "libc": _libc() if live else None,
        "cpu": _cpu(detection),
        "cache_dir": detection.cache_dir,
    }
