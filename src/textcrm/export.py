"""The whole data set as CSV or JSON, one row per record, with stable columns.

Columns never change order; new ones are only ever added at the end. CSV is RFC 4180 (CRLF
row ends, fields with commas, quotes or newlines quoted), UTF-8 with a byte-order mark by
default so that spreadsheets detect the encoding; dates are ISO, money plain decimals with
the currency's minor units, lists joined with `;`. Every cell goes through `encode.csv_cell`:
a text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
CR) is prefixed with `'`, while a plain number such as `-5.00` stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from textcrm import jsonout, pipeline
from textcrm.encode import csv_cell
from textcrm.money import fixed, plain

if TYPE_CHECKING:
    from textcrm.repository import Repository

KINDS = ("opportunities", "accounts", "contacts", "line-items", "activities")
VERSION = 1

COLUMNS: dict[str, tuple[str, ...]] = {
    "opportunities": (
        "id",
        "title",
        "account",
        "owner",
        "stage",
        "status",
        "close_date",
        "probability",
        "amount",
        "currency",
        "expected",
        "weighted",
        "forecast",
        "created",
        "next_step",
        "follow_up",
        "last_activity",
        "tags",
        "contacts",
        "competitors",
        "quote_number",
        "quote_date",
        "quote_valid_until",
        "lost_reason",
        "path",
    ),
    "accounts": (
        "id",
        "name",
        "industry",
        "website",
        "owner",
        "address",
        "phone",
        "email",
        "parent",
        "employees",
        "tags",
        "path",
    ),
    "contacts": ("id", "name", "account", "title", "email", "phone", "tags", "path"),
    "line-items": (
        "opportunity",
        "position",
        "sku",
        "name",
        "description",
        "quantity",
        "unit",
        "unit_price",
        "discount",
        "gross",
        "discount_amount",
        "total",
        "currency",
    ),
    "activities": ("opportunity", "position", "date", "type", "contact", "owner", "summary"),
}


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _opportunities(repo: Repository) -> Iterator[dict[str, Any]]:
    for opp in pipeline.select(repo):
        fig = repo.figures(opp)
        cur = fig.currency
        q = opp.quote
        yield {
            "id": opp.id,
            "title": opp.title,
            "account": opp.account,
            "owner": opp.owner,
            "stage": opp.stage,
            "status": pipeline.status(repo, opp),
            "close_date": _iso(opp.close_date),
            "probability": plain(fig.probability),
            "amount": jsonout.money(opp.amount, cur),
            "currency": cur,
            "expected": fixed(fig.expected, cur),
            "weighted": fixed(fig.weighted, cur),
            "forecast": fig.forecast,
            "created": _iso(opp.created),
            "next_step": opp.next_step,
            "follow_up": _iso(opp.follow_up),
            "last_activity": _iso(opp.last_activity),
            "tags": list(opp.tags),
            "contacts": [c.contact for c in opp.contacts],
            "competitors": [c.competitor for c in opp.competitors],
            "quote_number": q.number if q else None,
            "quote_date": _iso(q.date) if q else None,
            "quote_valid_until": _iso(q.valid_until) if q else None,
            "lost_reason": opp.lost_reason,
            "path": opp.path,
        }


def _accounts(repo: Repository) -> Iterator[dict[str, Any]]:
    for a in sorted(repo.accounts.values(), key=lambda a: a.id):
        yield {
            "id": a.id,
            "name": a.name,
            "industry": a.industry,
            "website": a.website,
            "owner": a.owner,
            "address": a.address,
            "phone": a.phone,
            "email": a.email,
            "parent": a.parent,
            "employees": a.employees,
            "tags": list(a.tags),
            "path": a.path,
        }


def _contacts(repo: Repository) -> Iterator[dict[str, Any]]:
    for c in sorted(repo.contacts.values(), key=lambda c: c.id):
        yield {
            "id": c.id,
            "name": c.name,
            "account": c.account,
            "title": c.title,
            "email": c.email,
            "phone": c.phone,
            "tags": list(c.tags),
            "path": c.path,
        }


def _line_items(repo: Repository) -> Iterator[dict[str, Any]]:
    for opp in pipeline.select(repo):
        fig = repo.figures(opp)
        cur = fig.currency
        for i, p in enumerate(fig.lines, 1):
            yield {
                "opportunity": opp.id,
                "position": i,
                "sku": p.item.sku,
                "name": p.name,
                "description": p.description,
                "quantity": plain(p.quantity),
                "unit": p.unit,
                "unit_price": fixed(p.unit_price, cur),
                "discount": None if p.item.discount is None else str(p.item.discount),
                "gross": fixed(p.gross, cur),
                "discount_amount": fixed(p.discount, cur),
                "total": fixed(p.total, cur),
                "currency": cur,
            }


def _activities(repo: Repository) -> Iterator[dict[str, Any]]:
    for opp in pipeline.select(repo):
        # Position is the order in the file, so a row keeps its identity when others are added.
        for i, a in enumerate(opp.activities, 1):
            yield {
                "opportunity": opp.id,
                "position": i,
                "date": a.date.isoformat() if a.date else "",
                "type": a.type,
                "contact": a.contact,
                "owner": a.owner or opp.owner,
                "summary": a.summary,
            }


_ROWS: dict[str, Callable[[Repository], Iterator[dict[str, Any]]]] = {
    "opportunities": _opportunities,
    "accounts": _accounts,
    "contacts": _contacts,
    "line-items": _line_items,
    "activities": _activities,
}


def records(repo: Repository, kind: str) -> list[dict[str, Any]]:
    """Every record of `kind` as a dict with exactly the kind's COLUMNS, in a stable order."""
    return list(_ROWS[kind](repo))


def to_csv(repo: Repository, kind: str, bom: bool = True) -> bytes:
    """The kind's records as CSV bytes: header, one row per record, UTF-8 (with BOM)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    columns = COLUMNS[kind]
    writer.writerow(columns)
    for rec in records(repo, kind):
        writer.writerow([csv_cell(rec[c]) for c in columns])
    return buf.getvalue().encode("utf-8-sig" if bom else "utf-8")


def to_json(repo: Repository, kind: str) -> bytes:
    """`{"version": 1, "kind": ..., "columns": [...], "records": [...]}` as UTF-8 bytes."""
    doc = {
        "version": VERSION,
        "kind": kind,
        "columns": list(COLUMNS[kind]),
        "records": records(repo, kind),
    }
    return jsonout.dumps(doc).encode("utf-8")
