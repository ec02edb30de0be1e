"""The glibc-hwcaps probe: the level glibc's own ``ld.so --help`` says is supported.

A second source on Linux (about 0.7 ms), asked when requested or when the
cheap sources disagree; glibc reads XCR0 itself.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from variant_providers.system import System

from .vocab import Evidence, parse_level

__all__ = ["LDSO_PATH", "ldso_evidence", "parse_ldso_help"]

#: The x86-64 glibc dynamic loader (a symlink on multiarch distributions).
LDSO_PATH = "/lib64/ld-linux-x86-64.so.2"


def parse_ldso_help(text: str) -> Optional[Tuple[int, List[str]]]:
    """The highest ``x86-64-vN`` glibc-hwcaps subdirectory marked ``supported``.

    Returns ``(level, lines)`` — level 1 when the section lists none as
    supported — or ``None`` when the output has no glibc-hwcaps section
    (glibc < 2.33, or not glibc).
    """
    lines = text.splitlines()
    start = None
    for index, line in enumerate(lines):
        if line.startswith("Subdirectories of glibc-hwcaps"):
            start = index + 1
            break
    if start is None:
        return None
    level = 1
    seen: List[str] = []
    for line in lines[start:]:
        if not line.startswith(" ") or not line.strip():
            break
        entry = line.strip()
        seen.append(entry)
        name, _, rest = entry.partition(" ")
        if not name.startswith("x86-64-v") or "supported" not in rest:
            continue
        parsed = parse_level(name)
        if parsed is not None:
            level = max(level, parsed)
    return level, seen


def ldso_evidence(system: System) -> Optional[Evidence]:
    """What glibc-hwcaps say, as the evidence of a second source."""
    if not system.exists(LDSO_PATH):
        return Evidence("glibc-hwcaps", detail={"status": f"{LDSO_PATH} not found"})
    result = system.run([LDSO_PATH, "--help"], timeout=5.0)
    if not result.ok:
        return Evidence("glibc-hwcaps", detail={"status": result.describe()})
    parsed = parse_ldso_help(result.stdout)
    if parsed is None:
        return Evidence("glibc-hwcaps", detail={"status": "no glibc-hwcaps section (glibc < 2.33)"})
    level, lines = parsed
    return Evidence("glibc-hwcaps", level=level, detail={"level": f"v{level}", "subdirs": lines})
