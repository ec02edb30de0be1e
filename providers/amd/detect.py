"""Detect AMD GPU targets (``gfx_arch``) and the ROCm version (``rocm_version``).

Orchestration only; each probe is its own module.  The force variables of
the existing amd-variant-provider (``AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH``,
``AMD_VARIANT_PROVIDER_FORCE_ROCM_VERSION``) are data on the ``Provider``
record, applied by the host (:mod:`variant_providers.force`); nothing here
reads them.  Order of sources, cheapest first:

1. the KFD topology in sysfs (:mod:`.kfd`: file reads only; works without
   ROCm userspace and in containers that cannot open ``/dev/kfd``), with the
   PCI device's sysfs directory for DRM nodes, VRAM and product name;
2. only when that topology cannot be read although the machine shows a sign
   of an AMD GPU: ``rocminfo``, then ``rocm_agent_enumerator``
   (:mod:`.rocminfo`), each with a timeout; under WSL2 then the HIP runtime;
3. the ROCm version from the version files of the installed ROCm
   (:mod:`.rocm`), looked up only once a GPU target is known.

On Windows the HIP runtime (:mod:`.hip`, libraries chosen by :mod:`.hipsdk`)
and then ``hipInfo.exe`` answer.  ``pyamdgpuinfo`` (optional, :mod:`.gpuinfo`)
is asked, in a child process, only when sysfs could not give a GPU's VRAM
size; it never changes the features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from variant_providers.model import FeatureConfig
from variant_providers.provider import ProviderOutput, Status
from variant_providers.record_class import dataclass, field
from variant_providers.system import System

from .kfd import (
    HSA_OVERRIDE,
    PhysicalGpu,
    enrich_from_pci,
    group_physical,
    override_info,
    read_topology,
    sysfs_info,
    visibility,
)
from .rocm import RocmLookup
from .tables import APU_TARGETS
from .vocab import order_targets

if TYPE_CHECKING:
    from .hip import HipScan
    from .hipsdk import Sdk

# The probes past the KFD topology (HIP, the SDKs, rocminfo, pyamdgpuinfo) are
# imported by the function that needs them: a machine without an AMD GPU, the
# common cold run, reads the topology and imports none of them.

__all__ = ["detect"]


@dataclass
class _Scan:
    """What the GPU scan found."""

    values: List[str] = field(default_factory=list)
    source: str = ""
    info: Dict[str, Any] = field(default_factory=dict)
    status: Optional[Status] = None
    reason: str = ""
    #: ``(rocm_version, source)`` when the scan itself learned it (the HIP runtime).
    rocm: Optional[Tuple[str, str]] = None


def _ask_hip(system: System, libraries: Sequence[str], sdks: Sequence[Sdk] = ()) -> HipScan:
    """The HIP runtime, then ``hipInfo.exe`` of *sdks* when the runtime lists no GPU."""
    from .hip import scan_hip
    from .hipsdk import ask_hipinfo

    hip = scan_hip(system, libraries)
    if not hip.devices and sdks and not hip.timed_out:
        ask_hipinfo(system, sdks, hip)
    if hip.attempts:
        hip.info["attempts"] = list(hip.attempts)
    return hip


def _from_hip(hip: HipScan, info: Dict[str, Any], why: str) -> _Scan:
    """A :class:`_Scan` of what the HIP runtime (or hipInfo) found."""
    info = {**info, "hip": hip.info}
    if hip.devices:
        info["gpu_count"] = len(hip.devices)
        info["devices"] = [d.to_info() for d in hip.devices]
        rocm = (hip.rocm_version, hip.rocm_source) if hip.rocm_version else None
        return _Scan(order_targets(hip.targets), hip.source, info, rocm=rocm)
    status: Status = "timeout" if hip.timed_out else "not-detected"
    return _Scan([], "", info, status=status, reason=why + "; ".join(hip.attempts))


def _scan_windows(system: System) -> _Scan:
    """Windows: the HIP runtime DLL chosen by :mod:`.hipsdk`, then ``hipInfo.exe``."""
    from .hipsdk import hip_libraries, windows_sdks

    sdks = windows_sdks(system)
    libraries = hip_libraries(system, sdks)
    if not libraries:
        return _Scan(
            info={"hip_sdks": [s.root for s in sdks]},
            reason="no HIP runtime (amdhip64*.dll) in HIP_PATH, the HIP SDKs or System32",
        )
    hip = _ask_hip(system, libraries, sdks)
    return _from_hip(hip, {}, "the HIP runtime lists no GPU: ")


def _scan_sysfs(system: System, gpus: List[PhysicalGpu], topo_info: Dict[str, Any]) -> _Scan:
    for gpu in gpus:
        enrich_from_pci(system, gpu)
    info: Dict[str, Any] = {
        "gpu_count": len(gpus),
        "kfd_gpu_nodes": sum(len(g.nodes) for g in gpus),
        **topo_info,
    }
    more, notes = sysfs_info(system, gpus)
    info.update(more)
    if any(g.vram_bytes is None for g in gpus):
        from .gpuinfo import ask_pyamdgpuinfo

        info["pyamdgpuinfo"] = ask_pyamdgpuinfo(system, gpus)
    info["devices"] = [g.to_info() for g in gpus]
    if notes:
        info["notes"] = notes
    values = order_targets([(g.gfx, g.integrated) for g in gpus])
    return _Scan(values, "kfd-sysfs", info)


def _fallback_hints(system: System, topology_error: Optional[str], rocm: RocmLookup) -> List[str]:
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


def _scan_commands(system: System, hints: List[str], rocm: RocmLookup) -> _Scan:
    """The fallback: ``rocminfo``, then ``rocm_agent_enumerator``, then (WSL2) HIP."""
    from .hipsdk import rocm_libraries
    from .rocminfo import ask_agent_enumerator, ask_rocminfo

    info: Dict[str, Any] = {"fallback_reason": "; ".join(hints)}
    override = override_info(system)
    notes: List[str] = []
    if override is not None:
        info["hsa_override_gfx_version"] = override
        info["effective_gfx"] = override["gfx"]
        notes.append(
            f"{HSA_OVERRIDE} is set and the ROCm runtime applies it: without sysfs the "
            "reported targets are the effective ones, not necessarily the hardware's"
        )
    agents, attempt, timed_out = ask_rocminfo(system, rocm)
    if agents:
        info["gpu_count"] = len(agents)
        info["devices"] = [a.to_info() for a in agents]
        if notes:
            info["notes"] = notes
        values = order_targets([(a.gfx, a.gfx in APU_TARGETS) for a in agents])
        return _Scan(values, "rocminfo", info)
    attempts = [attempt]
    targets, attempt, enum_timed_out = ask_agent_enumerator(system, rocm)
    if targets:
        info["gpu_count"] = len(targets)
        info["devices"] = [{"gfx": t} for t in targets]
        info["attempts"] = attempts
        if notes:
            info["notes"] = notes
        values = order_targets([(t, t in APU_TARGETS) for t in targets])
        return _Scan(values, "rocm_agent_enumerator", info)
    timed_out |= enum_timed_out
    attempts.append(attempt)
    info["attempts"] = attempts
    install = rocm.get()
    libraries = rocm_libraries(system, install.root) if install else []
    if not timed_out and libraries and system.exists("/dev/dxg"):
        # WSL2: the HIP runtime reaches the GPU over /dev/dxg even where rocminfo does not.
        hip = _from_hip(_ask_hip(system, libraries), info, "")
        if hip.values:
            return hip
        attempts += hip.info["hip"].get("attempts", [])
    reason = "KFD sysfs unavailable and " + "; ".join(attempts)
    return _Scan([], "", info, status="timeout" if timed_out else "not-detected", reason=reason)


def _scan(system: System, rocm: RocmLookup) -> _Scan:
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
            visible = visibility(system)
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


def detect(system: System) -> ProviderOutput:
    """The ``amd`` namespace for *system*: ``gfx_arch`` then ``rocm_version``."""
    rocm = RocmLookup(system)
    source: Dict[str, str] = {}
    info: Dict[str, Any] = {"source": source}
    scan = _scan(system, rocm)
    info.update(scan.info)
    if not scan.values:
        return ProviderOutput(info=info, status=scan.status, reason=scan.reason)
    features = [FeatureConfig("gfx_arch", scan.values, multi_value=True)]
    source["gfx_arch"] = scan.source
    if system.platform.is_linux:
        # Linux (WSL2 too): the installed ROCm's version files, whatever answered.
        install = rocm.get()
        info["rocm"] = install.to_info() if install is not None else None
        if install is not None:
            features.append(FeatureConfig("rocm_version", [install.value]))
            source["rocm_version"] = install.file
    elif scan.rocm is not None:
        features.append(FeatureConfig("rocm_version", [scan.rocm[0]]))
        source["rocm_version"] = scan.rocm[1]
    return ProviderOutput(features=features, info=info)
