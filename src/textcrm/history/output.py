"""History and pipeline changes as text: tables, JSON and a short Markdown pull-request comment.

Every word and figure the history commands show is written here: the history's records carry
values (Decimal, dates, stage names, Amounts) and nothing else formats them.

Titles, ids, owners, stages and commit authors come from the repository and its history: the
text forms show their control characters (`encode.terminal_text`; they have no colour of
their own) and the Markdown comment writes them through `encode.markdown_text` and
`encode.markdown_code`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from textcrm.deals import sales_cycle_days
from textcrm.encode import markdown_code, markdown_text, terminal_text
from textcrm.history.changes import LISTS, WATERFALL_TERMS, Changes, Item
from textcrm.history.deal import Amount, Event, OpportunityHistory, Tracked
from textcrm.money import fixed, format_date, format_money, plain
from textcrm.plural import counted

if TYPE_CHECKING:
    from textcrm.console import Style

MoneyFormat = Callable[[Decimal, str], str]


def money_format(locale: str) -> MoneyFormat:
    """Amounts as every human-readable output writes them: Babel, the repository's locale."""
    return lambda value, currency: format_money(value, currency, locale)


def amount_text(amount: Amount, money: MoneyFormat | None = None) -> str:
    """As `money` formats it, else the plain exact form `48000.00 USD`."""
    if money is not None:
        return money(amount.value, amount.currency)
    return f"{fixed(amount.value, amount.currency)} {amount.currency}"


def tracked_text(name: str, value: Tracked, money: MoneyFormat | None = None) -> str:
    """A tracked field's value as text: money by `money`, the probability as `25%`, a stage,
    owner or close date the file did not give as `-`."""
    if isinstance(value, Amount):
        return amount_text(value, money)
    if isinstance(value, Decimal):
        return f"{plain(value)}%"
    if isinstance(value, date):
        return value.isoformat()
    if name == "forecast":
        return value or ""
    return value or "-"


def event_note(e: Event) -> str:
    """Why an event that changed no field is listed, or what else happened in it."""
    if e.renamed_from:
        return f"renamed from {e.renamed_from}"
    return "textcrm.yaml or products.yaml changed" if e.settings_changed else ""


def event_text(e: Event, money: MoneyFormat | None = None) -> str:
    """The change as one line of text, amounts formatted by `money`."""
    parts = [
        f"{c.field}: {tracked_text(c.field, c.old, money)} -> {tracked_text(c.field, c.new, money)}"
        for c in e.changes
    ]
    if e.kind == "created":
        parts = [
            "created: "
            + ", ".join(f"{c.field} {tracked_text(c.field, c.new, money)}" for c in e.changes)
        ]
    elif e.kind == "restored":
        parts.insert(0, "restored")
    elif e.kind == "deleted":
        parts = ["deleted"]
    elif e.kind == "invalid":
        parts = ["front matter invalid in this commit: not read (values carried over)"]
    note = event_note(e)
    if note:
        parts.append(note)
    return "; ".join(parts)


def item_detail(key: str, i: Item, money: MoneyFormat | None = None) -> str:
    """What happened to a deal of the list `key`, amounts formatted by `money`."""
    old, new = i.old, i.new
    if isinstance(old, Amount) and isinstance(new, Amount):
        if old.currency != new.currency:
            return f"currency {old.currency} -> {new.currency}"
        return f"{amount_text(old, money)} -> {amount_text(new, money)}"
    if key == "deleted":
        return f"was {old}"
    if key == "new":
        return f"in {new}"
    if key == "stale":
        return f"stale as of {new}"
    if key in ("won", "lost") and old is None:
        return f"new -> {new}"
    if isinstance(old, date) and isinstance(new, date):
        days = (new - old).days
        return f"{old} -> {new} ({counted(f'{days:+d}', 'day')})"
    return f"{old} -> {new}"


def item_json(key: str, i: Item) -> dict[str, Any]:
    """A deal of the list `key` as JSON: the amount as the exact minor-unit string."""
    return {
        "id": i.id,
        "title": i.title,
        "owner": i.owner,
        "currency": i.currency,
        "amount": fixed(i.amount, i.currency),
        "detail": item_detail(key, i),
    }


TITLES = {
    "new": "New",
    "reopened": "Re-opened",
    "advanced": "Advanced",
    "regressed": "Moved back",
    "won": "Won",
    "lost": "Lost",
    "slipped": "Close date pushed out",
    "pulled_in": "Close date pulled in",
    "increased": "Amount increased",
    "decreased": "Amount decreased",
    "deleted": "Deleted",
    "stale": "Became stale",
}
TERM_LABELS = {
    "start": "open pipeline at start",
    "new": "+ new",
    "increases": "+ increases",
    "decreases": "- decreases",
    "won": "- won",
    "lost": "- lost",
    "removed": "- removed",
    "end": "= open pipeline at end",
}


def _plain_style(style: Style | None) -> Style | None:
    """The table style without colour: these outputs pass through `terminal_text` whole,
    which would show a colour code instead of sending it."""
    from textcrm.console import Style

    return None if style is None else Style(width=style.width, wide=style.wide)


def render_history(
    h: OpportunityHistory, today: date, locale: str = "en_US", style: Style | None = None
) -> str:
    """One opportunity's history as an aligned table and summary lines, fitted to the
    style's width (the change text wrapped, author and commit clipped) unless it is wide."""
    from textcrm import console

    style = _plain_style(style)
    money = money_format(locale)
    rows = [
        (format_date(e.commit.day, locale), e.commit.author, e.commit.short, event_text(e, money))
        for e in h.events
    ]
    head = f"{h.id}: {h.title or '(no title)'} ({h.path})" + ("" if h.exists else " [deleted]")
    out = [head, ""]
    out.append(
        console.table(
            ("date", "author", "commit", "change"),
            rows,
            style,
            flex=(3, 1),
            min_flex=10,
            wrap=(3,),
        ).rstrip("\n")
    )
    out.append("")
    past: dict[str, int] = {}
    periods = list(h.periods)
    if periods and h.exists:
        current = periods.pop()
        out.append(f"days in current stage ({current.stage}): {(today - current.start).days}")
    for p in periods:
        past[p.stage] = past.get(p.stage, 0) + ((p.end or today) - p.start).days
    if past:
        out.append("days in past stages: " + ", ".join(f"{k} {v}" for k, v in past.items()))
    pushed = [m for m in h.moves if m.days > 0]
    pulled = [m for m in h.moves if m.days < 0]
    out.append(
        f"close date moved {counted(len(h.moves), 'time')}: {len(pushed)} pushed out by "
        f"{counted(sum(m.days for m in pushed), 'day')} in all, {len(pulled)} pulled in by "
        f"{counted(-sum(m.days for m in pulled), 'day')} in all"
    )
    created = format_date(h.created, locale)
    if h.closed_on:
        days = sales_cycle_days(h.created, h.closed_on)
        closed = format_date(h.closed_on, locale)
        out.append(
            f"sales cycle: {counted(days, 'day')} (created {created}, closed {closed})"
            if days is not None
            else f"sales cycle: not counted, created {created} is after it closed on {closed}"
        )
    out.append(f"age: {counted((today - h.created).days, 'day')} (created {created})")
    return console.fit_lines(terminal_text("\n".join(out)), style) + "\n"


def history_json(h: OpportunityHistory, today: date) -> dict[str, Any]:
    """One opportunity's history as a JSON-ready document."""
    return {
        "version": 1,
        "id": h.id,
        "path": h.path,
        "title": h.title,
        "exists": h.exists,
        "created": h.created.isoformat(),
        "closed_on": h.closed_on.isoformat() if h.closed_on else None,
        "events": [
            {
                "date": e.commit.day.isoformat(),
                "author": e.commit.author,
                "commit": e.commit.sha,
                "subject": e.commit.subject,
                "kind": e.kind,
                "path": e.path,
                "note": event_note(e),
                "changes": [
                    {
                        "field": c.field,
                        "old": None if e.kind == "created" else _tracked_json(c.field, c.old),
                        "new": _tracked_json(c.field, c.new),
                    }
                    for c in e.changes
                ],
            }
            for e in h.events
        ],
        "stages": [
            {
                "stage": p.stage,
                "start": p.start.isoformat(),
                "end": p.end.isoformat() if p.end else None,
            }
            for p in h.periods
        ],
        "days_in_stages": h.days_in_stages(today),
        "close_date_moves": [
            {
                "date": m.day.isoformat(),
                "old": m.old.isoformat(),
                "new": m.new.isoformat(),
                "days": m.days,
            }
            for m in h.moves
        ],
        "slips": h.slips,
    }


def _tracked_json(name: str, value: Tracked) -> object:
    """A tracked value in JSON: money as {amount, currency} (the exact minor-unit string),
    other values as their text, an empty one as null."""
    if isinstance(value, Amount):
        return {"amount": fixed(value.value, value.currency), "currency": value.currency}
    return tracked_text(name, value) or None


def _point(label: str, commit: str | None) -> str:
    return f"{label} ({commit[:7]})" if commit else f"{label} (before the first commit)"


def render_changes(c: Changes, locale: str = "en_US", style: Style | None = None) -> str:
    """The changes as sections of aligned tables and the waterfall per currency, fitted to
    the style's width (ids clipped, details wrapped) unless it is wide."""
    from textcrm import console

    style = _plain_style(style)
    money = money_format(locale)
    out = [
        f"Changes from {_point(c.start.label, c.start.commit)} to "
        f"{_point(c.end.label, c.end.commit)}" + (f", owner {c.owner}" if c.owner else ""),
        "",
    ]
    for key in LISTS:
        items = c.lists[key]
        if not items:
            continue
        out.append(f"{TITLES[key]} ({len(items)})")
        rows = [
            (i.id, i.owner or "-", money(i.amount, i.currency), item_detail(key, i, money))
            for i in items
        ]
        out.append(
            console.table(
                ("opportunity", "owner", "amount", "detail"),
                rows,
                style,
                right=(2,),
                flex=(3, 0),
                min_flex=16,
                wrap=(3,),
            ).rstrip("\n")
        )
        out.append("")
    for (old, new, currency), amount in sorted(c.forecast_moves.items()):
        out.append(f"forecast: {money(amount, currency)} moved from {old} to {new}")
    if c.forecast_moves:
        out.append("")
    if not any(c.lists.values()):
        out.append("No pipeline changes.")
        out.append("")
    currencies = list(c.waterfall)
    if currencies:
        fall: list[tuple[str, ...]] = [
            (TERM_LABELS[t], *(money(c.waterfall[cur][t], cur) for cur in currencies))
            for t in WATERFALL_TERMS
        ]
        out.append("Waterfall")
        out.append(
            console.table(
                ("", *currencies), fall, right=tuple(range(1, len(currencies) + 1))
            ).rstrip("\n")
        )
    return console.fit_lines(terminal_text("\n".join(out)), style) + "\n"


def changes_json(c: Changes) -> dict[str, Any]:
    """The changes as a JSON-ready document (amounts as exact decimal strings)."""
    return {
        "version": 1,
        "since": {"label": c.start.label, "commit": c.start.commit},
        "until": {"label": c.end.label, "commit": c.end.commit},
        "owner": c.owner,
        **{key: [item_json(key, i) for i in c.lists[key]] for key in LISTS},
        "forecast_moves": [
            {"from": old, "to": new, "currency": cur, "amount": fixed(amount, cur)}
            for (old, new, cur), amount in sorted(c.forecast_moves.items())
        ],
        "waterfall": {
            cur: {t: fixed(v, cur) for t, v in terms.items()} for cur, terms in c.waterfall.items()
        },
        "reconciles": c.reconciles(),
    }


def _sum(items: list[Item], money: MoneyFormat) -> str:
    by: dict[str, Decimal] = {}
    for i in items:
        by[i.currency] = by.get(i.currency, Decimal(0)) + i.amount
    return " + ".join(money(v, k) for k, v in sorted(by.items()))


def summary_sentence(c: Changes, locale: str = "en_US") -> str:
    """`moves $12,000.00 from commit to best case, pushes 2 close dates out, ...`"""
    money = money_format(locale)
    parts = []
    for (old, new, currency), amount in sorted(c.forecast_moves.items()):
        parts.append(
            f"moves {money(amount, currency)} from {old.replace('_', ' ')} to "
            f"{new.replace('_', ' ')}"
        )
    lists = c.lists
    if lists["new"]:
        parts.append(
            f"adds {counted(len(lists['new']), 'opportunity')} ({_sum(lists['new'], money)})"
        )
    if lists["reopened"]:
        parts.append(f"re-opens {len(lists['reopened'])}")
    if lists["advanced"]:
        parts.append(f"advances {len(lists['advanced'])}")
    if lists["regressed"]:
        parts.append(f"moves {len(lists['regressed'])} back a stage")
    if lists["slipped"]:
        parts.append(f"pushes {counted(len(lists['slipped']), 'close date')} out")
    if lists["pulled_in"]:
        parts.append(f"pulls {counted(len(lists['pulled_in']), 'close date')} in")
    if lists["increased"]:
        parts.append(
            f"raises {counted(len(lists['increased']), 'amount')} "
            f"(+{_sum(lists['increased'], money)})"
        )
    if lists["decreased"]:
        parts.append(
            f"lowers {counted(len(lists['decreased']), 'amount')} "
            f"(-{_sum(lists['decreased'], money)})"
        )
    if lists["won"]:
        parts.append(f"closes {len(lists['won'])} won ({_sum(lists['won'], money)})")
    if lists["lost"]:
        parts.append(f"closes {len(lists['lost'])} lost ({_sum(lists['lost'], money)})")
    if lists["deleted"]:
        parts.append(f"deletes {len(lists['deleted'])}")
    if lists["stale"]:
        parts.append(f"adds {counted(len(lists['stale']), 'stale deal')}")
    return ", ".join(parts)


def render_markdown(c: Changes, locale: str = "en_US") -> str:
    """A short pull-request comment: one sentence, the waterfall, and the deals in a fold."""
    money = money_format(locale)
    sentence = summary_sentence(c, locale)
    head = (
        f"**Pipeline changes** from {markdown_code(c.start.label)} "
        f"({c.start.commit[:7] if c.start.commit else 'empty'}) to {markdown_code(c.end.label)} "
        f"({c.end.commit[:7] if c.end.commit else 'empty'})"
    )
    out = [head + (f" for {markdown_text(c.owner)}" if c.owner else ""), ""]
    sentence = (sentence[0].upper() + sentence[1:] + ".") if sentence else "No pipeline changes."
    out.append(markdown_text(sentence))
    currencies = list(c.waterfall)
    if currencies:
        heads = " | ".join(markdown_text(cur) for cur in currencies)
        out += ["", "| | " + heads + " |", "|---|" + "---:|" * len(currencies)]
        for t in WATERFALL_TERMS:
            label = TERM_LABELS[t].removeprefix("= ")
            cells = " | ".join(money(c.waterfall[cur][t], cur) for cur in currencies)
            bold = t in ("start", "end")
            out.append(f"| {'**' + label + '**' if bold else label} | {cells} |")
    details = []
    for key in LISTS:
        for i in c.lists[key]:
            details.append(
                f"- {TITLES[key].lower()}: {markdown_code(i.id)} "
                f"({markdown_text(i.owner) if i.owner else 'no owner'}) "
                f"{markdown_text(money(i.amount, i.currency))}, "
                f"{markdown_text(item_detail(key, i, money))}"
            )
    if details:
        out += ["", "<details><summary>Opportunities</summary>", "", *details, "", "</details>"]
    return "\n".join(out) + "\n"
