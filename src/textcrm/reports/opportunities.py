"""The list and show reports: opportunities one per line, and everything about one."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from textcrm import deals, jsonout, pipeline
from textcrm.console import Cell, Style, fit_lines, paint, table
from textcrm.encode import terminal_text
from textcrm.money import ZERO, plain
from textcrm.plural import counted
from textcrm.reports.formats import (
    conversion_note,
    date_text,
    iso_date,
    json_head,
    money,
    stage_name,
    to_csv,
    to_json,
    totals_json,
    totals_text,
)

if TYPE_CHECKING:
    from textcrm.diagnostics import Diagnostic
    from textcrm.model import Opportunity
    from textcrm.repository import Repository

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
        "close_date": iso_date(opp.close_date),
        "currency": fig.currency,
        "expected": jsonout.money(fig.expected, fig.currency),
        "probability": plain(fig.probability),
        "weighted": jsonout.money(fig.weighted, fig.currency),
        "forecast": fig.forecast,
        "follow_up": iso_date(opp.follow_up),
        "last_activity": iso_date(opp.last_activity),
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
        doc = json_head(repo, "list", today, filters=filters, sort=sort)
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
                Cell(stage_name(repo, o.stage), dim),
                o.owner,
                Cell(date_text(o.close_date, locale), "error" if late else dim),
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
        "close_date": iso_date(opp.close_date),
        "created": iso_date(opp.created),
        "currency": cur,
        "amount": jsonout.money(opp.amount, cur),
        "line_items_total": jsonout.money(fig.line_items_total, cur),
        "expected": jsonout.money(fig.expected, cur),
        "probability": plain(fig.probability),
        "weighted": jsonout.money(fig.weighted, cur),
        "forecast": fig.forecast,
        "next_step": opp.next_step,
        "follow_up": iso_date(opp.follow_up),
        "last_activity": iso_date(opp.last_activity),
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
                "due": iso_date(d.due),
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
                "unit_price": jsonout.money(p.unit_price, cur),
                "discount": None if p.item.discount is None else str(p.item.discount),
                "gross": jsonout.money(p.gross, cur),
                "discount_amount": jsonout.money(p.discount, cur),
                "total": jsonout.money(p.total, cur),
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
            "date": iso_date(quote.date),
            "valid_until": iso_date(quote.valid_until),
            "terms": quote.terms,
            "tax_rate": None if quote.tax_rate is None else plain(quote.tax_rate),
        },
        "lost_reason": opp.lost_reason,
        "attention": [
            {"kind": a.kind, "date": iso_date(a.date), "message": a.message}
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
        doc = json_head(repo, "show", today)
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
        ("Stage", f"{stage_name(repo, opp.stage)} ({state})"),
    ]
    if opp.close_date is not None:
        facts.append(
            (
                "Close date",
                f"{date_text(opp.close_date, locale)} ({_relative_day(opp.close_date, today)})"
                if state == "open"
                else date_text(opp.close_date, locale),
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
            f"{date_text(opp.follow_up, locale)} ({_relative_day(opp.follow_up, today)})"
            if opp.follow_up
            else "-",
        ),
    ]
    if opp.created:
        facts.append(("Created", date_text(opp.created, locale)))
    if opp.last_activity:
        last = opp.last_activity
        facts.append(("Last activity", f"{date_text(last, locale)} ({_relative_day(last, today)})"))
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
            bits.append(f"dated {date_text(q.date, locale)}")
        if q.valid_until:
            bits.append(f"valid until {date_text(q.valid_until, locale)}")
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
                f", {x}" for x in (d.owner, f"due {date_text(d.due, locale)}" if d.due else "") if x
            )
            for d in opp.decision_issues
        ]
        section("Decision issues", bullets(lines))
    if opp.activities:
        acts = sorted(opp.activities, key=lambda a: a.date or date.min, reverse=True)
        rows = [[date_text(a.date, locale), a.type, a.contact or "-", a.summary] for a in acts]
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
