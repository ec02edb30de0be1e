"""Command line: ``variant-providers report | match | record | new-provider | cache``.

``report`` answers "what does this machine support, and why?" — the question
behind every "why did I get the CPU build?".  ``record`` saves the machine in
the fixture format so it can be attached to a bug report and replayed
anywhere with ``report --machine DIR``.

Only the report goes to stdout.  Diagnostics go to stderr through
:mod:`logging` (imported only when a message is shown: :mod:`.lazy_log`);
the probes' debug trail and tracebacks of failed providers appear only with
``-v``.  Exit codes: 0 report produced (failed providers
are data), 1 with ``--strict`` when a provider failed, 2 usage error — one
line naming the option or variable, the bad value and what is accepted.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, TextIO, Tuple

from . import __version__, lazy_log
from .cli_options import (
    DETECTION_OPTIONS,
    OUTPUT_OPTIONS,
    TIMEOUT_HELP,
    Args,
    Option,
    UsageError,
    load_system,
    namespaces,
    parse_flags,
    prog_name,
    run_detection,
    timeout_seconds,
)
from .cli_report import SCHEMA_VERSION, render_json, render_text, report_dict
from .lock import write_lock
from .settings import InvalidSetting
from .system import LiveSystem
from .term import Terminal
from .trace import set_status_stream
from .warm_record import WarmRecorder

if TYPE_CHECKING:
    from pathlib import Path

    from .host import Detection

__all__ = [
    "SCHEMA_VERSION",
    "UsageError",
    "main",
    "render_json",
    "render_text",
    "report_dict",
    "run_detection",
]

log = lazy_log.getLogger("variant_providers")


#: ``report``'s options, in the order its ``--help`` lists them.
REPORT_OPTIONS: Tuple[Option, ...] = (
    Option(("--json",), "machine-readable output", action="store_true"),
    Option(("--strict",), "exit 1 when any provider failed or timed out", action="store_true"),
    Option(
        ("--lock",),
        "also write the supported properties to a lock file, for detection elsewhere",
        metavar="FILE",
    ),
    *OUTPUT_OPTIONS,
    *DETECTION_OPTIONS,
)


def _examples(prog: str, *lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {prog} {line}" for line in lines)


def _sub(sub: Any, name: str, help_text: str, description: str, epilog: str) -> Any:
    from .cli_parser import HelpFormatter

    return sub.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=epilog,
        formatter_class=HelpFormatter,
    )


def _build_parser(prog: str) -> Any:
    from .cli_parser import HelpFormatter, Parser  # argparse: not for a flags-only report

    parser = Parser(
        prog=prog,
        description="Report the wheel-variant properties this machine supports, and rank "
        "a package's variants on it.",
        epilog=_examples(prog, "report", "match torch-2.8.0-variants.json", "cache dir"),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"variant-providers {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    report = _sub(
        sub,
        "report",
        "show what this machine supports and why",
        "Detect this machine (or a recorded one) and show, per provider, what it found, "
        "where from and how long it took, then the supported properties, most preferred "
        "first.",
        _examples(
            prog,
            "report",
            "report --json --only nvidia,x86_64",
            "report --machine fixtures/machines/nvidia-h100-sxm-570",
            "report --lock gpu-node.lock.json",
        ),
    )
    for option in REPORT_OPTIONS:
        option.add_to(report)
    report.set_defaults(handler=_cmd_report)

    record = _sub(
        sub,
        "record",
        "record this machine into DIR (fixture format)",
        "Save everything the providers read on this machine (files, listings, the "
        "environment variables they asked for, command output, native answers; serial "
        "numbers and UUIDs redacted) into a new directory, to attach to a bug report.",
        _examples(prog, "record my-machine", "report --machine my-machine"),
    )
    record.add_argument("directory", metavar="DIR", help="a new or empty directory")
    record.add_argument(
        "--only",
        metavar="NS[,NS]",
        type=namespaces,
        action="extend",
        help="record only these namespaces (comma-separated, repeatable)",
    )
    record.add_argument("-v", "--verbose", action="store_true", help="debug trail on stderr")
    record.add_argument("--timeout", type=timeout_seconds, metavar="S", help=TIMEOUT_HELP)
    record.set_defaults(handler=_cmd_record, no_plugins=False, no_cache=True, refresh=False)

    new = _sub(
        sub,
        "new-provider",
        "start a provider for a new vendor from the template",
        "Create a project for a third-party provider: package, entry points, tests and "
        "recorded machines, README, .gitignore and a CI example.",
        _examples(prog, "new-provider tensorchip ./tensorchip-variant-provider"),
    )
    new.add_argument("name", metavar="NAME", help="the namespace, e.g. acme")
    new.add_argument("directory", metavar="DIR", help="where to create the project")
    new.set_defaults(handler=_cmd_new_provider)

    for extra in _EXTRA_COMMANDS:
        extra(sub, prog)
    return parser


def _add_match(sub: Any, prog: str) -> None:
    from .cli_match import add_match_parser  # the selection machinery only for a parser of all

    add_match_parser(sub, _examples(prog, "match torch-2.8.0-variants.json", "match --json x.whl"))


def _add_cache(sub: Any, prog: str) -> None:
    from .cli_cache import add_cache_parser

    add_cache_parser(sub, _examples(prog, "cache dir", "cache clear"))


# Sub-commands contributed by other modules: callables taking the subparsers
# object and the program name and adding a parser whose ``handler`` default
# takes the parsed args.
_EXTRA_COMMANDS: List[Callable[[Any, str], None]] = [_add_match, _add_cache]


def _explain(detection: Detection) -> None:
    """The debug trail's summary: where each answer came from, and failures' tracebacks."""
    for result in detection.providers:
        if result.cache_age_s is not None:
            log.debug(
                "%s: cached answer (%.0f s old), no probe ran", result.namespace, result.cache_age_s
            )
        detail = result.error or result.reason
        log.debug(
            "%s: %s in %.1f ms%s",
            result.namespace,
            result.status,
            result.duration_ms,
            f": {detail}" if detail else "",
        )
        if result.traceback:
            sys.stderr.write(f"--- {result.namespace} ({result.plugin}) ---\n{result.traceback}\n")


def _cmd_report(args: Args, out: TextIO) -> int:
    recorder = WarmRecorder.for_args(args, args.argv)
    system = recorder.system if recorder is not None else load_system(args.machine)
    detection = run_detection(args, system)
    if args.lock:
        try:
            path = write_lock(detection, args.lock)
        except (OSError, ValueError) as exc:
            raise UsageError(f"--lock: cannot write {args.lock!r}: {_why(exc)}") from None
    if args.verbose:
        _explain(detection)
    if args.json:
        out.write(render_json(detection) + "\n")
    else:
        term = Terminal.for_stream(out, color=args.color)
        out.write(render_text(detection, term, verbose=args.verbose, strict=args.strict))
    if args.lock:
        log.warning("wrote lock file %s", path)
    code = 1 if args.strict and detection.failed else 0
    if recorder is not None:
        recorder.remember(detection, report_dict(detection), code)
    return code


def _why(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc)


def new_directory(path: str, what: str) -> Path:
    """*path* as an empty directory we may write into, or a :class:`UsageError`."""
    from pathlib import Path  # only `record` creates a directory

    if not path.strip():
        raise UsageError(f"{what}: an empty path; give a new directory")
    target = Path(path)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UsageError(f"{what}: {path!r} exists and is not a directory; give a new directory")
    try:
        if target.is_dir() and any(target.iterdir()):
            raise UsageError(f"{what}: {path!r} is not empty; give a new or empty directory")
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{what}: cannot create {path!r}: {_why(exc)}") from None
    return target


def _cmd_record(args: Args, out: TextIO) -> int:
    created = not os.path.exists(args.directory)
    new_directory(args.directory, "record DIR")
    from .replay import RecordingSystem  # the recording machinery only for `record`

    try:
        recorder = RecordingSystem(LiveSystem(timeout=args.timeout))
        detection = run_detection(args, recorder)
    except (InvalidSetting, UsageError) as exc:
        if created:  # leave nothing behind for a run that did not record
            os.rmdir(args.directory)
        raise UsageError(str(exc)) from None
    reported = {
        "tool_version": __version__,
        "properties": [str(p) for p in detection.properties],
        "status": {r.namespace: r.status for r in detection.providers},
    }
    try:
        path = recorder.save(
            args.directory,
            description="recorded with `variant-providers record`",
            provenance={"source": "recorded", "redacted": True},
            reported=reported,
        )
    except (OSError, ValueError) as exc:
        raise UsageError(f"record DIR: cannot write into {args.directory!r}: {_why(exc)}") from None
    out.write(render_text(detection, Terminal.for_stream(out)))
    log.warning("recorded this machine into %s; replay with: report --machine %s", path, path)
    return 0


def _cmd_new_provider(args: Args, out: TextIO) -> int:
    from .scaffold import NewProviderError, install_hint, new_provider  # only for new-provider

    try:
        files = new_provider(args.name, args.directory)
    except NewProviderError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(
            f"new-provider DIR: cannot write {args.directory!r}: {_why(exc)}"
        ) from None
    for path in files:
        out.write(f"created {path}\n")
    out.write(f"\nNext:\n  cd {args.directory}\n")
    for line in install_hint():
        out.write(f"  {line}\n")
    return 0


def _prepare_streams(out: TextIO) -> None:
    """Never crash on a character the console cannot encode (``PYTHONIOENCODING=ascii``)."""
    for stream in {id(s): s for s in (out, sys.stderr)}.values():
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and Terminal.for_stream(stream).ascii:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


def _parse(prog: str, argv: List[str]) -> Args:
    """The parsed command line: :func:`parse_flags` for a flags-only ``report``, else argparse."""
    if argv[:1] == ["report"]:
        flags = parse_flags(REPORT_OPTIONS, argv[1:])
        if flags is not None:
            return SimpleNamespace(command="report", handler=_cmd_report, **flags)
    return _build_parser(prog).parse_args(argv)


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None) -> int:
    """Entry point; returns the exit code."""
    stream = sys.stdout if out is None else out
    prog = prog_name()
    given = list(sys.argv[1:] if argv is None else argv)
    args = _parse(prog, given)
    args.argv = given
    verbose = bool(getattr(args, "verbose", False))
    lazy_log.configure(verbose, format="%(name)s: %(message)s", stream=sys.stderr, force=True)
    _prepare_streams(stream)

    set_status_stream(sys.stderr if _is_terminal(sys.stderr) and not verbose else None)
    try:
        code: int = args.handler(args, stream)
    except UsageError as exc:
        sys.stderr.write(f"{prog} {args.command}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if verbose:
            raise
        sys.stderr.write(
            f"{prog} {args.command}: error: {type(exc).__name__}: {exc} "
            "(re-run with -v for the traceback)\n"
        )
        return 1
    finally:
        set_status_stream(None)
    return code


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
