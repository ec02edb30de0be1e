"""The ``report`` output: the JSON document and the human page.

The human page fits the terminal (see :mod:`variant_providers.term`): the
header wraps at its `` · `` separators, the table's last column wraps under
itself, everything else is wrapped or cut with an ellipsis, so no line is
wider than the width in force.  Colour marks the statuses only.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from . import __version__
from .context import machine_context
from .hints import report_hints
from .term import Terminal
from .warm import dumps_report

if TYPE_CHECKING:
    from .records import Detection, ProviderResult

__all__ = ["SCHEMA_VERSION", "pack", "render_json", "render_text", "report_dict"]

#: Version of the ``report --json`` document.  Bumped only on incompatible changes.
SCHEMA_VERSION = 1


#: ``platform.python_implementation()``'s names, without importing platform.
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy"}


def _implementation() -> str:
    """``platform.python_implementation()``; platform itself only for a rarer interpreter."""
    name = _IMPLEMENTATIONS.get(sys.implementation.name)
    if name is None:
        import platform

        name = platform.python_implementation()
    return name


def _python_version() -> str:
    """``platform.python_version()``: the version word of ``sys.version`` ("3.13.0rc1")."""
    return sys.version.split()[0]


def report_dict(detection: Detection) -> Dict[str, Any]:
    """The ``report --json`` document for *detection*."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "variant-providers", "version": __version__},
        "host": {
            "python": _python_version(),
            "implementation": _implementation(),
        },
        "machine": {
            "source": detection.source,
            "platform": detection.platform.to_dict() if detection.platform else None,
        },
        "context": machine_context(detection),
        "duration_ms": round(detection.duration_ms, 3),
        "properties": [str(p) for p in detection.properties],
        "providers": [r.to_dict() for r in detection.providers],
        "shadowed": [r.to_dict() for r in detection.shadowed],
        "cache": {
            "enabled": detection.cache_dir is not None,
            "path": detection.cache_dir,
            "hits": detection.cache_hits,
        },
        "overrides": [dict(o) for o in detection.overrides],
        "plugins": [dict(p) for p in detection.plugins],
        "hints": report_hints(detection),
    }


def render_json(detection: Detection) -> str:
    """The ``report --json`` text: stable, versioned, keys sorted."""
    return dumps_report(report_dict(detection))


def age_text(seconds: float) -> str:
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
    oldest = age_text(max(a for a in ages if a is not None))
    return f"hit, {oldest}" if hits == total else f"{hits}/{total} cached, oldest {oldest}"


def _sources(result: ProviderResult) -> str:
    return ", ".join(result.sources()) or "-"


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


def pack(parts: Sequence[str], term: Terminal) -> List[str]:
    """*parts* joined by `` · ``, starting a new line where the next would not fit."""
    lines: List[str] = []
    current = ""
    for part in (term.plain(p) for p in parts):
        candidate = f"{current}{term.dot}{part}" if current else part
        if len(candidate) <= term.width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if len(part) > term.width:  # a long path: wrapped, never cut
            import textwrap  # text output only

            *full, current = textwrap.wrap(part, term.width, break_on_hyphens=False) or [""]
            lines += full
        else:
            current = part
    if current:
        lines.append(current)
    return lines


def _table(rows: List[List[str]], styles: List[str], term: Terminal) -> List[str]:
    """Columns padded to their widest cell; the last one wraps under itself."""
    rows = [[term.plain(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    # A long SOURCE must not push DETECTED off the screen: cap it at a third of the width.
    widths[-1] = min(widths[-1], max(6, term.width // 3))
    start = sum(widths) + 2 * len(widths)
    room = term.width - start
    lines = []
    for row, style in zip(rows, styles):
        cells = [term.fit(cell, width).ljust(width) for cell, width in zip(row, widths)]
        below: List[str] = []
        if room >= 16:
            pieces = _rewrap(row[-1], room, term)
        else:  # too narrow for a column: the text goes under the row
            pieces = [""]
            below = term.wrap(row[-1], "    ")[:4] if row[-1] else []
        first = "  ".join([*cells, pieces[0]]).rstrip()
        first = term.fit(first)
        if style:
            offset = len(cells[0]) + 2
            status = row[1][: widths[1]]
            if first[offset : offset + len(status)] == status:
                painted = term.paint(status, style)
                first = first[:offset] + painted + first[offset + len(status) :]
        lines.append(first)
        lines += [" " * start + piece for piece in pieces[1:4]] + below
    return lines


def _rewrap(text: str, room: int, term: Terminal) -> List[str]:
    """*text* wrapped into a column *room* wide: at most four lines, the last cut."""
    narrow = Terminal(width=room, color=False, ascii=term.ascii)
    pieces = narrow.wrap(text) if text else [""]
    if len(pieces) > 4:
        pieces = [*pieces[:3], narrow.fit(pieces[3] + " " + " ".join(pieces[4:]))]
    return pieces


def render_text(
    detection: Detection,
    term: Optional[Terminal] = None,
    *,
    verbose: bool = False,
    strict: bool = False,
) -> str:
    """The human report: header, one row per provider, then the properties.

    *term* sets the width, colour and characters (default: 80 columns, plain);
    *verbose* and *strict* keep the footer from suggesting what is already on.
    """
    term = Terminal() if term is None else term
    plat = detection.platform
    where = f"{plat.system.lower()}-{plat.machine}" if plat else "unknown platform"
    context = machine_context(detection)
    header = [
        f"variant-providers {__version__}",
        f"{_implementation()} {_python_version()}",
        where,
        f"machine: {detection.source}",
        f"{detection.duration_ms:.1f} ms",
        f"cache: {_cache_text(detection)}",
    ]
    lines = pack(header, term)
    facts = []
    if context["kernel"]:
        facts.append(f"kernel: {context['os']} {context['kernel']}")
    if context["libc"]:
        libc = context["libc"]
        facts.append(f"libc: {libc['family']} {libc['version']}".rstrip())
    if context["cpu"]:
        cpu = context["cpu"]
        model = cpu["model"] or "unknown model"
        facts.append(
            f"cpu: {model} ({cpu['microarchitecture']})"
            if cpu["microarchitecture"]
            else f"cpu: {model}"
        )
    if context["cache_dir"]:
        facts.append(f"cache dir: {context['cache_dir']}")
    lines += pack(facts, term)
    lines.append("")
    rows = [["NAMESPACE", "STATUS", "TIME", "SOURCE", "DETECTED"]]
    styles = [""]
    for result in detection.providers:
        age = result.cache_age_s
        rows.append(
            [
                result.namespace,
                result.status,
                f"{result.duration_ms:.1f} ms" if age is None else f"cached {age_text(age)}",
                _sources(result),
                _summary(result),
            ]
        )
        styles.append(result.status)
    lines += _table(rows, styles, term) if detection.providers else ["(no providers installed)"]
    if detection.shadowed:
        lines += ["", term.fit("Also claimed, values not used:")]
        for result in detection.shadowed:
            text = f"{result.namespace} ({result.plugin}): {result.status}; {result.reason}"
            lines += term.wrap(text, "  ", "    ")
    lines.append("")
    lines += _properties(detection, term)
    lines += _overrides(detection, term)
    if detection.plugins:
        lines += ["", term.fit("Third-party plugins:")]
        for plugin in detection.plugins:
            dist = f" from {plugin['distribution']}" if plugin.get("distribution") else ""
            text = f"{plugin['name']} ({plugin['value']}{dist}): {plugin['state']}"
            lines += term.wrap(text, "  ", "    ")
    hints = report_hints(detection)
    if hints:
        lines += ["", term.paint(term.fit("Hints:"), "hint")]
        for hint in hints:
            lines += term.wrap(hint, "  - ", "    ")
    lines += _footer(detection, term, verbose=verbose, strict=strict)
    return "\n".join(lines) + "\n"


def _properties(detection: Detection, term: Terminal) -> List[str]:
    properties = detection.properties
    if not properties:
        return term.wrap("No supported properties: only the null variant and plain wheels match.")
    lines = [term.fit("Supported properties (most preferred first within each feature):")]
    flagged = {
        (r.namespace, feature): origin
        for r in detection.providers
        for feature, origin in r.overridden.items()
    }
    for prop in properties:
        origin = flagged.get((prop.namespace, prop.feature))
        line = f"  {prop}" + (f"   [override: {origin}]" if origin else "")
        if origin and len(line) > term.width:  # the variable is named under "Overrides"
            line = f"  {prop}   [override]"
        lines.append(term.fit(line))
    return lines


def _overrides(detection: Detection, term: Terminal) -> List[str]:
    if not detection.overrides:
        return []
    lines = ["", term.fit("Overrides in effect:")]
    for row in detection.overrides:
        if row.get("disabled"):
            text = f"{row['namespace']}: disabled  (set by {row['variable']})"
        else:
            shown = list(row["values"])
            values = ", ".join(shown[:4]) + (f", …(+{len(shown) - 4})" if len(shown) > 4 else "")
            target = f"{row['namespace']} :: {row['feature']}"
            origin = row["variable"] + (f"={row['value']}" if "value" in row else "")
            text = f"{target} = {values or '(absent)'}  (set by {origin})"
        lines += term.wrap(text, "  ", "      ")
    return lines


def _footer(detection: Detection, term: Terminal, *, verbose: bool, strict: bool) -> List[str]:
    failed = detection.failed
    if not failed:
        return []
    names = ", ".join(r.namespace for r in failed)
    text = f"{len(failed)} provider(s) failed ({names}); the others are unaffected."
    if not verbose:
        text += " Re-run with -v for the probes' debug trail."
    if not strict:
        text += " Add --strict to make this an error (exit 1)."
    return ["", *term.wrap(text)]
