"""``nvidia-smi``: the last driver probe, run as a command with the detection's deadline.

One CSV line per GPU (:data:`SMI_QUERY`, parsed by :func:`~.parse.parse_smi_csv`),
and the XML report (:data:`SMI_XML`) only for the CUDA version when no
earlier probe gave it.  A non-zero exit is tolerated when GPUs were listed.
"""

from __future__ import annotations

from typing import Tuple

from variant_providers.system import DEFAULT_TIMEOUT, System

from . import parse, tables
from .devices import ABSENT, FAILED, OK, TIMEOUT, Device, Probe

__all__ = ["SMI_QUERY", "SMI_XML", "run_smi"]

SMI_QUERY: Tuple[str, ...] = (
    "nvidia-smi",
    "--query-gpu=" + ",".join(parse.SMI_FIELDS),
    "--format=csv,noheader,nounits",
)


SMI_XML: Tuple[str, ...] = ("nvidia-smi", "--query", "-u", "-x")


def run_smi(system: System, probe: Probe, program: str = "nvidia-smi") -> None:
    result = system.run((program, *SMI_QUERY[1:]), timeout=DEFAULT_TIMEOUT)
    if result.error:
        kind = ABSENT if result.error == "ENOENT" else FAILED
        probe.outcome("nvidia-smi", kind, result.describe())
        return
    if result.timed_out:
        probe.outcome("nvidia-smi", TIMEOUT, result.describe())
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
        probe.outcome("nvidia-smi", FAILED, result.describe())
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
    probe.outcome("nvidia-smi", OK, f"{len(found)} GPU(s)")
