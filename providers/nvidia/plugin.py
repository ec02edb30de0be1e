"""Registers the NVIDIA provider with the host."""

from __future__ import annotations

from typing import Iterator, Sequence

from variant_providers.fingerprint import file_fingerprint
from variant_providers.hookspecs import hookimpl
from variant_providers.model import FeatureConfig
from variant_providers.provider import ForceVariable, Provider, lazy
from variant_providers.system import System

from . import vocab

VERSION = "0.1.0"

#: What the cached answer depends on: the loaded driver, its GPUs and device
#: nodes, the WSL and Jetson markers (the files the cheap first step reads).
_linux_fingerprint = file_fingerprint(
    files=("/sys/module/nvidia/version", "/proc/driver/nvidia/version", "/etc/nv_tegra_release"),
    listings=("/proc/driver/nvidia/gpus",),
    exists=("/dev/nvidia0", "/dev/nvidiactl", "/dev/dxg", "/usr/lib/wsl/lib"),
)


def fingerprint(system: System) -> str:
    """Linux: the files above; Windows: which driver DLLs and tools are where."""
    if system.platform.is_windows:
        from .windows import find_driver

        return f"windows:{sorted(find_driver(system).to_info().items())}"
    return _linux_fingerprint(system)


def all_configs() -> Sequence[FeatureConfig]:
    """Every feature and value this provider can emit (the existing provider's catalogue)."""
    from . import vocab

    return vocab.all_configs()


@hookimpl
def variant_providers() -> Iterator[Provider]:
    yield Provider(
        namespace="nvidia",
        detect=lazy("variant_providers.providers.nvidia.detect:detect"),
        all_configs=all_configs,
        fingerprint=fingerprint,
        description="NVIDIA CUDA driver version bounds and GPU architectures (sm_arch)",
        version=VERSION,
        force_variables=(
            ForceVariable(
                vocab.FORCE_CUDA_VAR,
                (vocab.FEATURE_LOWER, vocab.FEATURE_UPPER),
                vocab.expand_forced_cuda,
            ),
            # The architectures of a driver found (or forced): alone it reports nothing.
            ForceVariable(
                vocab.FORCE_SM_VAR, (vocab.FEATURE_SM,), vocab.expand_forced_sm, alone=False
            ),
        ),
    )
