"""Vendor force variables, checked and reported in one place.

``NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION=banana`` used to give an
error row and exit 0, ``AMD_VARIANT_PROVIDER_FORCE_GFX_ARCH=xyz`` was reported
as ``gfx_arch=xyz``, and neither variable appeared where the report names
overrides.  Each provider now *declares* the force variables it honours
(:class:`~variant_providers.provider.ForceVariable` on its ``Provider``
record); the host calls :func:`read_forced` before anything runs — an invalid
value is an :class:`~variant_providers.overrides.InvalidOverride`, the same
usage error as our own override variables — and :func:`mark_forced` /
:func:`describe_forced` name the variable on the features it set, in the
report's override column and in the JSON ``overrides``.  The provider still
applies the value itself, as the vendor's provider does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Sequence, Tuple

from .overrides import InvalidOverride
from .provider import EVERY_FEATURE
from .records import from_override

if TYPE_CHECKING:
    from .provider import Provider
    from .records import ProviderResult
    from .system import System

__all__ = ["Forced", "describe_forced", "mark_forced", "read_forced"]


@dataclass(frozen=True)
class Forced:
    """One force variable in effect: which features of which namespace it sets."""

    variable: str
    namespace: str
    features: Tuple[str, ...]
    value: str


def read_forced(provider: Provider, system: System) -> Tuple[Forced, ...]:
    """The force variables of *provider* set in *system*'s environment, checked.

    Raises :class:`InvalidOverride` naming the variable and the bad value.
    An empty value means "unset", as the vendors' providers read it.
    """
    found: List[Forced] = []
    for force in provider.force_variables:
        raw = system.getenv(force.variable)
        if raw is None or not raw.strip():
            continue
        if force.needs and not (system.getenv(force.needs) or "").strip():
            continue
        try:
            force.check(raw)
        except ValueError as exc:
            message = str(exc)
            if force.variable not in message:
                message = f"{force.variable}={raw!r}: {message}"
            raise InvalidOverride(message) from None
        found.append(Forced(force.variable, provider.namespace, force.features, raw.strip()))
    return tuple(found)


def mark_forced(result: ProviderResult, forced: Iterable[Forced]) -> ProviderResult:
    """*result* with each forced feature it reports marked with its variable."""
    present = {f.name for f in result.features}
    marks: Dict[str, str] = {}
    for item in forced:
        named = present if EVERY_FEATURE in item.features else set(item.features) & present
        for feature in sorted(named):
            if feature not in result.overridden:
                marks.setdefault(feature, item.variable)
    if not marks:
        return result
    marked = {feature: from_override(variable) for feature, variable in marks.items()}
    return replace(result, provenance={**result.provenance, **marked})


def describe_forced(
    forced: Mapping[str, Sequence[Forced]], results: Iterable[ProviderResult]
) -> List[Dict[str, Any]]:
    """Rows for the report's "Overrides in effect" and the JSON ``overrides``.

    One row per feature a variable set and the result still reports (a
    feature a generic override replaced is that override's row).
    """
    rows: List[Dict[str, Any]] = []
    for result in results:
        for item in forced.get(result.namespace, ()):
            for feature in result.features:
                if result.overridden.get(feature.name) == item.variable:
                    rows.append(
                        {
                            "variable": item.variable,
                            "value": item.value,
                            "namespace": result.namespace,
                            "feature": feature.name,
                            "values": list(feature.values),
                        }
                    )
    return rows
