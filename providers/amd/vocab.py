"""The ``amd`` namespace's value rules: the catalogue, target order, force-variable values.

Pure functions of strings and tuples; nothing here looks at the machine.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

from variant_providers import lazy_re
from variant_providers.model import FeatureConfig

from .tables import KNOWN_TARGETS, ROCM_VERSIONS

__all__ = [
    "FORCE_GFX_ARCH",
    "FORCE_ROCM_VERSION",
    "ForceError",
    "catalogue",
    "expand_forced_gfx",
    "expand_forced_rocm",
    "order_targets",
    "parse_forced_gfx",
    "parse_forced_rocm",
]

#: The existing amd-variant-provider's own force variables.
FORCE_GFX_ARCH = "AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH"
FORCE_ROCM_VERSION = "AMD_VARIANT_PROVIDER_FORCE_ROCM_VERSION"

_FORCE_SPLIT_RE = lazy_re.compile(r"[,\s;]+")
#: An LLVM AMDGPU processor name as ``gfx_arch`` spells it: ``gfx`` + major
#: (1–2 digits) + minor and stepping (hex digits): gfx803, gfx90a, gfx1151.
_GFX_TARGET_RE = lazy_re.compile(r"gfx[0-9]{1,2}[0-9a-f]{2}")
_VERSION_PART_RE = lazy_re.compile(r"[0-9]{1,4}")


class ForceError(ValueError):
    """A force variable whose value cannot be used."""


def catalogue() -> List[FeatureConfig]:
    """Every feature and value this provider knows it can emit, in ``detect``'s order.

    Detection may report a target newer than :data:`~.tables.KNOWN_TARGETS`;
    this list is the known vocabulary.
    """
    return [
        FeatureConfig("gfx_arch", KNOWN_TARGETS, multi_value=True),
        FeatureConfig("rocm_version", ROCM_VERSIONS),
    ]


def order_targets(devices: Sequence[Tuple[str, bool]]) -> List[str]:
    """``gfx_arch`` values from ``(gfx, integrated)`` pairs in enumeration order.

    Discrete GPUs first, then integrated ones (APUs); within each group the
    order in which the system enumerates the GPUs (HIP device order); each
    target once.
    """
    out: List[str] = []
    for want_integrated in (False, True):
        for gfx, integrated in devices:
            if integrated == want_integrated and gfx not in out:
                out.append(gfx)
    return out


def parse_forced_gfx(raw: str) -> List[str]:
    """``AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH`` → targets, in the order given.

    Same rule as the existing provider: split on commas, semicolons and
    whitespace, drop empty pieces, keep the order.  Repeated targets are kept
    once (a feature cannot list a value twice); a piece that is not a valid
    GPU target (``gfx`` and its version, the grammar of ``gfx_arch``) is an
    error.
    """
    out: List[str] = []
    for token in _FORCE_SPLIT_RE.split(raw.strip()):
        if not token:
            continue
        if not _GFX_TARGET_RE.fullmatch(token):
            raise ForceError(
                f"{FORCE_GFX_ARCH}: {token!r} is not a GPU target "
                "(expected gfx followed by its version, e.g. gfx90a, gfx942, gfx1100)"
            )
        if token not in out:
            out.append(token)
    return out


def parse_forced_rocm(raw: str) -> str:
    """``AMD_VARIANT_PROVIDER_FORCE_ROCM_VERSION`` → the ``rocm_version`` value.

    The existing provider splits on ``.``, requires exactly three parts and
    emits ``major.minor`` as written (``6.4.1`` → ``6.4``).  This does the
    same, also accepts ``major.minor`` (which the existing provider rejects
    with an assertion), and requires major and minor to be decimal numbers.
    """
    parts = raw.strip().split(".")
    if len(parts) not in (2, 3) or not all(_VERSION_PART_RE.fullmatch(p) for p in parts[:2]):
        raise ForceError(
            f"{FORCE_ROCM_VERSION}: {raw!r} is not a ROCm version (expected X.Y.Z or X.Y)"
        )
    return f"{parts[0]}.{parts[1]}"


def expand_forced_gfx(raw: str) -> List[FeatureConfig]:
    """The ``gfx_arch`` feature :data:`FORCE_GFX_ARCH` forces (none for no target)."""
    targets = parse_forced_gfx(raw)
    return [FeatureConfig("gfx_arch", targets, multi_value=True)] if targets else []


def expand_forced_rocm(raw: str) -> List[FeatureConfig]:
    """The ``rocm_version`` feature :data:`FORCE_ROCM_VERSION` forces."""
    return [FeatureConfig("rocm_version", [parse_forced_rocm(raw)])]
