"""Vendor force variables: read, checked and applied in one place.

A provider *declares* the vendor variables it honours
(:class:`~variant_providers.provider.ForceVariable` on its ``Provider``
record: variable → features, and a pure ``expand`` from the raw value to
the forced features).  Everything else happens here, in the same step as our
own ``VARIANT_PROVIDERS_OVERRIDE`` (:mod:`variant_providers.overrides`):

* :func:`read_forced` runs before any provider: an invalid value is an
  :class:`~variant_providers.overrides.InvalidOverride` naming the variable,
  the same usage error as a bad override item;
* :func:`covers_every_feature` is the one rule for skipping ``detect``:
  when the set variables force every feature the provider has, nothing is
  run (and nothing is cached);
* :func:`apply_forced` sets the forced features on the provider's answer
  *after* the cache, so a forced value never sticks in it, and marks their
  provenance with the variable;
* :func:`describe_forced` gives the rows of the report's override column and
  of the JSON ``overrides``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Sequence, Set, Tuple

from .model import FeatureConfig
from .overrides import InvalidOverride
from .provider import EVERY_FEATURE
from .record_class import dataclass, replace
from .records import ProviderResult, from_override

if TYPE_CHECKING:
    from .provider import Provider
    from .system import System

__all__ = [
    "Forced",
    "apply_forced",
    "covers_every_feature",
    "describe_forced",
    "forced_answer",
    "read_forced",
]


@dataclass(frozen=True)
class Forced:
    """One force variable in effect: the features it declares and what its value expands to."""

    variable: str
    namespace: str
    features: Tuple[str, ...]
    value: str
    forced: Tuple[FeatureConfig, ...] = ()
    alone: bool = True

    @property
    def replaces_everything(self) -> bool:
        return EVERY_FEATURE in self.features


def read_forced(provider: Provider, system: System) -> Tuple[Forced, ...]:
    """The force variables of *provider* set in *system*'s environment, expanded.

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
            forced = tuple(force.expand(raw))
        except ValueError as exc:
            message = str(exc)
            if force.variable not in message:
                message = f"{force.variable}={raw!r}: {message}"
            raise InvalidOverride(message) from None
        found.append(
            Forced(
                force.variable,
                provider.namespace,
                force.features,
                raw.strip(),
                forced,
                force.alone,
            )
        )
    return tuple(found)


def covers_every_feature(provider: Provider, forced: Sequence[Forced]) -> bool:
    """Whether *forced* decides every feature of *provider*, so ``detect`` need not run.

    The features a provider has are its catalogue (``all_configs``) or,
    without one, the features its force variables declare.
    """
    if not forced:
        return False
    if any(item.replaces_everything for item in forced):
        return True
    declared: Set[str] = {name for force in provider.force_variables for name in force.features}
    try:
        catalogue = {f.name for f in provider.all_configs()} if provider.all_configs else declared
    except Exception:  # a broken catalogue: detect, and let its row say what is wrong
        return False
    named = {name for item in forced for name in item.features}
    return bool(catalogue) and catalogue <= named


def forced_answer(provider: Provider, plugin: str) -> ProviderResult:
    """The blank row :func:`apply_forced` fills when ``detect`` was skipped."""
    return ProviderResult(
        namespace=provider.namespace,
        status="not-detected",
        description=provider.description,
        plugin=plugin,
        version=provider.version,
        reason="every feature set by a force variable; not detected",
    )


def apply_forced(result: ProviderResult, forced: Iterable[Forced]) -> ProviderResult:
    """*result* with the forced features set, each marked with its variable.

    In declaration order, each variable replaces the features it declares
    (in place; a new one is appended; one its value does not expand to is
    removed).  A variable declaring :data:`EVERY_FEATURE` drops the detected
    features first.  A variable with ``alone=False`` only acts on an answer
    that has features by then.
    """
    items = list(forced)
    if not items or result.status == "disabled":
        return result
    usable = result.status in ("ok", "override")
    features: List[FeatureConfig] = list(result.features) if usable else []
    provenance: Dict[str, str] = dict(result.provenance) if usable else {}
    if any(item.replaces_everything for item in items):
        features, provenance = [], {}
    applied = False
    for item in items:
        if not item.alone and not features:
            continue
        applied = True
        produced = {f.name: f for f in item.forced}
        for name in [n for n in item.features if n != EVERY_FEATURE and n not in produced]:
            features = [f for f in features if f.name != name]
            provenance[name] = from_override(item.variable)
        for feature in item.forced:
            index = next((i for i, f in enumerate(features) if f.name == feature.name), None)
            if index is None:
                features.append(feature)
            else:
                features[index] = feature
            provenance[feature.name] = from_override(item.variable)
    if not applied:
        return result
    if not features:
        return replace(
            result,
            status="not-detected",
            features=(),
            provenance=provenance,
            reason=result.reason or "every feature was forced absent",
        )
    return replace(
        result,
        status="override",
        features=tuple(features),
        provenance=provenance,
        error=None,
    )


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
