"""Running one provider: validation, environment tracking, side-by-side runs.

Whatever a provider does — raise, return the wrong type, a feature twice,
NaN in ``info`` — becomes its own result with status ``error`` and a
one-line reason; nothing it does reaches the caller.  Each run also records
the environment variables the provider read, which the cache keys on.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import lazy_log
from .model import FeatureConfig, InvalidFeatureConfig
from .provider import Provider, ProviderOutput
from .record_class import replace
from .records import (
    ProviderResult,
    Registered,
    check_status,
    current_traceback,
    from_probe,
    one_line,
)
from .system import DEFAULT_TIMEOUT, CommandResult, System, SystemProxy
from .trace import traced

__all__ = [
    "EnvRead",
    "coerce_features",
    "run_provider",
    "run_side_by_side",
    "run_tracked",
    "timed",
]

log = lazy_log.getLogger("variant_providers")

#: The environment variables a provider read while detecting, with their values.
EnvRead = Dict[str, Optional[str]]


def run_provider(provider: Provider, system: System, *, plugin: str = "") -> ProviderResult:
    """Run one provider's ``detect`` isolated: any failure becomes its result."""
    start = time.perf_counter()
    try:
        raw = provider.detect(system)
        provenance: Dict[str, str] = {}
        if isinstance(raw, ProviderOutput):
            features = coerce_features(raw.features)
            info = _json_safe(raw.info)
            status = check_status(raw.status or ("ok" if features else "not-detected"))
            reason = raw.reason
            provenance = _provenance(raw.sources or info.get("source"), features)
        else:
            features = coerce_features(raw)
            info, reason = {}, ""
            status = "ok" if features else "not-detected"
        if status in ("ok", "override") and not features:
            raise ValueError(f"status {status!r} with no features")
    except (InvalidFeatureConfig, ValueError) as exc:
        return timed(
            error_result(provider, plugin, f"invalid result: {exc}", current_traceback()),
            start,
        )
    except Exception as exc:
        log.debug("provider %s failed", provider.namespace, exc_info=True)
        return timed(error_result(provider, plugin, one_line(exc), current_traceback()), start)
    failed = status in ("error", "timeout")
    usable = status in ("ok", "override")
    return ProviderResult(
        namespace=provider.namespace,
        status=status,
        features=features if usable else (),
        info=info,
        duration_ms=(time.perf_counter() - start) * 1e3,
        error=(reason or status) if failed else None,
        reason=reason,
        description=provider.description,
        plugin=plugin,
        version=provider.version,
        provenance=provenance if usable else {},
    )


def error_result(
    provider: Provider, plugin: str, message: str, tb: Optional[str] = None
) -> ProviderResult:
    """The row of a provider that failed (or was refused) with *message*."""
    return ProviderResult(
        namespace=provider.namespace,
        status="error",
        error=message,
        description=provider.description,
        plugin=plugin,
        version=provider.version,
        traceback=tb,
    )


def timed(result: ProviderResult, start: float) -> ProviderResult:
    """*result* with the time since *start* (a ``perf_counter`` reading) as its duration."""
    return replace(result, duration_ms=(time.perf_counter() - start) * 1e3)


def _provenance(sources: Any, features: Sequence[FeatureConfig]) -> Dict[str, str]:
    """Provenance from what a provider said about its probes.

    ``ProviderOutput.sources`` (or, from a provider that predates it, an
    ``info["source"]`` of the same shape) maps features to probe names; a
    single name stands for every feature.  Anything else names no probe.
    """
    if isinstance(sources, str) and sources:
        return {f.name: from_probe(sources) for f in features}
    if not isinstance(sources, Mapping):
        return {}
    return {str(k): from_probe(str(v)) for k, v in sources.items() if isinstance(v, (str, int))}


def coerce_features(raw: Any) -> Tuple[FeatureConfig, ...]:
    """Validate what ``detect`` returned; raise ``ValueError`` saying what is wrong."""
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
        raise ValueError(
            f"detect returned {type(raw).__name__}, expected a sequence of FeatureConfig"
        )
    features: List[FeatureConfig] = []
    seen = set()
    for item in raw:
        if isinstance(item, FeatureConfig):
            feature = item
        elif all(hasattr(item, a) for a in ("name", "values", "multi_value")):
            # Any object with the variantlib feature-config shape is accepted.
            feature = FeatureConfig(item.name, list(item.values), bool(item.multi_value))
        else:
            raise ValueError(f"detect returned a {type(item).__name__}, expected FeatureConfig")
        if feature.name in seen:
            raise ValueError(f"feature {feature.name!r} is listed twice")
        seen.add(feature.name)
        features.append(feature)
    return tuple(features)


def _json_safe(info: Any) -> Dict[str, Any]:
    if not isinstance(info, Mapping):
        raise ValueError(f"info must be a mapping, not {type(info).__name__}")
    # Strict: NaN or Infinity in info is the provider's invalid output, never ours.
    result: Dict[str, Any] = json.loads(json.dumps(dict(info), default=str, allow_nan=False))
    return result


class EnvTracker(SystemProxy):
    """A :class:`System` view that remembers which variables were read."""

    def __init__(self, inner: System) -> None:
        super().__init__(inner)
        self.read: EnvRead = {}

    def getenv(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = self.inner.getenv(name)
        self.read[name] = value
        return default if value is None else value

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        # PATH decides which program runs: a tool added to PATH must be a cache miss.
        self.getenv("PATH")
        return self.inner.run(argv, timeout)


def run_tracked(reg: Registered, system: System) -> Tuple[ProviderResult, EnvRead]:
    """Run one provider and also return the environment variables it read."""
    tracker = EnvTracker(traced(system, reg.provider.namespace))
    result = run_provider(reg.provider, tracker, plugin=reg.plugin)
    return result, tracker.read


def run_side_by_side(
    regs: Sequence[Registered], system: System
) -> Dict[str, Tuple[ProviderResult, EnvRead]]:
    """:func:`run_tracked` for each provider, in threads when there are several.

    The providers spend their time waiting on child processes, so threads
    overlap the waits; each provider still sees only its own tracker.
    """
    if len(regs) <= 1:
        return {r.provider.namespace: run_tracked(r, system) for r in regs}
    # Import each lazily registered detect module here, one after the other: imports
    # made in several threads at once contend for the import lock and the GIL.  A
    # failed import is retried, and reported, by the provider's own run.
    for reg in regs:
        load = getattr(reg.provider.detect, "load", None)
        if load is not None:
            try:
                load()
            except Exception:  # reported by run_tracked below
                pass
    # Lazy on purpose: threads are needed only for a cold run of several providers.
    import threading

    finished: Dict[str, Tuple[ProviderResult, EnvRead]] = {}

    def run(reg: Registered) -> None:
        try:
            finished[reg.provider.namespace] = run_tracked(reg, system)
        except BaseException as exc:  # SystemExit and the like: still only this row
            failed = error_result(reg.provider, reg.plugin, one_line(exc), current_traceback())
            finished[reg.provider.namespace] = (failed, {})

    threads = [threading.Thread(target=run, args=(r,), daemon=True) for r in regs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {r.provider.namespace: finished[r.provider.namespace] for r in regs}
