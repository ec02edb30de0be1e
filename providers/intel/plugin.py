"""Registers the Intel XPU provider with the host."""

from __future__ import annotations

from typing import Iterator, Sequence

from variant_providers.hookspecs import hookimpl
from variant_providers.model import FeatureConfig
from variant_providers.provider import ForceVariable, Provider, lazy

VERSION = "0.1.0"


def all_configs() -> Sequence[FeatureConfig]:
    """Every feature and value this provider can emit."""
    from .detect import FEATURE
    from .tables import KNOWN_IPS

    return [FeatureConfig(FEATURE, KNOWN_IPS, multi_value=True)]


def expand_forced_ip(value: str) -> list[FeatureConfig]:
    """``INTEL_VARIANT_PROVIDER_FORCE_DEVICE_IP`` must name a device IP we can emit."""
    from .tables import KNOWN_IPS

    ip = value.strip()
    if ip not in KNOWN_IPS:
        raise ValueError(
            f"INTEL_VARIANT_PROVIDER_FORCE_DEVICE_IP={value!r} is not a known device IP "
            f"(known: {', '.join(KNOWN_IPS)})"
        )
    return [FeatureConfig("device_ip", [ip], multi_value=True)]


@hookimpl
def variant_providers() -> Iterator[Provider]:
    yield Provider(
        namespace="intel",
        detect=lazy("variant_providers.providers.intel.detect:detect"),
        all_configs=all_configs,
        description="Intel GPU device IPs (Level Zero, PCI device-id fallback)",
        version=VERSION,
        fingerprint=lazy("variant_providers.providers.intel.detect:fingerprint"),
        force_variables=(
            ForceVariable(
                "INTEL_VARIANT_PROVIDER_FORCE_DEVICE_IP", ("device_ip",), expand_forced_ip
            ),
        ),
    )
