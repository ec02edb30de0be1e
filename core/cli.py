"""Command line: ``python -m variant_providers report | record``.

``report`` answers "what does this machine support, and why?" — the question
behind every "why did I get the CPU build?".  ``record`` saves the machine in
the fixture format so it can be attached to a bug report and replayed
anywhere with ``report --machine DIR``.

Only the report goes to stdout.  Diagnostics go to stderr through
:mod:`logging`; tracebacks of failed providers appear only with ``-v``.
Exit codes: 0 report produced (failed providers are data), 1 with
``--strict`` when a provider failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, TextIO

from . import __version__

if TYPE_CHECKING:
    from .host import Detection, ProviderResult
    from .system import System

__all__ = ["SCHEMA_VERSION", "main", "render_json", "render_text", "report_dict"]

#: Version of the ``report --json`` document.  Bumped only on incompatible changes.
SCHEMA_VERSION = 1

log = logging.getLogger("variant_providers")


class UsageError(Exception):
    """Bad arguments detected after parsing (exit code 2)."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m variant_providers",
        description="Report the wheel-variant properties this machine supports.",
    )
    parser.add_argument("--version", action="version", version=f"variant-providers {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    report = sub.add_parser("report", help="show what this machine supports and why")
    report.add_argument("--json", action="store_true", help="machine-readable output")
    report.add_argument(
        "--machine", metavar="DIR", help="replay a recorded machine instead of this one"
    )
    report.add_argument(
        "--only", metavar="NS", nargs="+", action="extend", help="run only these namespaces"
    )
    report.add_argument(
        "--strict", action="store_true", help="exit 1 when any provider failed or timed out"
    )
    report.add_argument("-v", "--verbose", action="store_true", help="tracebacks and debug log")
    report.set_defaults(handler=_cmd_report)

    record = sub.add_parser("record", help="record this machine into DIR (fixture format)")
    record.add_argument("directory", metavar="DIR")
    record.add_argument(
        "--only", metavar="NS", nargs="+", action="extend", help="record only these namespaces"
    )
    record.add_argument("-v", "--verbose", action="store_true", help="debug log")
    record.set_defaults(handler=_cmd_record)

    for extra in _EXTRA_COMMANDS:
        extra(sub)
    return parser


# Sub-commands contributed by other modules: callables taking the subparsers
# object and adding a parser whose ``handler`` default takes the parsed args.
_EXTRA_COMMANDS: List[Callable[[Any], None]] = []


def _load_system(machine: Optional[str]) -> Optional[System]:
    if machine is None:
        return None
    from .replay import InvalidMachine, ReplaySystem

    try:
        return ReplaySystem(machine)
    except InvalidMachine as exc:
        raise UsageError(str(exc)) from None


def _run_detection(system: Optional[System], only: Optional[Sequence[str]]) -> Detection:
    from .host import UnknownNamespace, detect

    try:
        return detect(system, only=only)
    except UnknownNamespace as exc:
        raise UsageError(str(exc)) from None


def report_dict(detection: Detection) -> Dict[str, Any]:
    """The ``report --json`` document for *detection*."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "variant-providers", "version": __version__},
        "host": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "machine": {
            "source": detection.source,
            "platform": detection.platform.to_dict() if detection.platform else None,
        },
        "duration_ms": round(detection.duration_ms, 3),
        "properties": [str(p) for p in detection.properties],
        "providers": [r.to_dict() for r in detection.providers],
    }


def render_json(detection: Detection) -> str:
    """The ``report --json`` text: stable, versioned, keys sorted."""
    text: str = json.dumps(report_dict(detection), indent=2, sort_keys=True, ensure_ascii=True)
    return text


def _sources(info: Any) -> str:
    source = info.get("source") if isinstance(info, dict) else None
    if isinstance(source, dict):
        values = list(dict.fromkeys(str(v) for v in source.values()))
    elif source:
        values = [str(source)]
    else:
        values = []
    return ", ".join(values) or "-"


def _summary(result: ProviderResult) -> str:
    if result.status in ("error", "timeout"):
        return result.error or result.reason or result.status
    if not result.features:
        return result.reason or "-"
    parts = []
    for feature in result.features:
        values = feature.values
        shown = ",".join(values[:3]) + (f",…(+{len(values) - 3})" if len(values) > 3 else "")
        parts.append(f"{feature.name}={shown}")
    if len(parts) > 4:
        parts = [*parts[:4], f"…(+{len(parts) - 4} features)"]
    return "; ".join(parts)


def _table(rows: List[List[str]]) -> List[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return lines


def render_text(detection: Detection) -> str:
    """The human report: header, one row per provider, then the properties."""
    plat = detection.platform
    where = f"{plat.system.lower()}-{plat.machine}" if plat else "unknown platform"
    header = (
        f"variant-providers {__version__} · {platform.python_implementation()} "
        f"{platform.python_version()} · {where} · "
        f"machine: {detection.source} · {detection.duration_ms:.1f} ms"
    )
    lines = [header, ""]
    rows = [["NAMESPACE", "STATUS", "TIME", "SOURCE", "DETECTED"]]
    for result in detection.providers:
        rows.append(
            [
                result.namespace,
                result.status,
                f"{result.duration_ms:.1f} ms",
                _sources(result.info),
                _summary(result),
            ]
        )
    lines += _table(rows) if detection.providers else ["(no providers installed)"]
    lines.append("")
    properties = detection.properties
    if properties:
        lines.append("Supported properties (most preferred first within each feature):")
        lines += [f"  {p}" for p in properties]
    else:
        lines.append("No supported properties: only the null variant and plain wheels match.")
    failed = detection.failed
    if failed:
        names = ", ".join(r.namespace for r in failed)
        lines += [
            "",
            f"{len(failed)} provider(s) failed ({names}); the others are unaffected. "
            "Re-run with -v for details, --strict to make this an error.",
        ]
    return "\n".join(lines) + "\n"


def _print_tracebacks(detection: Detection, stream: TextIO) -> None:
    for result in detection.providers:
        if result.traceback:
            stream.write(f"--- {result.namespace} ({result.plugin}) ---\n{result.traceback}\n")


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    system = _load_system(args.machine)
    detection = _run_detection(system, args.only)
    out.write(render_json(detection) + "\n" if args.json else render_text(detection))
    if args.verbose:
        _print_tracebacks(detection, sys.stderr)
    if args.strict and detection.failed:
        return 1
    return 0


def _cmd_record(args: argparse.Namespace, out: TextIO) -> int:
    from .replay import RecordingSystem
    from .system import LiveSystem

    recorder = RecordingSystem(LiveSystem())
    detection = _run_detection(recorder, args.only)
    reported = {
        "tool_version": __version__,
        "properties": [str(p) for p in detection.properties],
        "status": {r.namespace: r.status for r in detection.providers},
    }
    path = recorder.save(
        args.directory,
        description="recorded with `python -m variant_providers record`",
        provenance={"source": "recorded", "redacted": True},
        reported=reported,
    )
    out.write(render_text(detection))
    log.warning("recorded this machine into %s; replay with: report --machine %s", path, path)
    return 0


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None) -> int:
    """Entry point; returns the exit code."""
    stream = sys.stdout if out is None else out
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        format="%(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        code: int = args.handler(args, stream)
    except UsageError as exc:
        sys.stderr.write(f"{parser.prog}: error: {exc}\n")
        return 2
    return code
