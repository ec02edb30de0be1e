"""Step 2 of a detection: each planned provider's raw answer, from wherever it is.

In order of cost: the disk cache (a hit runs nothing), a child process for
a third-party provider (started first, so children run while the built-ins
probe), and an in-process run for the built-ins, side by side under the
detection's one deadline.  Fresh answers are stored before overrides apply,
so an override never sticks in the cache.
"""

from __future__ import annotations

from typing import AbstractSet, Callable, Dict, Optional

from .cache import DetectionCache
from .deadline import DeadlineSystem
from .force import forced_answer
from .isolation import IsolatedRun
from .plan import Plan
from .records import ChildOutcome, ProviderResult
from .replay import ReplaySystem
from .runner import EnvRead, from_child, run_side_by_side, timed
from .system import System

__all__ = ["gather"]


def gather(
    plan: Plan,
    system: System,
    store: Optional[DetectionCache],
    *,
    refresh: bool,
    isolated: Callable[[str], bool],
    skip: AbstractSet[str] = frozenset(),
) -> Dict[str, ProviderResult]:
    """The raw answer of every provider :attr:`Plan.to_run` lists, by namespace.

    *store* is the cache (``None``: off); ``refresh`` ignores its entries but
    stores the new answers.  *isolated* says whether a plugin's providers run
    in a child process (third-party ones, when the machine can be rebuilt
    there: live, or a replay directory).  The providers in *skip* (every
    feature forced, see :func:`~variant_providers.force.covers_every_feature`)
    are not run: their answer is the blank row the force variables fill.
    """
    runs = plan.to_run
    boot_id = store.boot_id(system) if store is not None else ""
    keys: Dict[str, Optional[str]] = {}
    results: Dict[str, ProviderResult] = {}
    children: Dict[str, IsolatedRun] = {}
    replayable = plan.live or isinstance(system, ReplaySystem)
    for reg in runs:
        ns = reg.provider.namespace
        if ns in skip:
            results[ns] = forced_answer(reg.provider, reg.plugin)
            continue
        key = (
            store.provider_key(reg.provider, reg.plugin, system, boot_id)
            if store is not None
            else None
        )
        keys[ns] = key
        cached = store.lookup(ns, key, system) if store and key and not refresh else None
        if cached is not None:
            results[ns] = cached
        elif replayable and isolated(reg.plugin):
            machine = None if plan.live else str(getattr(system, "path", ""))
            children[ns] = IsolatedRun(reg.plugin, ns, machine, plan.limit)

    # In-process providers run side by side, so one hung driver does not eat the
    # time of another vendor's probes: all of them share one deadline.
    local = [r for r in runs if r.provider.namespace not in results.keys() | children.keys()]
    finished = run_side_by_side(local, DeadlineSystem(system, plan.deadline))
    for reg in runs:
        ns = reg.provider.namespace
        if ns in results:
            continue
        env_read: Optional[EnvRead]
        if ns in children:
            outcome = ChildOutcome.from_message(children[ns].result())
            result = from_child(reg, outcome)
            if result.status in ("error", "timeout"):  # the child's own time is lost
                result = timed(result, children[ns].started)
            env_read = dict(outcome.env) if outcome.env is not None else None
        else:
            result, env_read = finished[ns]
        results[ns] = result
        key = keys.get(ns)
        if store is not None and key is not None and env_read is not None:
            store.store(ns, key, result, env_read)
    return results
