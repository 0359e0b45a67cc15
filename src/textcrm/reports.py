"""Terminal reports (list, show, pipeline, forecast, attention) as tables, JSON and CSV.

Reports only present: every figure comes from `pipeline` and `Repository.figures`. Tables fit
the given width, align money to the right and use colour only when asked to; money in tables
is formatted with Babel for the configured locale (`money.format_money`), in JSON and CSV as
plain decimals with the currency's minor units (`money.fixed`). Every JSON document carries
`"version": 1` and has the shape documented in docs/reports.md.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from textcrm import deals, jsonout, pipeline
from textcrm.console import Cell, Style, fit_lines, paint, table
from textcrm.encode import csv_cell, terminal_text
from textcrm.money import ZERO, fixed, format_date, format_money, plain
from textcrm.plural import counted

if TYPE_CHECKING:
    from textcrm.diagnostics import Diagnostic
    from textcrm.model import Opportunity
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


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(day: date | None, locale: str) -> str:
    """A date in a table: the locale's one format for people (`money.format_date`), or `-`."""
    return "-" if day is None else format_date(day, locale)


def _head(repo: Repository, report: str, today: date, **extra: Any) -> dict[str, Any]:
    return {
        "version": VERSION,
        "report": report,
        "today": today.isoformat(),
        **extra,
        "currency": repo.config.currency,
        "rates": rates_json(repo),
    }


def _stage_name(repo: Repository, key: str) -> str:
    stage = repo.config.stage(key)
    return stage.name if stage else key


# --- list -------------------------------------------------------------------------------

LIST_COLUMNS = (
    "id",
    "title",
    "account",
    "owner",
    "stage",
    "status",
    "close_date",
    "currency",
    "expected",
    "probability",
    "weighted",
    "forecast",
    "follow_up",
    "last_activity",
    "next_step",
    "tags",
)


def _list_record(repo: Repository, opp: Opportunity) -> dict[str, Any]:
    fig = repo.figures(opp)
    return {
        "id": opp.id,
        "title": opp.title,
        "account": opp.account,
        "owner": opp.owner,
        "stage": opp.stage,
        "status": pipeline.status(repo, opp),
        "close_date": _iso(opp.close_date),
        "currency": fig.currency,
        "expected": fixed(fig.expected, fig.currency),
        "probability": plain(fig.probability),
        "weighted": fixed(fig.weighted, fig.currency),
        "forecast": fig.forecast,
        "follow_up": _iso(opp.follow_up),
        "last_activity": _iso(opp.last_activity),
        "next_step": opp.next_step,
        "tags": list(opp.tags),
    }


def list_report(
    repo: Repository,
    opps: Sequence[Opportunity],
    today: date,
    fmt: str,
    style: Style,
    filters: dict[str, Any],
    sort: str,
) -> str:
    """One line per opportunity, with the count and totals of what is listed."""
    expected, weighted = pipeline.totals_of(repo, opps)
    if fmt == "json":
        doc = _head(repo, "list", today, filters=filters, sort=sort)
        doc["opportunities"] = [_list_record(repo, o) for o in opps]
        doc["totals"] = {
            "count": len(opps),
            "expected": totals_json(expected),
            "weighted": totals_json(weighted),
        }
        return to_json(doc)
    if fmt == "csv":
        rows = []
        for o in opps:
            rec = _list_record(repo, o)
            rec["tags"] = ";".join(rec["tags"])
            rows.append([rec[c] for c in LIST_COLUMNS])
        return to_csv(LIST_COLUMNS, rows)
    locale = repo.config.locale
    body: list[list[Any]] = []
    for o in opps:
        fig = repo.figures(o)
        state = pipeline.status(repo, o)
        late = deals.close_date_past(repo.config, o, today)
        dim = "dim" if state != "open" else None
        body.append(
            [
                Cell(o.id, dim),
                Cell(_stage_name(repo, o.stage), dim),
                o.owner,
                Cell(_day(o.close_date, locale), "error" if late else dim),
                money(fig.expected, fig.currency, locale),
                f"{plain(fig.probability)}%",
                money(fig.weighted, fig.currency, locale),
                Cell(o.title, dim),
            ]
        )
    if not opps:
        return "no opportunities match\n"
    body.append(
        [
            Cell(f"{len(opps)} listed", "rule"),
            "",
            "",
            "",
            totals_text(expected, locale),
            "",
            totals_text(weighted, locale),
            "",
        ]
    )
    out = table(
        ("Opportunity", "Stage", "Owner", "Close", "Expected", "Prob.", "Weighted", "Title"),
        body,
        style,
        right=(4, 5, 6),
        flex=(7, 0),
        min_flex=8,
        drop=(5,),
    )
    return out + conversion_note(repo, (expected, weighted))


# --- show -------------------------------------------------------------------------------


def _show_record(repo: Repository, opp: Opportunity, today: date) -> dict[str, Any]:
    fig = repo.figures(opp)
    cur = fig.currency
    quote = opp.quote
    return {
        "id": opp.id,
        "path": opp.path,
        "title": opp.title,
        "account": opp.account,
        "owner": opp.owner,
        "stage": opp.stage,
        "status": pipeline.status(repo, opp),
        "close_date": _iso(opp.close_date),
        "created": _iso(opp.created),
        "currency": cur,
        "amount": jsonout.money(opp.amount, cur),
        "line_items_total": jsonout.money(fig.line_items_total, cur),
        "expected": fixed(fig.expected, cur),
        "probability": plain(fig.probability),
        "weighted": fixed(fig.weighted, cur),
        "forecast": fig.forecast,
        "next_step": opp.next_step,
        "follow_up": _iso(opp.follow_up),
        "last_activity": _iso(opp.last_activity),
        "tags": list(opp.tags),
        "contacts": [
            {"contact": c.contact, "role": c.role, "primary": c.primary, "notes": c.notes}
            for c in opp.contacts
        ],
        "competitors": [
            {"competitor": c.competitor, "status": c.status, "notes": c.notes}
            for c in opp.competitors
        ],
        "decision_issues": [
            {
                "issue": d.issue,
                "status": d.status,
                "owner": d.owner,
                "due": _iso(d.due),
                "notes": d.notes,
            }
            for d in opp.decision_issues
        ],
        "line_items": [
            {
                "sku": p.item.sku,
                "name": p.name,
                "quantity": plain(p.quantity),
                "unit": p.unit,
                "unit_price": fixed(p.unit_price, cur),
                "discount": None if p.item.discount is None else str(p.item.discount),
                "gross": fixed(p.gross, cur),
                "discount_amount": fixed(p.discount, cur),
                "total": fixed(p.total, cur),
            }
            for p in fig.lines
        ],
        "activities": [
            {
                "date": a.date.isoformat() if a.date else None,
                "type": a.type,
                "contact": a.contact,
                "owner": a.owner,
                "summary": a.summary,
            }
            for a in opp.activities
        ],
        "quote": None
        if quote is None
        else {
            "number": quote.number,
            "date": _iso(quote.date),
            "valid_until": _iso(quote.valid_until),
            "terms": quote.terms,
            "tax_rate": None if quote.tax_rate is None else plain(quote.tax_rate),
        },
        "lost_reason": opp.lost_reason,
        "attention": [
            {"kind": a.kind, "date": _iso(a.date), "message": a.message}
            for a in pipeline.attention(repo, today, window=7, follow_up_window=0)
            if a.opportunity == opp.id
        ],
        "notes": opp.body,
    }


def _flatten(prefix: str, value: Any) -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(f"{prefix}.{k}" if prefix else k, v)
    elif isinstance(value, list):
        if value and not isinstance(value[0], dict | list):
            yield prefix, ";".join(str(v) for v in value)
        else:
            for i, v in enumerate(value, 1):
                yield from _flatten(f"{prefix}[{i}]", v)
    elif value is None:
        yield prefix, ""
    elif isinstance(value, bool):
        yield prefix, "true" if value else "false"
    else:
        yield prefix, str(value)


def _relative_day(day: date, today: date) -> str:
    days = (day - today).days
    if days == 0:
        return "today"
    if days > 0:
        return f"in {counted(days, 'day')}"
    return f"{counted(-days, 'day')} ago"


def show_report(
    repo: Repository,
    opp: Opportunity,
    today: date,
    problems: Sequence[Diagnostic],
    fmt: str,
    style: Style,
) -> str:
    """Everything about one opportunity: facts, money, lines, quote, people, problems."""
    record = _show_record(repo, opp, today)
    if fmt == "json":
        doc = _head(repo, "show", today)
        doc["opportunity"] = record
        doc["problems"] = [d.to_json() for d in problems]
        return to_json(doc)
    if fmt == "csv":
        record["problems"] = [d.to_json() for d in problems]
        return to_csv(("field", "value"), _flatten("", record))
    return _show_table(repo, opp, today, problems, style)


def _show_table(
    repo: Repository,
    opp: Opportunity,
    today: date,
    problems: Sequence[Diagnostic],
    style: Style,
) -> str:
    config, locale = repo.config, repo.config.locale
    fig = repo.figures(opp)
    cur = fig.currency
    state = pipeline.status(repo, opp)
    # Every value below comes from the repository: shown through terminal_text, then styled.
    clean = terminal_text
    # Running text wraps at the terminal's width; --wide leaves every line whole.
    width = (1 << 30) if style.wide else style.width
    out = [
        *(
            paint(line, "bold", style.color)
            for line in fit_lines(clean(opp.title or opp.id, lines=False), style).split("\n")
        ),
    ]
    where = clean(f"{opp.id}  ({opp.path})", lines=False)
    if len(where) > width:
        where = clean(opp.id, lines=False) + "\n" + clean(opp.path, lines=False)
    out += [fit_lines(where, style, indent=0), ""]
    account = repo.accounts.get(opp.account)
    owner = config.owner(opp.owner)
    facts: list[tuple[str, str]] = [
        ("Account", f"{account.name} ({opp.account})" if account else opp.account),
        ("Owner", f"{owner.display} ({opp.owner})" if owner and owner.name else opp.owner),
        ("Stage", f"{_stage_name(repo, opp.stage)} ({state})"),
    ]
    if opp.close_date is not None:
        facts.append(
            (
                "Close date",
                f"{_day(opp.close_date, locale)} ({_relative_day(opp.close_date, today)})"
                if state == "open"
                else _day(opp.close_date, locale),
            )
        )
    source = "line items" if fig.line_items_total is not None else "amount"
    facts += [
        ("Expected", f"{money(fig.expected, cur, locale)} (from {source})"),
        ("Probability", f"{plain(fig.probability)}%"),
        ("Weighted", money(fig.weighted, cur, locale)),
        ("Forecast", pipeline.CATEGORY_NAMES.get(fig.forecast, fig.forecast)),
        ("Next step", opp.next_step or "-"),
        (
            "Follow-up",
            f"{_day(opp.follow_up, locale)} ({_relative_day(opp.follow_up, today)})"
            if opp.follow_up
            else "-",
        ),
    ]
    if opp.created:
        facts.append(("Created", _day(opp.created, locale)))
    if opp.last_activity:
        facts.append(
            (
                "Last activity",
                f"{_day(opp.last_activity, locale)} ({_relative_day(opp.last_activity, today)})",
            )
        )
    if opp.tags:
        facts.append(("Tags", ", ".join(opp.tags)))
    if opp.lost_reason:
        facts.append(("Lost reason", opp.lost_reason))
    label_width = max(len(k) for k, _ in facts)
    for k, v in facts:
        out += textwrap.wrap(
            f"{k.ljust(label_width)}  {clean(v, lines=False)}",
            max(width, label_width + 20),
            subsequent_indent=" " * (label_width + 2),
        )

    def section(title: str, text: str) -> None:
        out.extend(["", paint(title, "bold", style.color), text.rstrip("\n")])

    def bullets(lines: list[str]) -> str:
        return "\n".join(
            "\n".join(textwrap.wrap(clean(x, lines=False), max(width, 30), subsequent_indent="  "))
            for x in lines
        )

    if fig.lines:
        rows: list[list[Any]] = [
            [
                i,
                p.item.sku or "-",
                p.name,
                plain(p.quantity) + (f" {p.unit}" if p.unit else ""),
                money(p.unit_price, cur, locale),
                money(p.discount, cur, locale) if p.discount else "-",
                money(p.total, cur, locale),
            ]
            for i, p in enumerate(fig.lines, 1)
        ]
        rows.append(
            [
                Cell("", "rule"),
                "",
                "Total",
                "",
                "",
                "",
                money(fig.line_items_total or ZERO, cur, locale),
            ]
        )
        section(
            "Line items",
            table(
                ("#", "SKU", "Item", "Qty", "Unit price", "Discount", "Total"),
                rows,
                style,
                right=(0, 3, 4, 5, 6),
                flex=(2, 1),
                min_flex=8,
            ),
        )
    if opp.quote is not None:
        q = opp.quote
        bits = [f"Quote {q.number}" if q.number else "Quote (no number)"]
        if q.date:
            bits.append(f"dated {_day(q.date, locale)}")
        if q.valid_until:
            bits.append(f"valid until {_day(q.valid_until, locale)}")
        if q.terms:
            bits.append(q.terms)
        if q.tax_rate is not None:
            bits.append(f"tax {plain(q.tax_rate)}%")
        quote = clean(", ".join(bits), lines=False)
        section("Quote", "\n".join(textwrap.wrap(quote, max(width, 30))))
    if opp.contacts:
        lines = []
        for c in opp.contacts:
            person = repo.contacts.get(c.contact) if c.contact else None
            name = f"{person.name} ({c.contact})" if person else c.contact
            extra = ", ".join(x for x in (c.role, "primary" if c.primary else "") if x)
            lines.append(f"- {name}" + (f": {extra}" if extra else ""))
        section("Contacts", bullets(lines))
    if opp.competitors:
        lines = []
        for e in opp.competitors:
            comp = repo.competitors.get(e.competitor) if e.competitor else None
            name = comp.name if comp else e.competitor
            lines.append(
                f"- {name}"
                + (f" ({e.status})" if e.status else "")
                + (f": {e.notes}" if e.notes else "")
            )
        section("Competitors", bullets(lines))
    if opp.decision_issues:
        lines = [
            f"- [{'x' if not d.is_open else ' '}] {d.issue}"
            + "".join(
                f", {x}" for x in (d.owner, f"due {_day(d.due, locale)}" if d.due else "") if x
            )
            for d in opp.decision_issues
        ]
        section("Decision issues", bullets(lines))
    if opp.activities:
        acts = sorted(opp.activities, key=lambda a: a.date or date.min, reverse=True)
        rows = [[_day(a.date, locale), a.type, a.contact or "-", a.summary] for a in acts]
        section(
            "Activities (latest first)",
            table(
                ("Date", "Type", "Contact", "Summary"),
                rows,
                style,
                flex=(3, 2),
                min_flex=12,
                wrap=(3,),
            ),
        )
    items = [
        a
        for a in pipeline.attention(repo, today, window=7, follow_up_window=0)
        if a.opportunity == opp.id
    ]
    if items:
        section("Needs attention", bullets([f"- {a.label}: {a.message}" for a in items]))
    if problems:
        # The file is named above; `textcrm check` prints the `path:line:col:` lines.
        section(
            "Problems",
            bullets([f"- line {d.line}: {d.severity}: {d.message} [{d.code}]" for d in problems]),
        )
    else:
        section("Problems", "none")
    if opp.body.strip():
        section("Notes", clean(opp.body.strip()))
    return "\n".join(out) + "\n"


# --- pipeline ---------------------------------------------------------------------------


def pipeline_report(
    repo: Repository, today: date, owner: str | None, fmt: str, style: Style
) -> str:
    """Count, expected and weighted revenue per stage in order, with the open totals."""
    summary = pipeline.stage_summary(repo, owner)
    if fmt == "json":
        doc = _head(repo, "pipeline", today, owner=owner)
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
        + f", {_day(today, repo.config.locale)}\n\n"
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
            doc = _head(repo, "quotas", today, owner=owner)
            doc["quotas"] = quotas_json(repo, qr)
            return to_json(doc)
        if fmt == "csv":
            return quotas_csv(repo, qr)
        return "" if qr is None else quotas_table(repo, qr, style)
    fc = pipeline.forecast(repo, today, by, count, owner)
    first, last = fc.rows[0].period, fc.rows[-1].period
    if fmt == "json":
        doc = _head(repo, "forecast", today, owner=owner, by=by)
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
        "past-due": f"before {_day(first.start, locale)}",
        "later": f"after {_day(last.end, locale)}",
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
        + f", {_day(today, locale)} (open deals by close date; closed won to date)\n\n"
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
    title = f"Quota attainment, {qr.period.label} (closed won to {_day(qr.today, locale)})\n\n"
    if qr.rest_start > qr.period.end:
        rest = "Coverage: the period is over.\n"
    else:
        rest = (
            f"Coverage: open deals closing {_day(qr.rest_start, locale)} to "
            f"{_day(qr.period.end, locale)} / remaining quota.\n"
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
            "date": _iso(a.date),
            "message": a.message,
        }
        for a in items
    ]
    if fmt == "json":
        doc = _head(repo, "attention", today, owner=owner)
        del doc["currency"], doc["rates"]
        doc["items"] = records
        return to_json(doc)
    if fmt == "csv":
        return to_csv(ATTENTION_COLUMNS, ([r[c] for c in ATTENTION_COLUMNS] for r in records))
    if not items:
        return (
            f"nothing needs attention on {_day(today, repo.config.locale)}"
            + (f" for {owner}" if owner else "")
            + "\n"
        )
    urgent = {"close-date-past", "stale", "follow-up-overdue", "quote-expired", "decision-overdue"}
    body = [
        [
            Cell(a.label, "error" if a.kind in urgent else "warning"),
            _day(a.date, repo.config.locale),
            a.opportunity,
            a.owner,
            a.message,
        ]
        for a in items
    ]
    title = (
        f"Needs attention on {_day(today, repo.config.locale)}"
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
