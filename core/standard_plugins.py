"""Hosting the standard's plugins: every ``variant_plugins`` entry point, isolated, beside ours.

PEP 817/825 providers published for installers (``ascend-variant-provider``,
the vendors' own nvidia/amd/intel providers, a company's in-house one)
register in the entry-point group ``variant_plugins``.  The host runs them
next to its own providers so that ``report`` shows what an installer sees:

* **discovery reads metadata only** — the parent never imports a standard
  plugin.  Our own ``variant_plugins`` entries (the plugin-API objects of our
  built-ins, for variantlib and uv) are skipped: the built-ins already run.
* **everything else happens in a child** — import, the plugin-API calls,
  adapting the two protocols in use (see
  :mod:`variant_providers.standard_child`).  One child per plugin, all
  started together under the detection's timeout: a plugin that hangs,
  crashes, prints or answers garbage is one row with its status and reason.
* **cached on what it was seen to read** — a standard plugin declares no
  inputs, so its child watches it (:mod:`variant_providers.observe`): the
  files it read, the folders it listed, the paths it checked, the variables it
  read, the programs it looked for and did not find.  Its answer is stored
  with those, and reused while each gives the same answer again (asked here,
  through the detection's system, never by plugin code).  An answer whose
  inputs cannot be re-asked (a program that ran, a native library, a C
  extension, a device, the network) is asked for on every detection, as is
  an error or a timeout.
* **the live machine only** — a standard plugin cannot be replayed, so a
  detection of a recorded machine or a lock file does not run them.

**Namespaces claimed twice** are never an error.  Every claim keeps its row;
one rule picks whose values make up ``properties``: the first claim wins —
our built-ins, then ``variant_providers`` plugins, then ``variant_plugins``
in entry-point order — unless ``VARIANT_PROVIDERS_PLUGINS`` names the winner
with a ``namespace=plugin`` item (``nvidia=nvidia_variant_provider``; the
plugin is an entry-point name, or ``builtin`` for ours).  The rows whose
values are not used are in :attr:`Detection.shadowed
<variant_providers.host.Detection.shadowed>`, each saying which row answers
instead.  The built-ins win by default because they speak the vendors' own
vocabulary and are cached and replayable.
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

from .cache import DetectionCache, entry_name
from .dist_info import normalize
from .entrypoints import EntryPointRecord
from .isolation import IsolatedRun
from .observe import answers
from .policy import PLUGINS_VAR
from .record_class import replace
from .records import ChildOutcome, ProviderResult
from .runner import timed

if TYPE_CHECKING:
    from .overrides import Overrides
    from .system import System

__all__ = [
    "BUILTIN_CHOICE",
    "GROUP",
    "StandardPlugins",
    "StandardRuns",
    "parse_choices",
    "pick_claims",
]

#: The standard's entry-point group (variantlib 0.2.2, uv).
GROUP = "variant_plugins"
#: The distribution whose ``variant_plugins`` entries are our own built-ins.
OWN_DISTRIBUTION = "variant-providers"
#: The ``namespace=`` choice that names our built-in provider.
BUILTIN_CHOICE = "builtin"
_CHILD = "variant_providers.standard_child:child_query"


def _is_ours(record: EntryPointRecord) -> bool:
    return normalize(record.distribution) == OWN_DISTRIBUTION or record.value.strip().startswith(
        "variant_providers."
    )


def parse_choices(text: Optional[str]) -> Dict[str, str]:
    """The ``namespace=plugin`` items of ``VARIANT_PROVIDERS_PLUGINS``."""
    choices: Dict[str, str] = {}
    for item in (text or "").split(","):
        namespace, sep, plugin = item.partition("=")
        if sep and namespace.strip() and plugin.strip():
            choices[namespace.strip()] = plugin.strip()
    return choices


class StandardPlugins:
    """The standard plugins a host will run, and the report rows of all it found."""

    def __init__(
        self,
        records: Iterable[EntryPointRecord],
        allowed: Optional[Set[str]],
        denied: Set[str],
        policy: Optional[str],
        origin: str,
    ) -> None:
        self.plugins: List[EntryPointRecord] = []
        self.report: List[Dict[str, str]] = []
        self.choices = parse_choices(policy)
        self.origin = origin
        for record in records:
            if record.error or _is_ours(record):  # a broken one is reported with the others
                continue
            row = {
                "name": record.name,
                "value": record.value,
                "distribution": record.distribution,
                "group": GROUP,
            }
            if record.name in denied or (allowed is not None and record.name not in allowed):
                self.report.append({**row, "state": f"blocked by {origin}"})
                continue
            self.plugins.append(record)
            self.report.append({**row, "state": "runs in a child process"})

    def chosen_plugins(self) -> Set[str]:
        """The plugins ``namespace=plugin`` items name (besides ours), to check they exist."""
        return {p for p in self.choices.values() if p != BUILTIN_CHOICE}

    def start(
        self,
        timeout: float,
        *,
        system: Optional[System] = None,
        store: Optional[DetectionCache] = None,
        refresh: bool = False,
    ) -> StandardRuns:
        """Start one child per plugin (unless its stored answer holds); they run meanwhile."""
        cache = _Cache(store, system, refresh) if store is not None and system is not None else None
        return StandardRuns(self.plugins, timeout, self.choices, self.origin, cache=cache)


class _Cache:
    """The stored answers of standard plugins, checked against their observed inputs."""

    def __init__(self, store: DetectionCache, system: System, refresh: bool) -> None:
        self.store = store
        self.system = system
        self.refresh = refresh
        self.boot_id = store.boot_id(system)

    def key(self, record: EntryPointRecord) -> str:
        return self.store.plugin_key(record.identity(), {"kind": GROUP}, self.system, self.boot_id)

    def lookup(self, record: EntryPointRecord) -> Optional[ProviderResult]:
        """The stored row of *record*, while every input it was seen to read answers the same."""
        if self.refresh:
            return None
        entry = self.store.load(entry_name(record.name, GROUP), self.key(record))
        if entry is None or answers(entry.get("observed"), self.system) != entry.get("answers"):
            return None
        try:
            return ProviderResult.from_dict(entry["result"]).cached(float(entry["age_s"]))
        except (KeyError, TypeError, ValueError):
            return None

    def keep(self, record: EntryPointRecord, row: ProviderResult, observed: Any) -> None:
        """Store a child's *row* when its inputs can be asked again (never an error)."""
        found = answers(observed, self.system)
        if found is None or row.status not in ("ok", "not-detected"):
            return
        entry = {"result": row.to_dict(), "observed": observed, "answers": found}
        self.store.save(entry_name(record.name, GROUP), self.key(record), entry, self.store.ttl)


class StandardRuns:
    """The children of one detection, and how their rows join the others."""

    def __init__(
        self,
        plugins: Sequence[EntryPointRecord],
        timeout: float,
        choices: Mapping[str, str],
        origin: str,
        *,
        cache: Optional[_Cache] = None,
    ) -> None:
        self.choices = choices
        self.origin = origin
        self.cache = cache
        #: Per plugin: its stored row, or the child that answers.
        self.runs: List[Tuple[EntryPointRecord, Union[ProviderResult, IsolatedRun]]] = []
        for p in plugins:
            stored = cache.lookup(p) if cache is not None else None
            if stored is not None:
                self.runs.append((p, stored))
                continue
            args = [p.value, p.name, p.distribution, p.version]
            self.runs.append((p, IsolatedRun(_CHILD, args, timeout)))
        self._rows: Optional[List[ProviderResult]] = None

    def rows(self) -> List[ProviderResult]:
        """Wait for every child (each under its own deadline) and build its row."""
        if self._rows is None:
            self._rows = [self._answer(record, source) for record, source in self.runs]
        return self._rows

    def _answer(
        self, record: EntryPointRecord, source: Union[ProviderResult, IsolatedRun]
    ) -> ProviderResult:
        if isinstance(source, ProviderResult):
            return replace(source, description=_description(record), plugin=record.name)
        message = source.result()
        row = _row(record, source, message)
        if self.cache is not None and message.get("status") == "ok":
            self.cache.keep(record, row, message.get("observed"))
        return row

    def merge(
        self,
        ordered: Sequence[ProviderResult],
        overrides: Overrides,
        wanted: Optional[Sequence[str]],
    ) -> Tuple[List[ProviderResult], List[ProviderResult]]:
        """The detection's rows with ours; also the rows whose values are not used."""
        rows = []
        for row in self.rows():
            if wanted is not None and row.namespace not in wanted:
                continue
            rows.append(overrides.apply(overrides.disable(row), None))
        return pick_claims(ordered, rows, self.choices, self.origin)


def _description(record: EntryPointRecord) -> str:
    return f"{GROUP} plugin from {record.distribution}"


def _row(record: EntryPointRecord, run: IsolatedRun, message: Mapping[str, Any]) -> ProviderResult:
    outcome = ChildOutcome.from_message(message)
    base = ProviderResult(
        namespace=record.name,
        status="error",
        plugin=record.name,
        description=_description(record),
        info={"plugin_api": record.value},
    )
    if outcome.result is not None:
        try:
            result = ProviderResult.from_dict(outcome.result)
        except (KeyError, TypeError, ValueError) as exc:
            return replace(base, error=f"invalid answer from plugin process: {exc}")
        return replace(result, description=base.description, plugin=record.name)
    failed = replace(base, error=outcome.error)
    if outcome.status == "timeout":  # it used the whole deadline
        return timed(replace(failed, status="timeout"), run.started)
    return failed


def _owner(row: ProviderResult) -> str:
    return BUILTIN_CHOICE if row.plugin.startswith("builtin:") else row.plugin


def pick_claims(
    ordered: Sequence[ProviderResult],
    standard: Sequence[ProviderResult],
    choices: Mapping[str, str],
    origin: str,
) -> Tuple[List[ProviderResult], List[ProviderResult]]:
    """Join the standard plugins' rows to *ordered*: one answering row per namespace.

    For a namespace claimed more than once, the row that *choices* names wins,
    otherwise the first claim (rows of *ordered* come before standard ones).
    The winner takes the first claim's place in the report; the others are
    returned separately, each with a reason naming the winner.
    """
    rows = list(ordered)
    shadowed: List[ProviderResult] = []
    first: Dict[str, int] = {}
    for index, row in enumerate(rows):
        first.setdefault(row.namespace, index)
    claims: Dict[str, List[ProviderResult]] = {}
    for row in standard:
        if row.namespace in first:
            claims.setdefault(row.namespace, [rows[first[row.namespace]]]).append(row)
        else:
            first[row.namespace] = len(rows)
            rows.append(row)
            claims.setdefault(row.namespace, [row])
    for namespace, candidates in claims.items():
        if len(candidates) == 1:
            continue
        choice = choices.get(namespace)
        winner = next((c for c in candidates if _owner(c) == choice), candidates[0])
        rows[first[namespace]] = winner
        how = (
            f"chosen by {origin}"
            if choice and _owner(winner) == choice
            else f"the first claim; choose with {PLUGINS_VAR}={namespace}=<plugin>"
        )
        for loser in candidates:
            if loser is winner:
                continue
            note = f"not used: namespace `{namespace}` is answered by {_owner(winner)} ({how})"
            shadowed.append(
                replace(loser, reason=f"{loser.reason}; {note}" if loser.reason else note)
            )
    return rows, shadowed
