"""User overrides: one scheme for every namespace.

Installers and users need to say "pretend this machine supports X" (building
on a CPU-only machine for a GPU target), "pretend it lacks Y", or "leave
this provider alone".  Every namespace gets the same three knobs, read from
the environment of the machine being detected:

``VARIANT_PROVIDERS_OVERRIDE``
    ``;``- or newline-separated items ``namespace :: feature :: v1, v2``.
    The values replace what the provider detected for that feature, in the
    order given (most preferred first).  An empty value list
    (``nvidia :: sm_arch ::``) forces the feature absent.  A feature the
    provider did not report is added after the detected ones.

``VARIANT_PROVIDERS_OVERRIDE_FILE``
    A file with the same items, one per line; ``#`` starts a comment.  Items
    of the variable win over items of the file for the same feature.

``VARIANT_PROVIDERS_DISABLE``
    Comma-separated namespaces whose providers are not run at all; they
    report status ``disabled`` and support nothing.

The vendor force variables (``NV_VARIANT_PROVIDER_FORCE_SM_ARCH`` …) keep
working: each provider declares its own on its ``Provider`` record, and the
host checks them (an invalid value is an :class:`InvalidOverride` too),
applies them in the same step as these and reports them beside these (see
:mod:`variant_providers.force`); no provider reads them itself.  A name in
``VARIANT_PROVIDERS_DISABLE`` that no provider offers is a usage error, not
silently ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from . import lazy_re
from .model import FeatureConfig, is_valid_name, is_valid_value
from .record_class import dataclass, replace
from .records import ProviderResult, Status, from_override

if TYPE_CHECKING:
    from .provider import Provider
    from .system import System

__all__ = [
    "DISABLE_VAR",
    "OVERRIDE_FILE_VAR",
    "OVERRIDE_VAR",
    "FeatureOverride",
    "InvalidOverride",
    "Overrides",
    "parse_overrides",
    "read_overrides",
]

OVERRIDE_VAR = "VARIANT_PROVIDERS_OVERRIDE"
OVERRIDE_FILE_VAR = "VARIANT_PROVIDERS_OVERRIDE_FILE"
DISABLE_VAR = "VARIANT_PROVIDERS_DISABLE"

_ITEM_RE = lazy_re.compile(r"\s*([^:\s]*)\s*::\s*([^:\s]*)\s*::(.*)")


class InvalidOverride(ValueError):
    """Override text that does not parse; the message names where it came from."""


@dataclass(frozen=True)
class FeatureOverride:
    """Values forced for one feature; an empty tuple means "absent"."""

    namespace: str
    feature: str
    values: Tuple[str, ...]
    origin: str  # the variable (or file) that set it

    @property
    def absent(self) -> bool:
        return not self.values


@dataclass(frozen=True)
class Overrides:
    """Everything the user forced for one detection run."""

    features: Tuple[FeatureOverride, ...] = ()
    disabled: Tuple[str, ...] = ()
    disabled_origin: str = DISABLE_VAR

    def for_namespace(self, namespace: str) -> List[FeatureOverride]:
        return [o for o in self.features if o.namespace == namespace]

    def fingerprint(self) -> str:
        """A stable text that changes whenever the overrides do."""
        items = [f"{o.namespace}::{o.feature}::{','.join(o.values)}" for o in self.features]
        return ";".join(items) + "|" + ",".join(self.disabled)

    def __bool__(self) -> bool:
        return bool(self.features or self.disabled)

    def disable(self, result: ProviderResult) -> ProviderResult:
        """*result* as the row of a disabled provider, when its namespace is disabled."""
        if result.namespace not in self.disabled:
            return result
        return replace(
            result,
            status="disabled",
            features=(),
            error=None,
            provenance={},
            reason=f"disabled by {self.disabled_origin}",
        )

    def apply(self, result: ProviderResult, provider: Optional[Provider]) -> ProviderResult:
        """Replace, add or remove the overridden features of one provider's result.

        *provider* (when known) says whether an added feature is multi-valued.
        Each overridden feature's provenance names the variable that set it.
        """
        items = self.for_namespace(result.namespace)
        if not items or result.status == "disabled":
            return result
        known_multi: Dict[str, bool] = {}
        if provider is not None and provider.all_configs is not None:
            try:
                known_multi = {f.name: bool(f.multi_value) for f in provider.all_configs()}
            except Exception:
                known_multi = {}
        usable = result.status in ("ok", "override")
        features: List[FeatureConfig] = list(result.features) if usable else []
        provenance: Dict[str, str] = dict(result.provenance) if usable else {}
        for item in items:
            index = next((i for i, f in enumerate(features) if f.name == item.feature), None)
            provenance[item.feature] = from_override(item.origin)
            if item.absent:
                if index is not None:
                    del features[index]
                continue
            multi = (
                features[index].multi_value
                if index is not None
                else known_multi.get(item.feature, False)
            )
            feature = FeatureConfig(item.feature, item.values, multi)
            if index is None:
                features.append(feature)
            else:
                features[index] = feature
        status: Status = "override" if features else "not-detected"
        reason = result.reason if usable or not features else ""
        if not features:
            reason = "every detected feature was overridden as absent"
        return replace(
            result,
            status=status,
            features=tuple(features),
            provenance=provenance,
            reason=reason,
            error=None if features else result.error,
        )

    def unprovided(
        self, results: Sequence[ProviderResult], wanted: Optional[Sequence[str]]
    ) -> List[ProviderResult]:
        """Rows for overridden namespaces that no provider reported (a remote target's GPU)."""
        covered = {r.namespace for r in results}
        rows = []
        for ns in dict.fromkeys(o.namespace for o in self.features):
            if ns not in covered and (wanted is None or ns in wanted):
                blank = ProviderResult(ns, "not-detected", plugin="override")
                rows.append(self.apply(blank, None))
        return rows

    def describe(self) -> List[Dict[str, Any]]:
        """Rows for the report's "Overrides in effect" and the JSON ``overrides``."""
        rows: List[Dict[str, Any]] = [
            {
                "variable": o.origin,
                "namespace": o.namespace,
                "feature": o.feature,
                "values": list(o.values),
            }
            for o in self.features
        ]
        rows += [
            {"variable": self.disabled_origin, "namespace": ns, "disabled": True}
            for ns in self.disabled
        ]
        return rows


def parse_overrides(text: str, origin: str) -> List[FeatureOverride]:
    """Parse override items; *origin* names the source in error messages."""
    result: List[FeatureOverride] = []
    seen: Dict[Tuple[str, str], int] = {}
    for lineno, raw_line in enumerate(text.splitlines(), 1):
        line = raw_line.split("#", 1)[0]
        for item in line.split(";"):
            if not item.strip():
                continue
            where = f"{origin}" + (f" line {lineno}" if "\n" in text.strip() else "")
            match = _ITEM_RE.fullmatch(item)
            if match is None:
                raise InvalidOverride(
                    f"{where}: cannot parse {item.strip()!r}: expected "
                    "'namespace :: feature :: value[, value ...]'"
                )
            namespace, feature, values_text = match.groups()
            for part, text_part in (("namespace", namespace), ("feature", feature)):
                if not is_valid_name(text_part):
                    raise InvalidOverride(
                        f"{where}: invalid {part} {text_part!r} in {item.strip()!r} "
                        "(allowed: [a-z0-9_]+)"
                    )
            values = tuple(v.strip() for v in values_text.split(",") if v.strip())
            for value in values:
                if not is_valid_value(value):
                    raise InvalidOverride(
                        f"{where}: invalid value {value!r} in {item.strip()!r} "
                        "(allowed: [a-z0-9_.]+)"
                    )
            if len(set(values)) != len(values):
                raise InvalidOverride(f"{where}: a value is listed twice in {item.strip()!r}")
            override = FeatureOverride(namespace, feature, values, origin)
            key = (namespace, feature)
            if key in seen:
                result[seen[key]] = override  # the later item wins
            else:
                seen[key] = len(result)
                result.append(override)
    return result


def read_overrides(system: System) -> Overrides:
    """Read the override variables (and file) of *system*'s environment."""
    features: Dict[Tuple[str, str], FeatureOverride] = {}
    path = system.getenv(OVERRIDE_FILE_VAR)
    if path:
        try:
            text = system.read_text(path)
        except OSError as exc:
            raise InvalidOverride(
                f"{OVERRIDE_FILE_VAR}: cannot read {path!r} ({exc.strerror or exc})"
            ) from None
        for item in parse_overrides(text, f"{OVERRIDE_FILE_VAR} ({path})"):
            features[(item.namespace, item.feature)] = item
    inline: Optional[str] = system.getenv(OVERRIDE_VAR)
    if inline:
        for item in parse_overrides(inline, OVERRIDE_VAR):
            features[(item.namespace, item.feature)] = item
    disabled_text = system.getenv(DISABLE_VAR) or ""
    disabled = tuple(dict.fromkeys(n.strip() for n in disabled_text.split(",") if n.strip()))
    for name in disabled:
        if not is_valid_name(name):
            raise InvalidOverride(
                f"{DISABLE_VAR}: invalid namespace {name!r} (allowed: [a-z0-9_]+)"
            )
    return Overrides(tuple(features.values()), disabled)
