"""Static locks: a machine's supported properties saved for detection elsewhere.

Users build on CPU-only machines for GPU targets.  ``report --lock FILE`` on
the target writes what it supports; on the build machine
``VARIANT_PROVIDERS_LOCK=FILE`` (or ``--use-lock FILE``) makes detection read
that file instead of the machine, and the report says so.

The format (``format_version`` 1)::

    {
      "format": "variant-providers-lock",
      "format_version": 1,
      "created": "2026-11-24T06:00:00Z",
      "tool": {"name": "variant-providers", "version": "0.1.0"},
      "machine": {"source": "live", "platform": {"system": "Linux", ...}},
      "providers": [
        {"namespace": "nvidia", "status": "ok", "plugin": "builtin:nvidia",
         "version": "0.1.0",
         "features": [{"name": "sm_arch", "values": ["90_real", "90_virtual"],
                       "multi_value": true}]}
      ],
      "properties": ["nvidia :: sm_arch :: 90_real", ...]
    }

``providers`` lists every provider of the target with its status; only those
with features support anything when the lock is read back (as status ``ok``,
their source shown as the lock file).  ``properties`` is informative.
Readers refuse other formats and versions instead of guessing.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional

from . import __version__
from .atomic import write_atomic
from .model import FeatureConfig, InvalidFeatureConfig, is_valid_name
from .records import Detection, ProviderResult, from_lock
from .safefs import dumps_json, loads_json, read_bytes

if TYPE_CHECKING:
    from .overrides import Overrides
    from .system import System

__all__ = [
    "LOCK_FORMAT",
    "LOCK_VAR",
    "LOCK_VERSION",
    "InvalidLock",
    "locked_detection",
    "read_lock",
    "write_lock",
]

LOCK_VAR = "VARIANT_PROVIDERS_LOCK"
LOCK_FORMAT = "variant-providers-lock"
LOCK_VERSION = 1


class InvalidLock(ValueError):
    """A lock file that cannot be used; the message names the file."""


def lock_document(detection: Detection) -> Dict[str, Any]:
    """The lock document for *detection* (only providers that support something)."""
    providers = [
        {
            "namespace": r.namespace,
            "status": r.status,
            "plugin": r.plugin,
            "version": r.version,
            "features": [f.to_dict() for f in r.features],
        }
        for r in detection.providers
        if is_valid_name(r.namespace)
    ]
    return {
        "format": LOCK_FORMAT,
        "format_version": LOCK_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tool": {"name": "variant-providers", "version": __version__},
        "machine": {
            "source": detection.source,
            "platform": detection.platform.to_dict() if detection.platform else None,
        },
        "providers": providers,
        "properties": [str(p) for p in detection.properties],
    }


def write_lock(detection: Detection, path: str | os.PathLike[str]) -> str:
    """Write *detection*'s supported properties to *path* (atomically); the path written.

    Refuses (``OSError``) to write through a symlink or to replace anything
    that is not a regular file; see :mod:`variant_providers.atomic`.
    """
    target = os.fspath(path)
    text = dumps_json(lock_document(detection), indent=2) + "\n"
    write_atomic(target, text.encode("utf-8"))
    return target


def read_lock(path: str | os.PathLike[str]) -> List[ProviderResult]:
    """The provider results stored in the lock file *path*."""
    where = str(path)
    try:
        doc = loads_json(read_bytes(path))
    except OSError as exc:
        raise InvalidLock(f"{where}: cannot read lock file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise InvalidLock(f"{where}: not UTF-8 text (byte {exc.start})") from None
    except ValueError as exc:
        raise InvalidLock(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != LOCK_FORMAT:
        raise InvalidLock(f"{where}: not a variant-providers lock file")
    if doc.get("format_version") != LOCK_VERSION:
        raise InvalidLock(
            f"{where}: lock format version {doc.get('format_version')!r} is not supported "
            f"(this version reads {LOCK_VERSION})"
        )
    providers = doc.get("providers")
    if not isinstance(providers, list):
        raise InvalidLock(f"{where}: 'providers' must be a list")
    results: List[ProviderResult] = []
    seen = set()
    for index, entry in enumerate(providers):
        try:
            namespace = entry["namespace"]
            if not is_valid_name(namespace) or namespace in seen:
                raise ValueError(f"invalid or repeated namespace {namespace!r}")
            seen.add(namespace)
            features = tuple(
                FeatureConfig(f["name"], f["values"], bool(f.get("multi_value", False)))
                for f in entry["features"]
            )
        except (KeyError, TypeError, ValueError, InvalidFeatureConfig) as exc:
            raise InvalidLock(f"{where}: providers[{index}]: {exc}") from None
        locked_status = str(entry.get("status", ""))
        results.append(
            ProviderResult(
                namespace=namespace,
                status="ok" if features else "not-detected",
                features=features,
                reason="" if features else f"{locked_status} on the locked machine",
                info={"locked_status": locked_status},
                provenance={f.name: from_lock(where) for f in features},
                plugin=str(entry.get("plugin", "")),
                version=str(entry.get("version", "")),
            )
        )
    return results


def locked_detection(
    path: str,
    system: System,
    overrides: Overrides,
    only: Optional[Iterable[str]],
    start: float,
) -> Detection:
    """A detection read from the lock file *path*; the machine itself is not examined.

    Overrides apply on top, as they do to a live answer; *start* is the
    ``perf_counter`` reading the detection began at.
    """
    results = read_lock(path)
    if only is not None:
        # A static description: a namespace it does not list is unsupported.
        by_namespace = {r.namespace: r for r in results}
        results = [
            by_namespace.get(ns)
            or ProviderResult(ns, "not-detected", reason=f"not in the lock file {path}")
            for ns in dict.fromkeys(only)
        ]
    ordered = [overrides.apply(overrides.disable(r), None) for r in results]
    ordered += overrides.unprovided(ordered, None)
    return Detection(
        tuple(ordered),
        (time.perf_counter() - start) * 1e3,
        f"lock {path}",
        system.platform,
        overrides=tuple(overrides.describe()),
    )
