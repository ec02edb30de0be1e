"""The ``intel`` vocabulary: its one feature, its catalogue and its force variable.

One multi-value feature ``device_ip`` (the wheelnext intel-variant-provider's),
whose values are device IPs ``architecture.release.revision`` limited to
:data:`~.tables.KNOWN_IPS`.  ``INTEL_VARIANT_PROVIDER_FORCE_DEVICE_IP`` forces
exactly one of them (the host applies it; see :mod:`variant_providers.force`).
"""

from __future__ import annotations

from typing import List

from variant_providers.model import FeatureConfig

from .tables import KNOWN_IPS

__all__ = ["FEATURE", "FORCE_VARIABLE", "all_configs", "expand_forced_ip"]

FEATURE = "device_ip"
FORCE_VARIABLE = "INTEL_VARIANT_PROVIDER_FORCE_DEVICE_IP"


def all_configs() -> List[FeatureConfig]:
    """Every feature and value this provider can emit."""
    return [FeatureConfig(FEATURE, KNOWN_IPS, multi_value=True)]


def expand_forced_ip(value: str) -> List[FeatureConfig]:
    """:data:`FORCE_VARIABLE` must name a device IP we can emit; it is the whole answer."""
    ip = value.strip()
    if ip not in KNOWN_IPS:
        raise ValueError(
            f"{FORCE_VARIABLE}={value!r} is not a known device IP (known: {', '.join(KNOWN_IPS)})"
        )
    return [FeatureConfig(FEATURE, [ip], multi_value=True)]
