"""The Intel provider's cache fingerprint: what its answer depends on, cheaply."""

from __future__ import annotations

import errno
from typing import Tuple

from variant_providers.pci import DISPLAY_CLASS, scan_pci
from variant_providers.system import LibraryPlace, System, find_libraries

__all__ = ["LINUX_LOADER", "WINDOWS_LOADER", "fingerprint", "library_dirs"]

INTEL_VENDOR_ID = 0x8086
LINUX_LOADER = "libze_loader.so.1"

#: Where the Level Zero loader is on Windows (the GPU and NPU drivers install it;
#: the name has no ``64``).  On Linux the loader is found by its soname.
WINDOWS_LOADER = (LibraryPlace("SystemRoot", "System32/ze_loader.dll", "C:\\Windows"),)

#: Shared objects whose install or upgrade changes what Level Zero answers:
#: the loader and Intel's GPU driver behind it (compute-runtime).
_ZE_LIBRARIES = (LINUX_LOADER, "libze_intel_gpu.so.1")


def library_dirs(system: System) -> Tuple[str, ...]:
    arch = system.platform.arch
    return (f"/usr/lib/{arch}-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib")


def fingerprint(system: System) -> str:
    """A cheap digest that changes whenever :func:`detect`'s answer could.

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
            for name in _ZE_LIBRARIES:
                path = f"{directory}/{name}"
                try:
                    target = system.readlink(path)
                except OSError as exc:
                    if exc.errno == errno.ENOENT:
                        continue
                    target = errno.errorcode.get(exc.errno or 0, "EIO")
                parts.append(f"{path}->{target}")
    return ";".join(parts)
