"""The ``nvidia`` vocabulary: features, value lists, their order, and the force variables.

Every list here reproduces what the wheelnext ``nvidia-variant-provider``
emits, so a wheel built against that provider selects identically:

* ``cuda_version_lower_bound`` (single value, "needs CUDA >= value"): from the
  driver's ``M.m`` down to ``M.0``, then the bare major ``M``, then for every
  older major ``k`` down to 11: ``k.20 … k.0, k``.
* ``cuda_version_upper_bound`` (single value, exclusive): for every major from
  15 down to the driver's, ``k.20 … k.0, k``; for the driver's own major only
  the minors above the local one (``M.20 … M.(m+1)``, no bare ``M``).
* ``sm_arch`` (multi value): for a compute capability ``M.m``:
  ``{M}{m}_real … {M}0_real, {M}0_virtual``; nothing below 5.0.

The provider accepts detected CUDA driver versions from 11.0 to 15.20 only; a
forced version skips that range check.  Values are plain integers joined by
dots, so every one fits the property grammar ``[a-z0-9_.]+``.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from variant_providers.model import FeatureConfig

__all__ = [
    "CUDA_MAJORS",
    "CUDA_MINOR_MAX",
    "FEATURE_LOWER",
    "FEATURE_SM",
    "FEATURE_UPPER",
    "FORCE_CUDA_VAR",
    "FORCE_SM_VAR",
    "SM_MINIMUM",
    "ForceError",
    "all_configs",
    "all_cuda_values",
    "all_sm_values",
    "cuda_in_range",
    "expand_forced_cuda",
    "expand_forced_sm",
    "features_for",
    "lower_bound_values",
    "parse_forced_cuda",
    "parse_forced_sm",
    "sm_values",
    "sm_values_for_devices",
    "upper_bound_values",
]

FEATURE_LOWER = "cuda_version_lower_bound"
FEATURE_UPPER = "cuda_version_upper_bound"
FEATURE_SM = "sm_arch"

FORCE_CUDA_VAR = "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION"
FORCE_SM_VAR = "NV_VARIANT_PROVIDER_FORCE_SM_ARCH"

#: CUDA majors the vocabulary covers, newest first.
CUDA_MAJORS: Tuple[int, ...] = (15, 14, 13, 12, 11)
#: The highest minor of every major in the vocabulary (``k.20``).
CUDA_MINOR_MAX = 20
#: The oldest compute capability that gets an ``sm_arch`` value.
SM_MINIMUM: Tuple[int, int] = (5, 0)
#: Compute-capability majors covered by :func:`all_sm_values`, newest first.
SM_MAJORS: Tuple[int, ...] = (12, 11, 10, 9, 8, 7, 6, 5)

#: The largest number a force variable may contain (see :func:`parse_forced_cuda`).
FORCE_LIMIT = 999

Version2 = Tuple[int, int]


class ForceError(ValueError):
    """A force variable whose value the vocabulary cannot use."""


def _cuda_value(major: int, minor: Optional[int]) -> str:
    return f"{major}" if minor is None else f"{major}.{minor}"


def _major_values(major: int, top_minor: int, bottom_minor: int, bare: bool) -> List[str]:
    values = [_cuda_value(major, m) for m in range(top_minor, bottom_minor - 1, -1)]
    if bare:
        values.append(_cuda_value(major, None))
    return values


def lower_bound_values(cuda: Version2) -> Tuple[str, ...]:
    """``cuda_version_lower_bound`` for a driver supporting CUDA *cuda*, best first.

    >>> lower_bound_values((12, 2))[:5]
    ('12.2', '12.1', '12.0', '12', '11.20')
    """
    major, minor = cuda
    lowest = CUDA_MAJORS[-1]
    values: List[str] = []
    for k in range(major, lowest - 1, -1):
        top = minor if k == major else CUDA_MINOR_MAX
        values.extend(_major_values(k, top, 0, bare=True))
    return tuple(values)


def upper_bound_values(cuda: Version2) -> Tuple[str, ...]:
    """``cuda_version_upper_bound`` (exclusive) for a driver supporting *cuda*, loosest first.

    >>> upper_bound_values((13, 0))[-2:]
    ('13.2', '13.1')
    """
    major, minor = cuda
    highest = CUDA_MAJORS[0]
    values: List[str] = []
    for k in range(highest, major - 1, -1):
        if k == major:
            values.extend(_major_values(k, CUDA_MINOR_MAX, minor + 1, bare=False))
        else:
            values.extend(_major_values(k, CUDA_MINOR_MAX, 0, bare=True))
    return tuple(values)


def sm_values(cc: Version2) -> Tuple[str, ...]:
    """``sm_arch`` values of one compute capability, or ``()`` below 5.0.

    >>> sm_values((8, 6))
    ('86_real', '85_real', '84_real', '83_real', '82_real', '81_real', '80_real', '80_virtual')
    """
    major, minor = cc
    if cc < SM_MINIMUM:
        return ()
    return (*(f"{major}{m}_real" for m in range(minor, -1, -1)), f"{major}0_virtual")


def sm_values_for_devices(ccs: Iterable[Version2]) -> Tuple[str, ...]:
    """``sm_arch`` for several GPUs: every distinct architecture, best device first.

    The values of the highest compute capability come first (exactly what
    the single-GPU rule gives for it), then each lower one's values that are
    not already listed.  Architectures below 5.0 contribute nothing.
    """
    seen: dict[str, None] = {}
    for cc in sorted(set(ccs), reverse=True):
        for value in sm_values(cc):
            seen.setdefault(value, None)
    return tuple(seen)


def cuda_in_range(cuda: Version2) -> bool:
    """True when a *detected* CUDA driver version is inside 11.0 … 15.20."""
    return (CUDA_MAJORS[-1], 0) <= cuda <= (CUDA_MAJORS[0], CUDA_MINOR_MAX)


def features_for(cuda: Version2, ccs: Sequence[Version2]) -> List[FeatureConfig]:
    """The supported features for a CUDA driver version and the GPUs' compute capabilities.

    A list that would be empty is left out (the existing provider does the
    same: a forced CUDA 10.x has no lower bound, a 15.20 driver no upper one).
    """
    features: List[FeatureConfig] = []
    lower = lower_bound_values(cuda)
    if lower:
        features.append(FeatureConfig(FEATURE_LOWER, lower))
    upper = upper_bound_values(cuda)
    if upper:
        features.append(FeatureConfig(FEATURE_UPPER, upper))
    sm = sm_values_for_devices(ccs)
    if sm:
        features.append(FeatureConfig(FEATURE_SM, sm, multi_value=True))
    return features


def all_cuda_values() -> Tuple[str, ...]:
    """Every CUDA bound value: ``15.20 … 15.0, 15, 14.20 … 11.0, 11`` (110 values)."""
    values: List[str] = []
    for k in CUDA_MAJORS:
        values.extend(_major_values(k, CUDA_MINOR_MAX, 0, bare=True))
    return tuple(values)


def all_sm_values() -> Tuple[str, ...]:
    """Every ``sm_arch`` value: ``129_real … 50_real`` then ``129_virtual … 50_virtual``."""
    reals = [f"{major}{minor}_real" for major in SM_MAJORS for minor in range(9, -1, -1)]
    virtuals = [f"{major}{minor}_virtual" for major in SM_MAJORS for minor in range(9, -1, -1)]
    return (*reals, *virtuals)


def all_configs() -> List[FeatureConfig]:
    """Every feature and value the provider can emit (for wheel builders)."""
    cuda = all_cuda_values()
    return [
        FeatureConfig(FEATURE_LOWER, cuda),
        FeatureConfig(FEATURE_UPPER, cuda),
        FeatureConfig(FEATURE_SM, all_sm_values(), multi_value=True),
    ]


def parse_forced_cuda(text: str) -> Version2:
    """``major, minor`` of ``NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION``.

    The value is read as a PEP 440 version, exactly like the existing
    provider does (``12.8``, ``12``, ``12.8.1`` and ``v12.8`` all work;
    ``12`` means ``12.0``).  Raises :class:`ForceError` on anything else,
    and on numbers above :data:`FORCE_LIMIT` (where the existing provider
    would build lists of millions of values).
    """
    from packaging.version import InvalidVersion, Version

    try:
        version = Version(text)
    except (InvalidVersion, TypeError):
        raise ForceError(
            f"{FORCE_CUDA_VAR}={text!r} is not a version (expected e.g. 12.8)"
        ) from None
    result = (version.major, version.minor)
    _check_size(FORCE_CUDA_VAR, text, result)
    return result


def _check_size(var: str, text: str, value: Version2) -> None:
    # The lists grow with the numbers; a typo like 12.80000000 must not
    # build a hundred million values.  No real version comes near this.
    if max(value) > FORCE_LIMIT:
        raise ForceError(f"{var}={text!r}: numbers above {FORCE_LIMIT} are not supported")


def parse_forced_sm(text: str) -> Version2:
    """``major, minor`` of ``NV_VARIANT_PROVIDER_FORCE_SM_ARCH`` (``"9.0"`` → ``(9, 0)``).

    Same reading as the existing provider: split at the first dot, both
    parts integers.  Raises :class:`ForceError` for anything it would have
    crashed on (one part, non-integers, negative numbers).
    """
    parts = text.split(".", 1)
    if len(parts) != 2:
        raise ForceError(
            f"{FORCE_SM_VAR}={text!r} is not a compute capability (expected major.minor, e.g. 9.0)"
        )
    try:
        major, minor = int(parts[0]), int(parts[1])
    except ValueError:
        raise ForceError(
            f"{FORCE_SM_VAR}={text!r} is not a compute capability (expected major.minor, e.g. 9.0)"
        ) from None
    if major < 0 or minor < 0:
        raise ForceError(f"{FORCE_SM_VAR}={text!r}: negative numbers are not a compute capability")
    _check_size(FORCE_SM_VAR, text, (major, minor))
    return (major, minor)


def expand_forced_cuda(text: str) -> List[FeatureConfig]:
    """The CUDA bounds ``NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION`` forces.

    Both bounds of :func:`features_for`, with no range check (a forced
    version is taken as given); a bound whose list is empty is left out.
    """
    return features_for(parse_forced_cuda(text), ())


def expand_forced_sm(text: str) -> List[FeatureConfig]:
    """The ``sm_arch`` ``NV_VARIANT_PROVIDER_FORCE_SM_ARCH`` forces (none below 5.0)."""
    values = sm_values(parse_forced_sm(text))
    return [FeatureConfig(FEATURE_SM, values, multi_value=True)] if values else []
