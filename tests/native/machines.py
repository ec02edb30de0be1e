"""A recorded machine rebuilt as a live one: a file tree plus stand-in libraries.

:func:`live_machine` writes a recording's files, listings and links into a
directory, compiles the stand-ins that give its recorded native answers,
and returns the :class:`~variant_providers.system.LiveSystem` that sees
both: ``root`` for files, ``LD_LIBRARY_PATH`` for libraries, ``platform``
for the recorded OS and architecture (a Jetson runs here as ``aarch64``).
Commands are not rebuilt: ``PATH`` is an empty directory, so every command
is "not installed", as the replay of a command it never recorded.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from variant_providers.host import Host, ProviderResult
from variant_providers.system import LiveSystem, PlatformInfo, System

from .standins import Cuda, LevelZero, Nvml, StandIns


def _write(root: Path, path: str, content: Any) -> Path:
    dest = root / path.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        dest.write_text(content, encoding="utf-8")
    return dest


def materialise(machine: Path, root: Path) -> Dict[str, Any]:
    """Write *machine*'s files into *root*; return its ``machine.json`` document."""
    doc: Dict[str, Any] = json.loads((machine / "machine.json").read_text(encoding="utf-8"))
    if doc.get("errors"):
        raise ValueError(f"{machine.name}: recorded errors cannot be rebuilt as files")
    if (machine / "root").is_dir():
        shutil.copytree(machine / "root", root, symlinks=True, dirs_exist_ok=True)
    for path, text in (doc.get("files") or {}).items():
        _write(root, path, text)
    for path, entries in (doc.get("dirs") or {}).items():
        directory = root / path.lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            if not os.path.lexists(directory / entry):
                (directory / entry).touch()
    for path, target in (doc.get("links") or {}).items():
        link = root / path.lstrip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(link):
            link.unlink()
        link.symlink_to(target)
    return doc


def install_recorded(doc: Mapping[str, Any], standins: StandIns) -> None:
    """Compile the stand-ins that give *doc*'s recorded native answers."""
    for name, entry in (doc.get("native") or {}).items():
        answer = entry.get("answer") if isinstance(entry, dict) else None
        if not answer:
            continue
        if name == "nvml" and answer.get("init") != [12, None]:
            standins.install(Nvml.from_answer(answer))
        elif name == "libcuda" and answer.get("load", {}).get("ok"):
            standins.install(Cuda.from_answer(answer))
        elif name == "level_zero" and answer.get("loader", {}).get("ok"):
            standins.install(LevelZero.from_answer(answer))


def live_machine(
    machine: Path,
    tmp: Path,
    standins: StandIns,
    *,
    timeout: Optional[float] = None,
    install: bool = True,
) -> LiveSystem:
    """The live seam on *machine* rebuilt under *tmp* (see the module docs)."""
    root = tmp / "root"
    doc = materialise(machine, root)
    if install:
        install_recorded(doc, standins)
    plat = doc["platform"]
    return LiveSystem(
        root=str(root),
        environ=standins.environ(**{k: str(v) for k, v in (doc.get("env") or {}).items()}),
        timeout=timeout,
        platform=PlatformInfo(plat["system"], plat["machine"], plat.get("release", "")),
    )


def nvidia_tree(
    root: Path,
    gpus: Sequence[Tuple[str, str]] = (("0000:18:00.0", "NVIDIA H100 80GB HBM3"),),
    driver: str = "570.124.06",
) -> Path:
    """The files a Linux machine with a loaded NVIDIA driver has: module version,
    ``/proc/driver/nvidia`` with one ``information`` file per ``(bus, model)``, device nodes."""
    _write(root, "/sys/module/nvidia/version", driver + "\n")
    _write(
        root,
        "/proc/driver/nvidia/version",
        f"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  {driver}  Release Build\n",
    )
    for bus, model in gpus:
        _write(root, f"/proc/driver/nvidia/gpus/{bus}/information", f"Model: \t\t {model}\n")
    for n in range(len(gpus)):
        _write(root, f"/dev/nvidia{n}", "")
    _write(root, "/dev/nvidiactl", "")
    return root


def pci_tree(root: Path, devices: Sequence[Tuple[str, int, str]]) -> Path:
    """Intel display functions ``(address, device id, driver)`` in PCI sysfs, and /dev/dri."""
    for address, device_id, driver in devices:
        base = f"/sys/bus/pci/devices/{address}"
        _write(root, f"{base}/vendor", "0x8086\n")
        _write(root, f"{base}/device", f"0x{device_id:04x}\n")
        _write(root, f"{base}/class", "0x030000\n")
        (root / base.lstrip("/") / "driver").symlink_to(f"../../../bus/pci/drivers/{driver}")
    (root / "dev" / "dri").mkdir(parents=True, exist_ok=True)
    return root


def live_tree(
    root: Path,
    standins: StandIns,
    machine: str = "x86_64",
    env: Optional[Mapping[str, str]] = None,
) -> LiveSystem:
    """The live seam on the tree *root* of a Linux *machine*, *standins* its libraries."""
    return LiveSystem(
        root=str(root),
        environ=standins.environ(**(env or {})),
        platform=PlatformInfo("Linux", machine, "6.8.0"),
    )


def detect_one(system: System, namespace: str, timeout: float = 20) -> ProviderResult:
    """One provider's result through the host, as ``report`` runs it (no cache)."""
    host = Host(entry_points=False)
    return host.detect(system, only=[namespace], cache=False, timeout=timeout)[namespace]


def values(result: ProviderResult, feature: str) -> List[str]:
    return next((list(f.values) for f in result.features if f.name == feature), [])
