"""Where the NVIDIA driver puts its libraries and tools on Windows.

Current (DCH) drivers install ``nvml.dll``, ``nvcuda.dll`` and
``nvidia-smi.exe`` in ``%SystemRoot%\\System32``; drivers before Windows 10
1809 kept NVML and ``nvidia-smi`` in ``%ProgramFiles%\\NVIDIA Corporation\\NVSMI``
(the two places nvidia-ml-py tries, in this order).  Each library is
loaded by its full path: Python's ``ctypes`` no longer searches ``PATH``, and
a full path makes the loader take the DLL's siblings from its own folder.

Only file checks happen here, so a Windows machine without the driver is
``not-detected`` without a child process.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from variant_providers.record_class import dataclass
from variant_providers.system import LibraryPlace, System, find_libraries

__all__ = ["PLACES", "WindowsDriver", "find_driver"]

_SYSTEM32 = ("SystemRoot", "C:\\Windows")
_NVSMI = ("ProgramFiles", "C:\\Program Files")

#: Per file, the places to look, best first (one table for every NVIDIA facade).
PLACES: Dict[str, Tuple[LibraryPlace, ...]] = {
    "nvml": (
        LibraryPlace(_SYSTEM32[0], "System32/nvml.dll", _SYSTEM32[1]),
        LibraryPlace(_NVSMI[0], "NVIDIA Corporation/NVSMI/nvml.dll", _NVSMI[1]),
    ),
    "libcuda": (LibraryPlace(_SYSTEM32[0], "System32/nvcuda.dll", _SYSTEM32[1]),),
    "nvidia-smi": (
        LibraryPlace(_SYSTEM32[0], "System32/nvidia-smi.exe", _SYSTEM32[1]),
        LibraryPlace(_NVSMI[0], "NVIDIA Corporation/NVSMI/nvidia-smi.exe", _NVSMI[1]),
    ),
}


@dataclass(frozen=True)
class WindowsDriver:
    """The driver files found, as native paths."""

    nvml: Tuple[str, ...] = ()
    libcuda: Tuple[str, ...] = ()
    smi: Optional[str] = None

    def any(self) -> bool:
        return bool(self.nvml or self.libcuda or self.smi)

    def to_info(self) -> Dict[str, List[str]]:
        found = {"nvml": list(self.nvml), "libcuda": list(self.libcuda)}
        if self.smi:
            found["nvidia-smi"] = [self.smi]
        return {k: v for k, v in found.items() if v}


def find_driver(system: System) -> WindowsDriver:
    """The NVIDIA driver's DLLs and ``nvidia-smi.exe`` on a Windows *system*."""
    smi = find_libraries(system, PLACES["nvidia-smi"])
    return WindowsDriver(
        nvml=tuple(find_libraries(system, PLACES["nvml"])),
        libcuda=tuple(find_libraries(system, PLACES["libcuda"])),
        smi=smi[0] if smi else None,
    )
