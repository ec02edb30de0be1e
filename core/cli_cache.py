"""``variant-providers cache dir | clear``: where the cache lives, and emptying it.

As ``uv cache dir`` / ``uv cache clean``: ``dir`` prints the directory (the
one ``VARIANT_PROVIDERS_CACHE_DIR`` sets, else the platform's per-user cache
directory); ``clear`` deletes the detection entries and the remembered
entry-point lists we wrote there — regular files of our own names only, never
through a symbolic link — so the next run detects afresh.
"""

from __future__ import annotations

import os
from typing import Any, TextIO

from .cache import CACHE_DIR_VAR, default_cache_dir
from .cli_options import Args, UsageError
from .cli_parser import HelpFormatter

__all__ = ["add_cache_parser", "clear_cache"]


def add_cache_parser(subparsers: Any, epilog: str = "") -> Any:
    """Add the ``cache`` sub-command to an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "cache",
        help="show or clear the detection cache",
        description="Show where detection answers are cached, or delete them.",
        epilog=epilog,
        formatter_class=HelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    actions.add_parser(
        "dir",
        help="print the cache directory",
        description="Print the cache directory.",
        formatter_class=HelpFormatter,
    )
    actions.add_parser(
        "clear",
        help="delete every cached answer and remembered entry-point list",
        description="Delete every cached answer and remembered entry-point list.",
        formatter_class=HelpFormatter,
    )
    parser.set_defaults(handler=_cmd_cache)
    return parser


def _ours(name: str) -> bool:
    """A file name the cache writes: entries, entry-point lists, temporary files."""
    return name.endswith(".json") or name.startswith(".")


def clear_cache(root: str | os.PathLike[str]) -> int:
    """Delete our files under *root*'s format directories; how many were deleted."""
    removed = 0
    try:
        formats = [
            e
            for e in os.scandir(root)
            if e.name.startswith("v") and e.is_dir(follow_symlinks=False)
        ]
    except FileNotFoundError:
        return 0
    for folder in formats:
        with os.scandir(folder.path) as entries:
            for entry in entries:
                if _ours(entry.name) and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                    removed += 1
        try:
            os.rmdir(folder.path)
        except OSError:
            pass  # something else lives there: leave it
    return removed


def _cmd_cache(args: Args, out: TextIO) -> int:
    root = default_cache_dir(os.environ)
    if root is None:
        raise UsageError(f"no cache directory: set {CACHE_DIR_VAR} or HOME")
    if args.action == "dir":
        out.write(f"{root}\n")
        return 0
    try:
        removed = clear_cache(root)
    except OSError as exc:
        raise UsageError(f"cannot clear {str(root)!r}: {exc.strerror or exc}") from None
    out.write(f"removed {removed} file{'' if removed == 1 else 's'} from {root}\n")
    return 0
