"""``variant-providers match FILE``: which variant this machine gets, and why.

FILE is a ``variants.json`` (either format), a wheel's ``variant.json``, a
``*.dist-info`` folder or a ``.whl``.  The output lists the compatible labels
best first and every rejected label with its reason, wrapped to the
terminal's width, then hints such as "no variant is built for this GPU's
architecture".  ``--machine DIR`` replays a recorded machine instead of
detecting this one, so a bug report's "why did I get the CPU build?" can be
answered anywhere.

Exit codes: 0 answered (even when only ``null`` fits), 2 unreadable or invalid
input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, List, Optional, Sequence, TextIO

from .cli_options import (
    Args,
    UsageError,
    add_detection_options,
    add_output_options,
    load_system,
    prog_name,
    run_detection,
)
from .cli_parser import HelpFormatter
from .hints import match_hints
from .term import Terminal

__all__ = ["MATCH_SCHEMA_VERSION", "add_match_parser", "run_match"]

#: Version of the ``match --json`` document.  Bumped only on incompatible changes.
MATCH_SCHEMA_VERSION = 1


def add_match_parser(subparsers: Any, epilog: str = "") -> Any:
    """Add the ``match`` sub-command to an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "match",
        help="rank a package's variants on this machine and say why others do not fit",
        description="Which variant of a package would this machine get, and why? Lists the "
        "compatible variants best first and every rejected one with the property this "
        "machine lacks.",
        epilog=epilog,
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "file", metavar="FILE", help="variants.json, variant.json, a *.dist-info folder or a .whl"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
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
    add_output_options(parser)
    add_detection_options(parser)
    parser.set_defaults(handler=run_match)
    return parser


def _check_file(path: str) -> None:
    p = Path(path)
    if p.is_dir() and not p.name.endswith(".dist-info") and not (p / "variant.json").exists():
        raise UsageError(
            f"FILE: {path!r} is a directory; expected a variants.json, a variant.json, "
            "a *.dist-info folder or a .whl"
        )


def _check_forbidden(items: Sequence[str], known: Sequence[str]) -> None:
    """``--forbid`` must name a namespace that the file or this machine knows."""
    for item in items:
        namespace = item.split("::", 1)[0].strip()
        if namespace not in known:
            raise UsageError(
                f"--forbid: {item!r} names no namespace of the file or of this machine "
                f"(known: {', '.join(sorted(set(known)))})"
            )


def run_match(args: Args, out: Optional[TextIO] = None) -> int:
    """Run ``match`` for parsed *args*; returns the exit code (2: one line on stderr)."""
    try:
        return _match(args, sys.stdout if out is None else out)
    except UsageError as exc:
        sys.stderr.write(f"{prog_name()} match: error: {exc}\n")
        return 2


def _match(args: Args, out: TextIO) -> int:
    from .selection import select
    from .variants_json import VariantsJsonError, load_variants_json

    _check_file(args.file)
    try:
        vfile = load_variants_json(args.file)
    except VariantsJsonError as exc:
        raise UsageError(str(exc)) from None
    detection = run_detection(args, load_system(args.machine))
    file_namespaces = [p.namespace for props in vfile.variants.values() for p in props]
    _check_forbidden(args.forbid, [*file_namespaces, *vfile.providers, *detection])
    try:
        selection = select(
            vfile, detection, enable_optional=args.enable_optional, forbidden=args.forbid
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    hints = (
        match_hints(vfile.variants, selection.supported)
        if selection.best == selection.null_label
        else []
    )
    if args.json:
        data = {
            "schema_version": MATCH_SCHEMA_VERSION,
            "file": args.file,
            **selection.to_dict(),
            "hints": hints,
        }
        out.write(json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")
        return 0
    term = Terminal.for_stream(out, color=args.color)
    out.write(_render(args.file, vfile.variants, selection, hints, term))
    return 0


def _compact(props: Any) -> str:
    """``ns :: f :: a, b; ns :: g :: c`` - one entry per feature, values joined."""
    grouped: dict[str, list[str]] = {}
    for prop in props:
        grouped.setdefault(f"{prop.namespace} :: {prop.feature}", []).append(prop.value)
    return "; ".join(f"{key} :: {', '.join(values)}" for key, values in grouped.items())


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _render(path: str, variants: Any, selection: Any, hints: List[str], term: Terminal) -> str:
    lines = term.wrap(f"{path} (format v{selection.schema}): {_plural(len(variants), 'variant')}")
    best = selection.best
    if best == selection.null_label:
        lines += term.wrap(
            f"best: {best} (no variant fits this machine; the null variant or plain wheel)"
        )
    else:
        lines.append("best: " + term.paint(term.fit(best, term.width - 6), "ok"))
    lines.append("")
    lines.append(term.fit("compatible, best first:"))
    for index, label in enumerate(selection.ranked, 1):
        props = _compact(variants.get(label, ()))
        if label == selection.null_label:
            props = "no properties" + (
                "" if label in variants else "; not in the file: plain wheel"
            )
        lines += term.wrap(f"{index:>2}. {label}  ({props})", "  ", "      ")
    if selection.rejected:
        lines.append("")
        lines.append(term.fit("not compatible:"))
        width = min(max(len(label) for label in selection.rejected), term.width // 3)
        for label, reason in selection.rejected.items():
            lines += term.wrap(f"{label:<{width}}  {reason}", "  ", " " * (width + 4))
    if selection.providers:
        lines += ["", term.fit("answered by (the providers table):")]
        for namespace, source in selection.providers.items():
            lines += term.wrap(f"{namespace}: {source}", "  ", "    ")
    if hints:
        lines += ["", term.paint(term.fit("Hints:"), "hint")]
        for hint in hints:
            lines += term.wrap(hint, "  - ", "    ")
    return "\n".join(lines) + "\n"
