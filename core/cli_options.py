"""Options and errors shared by the commands that detect (``report``, ``match`` …).

Every usage error — a bad path, number, environment value, an unknown name,
options that contradict each other — ends as one :class:`UsageError` line on
stderr and exit code 2, naming the option or variable, the bad value and
what is accepted.  This module turns the library's own exceptions into that
line, so each command does not have to know them all.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, List, Optional

from .host import Host, UnknownNamespace, get_host
from .lock import InvalidLock
from .overrides import InvalidOverride
from .settings import MAX_TIMEOUT, InvalidSetting, seconds
from .term import COLOR_CHOICES

if TYPE_CHECKING:
    from .host import Detection
    from .system import System

__all__ = [
    "TIMEOUT_HELP",
    "HelpFormatter",
    "UsageError",
    "add_detection_options",
    "add_output_options",
    "load_system",
    "namespaces",
    "prog_name",
    "run_detection",
    "timeout_seconds",
]


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


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil (bz2, lzma, ...).

    argparse builds a formatter for every argument it adds, and each one would
    import shutil for this.  Same rule: ``COLUMNS`` when a positive number, else
    the terminal on stdout, else 80.
    """
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that an ``examples:`` epilog keeps its lines."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: Optional[int] = None,
    ) -> None:
        width = _terminal_columns() - 2 if width is None else width  # as argparse computes it
        super().__init__(prog, indent_increment, max_help_position, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def timeout_seconds(text: str) -> float:
    """``--timeout``: a finite number of seconds in the documented range."""
    try:
        return seconds(text, "--timeout", maximum=MAX_TIMEOUT)
    except InvalidSetting as exc:
        # argparse prefixes "argument --timeout:"; keep the rest of the message.
        raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None


def namespaces(text: str) -> List[str]:
    """``--only a,b``: comma-separated namespaces (the option may be repeated)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected namespaces separated by commas, not {text!r}")
    return names


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """``-v`` and ``--color``, for every command that prints a report."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="the debug trail of every probe and tracebacks of failed providers, on stderr",
    )
    parser.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        default="auto",
        help="colour the statuses: auto (on a terminal, unless NO_COLOR is set), always, never",
    )


def add_detection_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that detects shares (report, match, ...)."""
    parser.add_argument(
        "--machine", metavar="DIR", help="replay a recorded machine instead of this one"
    )
    parser.add_argument(
        "--only",
        metavar="NS[,NS]",
        type=namespaces,
        action="extend",
        help="run only these namespaces (comma-separated, repeatable)",
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--refresh", action="store_true", help="re-detect and rewrite the cache")
    parser.add_argument("--timeout", type=timeout_seconds, metavar="S", help=TIMEOUT_HELP)
    parser.add_argument(
        "--no-plugins", action="store_true", help="load no third-party provider plugin"
    )
    parser.add_argument(
        "--use-lock",
        metavar="FILE",
        help="read supported properties from a lock file instead of the machine "
        "(same as VARIANT_PROVIDERS_LOCK=FILE)",
    )


def load_system(machine: Optional[str]) -> Optional[System]:
    """The replayed machine of ``--machine DIR``, or ``None`` for this one."""
    if machine is None:
        return None
    from .replay import InvalidMachine, ReplaySystem  # the replay machinery only for --machine

    try:
        return ReplaySystem(machine)
    except InvalidMachine as exc:
        raise UsageError(f"--machine: {exc}") from None


def run_detection(args: argparse.Namespace, system: Optional[System] = None) -> Detection:
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
