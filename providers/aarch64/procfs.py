"""The Linux procfs probe: the ``Features`` line of ``/proc/cpuinfo`` and the core's name.

``Features`` are the kernel's system-wide sanitised HWCAPs, by name;
``CPU implementer`` / ``CPU part`` (MIDR_EL1) name the core, for ``info`` only.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Tuple

from variant_providers.cpu import read_cpuinfo
from variant_providers.system import System

from .tables import IMPLEMENTERS, PARTS

__all__ = ["cpu_model", "read_features"]


def cpu_model(cpuinfo: Mapping[str, str]) -> Dict[str, Any]:
    """``vendor`` and ``model`` from the MIDR fields of ``/proc/cpuinfo``."""
    info: Dict[str, Any] = {}
    try:
        implementer = int(cpuinfo.get("CPU implementer", ""), 0)
    except ValueError:
        implementer = None
    try:
        part = int(cpuinfo.get("CPU part", ""), 0)
    except ValueError:
        part = None
    if implementer is not None:
        info["vendor"] = IMPLEMENTERS.get(implementer, f"implementer {implementer:#x}")
        core = PARTS.get((implementer, part)) if part is not None else None
        if core:
            info["model"] = core
        elif part is not None:
            info["model"] = f"part {part:#05x}"
    return info


def read_features(system: System) -> Tuple[List[str], Dict[str, Any], str]:
    """``(feature names, info about the core, why there are none)`` from ``/proc/cpuinfo``."""
    cpuinfo, reason = read_cpuinfo(system)
    info: Dict[str, Any] = cpu_model(cpuinfo) if cpuinfo else {}
    names = list(cpuinfo.words("Features")) if cpuinfo else []
    return names, info, "" if names else (reason or "/proc/cpuinfo has no Features line")
