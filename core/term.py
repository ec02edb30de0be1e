"""What the human output may use: width, colour, characters.

``report`` and ``match`` are read in terminals of every width, piped into
``less``, pasted into bug reports and printed by consoles that cannot encode
``·``.  :class:`Terminal` answers the three questions once per run — how wide
(``COLUMNS``, else the terminal's size, else 80), whether to colour
(``--color auto|always|never``, ``NO_COLOR``, a terminal), whether the
stream can encode the few non-ASCII characters we print — and offers the
helpers that keep every line within the width.
"""

from __future__ import annotations

import codecs
import os
from typing import List, Mapping, Optional, TextIO

from . import lazy_re
from .record_class import dataclass

__all__ = ["COLOR_CHOICES", "Terminal"]

COLOR_CHOICES = ("auto", "always", "never")

#: Width when nothing says otherwise (not a terminal, no ``COLUMNS``).
DEFAULT_WIDTH = 80
#: Narrower than this, the layout stops making sense; we still never exceed it.
MIN_WIDTH = 20

#: What the output's non-ASCII characters become on a stream that cannot encode them.
_ASCII = str.maketrans(
    {
        "·": "-",
        "…": "...",
        "→": "->",
        "—": "--",
        "–": "-",
        "≥": ">=",
        "≤": "<=",
        "×": "x",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
    }
)

_STYLES = {
    "ok": "32",  # green
    "override": "36",  # cyan
    "not-detected": "2",  # dim
    "disabled": "2",
    "error": "31;1",  # bold red
    "timeout": "33;1",  # bold yellow
    "heading": "1",
    "hint": "33",
}

_ANSI_RE = lazy_re.compile(r"\x1b\[[0-9;]*m")


def _encodes(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        "·…→".encode(codecs.lookup(encoding).name)
    except (LookupError, UnicodeError):
        return False
    return True


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _width(stream: TextIO, environ: Mapping[str, str]) -> int:
    text = environ.get("COLUMNS", "").strip()
    if text.isdigit() and int(text) > 0:
        return max(int(text), MIN_WIDTH)
    if _isatty(stream):
        try:
            return max(os.get_terminal_size(stream.fileno()).columns, MIN_WIDTH)
        except (AttributeError, ValueError, OSError):
            pass
    return DEFAULT_WIDTH


@dataclass(frozen=True)
class Terminal:
    """Width, colour and character set for one run's human output."""

    width: int = DEFAULT_WIDTH
    color: bool = False
    ascii: bool = False

    @classmethod
    def for_stream(
        cls, stream: TextIO, environ: Optional[Mapping[str, str]] = None, color: str = "auto"
    ) -> Terminal:
        """The terminal *stream* writes to, as *environ* describes it."""
        env = os.environ if environ is None else environ
        if color == "always":
            colored = True
        elif color == "never":
            colored = False
        else:  # https://no-color.org: any non-empty NO_COLOR turns colour off
            colored = _isatty(stream) and not env.get("NO_COLOR") and env.get("TERM", "") != "dumb"
        return cls(width=_width(stream, env), color=colored, ascii=not _encodes(stream))

    @property
    def dot(self) -> str:
        return self.plain(" · ")

    @property
    def ellipsis(self) -> str:
        return "..." if self.ascii else "…"

    def plain(self, text: str) -> str:
        """*text* in characters this terminal can show."""
        if not self.ascii:
            return text
        return text.translate(_ASCII).encode("ascii", "replace").decode("ascii")

    def fit(self, text: str, width: Optional[int] = None) -> str:
        """*text* (made plain) cut to *width* columns, ending in an ellipsis if cut."""
        limit = self.width if width is None else width
        text = self.plain(text)
        if len(text) <= limit:
            return text
        mark = self.ellipsis
        return text[: max(limit - len(mark), 0)].rstrip() + mark[: max(limit, 0)]

    def wrap(self, text: str, indent: str = "", hanging: Optional[str] = None) -> List[str]:
        """*text* (made plain) wrapped to the width; continuation lines get *hanging*."""
        rest = indent if hanging is None else hanging
        if len(rest) > self.width // 2:  # a hanging indent that leaves no room
            rest = " " * min(4, self.width // 4)
        import textwrap  # text output only: a --json report never wraps

        lines = textwrap.wrap(
            self.plain(text),
            width=self.width,
            initial_indent=indent,
            subsequent_indent=rest,
            break_on_hyphens=False,
        )
        return [self.fit(line) for line in lines] or [self.fit(indent.rstrip())]

    def paint(self, text: str, style: str) -> str:
        """*text* in *style* (a status or ``heading``/``hint``) when colouring."""
        code = _STYLES.get(style)
        if not self.color or not code or not text:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"

    @staticmethod
    def visible(text: str) -> str:
        """*text* without colour codes (what the width counts)."""
        return _ANSI_RE.sub("", text)
