"""The pipeline, forecast and quota reports: revenue by stage, by close period, against quota."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from textcrm import jsonout, pipeline
from textcrm.console import Cell, Style, table
from textcrm.money import plain
from textcrm.reports.formats import (
    conversion_note,
    date_text,
    json_head,
    money,
    to_csv,
    to_json,
    totals_json,
    totals_rows,
    totals_text,
)

if TYPE_CHECKING:
    from textcrm.repository import Repository

# --- pipeline ---------------------------------------------------------------------------


def pipeline_report(
    repo: Repository, today: date, owner: str | None, fmt: str, style: Style
) -> str:
    """Count, expected and weighted revenue per stage in order, with the open totals."""
    summary = pipeline.stage_summary(repo, owner)
    if fmt == "json":
        doc = json_head(repo, "pipeline", today, owner=owner)
        doc["stages"] = [
            {
                "key": r.key,
                "name": r.name,
                "open": r.is_open,
                "probability": plain(r.probability),
                "count": r.count,
                "expected": totals_json(r.expected),
                "weighted": totals_json(r.weighted),
            }
            for r in summary.rows
        ]
        doc["open"] = {
            "count": summary.open_count,
            "expected": totals_json(summary.expected),
            "weighted": totals_json(summary.weighted),
        }
        return to_json(doc)
    if fmt == "csv":
        rows = []
        entries = [(r.key, r.name, r.count, r.expected, r.weighted) for r in summary.rows]
        entries.append(
            ("open-total", "Open pipeline", summary.open_count, summary.expected, summary.weighted)
        )
        for key, name, count, exp, w in entries:
            for (basis, cur, e), (_, _, wv) in zip(totals_rows(exp), totals_rows(w), strict=True):
                rows.append((key, name, count, basis, cur, e, wv))
        return to_csv(("stage", "name", "count", "basis", "currency", "expected", "weighted"), rows)
    locale = repo.config.locale
    body: list[list[Any]] = [
        [
            Cell(r.name, None if r.is_open else "dim"),
            f"{plain(r.probability)}%",
            r.count,
            totals_text(r.expected, locale),
            totals_text(r.weighted, locale),
        ]
        for r in summary.rows
    ]
    body.append(
        [
            Cell("Open pipeline", "rule"),
            "",
            summary.open_count,
            totals_text(summary.expected, locale),
            totals_text(summary.weighted, locale),
        ]
    )
    out = table(
        ("Stage", "Prob.", "Deals", "Expected", "Weighted"), body, style, right=(1, 2, 3, 4)
    )
    title = (
        "Pipeline by stage"
        + (f" for {owner}" if owner else "")
        + f", {date_text(today, repo.config.locale)}\n\n"
    )
    notes = conversion_note(
        repo,
        [t for r in summary.rows for t in (r.expected, r.weighted)]
        + [summary.expected, summary.weighted],
    )
    return title + out + notes


# --- forecast ---------------------------------------------------------------------------


def _cell_json(cell: pipeline.ForecastCell) -> dict[str, Any]:
    return {
        "count": cell.count,
        "expected": totals_json(cell.expected),
        "weighted": totals_json(cell.weighted),
    }


def forecast_report(
    repo: Repository,
    today: date,
    by: str,
    count: int,
    owner: str | None,
    fmt: str,
    style: Style,
    quota_period: pipeline.Period | None = None,
    quotas_only: bool = False,
) -> str:
    """Open revenue by close period and forecast category, and closed won in each period;
    with quotas in textcrm.yaml, attainment and coverage of the quota period too (only
    those with `quotas_only`)."""
    qr = pipeline.quota_report(repo, today, quota_period, owner)
    if quotas_only:
        if fmt == "json":
            doc = json_head(repo, "quotas", today, owner=owner)
            doc["quotas"] = quotas_json(repo, qr)
            return to_json(doc)
        if fmt == "csv":
            return quotas_csv(repo, qr)
        return "" if qr is None else quotas_table(repo, qr, style)
    fc = pipeline.forecast(repo, today, by, count, owner)
    first, last = fc.rows[0].period, fc.rows[-1].period
    if fmt == "json":
        doc = json_head(repo, "forecast", today, owner=owner, by=by)
        doc["periods"] = [
            {
                "key": r.period.key,
                "label": r.period.label,
                "start": r.period.start.isoformat(),
                "end": r.period.end.isoformat(),
                "categories": {c: _cell_json(cell) for c, cell in r.categories},
                "total": _cell_json(r.total),
                "closed_won": _cell_json(r.closed_won),
            }
            for r in fc.rows
        ]
        doc["past_due"] = _cell_json(fc.past_due)
        doc["later"] = _cell_json(fc.later)
        doc["quotas"] = quotas_json(repo, qr)
        return to_json(doc)
    entries: list[tuple[str, str, str, pipeline.ForecastCell]] = [
        ("past-due", f"before {first.start}", "open", fc.past_due)
    ]
    for r in fc.rows:
        entries += [(r.period.key, r.period.label, c, cell) for c, cell in r.categories]
        entries += [
            (r.period.key, r.period.label, "total", r.total),
            (r.period.key, r.period.label, "closed_won", r.closed_won),
        ]
    entries.append(("later", f"after {last.end}", "open", fc.later))
    if fmt == "csv":
        rows = []
        for key, label, cat, cell in entries:
            for (basis, cur, e), (_, _, w) in zip(
                totals_rows(cell.expected), totals_rows(cell.weighted), strict=True
            ):
                rows.append((key, label, cat, cell.count, basis, cur, e, w))
        return to_csv(
            ("period", "label", "category", "count", "basis", "currency", "expected", "weighted"),
            rows,
        )
    locale = repo.config.locale
    names = {
        **pipeline.CATEGORY_NAMES,
        "open": "Open",
        "total": "Total",
        "closed_won": "Closed won",
    }
    body: list[list[Any]] = []
    previous = None
    edges = {
        "past-due": f"before {date_text(first.start, locale)}",
        "later": f"after {date_text(last.end, locale)}",
    }
    for key, label, cat, cell in entries:
        shown = edges.get(key, label) if key != previous else ""
        first_of_group = key != previous and previous is not None
        style_name = "bold" if cat == "total" else ("dim" if cat == "closed_won" else None)
        body.append(
            [
                Cell(shown, "rule" if first_of_group else None),
                Cell(names[cat], style_name),
                cell.count,
                totals_text(cell.expected, locale),
                totals_text(cell.weighted, locale),
            ]
        )
        previous = key
    unit = "month" if by == "month" else "quarter"
    title = (
        f"Forecast by {unit}"
        + (f" for {owner}" if owner else "")
        + f", {date_text(today, locale)} (open deals by close date; closed won to date)\n\n"
    )
    out = table(
        ("Period", "Category", "Deals", "Expected", "Weighted"), body, style, right=(2, 3, 4)
    )
    every = [t for *_, cell in entries for t in (cell.expected, cell.weighted)]
    quotas = "" if qr is None else "\n" + quotas_table(repo, qr, style)
    return title + out + conversion_note(repo, every) + quotas


# --- quotas and attainment -------------------------------------------------------------

QUOTA_COLUMNS = (
    "period",
    "owner",
    "currency",
    "quota",
    "won_count",
    "closed_won",
    "attainment",
    "remaining",
    "open_count",
    "weighted",
    "commit",
    "weighted_coverage",
    "commit_coverage",
)


def _ratio_text(value: Any) -> str | None:
    return jsonout.ratio(value)


def quotas_json(repo: Repository, qr: pipeline.QuotaReport | None) -> dict[str, Any] | None:
    """The `quotas` object of the forecast's JSON (null without quotas in textcrm.yaml)."""
    return jsonout.quotas(qr, repo.config.currency)


def _attainment_rows(qr: pipeline.QuotaReport) -> list[pipeline.Attainment]:
    return [*qr.owners, *([qr.team] if qr.team is not None else [])]


def quotas_csv(repo: Repository, qr: pipeline.QuotaReport | None) -> str:
    """One row per owner, then the team (owner empty); money in the reporting currency, a
    sum with no rate for one of its currencies left empty."""
    reporting = repo.config.currency
    rows = []
    for a in _attainment_rows(qr) if qr is not None else []:
        rows.append(
            (
                qr.period.key if qr is not None else "",
                a.owner or "",
                reporting,
                jsonout.money(a.quota, reporting) or "",
                a.won_count,
                jsonout.money(a.closed_won.converted, reporting) or "",
                _ratio_text(a.attainment) or "",
                jsonout.money(a.remaining, reporting) or "",
                a.open_count,
                jsonout.money(a.weighted.converted, reporting) or "",
                jsonout.money(a.commit.converted, reporting) or "",
                _ratio_text(a.weighted_coverage) or "",
                _ratio_text(a.commit_coverage) or "",
            )
        )
    return to_csv(QUOTA_COLUMNS, rows)


def quotas_table(repo: Repository, qr: pipeline.QuotaReport, style: Style) -> str:
    """Attainment and coverage per owner and for the team, with a title and notes."""
    config = repo.config
    locale, reporting = config.locale, config.currency
    dash = "-"

    def amount(value: Any) -> str:
        return dash if value is None else money(value, reporting, locale)

    def percent(value: Any) -> str:
        return dash if value is None else f"{value}%"

    def times(value: Any) -> str:
        return dash if value is None else f"{value}x"

    body: list[list[Any]] = []
    for a in _attainment_rows(qr):
        name = a.owner if a.owner is not None else "Team"
        body.append(
            [
                Cell(name, "rule" if a.owner is None else None),
                amount(a.quota),
                totals_text(a.closed_won, locale),
                percent(a.attainment),
                amount(a.remaining),
                totals_text(a.weighted, locale),
                totals_text(a.commit, locale),
                times(a.weighted_coverage),
                times(a.commit_coverage),
            ]
        )
    title = f"Quota attainment, {qr.period.label} (closed won to {date_text(qr.today, locale)})\n\n"
    if qr.rest_start > qr.period.end:
        rest = "Coverage: the period is over.\n"
    else:
        rest = (
            f"Coverage: open deals closing {date_text(qr.rest_start, locale)} to "
            f"{date_text(qr.period.end, locale)} / remaining quota.\n"
        )
    out = table(
        (
            "Owner",
            "Quota",
            "Closed won",
            "Attained",
            "Remaining",
            "Weighted",
            "Commit",
            "Cov. wtd",
            "Cov. commit",
        ),
        body,
        style,
        right=range(1, 9),
        drop=(6, 5),
    )
    every = [t for a in _attainment_rows(qr) for t in (a.closed_won, a.weighted, a.commit)]
    return title + out + rest + conversion_note(repo, every)
