"""Notes checks: Markdown notes the site cannot render as Markdown in bounded time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from textcrm.diagnostics import Diagnostic
from textcrm.notes import too_complex
from textcrm.rules import default_severity

if TYPE_CHECKING:
    from textcrm.repository import Repository


def notes_too_complex(repo: Repository, today: date) -> Iterator[Diagnostic]:
    """The notes the site shows as plain text (`notes.too_complex`): record bodies, and the
    quote's notes."""
    code = "notes-too-complex"
    for opp in repo.checked_opportunities():
        found = too_complex(opp.body)
        if found is not None:
            yield Diagnostic(
                opp.path, opp.body_line + found.line, 1, code, default_severity(code), found.message
            )
        if opp.quote is not None and (found := too_complex(opp.quote.notes)) is not None:
            line = opp.line_of("quote")
            yield Diagnostic(opp.path, line, 1, code, default_severity(code), found.message)
    tables = (repo.accounts, repo.contacts, repo.competitors)
    for table in tables:
        for record in table.values():
            if not repo.in_scope(record.path):
                continue
            found = too_complex(record.body)
            if found is not None:
                yield Diagnostic(
                    record.path,
                    record.body_line + found.line,
                    1,
                    code,
                    default_severity(code),
                    f"{found.message}",
                )
