"""Child half of hosting a third-party (``variant_providers``) plugin: everything it does.

This module runs only inside the short-lived child interpreter that
:class:`~variant_providers.isolation.IsolatedRun` starts for one entry point.
Everything the plugin's code does happens here: its import, its
``variant_providers`` hook, each ``Provider`` record's ``all_configs`` and
force-variable checks, and ``detect`` for the namespaces the parent asked
about.  The parent receives plain JSON only (and validates it again, see
:mod:`variant_providers.third_party`); whatever the plugin prints, raises,
patches or hangs on stays in this process.

The answer (the ``ok`` value of the child protocol)::

    {"declared": [{"namespace", "description", "version",
                   "all_configs": [feature, ...] | null,
                   "fingerprint": <FileFingerprint spec> | null | "code"}, ...],
     "results": {namespace: {"result": <ProviderResult.to_dict()>,
                             "env": {variable: value or null} | null,
                             "forced": [{"variable", "features", "value"}, ...]}},
     "failures": [{"error": one line, "traceback": text}, ...]}

``fingerprint`` is the declared data the parent recomputes the cache
fingerprint from (``null``: the provider has none; ``"code"``: an arbitrary
function, so the plugin's answer is not cached and it runs every time); an
``env`` of ``null`` marks an answer that must not be cached either.
"""

from __future__ import annotations

import traceback
from typing import Any, Dict, List, Optional, Union

from .dist_info import load
from .fingerprint import FileFingerprint
from .force import apply_forced, covers_every_feature, forced_answer, read_forced
from .model import is_valid_name
from .overrides import InvalidOverride
from .provider import Provider
from .records import one_line
from .registry import Registry
from .replay import ReplaySystem
from .runner import EnvTracker, coerce_features, error_result, run_tracked
from .system import LiveSystem, PlatformInfo, System

__all__ = ["child_plugin", "machine_from_spec"]

#: ``fingerprint`` of a provider whose fingerprint is code, not declared data.
CODE_FINGERPRINT = "code"


def machine_from_spec(spec: Any, timeout: float) -> System:
    """The machine the parent named: the live one (maybe under a root) or a recording."""
    if not isinstance(spec, dict):
        raise ValueError("malformed machine description")
    if spec.get("kind") == "replay":
        return ReplaySystem(str(spec["path"]))
    if spec.get("kind") == "live":
        platform = spec.get("platform")
        return LiveSystem(
            root=str(spec.get("root") or "/"),
            timeout=timeout,
            platform=PlatformInfo(**platform) if isinstance(platform, dict) else None,
        )
    raise ValueError(f"unknown machine kind {spec.get('kind')!r}")


def _text(value: Any, what: str) -> str:
    """A plain ``str`` copy of *value*; a ``str`` subclass loses its methods here."""
    if not isinstance(value, str):
        raise TypeError(f"{what} is a {type(value).__name__}, not a string")
    return str.__str__(value)


def _fingerprint(provider: Provider) -> Union[Dict[str, Any], str, None]:
    if provider.fingerprint is None:
        return None
    if isinstance(provider.fingerprint, FileFingerprint):
        return FileFingerprint.from_spec(provider.fingerprint.spec()).spec()
    return CODE_FINGERPRINT


def _catalogue(provider: Provider) -> Optional[List[Dict[str, Any]]]:
    if provider.all_configs is None:
        return None
    return [f.to_dict() for f in coerce_features(provider.all_configs())]


def _declare(provider: Provider) -> Dict[str, Any]:
    return {
        "namespace": _text(provider.namespace, "namespace"),
        "description": _text(provider.description, "description"),
        "version": _text(provider.version, "version"),
        "all_configs": _catalogue(provider),
        "fingerprint": _fingerprint(provider),
    }


def child_plugin(value: str, request: Dict[str, Any]) -> Dict[str, Any]:
    """Child side: load the entry point *value*, declare its providers, detect those asked.

    *request*: ``wanted`` (namespaces to detect, ``None`` for all),
    ``skip`` (namespaces not to run: taken by a built-in, disabled),
    ``machine`` (see :func:`machine_from_spec`) and ``timeout`` (what is
    left of the detection's deadline).
    """
    timeout = float(request["timeout"])
    wanted = request.get("wanted")
    skip = set(request.get("skip") or ())
    registry = Registry(builtins=False, plugins=[load(value)], entry_points=None)
    registered, failed = registry.providers()
    failures = [{"error": f.error, "traceback": f.traceback} for f in failed]
    declared: List[Dict[str, Any]] = []
    results: Dict[str, Any] = {}
    system: Optional[System] = None
    for reg in registered:
        try:
            entry = _declare(reg.provider)
        except Exception as exc:
            failures.append({"error": one_line(exc), "traceback": traceback.format_exc()})
            continue
        declared.append(entry)
        namespace = entry["namespace"]
        if (
            not is_valid_name(namespace)
            or namespace in skip
            or namespace in results
            or (wanted is not None and namespace not in wanted)
        ):
            continue
        if system is None:  # each call bounded by the time left; the parent kills us at the end
            system = machine_from_spec(request["machine"], timeout)
        results[namespace] = _detect(reg, system)
    return {"declared": declared, "results": results, "failures": failures}


def _detect(reg: Any, system: System) -> Dict[str, Any]:
    """One provider's answer with its force variables applied, as the host applies ours.

    Here, not in the parent: expanding a force variable's value is the
    plugin's code.  The variables are read through the tracker, so a changed
    one is a cache miss like any variable ``detect`` read.
    """
    tracker = EnvTracker(system)
    try:
        forced = read_forced(reg.provider, tracker)
    except InvalidOverride as exc:  # a usage error of this provider only: its row says so
        error = error_result(reg.provider, reg.plugin, str(exc))
        return {"result": error.to_dict(), "env": None, "forced": []}
    env: Dict[str, Optional[str]] = {}
    if covers_every_feature(reg.provider, forced):
        result = forced_answer(reg.provider, reg.plugin)
    else:
        result, env = run_tracked(reg, system)
    result = apply_forced(result, forced)
    return {
        "result": {**result.to_dict(), "traceback": result.traceback},
        "env": {**tracker.read, **env},
        "forced": [
            {"variable": f.variable, "features": list(f.features), "value": f.value} for f in forced
        ],
    }
