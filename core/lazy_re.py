"""Regular expressions compiled at their first use, not at import.

A provider module declares its parsers' patterns at the top, as usual; but a
cold ``report`` imports every provider, and most patterns serve hardware the
machine does not have (an NVIDIA ``nvidia-smi -q -x`` answer, a ROCm
``version`` file…).  Compiling the two dozen of them at import cost about a
millisecond and a half of a ~50 ms run.  :func:`compile` returns a stand-in
that compiles on the first method call and then hands every call to the
real pattern.
"""

from __future__ import annotations

import re
from typing import Any, Dict, cast

__all__ = ["compile"]


class _LazyPattern:
    """``re.compile(pattern, flags)``, compiled when first used."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        # Only reached for what the instance lacks: compile once, then keep the
        # real pattern's bound methods and attributes on the instance.
        compiled = re.compile(*self._source)
        own: Dict[str, Any] = self.__dict__
        for attribute in dir(compiled):
            if not attribute.startswith("_"):
                own[attribute] = getattr(compiled, attribute)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_re.compile({self._source[0]!r}, {self._source[1]!r})"


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """A pattern that behaves as ``re.compile(pattern, flags)``, compiled on first use."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, flags))
