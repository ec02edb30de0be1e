"""The platform a detection describes: a small record of its own.

:class:`PlatformInfo` is part of every :class:`~variant_providers.records.Detection`,
so a warm ``detect()`` rebuilds one; it lives here rather than in
:mod:`variant_providers.system` (children, native calls, the live seam) so
that rebuilding it imports none of that.
"""

from __future__ import annotations

from .record_class import dataclass

__all__ = ["PlatformInfo"]


@dataclass(frozen=True)
class PlatformInfo:
    """What :mod:`platform` says about the machine.

    ``system`` is ``platform.system()`` ("Linux", "Darwin", "Windows"),
    ``machine`` is ``platform.machine()`` ("x86_64", "aarch64", "arm64",
    "AMD64"), ``release`` the kernel/OS release.
    """

    system: str
    machine: str
    release: str = ""

    @property
    def is_linux(self) -> bool:
        return self.system == "Linux"

    @property
    def is_windows(self) -> bool:
        return self.system == "Windows"

    @property
    def is_wsl(self) -> bool:
        """A Linux guest of Windows: its kernel release names Microsoft (WSL1 and WSL2)."""
        return self.is_linux and "microsoft" in self.release.lower()

    @property
    def arch(self) -> str:
        """The machine name normalised across OSes: ``x86_64`` or ``aarch64``."""
        m = self.machine.lower()
        if m in ("x86_64", "amd64", "x64"):
            return "x86_64"
        if m in ("aarch64", "arm64", "armv8l"):
            return "aarch64"
        return m

    def to_dict(self) -> dict[str, str]:
        return {"system": self.system, "machine": self.machine, "release": self.release}
