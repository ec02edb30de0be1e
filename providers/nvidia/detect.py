"""Detect the NVIDIA CUDA driver and GPUs through the machine seam.

Order (cheapest and safest first; see ``docs/providers/nvidia.md``; the
vendor force variables are data on the ``Provider`` record, applied by the
host, never read here):

1. Files that cannot hang: ``/sys/module/nvidia/version``,
   ``/proc/driver/nvidia/version``, ``/proc/driver/nvidia/gpus/*/information``,
   ``/dev/nvidia*``, the WSL2 markers and the Jetson files.  No trace at all →
   ``not-detected`` without starting anything.
2. NVML through ``pynvml`` in a child process with a timeout.
3. libcuda through ctypes in a child process with a timeout.
4. ``nvidia-smi`` with a timeout, one line per GPU, a non-zero exit tolerated.
5. Only when a probe hung: an estimate from the files of step 1 (driver
   branch → CUDA version, product name or Jetson SoC → compute capability).

A driver whose kernel module and user-space library disagree (NVML error 18)
is reported as an error of its own, never as "not installed".
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from variant_providers.provider import ProviderOutput, Status
from variant_providers.record_class import replace
from variant_providers.system import (
    NativeError,
    NativeFacade,
    NativeTimeout,
    NativeUnavailable,
    System,
)

from . import vocab
from .devices import ABSENT, FAILED, TIMEOUT, Device, Probe, Version2
from .parse import cuda_to_str
from .procfs import Traces, estimate, fill_from_tables, scan

__all__ = ["Device", "Traces", "detect", "scan"]


def _native(system: System, facade: NativeFacade, probe: Probe) -> Any:
    try:
        return system.native(facade)
    except NativeTimeout as exc:
        # The seam's message names the limit in force (the detection's deadline).
        probe.outcome(facade.name, TIMEOUT, str(exc).removeprefix(f"{facade.name}: "))
    except NativeUnavailable as exc:
        probe.outcome(facade.name, ABSENT, f"unavailable ({exc})")
    except NativeError as exc:
        probe.outcome(facade.name, FAILED, f"failed ({exc})")
    return None


def run_probes(system: System, traces: Traces) -> Probe:
    """NVML, then libcuda, then nvidia-smi, each only while something is still unknown.

    After a timeout nothing else that talks to the driver is tried: a hung
    NVML means the driver is wedged, and every further probe would only add
    its own timeout.
    """
    # Imported here, past the file scan: a machine without NVIDIA traces (the
    # common cold run) never loads the driver probes or their library loader.
    from .libcuda import LIBCUDA, read_libcuda
    from .nvml import NVML, read_nvml
    from .smi import run_smi

    probe = Probe()
    nvml, libcuda, smi = NVML, LIBCUDA, "nvidia-smi"
    windows = traces.windows_driver
    if traces.windows:
        # The DLLs found are handed to the child by full path, best first.
        nvml = replace(NVML, args=(list(windows.nvml),))
        libcuda = replace(LIBCUDA, args=(list(windows.libcuda),))
        smi = windows.smi or smi
    if traces.windows and not windows.nvml:
        probe.outcome("nvml", ABSENT, "nvml.dll not found (System32, NVSMI)")
    else:
        answer = _native(system, nvml, probe)
        if "nvml" not in probe.kinds:
            read_nvml(answer, probe)
    if probe.mismatch or probe.timed_out or probe.complete:
        return probe
    if traces.windows and not windows.libcuda:
        probe.outcome("libcuda", ABSENT, "nvcuda.dll not found (System32)")
    else:
        answer = _native(system, libcuda, probe)
        if "libcuda" not in probe.kinds:
            read_libcuda(answer, probe)
    if probe.timed_out or probe.complete:
        return probe
    if traces.windows and not windows.smi:
        probe.outcome("nvidia-smi", ABSENT, "nvidia-smi.exe not found (System32, NVSMI)")
    else:
        run_smi(system, probe, smi)
    return probe


def detect(system: System) -> ProviderOutput:
    """Detect the ``nvidia`` features of *system*."""
    traces = scan(system)
    info: Dict[str, Any] = {"kind": traces.kind()}
    if traces.kernel_driver:
        info["kernel_driver_version"] = traces.kernel_driver
    if traces.open_module:
        info["open_kernel_module"] = True
    if traces.tegra_release:
        info["l4t_release"] = ".".join(map(str, traces.tegra_release))
    notes: List[str] = list(traces.notes)
    if not traces.any():
        reason = (
            f"no CUDA driver on {system.platform.system}"
            if not system.platform.is_linux and system.platform.system != "Windows"
            else "no NVIDIA driver, GPU device or library found"
        )
        return ProviderOutput(info=_finish(info, notes), status="not-detected", reason=reason)

    probe = run_probes(system, traces)
    if probe.timed_out and not probe.mismatch:
        estimate(traces, probe)
    if probe.devices:
        fill_from_tables(traces, probe.devices)
    notes.extend(probe.notes)
    info["probes"] = dict(probe.outcomes)
    if probe.libraries:
        info["libraries"] = dict(probe.libraries)
    driver_source = "procfs"
    if probe.driver:
        info["kernel_driver_version"] = probe.driver
        driver_source = probe.driver_source or driver_source
    if probe.devices is not None:
        info["devices"] = [d.to_info() for d in probe.devices]
    kernel = info.get("kernel_driver_version")

    if probe.mismatch:
        reason = (
            "NVIDIA driver/library version mismatch (NVML error 18): the running kernel module"
            + (f" is {kernel} and" if kernel else "")
            + " the user-space driver library is a different version; reboot or reload the"
            " nvidia kernel module"
        )
        return ProviderOutput(info=_finish(info, notes), status="error", reason=reason)

    cuda = probe.cuda
    if cuda is None:
        status, reason = _why_nothing(traces, probe, kernel)
        return ProviderOutput(info=_finish(info, notes), status=status, reason=reason)
    if not vocab.cuda_in_range(cuda):
        info["cuda_driver_version"] = cuda_to_str(cuda)
        reason = (
            f"CUDA driver version {cuda_to_str(cuda)} is outside the supported range "
            f"11.0–{vocab.CUDA_MAJORS[0]}.{vocab.CUDA_MINOR_MAX}"
        )
        return ProviderOutput(info=_finish(info, notes), status="not-detected", reason=reason)
    devices = probe.devices or []
    if not devices:
        where = probe.devices_source or "the driver"
        reason = f"the NVIDIA driver ({cuda_to_str(cuda)}) answers but {where} lists no GPU"
        if not traces.dev_nodes and traces.kind() == "linux":
            reason += " (no /dev/nvidiaN device nodes: no GPU access)"
        info["cuda_driver_version"] = cuda_to_str(cuda)
        return ProviderOutput(info=_finish(info, notes), status="not-detected", reason=reason)
    ccs: List[Version2] = [d.cc for d in devices if d.cc]
    for d in devices:
        if d.cc is None:
            why = d.error or "no probe gave its compute capability"
            notes.append(f"GPU {d.index} ({d.name or 'unnamed'}): no sm_arch, {why}")
        if d.cc is not None and d.cc < vocab.SM_MINIMUM:
            notes.append(f"GPU {d.index} ({d.name}): compute capability below 5.0 has no sm_arch")
    cuda_source = probe.cuda_source or "?"
    described = [d.cc_source or d.source for d in devices if d.cc is not None]
    sm_source = "+".join(dict.fromkeys(described)) or probe.devices_source or "?"
    reason = ""
    if probe.timed_out and "procfs" in (cuda_source, sm_source):
        reason = "a driver probe hung; values estimated from /proc and /sys"
    return _output(
        cuda,
        ccs,
        info,
        cuda_source=cuda_source,
        sm_source=sm_source,
        notes=notes,
        reason=reason,
        driver_source=driver_source if kernel else None,
    )


def _why_nothing(traces: Traces, probe: Probe, kernel: Optional[str]) -> Tuple[Status, str]:
    """Status and reason when no probe gave a CUDA driver version."""
    driver = f"driver {kernel}" if kernel else "NVIDIA traces"
    detail = "; ".join(f"{k}: {v}" for k, v in probe.outcomes.items())
    if probe.timed_out:
        return "timeout", f"the NVIDIA driver did not answer in time ({detail})"
    no_access = not traces.dev_nodes and traces.kind() == "linux"
    if no_access:
        return (
            "not-detected",
            f"{driver} present but no /dev/nvidiaN device nodes: this system or container"
            f" has no GPU access ({detail})",
        )
    if all(kind == ABSENT for kind in probe.kinds.values()):
        return (
            "not-detected",
            f"{driver} present but the CUDA user-space driver is not installed ({detail})",
        )
    return "error", f"{driver} present but no probe gave the CUDA driver version ({detail})"


def _finish(info: Dict[str, Any], notes: Optional[Sequence[str]]) -> Dict[str, Any]:
    if notes:
        info["notes"] = list(dict.fromkeys(notes))
    return info


def _output(
    cuda: Version2,
    ccs: Sequence[Version2],
    info: Dict[str, Any],
    *,
    cuda_source: str,
    sm_source: str,
    notes: Optional[Sequence[str]],
    reason: str = "",
    driver_source: Optional[str] = None,
) -> ProviderOutput:
    features = vocab.features_for(cuda, ccs)
    info = dict(info)
    info["cuda_driver_version"] = cuda_to_str(cuda)
    source: Dict[str, str] = {
        f.name: sm_source if f.name == vocab.FEATURE_SM else cuda_source for f in features
    }
    source["cuda_driver_version"] = cuda_source
    if driver_source:
        source["kernel_driver_version"] = driver_source
    info["source"] = source
    return ProviderOutput(
        features=features,
        info=_finish(info, notes),
        reason=reason,
        sources={f.name: source[f.name] for f in features},
    )
