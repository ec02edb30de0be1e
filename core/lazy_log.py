"""Loggers that import :mod:`logging` only when a message can be shown.

:mod:`logging` (with ``traceback``, ``tokenize``, ``string`` and their
regular expressions) costs a cold ``report`` about a tenth of its run, and a
run without ``-v`` logs nothing but the rare warning.  A :class:`LazyLogger`
has the calls the project makes (``debug`` … ``error``, ``isEnabledFor``)
and decides each one exactly as a standard logger would:

* while no code in the process has imported :mod:`logging`, nothing can have
  configured it, so the standard rules answer: records below ``WARNING`` are
  dropped (the root logger's default level), and a ``WARNING`` or above is
  handed to the real logger, importing it then;
* once :mod:`logging` is imported — by an installer, by pytest, by ``-v`` —
  every call is handed over, and its configuration decides as usual.

The command line configures its stderr format through :func:`configure`,
which with ``-v`` imports :mod:`logging` at once and otherwise waits for the
first warning.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, Optional

__all__ = ["DEBUG", "WARNING", "LazyLogger", "configure", "getLogger"]

#: The standard levels (the numbers :mod:`logging` defines).
DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40

#: basicConfig keywords for the first real use, set by :func:`configure`.
_PENDING: Dict[str, Any] = {}


def _real(name: str) -> Any:
    import logging  # the first message that can be shown

    if _PENDING:
        options = dict(_PENDING)
        _PENDING.clear()
        logging.basicConfig(**options)
    return logging.getLogger(name)


class LazyLogger:
    """``logging.getLogger(name)``, without importing :mod:`logging` for a dropped record."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _live(self, level: int) -> Optional[Any]:
        """The real logger when *level* may be shown, else ``None``."""
        if "logging" in sys.modules or level >= WARNING:
            return _real(self.name)
        return None

    def isEnabledFor(self, level: int) -> bool:
        live = self._live(level)
        return bool(live is not None and live.isEnabledFor(level))

    def _log(self, level: int, msg: str, args: Any, kwargs: Any) -> None:
        live = self._live(level)
        if live is not None and live.isEnabledFor(level):
            # Two frames of ours between the caller and the real logger.
            kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 2
            live.log(level, msg, *args, **kwargs)

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(DEBUG, msg, args, kwargs)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(INFO, msg, args, kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(WARNING, msg, args, kwargs)

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log(ERROR, msg, args, kwargs)


def getLogger(name: str) -> LazyLogger:
    """A :class:`LazyLogger` for *name*."""
    return LazyLogger(name)


def configure(verbose: bool, **options: Any) -> None:
    """The command line's ``logging.basicConfig``: now with ``-v``, else at the first warning.

    With :mod:`logging` already imported (an embedding program, a test
    runner) the configuration applies at once, as it always did.
    """
    options["level"] = DEBUG if verbose else WARNING
    _PENDING.clear()
    if verbose or "logging" in sys.modules:
        import logging

        logging.basicConfig(**options)
    else:
        _PENDING.update(options)
