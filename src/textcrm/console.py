"""Diagnostics to text, JSON or GitHub workflow commands; the colour decision; tables.

The text format `path:line:col: severity: message [rule]` is what gcc prints and what editors'
quickfix lists parse; it must never drift (tests pin it with golden files).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import IO, Any

from textcrm.diagnostics import Diagnostic, count, format_line
from textcrm.encode import terminal_text
from textcrm.plural import counted

_COLORS = {
    "error": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "note": "\x1b[1;36m",
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
}
_RESET = "\x1b[0m"


def use_color(stream: IO[str], environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (no-color.org) or TERM=dumb."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR") or env.get("CLICOLOR_FORCE"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, style: str, color: bool) -> str:
    return f"{_COLORS[style]}{text}{_RESET}" if color else text


def format_text(d: Diagnostic, path: str, color: bool = False) -> str:
    """One diagnostic as `path:line:col: severity: message [rule]`, on one line: control
    characters in the path or message (file names and values from the repository) are shown,
    never sent to the terminal."""
    shown = replace(d, message=terminal_text(d.message, lines=False))
    return format_line(
        shown, terminal_text(path, lines=False), lambda text, style: paint(text, style, color)
    )


def summary(diagnostics: Sequence[Diagnostic], checked: Mapping[str, int]) -> str:
    """`2 errors, 1 warning in 12 opportunities, 6 accounts, ...` or `no problems in ...`."""
    errors, warnings = count(list(diagnostics))
    parts = [f"{n} {kind if n != 1 else _singular(kind)}" for kind, n in checked.items() if n]
    if not parts:
        return (
            f"{counted(errors, 'error')}, {counted(warnings, 'warning')}"
            if errors or warnings
            else "no problems (no records yet)"
        )
    where = ", ".join(parts)
    if not errors and not warnings:
        return f"no problems in {where}"
    return f"{counted(errors, 'error')}, {counted(warnings, 'warning')} in {where}"


def _singular(kind: str) -> str:
    return {
        "opportunities": "opportunity",
        "accounts": "account",
        "contacts": "contact",
        "competitors": "competitor",
        "products": "product",
    }.get(kind, kind)


def render_text(
    diagnostics: Sequence[Diagnostic],
    checked: Mapping[str, int],
    display: Callable[[str], str],
    color: bool,
) -> str:
    lines = [format_text(d, display(d.path), color) for d in diagnostics]
    lines.append(summary(diagnostics, checked))
    return "\n".join(lines) + "\n"


def render_json(
    diagnostics: Sequence[Diagnostic], checked: Mapping[str, int], today: str, root: str
) -> str:
    import json  # not needed for text output (the hook, a plain `check`)

    errors, warnings = count(list(diagnostics))
    doc = {
        "version": 1,
        "today": today,
        "root": root,
        "checked": dict(checked),
        "problems": [d.to_json() for d in diagnostics],
        "summary": {"errors": errors, "warnings": warnings},
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Sequence[Diagnostic], display: Callable[[str], str]) -> str:
    """GitHub Actions workflow commands, so a pull request shows problems on their lines."""
    out = []
    for d in diagnostics:
        kind = "error" if d.severity == "error" else "warning"
        path = terminal_text(display(d.path), lines=False)
        props = (
            f"file={_escape_property(path)},line={d.line},col={d.column},"
            f"title={_escape_property(d.code)}"
        )
        out.append(f"::{kind} {props}::{_escape_data(terminal_text(d.message))}")
    return "\n".join(out) + ("\n" if out else "")


def terminal_width(default: int = 100) -> int:
    import shutil  # with its archive modules, a tenth of the hook's own imports

    return shutil.get_terminal_size((default, 24)).columns


_UNLIMITED = 1 << 30
_FLOOR = 4  # the narrowest a cut text column gets: three characters and the ellipsis


@dataclass(frozen=True, slots=True)
class Style:
    """How a table is drawn: the terminal width, whether to use colour, and whether to show
    every column at its full width whatever the terminal's width (`--wide`)."""

    width: int = 100
    color: bool = False
    wide: bool = False


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: its text (may hold several lines) and an optional colour style."""

    text: str
    style: str | None = None


def _cell(value: Any) -> Cell:
    """A value as a Cell whose text shows control characters instead of sending them."""
    if isinstance(value, Cell):
        return Cell(terminal_text(value.text), value.style)
    return Cell("" if value is None else terminal_text(str(value)))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def fit_lines(text: str, style: Style | None, indent: int = 2) -> str:
    """Lines of running text (a heading, a summary) wrapped to the table width, later lines
    indented; unchanged without a style or with `--wide`."""
    if style is None or style.wide:
        return text
    import textwrap

    return "\n".join(
        line
        if len(line) <= style.width
        else "\n".join(
            textwrap.wrap(line, style.width, subsequent_indent=" " * indent, break_on_hyphens=False)
        )
        for line in text.split("\n")
    )


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    style: Style | None = None,
    right: Iterable[int] = (),
    flex: int | Sequence[int] | None = None,
    min_flex: int = 12,
    drop: Sequence[int] = (),
    wrap: bool | Iterable[int] = False,
) -> str:
    """An aligned table fitted to `style.width`: narrow the `flex` columns (text such as ids,
    titles and details, never money, stage or owner), one character at a time from the
    widest, down to `min_flex`; then leave out the `drop` columns in their order while it is
    still too wide. A narrowed column's text is clipped with an ellipsis, or wrapped onto
    more lines in the `wrap` columns (`True`: every flex column).

    Cells may hold several lines (a total in several currencies); rows whose first cell is a
    Cell with style "rule" draw a separator line above them. Without `style`, or with
    `style.wide`, the table takes the width it needs; colour only with `style.color`.
    """
    import textwrap

    style = style or Style(width=_UNLIMITED)
    limit = _UNLIMITED if style.wide else style.width
    headers = [terminal_text(h) for h in headers]
    body = [[_cell(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], *(len(t) for t in c.text.split("\n")))
    keep = list(range(len(headers)))
    flexes = [flex] if isinstance(flex, int) else list(flex or ())
    wrapped = set(flexes) if wrap is True else set(wrap or ())
    natural = list(widths)
    pending = list(drop)

    def needed() -> int:
        return sum(widths[i] for i in keep) + 2 * (len(keep) - 1)

    def narrow(floor: int) -> None:
        excess = needed() - limit
        while excess > 0:
            narrowable = [i for i in flexes if i in keep and widths[i] > floor]
            if not narrowable:
                return
            widest = max(narrowable, key=lambda i: (widths[i], -flexes.index(i)))
            widths[widest] -= 1
            excess -= 1

    while True:
        for i in flexes:
            widths[i] = natural[i]
        narrow(min_flex)
        if needed() <= limit or not pending:
            break
        keep.remove(pending.pop(0))
    # Still too wide with every column it may leave out gone: cut the text columns further
    # rather than overflow (big amounts at 80 columns), keeping a few characters of each.
    narrow(_FLOOR)
    for i in wrapped & set(keep):
        for row in body:
            c = row[i]
            lines = textwrap.wrap(c.text, widths[i], break_long_words=True) or [""]
            row[i] = Cell("\n".join(lines), c.style)
    headers = [headers[i] for i in keep]
    body = [[row[i] for i in keep] for row in body]
    widths = [widths[i] for i in keep]
    right = {keep.index(i) for i in right if i in keep}

    def line(cells: Sequence[Cell], head: bool = False) -> list[str]:
        parts = [c.text.split("\n") for c in cells]
        height = max(len(p) for p in parts)
        out = []
        for k in range(height):
            texts = []
            for i, p in enumerate(parts):
                text = _clip(p[k], widths[i]) if k < len(p) else ""
                text = text.rjust(widths[i]) if i in right else text.ljust(widths[i])
                chosen = "bold" if head else cells[i].style
                if chosen and chosen != "rule" and text.strip():
                    text = paint(text, chosen, style.color)
                texts.append(text)
            out.append("  ".join(texts).rstrip())
        return out

    rule = "  ".join("-" * w for w in widths)
    lines = [*line([Cell(h) for h in headers], head=True), rule]
    for row in body:
        if row and row[0].style == "rule":
            lines.append(rule)
        lines.extend(line(row))
    return "\n".join(lines) + "\n"
