"""History and pipeline changes as text tables, JSON and a short Markdown pull-request comment.

Titles, ids, owners, stages and commit authors come from the repository and its history:
the text forms show their control characters (`encode.terminal_text`; they have no colour of
their own) and the Markdown comment writes them through `encode.markdown_text` and
`encode.markdown_code`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from textcrm.encode import markdown_code, markdown_text, terminal_text
from textcrm.history import (
    LISTS,
    WATERFALL_TERMS,
    Changes,
    Item,
    OpportunityHistory,
    money,
)
from textcrm.money import fixed, round_money

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


def render_history(h: OpportunityHistory, today: date) -> str:
    """One opportunity's history as an aligned table and summary lines."""
    from textcrm import console

    rows = [
        (e.commit.day.isoformat(), e.commit.author, e.commit.short, e.describe()) for e in h.events
    ]
    out = [f"{h.id}: {h.title or '(no title)'} ({h.path})" + ("" if h.exists else " [deleted]"), ""]
    out.append(console.table(("date", "author", "commit", "change"), rows).rstrip("\n"))
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
    times = "time" if len(h.moves) == 1 else "times"
    out.append(
        f"close date moved {len(h.moves)} {times}: {len(pushed)} pushed out by "
        f"{sum(m.days for m in pushed)} days in all, {len(pulled)} pulled in by "
        f"{-sum(m.days for m in pulled)} days in all"
    )
    if h.closed_on:
        out.append(
            f"sales cycle: {(h.closed_on - h.created).days} days "
            f"(created {h.created}, closed {h.closed_on})"
        )
    out.append(f"age: {(today - h.created).days} days (created {h.created})")
    return terminal_text("\n".join(out) + "\n")


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
                "note": e.note,
                "changes": [
                    {"field": c.field, "old": c.old or None, "new": c.new} for c in e.changes
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


def _point(label: str, commit: str | None) -> str:
    return f"{label} ({commit[:7]})" if commit else f"{label} (before the first commit)"


def _num(value: Decimal, currency: str) -> str:
    return f"{round_money(value, currency):,}"


def render_changes(c: Changes) -> str:
    """The changes as sections of aligned tables and the waterfall per currency."""
    from textcrm import console

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
        rows = [(i.id, i.owner or "-", money(i.amount, i.currency), i.detail) for i in items]
        out.append(
            console.table(("opportunity", "owner", "amount", "detail"), rows, right=(2,)).rstrip(
                "\n"
            )
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
            (TERM_LABELS[t], *(_num(c.waterfall[cur][t], cur) for cur in currencies))
            for t in WATERFALL_TERMS
        ]
        out.append("Waterfall")
        out.append(
            console.table(
                ("", *currencies), fall, right=tuple(range(1, len(currencies) + 1))
            ).rstrip("\n")
        )
    return terminal_text("\n".join(out) + "\n")


def changes_json(c: Changes) -> dict[str, Any]:
    """The changes as a JSON-ready document (amounts as exact decimal strings)."""
    return {
        "version": 1,
        "since": {"label": c.start.label, "commit": c.start.commit},
        "until": {"label": c.end.label, "commit": c.end.commit},
        "owner": c.owner,
        **{key: [i.to_json() for i in c.lists[key]] for key in LISTS},
        "forecast_moves": [
            {"from": old, "to": new, "currency": cur, "amount": fixed(amount, cur)}
            for (old, new, cur), amount in sorted(c.forecast_moves.items())
        ],
        "waterfall": {
            cur: {t: fixed(v, cur) for t, v in terms.items()} for cur, terms in c.waterfall.items()
        },
        "reconciles": c.reconciles(),
    }


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _sum(items: list[Item]) -> str:
    by: dict[str, Decimal] = {}
    for i in items:
        by[i.currency] = by.get(i.currency, Decimal(0)) + i.amount
    return " + ".join(money(v, k) for k, v in sorted(by.items()))


def summary_sentence(c: Changes) -> str:
    """`moves USD 12,000.00 from commit to best case, pushes 2 close dates out, ...`"""
    parts = []
    for (old, new, currency), amount in sorted(c.forecast_moves.items()):
        parts.append(
            f"moves {money(amount, currency)} from {old.replace('_', ' ')} to "
            f"{new.replace('_', ' ')}"
        )
    lists = c.lists
    if lists["new"]:
        parts.append(
            f"adds {_n(len(lists['new']), 'opportunity', 'opportunities')} ({_sum(lists['new'])})"
        )
    if lists["reopened"]:
        parts.append(f"re-opens {len(lists['reopened'])}")
    if lists["advanced"]:
        parts.append(f"advances {len(lists['advanced'])}")
    if lists["regressed"]:
        parts.append(f"moves {len(lists['regressed'])} back a stage")
    if lists["slipped"]:
        parts.append(f"pushes {_n(len(lists['slipped']), 'close date', 'close dates')} out")
    if lists["pulled_in"]:
        parts.append(f"pulls {_n(len(lists['pulled_in']), 'close date', 'close dates')} in")
    if lists["increased"]:
        parts.append(
            f"raises {_n(len(lists['increased']), 'amount', 'amounts')} "
            f"(+{_sum(lists['increased'])})"
        )
    if lists["decreased"]:
        parts.append(
            f"lowers {_n(len(lists['decreased']), 'amount', 'amounts')} "
            f"(-{_sum(lists['decreased'])})"
        )
    if lists["won"]:
        parts.append(f"closes {len(lists['won'])} won ({_sum(lists['won'])})")
    if lists["lost"]:
        parts.append(f"closes {len(lists['lost'])} lost ({_sum(lists['lost'])})")
    if lists["deleted"]:
        parts.append(f"deletes {len(lists['deleted'])}")
    if lists["stale"]:
        parts.append(f"adds {_n(len(lists['stale']), 'stale deal', 'stale deals')}")
    return ", ".join(parts)


def render_markdown(c: Changes) -> str:
    """A short pull-request comment: one sentence, the waterfall, and the deals in a fold."""
    sentence = summary_sentence(c)
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
            cells = " | ".join(_num(c.waterfall[cur][t], cur) for cur in currencies)
            bold = t in ("start", "end")
            out.append(f"| {'**' + label + '**' if bold else label} | {cells} |")
    details = []
    for key in LISTS:
        for i in c.lists[key]:
            details.append(
                f"- {TITLES[key].lower()}: {markdown_code(i.id)} "
                f"({markdown_text(i.owner) if i.owner else 'no owner'}) "
                f"{markdown_text(money(i.amount, i.currency))}, {markdown_text(i.detail)}"
            )
    if details:
        out += ["", "<details><summary>Opportunities</summary>", "", *details, "", "</details>"]
    return "\n".join(out) + "\n"
