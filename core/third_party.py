"""Hosting third-party ``variant_providers`` plugins: metadata here, their code in a child.

A plugin installed through the ``variant_providers`` entry-point group may do
anything at import, in its hook, its catalogue or its ``detect``: sleep, exit,
print, patch ``json.dumps``, return objects with hostile ``__hash__``.  So the
parent never imports one.  It reads the entry points as metadata only
(:mod:`variant_providers.entrypoints`), and for each plugin starts one child
(:mod:`variant_providers.third_party_child`) under the detection's deadline,
which imports it, asks its hook for its ``Provider`` records and detects the
namespaces asked about.  What comes back is plain JSON, accepted only after
:func:`read_answer` checked it like a provider's own output:

* every namespace it declares is valid and not already provided — by a
  built-in, an in-process plugin or an earlier third-party one (a forged
  ``nvidia`` claim is one error row named after the entry point, never
  ``nvidia`` properties);
* answers come only for namespaces it declared *and* the parent asked about;
* features and values follow the grammar, each feature once.

A failure of any kind — hang, exit, no answer, a malformed one — is one row
named after the entry point, with the reason.

**Cache.** A warm cache hit runs no third-party code: the child sends, at cold
time, the declared data its fingerprint is computed from (a
:class:`~variant_providers.fingerprint.FileFingerprint` spec), the parent
stores it with the answer and recomputes the digest from it next time.  The
key covers the plugin's distribution name and version and the entry-point
value.  A plugin whose fingerprint is code is never cached.  The entry, one
file per entry point (``third-party-<sha256(name)[:16]>.json`` in the cache
directory), holds beside the usual ``format``/``key``/``created``/``ttl``::

    {"plugin": {"name", "value", "distribution", "version"},
     "result": <the child's answer, see variant_providers.third_party_child>,
     "digests": {namespace: fingerprint digest computed from the spec}}
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from .entrypoints import EntryPointRecord
from .fingerprint import FileFingerprint
from .force import Forced
from .model import FeatureConfig, is_valid_name
from .provider import Provider
from .record_class import dataclass, field, replace
from .records import ProviderResult
from .replay import RecordingSystem, ReplaySystem
from .system import LiveSystem, System

__all__ = ["Answer", "ThirdPartyRow", "error_row", "machine_spec", "plain_env", "read_answer"]

_CODE = "code"


def machine_spec(system: System) -> Optional[Tuple[Dict[str, Any], Optional[Dict[str, str]]]]:
    """How a child rebuilds *system*, and the environment it runs in; ``None``: it cannot.

    A live machine (with its root and environment), a recorded machine, or a
    recording of a live one (``record``: the child examines the live machine;
    what it reads is not part of the recording).
    """
    while isinstance(system, RecordingSystem):
        system = system.inner
    if isinstance(system, ReplaySystem):
        return {"kind": "replay", "path": str(system.path)}, None
    if isinstance(system, LiveSystem):
        spec = {"kind": "live", "root": system.root, "platform": system.platform.to_dict()}
        return spec, dict(system.environ)
    return None


def _never(_system: System) -> List[FeatureConfig]:
    raise RuntimeError("a third-party provider detects in its child process only")


@dataclass(frozen=True)
class ThirdPartyRow:
    """One row of a third-party plugin, with what the parent may know of its provider."""

    result: ProviderResult
    #: A stand-in record (namespace, catalogue, description); its ``detect`` never runs here.
    provider: Optional[Provider] = None
    forced: Tuple[Forced, ...] = ()


@dataclass
class Answer:
    """A child's answer, checked: the declared providers and the rows it may give."""

    declared: List[Provider] = field(default_factory=list)
    rows: List[ThirdPartyRow] = field(default_factory=list)
    #: Per namespace answered: the environment variables it read (``None``: do not cache).
    env: Dict[str, Optional[Dict[str, Optional[str]]]] = field(default_factory=dict)
    #: Per declared namespace: its fingerprint spec, ``None`` or ``"code"``.
    fingerprints: Dict[str, Any] = field(default_factory=dict)

    @property
    def cacheable(self) -> bool:
        return all(spec != _CODE for spec in self.fingerprints.values()) and all(
            env is not None for env in self.env.values()
        )


def error_row(
    namespace: str, record: EntryPointRecord, message: str, tb: str = ""
) -> ProviderResult:
    return ProviderResult(
        namespace=namespace,
        status="error",
        error=message,
        plugin=record.name,
        version=record.version,
        description=f"variant_providers plugin from {record.distribution}",
        traceback=tb or None,
    )


def _catalogue(raw: Any) -> Optional[Tuple[FeatureConfig, ...]]:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ValueError("all_configs is not a list")
    return tuple(FeatureConfig(f["name"], f["values"], f["multi_value"] is True) for f in raw)


class _Catalogue:
    """A provider's ``all_configs`` as the child sent it: plain data, no code."""

    def __init__(self, features: Tuple[FeatureConfig, ...]) -> None:
        self.features = features

    def __call__(self) -> Tuple[FeatureConfig, ...]:
        return self.features


def _list(doc: Mapping[str, Any], key: str) -> List[Any]:
    value = doc.get(key)
    return value if isinstance(value, list) else []


def _declared(item: Any) -> Tuple[Provider, Any]:
    """One declared provider as a stand-in record, and its fingerprint spec."""
    if not isinstance(item, dict):
        raise ValueError("a declared provider is not an object")
    namespace, description, version = (item.get(k) for k in ("namespace", "description", "version"))
    if not all(isinstance(t, str) for t in (namespace, description, version)):
        raise ValueError("namespace, description and version must be strings")
    catalogue = _catalogue(item.get("all_configs"))
    spec = item.get("fingerprint")
    if spec is not None and spec != _CODE:
        spec = FileFingerprint.from_spec(spec).spec()
    provider = Provider(
        namespace=str(namespace),
        detect=_never,
        all_configs=None if catalogue is None else _Catalogue(catalogue),
        description=str(description),
        version=str(version),
    )
    return provider, spec


def _result(namespace: str, data: Any, record: EntryPointRecord) -> ProviderResult:
    if not isinstance(data, dict) or not isinstance(data.get("info", {}), dict):
        raise ValueError("malformed result")
    result = ProviderResult.from_dict(data)
    if result.namespace != namespace:
        raise ValueError(f"a result for namespace {result.namespace!r} under {namespace!r}")
    names = [f.name for f in result.features]
    if len(set(names)) != len(names):
        raise ValueError("a feature is listed twice")
    if result.status in ("ok", "override") and not result.features:
        raise ValueError(f"status {result.status!r} with no features")
    return replace(result, plugin=record.name, cache_age_s=None)


def plain_env(raw: Any) -> Optional[Dict[str, Optional[str]]]:
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in raw.items()
    ):
        return None
    return dict(raw)


def _forced(raw: Any, namespace: str) -> Tuple[Forced, ...]:
    found = []
    for item in raw if isinstance(raw, list) else ():
        variable, features, value = (item.get(k) for k in ("variable", "features", "value"))
        if isinstance(variable, str) and isinstance(value, str) and isinstance(features, list):
            found.append(Forced(variable, namespace, tuple(map(str, features)), value))
    return tuple(found)


def read_answer(
    record: EntryPointRecord,
    doc: Any,
    asked: Optional[Sequence[str]],
    taken: Mapping[str, str],
    skip: Sequence[str] = (),
) -> Answer:
    """Check a child's answer; every problem becomes an error row, never an exception.

    *asked*: the namespaces the parent wants (``None``: all it declares);
    *taken*: namespaces already provided, and by whom; *skip*: namespaces
    the child was told not to run (disabled): each declared one is a
    ``disabled`` row whose reason the host fills in.
    """
    answer = Answer()
    if not isinstance(doc, dict):
        answer.rows.append(ThirdPartyRow(error_row(record.name, record, "malformed answer")))
        return answer
    claimed: Dict[str, Provider] = {}
    rejected: Set[str] = set()
    for item in _list(doc, "declared"):
        try:
            provider, spec = _declared(item)
        except (KeyError, TypeError, ValueError) as exc:
            message = f"invalid provider record from its process: {exc}"
            answer.rows.append(ThirdPartyRow(error_row(record.name, record, message)))
            continue
        ns, problem = provider.namespace, ""
        if not is_valid_name(ns):
            problem = f"invalid namespace {ns!r} (allowed: [a-z0-9_]+)"
        elif ns in taken or ns in claimed:
            owner = taken.get(ns, record.name)
            problem = f"namespace {ns!r} is already provided by {owner}"
        if problem:
            rejected.add(ns)
            answer.rows.append(ThirdPartyRow(error_row(record.name, record, problem)))
            continue
        claimed[ns] = provider
        answer.declared.append(provider)
        answer.fingerprints[ns] = spec
    results: Dict[Any, Any] = doc["results"] if isinstance(doc.get("results"), dict) else {}
    for ns, provider in claimed.items():
        if ns in skip:
            row = replace(error_row(ns, record, ""), status="disabled", error=None)
            answer.rows.append(
                ThirdPartyRow(replace(row, description=provider.description), provider)
            )
            continue
        if asked is not None and ns not in asked:
            continue
        entry = results.get(ns)
        if not isinstance(entry, dict):
            row = error_row(ns, record, "no answer from its process for this namespace")
            answer.rows.append(ThirdPartyRow(row, provider))
            continue
        try:
            result = _result(ns, entry.get("result"), record)
        except (KeyError, TypeError, ValueError) as exc:
            row = error_row(ns, record, f"invalid answer from its process: {exc}")
            answer.rows.append(ThirdPartyRow(row, provider))
            continue
        answer.env[ns] = plain_env(entry.get("env"))
        answer.rows.append(ThirdPartyRow(result, provider, _forced(entry.get("forced"), ns)))
    for ns in results:
        if ns not in claimed and ns not in rejected:
            message = f"answered for namespace {ns!r}, which it may not provide here"
            answer.rows.append(ThirdPartyRow(error_row(record.name, record, message)))
    for failure in _list(doc, "failures"):
        fields = failure if isinstance(failure, dict) else {}
        tb = fields.get("traceback")
        row = error_row(
            record.name,
            record,
            str(fields.get("error") or "failed"),
            tb if isinstance(tb, str) else "",
        )
        answer.rows.append(ThirdPartyRow(row))
    return answer
