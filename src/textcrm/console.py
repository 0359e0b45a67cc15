"""Diagnostics to text, JSON or GitHub workflow commands; the colour decision; plain tables.

The text format `path:line:col: severity: message [rule]` is what gcc prints and what editors'
quickfix lists parse; it must never drift (tests pin it with golden files).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from textcrm.diagnostics import Diagnostic, count

_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "bold": "\x1b[1m", "dim": "\x1b[2m"}
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
    """One diagnostic as `path:line:col: severity: message [rule]`."""
    location = f"{path}:{d.line}:{d.column}:"
    severity = paint(f"{d.severity}:", d.severity, color)
    return f"{paint(location, 'bold', color)} {severity} {d.message} [{d.code}]"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(diagnostics: Sequence[Diagnostic], checked: Mapping[str, int]) -> str:
    """`2 errors, 1 warning in 12 opportunities, 6 accounts, ...` or `no problems in ...`."""
    errors, warnings = count(list(diagnostics))
    parts = [f"{n} {kind if n != 1 else _singular(kind)}" for kind, n in checked.items() if n]
    if not parts:
        return (
            f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
            if errors or warnings
            else "no problems (no records yet)"
        )
    where = ", ".join(parts)
    if not errors and not warnings:
        return f"no problems in {where}"
    return f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {where}"


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
        props = (
            f"file={_escape_property(display(d.path))},line={d.line},col={d.column},"
            f"title={_escape_property(d.code)}"
        )
        out.append(f"::{kind} {props}::{_escape_data(d.message)}")
    return "\n".join(out) + ("\n" if out else "")


def terminal_width(default: int = 100) -> int:
    return shutil.get_terminal_size((default, 24)).columns


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    right: Sequence[int] = (),
    width: int | None = None,
    wrap_last: bool = True,
) -> str:
    """A plain aligned table. With `width`, the last column fits it: its text wraps onto
    continuation lines (or, without `wrap_last`, is cut short with an ellipsis)."""
    import textwrap

    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    if width and len(widths) > 1:
        fixed = sum(widths[:-1]) + 2 * (len(widths) - 1)
        widths[-1] = max(20, min(widths[-1], width - fixed))
    lines = []
    for n, row in enumerate(cells):
        last = row[-1]
        pieces = [last]
        if width and len(last) > widths[-1]:
            if wrap_last and n:
                pieces = textwrap.wrap(last, widths[-1]) or [""]
            else:
                pieces = [last[: max(1, widths[-1] - 1)] + "…"]
        for k, piece in enumerate(pieces):
            shown = [*row[:-1], piece] if k == 0 else [""] * (len(row) - 1) + [piece]
            parts = [
                cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                for i, cell in enumerate(shown)
            ]
            lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
