"""The ``rocminfo`` and ``rocm_agent_enumerator`` probes (the fallback path).

Run only when the KFD topology cannot answer although the machine shows a
sign of an AMD GPU, each with a timeout; their output is parsed here.

Only the agent-level ``Name:`` line of each ``Agent N`` block counts as a GPU
target.  A loose ``gfx\\d+`` search over the whole output would also pick up
the generic ISA names ROCm 6.4+ prints (``amdgcn-amd-amdhsa--gfx11-generic``
→ ``gfx11``), which are not targets of any device.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from variant_providers.record_class import dataclass
from variant_providers.system import CommandResult, System

from .rocm import RocmLookup

__all__ = [
    "COMMAND_TIMEOUT",
    "RocmAgent",
    "ask_agent_enumerator",
    "ask_rocminfo",
    "parse_agent_enumerator",
    "parse_rocminfo",
]

#: Seconds ``rocminfo`` / ``rocm_agent_enumerator`` may take (the existing
#: provider allows ``rocminfo`` 7 s; the enumerator can retry ``rocminfo`` for
#: a minute on resource errors, so it gets the same bound).
COMMAND_TIMEOUT = 7.0

_AGENT_RE = re.compile(r"\s*Agent\s+([0-9]{1,6})\s*")
_FIELD_RE = re.compile(r"\s+([A-Za-z][A-Za-z ]{0,40}?):\s*(.*?)\s*")
# Agent names may carry target features (``gfx90a:sramecc+:xnack-``); they are dropped.
_GFX_RE = re.compile(r"(gfx[0-9a-f]{2,6})(?::[A-Za-z0-9+:-]{0,64})?")
_ENUM_LINE_RE = re.compile(r"\s*(gfx[0-9a-f]{2,6})(?::[A-Za-z0-9+:-]{0,64})?\s*")

_KEPT_FIELDS = ("Name", "Marketing Name", "Device Type", "Node", "Chip ID", "Compute Unit")

#: The CPU agent's placeholder target printed by older ``rocm_agent_enumerator``.
CPU_TARGET = "gfx000"


@dataclass(frozen=True)
class RocmAgent:
    """One GPU agent of ``rocminfo``."""

    index: int
    gfx: str
    fields: Dict[str, str]

    def to_info(self) -> Dict[str, object]:
        info: Dict[str, object] = {"gfx": self.gfx, "agent": self.index}
        if self.fields.get("Marketing Name"):
            info["name"] = self.fields["Marketing Name"]
        if self.fields.get("Node"):
            info["kfd_node"] = self.fields["Node"]
        chip = self.fields.get("Chip ID", "")
        hexpart = re.search(r"\(0x([0-9a-fA-F]{1,8})\)", chip)
        if hexpart:
            info["device_id"] = "0x" + hexpart.group(1).lower()
        units = self.fields.get("Compute Unit", "")
        if re.fullmatch(r"[0-9]{1,9}", units):
            info["compute_units"] = int(units)
        return info


def parse_rocminfo(text: str) -> List[RocmAgent]:
    """The GPU agents of a ``rocminfo`` dump, in agent order.

    For each ``Agent N`` block the first ``Name:`` line is the agent's name;
    it is a target only when it reads ``gfx<hex>``.  CPU agents (named after
    the CPU model, or ``Device Type: CPU``) and ``gfx000`` are dropped.
    """
    agents: List[RocmAgent] = []
    index: Optional[int] = None
    fields: Dict[str, str] = {}

    def close() -> None:
        if index is None:
            return
        match = _GFX_RE.fullmatch(fields.get("Name", ""))
        if match is None or match.group(1) == CPU_TARGET:
            return
        if fields.get("Device Type", "GPU").upper() != "GPU":
            return
        agents.append(RocmAgent(index, match.group(1), dict(fields)))

    for line in text.splitlines():
        agent = _AGENT_RE.fullmatch(line)
        if agent is not None:
            close()
            index, fields = int(agent.group(1)), {}
            continue
        if index is None:
            continue
        field_match = _FIELD_RE.fullmatch(line)
        if field_match is None:
            continue
        key, value = field_match.group(1), field_match.group(2)
        if key in _KEPT_FIELDS and key not in fields:
            fields[key] = value
    close()
    return agents


def parse_agent_enumerator(text: str) -> List[str]:
    """The targets ``rocm_agent_enumerator`` printed, one per line, ``gfx000`` dropped."""
    out: List[str] = []
    for line in text.splitlines():
        match = _ENUM_LINE_RE.fullmatch(line)
        if match is None or match.group(1) == CPU_TARGET:
            continue
        out.append(match.group(1))
    return out


def _first_line(result: CommandResult) -> str:
    for text in (result.stderr, result.stdout):
        for line in text.splitlines():
            if line.strip():
                return line.strip()[:160]
    return ""


def _attempt(name: str, result: CommandResult, empty: str) -> str:
    if result.ok:
        return f"{name}: {empty}"
    detail = _first_line(result) if result.returncode not in (None, 0) else ""
    return f"{result.describe()} ({detail})" if detail else result.describe()


def ask_rocminfo(system: System, rocm: RocmLookup) -> Tuple[List[RocmAgent], str, bool]:
    """Run ``rocminfo``: ``(agents, what happened when none, timed out)``."""
    result = system.run([rocm.command("rocminfo")], timeout=COMMAND_TIMEOUT)
    agents = parse_rocminfo(result.stdout) if result.ok else []
    return agents, _attempt("rocminfo", result, "no GPU agent"), result.timed_out


def ask_agent_enumerator(system: System, rocm: RocmLookup) -> Tuple[List[str], str, bool]:
    """Run ``rocm_agent_enumerator``: ``(targets, what happened when none, timed out)``."""
    result = system.run([rocm.command("rocm_agent_enumerator")], timeout=COMMAND_TIMEOUT)
    targets = parse_agent_enumerator(result.stdout) if result.ok else []
    return targets, _attempt("rocm_agent_enumerator", result, "no GPU target"), result.timed_out
