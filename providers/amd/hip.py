"""The HIP runtime probe, both halves: Windows (HIP SDK, display driver) and WSL2.

Windows has no KFD, no ``rocminfo`` and no ``amd-smi``; what knows the GPU
targets there is the HIP runtime library.  :mod:`.hipsdk` chooses the
libraries (full paths, best first); the child half here (:func:`query`, the
target of :data:`HIP`) asks each in turn until one lists a GPU — a HIP 7
runtime that dropped an older GPU answers ``hipErrorNoDevice`` where the
HIP 6 one of a second SDK still sees it — and every attempt is part of the
answer.  It searches nothing itself, so the same code runs against a Windows
DLL and against a Linux shared object.  The parent half (:func:`scan_hip`)
reads that answer into :class:`HipDevice` records.

``hipDeviceProp_t`` changed in HIP 6.0: the header maps
``hipGetDeviceProperties`` to ``hipGetDevicePropertiesR0600``, while the
plain symbol keeps the old (R0000) layout.  The R0600 symbol is used when
the library has it; fields are read at the offsets of the layout in use
(:data:`LAYOUTS`) from a zeroed buffer larger than either struct.

``ctypes`` is imported inside the child half only: the caller's process
never loads it for this provider.
"""

from __future__ import annotations

import re
import struct
from typing import Any, Dict, List, Optional, Sequence, Tuple

from variant_providers.record_class import dataclass, field, replace
from variant_providers.system import NativeError, NativeFacade, NativeTimeout, System

from .tables import APU_TARGETS

__all__ = [
    "HIP",
    "LAYOUTS",
    "HipDevice",
    "HipScan",
    "decode_version",
    "gfx_of",
    "query",
    "read_hip",
    "scan_hip",
]

HIP = NativeFacade("hip", "variant_providers.providers.amd.hip:query")

HIP_ERROR_NO_DEVICE = 100

_GFX_RE = re.compile(r"gfx[0-9a-f]{3,5}")


# -- child half: run only in the native-facade child process ------------------------------

#: Byte offsets of the fields read, per struct layout (x86-64; ``name`` is at 0,
#: ``gcnArchName`` is ``char[256]``), and the struct's size.
LAYOUTS: Dict[str, Dict[str, int]] = {
    "R0600": {
        "size": 1472,
        "totalGlobalMem": 288,
        "major": 360,
        "minor": 364,
        "multiProcessorCount": 388,
        "integrated": 396,
        "pciBusID": 584,
        "pciDeviceID": 588,
        "pciDomainID": 592,
        "gcnArchName": 1160,
    },
    "R0000": {
        "size": 792,
        "totalGlobalMem": 256,
        "major": 328,
        "minor": 332,
        "multiProcessorCount": 336,
        "pciDomainID": 364,
        "pciBusID": 368,
        "pciDeviceID": 372,
        "gcnArchName": 396,
        "integrated": 652,
    },
}

#: Room for either layout and for fields a newer runtime appends.
_BUFFER = 4096
_NAME = 256
#: More devices than this from one runtime is a broken answer.
MAX_DEVICES = 64
HIP_SUCCESS = 0


def decode_version(value: int) -> Optional[Tuple[int, int, int]]:
    """``major * 10**7 + minor * 10**5 + patch`` → ``(major, minor, patch)``."""
    if value <= 0:
        return None
    return value // 10_000_000, (value // 100_000) % 100, value % 100_000


def _text(buffer: Any, offset: int) -> str:
    raw = bytes(buffer[offset : offset + _NAME])
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _int(buffer: Any, offset: int, fmt: str = "<i") -> int:
    return int(struct.unpack_from(fmt, buffer, offset)[0])


class _Hip:
    """One loaded runtime with the entry points the facade calls (child half)."""

    def __init__(self, lib: Any) -> None:
        self.lib = lib

    def call(self, name: str, *args: Any) -> Optional[int]:
        """The ``hipError_t`` of ``name(*args)``; ``None`` when the library lacks it."""
        import ctypes

        try:
            func = getattr(self.lib, name)
        except AttributeError:
            return None
        func.restype = ctypes.c_int
        return int(func(*args))

    def version(self, name: str) -> List[Any]:
        import ctypes

        value = ctypes.c_int(0)
        status = self.call(name, ctypes.byref(value))
        return [status, value.value if status == HIP_SUCCESS else None]

    def device(self, index: int) -> Dict[str, Any]:
        import ctypes

        buffer = (ctypes.c_char * _BUFFER)()
        layout = "R0600"
        status = self.call("hipGetDevicePropertiesR0600", buffer, ctypes.c_int(index))
        if status is None:  # a HIP 5 runtime: only the old layout exists
            layout = "R0000"
            status = self.call("hipGetDeviceProperties", buffer, ctypes.c_int(index))
        out: Dict[str, Any] = {"index": index, "layout": layout, "result": status}
        if status != HIP_SUCCESS:
            return out
        at = LAYOUTS[layout]
        out.update(
            name=_text(buffer, 0),
            gcn_arch_name=_text(buffer, at["gcnArchName"]),
            major=_int(buffer, at["major"]),
            minor=_int(buffer, at["minor"]),
            compute_units=_int(buffer, at["multiProcessorCount"]),
            integrated=_int(buffer, at["integrated"]),
            total_global_mem=_int(buffer, at["totalGlobalMem"], "<Q"),
            pci="{:04x}:{:02x}:{:02x}".format(
                _int(buffer, at["pciDomainID"]),
                _int(buffer, at["pciBusID"]),
                _int(buffer, at["pciDeviceID"]),
            ),
        )
        return out


def _attempt(path: str) -> Dict[str, Any]:
    import ctypes

    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        return {"library": path, "load": {"ok": False, "error": str(exc)}}
    hip = _Hip(lib)
    answer: Dict[str, Any] = {"library": path, "load": {"ok": True}}
    answer["runtime_version"] = hip.version("hipRuntimeGetVersion")
    answer["driver_version"] = hip.version("hipDriverGetVersion")
    answer["count"] = hip.version("hipGetDeviceCount")
    status, count = answer["count"]
    if status == HIP_SUCCESS and count:
        answer["devices"] = [hip.device(i) for i in range(min(int(count), MAX_DEVICES))]
    return answer


def query(libraries: List[str]) -> Dict[str, Any]:
    """Ask each of *libraries* (full paths, best first) until one lists a GPU.

    The target of :data:`HIP`: runs only in the native-facade child.
    """
    attempts: List[Dict[str, Any]] = []
    for path in libraries:
        try:
            attempt = _attempt(path)
        except Exception as exc:  # a ctypes failure is data, like every other
            attempt = {"library": path, "error": f"{type(exc).__name__}: {exc}"}
        attempts.append(attempt)
        if attempt.get("devices"):
            break
    return {"attempts": attempts}


# -- parent half: reading the answer ------------------------------------------------------


def gfx_of(name: Any) -> Optional[str]:
    """``gfx90a:sramecc+:xnack-`` → ``gfx90a``; anything else → ``None``."""
    if not isinstance(name, str):
        return None
    target = name.split(":", 1)[0].strip().lower()
    return target if _GFX_RE.fullmatch(target) else None


def _version(pair: Any) -> Optional[str]:
    if isinstance(pair, list) and len(pair) == 2 and pair[0] == 0 and isinstance(pair[1], int):
        decoded = decode_version(pair[1])
        return ".".join(map(str, decoded)) if decoded else None
    return None


@dataclass(frozen=True)
class HipDevice:
    """One GPU as the HIP runtime (or ``hipInfo.exe``) describes it."""

    index: Optional[int]
    gfx: str
    integrated: bool
    name: Optional[str] = None
    gcn_arch_name: Optional[str] = None
    pci: Optional[str] = None
    vram_bytes: Optional[int] = None
    layout: Optional[str] = None
    #: True for the runtime's answer (every field known), False for ``hipInfo``.
    from_runtime: bool = True

    def to_info(self) -> Dict[str, Any]:
        info: Dict[str, Any] = {"index": self.index}
        if self.from_runtime or self.name is not None:
            info["name"] = self.name
        info.update(gfx=self.gfx, gcn_arch_name=self.gcn_arch_name, integrated=self.integrated)
        if self.from_runtime:
            info.update(pci=self.pci, vram_bytes=self.vram_bytes, layout=self.layout)
        return info


@dataclass
class HipScan:
    """What the HIP runtime (or hipInfo) said: the devices, the version, every attempt."""

    devices: List[HipDevice] = field(default_factory=list)
    source: str = ""
    rocm_version: Optional[str] = None
    rocm_source: str = ""
    attempts: List[str] = field(default_factory=list)
    timed_out: bool = False
    info: Dict[str, Any] = field(default_factory=dict)

    @property
    def targets(self) -> List[Tuple[str, bool]]:
        return [(d.gfx, d.integrated) for d in self.devices]


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


def _device(raw: Any) -> Optional[HipDevice]:
    gfx = gfx_of(raw.get("gcn_arch_name")) if isinstance(raw, dict) else None
    if gfx is None:
        return None
    layout = raw.get("layout")
    # The old layout's integrated field is not filled in: use the APU table there.
    integrated = bool(raw.get("integrated")) if layout == "R0600" else gfx in APU_TARGETS
    return HipDevice(
        index=raw.get("index"),
        name=raw.get("name") or None,
        gfx=gfx,
        gcn_arch_name=raw.get("gcn_arch_name"),
        integrated=integrated or gfx in APU_TARGETS,
        pci=raw.get("pci"),
        vram_bytes=raw.get("total_global_mem"),
        layout=layout,
    )


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
        devices = [d for d in map(_device, attempt.get("devices") or []) if d is not None]
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


def scan_hip(system: System, libraries: Sequence[str]) -> HipScan:
    """Ask the HIP runtime (*libraries*, best first) in the native-facade child."""
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
    return scan
