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

__all__ = ["SCHEMA_VERSION", "main", "render_json", "render_text", "report_dict", "run_detection"]

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
    report.add_argument(
        "--lock",
        metavar="FILE",
        help="also write the supported properties to a lock file, for detection elsewhere",
    )
    add_detection_options(report)
    report.set_defaults(handler=_cmd_report)

    record = sub.add_parser("record", help="record this machine into DIR (fixture format)")
    record.add_argument("directory", metavar="DIR")
    record.add_argument(
        "--only", metavar="NS", nargs="+", action="extend", help="record only these namespaces"
    )
    record.add_argument("-v", "--verbose", action="store_true", help="debug log")
    record.add_argument("--timeout", type=_positive_float, metavar="S", help=_TIMEOUT_HELP)
    record.set_defaults(handler=_cmd_record, no_plugins=False, no_cache=True, refresh=False)

    new = sub.add_parser("new-provider", help="start a provider for a new vendor from the template")
    new.add_argument("name", metavar="NAME", help="the namespace, e.g. acme")
    new.add_argument("directory", metavar="DIR", help="where to create the project")
    new.set_defaults(handler=_cmd_new_provider)

    for extra in _EXTRA_COMMANDS:
        extra(sub)
    return parser


_TIMEOUT_HELP = "seconds any driver call, command or third-party provider may take (default 5)"


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def add_detection_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that detects shares (report, match, ...)."""
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--refresh", action="store_true", help="re-detect and rewrite the cache")
    parser.add_argument("--timeout", type=_positive_float, metavar="S", help=_TIMEOUT_HELP)
    parser.add_argument(
        "--no-plugins", action="store_true", help="load no third-party provider plugin"
    )
    parser.add_argument(
        "--use-lock",
        metavar="FILE",
        help="read supported properties from a lock file instead of the machine "
        "(same as VARIANT_PROVIDERS_LOCK=FILE)",
    )


# Sub-commands contributed by other modules: callables taking the subparsers
# object and adding a parser whose ``handler`` default takes the parsed args.
_EXTRA_COMMANDS: List[Callable[[Any], None]] = []


def _add_match(sub: Any) -> None:
    from .cli_match import add_match_parser

    add_match_parser(sub)


_EXTRA_COMMANDS.append(_add_match)


def load_system(machine: Optional[str]) -> Optional[System]:
    """The replayed machine of ``--machine DIR``, or ``None`` for this one."""
    if machine is None:
        return None
    from .replay import InvalidMachine, ReplaySystem

    try:
        return ReplaySystem(machine)
    except InvalidMachine as exc:
        raise UsageError(str(exc)) from None


def run_detection(args: argparse.Namespace, system: Optional[System] = None) -> Detection:
    """Detect with the options of *args* (``--only``, ``--no-cache``, ...)."""
    from .host import Host, UnknownNamespace, get_host
    from .lock import InvalidLock
    from .overrides import InvalidOverride

    if getattr(args, "no_plugins", False):
        host = Host(allow="none")
    elif getattr(args, "no_cache", False) or getattr(args, "refresh", False):
        host = Host(remember_entry_points=False)  # rescan the installed plugins too
    else:
        host = get_host()
    try:
        return host.detect(
            system,
            only=getattr(args, "only", None),
            cache=False if getattr(args, "no_cache", False) else None,
            refresh=getattr(args, "refresh", False),
            timeout=getattr(args, "timeout", None),
            lock=getattr(args, "use_lock", None),
        )
    except (UnknownNamespace, InvalidOverride, InvalidLock) as exc:
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
        "cache": {
            "enabled": detection.cache_dir is not None,
            "path": detection.cache_dir,
            "hits": detection.cache_hits,
        },
        "overrides": [dict(o) for o in detection.overrides],
        "plugins": [dict(p) for p in detection.plugins],
    }


def render_json(detection: Detection) -> str:
    """The ``report --json`` text: stable, versioned, keys sorted."""
    text: str = json.dumps(report_dict(detection), indent=2, sort_keys=True, ensure_ascii=True)
    return text


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m ago"
    return f"{seconds / 3600:.1f}h ago"


def _cache_text(detection: Detection) -> str:
    if detection.cache_dir is None:
        return "off"
    hits = detection.cache_hits
    total = sum(r.status != "disabled" for r in detection.providers)
    if hits == 0:
        return "miss"
    ages = [r.cache_age_s for r in detection.providers if r.cache_age_s is not None]
    oldest = _age(max(a for a in ages if a is not None))
    return f"hit, {oldest}" if hits == total else f"{hits}/{total} cached, oldest {oldest}"


def _sources(result: ProviderResult) -> str:
    if result.overridden and result.status == "override" and not result.info.get("source"):
        return ", ".join(dict.fromkeys(result.overridden.values()))
    info = result.info
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
        flag = "*" if feature.name in result.overridden else ""
        parts.append(f"{feature.name}{flag}={shown}")
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
    lines = [header + f" · cache: {_cache_text(detection)}", ""]
    rows = [["NAMESPACE", "STATUS", "TIME", "SOURCE", "DETECTED"]]
    for result in detection.providers:
        age = result.cache_age_s
        rows.append(
            [
                result.namespace,
                result.status,
                f"{result.duration_ms:.1f} ms" if age is None else f"cached {_age(age)}",
                _sources(result),
                _summary(result),
            ]
        )
    lines += _table(rows) if detection.providers else ["(no providers installed)"]
    lines.append("")
    properties = detection.properties
    if properties:
        lines.append("Supported properties (most preferred first within each feature):")
        flagged = {
            (r.namespace, feature): origin
            for r in detection.providers
            for feature, origin in r.overridden.items()
        }
        for prop in properties:
            origin = flagged.get((prop.namespace, prop.feature))
            lines.append(f"  {prop}" + (f"   [override: {origin}]" if origin else ""))
    else:
        lines.append("No supported properties: only the null variant and plain wheels match.")
    if detection.overrides:
        lines += ["", "Overrides in effect:"]
        for row in detection.overrides:
            if row.get("disabled"):
                lines.append(f"  {row['namespace']}: disabled  (set by {row['variable']})")
            else:
                values = ", ".join(row["values"]) or "(absent)"
                target = f"{row['namespace']} :: {row['feature']}"
                lines.append(f"  {target} = {values}  (set by {row['variable']})")
    if detection.plugins:
        lines += ["", "Third-party plugins:"]
        for plugin in detection.plugins:
            dist = f" from {plugin['distribution']}" if plugin.get("distribution") else ""
            lines.append(f"  {plugin['name']} ({plugin['value']}{dist}): {plugin['state']}")
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
    system = load_system(args.machine)
    detection = run_detection(args, system)
    out.write(render_json(detection) + "\n" if args.json else render_text(detection))
    if args.lock:
        from .lock import write_lock

        try:
            path = write_lock(detection, args.lock)
        except OSError as exc:
            raise UsageError(f"cannot write lock file {args.lock}: {exc.strerror or exc}") from None
        log.warning("wrote lock file %s", path)
    if args.verbose:
        _print_tracebacks(detection, sys.stderr)
    if args.strict and detection.failed:
        return 1
    return 0


def _cmd_record(args: argparse.Namespace, out: TextIO) -> int:
    from .replay import RecordingSystem
    from .system import LiveSystem

    recorder = RecordingSystem(LiveSystem(timeout=args.timeout))
    detection = run_detection(args, recorder)
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


def _cmd_new_provider(args: argparse.Namespace, out: TextIO) -> int:
    from .scaffold import NewProviderError, new_provider

    try:
        files = new_provider(args.name, args.directory)
    except NewProviderError as exc:
        raise UsageError(str(exc)) from None
    for path in files:
        out.write(f"created {path}\n")
    out.write(
        f"\nNext: cd {args.directory} && python -m pip install -e . pytest && python -m pytest\n"
    )
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
