"""Markdown notes too costly to render: which ones, and why (the site shows them as plain text).

Python-Markdown has inputs whose cost grows with the square of a paragraph's length: a few KB
of `[x](`, `<a `, `[^`, `>` or setext underlines take seconds, 20 KB minutes. Its cost is
bounded here, without importing it, by the work a paragraph can cause: its length times the
number of characters Markdown's inline and block parsers act on. A note over that bound is
shown as escaped plain text, and `textcrm check` says so (rule `notes-too-complex`), so the
site build stays linear in the size of the notes whatever a file holds.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Length x active characters of one paragraph. Ordinary notes stay far below (a 3 KB
# paragraph with 100 links, emphases or line breaks is 0.3 M); the slowest input that stays
# under it renders in about 0.1 s on one core of the 2-core machine of docs/performance.md.
MAX_PARAGRAPH_WORK = 1_000_000
# Characters the inline patterns (links, images, footnotes, emphasis, code, raw HTML,
# entities, escapes), block quotes, tables and setext headings start from; and line breaks.
_ACTIVE = re.compile(r"[\[\]()<>`*_^&\\|!=\n-]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# Python-Markdown parses each nested block quote and list level by recursion: a few hundred
# levels exhaust Python's stack. Deeper than this, a note is shown as plain text.
MAX_NESTING = 32
_LINE_PREFIX = re.compile(r"^(?:[ \t>]|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))+", re.MULTILINE)
_MARKER = re.compile(r">|[-*+]|\d{1,9}[.)]")
# Raw HTML is looked for in the whole note, not per paragraph: from each `<` Python-Markdown's
# HTML parser scans to the next `>`, and unclosed tags pile up. Bounded by the sum of those
# scans plus the square of the number of `<`.
MAX_ANGLE_WORK = 2_000_000
_ANGLE = re.compile(r"[<>]")


@dataclass(frozen=True, slots=True)
class TooComplex:
    """Why a note is not rendered as Markdown: where (a line, 0-based within the text) and
    what (a paragraph's length and its Markdown characters, or a nesting depth)."""

    line: int
    length: int = 0
    active: int = 0
    depth: int = 0

    @property
    def message(self) -> str:
        if self.depth:
            what = (
                f"lists or block quotes nested {self.depth} levels deep (at most "
                f"{MAX_NESTING}); the site shows these notes as plain text"
            )
            return f"notes too complex to render as Markdown: {what}"
        return (
            f"notes too complex to render as Markdown: a paragraph of {self.length:,} "
            f"characters with {self.active:,} Markdown characters (brackets, parentheses, "
            "`<`, `>`, `*`, `_`, backticks, line breaks...); the site shows these notes as "
            "plain text. Split the paragraph with blank lines or shorten it"
        )


def too_complex(text: str) -> TooComplex | None:
    """The first place in `text` that could make rendering it as Markdown slow or make it
    fail, or None."""
    for m in _LINE_PREFIX.finditer(text):
        prefix = m[0]
        if len(prefix) > MAX_NESTING:  # only long prefixes can nest that deep
            spaces = prefix.count(" ") + 4 * prefix.count("\t")
            depth = len(_MARKER.findall(prefix)) + spaces // 4
            if depth > MAX_NESTING:
                return TooComplex(text.count("\n", 0, m.start()), depth=depth)
    if len(text) * len(text) <= MAX_PARAGRAPH_WORK:  # short notes: no need to look
        return None
    angles = _angle_work(text)
    if angles > MAX_ANGLE_WORK:
        return TooComplex(0, len(text), angles)
    start = 0
    for end, after in [
        *((m.start(), m.end()) for m in _PARAGRAPH_BREAK.finditer(text)),
        (len(text), 0),
    ]:
        length = end - start
        if length * length > MAX_PARAGRAPH_WORK:
            active = len(_ACTIVE.findall(text, start, end))
            if length * active > MAX_PARAGRAPH_WORK:
                return TooComplex(text.count("\n", 0, start), length, active)
        start = after
    return None


def _angle_work(text: str) -> int:
    """How much `<` costs Python-Markdown's HTML handling in `text` (see MAX_ANGLE_WORK)."""
    opened: list[int] = []
    work = 0
    for m in _ANGLE.finditer(text):
        if m[0] == "<":
            opened.append(m.start())
        else:
            work += sum(m.start() - p for p in opened)
            opened.clear()
    work += sum(len(text) - p for p in opened)
    count = text.count("<")
    return work + count * count


def plain_html(text: str) -> str:
    """A note as escaped plain text: paragraphs at blank lines, line breaks kept."""
    paragraphs = [p.strip("\n") for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    return "".join(
        '<p class="notes-plain">' + html.escape(p).replace("\n", "<br>\n") + "</p>\n"
        for p in paragraphs
    )
