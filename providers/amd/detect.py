"""Detect AMD GPU targets (``gfx_arch``) and the ROCm version (``rocm_version``).

Order of sources, cheapest first:

1. the force variables of the existing amd-variant-provider
   (``AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH``, ``AMD_VARIANT_PROVIDER_FORCE_ROCM_VERSION``);
2. the KFD topology in sysfs (file reads only; works without ROCm userspace
   and in containers that cannot open ``/dev/kfd``), with the PCI device's
   sysfs directory for DRM nodes, VRAM and product name;
3. only when that topology cannot be read although the machine shows a sign
   of an AMD GPU: ``rocminfo``, then ``rocm_agent_enumerator``, each with a
   timeout;
4. the ROCm version from the version files of the installed ROCm
   (see :mod:`.rocm`), looked up only once a GPU target is known.

``pyamdgpuinfo`` (optional) is asked, in a child process, only when sysfs
could not give a GPU's VRAM size; it never changes the features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

from variant_providers.model import FeatureConfig
from variant_providers.pci import PCI_DEVICES, read_pci_device
from variant_providers.probe import read_optional
from variant_providers.provider import ProviderOutput
from variant_providers.system import (
    CommandResult,
    NativeError,
    NativeFacade,
    NativeTimeout,
    NativeUnavailable,
    System,
)

from .hip import HipScan, hip_libraries, rocm_libraries, scan_hip, windows_sdks
from .kfd import PhysicalGpu, decode_override, group_physical, read_topology
from .native import PYAMDGPUINFO
from .rocm import RocmInstall, find_rocm
from .rocminfo import RocmAgent, parse_agent_enumerator, parse_rocminfo
from .tables import APU_TARGETS

__all__ = [
    "FORCE_GFX_ARCH",
    "FORCE_ROCM_VERSION",
    "HSA_OVERRIDE",
    "ForceError",
    "detect",
    "order_targets",
    "expand_forced_gfx",
    "expand_forced_rocm",
    "parse_forced_gfx",
    "parse_forced_rocm",
]

FORCE_GFX_ARCH = "AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH"
FORCE_ROCM_VERSION = "AMD_VARIANT_PROVIDER_FORCE_ROCM_VERSION"
HSA_OVERRIDE = "HSA_OVERRIDE_GFX_VERSION"

#: Variables that restrict which GPUs the ROCm runtime shows; reported, not applied.
VISIBILITY_VARS = (
    "ROCR_VISIBLE_DEVICES",
    "HIP_VISIBLE_DEVICES",
    "CUDA_VISIBLE_DEVICES",
    "GPU_DEVICE_ORDINAL",
)

#: Seconds ``rocminfo`` / ``rocm_agent_enumerator`` may take (the existing
#: provider allows ``rocminfo`` 7 s; the enumerator can retry ``rocminfo`` for
#: a minute on resource errors, so it gets the same bound).
COMMAND_TIMEOUT = 7.0

PYAMDGPUINFO_FACADE = NativeFacade(
    PYAMDGPUINFO, "variant_providers.providers.amd.native:query_pyamdgpuinfo", timeout=5.0
)

_FORCE_SPLIT_RE = re.compile(r"[,\s;]+")
#: An LLVM AMDGPU processor name as ``gfx_arch`` spells it: ``gfx`` + major
#: (1–2 digits) + minor and stepping (hex digits): gfx803, gfx90a, gfx1151.
_GFX_TARGET_RE = re.compile(r"gfx[0-9]{1,2}[0-9a-f]{2}")
_VERSION_PART_RE = re.compile(r"[0-9]{1,4}")
_SIMPLE_TEXT_RE = re.compile(r"[0-9A-Za-z.+_~-]{1,64}")
_DECIMAL_RE = re.compile(r"[0-9]{1,20}")


class ForceError(ValueError):
    """A force variable whose value cannot be used."""


# -- force variables -------------------------------------------------------------------


def parse_forced_gfx(raw: str) -> List[str]:
    """``AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH`` → targets, in the order given.

    Same rule as the existing provider: split on commas, semicolons and
    whitespace, drop empty pieces, keep the order.  Repeated targets are kept
    once (a feature cannot list a value twice); a piece that is not a valid
    GPU target (``gfx`` and its version, the grammar of ``gfx_arch``) is an
    error.
    """
    out: List[str] = []
    for token in _FORCE_SPLIT_RE.split(raw.strip()):
        if not token:
            continue
        if not _GFX_TARGET_RE.fullmatch(token):
            raise ForceError(
                f"{FORCE_GFX_ARCH}: {token!r} is not a GPU target "
                "(expected gfx followed by its version, e.g. gfx90a, gfx942, gfx1100)"
            )
        if token not in out:
            out.append(token)
    return out


def parse_forced_rocm(raw: str) -> str:
    """``AMD_VARIANT_PROVIDER_FORCE_ROCM_VERSION`` → the ``rocm_version`` value.

    The existing provider splits on ``.``, requires exactly three parts and
    emits ``major.minor`` as written (``6.4.1`` → ``6.4``).  This does the
    same, also accepts ``major.minor`` (which the existing provider rejects
    with an assertion), and requires major and minor to be decimal numbers.
    """
    parts = raw.strip().split(".")
    if len(parts) not in (2, 3) or not all(_VERSION_PART_RE.fullmatch(p) for p in parts[:2]):
        raise ForceError(
            f"{FORCE_ROCM_VERSION}: {raw!r} is not a ROCm version (expected X.Y.Z or X.Y)"
        )
    return f"{parts[0]}.{parts[1]}"


def expand_forced_gfx(raw: str) -> List[FeatureConfig]:
    """The ``gfx_arch`` feature :data:`FORCE_GFX_ARCH` forces (none for no target)."""
    targets = parse_forced_gfx(raw)
    return [FeatureConfig("gfx_arch", targets, multi_value=True)] if targets else []


def expand_forced_rocm(raw: str) -> List[FeatureConfig]:
    """The ``rocm_version`` feature :data:`FORCE_ROCM_VERSION` forces."""
    return [FeatureConfig("rocm_version", [parse_forced_rocm(raw)])]


T = TypeVar("T")


def _forced(system: System, name: str, parse: Callable[[str], T]) -> Optional[T]:
    raw = system.getenv(name)
    if not raw:  # unset or empty: detect (the existing provider's rule)
        return None
    return parse(raw)


# -- ordering ----------------------------------------------------------------------------


def order_targets(devices: Sequence[Tuple[str, bool]]) -> List[str]:
    """``gfx_arch`` values from ``(gfx, integrated)`` pairs in enumeration order.

    Discrete GPUs first, then integrated ones (APUs); within each group the
    order in which the system enumerates the GPUs (HIP device order); each
    target once.
    """
    out: List[str] = []
    for want_integrated in (False, True):
        for gfx, integrated in devices:
            if integrated == want_integrated and gfx not in out:
                out.append(gfx)
    return out


# -- scanning ----------------------------------------------------------------------------


@dataclass
class _Scan:
    """What the GPU scan found."""

    values: List[str] = field(default_factory=list)
    source: str = ""
    info: Dict[str, Any] = field(default_factory=dict)
    status: Optional[str] = None
    reason: str = ""
    #: ``(rocm_version, source)`` when the scan itself learned it (the HIP runtime).
    rocm: Optional[Tuple[str, str]] = None


def _from_hip(hip: HipScan, info: Dict[str, Any], why: str) -> _Scan:
    """A :class:`_Scan` of what the HIP runtime (or hipInfo) found."""
    info = {**info, "hip": hip.info}
    if hip.devices:
        info["gpu_count"] = len(hip.devices)
        info["devices"] = hip.devices
        rocm = (hip.rocm_version, hip.rocm_source) if hip.rocm_version else None
        return _Scan(order_targets(hip.targets), hip.source, info, rocm=rocm)
    status = "timeout" if hip.timed_out else "not-detected"
    return _Scan([], "", info, status=status, reason=why + "; ".join(hip.attempts))


def _scan_windows(system: System) -> _Scan:
    """Windows: the HIP runtime DLL chosen by :mod:`.hip`, then ``hipInfo.exe``."""
    sdks = windows_sdks(system)
    libraries = hip_libraries(system, sdks)
    if not libraries:
        return _Scan(
            info={"hip_sdks": [s.root for s in sdks]},
            reason="no HIP runtime (amdhip64*.dll) in HIP_PATH, the HIP SDKs or System32",
        )
    return _from_hip(scan_hip(system, libraries, sdks), {}, "the HIP runtime lists no GPU: ")


class _RocmLookup:
    """Find the ROCm install once per detection."""

    def __init__(self, system: System) -> None:
        self._system = system
        self._done = False
        self._found: Optional[RocmInstall] = None

    def get(self) -> Optional[RocmInstall]:
        if not self._done:
            self._done = True
            self._found = find_rocm(self._system)
        return self._found


def _read_small(system: System, path: str) -> Optional[str]:
    text = (read_optional(system, path).text or "").strip()
    return text if text and len(text) <= 256 else None


def _enrich_from_pci(system: System, gpu: PhysicalGpu) -> None:
    """PCI ids, DRM nodes, VRAM size and product name from the GPU's PCI sysfs directory."""
    pci = gpu.pci
    if pci is None:
        return
    errors: List[str] = []
    device = read_pci_device(system, pci, errors=errors)
    if device is not None:
        pci_facts = device.to_dict()
        for key in ("class", "revision", "subsystem", "driver"):
            if pci_facts.get(key) is not None:
                gpu.facts[f"pci_{key}" if key != "driver" else "driver"] = pci_facts[key]
    base = f"{PCI_DEVICES}/{pci}"
    try:
        drm = [n for n in system.listdir(f"{base}/drm") if n.startswith(("card", "renderD"))]
    except OSError:
        drm = []
    if drm:
        gpu.facts["drm"] = drm
    vram = _read_small(system, f"{base}/mem_info_vram_total")
    if vram is not None and _DECIMAL_RE.fullmatch(vram):
        gpu.facts["vram_bytes"] = int(vram)
    name = _read_small(system, f"{base}/product_name")
    if name is not None and name.isprintable() and len(name) <= 128:
        gpu.facts["name"] = name
    if errors:
        gpu.facts["pci_errors"] = errors


def _visibility(system: System) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for var in VISIBILITY_VARS:
        value = system.getenv(var)
        if value is not None:
            out[var] = value
    return out


def _override_info(system: System) -> Optional[Dict[str, Any]]:
    raw = system.getenv(HSA_OVERRIDE)
    if not raw:
        return None
    return {"value": raw, "gfx": decode_override(raw)}


def _scan_sysfs(system: System, gpus: List[PhysicalGpu], topo_info: Dict[str, Any]) -> _Scan:
    for gpu in gpus:
        _enrich_from_pci(system, gpu)
    notes: List[str] = []
    info: Dict[str, Any] = {
        "gpu_count": len(gpus),
        "kfd_gpu_nodes": sum(len(g.nodes) for g in gpus),
        **topo_info,
    }
    amdgpu = _read_small(system, "/sys/module/amdgpu/version")
    info["amdgpu_version"] = amdgpu if amdgpu and _SIMPLE_TEXT_RE.fullmatch(amdgpu) else None
    info["dev_kfd"] = system.exists("/dev/kfd")
    if not info["dev_kfd"]:
        notes.append(
            "no /dev/kfd: the GPUs are listed in sysfs but the ROCm runtime cannot open them here"
        )
    override = _override_info(system)
    if override is not None:
        info["hsa_override_gfx_version"] = override
        effective = override["gfx"]
        info["effective_gfx"] = effective
        hardware = sorted({g.gfx for g in gpus})
        if effective is None:
            notes.append(f"{HSA_OVERRIDE}={override['value']!r} is not major.minor.stepping")
        elif hardware != [effective]:
            notes.append(
                f"{HSA_OVERRIDE} makes the ROCm runtime treat every GPU as {effective}; "
                f"gfx_arch reports the hardware targets ({', '.join(hardware)})"
            )
    if any("vram_bytes" not in g.facts for g in gpus):
        info["pyamdgpuinfo"] = _ask_pyamdgpuinfo(system, gpus)
    info["devices"] = [g.to_info() for g in gpus]
    if notes:
        info["notes"] = notes
    values = order_targets([(g.gfx, g.integrated) for g in gpus])
    return _Scan(values, "kfd-sysfs", info)


def _ask_pyamdgpuinfo(system: System, gpus: List[PhysicalGpu]) -> str:
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
        if "vram_bytes" not in gpu.facts and isinstance(vram, int) and vram > 0:
            gpu.facts["vram_bytes"] = vram
            used = True
        name = entry.get("name")
        if "name" not in gpu.facts and isinstance(name, str) and name.strip():
            gpu.facts["name"] = name.strip()[:128]
            used = True
    return "used" if used else "no match"


def _first_line(result: CommandResult) -> str:
    for text in (result.stderr, result.stdout):
        for line in text.splitlines():
            if line.strip():
                return line.strip()[:160]
    return ""


def _command_path(system: System, rocm: _RocmLookup, name: str) -> str:
    install = rocm.get()
    if install is not None:
        candidate = f"{install.root}/bin/{name}"
        if system.exists(candidate):
            return candidate
    return name


def _fallback_hints(system: System, topology_error: Optional[str], rocm: _RocmLookup) -> List[str]:
    """Signs of an AMD GPU that justify running a command when sysfs is silent."""
    hints: List[str] = []
    if topology_error not in (None, "ENOENT", "ENOTDIR"):
        hints.append(f"KFD topology unreadable ({topology_error})")
    for path in ("/dev/kfd", "/sys/module/amdgpu"):
        if system.exists(path):
            hints.append(f"{path} exists")
    if not hints and system.exists("/dev/dxg") and rocm.get() is not None:
        hints.append("WSL GPU device (/dev/dxg) and a ROCm install")
    return hints


def _scan_commands(system: System, hints: List[str], rocm: _RocmLookup) -> _Scan:
    """The fallback: ``rocminfo``, then ``rocm_agent_enumerator``."""
    attempts: List[str] = []
    timed_out = False
    info: Dict[str, Any] = {"fallback_reason": "; ".join(hints)}
    override = _override_info(system)
    notes: List[str] = []
    if override is not None:
        info["hsa_override_gfx_version"] = override
        info["effective_gfx"] = override["gfx"]
        notes.append(
            f"{HSA_OVERRIDE} is set and the ROCm runtime applies it: without sysfs the "
            "reported targets are the effective ones, not necessarily the hardware's"
        )

    result = system.run([_command_path(system, rocm, "rocminfo")], timeout=COMMAND_TIMEOUT)
    agents: List[RocmAgent] = parse_rocminfo(result.stdout) if result.ok else []
    if agents:
        info["gpu_count"] = len(agents)
        info["devices"] = [a.to_info() for a in agents]
        if notes:
            info["notes"] = notes
        values = order_targets([(a.gfx, a.gfx in APU_TARGETS) for a in agents])
        return _Scan(values, "rocminfo", info)
    timed_out |= result.timed_out
    attempts.append(_attempt("rocminfo", result, "no GPU agent"))

    result = system.run(
        [_command_path(system, rocm, "rocm_agent_enumerator")], timeout=COMMAND_TIMEOUT
    )
    targets = parse_agent_enumerator(result.stdout) if result.ok else []
    if targets:
        info["gpu_count"] = len(targets)
        info["devices"] = [{"gfx": t} for t in targets]
        info["attempts"] = attempts
        if notes:
            info["notes"] = notes
        values = order_targets([(t, t in APU_TARGETS) for t in targets])
        return _Scan(values, "rocm_agent_enumerator", info)
    timed_out |= result.timed_out
    attempts.append(_attempt("rocm_agent_enumerator", result, "no GPU target"))
    info["attempts"] = attempts
    install = rocm.get()
    libraries = rocm_libraries(system, install.root) if install else []
    if not timed_out and libraries and system.exists("/dev/dxg"):
        # WSL2: the HIP runtime reaches the GPU over /dev/dxg even where rocminfo does not.
        hip = _from_hip(scan_hip(system, libraries), info, "")
        if hip.values:
            return hip
        attempts += hip.info["hip"].get("attempts", [])
    reason = "KFD sysfs unavailable and " + "; ".join(attempts)
    return _Scan([], "", info, status="timeout" if timed_out else "not-detected", reason=reason)


def _attempt(name: str, result: CommandResult, empty: str) -> str:
    if result.ok:
        return f"{name}: {empty}"
    detail = _first_line(result) if result.returncode not in (None, 0) else ""
    return f"{result.describe()} ({detail})" if detail else result.describe()


def _scan(system: System, rocm: _RocmLookup) -> _Scan:
    if system.platform.is_windows:
        return _scan_windows(system)
    if not system.platform.is_linux:
        return _Scan(reason=f"no AMD GPU detection on {system.platform.system} (KFD is Linux-only)")
    topo = read_topology(system)
    if topo.available:
        topo_info: Dict[str, Any] = {}
        if topo.masked:
            topo_info["masked_kfd_nodes"] = topo.masked
        if topo.skipped:
            topo_info["skipped_kfd_nodes"] = [{"node": i, "why": why} for i, why in topo.skipped]
        gpus = group_physical(topo.gpu_nodes)
        if gpus:
            visible = _visibility(system)
            if visible:
                topo_info["visibility"] = visible
            return _scan_sysfs(system, gpus, topo_info)
        why = "the KFD topology lists no GPU"
        if topo.masked:
            why += f" ({len(topo.masked)} node(s) masked: permission denied)"
        elif topo.skipped:
            why += f" ({len(topo.skipped)} node(s) unusable)"
        return _Scan(info=topo_info, reason=why)
    hints = _fallback_hints(system, topo.error, rocm)
    if not hints:
        return _Scan(reason="no KFD topology and no AMD GPU driver (/sys/class/kfd, /dev/kfd)")
    return _scan_commands(system, hints, rocm)


# -- entry point ---------------------------------------------------------------------------


def detect(system: System) -> ProviderOutput:
    """The ``amd`` namespace for *system*: ``gfx_arch`` then ``rocm_version``."""
    try:
        forced_gfx = _forced(system, FORCE_GFX_ARCH, parse_forced_gfx)
        forced_rocm = _forced(system, FORCE_ROCM_VERSION, parse_forced_rocm)
    except ForceError as exc:
        return ProviderOutput(status="error", reason=str(exc), info={"source": {}})

    rocm = _RocmLookup(system)
    source: Dict[str, str] = {}
    info: Dict[str, Any] = {"source": source}
    features: List[FeatureConfig] = []
    scan: Optional[_Scan] = None

    if forced_gfx is not None:
        gfx_values = forced_gfx
        if gfx_values:
            source["gfx_arch"] = "override"
    else:
        scan = _scan(system, rocm)
        gfx_values = scan.values
        info.update(scan.info)
        if gfx_values:
            source["gfx_arch"] = scan.source
    if gfx_values:
        features.append(FeatureConfig("gfx_arch", gfx_values, multi_value=True))

    if forced_rocm is not None:
        features.append(FeatureConfig("rocm_version", [forced_rocm]))
        source["rocm_version"] = "override"
    elif gfx_values and system.platform.is_linux:
        # Linux (WSL2 too): the installed ROCm's version files, whatever answered.
        install = rocm.get()
        info["rocm"] = install.to_info() if install is not None else None
        if install is not None:
            features.append(FeatureConfig("rocm_version", [install.value]))
            source["rocm_version"] = install.file
    elif gfx_values and scan is not None and scan.rocm is not None:
        features.append(FeatureConfig("rocm_version", [scan.rocm[0]]))
        source["rocm_version"] = scan.rocm[1]

    if forced_gfx is not None or forced_rocm is not None:
        if features:
            note = scan.reason if scan is not None and not gfx_values else ""
            return ProviderOutput(features=features, info=info, status="override", reason=note)
        return ProviderOutput(info=info, reason=f"{FORCE_GFX_ARCH} names no target")
    if features or scan is None:
        return ProviderOutput(features=features, info=info)
    return ProviderOutput(info=info, status=scan.status, reason=scan.reason)
