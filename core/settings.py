"""Numbers and names a user hands us: checked once, refused with one clear line.

A timeout of ``nan`` or ``inf`` used to travel until a child process tried to
turn it into an integer; a cache lifetime of ``abc`` fell back to the default
without a word.  Every number a user gives — ``--timeout``,
``VARIANT_PROVIDERS_TIMEOUT``, ``detect(timeout=…)``,
``VARIANT_PROVIDERS_CACHE_TTL`` — goes through :func:`seconds`, which accepts
only finite numbers in a documented range and names the option and the bad
value otherwise.  :func:`unknown_names` does the same for the lists of names
in ``VARIANT_PROVIDERS_DISABLE`` / ``VARIANT_PROVIDERS_PLUGINS``.
"""

from __future__ import annotations

import math
from typing import Iterable, List, Union

__all__ = [
    "MAX_TIMEOUT",
    "MAX_TTL",
    "InvalidSetting",
    "check_names",
    "seconds",
]

#: The longest timeout accepted, in seconds (one hour: no driver call needs more).
MAX_TIMEOUT = 3600.0
#: The longest cache lifetime accepted, in seconds (one year).
MAX_TTL = 365 * 24 * 3600.0


class InvalidSetting(ValueError):
    """An option, variable or argument a user set to a value we cannot use.

    The message names the setting, quotes the value and says what is
    accepted; the command line prints it as its one-line usage error.
    """


def seconds(
    value: Union[str, float, int], name: str, *, maximum: float, allow_zero: bool = False
) -> float:
    """*value* as a number of seconds, or :class:`InvalidSetting` naming *name*.

    Accepted: a finite number greater than 0 (or equal to 0 with
    *allow_zero*) and at most *maximum*.  Text is read with ``float`` after
    stripping blanks; booleans are refused (``True`` is not a duration).
    """
    low = "at least 0" if allow_zero else "greater than 0"
    expected = f"expected a number of seconds {low} and at most {maximum:g}"
    number: float
    if isinstance(value, bool):
        raise InvalidSetting(f"{name}: {value!r} is not a number ({expected})")
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise InvalidSetting(f"{name}: {value!r} is not a number ({expected})") from None
    elif isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            raise InvalidSetting(f"{name}: {value!r} is out of range ({expected})") from None
    else:
        raise InvalidSetting(
            f"{name}: expected a number, not {type(value).__name__} {value!r} ({expected})"
        )
    if not math.isfinite(number):
        raise InvalidSetting(f"{name}: {value!r} is not a finite number ({expected})")
    if number < 0 or (number == 0 and not allow_zero) or number > maximum:
        raise InvalidSetting(f"{name}: {value!r} is out of range ({expected})")
    return number


def check_names(names: Iterable[str], known: Iterable[str], name: str, what: str) -> None:
    """Raise :class:`InvalidSetting` when *names* holds one not in *known*.

    *name* is the option or variable, *what* the kind of thing listed
    (``"namespace"``, ``"plugin"``); the message lists what is known, as
    ``--only`` does.
    """
    known_set = sorted(set(known))
    unknown: List[str] = [n for n in dict.fromkeys(names) if n not in known_set]
    if unknown:
        listed = ", ".join(repr(n) for n in unknown)
        raise InvalidSetting(
            f"{name}: no {what} named {listed} (known: {', '.join(known_set) or 'none'})"
        )
