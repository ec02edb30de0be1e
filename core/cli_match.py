"""``python -m variant_providers match FILE``: which variant this machine gets, and why.

FILE is a ``variants.json`` (either format), a wheel's ``variant.json``, a
``*.dist-info`` folder or a ``.whl``.  The output lists the compatible labels
best first and every rejected label with its reason.  ``--machine DIR``
replays a recorded machine instead of detecting this one, so a bug report's
"why did I get the CPU build?" can be answered anywhere.

Exit codes: 0 answered (even when only ``null`` fits), 2 unreadable or invalid
input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Optional, TextIO

__all__ = ["add_match_parser", "run_match"]


def add_match_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``match`` sub-command to an ``argparse`` subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "match",
        help="rank a package's variants on this machine and say why others do not fit",
        description="Which variant of a package would this machine get, and why?",
    )
    parser.add_argument(
        "file", metavar="FILE", help="variants.json, variant.json, a *.dist-info folder or a .whl"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--machine", metavar="DIR", help="replay a recorded machine instead of this one"
    )
    parser.add_argument(
        "--enable-optional",
        metavar="NS",
        action="append",
        default=[],
        help="use this optional provider (repeatable)",
    )
    parser.add_argument(
        "--forbid",
        metavar="ITEM",
        action="append",
        default=[],
        help="forbid a namespace, 'ns :: feature' or 'ns :: feature :: value' (repeatable)",
    )
    from .cli import add_detection_options

    add_detection_options(parser)
    parser.set_defaults(handler=run_match)
    return parser


def _error(message: str) -> int:
    sys.stderr.write(f"match: error: {message}\n")
    return 2


def run_match(args: argparse.Namespace, out: Optional[TextIO] = None) -> int:
    """Run ``match`` for parsed *args*; returns the exit code."""
    stream = sys.stdout if out is None else out
    from .selection import select
    from .variants_json import VariantsJsonError, load_variants_json

    try:
        vfile = load_variants_json(args.file)
    except VariantsJsonError as exc:
        return _error(str(exc))

    from .cli import UsageError, load_system, run_detection

    try:
        detection = run_detection(args, load_system(args.machine))
    except UsageError as exc:
        return _error(str(exc))

    try:
        selection = select(
            vfile,
            detection,
            enable_optional=args.enable_optional,
            forbidden=args.forbid,
        )
    except ValueError as exc:
        return _error(str(exc))

    if args.json:
        data = {"file": args.file, **selection.to_dict()}
        stream.write(json.dumps(data, indent=2) + "\n")
        return 0
    stream.write(_render(args.file, vfile.variants, selection))
    return 0


def _compact(props: Any) -> str:
    """``ns :: f :: a, b; ns :: g :: c`` - one entry per feature, values joined."""
    grouped: dict[str, list[str]] = {}
    for prop in props:
        grouped.setdefault(f"{prop.namespace} :: {prop.feature}", []).append(prop.value)
    return "; ".join(f"{key} :: {', '.join(values)}" for key, values in grouped.items())


def _render(path: str, variants: Any, selection: Any) -> str:
    lines = [f"{path} (format v{selection.schema}): {len(variants)} variants"]
    best = selection.best
    if best == selection.null_label:
        lines.append(
            f"best: {best} (no variant fits this machine; the null variant or plain wheel)"
        )
    else:
        lines.append(f"best: {best}")
    lines.append("")
    lines.append("compatible, best first:")
    for index, label in enumerate(selection.ranked, 1):
        props = _compact(variants.get(label, ()))
        if label == selection.null_label:
            props = "no properties" + (
                "" if label in variants else "; not in the file: plain wheel"
            )
        lines.append(f"  {index:>2}. {label}  ({props})")
    if selection.rejected:
        lines.append("")
        lines.append("not compatible:")
        width = max(len(label) for label in selection.rejected)
        for label, reason in selection.rejected.items():
            lines.append(f"  {label:<{width}}  {reason}")
    return "\n".join(lines) + "\n"
