"""The pipeline by stage and the weighted forecast by period and category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from textcrm.pipeline.totals import CATEGORIES, Period, Tally, Totals, periods, select, status

if TYPE_CHECKING:
    from textcrm.model import Config
    from textcrm.repository import Repository


# --- pipeline by stage ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageRow:
    """One stage of the pipeline: how many deals, their expected and weighted revenue."""

    key: str
    name: str
    is_open: bool
    probability: Decimal
    count: int
    expected: Totals
    weighted: Totals


@dataclass(frozen=True, slots=True)
class StageSummary:
    """The pipeline by stage, with the totals of the open stages."""

    rows: tuple[StageRow, ...]  # every configured stage, in order
    open_count: int
    expected: Totals  # open stages only
    weighted: Totals

    @property
    def open_rows(self) -> tuple[StageRow, ...]:
        return tuple(r for r in self.rows if r.is_open)


def stage_summary(repo: Repository, owner: str | None = None) -> StageSummary:
    """Count, expected and weighted revenue per stage in pipeline order; totals of open ones."""
    config = repo.config
    tallies = {s.key: (Tally(), Tally()) for s in config.stages}
    counts = dict.fromkeys(tallies, 0)
    total_exp, total_w, open_count = Tally(), Tally(), 0
    for opp in select(repo, owner):
        if opp.stage not in tallies:
            continue
        fig = repo.figures(opp)
        exp, w = tallies[opp.stage]
        exp.add(fig.currency, fig.expected)
        w.add(fig.currency, fig.weighted)
        counts[opp.stage] += 1
        if status(repo, opp) == "open":
            total_exp.add(fig.currency, fig.expected)
            total_w.add(fig.currency, fig.weighted)
            open_count += 1
    rows = tuple(
        StageRow(
            s.key,
            s.name,
            s.is_open,
            s.probability,
            counts[s.key],
            tallies[s.key][0].totals(config),
            tallies[s.key][1].totals(config),
        )
        for s in config.stages
    )
    return StageSummary(rows, open_count, total_exp.totals(config), total_w.totals(config))


# --- forecast -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForecastCell:
    """Deals of one period and category: how many, expected and weighted revenue."""

    count: int
    expected: Totals
    weighted: Totals


@dataclass(frozen=True, slots=True)
class ForecastRow:
    """One period of the forecast, by category, and what was won in it."""

    period: Period
    categories: tuple[tuple[str, ForecastCell], ...]  # commit, best_case, pipeline
    total: ForecastCell
    closed_won: ForecastCell  # won deals closed in the period (to date)

    def cell(self, category: str) -> ForecastCell:
        return dict(self.categories)[category]


@dataclass(frozen=True, slots=True)
class Forecast:
    """The forecast by period, and the open deals outside the periods."""

    by: str
    rows: tuple[ForecastRow, ...]
    past_due: ForecastCell  # open deals whose close date is before the first period
    later: ForecastCell  # open deals closing after the last period


def _cell(items: list[tuple[str, Decimal, Decimal]], config: Config) -> ForecastCell:
    exp, w = Tally(), Tally()
    for currency, e, wt in items:
        exp.add(currency, e)
        w.add(currency, wt)
    return ForecastCell(len(items), exp.totals(config), w.totals(config))


def forecast(
    repo: Repository, today: date, by: str = "month", count: int = 6, owner: str | None = None
) -> Forecast:
    """Open revenue by close period and forecast category, and closed-won per period.

    Deals in the `omitted` category (and open deals without a close date) are left out.
    """
    config = repo.config
    spans = periods(today, by, count)
    buckets: dict[tuple[int, str], list[tuple[str, Decimal, Decimal]]] = {}
    won: dict[int, list[tuple[str, Decimal, Decimal]]] = {}
    past, later = [], []
    for opp in select(repo, owner):
        fig = repo.figures(opp)
        state = status(repo, opp)
        if opp.close_date is None:
            continue
        item = (fig.currency, fig.expected, fig.weighted)
        if state == "won":
            for i, p in enumerate(spans):
                if p.contains(opp.close_date) and opp.close_date <= today:
                    won.setdefault(i, []).append(item)
            continue
        if state != "open" or fig.forecast not in CATEGORIES:
            continue
        if opp.close_date < spans[0].start:
            past.append(item)
            continue
        if opp.close_date > spans[-1].end:
            later.append(item)
            continue
        for i, p in enumerate(spans):
            if p.contains(opp.close_date):
                buckets.setdefault((i, fig.forecast), []).append(item)
    rows = []
    for i, p in enumerate(spans):
        cats = tuple((c, _cell(buckets.get((i, c), []), config)) for c in CATEGORIES)
        every = [x for c in CATEGORIES for x in buckets.get((i, c), [])]
        rows.append(ForecastRow(p, cats, _cell(every, config), _cell(won.get(i, []), config)))
    return Forecast(by, tuple(rows), _cell(past, config), _cell(later, config))
