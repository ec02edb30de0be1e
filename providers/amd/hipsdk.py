"""Where the HIP runtimes are, and the ``hipInfo.exe`` probe (Windows, WSL2).

The runtime DLL is chosen deliberately, by full path, never by a bare name
(a bare ``amdhip64_6.dll`` finds the display driver's copy in System32 first):

1. the SDK that ``HIP_PATH`` names, with the runtime of its own major
   version (``6.4\\bin\\amdhip64_6.dll``; ROCm 5: ``amdhip64.dll``);
2. every other SDK under ``%ProgramFiles%\\AMD\\ROCm``, newest first;
3. the display driver's copies in System32, newest ABI first.

:mod:`.hip` asks them in that order, and the report names the one that
answered.  When none does, ``hipInfo.exe`` of each SDK is run
(:func:`ask_hipinfo`).  Under WSL2 the runtime is ``libamdhip64.so`` of the
ROCm install (:func:`rocm_libraries`).  Only file checks happen here:
without a HIP runtime the answer is ``not-detected`` at once.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from variant_providers.record_class import dataclass
from variant_providers.system import (
    LibraryPlace,
    System,
    find_libraries,
    machine_path,
    native_join,
)

from .hip import HipDevice, HipScan, gfx_of
from .tables import APU_TARGETS

__all__ = [
    "WINDOWS_PLACES",
    "Sdk",
    "ask_hipinfo",
    "hip_libraries",
    "parse_hipinfo",
    "rocm_libraries",
    "windows_sdks",
]

#: What the display driver (Adrenalin) installs in System32, newest ABI first.
WINDOWS_PLACES: Tuple[LibraryPlace, ...] = tuple(
    LibraryPlace("SystemRoot", f"System32/{name}", "C:\\Windows")
    for name in ("amdhip64_7.dll", "amdhip64_6.dll", "amdhip64.dll")
)
#: Below a ROCm root on Linux (WSL2), newest soname first.
LINUX_NAMES = ("lib/libamdhip64.so.7", "lib/libamdhip64.so.6", "lib/libamdhip64.so")

COMMAND_TIMEOUT = 7.0

_SDK_VERSION_RE = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})")
_HIPINFO_LINE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_.#]*):?\s+(.*)$")


@dataclass(frozen=True)
class Sdk:
    """One HIP SDK install: its root (native path) and ``major.minor``."""

    root: str
    version: Optional[Tuple[int, int]]

    @property
    def runtime(self) -> str:
        major = self.version[0] if self.version else None
        return "amdhip64.dll" if major is None or major < 6 else f"amdhip64_{major}.dll"


def _sdk(root: str) -> Sdk:
    last = re.split(r"[\\/]", root.rstrip("\\/"))[-1]
    match = _SDK_VERSION_RE.fullmatch(last)
    return Sdk(root.rstrip("\\/"), (int(match[1]), int(match[2])) if match else None)


def windows_sdks(system: System) -> List[Sdk]:
    """``HIP_PATH``'s SDK first, then every SDK folder under ``%ProgramFiles%\\AMD\\ROCm``."""
    sdks: List[Sdk] = []
    hip_path = system.getenv("HIP_PATH")
    if hip_path:
        sdks.append(_sdk(hip_path))
    base = native_join(system.getenv("ProgramFiles") or "C:\\Program Files", "AMD/ROCm")
    try:
        names = system.listdir(machine_path(base))
    except (OSError, ValueError):
        names = []
    others = [_sdk(native_join(base, n)) for n in names if _SDK_VERSION_RE.fullmatch(n)]
    others.sort(key=lambda s: s.version or (0, 0), reverse=True)
    sdks += [s for s in others if s.root.lower() not in {k.root.lower() for k in sdks}]
    return sdks


def hip_libraries(system: System, sdks: Sequence[Sdk]) -> List[str]:
    """The runtime DLLs to try on Windows, in the order of the module docs."""
    own = (native_join(s.root, "bin", s.runtime) for s in sdks)
    found = list(dict.fromkeys(p for p in own if _exists(system, p)))
    return found + [p for p in find_libraries(system, WINDOWS_PLACES) if p not in found]


def rocm_libraries(system: System, root: str) -> List[str]:
    """``libamdhip64.so*`` of the ROCm install at *root* (WSL2)."""
    return [p for p in (native_join(root, n) for n in LINUX_NAMES) if _exists(system, p)]


def _exists(system: System, path: str) -> bool:
    try:
        return system.exists(machine_path(path))
    except (OSError, ValueError):
        return False


# -- hipInfo.exe ------------------------------------------------------------------------------


def parse_hipinfo(text: str) -> List[HipDevice]:
    """Devices of ``hipInfo`` output: ``device#`` blocks of ``label: value`` lines."""
    blocks: List[Dict[str, Any]] = []
    current: Optional[Dict[str, Any]] = None
    for line in text.splitlines():
        match = _HIPINFO_LINE_RE.match(line.strip())
        if match is None:
            continue
        label, value = match[1], match[2].strip()
        if label == "device#":
            current = {"index": int(value) if value.isdigit() else len(blocks)}
            blocks.append(current)
        elif current is not None and label == "Name":
            current["name"] = value
        elif current is not None and label == "gcnArchName":
            current["gfx"] = gfx_of(value)
            current["gcn_arch_name"] = value
        elif current is not None and label == "isIntegrated":
            current["integrated"] = value == "1"
    return [
        HipDevice(
            index=b["index"],
            gfx=b["gfx"],
            integrated=bool(b.get("integrated")) or b["gfx"] in APU_TARGETS,
            name=b.get("name"),
            gcn_arch_name=b.get("gcn_arch_name"),
            from_runtime=False,
        )
        for b in blocks
        if b.get("gfx")
    ]


def ask_hipinfo(system: System, sdks: Sequence[Sdk], scan: HipScan) -> None:
    """Run each SDK's ``hipInfo.exe`` until one lists a GPU; record it in *scan*."""
    for sdk in sdks:
        program = native_join(sdk.root, "bin", "hipInfo.exe")
        if not _exists(system, program):
            continue
        result = system.run([program], timeout=COMMAND_TIMEOUT)
        devices = parse_hipinfo(result.stdout) if result.returncode is not None else []
        if devices:
            scan.devices, scan.source = devices, "hipInfo"
            scan.info["hipinfo"] = program
            if sdk.version:
                scan.rocm_version = "{}.{}".format(*sdk.version)
                scan.rocm_source = "HIP SDK folder"
            return
        scan.timed_out |= result.timed_out
        detail = _first_error(result.stdout + "\n" + result.stderr)
        scan.attempts.append(f"{result.describe()}" + (f" ({detail})" if detail else ""))


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if "error" in line.lower():
            return line.strip()[:160]
    return ""
