"""AMD GPUs through the HIP runtime: Windows (HIP SDK, display driver) and WSL2.

Windows has no KFD, no ``rocminfo`` and no ``amd-smi``; what knows the GPU
targets there is the HIP runtime DLL and the SDK's ``hipInfo.exe``.  The
DLL is chosen deliberately, by full path, never by a bare name (a bare
``amdhip64_6.dll`` finds the display driver's copy in System32 first):

1. the SDK that ``HIP_PATH`` names, with the runtime of its own major
   version (``6.4\\bin\\amdhip64_6.dll``; ROCm 5: ``amdhip64.dll``);
2. every other SDK under ``%ProgramFiles%\\AMD\\ROCm``, newest first;
3. the display driver's copies in System32, newest ABI first.

The child asks them in that order until one lists a GPU, and the report
names the one that answered.  When none does, ``hipInfo.exe`` of each SDK
is run.  Under WSL2 the same facade loads ``libamdhip64.so`` of the ROCm
install when ``rocminfo`` sees no GPU.  Only file checks happen before the
child starts: without a HIP runtime the answer is ``not-detected`` at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from variant_providers.system import (
    LibraryPlace,
    NativeError,
    NativeFacade,
    NativeTimeout,
    System,
    find_libraries,
    machine_path,
    native_join,
)

from .tables import APU_TARGETS

__all__ = [
    "HIP",
    "HipScan",
    "WINDOWS_PLACES",
    "hip_libraries",
    "parse_hipinfo",
    "rocm_libraries",
    "scan_hip",
]

HIP = NativeFacade("hip", "variant_providers.providers.amd.hip_native:query")

#: What the display driver (Adrenalin) installs in System32, newest ABI first.
WINDOWS_PLACES: Tuple[LibraryPlace, ...] = tuple(
    LibraryPlace("SystemRoot", f"System32/{name}", "C:\\Windows")
    for name in ("amdhip64_7.dll", "amdhip64_6.dll", "amdhip64.dll")
)
#: Below a ROCm root on Linux (WSL2), newest soname first.
LINUX_NAMES = ("lib/libamdhip64.so.7", "lib/libamdhip64.so.6", "lib/libamdhip64.so")

HIP_ERROR_NO_DEVICE = 100
COMMAND_TIMEOUT = 7.0

_SDK_VERSION_RE = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})")
_GFX_RE = re.compile(r"gfx[0-9a-f]{3,5}")
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


# -- reading the answers -------------------------------------------------------------------


def _gfx(name: Any) -> Optional[str]:
    """``gfx90a:sramecc+:xnack-`` → ``gfx90a``; anything else → ``None``."""
    if not isinstance(name, str):
        return None
    target = name.split(":", 1)[0].strip().lower()
    return target if _GFX_RE.fullmatch(target) else None


def _version(pair: Any) -> Optional[str]:
    from .hip_native import decode_version

    if isinstance(pair, list) and len(pair) == 2 and pair[0] == 0 and isinstance(pair[1], int):
        decoded = decode_version(pair[1])
        return ".".join(map(str, decoded)) if decoded else None
    return None


@dataclass
class HipScan:
    """What the HIP runtime (or hipInfo) said: targets with their integrated flag."""

    devices: List[Dict[str, Any]] = field(default_factory=list)
    source: str = ""
    rocm_version: Optional[str] = None
    rocm_source: str = ""
    attempts: List[str] = field(default_factory=list)
    timed_out: bool = False
    info: Dict[str, Any] = field(default_factory=dict)

    @property
    def targets(self) -> List[Tuple[str, bool]]:
        return [(d["gfx"], bool(d["integrated"])) for d in self.devices]


def _describe_attempt(attempt: Dict[str, Any]) -> str:
    library = str(attempt.get("library"))
    load: Dict[str, Any] = attempt["load"] if isinstance(attempt.get("load"), dict) else {}
    if attempt.get("error"):
        return f"{library}: {attempt['error']}"
    if not load.get("ok"):
        return f"{library}: does not load ({str(load.get('error', '?'))[:120]})"
    status, count = (attempt.get("count") or [None, None])[:2]
    if status == HIP_ERROR_NO_DEVICE:
        return f"{library}: hipErrorNoDevice (100), no ROCm-capable device"
    if status != 0:
        return f"{library}: hipGetDeviceCount failed ({status})"
    if not count:
        return f"{library}: no device"
    return f"{library}: {count} device(s)"


def read_hip(answer: Any, scan: HipScan) -> None:
    """Take the devices of the first attempt that listed a usable GPU."""
    attempts = answer.get("attempts") if isinstance(answer, dict) else None
    if not isinstance(attempts, list):
        scan.attempts.append("hip: malformed answer")
        return
    for attempt in attempts:
        if not isinstance(attempt, dict):
            continue
        scan.attempts.append(_describe_attempt(attempt))
        devices = []
        for raw in attempt.get("devices") or []:
            gfx = _gfx(raw.get("gcn_arch_name")) if isinstance(raw, dict) else None
            if gfx is None:
                continue
            layout = raw.get("layout")
            # The old layout's integrated field is not filled in: use the APU table there.
            integrated = bool(raw.get("integrated")) if layout == "R0600" else gfx in APU_TARGETS
            devices.append(
                {
                    "index": raw.get("index"),
                    "name": raw.get("name") or None,
                    "gfx": gfx,
                    "gcn_arch_name": raw.get("gcn_arch_name"),
                    "integrated": integrated or gfx in APU_TARGETS,
                    "pci": raw.get("pci"),
                    "vram_bytes": raw.get("total_global_mem"),
                    "layout": layout,
                }
            )
        if devices:
            scan.devices, scan.source = devices, "hip"
            scan.info["library"] = attempt.get("library")
            runtime = _version(attempt.get("runtime_version"))
            scan.info["hip_runtime_version"] = runtime
            scan.info["hip_driver_version"] = _version(attempt.get("driver_version"))
            if runtime:
                scan.rocm_version = ".".join(runtime.split(".")[:2])
                scan.rocm_source = "hipRuntimeGetVersion"
            return


def parse_hipinfo(text: str) -> List[Dict[str, Any]]:
    """Devices of ``hipInfo`` output: ``device#`` blocks of ``label: value`` lines."""
    devices: List[Dict[str, Any]] = []
    current: Optional[Dict[str, Any]] = None
    for line in text.splitlines():
        match = _HIPINFO_LINE_RE.match(line.strip())
        if match is None:
            continue
        label, value = match[1], match[2].strip()
        if label == "device#":
            current = {"index": int(value) if value.isdigit() else len(devices)}
            devices.append(current)
        elif current is not None and label == "Name":
            current["name"] = value
        elif current is not None and label == "gcnArchName":
            current["gfx"] = _gfx(value)
            current["gcn_arch_name"] = value
        elif current is not None and label == "isIntegrated":
            current["integrated"] = value == "1"
    return [
        {**d, "integrated": bool(d.get("integrated")) or d["gfx"] in APU_TARGETS}
        for d in devices
        if d.get("gfx")
    ]


def _hipinfo(system: System, sdks: Sequence[Sdk], scan: HipScan) -> None:
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


def scan_hip(system: System, libraries: Sequence[str], sdks: Sequence[Sdk] = ()) -> HipScan:
    """Ask the HIP runtime (*libraries*, best first), then ``hipInfo.exe`` of *sdks*."""
    scan = HipScan()
    scan.info["libraries"] = list(libraries)
    if libraries:
        try:
            answer = system.native(replace(HIP, args=(list(libraries),)))
        except NativeTimeout as exc:
            scan.timed_out = True
            scan.attempts.append(str(exc))
        except NativeError as exc:
            scan.attempts.append(str(exc))
        else:
            read_hip(answer, scan)
    if not scan.devices and sdks and not scan.timed_out:
        _hipinfo(system, sdks, scan)
    if scan.attempts:
        scan.info["attempts"] = list(scan.attempts)
    return scan
