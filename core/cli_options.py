"""Options and errors shared by the commands that detect (``report``, ``match`` …).

Every usage error — a bad path, number, environment value, an unknown name,
options that contradict each other — ends as one :class:`UsageError` line on
stderr and exit code 2, naming the option or variable, the bad value and
what is accepted.  This module turns the library's own exceptions into that
line, so each command does not have to know them all.
"""

from __future__ import annotations

import os
import sys
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
)

from .host import Host, UnknownNamespace, get_host
from .lock import InvalidLock
from .overrides import InvalidOverride
from .settings import MAX_TIMEOUT, InvalidSetting, seconds
from .term import COLOR_CHOICES

if TYPE_CHECKING:
    from .host import Detection
    from .system import System

__all__ = [
    "DETECTION_OPTIONS",
    "OUTPUT_OPTIONS",
    "TIMEOUT_HELP",
    "Args",
    "Option",
    "UsageError",
    "add_detection_options",
    "add_output_options",
    "load_system",
    "namespaces",
    "parse_flags",
    "prog_name",
    "run_detection",
    "timeout_seconds",
]

#: A parsed command line: an ``argparse.Namespace``, or the same attributes
#: from :func:`parse_flags` (argparse types every attribute as ``Any`` too).
Args = Any


def prog_name(argv0: Optional[str] = None) -> str:
    """``variant-providers`` for the console script, ``python -m …`` for ``-m``."""
    name = os.path.basename(sys.argv[0] if argv0 is None else argv0)
    if name in ("__main__.py", "", "-c") or name.startswith("python"):
        return "python -m variant_providers"
    return name.removesuffix(".exe")


class UsageError(Exception):
    """Bad arguments or settings detected after parsing (exit code 2)."""


TIMEOUT_HELP = (
    "seconds the whole detection may take, shared by every driver call, command and "
    f"third-party provider: a number > 0 and <= {MAX_TIMEOUT:g} "
    "(default 5, or VARIANT_PROVIDERS_TIMEOUT)"
)


def timeout_seconds(text: str) -> float:
    """``--timeout``: a finite number of seconds in the documented range."""
    try:
        return seconds(text, "--timeout", maximum=MAX_TIMEOUT)
    except InvalidSetting as exc:
        from argparse import ArgumentTypeError  # parsing is argparse's once a value is bad

        # argparse prefixes "argument --timeout:"; keep the rest of the message.
        raise ArgumentTypeError(str(exc).split(": ", 1)[1]) from None


def namespaces(text: str) -> List[str]:
    """``--only a,b``: comma-separated namespaces (the option may be repeated)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        from argparse import ArgumentTypeError

        raise ArgumentTypeError(f"expected namespaces separated by commas, not {text!r}")
    return names


class Option(NamedTuple):
    """One command-line option, declared once: argparse adds it, :func:`parse_flags` reads it."""

    flags: Tuple[str, ...]
    help: str
    #: ``store_true``, ``store`` (one value) or ``extend`` (values, repeatable).
    action: str = "store"
    metavar: Optional[str] = None
    type: Optional[Callable[[str], Any]] = None
    choices: Optional[Sequence[str]] = None
    default: Any = None

    @property
    def dest(self) -> str:
        """The attribute name argparse gives it: the first long flag, ``-`` as ``_``."""
        longs = [f for f in self.flags if f.startswith("--")]
        return (longs or list(self.flags))[0].lstrip("-").replace("-", "_")

    def add_to(self, parser: Any) -> None:
        """``parser.add_argument`` with this option's declaration."""
        keywords: Dict[str, Any] = {"help": self.help, "action": self.action}
        if self.action != "store_true":
            keywords.update(metavar=self.metavar, type=self.type)
            if self.choices is not None:
                keywords.update(choices=self.choices, metavar=None)
        if self.default is not None:
            keywords["default"] = self.default
        parser.add_argument(*self.flags, **keywords)


#: ``-v`` and ``--color``, for every command that prints a report.
OUTPUT_OPTIONS = (
    Option(
        ("-v", "--verbose"),
        "the debug trail of every probe and tracebacks of failed providers, on stderr",
        action="store_true",
    ),
    Option(
        ("--color",),
        "colour the statuses: auto (on a terminal, unless NO_COLOR is set), always, never",
        choices=COLOR_CHOICES,
        default="auto",
    ),
)

#: The options every command that detects shares (report, match, ...).
DETECTION_OPTIONS = (
    Option(("--machine",), "replay a recorded machine instead of this one", metavar="DIR"),
    Option(
        ("--only",),
        "run only these namespaces (comma-separated, repeatable)",
        action="extend",
        metavar="NS[,NS]",
        type=namespaces,
    ),
    Option(("--no-cache",), "neither read nor write the cache", action="store_true"),
    Option(("--refresh",), "re-detect and rewrite the cache", action="store_true"),
    Option(("--timeout",), TIMEOUT_HELP, metavar="S", type=timeout_seconds),
    Option(("--no-plugins",), "load no third-party provider plugin", action="store_true"),
    Option(
        ("--use-lock",),
        "read supported properties from a lock file instead of the machine "
        "(same as VARIANT_PROVIDERS_LOCK=FILE)",
        metavar="FILE",
    ),
)


def add_output_options(parser: Any) -> None:
    """Add :data:`OUTPUT_OPTIONS` to an argparse parser."""
    for option in OUTPUT_OPTIONS:
        option.add_to(parser)


def add_detection_options(parser: Any) -> None:
    """Add :data:`DETECTION_OPTIONS` to an argparse parser."""
    for option in DETECTION_OPTIONS:
        option.add_to(parser)


def parse_flags(options: Sequence[Option], argv: Sequence[str]) -> Optional[Dict[str, Any]]:
    """What argparse would parse from *argv*, when *argv* holds only exact on/off flags.

    The cold ``report --json --no-cache`` an installer runs needs no
    argparse (its import and a parser of every command cost about a tenth
    of that run).  For a command line made only of *options*' ``store_true`` flags,
    spelled in full, argparse's answer is plain: each given flag ``True``,
    every other option its default.  Anything else — a value, an
    abbreviation, ``-h``, ``--``, a typo — returns ``None``, and argparse
    parses it (and words its errors).
    """
    flags = {f: o for o in options if o.action == "store_true" for f in o.flags}
    values: Dict[str, Any] = {
        o.dest: False if o.action == "store_true" else o.default for o in options
    }
    for token in argv:
        option = flags.get(token)
        if option is None:
            return None
        values[option.dest] = True
    return values


def load_system(machine: Optional[str]) -> Optional[System]:
    """The replayed machine of ``--machine DIR``, or ``None`` for this one."""
    if machine is None:
        return None
    from .replay import InvalidMachine, ReplaySystem  # the replay machinery only for --machine

    try:
        return ReplaySystem(machine)
    except InvalidMachine as exc:
        raise UsageError(f"--machine: {exc}") from None


def run_detection(args: Args, system: Optional[System] = None) -> Detection:
    """Detect with the options of *args* (``--only``, ``--no-cache``, ...)."""
    if getattr(args, "use_lock", None) and getattr(args, "machine", None):
        raise UsageError(
            "--use-lock and --machine both say which machine to describe; give one of them"
        )
    try:
        if getattr(args, "no_plugins", False):
            host = Host(allow="none", allow_origin="--no-plugins")
        elif getattr(args, "no_cache", False) or getattr(args, "refresh", False):
            host = Host(remember_entry_points=False)  # rescan the installed plugins too
        else:
            host = get_host()
        return host.detect(
            system,
            only=getattr(args, "only", None),
            cache=False if getattr(args, "no_cache", False) else None,
            refresh=getattr(args, "refresh", False),
            timeout=getattr(args, "timeout", None),
            lock=getattr(args, "use_lock", None),
        )
    except UnknownNamespace as exc:
        raise UsageError(f"--only: {exc}") from None
    except InvalidLock as exc:
        where = "--use-lock" if getattr(args, "use_lock", None) else "VARIANT_PROVIDERS_LOCK"
        raise UsageError(f"{where}: {exc}") from None
    except (InvalidOverride, InvalidSetting) as exc:
        raise UsageError(str(exc)) from None
