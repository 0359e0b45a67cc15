"""What every report shares: amounts and totals as table text, JSON and CSV rows; the JSON head."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from textcrm import jsonout
from textcrm.encode import csv_cell
from textcrm.money import fixed, format_date, format_money, plain

if TYPE_CHECKING:
    from textcrm.pipeline import Totals
    from textcrm.repository import Repository


FORMATS = ("table", "json", "csv")
VERSION = 1


def money(value: Any, currency: str, locale: str) -> str:
    """One amount for a table: Babel's formatting for the configured locale."""
    return format_money(value, currency, locale)


def has_foreign(totals: Totals) -> bool:
    """True when some amount is in another currency than the reporting one."""
    return any(c != totals.reporting for c, _ in totals.amounts)


def totals_text(totals: Totals, locale: str) -> str:
    """A Totals for a table: one line per currency, then `≈ converted` when some amount is
    in a foreign currency and every one has a rate."""
    lines = [money(v, c, locale) for c, v in totals.amounts]
    if has_foreign(totals) and totals.converted is not None:
        lines.append("≈ " + money(totals.converted, totals.reporting, locale))
    return "\n".join(lines)


def totals_json(totals: Totals) -> dict[str, Any]:
    """`{"amounts": {"USD": "1.00"}, "reporting_currency": "USD", "converted": "1.00"}`."""
    return jsonout.totals(totals)


def totals_rows(totals: Totals) -> list[tuple[str, str, str]]:
    """(basis, currency, amount) rows for CSV: native amounts, then the converted sum when
    some amount is in a foreign currency and every one has a rate."""
    rows = [("native", c, fixed(v, c)) for c, v in totals.amounts]
    if has_foreign(totals) and totals.converted is not None:
        rows.append(("converted", totals.reporting, fixed(totals.converted, totals.reporting)))
    return rows


def conversion_note(repo: Repository, totals: Iterable[Totals]) -> str:
    """The line under a table saying whether, and at which rates, totals were converted."""
    every = [t for t in totals if has_foreign(t)]
    if not every:
        return ""
    config = repo.config
    foreign = sorted({c for t in every for c, _ in t.amounts if c != config.currency})
    missing = [c for c in foreign if c not in config.rates]
    if missing:
        return (
            f"Totals are per currency; not converted to {config.currency}: no rate for "
            f"{', '.join(missing)} in textcrm.yaml (rates:).\n"
        )
    rates = ", ".join(f"1 {c} = {plain(config.rates[c])} {config.currency}" for c in foreign)
    return f"≈ converted to {config.currency} at the rates in textcrm.yaml: {rates}.\n"


def rates_json(repo: Repository) -> dict[str, str]:
    return {c: plain(r) for c, r in sorted(repo.config.rates.items())}


def to_json(doc: dict[str, Any]) -> str:
    return jsonout.dumps(doc)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """RFC 4180 CSV (CRLF line ends, quoting only where needed) with a header row; every
    cell through `encode.csv_cell`, so no text runs as a spreadsheet formula."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def iso_date(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def date_text(day: date | None, locale: str) -> str:
    """A date in a table: the locale's one format for people (`money.format_date`), or `-`."""
    return "-" if day is None else format_date(day, locale)


def json_head(repo: Repository, report: str, today: date, **extra: Any) -> dict[str, Any]:
    return {
        "version": VERSION,
        "report": report,
        "today": today.isoformat(),
        **extra,
        "currency": repo.config.currency,
        "rates": rates_json(repo),
    }


def stage_name(repo: Repository, key: str) -> str:
    stage = repo.config.stage(key)
    return stage.name if stage else key
