"""The argparse side of the command line: the help formatter and the parser class.

Imported only when a command line is parsed by argparse — every command
except a ``report`` made of on/off flags alone
(:func:`~variant_providers.cli_options.parse_flags`), so a cold
``report --json --no-cache`` never imports argparse.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, Optional

__all__ = ["HelpFormatter", "Parser"]


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


class Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (the usage block is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")
