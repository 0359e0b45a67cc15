"""The located problem record that every stage returns, and its ordering; never prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "off")


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem: where (path relative to the CRM root, 1-based line and column) and what."""

    path: str
    line: int
    column: int
    code: str
    severity: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.code,
            "severity": self.severity,
            "message": self.message,
        }


def _plain(text: str, _style: str) -> str:
    return text


def format_line(
    d: Diagnostic, path: str | None = None, paint: Callable[[str, str], str] = _plain
) -> str:
    """The one location line, `path:line:col: severity: message [code]`, which editors parse.

    Every command that names a problem writes it with this function, so the shape never
    drifts. `path` replaces the diagnostic's (a path relative to the current folder), and
    `paint(text, style)` may colour the location ("bold") and the severity.
    """
    location = f"{d.path if path is None else path}:{d.line}:{d.column}:"
    severity = paint(f"{d.severity}:", d.severity)
    return f"{paint(location, 'bold')} {severity} {d.message} [{d.code}]"


def error(path: str, line: int, column: int, code: str, message: str) -> Diagnostic:
    """Build an error-severity diagnostic."""
    return Diagnostic(path, line, column, code, "error", message)


def warning(path: str, line: int, column: int, code: str, message: str) -> Diagnostic:
    """Build a warning-severity diagnostic."""
    return Diagnostic(path, line, column, code, "warning", message)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    """Order by path, then line, then column, then rule code."""
    return (d.path, d.line, d.column, d.code, d.message)


def count(diagnostics: list[Diagnostic]) -> tuple[int, int]:
    """Return (errors, warnings)."""
    errors = sum(1 for d in diagnostics if d.severity == "error")
    return errors, len(diagnostics) - errors
