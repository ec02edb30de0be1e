"""The KFD topology probe: node ``properties``, gfx targets, partitions, PCI facts.

Every GPU the amdgpu kernel driver hands to the compute stack is a node under
``/sys/class/kfd/kfd/topology/nodes/<N>/``; CPU sockets are nodes too.  The
``properties`` file holds one ``key value`` pair per line, values in decimal.
Each physical GPU's PCI sysfs directory adds DRM nodes, VRAM size and product
name (:func:`enrich_from_pci`); :func:`sysfs_info` adds the driver version,
``/dev/kfd`` and ``HSA_OVERRIDE_GFX_VERSION``.  File reads only (no ROCm
userspace needed), all through the machine seam.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from variant_providers import lazy_re
from variant_providers.pci import PCI_DEVICES, read_pci_device
from variant_providers.probe import list_optional, read_optional
from variant_providers.record_class import dataclass, field
from variant_providers.system import System

from .tables import APU_TARGETS

__all__ = [
    "HSA_OVERRIDE",
    "TOPOLOGY_NODES",
    "VISIBILITY_VARS",
    "KfdNode",
    "PhysicalGpu",
    "Topology",
    "decode_gfx_target_version",
    "decode_override",
    "enrich_from_pci",
    "group_physical",
    "parse_properties",
    "pci_address",
    "override_info",
    "read_topology",
    "sysfs_info",
    "visibility",
]

#: Where the kernel lists KFD nodes (``/sys/devices/virtual/kfd/kfd/topology/nodes`` too).
TOPOLOGY_NODES = "/sys/class/kfd/kfd/topology/nodes"
HSA_OVERRIDE = "HSA_OVERRIDE_GFX_VERSION"

#: Variables that restrict which GPUs the ROCm runtime shows; reported, not applied.
VISIBILITY_VARS = (
    "ROCR_VISIBLE_DEVICES",
    "HIP_VISIBLE_DEVICES",
    "CUDA_VISIBLE_DEVICES",
    "GPU_DEVICE_ORDINAL",
)

_SIMPLE_TEXT_RE = lazy_re.compile(r"[0-9A-Za-z.+_~-]{1,64}")
_DECIMAL_RE = lazy_re.compile(r"[0-9]{1,20}")

# unique_id is a full 64-bit value: at most 20 decimal digits.  Anything longer
# is not a KFD value (and would cost time to convert), so it is ignored.
_MAX_DIGITS = 20
_MAX_KEY = 64


def _is_key(key: str) -> bool:
    """``[a-z][a-z0-9_]*``, checked with string methods (a regex per line is slower)."""
    return (
        len(key) <= _MAX_KEY
        and key.isascii()
        and key[0].isalpha()
        and key.islower()
        and key.replace("_", "").isalnum()
    )


def parse_properties(text: str) -> Dict[str, int]:
    """Parse a KFD ``properties`` file into ``{key: int}``.

    Lines that are not ``<lowercase key> <decimal>`` are ignored, so a
    truncated or garbled file gives fewer keys, never an exception.  The first
    occurrence of a key wins.
    """
    out: Dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 2:
            continue
        key, value = parts
        if (
            key in out
            or not (value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS)
            or not _is_key(key)
        ):
            continue
        out[key] = int(value)
    return out


def decode_gfx_target_version(value: int) -> Optional[str]:
    """``gfx_target_version`` → gfx target name, or ``None`` when it is not one.

    The value is ``major * 10000 + minor * 100 + stepping``; the name is
    ``gfx`` + major in decimal + minor and stepping as **one hex digit each**
    (the rule ``rocm_agent_enumerator`` and the HSA runtime use):
    ``90010`` → ``gfx90a`` (not ``gfx9010``), ``110000`` → ``gfx1100``.
    Values whose minor or stepping do not fit one hex digit, a major of 0 or
    above 99 are rejected.
    """
    if value <= 0:
        return None
    major, minor, step = value // 10000, (value // 100) % 100, value % 100
    if not 1 <= major <= 99 or minor > 15 or step > 15:
        return None
    return f"gfx{major}{minor:x}{step:x}"


_OVERRIDE_RE = lazy_re.compile(r"\s*([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{1,2})\s*")


def decode_override(text: str) -> Optional[str]:
    """``HSA_OVERRIDE_GFX_VERSION`` (``major.minor.stepping``, decimal) → gfx name."""
    match = _OVERRIDE_RE.fullmatch(text)
    if match is None:
        return None
    major, minor, step = (int(g) for g in match.groups())
    return decode_gfx_target_version(major * 10000 + minor * 100 + step)


def pci_address(domain: int, location_id: int) -> str:
    """The PCI address KFD encodes as ``domain`` and ``location_id`` (bus<<8 | dev<<3 | fn)."""
    bus, dev, fn = (location_id >> 8) & 0xFF, (location_id >> 3) & 0x1F, location_id & 0x7
    return f"{domain & 0xFFFF:04x}:{bus:02x}:{dev:02x}.{fn:x}"


@dataclass(frozen=True)
class KfdNode:
    """One KFD GPU node (a whole GPU, or one partition of it)."""

    index: int
    props: Mapping[str, int]
    gfx: str

    def get(self, key: str) -> int:
        return self.props.get(key, 0)

    @property
    def group_key(self) -> Tuple[int, ...]:
        """Nodes of one physical GPU share domain, PCI location and unique id.

        Without a location and a unique id nothing can be grouped safely, so
        such a node stands alone (keyed by its own index).
        """
        domain, location, unique = (
            self.get("domain"),
            self.get("location_id"),
            self.get("unique_id"),
        )
        if location == 0 and unique == 0:
            return (-1, self.index)
        return (domain, location, unique)


@dataclass
class PhysicalGpu:
    """The KFD nodes of one physical GPU (several when it is partitioned)."""

    nodes: List[KfdNode]
    #: From the GPU's PCI sysfs directory (:func:`enrich_from_pci`), or ``pyamdgpuinfo``.
    pci_class: Optional[str] = None
    pci_revision: Optional[str] = None
    pci_subsystem: Optional[str] = None
    driver: Optional[str] = None
    drm: List[str] = field(default_factory=list)
    vram_bytes: Optional[int] = None
    name: Optional[str] = None
    pci_errors: List[str] = field(default_factory=list)

    @property
    def first(self) -> KfdNode:
        return self.nodes[0]

    @property
    def gfx(self) -> str:
        return self.first.gfx

    @property
    def integrated(self) -> bool:
        return self.gfx in APU_TARGETS

    @property
    def pci(self) -> Optional[str]:
        node = self.first
        if node.get("location_id") == 0:
            return None
        return pci_address(node.get("domain"), node.get("location_id"))

    def compute_units(self) -> Optional[int]:
        total = 0
        for node in self.nodes:
            per_cu = node.get("simd_per_cu")
            if per_cu <= 0:
                return None
            total += node.get("simd_count") // per_cu
        return total or None

    def to_info(self) -> Dict[str, object]:
        node = self.first
        info: Dict[str, object] = {
            "gfx": self.gfx,
            "gfx_target_version": node.get("gfx_target_version"),
            "pci": self.pci,
            "vendor_id": f"0x{node.get('vendor_id'):04x}",
            "device_id": f"0x{node.get('device_id'):04x}",
            "kfd_nodes": [n.index for n in self.nodes],
            "partitions": len(self.nodes),
            "compute_units": self.compute_units(),
            "num_xcc": sum(n.get("num_xcc") for n in self.nodes) or None,
            "integrated": self.integrated,
        }
        facts: Dict[str, object] = {
            "pci_class": self.pci_class,
            "pci_revision": self.pci_revision,
            "pci_subsystem": self.pci_subsystem,
            "driver": self.driver,
            "drm": self.drm or None,
            "vram_bytes": self.vram_bytes,
            "name": self.name,
            "pci_errors": self.pci_errors or None,
        }
        info.update((key, value) for key, value in facts.items() if value is not None)
        return info


@dataclass
class Topology:
    """What the KFD topology showed."""

    #: False when the nodes directory could not be listed at all.
    available: bool
    #: errno name of the listing failure (``ENOENT`` = no KFD on this machine).
    error: Optional[str] = None
    gpu_nodes: List[KfdNode] = field(default_factory=list)
    cpu_nodes: List[int] = field(default_factory=list)
    #: Nodes whose ``properties`` could not be read for lack of permission
    #: (cgroup-masked GPUs answer EPERM).
    masked: List[int] = field(default_factory=list)
    #: Nodes skipped for another reason: ``(index, why)``.
    skipped: List[Tuple[int, str]] = field(default_factory=list)


def _node_indices(names: List[str]) -> List[int]:
    return sorted(int(n) for n in names if n.isascii() and n.isdigit() and len(n) <= 6)


def read_topology(system: System, nodes_dir: str = TOPOLOGY_NODES) -> Topology:
    """Read every node's ``properties``; never raises for a file problem."""
    listing = list_optional(system, nodes_dir)
    if listing.names is None:
        return Topology(available=False, error=listing.code)
    topo = Topology(available=True)
    for index in _node_indices(listing.names):
        path = f"{nodes_dir}/{index}/properties"
        found = read_optional(system, path)
        if found.text is None:
            if found.code in ("EPERM", "EACCES"):
                topo.masked.append(index)
            elif found.code != "ENOENT":  # a node that vanished meanwhile is not news
                topo.skipped.append((index, f"properties unreadable ({found.code})"))
            continue
        props = parse_properties(found.text)
        target = props.get("gfx_target_version", 0)
        if target == 0 or props.get("simd_count", 0) == 0:
            topo.cpu_nodes.append(index)
            continue
        gfx = decode_gfx_target_version(target)
        if gfx is None:
            topo.skipped.append((index, f"gfx_target_version {target} is not a gfx target"))
            continue
        topo.gpu_nodes.append(KfdNode(index, props, gfx))
    return topo


def group_physical(nodes: List[KfdNode]) -> List[PhysicalGpu]:
    """Group partition nodes into physical GPUs, in order of first appearance."""
    groups: Dict[Tuple[int, ...], PhysicalGpu] = {}
    for node in nodes:
        key = node.group_key
        if key in groups:
            groups[key].nodes.append(node)
        else:
            groups[key] = PhysicalGpu([node])
    return list(groups.values())


# -- what else sysfs says about the GPUs -----------------------------------------------------


def _read_small(system: System, path: str) -> Optional[str]:
    text = (read_optional(system, path).text or "").strip()
    return text if text and len(text) <= 256 else None


def enrich_from_pci(system: System, gpu: PhysicalGpu) -> None:
    """PCI ids, DRM nodes, VRAM size and product name from the GPU's PCI sysfs directory."""
    pci = gpu.pci
    if pci is None:
        return
    errors: List[str] = []
    device = read_pci_device(system, pci, errors=errors)
    if device is not None:
        pci_facts = device.to_dict()
        gpu.pci_class = pci_facts.get("class")
        gpu.pci_revision = pci_facts.get("revision")
        gpu.pci_subsystem = pci_facts.get("subsystem")
        gpu.driver = pci_facts.get("driver")
    base = f"{PCI_DEVICES}/{pci}"
    listing = list_optional(system, f"{base}/drm").names or []
    gpu.drm = [n for n in listing if n.startswith(("card", "renderD"))]
    vram = _read_small(system, f"{base}/mem_info_vram_total")
    if vram is not None and _DECIMAL_RE.fullmatch(vram):
        gpu.vram_bytes = int(vram)
    name = _read_small(system, f"{base}/product_name")
    if name is not None and name.isprintable() and len(name) <= 128:
        gpu.name = name
    gpu.pci_errors = errors


def visibility(system: System) -> Dict[str, str]:
    """The GPU visibility variables that are set (reported, never applied)."""
    out: Dict[str, str] = {}
    for var in VISIBILITY_VARS:
        value = system.getenv(var)
        if value is not None:
            out[var] = value
    return out


def override_info(system: System) -> Optional[Dict[str, Any]]:
    """``HSA_OVERRIDE_GFX_VERSION`` and the target it names, when it is set."""
    raw = system.getenv(HSA_OVERRIDE)
    if not raw:
        return None
    return {"value": raw, "gfx": decode_override(raw)}


def sysfs_info(system: System, gpus: List[PhysicalGpu]) -> Tuple[Dict[str, Any], List[str]]:
    """The driver version, ``/dev/kfd`` and the HSA override: ``(info, notes)``."""
    notes: List[str] = []
    info: Dict[str, Any] = {}
    amdgpu = _read_small(system, "/sys/module/amdgpu/version")
    info["amdgpu_version"] = amdgpu if amdgpu and _SIMPLE_TEXT_RE.fullmatch(amdgpu) else None
    info["dev_kfd"] = system.exists("/dev/kfd")
    if not info["dev_kfd"]:
        notes.append(
            "no /dev/kfd: the GPUs are listed in sysfs but the ROCm runtime cannot open them here"
        )
    override = override_info(system)
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
    return info, notes
