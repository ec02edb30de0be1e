"""The KFD topology in sysfs: parse node ``properties``, decode gfx targets, group partitions.

Every GPU the amdgpu kernel driver hands to the compute stack is a node under
``/sys/class/kfd/kfd/topology/nodes/<N>/``; CPU sockets are nodes too.  The
``properties`` file holds one ``key value`` pair per line, values in decimal.
This module only parses and groups; the reads go through the machine seam.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

from variant_providers.probe import read_optional
from variant_providers.system import System

from .tables import APU_TARGETS

__all__ = [
    "TOPOLOGY_NODES",
    "KfdNode",
    "PhysicalGpu",
    "Topology",
    "decode_gfx_target_version",
    "group_physical",
    "parse_properties",
    "pci_address",
    "read_topology",
]

#: Where the kernel lists KFD nodes (``/sys/devices/virtual/kfd/kfd/topology/nodes`` too).
TOPOLOGY_NODES = "/sys/class/kfd/kfd/topology/nodes"

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


_OVERRIDE_RE = re.compile(r"\s*([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{1,2})\s*")


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
    facts: Dict[str, object] = field(default_factory=dict)

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
        info.update(self.facts)
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
    try:
        names = system.listdir(nodes_dir)
    except OSError as exc:
        return Topology(available=False, error=errno.errorcode.get(exc.errno or 0, "EIO"))
    topo = Topology(available=True)
    for index in _node_indices(names):
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
