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

import re
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from variant_providers.probe import list_optional, read_optional
from variant_providers.provider import ProviderOutput
from variant_providers.system import (
    DEFAULT_TIMEOUT,
    NativeError,
    NativeFacade,
    NativeTimeout,
    NativeUnavailable,
    System,
)

from . import parse, tables, vocab
from .parse import cuda_to_str
from .windows import WindowsDriver, find_driver

__all__ = ["LIBCUDA", "NVML", "SMI_QUERY", "SMI_XML", "Device", "Traces", "detect", "scan"]

Version2 = Tuple[int, int]

# No timeouts of their own: under the host every probe shares the detection's
# one deadline (``variant_providers.deadline``).
NVML = NativeFacade("nvml", "variant_providers.providers.nvidia.native:nvml")
LIBCUDA = NativeFacade("libcuda", "variant_providers.providers.nvidia.native:libcuda")
SMI_QUERY: Tuple[str, ...] = (
    "nvidia-smi",
    "--query-gpu=" + ",".join(parse.SMI_FIELDS),
    "--format=csv,noheader,nounits",
)
SMI_XML: Tuple[str, ...] = ("nvidia-smi", "--query", "-u", "-x")

_DEV_NODE_RE = re.compile(r"nvidia[0-9]+", re.ASCII)

# Outcomes of a probe that mean "this software is not here" rather than "it broke".
_ABSENT = "absent"
_FAILED = "failed"
_TIMEOUT = "timeout"
_OK = "ok"


@dataclass
class Device:
    """One GPU as a probe reported it."""

    index: Optional[int]
    name: Optional[str]
    cc: Optional[Version2]
    source: str
    uuid: Optional[str] = None
    pci_bus_id: Optional[str] = None
    memory_total_mib: Optional[int] = None
    mig_mode: Optional[str] = None
    mig_devices: List[Dict[str, Any]] = field(default_factory=list)
    #: Where the compute capability came from when not from ``source`` itself.
    cc_source: Optional[str] = None
    #: Why the probe that listed this GPU could not describe it.
    error: Optional[str] = None
    #: Windows driver model: ``WDDM``, ``TCC`` or ``MCDM``.
    driver_model: Optional[str] = None

    def to_info(self) -> Dict[str, Any]:
        info: Dict[str, Any] = {
            "index": self.index,
            "name": self.name,
            "compute_capability": cuda_to_str(self.cc) if self.cc else None,
            "source": self.source,
        }
        for key in (
            "cc_source",
            "error",
            "uuid",
            "pci_bus_id",
            "memory_total_mib",
            "mig_mode",
            "driver_model",
        ):
            value = getattr(self, key)
            if value is not None:
                info[key] = value
        if self.mig_devices:
            info["mig_devices"] = self.mig_devices
        return info


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


@dataclass
class Probe:
    """What the driver-facing probes (NVML, libcuda, nvidia-smi) found, merged."""

    cuda: Optional[Version2] = None
    cuda_source: Optional[str] = None
    driver: Optional[str] = None
    driver_source: Optional[str] = None
    devices: Optional[List[Device]] = None
    devices_source: Optional[str] = None
    outcomes: Dict[str, str] = field(default_factory=dict)
    kinds: Dict[str, str] = field(default_factory=dict)
    #: The library file each native probe loaded (Windows: the DLL that answered).
    libraries: Dict[str, str] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    mismatch: bool = False

    @property
    def timed_out(self) -> bool:
        return _TIMEOUT in self.kinds.values()

    @property
    def complete(self) -> bool:
        """Driver version known and every GPU listed has a compute capability."""
        return (
            self.cuda is not None
            and self.devices is not None
            and all(d.cc is not None for d in self.devices)
        )

    def add_devices(self, devices: List[Device], source: str) -> None:
        """Take *devices* as the GPU list, or use them to fill the gaps of the one there is."""
        if self.devices is None:
            self.set_devices(devices, source)
        else:
            borrow_cc(self.devices, devices, source)

    def set_cuda(self, cuda: Optional[Version2], source: str) -> None:
        if cuda is not None and self.cuda is None:
            self.cuda, self.cuda_source = cuda, source

    def set_driver(self, driver: Optional[str], source: str) -> None:
        if driver and self.driver is None:
            self.driver, self.driver_source = driver, source

    def set_devices(self, devices: Optional[List[Device]], source: str) -> None:
        if devices is not None and self.devices is None:
            self.devices, self.devices_source = devices, source

    def outcome(self, probe: str, kind: str, text: str) -> None:
        self.kinds[probe] = kind
        self.outcomes[probe] = text


def _pair(value: Any) -> Tuple[Optional[int], Any]:
    """A recorded ``[status, value]`` pair; ``(None, None)`` when malformed."""
    if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], int):
        return value[0], value[1]
    return None, None


def _str_or_none(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _cc_pair(value: Any) -> Optional[Version2]:
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 100 for v in value)
    ):
        return (int(value[0]), int(value[1]))
    return None


def _mib(value: Any) -> Optional[int]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value // (1024 * 1024)
    return None


def _read_nvml(answer: Any, probe: Probe) -> None:
    if not isinstance(answer, dict):
        probe.outcome("nvml", _FAILED, "malformed answer")
        return
    imported = answer.get("import")
    if isinstance(imported, dict) and not imported.get("ok", False):
        probe.outcome(
            "nvml",
            _ABSENT,
            f"pynvml not importable ({imported.get('error', '?')}); install the [nvidia] extra",
        )
        return
    if isinstance(answer.get("library"), str):
        probe.libraries["nvml"] = answer["library"]
    code, _ = _pair(answer.get("init"))
    if code is None:
        probe.outcome("nvml", _FAILED, "malformed answer (no init status)")
        return
    if code == tables.NVML_LIB_RM_VERSION_MISMATCH:
        probe.mismatch = True
        probe.outcome("nvml", _FAILED, "driver/library version mismatch (NVML error 18)")
        return
    if code == tables.NVML_LIBRARY_NOT_FOUND:
        probe.outcome("nvml", _ABSENT, "libnvidia-ml not installed (NVML error 12)")
        return
    if code != 0:
        probe.outcome("nvml", _FAILED, f"init failed: {tables.nvml_error_name(code)} ({code})")
        return
    status, value = _pair(answer.get("driver_version"))
    if status == 0:
        probe.set_driver(parse.parse_driver_version(value), "nvml")
    for key in ("cuda_driver_version_v2", "cuda_driver_version"):
        status, value = _pair(answer.get(key))
        if status == 0:
            cuda = parse.cuda_from_int(value)
            if cuda is None:
                probe.notes.append(f"NVML {key}: implausible value {value!r}")
            probe.set_cuda(cuda, "nvml")
            if cuda is not None:
                break
        elif status is not None:
            probe.notes.append(f"NVML {key}: {tables.nvml_error_name(status)}")
    status, count = _pair(answer.get("count"))
    if status != 0 or not isinstance(count, int):
        name = tables.nvml_error_name(status) if status is not None else "no answer"
        probe.outcome("nvml", _FAILED, f"device count failed: {name}")
        return
    devices: List[Device] = []
    raw_devices = answer.get("devices")
    for raw in raw_devices if isinstance(raw_devices, list) else []:
        device = _nvml_device(raw, probe.notes)
        if device is not None:
            devices.append(device)
    probe.set_devices(devices, "nvml")
    lost = sum(d.error is not None for d in devices)
    probe.outcome(
        "nvml", _OK, f"{len(devices)} GPU(s)" + (f", {lost} could not be opened" if lost else "")
    )


def _nvml_device(raw: Any, notes: List[str]) -> Optional[Device]:
    if not isinstance(raw, dict):
        notes.append("NVML: malformed device entry skipped")
        return None
    index = raw.get("index") if isinstance(raw.get("index"), int) else None
    status, _ = _pair(raw.get("handle"))
    if status != 0:
        # Listed but not described: kept, so another probe or a table can describe it.
        name = tables.nvml_error_name(status) if status is not None else "no answer"
        return Device(index, None, None, "nvml", error=f"NVML could not open it ({name})")

    def value(key: str) -> Any:
        code, val = _pair(raw.get(key))
        return val if code == 0 else None

    cc_status, cc_value = _pair(raw.get("cc"))
    cc = _cc_pair(cc_value) if cc_status == 0 else None
    if cc is None:
        reason = tables.nvml_error_name(cc_status) if cc_status else "no answer"
        notes.append(f"GPU {index}: compute capability unavailable ({reason})")
    model = value("driver_model")
    driver_model = tables.NVML_DRIVER_MODELS.get(model[0]) if isinstance(model, list) else None
    mig = value("mig_mode")
    mig_mode = None
    if isinstance(mig, list) and mig:
        mig_mode = "enabled" if mig[0] == 1 else "disabled"
    migs: List[Dict[str, Any]] = []
    raw_migs = raw.get("mig_devices")
    for entry in raw_migs if isinstance(raw_migs, list) else []:
        if not isinstance(entry, dict):
            continue
        name_status, mig_name = _pair(entry.get("name"))
        uuid_status, mig_uuid = _pair(entry.get("uuid"))
        mem_status, mig_mem = _pair(entry.get("memory_total"))
        migs.append(
            {
                "index": entry.get("index"),
                "name": _str_or_none(mig_name) if name_status == 0 else None,
                "uuid": _str_or_none(mig_uuid) if uuid_status == 0 else None,
                "memory_total_mib": _mib(mig_mem) if mem_status == 0 else None,
            }
        )
    return Device(
        index=index,
        name=_str_or_none(value("name")),
        cc=cc,
        source="nvml",
        uuid=_str_or_none(value("uuid")),
        pci_bus_id=_str_or_none(value("pci_bus_id")),
        memory_total_mib=_mib(value("memory_total")),
        mig_mode=mig_mode,
        mig_devices=migs,
        driver_model=driver_model,
    )


def _read_libcuda(answer: Any, probe: Probe) -> None:
    if not isinstance(answer, dict):
        probe.outcome("libcuda", _FAILED, "malformed answer")
        return
    visible = answer.get("cuda_visible_devices")
    if isinstance(visible, str):
        probe.notes.append(f"libcuda: CUDA_VISIBLE_DEVICES={visible!r} ignored to see every GPU")
    load = answer.get("load")
    if not isinstance(load, dict) or not load.get("ok", False):
        probe.outcome("libcuda", _ABSENT, "libcuda not installed")
        return
    if isinstance(load.get("path"), str):
        probe.libraries["libcuda"] = load["path"]
    init = answer.get("cuInit")
    if init != 0:
        name = tables.cuda_error_name(init) if isinstance(init, int) else "no answer"
        kind = _ABSENT if init == 34 else _FAILED  # 34: the toolkit's stub library
        probe.outcome("libcuda", kind, f"cuInit failed: {name}")
        return
    status, value = _pair(answer.get("version"))
    if status == 0:
        cuda = parse.cuda_from_int(value)
        if cuda is None:
            probe.notes.append(f"libcuda cuDriverGetVersion: implausible value {value!r}")
        probe.set_cuda(cuda, "libcuda")
    status, count = _pair(answer.get("count"))
    if status != 0 or not isinstance(count, int):
        probe.outcome("libcuda", _FAILED, "cuDeviceGetCount failed")
        return
    devices: List[Device] = []
    raw_devices = answer.get("devices")
    for raw in raw_devices if isinstance(raw_devices, list) else []:
        if not isinstance(raw, dict):
            continue
        ordinal = raw.get("ordinal") if isinstance(raw.get("ordinal"), int) else None
        dev_status, _ = _pair(raw.get("device"))
        if dev_status != 0:
            probe.notes.append(f"CUDA device {ordinal}: skipped (cuDeviceGet failed)")
            continue
        cc_status, cc_value = _pair(raw.get("cc"))
        cc = _cc_pair(cc_value) if cc_status == 0 else None
        if cc is None:
            probe.notes.append(f"CUDA device {ordinal}: compute capability unavailable")
        name_status, name = _pair(raw.get("name"))
        mem_status, mem = _pair(raw.get("memory_total"))
        devices.append(
            Device(
                index=ordinal,
                name=_str_or_none(name) if name_status == 0 else None,
                cc=cc,
                source="libcuda",
                memory_total_mib=_mib(mem) if mem_status == 0 else None,
            )
        )
    probe.add_devices(devices, "libcuda")
    probe.outcome("libcuda", _OK, f"{len(devices)} GPU(s)")


def _run_smi(system: System, probe: Probe, program: str = "nvidia-smi") -> None:
    result = system.run((program, *SMI_QUERY[1:]), timeout=DEFAULT_TIMEOUT)
    if result.error:
        kind = _ABSENT if result.error == "ENOENT" else _FAILED
        probe.outcome("nvidia-smi", kind, result.describe())
        return
    if result.timed_out:
        probe.outcome("nvidia-smi", _TIMEOUT, result.describe())
        return
    devices, notes = parse.parse_smi_csv(result.stdout)
    probe.notes.extend(notes)
    if result.returncode != 0:
        first = (result.stdout.strip() or result.stderr.strip()).splitlines()
        message = first[0][:120] if first else ""
        if "version mismatch" in message.lower():
            probe.mismatch = True
        probe.notes.append(f"nvidia-smi: exit {result.returncode} {message}".rstrip())
    found = [
        Device(
            index=d["index"],
            name=d["name"],
            cc=d["cc"] or (tables.cc_for_model(d["name"]) if d["name"] else None),
            source="nvidia-smi",
            uuid=d["uuid"],
            pci_bus_id=d["pci_bus_id"],
            memory_total_mib=d["memory_total_mib"],
        )
        for d in devices
    ]
    for d in devices:
        probe.set_driver(d["driver_version"], "nvidia-smi")
    if not found and result.returncode != 0:
        probe.outcome("nvidia-smi", _FAILED, result.describe())
        return
    probe.add_devices(found, "nvidia-smi")
    if probe.cuda is None:
        xml = system.run((program, *SMI_XML[1:]), timeout=DEFAULT_TIMEOUT)
        if xml.timed_out:
            probe.notes.append(f"nvidia-smi --query -x: {xml.describe()}")
        elif xml.stdout:
            cuda, driver = parse.parse_smi_xml_cuda(xml.stdout)
            probe.set_cuda(cuda, "nvidia-smi")
            probe.set_driver(driver, "nvidia-smi")
    probe.outcome("nvidia-smi", _OK, f"{len(found)} GPU(s)")


def _native(system: System, facade: NativeFacade, probe: Probe) -> Any:
    try:
        return system.native(facade)
    except NativeTimeout as exc:
        # The seam's message names the limit in force (the detection's deadline).
        probe.outcome(facade.name, _TIMEOUT, str(exc).removeprefix(f"{facade.name}: "))
    except NativeUnavailable as exc:
        probe.outcome(facade.name, _ABSENT, f"unavailable ({exc})")
    except NativeError as exc:
        probe.outcome(facade.name, _FAILED, f"failed ({exc})")
    return None


def run_probes(system: System, traces: Traces) -> Probe:
    """NVML, then libcuda, then nvidia-smi, each only while something is still unknown.

    After a timeout nothing else that talks to the driver is tried: a hung
    NVML means the driver is wedged, and every further probe would only add
    its own timeout.
    """
    probe = Probe()
    nvml, libcuda, smi = NVML, LIBCUDA, "nvidia-smi"
    windows = traces.windows_driver
    if traces.windows:
        # The DLLs found are handed to the child by full path, best first.
        nvml = replace(NVML, args=(list(windows.nvml),))
        libcuda = replace(LIBCUDA, args=(list(windows.libcuda),))
        smi = windows.smi or smi
    if traces.windows and not windows.nvml:
        probe.outcome("nvml", _ABSENT, "nvml.dll not found (System32, NVSMI)")
    else:
        answer = _native(system, nvml, probe)
        if "nvml" not in probe.kinds:
            _read_nvml(answer, probe)
    if probe.mismatch or probe.timed_out or probe.complete:
        return probe
    if traces.windows and not windows.libcuda:
        probe.outcome("libcuda", _ABSENT, "nvcuda.dll not found (System32)")
    else:
        answer = _native(system, libcuda, probe)
        if "libcuda" not in probe.kinds:
            _read_libcuda(answer, probe)
    if probe.timed_out or probe.complete:
        return probe
    if traces.windows and not windows.smi:
        probe.outcome("nvidia-smi", _ABSENT, "nvidia-smi.exe not found (System32, NVSMI)")
    else:
        _run_smi(system, probe, smi)
    return probe


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


def borrow_cc(devices: List[Device], others: Sequence[Device], source: str) -> None:
    """Give the GPUs of *devices* without a compute capability one from *others*.

    Probes enumerate in different orders (NVML by PCI bus, CUDA fastest
    first) and libcuda reports no UUID, so GPUs are not paired one to one:
    each described GPU first claims a candidate of its own compute capability,
    and the gaps take what is left, a same-named candidate first.
    """
    pool = [o for o in others if o.cc is not None]
    for device in devices:
        match = next((o for o in pool if device.cc is not None and o.cc == device.cc), None)
        if match is not None:
            pool.remove(match)
    for device in devices:
        if device.cc is not None or not pool:
            continue
        match = next((o for o in pool if device.name and o.name == device.name), pool[0])
        pool.remove(match)
        device.cc, device.cc_source = match.cc, source
        device.name = device.name or match.name


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


def _why_nothing(traces: Traces, probe: Probe, kernel: Optional[str]) -> Tuple[str, str]:
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
    if all(kind == _ABSENT for kind in probe.kinds.values()):
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
