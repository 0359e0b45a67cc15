"""The attention report: what needs doing today, most urgent first."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from textcrm import pipeline
from textcrm.console import Cell, Style, table
from textcrm.reports.formats import date_text, iso_date, json_head, to_csv, to_json

if TYPE_CHECKING:
    from textcrm.repository import Repository

# --- attention --------------------------------------------------------------------------

ATTENTION_COLUMNS = ("kind", "label", "opportunity", "title", "owner", "date", "message")


def attention_items(
    repo: Repository, today: date, owner: str | None
) -> list[pipeline.AttentionItem]:
    """The report's list: follow-ups due today or overdue; quotes and issues within 7 days."""
    return pipeline.attention(repo, today, owner, window=7, follow_up_window=0)


def attention_report(
    repo: Repository, today: date, owner: str | None, fmt: str, style: Style
) -> str:
    """What needs doing today, most urgent first."""
    items = attention_items(repo, today, owner)
    records = [
        {
            "kind": a.kind,
            "label": a.label,
            "opportunity": a.opportunity,
            "title": a.title,
            "owner": a.owner,
            "date": iso_date(a.date),
            "message": a.message,
        }
        for a in items
    ]
    if fmt == "json":
        doc = json_head(repo, "attention", today, owner=owner)
        del doc["currency"], doc["rates"]
        doc["items"] = records
        return to_json(doc)
    if fmt == "csv":
        return to_csv(ATTENTION_COLUMNS, ([r[c] for c in ATTENTION_COLUMNS] for r in records))
    if not items:
        return (
            f"nothing needs attention on {date_text(today, repo.config.locale)}"
            + (f" for {owner}" if owner else "")
            + "\n"
        )
    urgent = {"close-date-past", "stale", "follow-up-overdue", "quote-expired", "decision-overdue"}
    body = [
        [
            Cell(a.label, "error" if a.kind in urgent else "warning"),
            date_text(a.date, repo.config.locale),
            a.opportunity,
            a.owner,
            a.message,
        ]
        for a in items
    ]
    title = (
        f"Needs attention on {date_text(today, repo.config.locale)}"
        + (f" for {owner}" if owner else "")
        + "\n\n"
    )
    return title + table(
        ("What", "Date", "Opportunity", "Owner", "Details"),
        body,
        style,
        flex=(4, 2),
        min_flex=12,
        wrap=(4,),
    )
