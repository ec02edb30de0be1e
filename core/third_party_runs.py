"""Third-party plugins during one detection: their stored answers, or their children.

The parent side of :mod:`variant_providers.third_party`: for each plugin,
either a stored answer that still holds (a warm hit: no third-party code
runs, the fingerprints are recomputed here from the specs the child sent at
cold time) or one child started under the detection's deadline.  Answers are
read in entry-point order, so a namespace claimed by an earlier plugin is
taken for the later ones.  The stored entry's shape is documented in
:mod:`variant_providers.third_party`.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .cache import ERROR_TTL, DetectionCache, entry_name
from .deadline import Deadline
from .entrypoints import EntryPointRecord
from .fingerprint import FileFingerprint
from .isolation import IsolatedRun
from .provider import Provider
from .record_class import replace
from .system import System
from .third_party import Answer, ThirdPartyRow, error_row, machine_spec, plain_env, read_answer

__all__ = ["ThirdPartyPlugins", "ThirdPartyRuns"]

_CHILD = "variant_providers.third_party_child:child_plugin"

#: What one plugin's answer comes from: a stored answer and its age, a child, or why neither.
_Source = Union[Tuple[Any, float], IsolatedRun, str]


def _digests(doc: Any, system: System) -> Dict[str, str]:
    """The fingerprint of every declared provider, computed here from its declared spec."""
    digests = {}
    for item in doc.get("declared", ()) if isinstance(doc, dict) else ():
        spec = item.get("fingerprint") if isinstance(item, dict) else None
        if isinstance(spec, dict):
            digests[str(item.get("namespace"))] = FileFingerprint.from_spec(spec)(system)
    return digests


def _current(
    entry: Mapping[str, Any], system: System, wanted: Optional[Sequence[str]], skip: Sequence[str]
) -> bool:
    """Whether a stored answer still holds: same fingerprints, same variables, all asked."""
    doc = entry["result"]
    try:
        if _digests(doc, system) != entry.get("digests"):
            return False
        results = doc["results"]
        declared = {str(item["namespace"]) for item in doc["declared"]}
        needed = (declared if wanted is None else declared & set(wanted)) - set(skip)
        if not needed <= set(results):
            return False
        for item in results.values():
            env = plain_env(item.get("env"))
            if env is None or any(system.getenv(k) != v for k, v in env.items()):
                return False
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    return True


class ThirdPartyPlugins:
    """The third-party plugins of a host: entry-point metadata until a detection runs."""

    def __init__(self, records: Sequence[EntryPointRecord]) -> None:
        self.records = list(records)

    def start(
        self,
        system: System,
        deadline: Deadline,
        *,
        wanted: Optional[Sequence[str]] = None,
        skip: Sequence[str] = (),
        store: Optional[DetectionCache] = None,
        refresh: bool = False,
    ) -> ThirdPartyRuns:
        """Use each plugin's stored answer, or start its child; they run while the host works."""
        return ThirdPartyRuns(
            self.records,
            system,
            deadline,
            wanted=wanted,
            skip=skip,
            store=store,
            refresh=refresh,
        )


class ThirdPartyRuns:
    """One detection's third-party answers: cached ones and running children."""

    def __init__(
        self,
        records: Sequence[EntryPointRecord],
        system: System,
        deadline: Deadline,
        *,
        wanted: Optional[Sequence[str]],
        skip: Sequence[str],
        store: Optional[DetectionCache],
        refresh: bool,
    ) -> None:
        self.system = system
        self.wanted = None if wanted is None else list(wanted)
        self.skip = list(skip)
        self.store = store
        #: Per plugin: where its answer comes from, and its cache key.
        self.plans: List[Tuple[EntryPointRecord, _Source, Optional[str]]] = []
        #: Stand-ins of the providers the plugins declared, known once :meth:`rows` has run.
        self.declared: List[Provider] = []
        spec = machine_spec(system)
        boot_id = store.boot_id(system) if store is not None else ""
        for record in records:
            if spec is None:
                why = (
                    "third-party providers detect in a child process, which can examine "
                    "the live machine or a recorded one only, not a "
                    f"{type(system).__name__}"
                )
                self.plans.append((record, why, None))
                continue
            key = store.plugin_key(record.identity(), spec[0], system, boot_id) if store else None
            entry = store.load(entry_name(record.name), key) if store and key else None
            if (
                entry is not None
                and not refresh
                and _current(entry, system, self.wanted, self.skip)
            ):
                self.plans.append((record, (entry["result"], float(entry["age_s"])), key))
                continue
            if entry is not None and self.wanted is not None and not _declares(entry, self.wanted):
                # It offers none of the namespaces asked (as its stored declarations say).
                self.declared += read_answer(record, entry["result"], [], {}).declared
                continue
            request = {
                "wanted": self.wanted,
                "skip": self.skip,
                "machine": spec[0],
                "timeout": deadline.remaining(),
            }
            run = IsolatedRun(_CHILD, [record.value, request], deadline.remaining(), spec[1])
            self.plans.append((record, run, key))

    def rows(self, taken: Mapping[str, str]) -> List[ThirdPartyRow]:
        """Wait for every child and check every answer; plugin by plugin, in entry-point order.

        *taken*: the namespaces already provided (built-ins, in-process plugins);
        a namespace claimed by an earlier plugin is taken for the later ones too.
        """
        claimed = dict(taken)
        rows: List[ThirdPartyRow] = []
        for record, source, key in self.plans:
            if isinstance(source, str):
                rows.append(ThirdPartyRow(error_row(record.name, record, source)))
                continue
            if isinstance(source, IsolatedRun):
                outcome = source.answer()
                if outcome["status"] != "ok":
                    failed = error_row(record.name, record, str(outcome.get("error", "failed")))
                    duration = (time.perf_counter() - source.started) * 1e3
                    failed = replace(failed, duration_ms=duration)
                    if outcome["status"] == "timeout":
                        failed = replace(failed, status="timeout")
                    rows.append(ThirdPartyRow(failed))
                    continue
                doc, age = outcome["answer"], None
            else:
                doc, age = source
            answer = read_answer(record, doc, self.wanted, claimed, self.skip)
            if age is None and key is not None:
                self._store(record, key, doc, answer)
            for row in answer.rows:
                result = row.result if age is None else row.result.cached(age)
                rows.append(replace(row, result=result))
            claimed.update({p.namespace: record.name for p in answer.declared})
            self.declared += answer.declared
        return rows

    def _store(self, record: EntryPointRecord, key: str, doc: Any, answer: Answer) -> None:
        if self.store is None or not answer.cacheable:
            return
        failed = any(r.result.status in ("error", "timeout") for r in answer.rows)
        try:
            digests = _digests(doc, self.system)
        except ValueError:  # a spec that read_answer refused: nothing to store
            return
        entry = {"plugin": record.identity(), "result": doc, "digests": digests}
        self.store.save(
            entry_name(record.name), key, entry, ERROR_TTL if failed else self.store.ttl
        )


def _declared_names(entry: Mapping[str, Any]) -> List[str]:
    """The namespaces a stored answer declares (empty when it is malformed)."""
    try:
        return [str(item["namespace"]) for item in entry["result"]["declared"]]
    except (KeyError, TypeError):
        return []


def _declares(entry: Mapping[str, Any], wanted: Sequence[str]) -> bool:
    """Whether a stored answer's plugin declared any of *wanted* (its declarations still hold)."""
    names = _declared_names(entry)
    return not names or any(n in wanted for n in names)
