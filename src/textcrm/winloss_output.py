"""`textcrm winloss` as a terminal table, JSON or CSV (figures from `winloss.win_loss`).

The shapes follow the other reports (docs/reports.md): JSON through `jsonout` (money as exact
strings per currency, `converted` with `rates:`), CSV through `reports.to_csv` (every cell
through `encode.csv_cell`, one row per group and currency), tables through `console.table`.
"""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from textcrm import reports
from textcrm.console import Cell, Style, table
from textcrm.money import format_date, plain
from textcrm.pipeline import percent_text
from textcrm.plural import counted
from textcrm.winloss import GROUPING_NAMES, Row, WinLoss

if TYPE_CHECKING:
    from textcrm.repository import Repository

CSV_COLUMNS = (
    "kind",
    "key",
    "label",
    "basis",
    "currency",
    "won_count",
    "lost_count",
    "won_amount",
    "lost_amount",
    "win_rate_count",
    "win_rate_amount",
    "lost_share_count",
    "lost_share_amount",
    "statuses",
)
TITLES = {
    "reason": "lost reason",
    "competitor": "competitor",
    "owner": "owner",
    "stage": "the stage deals were closed from",
}
NOTES = {
    "reason": "Won deals have no lost reason: they count in the total only.",
    "competitor": (
        "A deal counts once for every competitor named on it (rows may add up to more than "
        "the total); Their status: how often the competitor had each status on those deals."
    ),
    "stage": "Closed from: the last open stage of the deal in git history before it closed.",
}


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _statuses_text(row: Row, sep: str = ", ") -> str:
    return sep.join(f"{status} {n}" for status, n in row.statuses)


def row_json(row: Row) -> dict[str, Any]:
    """One row as JSON: counts, deal ids, amounts (jsonout totals) and rates in percent."""
    return {
        "key": row.key,
        "label": row.label,
        "won": {
            "count": row.won.count,
            "amount": reports.totals_json(row.won.amount),
            "deals": list(row.won.ids),
        },
        "lost": {
            "count": row.lost.count,
            "amount": reports.totals_json(row.lost.amount),
            "deals": list(row.lost.ids),
        },
        "win_rate": {"count": _rate(row.win_rate), "amount": _rate(row.win_rate_amount)},
        "lost_share": {"count": _rate(row.lost_share), "amount": _rate(row.lost_share_amount)},
        "statuses": dict(row.statuses),
    }


def _title(found: WinLoss, locale: str) -> str:
    title = f"Win/loss by {TITLES[found.by]}"
    if found.since is not None:
        title += f", deals closed on or after {format_date(found.since, locale)}"
    t = found.total
    return (
        f"{title}\n{counted(t.closed, 'closed deal')}: {t.won.count} won, {t.lost.count} lost; "
        f"win rate {percent_text(t.win_rate)} by count, "
        f"{percent_text(t.win_rate_amount)} by amount\n\n"
    )


def winloss_report(repo: Repository, found: WinLoss, today: date, fmt: str, style: Style) -> str:
    """The analysis in the asked format."""
    every = (*found.rows, found.total)
    if fmt == "json":
        doc: dict[str, Any] = {
            "version": reports.VERSION,
            "report": "winloss",
            "today": today.isoformat(),
            "by": found.by,
            "since": None if found.since is None else found.since.isoformat(),
            "currency": repo.config.currency,
            "rates": reports.rates_json(repo),
        }
        if found.by == "stage":
            doc["history"] = found.history
        doc["groups"] = [row_json(r) for r in found.rows]
        doc["total"] = row_json(found.total)
        return reports.to_json(doc)
    if fmt == "csv":
        out = []
        for row in every:
            kind = "total" if row is found.total else "group"
            for (basis, cur, won), (_, _, lost) in zip(
                reports.totals_rows(row.won.amount),
                reports.totals_rows(row.lost.amount),
                strict=True,
            ):
                out.append(
                    (
                        kind,
                        row.key,
                        row.label,
                        basis,
                        cur,
                        row.won.count,
                        row.lost.count,
                        won,
                        lost,
                        _rate(row.win_rate),
                        _rate(row.win_rate_amount),
                        _rate(row.lost_share),
                        _rate(row.lost_share_amount),
                        ";".join(f"{s}:{n}" for s, n in row.statuses),
                    )
                )
        return reports.to_csv(CSV_COLUMNS, out)
    if not found.total.closed:
        since = f" on or after {found.since}" if found.since is not None else ""
        return f"no closed deals{since}: nothing to analyse\n"
    locale = repo.config.locale
    reason = found.by == "reason"
    if reason:
        headers: tuple[str, ...] = ("Lost reason", "Lost", "Lost amount", "% of lost", "% amount")
    else:
        headers = (
            GROUPING_NAMES[found.by],
            "Won",
            "Lost",
            "Win %",
            "Won amount",
            "Lost amount",
            "Win % amount",
        )
        if found.by == "competitor":
            headers += ("Their status",)
    body: list[list[Any]] = []
    for row in every:
        first = Cell(row.label, "rule") if row is found.total else row.label
        lost = reports.totals_text(row.lost.amount, locale)
        if reason:
            body.append(
                [
                    first,
                    row.lost.count,
                    lost,
                    percent_text(row.lost_share),
                    percent_text(row.lost_share_amount),
                ]
            )
            continue
        cells = [
            first,
            row.won.count,
            row.lost.count,
            percent_text(row.win_rate),
            reports.totals_text(row.won.amount, locale),
            lost,
            percent_text(row.win_rate_amount),
        ]
        if found.by == "competitor":
            cells.append(_statuses_text(row))
        body.append(cells)
    if reason:
        drawn = table(headers, body, style, right=(1, 2, 3, 4), flex=0, wrap=True, drop=(4,))
    elif found.by == "competitor":
        drawn = table(
            headers, body, style, right=(1, 2, 3, 4, 5, 6), flex=7, wrap=True, drop=(6, 3)
        )
    else:
        drawn = table(headers, body, style, right=(1, 2, 3, 4, 5, 6), flex=0, drop=(6, 3))
    notes = []
    if found.by in NOTES:
        notes.append(NOTES[found.by])
    if found.by == "stage" and not found.history:
        notes.append("No git history: the stage each deal was closed from is unknown.")
    text = _title(found, locale) + drawn
    if notes:
        width = max(style.width, 40)
        text += "\n" + "".join(textwrap.fill(n, width) + "\n" for n in notes)
    amounts = [t for r in every for t in (r.won.amount, r.lost.amount)]
    return text + reports.conversion_note(repo, amounts)
