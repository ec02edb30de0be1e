"""Parsers for what NVIDIA drivers, files and tools print.

Every function here takes text (or a number) from the machine and returns a
value or ``None``; none of them raises on garbage, which the tests check with
generated input.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from variant_providers import lazy_re

__all__ = [
    "SmiDevice",
    "cuda_from_int",
    "cuda_to_str",
    "parse_cc",
    "parse_compatible",
    "parse_driver_version",
    "parse_information",
    "parse_proc_version",
    "parse_smi_csv",
    "parse_smi_xml_cuda",
    "parse_tegra_release",
]

Version2 = Tuple[int, int]

_DRIVER_RE = lazy_re.compile(r"\d{2,4}\.\d{1,3}(?:\.\d{1,3})?", re.ASCII)
_CC_RE = lazy_re.compile(r"\s*(\d{1,2})\.(\d{1,2})\s*", re.ASCII)
_CUDA_STR_RE = lazy_re.compile(r"\s*(\d{1,2})\.(\d{1,2})(?:\.\d+)?\s*", re.ASCII)


def cuda_from_int(value: object) -> Optional[Version2]:
    """Decode the CUDA driver API integer: ``12080`` → ``(12, 8)``.

    The encoding is ``major * 1000 + minor * 10``.  Anything outside
    1000–99990 (CUDA 1.0–99.99), and anything that is not an integer, is
    rejected: some drivers report success without writing the value.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if value < 1000 or value > 99990:
        return None
    return (value // 1000, (value % 1000) // 10)


def cuda_to_str(cuda: Version2) -> str:
    """``(12, 8)`` → ``"12.8"``."""
    return f"{cuda[0]}.{cuda[1]}"


def parse_cuda_str(text: object) -> Optional[Version2]:
    """``"12.8"`` (as ``nvidia-smi`` prints it) → ``(12, 8)``; ``None`` for anything else."""
    if not isinstance(text, str):
        return None
    match = _CUDA_STR_RE.fullmatch(text)
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2)))


def parse_driver_version(text: object) -> Optional[str]:
    """The kernel driver version in a line such as ``550.144.03\\n`` (or ``572.60`` on Windows)."""
    if not isinstance(text, str):
        return None
    match = _DRIVER_RE.fullmatch(text.strip())
    return match.group(0) if match else None


def driver_branch(version: Optional[str]) -> Optional[int]:
    """``"570.148.08"`` → ``570``."""
    if not version:
        return None
    return _int(version.split(".", 1)[0])


def _int(text: Optional[str]) -> Optional[int]:
    """A plain ASCII decimal integer, or ``None``."""
    if text is None or not re.fullmatch(r"[0-9]{1,12}", text):
        return None
    return int(text)


def parse_proc_version(text: str) -> Tuple[Optional[str], bool]:
    """``/proc/driver/nvidia/version`` → (driver version, open kernel module?).

    The first line is ``NVRM version: NVIDIA UNIX [Open ]Kernel Module for
    x86_64  550.144.03  Release Build …`` or the older ``NVIDIA UNIX x86_64
    Kernel Module  375.74  …``: the version is the first version-shaped token
    after the word ``Module``.
    """
    if not isinstance(text, str):
        return None, False
    for line in text.splitlines():
        if not line.startswith("NVRM version:"):
            continue
        _, _, rest = line.partition("Module")
        match = _DRIVER_RE.search(rest)
        return (match.group(0) if match else None), "Open Kernel Module" in line
    return None, False


def parse_information(text: str) -> Dict[str, str]:
    """``/proc/driver/nvidia/gpus/<bdf>/information`` → ``{"Model": …, "GPU UUID": …}``."""
    fields: Dict[str, str] = {}
    if not isinstance(text, str):
        return fields
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    return fields


def parse_cc(text: object) -> Optional[Version2]:
    """A compute capability string: ``"8.6"`` → ``(8, 6)``; ``"[N/A]"`` → ``None``."""
    if not isinstance(text, str):
        return None
    match = _CC_RE.fullmatch(text)
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2)))


#: The ``nvidia-smi --query-gpu`` fields :func:`parse_smi_csv` expects, in order.
SMI_FIELDS = (
    "index",
    "name",
    "uuid",
    "pci.bus_id",
    "driver_version",
    "memory.total",
    "compute_cap",
)

SmiDevice = Dict[str, Any]


def parse_smi_csv(text: str) -> Tuple[List[SmiDevice], List[str]]:
    """One GPU per line of ``nvidia-smi --query-gpu=<SMI_FIELDS> --format=csv,noheader,nounits``.

    Returns the devices and a note for every line that could not be read.
    ``[N/A]`` fields become ``None``; a line with the wrong field count is
    skipped with a note (an error message printed among the lines, say).
    """
    devices: List[SmiDevice] = []
    notes: List[str] = []
    if not isinstance(text, str):
        return devices, ["nvidia-smi output is not text"]
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != len(SMI_FIELDS):
            notes.append(f"nvidia-smi: unreadable line {line[:80]!r}")
            continue
        row = {k: (None if v in ("[N/A]", "N/A", "") else v) for k, v in zip(SMI_FIELDS, parts)}
        index = row["index"]
        memory = row["memory.total"]
        devices.append(
            {
                "index": _int(index),
                "name": row["name"],
                "uuid": row["uuid"],
                "pci_bus_id": row["pci.bus_id"],
                "driver_version": parse_driver_version(row["driver_version"]),
                "memory_total_mib": _int(memory),
                "cc": parse_cc(row["compute_cap"]),
            }
        )
    return devices, notes


_XML_CUDA_RE = lazy_re.compile(r"<cuda_version>\s*([^<]*?)\s*</cuda_version>")
_XML_DRIVER_RE = lazy_re.compile(r"<driver_version>\s*([^<]*?)\s*</driver_version>")


def parse_smi_xml_cuda(text: str) -> Tuple[Optional[Version2], Optional[str]]:
    """``(cuda version, driver version)`` from ``nvidia-smi --query -u -x`` XML."""
    if not isinstance(text, str):
        return None, None
    cuda_match = _XML_CUDA_RE.search(text)
    driver_match = _XML_DRIVER_RE.search(text)
    cuda = parse_cuda_str(cuda_match.group(1)) if cuda_match else None
    driver = parse_driver_version(driver_match.group(1)) if driver_match else None
    return cuda, driver


_TEGRA_RE = lazy_re.compile(
    r"#\s*R(\d{1,4})\s*\(release\),\s*REVISION:\s*(\d{1,4})\.(\d{1,4})", re.ASCII
)


def parse_tegra_release(text: str) -> Optional[Tuple[int, int, int]]:
    """``/etc/nv_tegra_release`` → L4T ``(major, minor, patch)``.

    ``# R36 (release), REVISION: 4.3, …`` → ``(36, 4, 3)``.
    """
    if not isinstance(text, str):
        return None
    match = _TEGRA_RE.search(text)
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)))


def parse_compatible(data: bytes) -> List[str]:
    """``/proc/device-tree/compatible``: NUL-separated strings."""
    if not isinstance(data, (bytes, bytearray)):
        return []
    return [s for s in bytes(data).decode("ascii", "replace").split("\0") if s]
