"""Registers the AMD ROCm provider with the host."""

from __future__ import annotations

from typing import Iterator, Sequence

from variant_providers.fingerprint import fingerprint_of
from variant_providers.hookspecs import hookimpl
from variant_providers.model import FeatureConfig
from variant_providers.provider import ForceVariable, Provider, lazy
from variant_providers.system import System

from .kfd import TOPOLOGY_NODES

VERSION = "0.1.0"


def all_configs() -> Sequence[FeatureConfig]:
    """Every feature and value this provider knows it can emit (:func:`.vocab.catalogue`).

    Imported when asked: registering the provider loads no tables.
    """
    from .vocab import catalogue

    return catalogue()


def fingerprint(system: System) -> str:
    """The KFD node list, driver and ROCm version files: what the answer depends on.

    On Windows: ``HIP_PATH`` and the HIP runtime DLLs that detection would try.
    """
    if system.platform.is_windows:
        from .hipsdk import hip_libraries, windows_sdks

        libraries = hip_libraries(system, windows_sdks(system))
        return f"windows:{system.getenv('HIP_PATH')}:{libraries}"
    rocm = system.getenv("ROCM_PATH") or system.getenv("ROCM_HOME") or "/opt/rocm"
    return fingerprint_of(
        system,
        files=(
            "/sys/module/amdgpu/version",
            "/sys/class/kfd/kfd/topology/generation_id",
            f"{rocm}/.info/version",
        ),
        listings=(TOPOLOGY_NODES, "/opt"),
        exists=("/dev/kfd", "/dev/dxg"),
    )


@hookimpl
def variant_providers() -> Iterator[Provider]:
    yield Provider(
        namespace="amd",
        detect=lazy("variant_providers.providers.amd.detect:detect"),
        all_configs=all_configs,
        fingerprint=fingerprint,
        description="AMD ROCm GPU targets (gfx) and installed ROCm version",
        version=VERSION,
        force_variables=(
            ForceVariable(
                "AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH",
                ("gfx_arch",),
                lazy("variant_providers.providers.amd.vocab:expand_forced_gfx"),
            ),
            ForceVariable(
                "AMD_VARIANT_PROVIDER_FORCE_ROCM_VERSION",
                ("rocm_version",),
                lazy("variant_providers.providers.amd.vocab:expand_forced_rocm"),
            ),
        ),
    )
