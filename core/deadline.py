"""One time limit per detection, shared by every probe of every provider.

A detection is given one limit — ``--timeout``, ``VARIANT_PROVIDERS_TIMEOUT``
or ``detect(timeout=…)``, else :data:`~variant_providers.system.DEFAULT_TIMEOUT`
(5 s) — and that limit is a deadline for the whole run, not a budget per
call: the host starts the clock, runs the providers side by side, and hands
each one a :class:`DeadlineSystem`.  Every command and native call made
through it gets what is left of the limit, whatever the provider asked for,
so two hanging drivers cost the limit once, not twice, and ``report`` ends
within the limit (plus the short grace a killed child gets to go).

A call that finds no time left is not started; it is reported as a timeout
that says so.  Every timeout message names the limit in force.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

from .children import ABANDONED
from .record_class import replace
from .system import (
    DEFAULT_TIMEOUT,
    CommandResult,
    NativeFacade,
    NativeTimeout,
    System,
    SystemProxy,
)

__all__ = ["Deadline", "DeadlineSystem"]

#: Less time than this left and a call is not started at all.
MIN_CALL = 0.05


class Deadline:
    """The end of one detection: ``limit`` seconds after it was created."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._end = time.monotonic() + limit

    def remaining(self) -> float:
        return max(self._end - time.monotonic(), 0.0)

    def describe(self) -> str:
        return f"the {self.limit:g} s time limit of this detection"


class DeadlineSystem(SystemProxy):
    """A :class:`~variant_providers.system.System` whose calls share one deadline."""

    def __init__(self, inner: System, deadline: Deadline) -> None:
        super().__init__(inner)
        self.deadline = deadline

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        left = self.deadline.remaining()
        if left < MIN_CALL:
            return CommandResult(tuple(argv), timed_out=True, limit=self.deadline.describe())
        result = self.inner.run(argv, left)
        if result.timed_out:
            return replace(result, limit=self.deadline.describe())
        return result

    def native(self, facade: NativeFacade) -> Any:
        left = self.deadline.remaining()
        if left < MIN_CALL:
            raise NativeTimeout(
                f"{facade.name}: not started, {self.deadline.describe()} was used up"
            )
        try:
            return self.inner.native(replace(facade, timeout=left))
        except NativeTimeout as exc:
            abandoned = ABANDONED if ABANDONED in str(exc) else ""
            message = f"{facade.name}: no answer within {self.deadline.describe()}"
            raise NativeTimeout(message + abandoned) from None
