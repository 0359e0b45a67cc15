"""The site's sections from git history, as view models.

The dashboard's changes (the waterfall), time in stage and sales cycle; each opportunity's
stage timeline and close-date changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from textcrm import deals, pipeline
from textcrm.money import plain
from textcrm.plural import counted
from textcrm.site.views.charts import Bar, waterfall
from textcrm.site.views.common import Context

if TYPE_CHECKING:
    from textcrm.history import OpportunityHistory


WATERFALL_LABELS = (
    ("start", "Open pipeline at start"),
    ("new", "+ New"),
    ("increases", "+ Increases"),
    ("decreases", "− Decreases"),
    ("won", "− Won"),
    ("lost", "− Lost"),
    ("removed", "− Removed"),
    ("end", "Open pipeline now"),
)


@dataclass(frozen=True, slots=True)
class WaterfallLine:
    """One term of the waterfall: its label and its amount in each currency."""

    key: str
    label: str
    amounts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StageDaysLine:
    key: str
    name: str
    days: str
    periods: int


@dataclass(frozen=True, slots=True)
class DashboardHistory:
    """The dashboard's sections from git: changes since `since`, days in stage, cycle."""

    since: date
    currencies: tuple[str, ...]
    waterfall: tuple[WaterfallLine, ...]
    charts: tuple[str, ...]
    reconciles: bool
    stage_days: tuple[StageDaysLine, ...]
    cycle: str
    cycle_count: int


def dashboard_history(ctx: Context) -> DashboardHistory | None:
    """The dashboard's history sections, or None without git history."""
    from textcrm.history import average_days, average_stage_days, won_cycles

    found = ctx.history
    if found is None:
        return None
    fmt = ctx.fmt
    falls = found.changes.waterfall
    currencies = tuple(falls) or (ctx.config.currency,)
    zero = Decimal(0)
    lines = tuple(
        WaterfallLine(
            key,
            label,
            tuple(fmt.money(falls.get(c, {}).get(key, zero), c) for c in currencies),
        )
        for key, label in WATERFALL_LABELS
    )
    chart_list = []
    for c in currencies:
        w = falls.get(c, {})
        chart_list.append(
            waterfall(
                f"waterfall-{c.lower()}",
                f"Open pipeline ({c}) since {fmt.date(found.since)}",
                [
                    Bar(key.capitalize(), w.get(key, zero), fmt.money(w.get(key, zero), c))
                    for key, _ in WATERFALL_LABELS
                ],
                heading=c if len(currencies) > 1 else "",
            )
        )
    averages = average_stage_days(found.histories)
    stage_days = tuple(
        StageDaysLine(s.key, s.name, counted(plain(averages[s.key][0]), "day"), averages[s.key][1])
        for s in ctx.config.stages
        if s.key in averages
    )
    won = {o.id for o in ctx.repo.opportunities.values() if pipeline.status(ctx.repo, o) == "won"}
    cycles = won_cycles(found.histories, won)
    cycle = "–"
    if cycles:
        cycle = counted(plain(average_days(cycles)), "day")
    return DashboardHistory(
        found.since,
        currencies,
        lines,
        tuple(chart_list),
        found.changes.reconciles(),
        stage_days,
        cycle,
        len(cycles),
    )


@dataclass(frozen=True, slots=True)
class StagePeriodLine:
    """One stage the deal went through: when it entered, and how long it stayed."""

    stage: str
    entered: date
    left: date | None
    days: str
    current: bool


@dataclass(frozen=True, slots=True)
class CloseDateLine:
    """One change of the close date: the day it was made, old -> new, days moved (signed)."""

    day: date
    old: date
    new: date
    days: str
    slipped: bool


@dataclass(frozen=True, slots=True)
class OpportunityHistoryView:
    """An opportunity's stage timeline and close-date changes, from git."""

    periods: tuple[StagePeriodLine, ...]
    moves: tuple[CloseDateLine, ...]
    slips: int
    summary: str


def opportunity_history(ctx: Context, h: OpportunityHistory) -> OpportunityHistoryView:
    """The history block of an opportunity page."""
    periods = []
    for p in h.periods:
        current = p.end is None
        # The days of a won or lost stage the deal still sits in mean nothing: left blank.
        closed = current and not deals.stage_open(ctx.config, p.stage)
        days = "" if closed else str(((p.end or ctx.today) - p.start).days)
        periods.append(StagePeriodLine(ctx.stage_name(p.stage), p.start, p.end, days, current))
    moves = tuple(CloseDateLine(m.day, m.old, m.new, f"{m.days:+d}", m.days > 0) for m in h.moves)
    pushed = [m.days for m in h.moves if m.days > 0]
    pulled = [m.days for m in h.moves if m.days < 0]
    summary = (
        f"Pushed out {counted(len(pushed), 'time')} ({counted(sum(pushed), 'day')} in all), "
        f"pulled in {counted(len(pulled), 'time')} ({counted(-sum(pulled), 'day')} in all)."
    )
    return OpportunityHistoryView(tuple(periods), moves, h.slips, summary)
