"""``detect()`` as installers call it: from the warm record, the host only on a miss.

``from variant_providers import detect; detect()`` in a fresh interpreter on
every resolve is an installer's whole question.  Called with no argument
(the live machine, the default cache, no lock), the answer of a full cache
hit is kept in a warm record (see :mod:`variant_providers.warm`); a later call
whose every input is unchanged rebuilds the :class:`Detection` from it
without loading the host (pluggy, the registry, the providers).  Any other
call, and every miss, is :func:`variant_providers.host.detect`'s.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence

from .model import FeatureConfig
from .platform_info import PlatformInfo
from .record_class import fields, replace
from .records import Detection, ProviderResult
from .warm import lookup

if TYPE_CHECKING:
    from .system import System

__all__ = ["detect", "detection_doc"]

KEY = ("api", "detect")


def detection_doc(detection: Detection) -> Dict[str, Any]:
    """*detection* as the plain JSON :func:`detect` rebuilds it from."""

    return {
        "providers": [_row(r) for r in detection.providers],
        "shadowed": [_row(r) for r in detection.shadowed],
        "source": detection.source,
        "platform": detection.platform.to_dict() if detection.platform else None,
        "cache_dir": detection.cache_dir,
        "overrides": [dict(o) for o in detection.overrides],
        "plugins": [dict(p) for p in detection.plugins],
    }


def _row(result: ProviderResult) -> Dict[str, Any]:
    """Every field of *result*, exactly (``to_dict`` is the report's view, not a copy)."""
    doc = {f.name: getattr(result, f.name) for f in fields(result)}
    doc["features"] = [
        {"name": c.name, "values": list(c.values), "multi_value": c.multi_value}
        for c in result.features
    ]
    return doc


def _result(doc: Dict[str, Any]) -> ProviderResult:
    features = tuple(
        FeatureConfig(str(c["name"]), [str(v) for v in c["values"]], bool(c["multi_value"]))
        for c in doc["features"]
    )
    return ProviderResult(**{**doc, "features": features})


def _rebuilt(record: Any, start: float) -> Detection:
    doc = record["payload"]
    rows = [_result(r) for r in doc["providers"]]
    for index, age in record["ages"]:
        rows[index] = replace(rows[index], cache_age_s=age + time.time() - record["created"])
    platform = doc["platform"]
    return Detection(
        tuple(rows),
        (time.perf_counter() - start) * 1e3,
        str(doc["source"]),
        PlatformInfo(**platform) if platform is not None else None,
        cache_dir=doc["cache_dir"],
        overrides=tuple(dict(o) for o in doc["overrides"]),
        plugins=tuple(dict(p) for p in doc["plugins"]),
        shadowed=tuple(_result(r) for r in doc["shadowed"]),
    )


def _warm(start: float) -> Optional[Detection]:
    record = lookup(KEY)
    if record is None:
        return None
    try:
        return _rebuilt(record, start)
    except (KeyError, TypeError, ValueError, IndexError):  # an unexpected shape: a full run
        return None


def detect(
    system: Optional[System] = None,
    *,
    only: Optional[Sequence[str]] = None,
    cache: Optional[bool] = None,
    refresh: bool = False,
    timeout: Optional[float] = None,
    lock: Optional[str] = None,
) -> Detection:
    """Detect what this machine (or *system*) supports.

    The live machine's answer is cached on disk (see
    :mod:`variant_providers.cache`); ``cache=False`` bypasses the cache,
    ``refresh=True`` re-detects and rewrites it.  See
    :meth:`variant_providers.host.Host.detect`.

    >>> from variant_providers import detect
    >>> detection = detect()                      # doctest: +SKIP
    >>> [str(p) for p in detection.properties][:1]  # doctest: +SKIP
    ['x86_64 :: level :: v4']
    """
    start = time.perf_counter()
    plain = (system, only, cache, timeout, lock) == (None,) * 5 and not refresh
    warm = _warm(start) if plain else None
    if warm is not None:
        return warm
    # The host's machinery, only when the warm record cannot answer.
    from .host import detect as full_detect
    from .host import get_host
    from .warm_record import WarmRecorder

    if not plain:
        return full_detect(
            system, only=only, cache=cache, refresh=refresh, timeout=timeout, lock=lock
        )
    recorder = WarmRecorder(KEY)
    detection = get_host().detect(recorder.system)
    recorder.remember(detection, detection_doc(detection))
    return detection
