"""The files that cannot hang: ``/proc/driver/nvidia``, ``/sys/module/nvidia``, ``/dev``.

The first, cheapest step of detection (:func:`scan`): which traces of an
NVIDIA driver the machine has.  No trace at all means "not detected" without
starting anything.  When a driver probe hung, the same files give an
estimate (:func:`estimate`), and product names fill the compute capability
no probe gave (:func:`fill_from_tables`).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from variant_providers import lazy_re
from variant_providers.probe import list_optional, read_optional
from variant_providers.record_class import dataclass, field
from variant_providers.system import System

from . import parse, tables
from .devices import Device, Probe
from .windows import WindowsDriver, find_driver

__all__ = ["Traces", "estimate", "fill_from_tables", "scan"]

_DEV_NODE_RE = lazy_re.compile(r"nvidia[0-9]+", re.ASCII)


@dataclass
class Traces:
    """What the cheap file checks found."""

    module_version: Optional[str] = None
    proc_version: Optional[str] = None
    open_module: bool = False
    proc_gpus: List[Dict[str, str]] = field(default_factory=list)
    dev_nodes: List[str] = field(default_factory=list)
    wsl: bool = False
    tegra_release: Optional[Tuple[int, int, int]] = None
    tegra_soc: Optional[str] = None
    tegra_model: Optional[str] = None
    #: A Windows machine, and whether its NVIDIA driver files were found there.
    on_windows: bool = False
    windows: bool = False
    windows_driver: WindowsDriver = field(default_factory=WindowsDriver)
    notes: List[str] = field(default_factory=list)

    @property
    def tegra(self) -> bool:
        return self.tegra_release is not None or self.tegra_soc is not None

    @property
    def kernel_driver(self) -> Optional[str]:
        return self.module_version or self.proc_version

    def any(self) -> bool:
        return bool(
            self.module_version
            or self.proc_version
            or self.proc_gpus
            or self.dev_nodes
            or self.wsl
            or self.tegra
            or self.windows
        )

    def kind(self) -> str:
        if self.on_windows:
            return "windows"
        if self.wsl:
            return "wsl2"
        if self.tegra:
            return "jetson"
        return "linux"


def _read(system: System, path: str, notes: List[str]) -> Optional[str]:
    found = read_optional(system, path)
    if found.note:
        notes.append(found.note)
    return found.text


def _listdir(system: System, path: str, notes: List[str]) -> Optional[List[str]]:
    found = list_optional(system, path)
    if found.note:
        notes.append(found.note)
    return found.names


def scan(system: System) -> Traces:
    """The cheap layer: files only, no child process, no command."""
    traces = Traces()
    notes = traces.notes
    plat = system.platform
    if plat.is_windows:
        traces.on_windows = True
        traces.windows_driver = find_driver(system)
        traces.windows = traces.windows_driver.any()
        return traces
    if not plat.is_linux:
        return traces
    text = _read(system, "/sys/module/nvidia/version", notes)
    if text is not None:
        traces.module_version = parse.parse_driver_version(text)
    text = _read(system, "/proc/driver/nvidia/version", notes)
    if text is not None:
        traces.proc_version, traces.open_module = parse.parse_proc_version(text)
    for bdf in _listdir(system, "/proc/driver/nvidia/gpus", notes) or []:
        info = _read(system, f"/proc/driver/nvidia/gpus/{bdf}/information", notes)
        fields = parse.parse_information(info or "")
        traces.proc_gpus.append(
            {"bus": bdf, "model": fields.get("Model", ""), "uuid": fields.get("GPU UUID", "")}
        )
    dev = _listdir(system, "/dev", notes)
    if dev is None:
        dev = [n for n in ("nvidia0", "nvidiactl", "dxg") if system.exists(f"/dev/{n}")]
    traces.dev_nodes = [n for n in dev if n.startswith("nvidia") and _DEV_NODE_RE.fullmatch(n)]
    traces.wsl = "dxg" in dev or system.exists("/usr/lib/wsl/lib")
    if plat.arch == "aarch64":  # Jetson modules are aarch64 only
        text = _read(system, "/etc/nv_tegra_release", notes)
        if text is not None:
            traces.tegra_release = parse.parse_tegra_release(text)
        try:
            compatible = parse.parse_compatible(system.read_bytes("/proc/device-tree/compatible"))
        except OSError:
            compatible = []
        socs = [c for c in compatible if c.startswith("nvidia,tegra")]
        if socs:
            traces.tegra_soc = socs[0]
            model = _read(system, "/proc/device-tree/model", notes)
            traces.tegra_model = model.strip("\0\n ") if model else None
    return traces


def estimate(traces: Traces, probe: Probe) -> None:
    """Fill what the hung probes did not say from the files (source ``procfs``)."""
    if probe.cuda is None:
        branch = parse.driver_branch(traces.kernel_driver)
        cuda = tables.cuda_for_branch(branch) if branch is not None else None
        if cuda is None and traces.tegra_release is not None:
            cuda = tables.L4T_CUDA.get(traces.tegra_release[:2])
        probe.set_cuda(cuda, "procfs")
    if probe.devices is None:
        devices = [
            Device(
                index=i,
                name=gpu["model"] or None,
                cc=tables.cc_for_model(gpu["model"]) if gpu["model"] else None,
                source="procfs",
                uuid=gpu["uuid"] or None,
                pci_bus_id=gpu["bus"],
            )
            for i, gpu in enumerate(traces.proc_gpus)
        ]
        if not devices and traces.tegra_soc in tables.TEGRA_CC:
            devices = [Device(0, traces.tegra_model, tables.TEGRA_CC[traces.tegra_soc], "procfs")]
        if devices:
            probe.set_devices(devices, "procfs")


def _bus(address: Optional[str]) -> Optional[str]:
    """``00000000:18:00.0`` and ``0000:18:00.0`` → ``18:00.0`` (domains differ in width)."""
    return address.split(":", 1)[1].lower() if address and ":" in address else None


def fill_from_tables(traces: Traces, devices: Sequence[Device]) -> None:
    """Last resorts for a GPU no probe could describe: the Jetson SoC, then the product name.

    The name is the probe's, or else the model line of the GPU's
    ``/proc/driver/nvidia/gpus/<bus>/information`` (matched by PCI address,
    or by position when the probe gave none and the counts agree: NVML and
    the proc directory both list GPUs in PCI bus order).
    """
    by_bus = {_bus(g["bus"]): g for g in traces.proc_gpus}
    same_count = len(traces.proc_gpus) == len(devices)
    for position, device in enumerate(devices):
        if device.cc is not None:
            continue
        if traces.tegra_soc in tables.TEGRA_CC:
            device.cc, device.cc_source = tables.TEGRA_CC[traces.tegra_soc], "tegra-soc-table"
            continue
        gpu = by_bus.get(_bus(device.pci_bus_id))
        if gpu is None and same_count and device.pci_bus_id is None:
            gpu = traces.proc_gpus[position]
        name = device.name or (gpu["model"] if gpu else None)
        cc = tables.cc_for_model(name) if name else None
        if cc is not None:
            device.cc, device.cc_source = cc, "name-table"
            device.name = name
