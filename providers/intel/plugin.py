"""Registers the Intel XPU provider with the host: the ``Provider`` record and its fingerprint."""

from __future__ import annotations

import errno
from typing import Iterator

from variant_providers.hookspecs import hookimpl
from variant_providers.pci import DISPLAY_CLASS, scan_pci
from variant_providers.provider import ForceVariable, Provider, lazy
from variant_providers.system import System, find_libraries

from . import vocab
from .level_zero import WINDOWS_LOADER, ZE_LIBRARIES, library_dirs
from .tables import INTEL_VENDOR_ID

VERSION = "0.1.0"


def fingerprint(system: System) -> str:
    """A cheap digest that changes whenever :func:`~.detect.detect`'s answer could.

    The Intel display devices and their drivers (the same PCI scan detection
    starts with) and, only when there are some, where the Level Zero loader
    and the GPU driver library point (a package upgrade changes the
    soname link's target).  File reads and ``readlink`` only.
    """
    if system.platform.is_windows:
        return f"windows:{find_libraries(system, WINDOWS_LOADER)}"
    if not system.platform.is_linux:
        return system.platform.system
    scan = scan_pci(system, vendor=INTEL_VENDOR_ID, base_class=DISPLAY_CLASS)
    parts = [f"pci:{scan.error}"] if not scan.available else []
    parts += [f"{d.address}={d.device:04x}/{d.driver}" for d in scan.devices]
    if scan.devices or not scan.available:
        for directory in library_dirs(system):
            for name in ZE_LIBRARIES:
                path = f"{directory}/{name}"
                try:
                    target = system.readlink(path)
                except OSError as exc:
                    if exc.errno == errno.ENOENT:
                        continue
                    target = errno.errorcode.get(exc.errno or 0, "EIO")
                parts.append(f"{path}->{target}")
    return ";".join(parts)


@hookimpl
def variant_providers() -> Iterator[Provider]:
    yield Provider(
        namespace="intel",
        detect=lazy("variant_providers.providers.intel.detect:detect"),
        all_configs=vocab.all_configs,
        description="Intel GPU device IPs (Level Zero, PCI device-id fallback)",
        version=VERSION,
        fingerprint=fingerprint,
        force_variables=(
            ForceVariable(vocab.FORCE_VARIABLE, (vocab.FEATURE,), vocab.expand_forced_ip),
        ),
    )
