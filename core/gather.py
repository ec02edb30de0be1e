"""Step 2 of a detection: each planned in-process provider's raw answer, from wherever it is.

In order of cost: the disk cache (a hit runs nothing), then an in-process
run, the providers side by side under the detection's one deadline.  Fresh
answers are stored before overrides apply, so an override never sticks in
the cache.  (Third-party plugins never run here: their children are
started and read by :mod:`variant_providers.third_party_runs`.)
"""

from __future__ import annotations

from typing import AbstractSet, Dict, Optional

from .cache import DetectionCache
from .deadline import DeadlineSystem
from .force import forced_answer
from .plan import Plan
from .records import ProviderResult
from .runner import run_side_by_side
from .system import System

__all__ = ["gather"]


def gather(
    plan: Plan,
    system: System,
    store: Optional[DetectionCache],
    *,
    refresh: bool,
    skip: AbstractSet[str] = frozenset(),
) -> Dict[str, ProviderResult]:
    """The raw answer of every provider :attr:`Plan.to_run` lists, by namespace.

    *store* is the cache (``None``: off); ``refresh`` ignores its entries but
    stores the new answers.  The providers in *skip* (every feature forced,
    see :func:`~variant_providers.force.covers_every_feature`) are not run:
    their answer is the blank row the force variables fill.
    """
    runs = plan.to_run
    boot_id = store.boot_id(system) if store is not None else ""
    keys: Dict[str, Optional[str]] = {}
    results: Dict[str, ProviderResult] = {}
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

    # In-process providers run side by side, so one hung driver does not eat the
    # time of another vendor's probes: all of them share one deadline.
    local = [r for r in runs if r.provider.namespace not in results]
    finished = run_side_by_side(local, DeadlineSystem(system, plan.deadline))
    for reg in local:
        ns = reg.provider.namespace
        result, env_read = finished[ns]
        results[ns] = result
        key = keys.get(ns)
        if store is not None and key is not None:
            store.store(ns, key, result, env_read)
    return results
