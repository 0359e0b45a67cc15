"""Quotas and attainment per owner and period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from textcrm import money
from textcrm.money import ZERO, round_money
from textcrm.pipeline.totals import (
    CATEGORIES,
    Period,
    Tally,
    Totals,
    month_of,
    owners,
    quarter_of,
    select,
    status,
)

if TYPE_CHECKING:
    from textcrm.model import Config
    from textcrm.repository import Repository


# --- quotas and attainment ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attainment:
    """One owner's (or the team's) quota for a period and how far along it is.

    Money in the reporting currency; `closed_won`, `weighted` and `commit` are per currency
    with their converted sum. A figure that needs a sum the rates cannot convert is None, as
    is a ratio over a quota of zero or a remaining quota of zero, and coverage once the period
    is over.
    """

    owner: str | None  # None for the team
    quota: Decimal | None
    won_count: int
    closed_won: Totals  # won deals closed in the period, to date
    attainment: Decimal | None  # percent of the quota, one decimal
    remaining: Decimal | None  # quota less closed won, never below zero
    open_count: int
    weighted: Totals  # open deals closing in the rest of the period, weighted
    commit: Totals  # the commit deals among them, expected revenue
    weighted_coverage: Decimal | None  # weighted / remaining, two decimals
    commit_coverage: Decimal | None


@dataclass(frozen=True, slots=True)
class QuotaReport:
    """Attainment and coverage of one period, per owner (configured order) and the team."""

    period: Period
    today: date
    rest_start: date  # the first close date counted as the rest of the period
    owners: tuple[Attainment, ...]
    team: Attainment | None  # None when the report is for one owner


def quota_period(quotas_period: str, day: date) -> Period:
    """The quota period (month or quarter) containing `day`."""
    return month_of(day) if quotas_period == "month" else quarter_of(day)


def period_from_key(key: str, length: str) -> Period | None:
    """The month (`2026-12`) or quarter (`2026-Q4`) a period key names, when it is of the
    given length (month or quarter); else None."""
    year, _, part = key.partition("-")
    if not (len(year) == 4 and year.isdigit() and len(part) == 2):
        return None
    if length == "quarter" and part[0] == "Q" and part[1] in "1234":
        return quarter_of(date(int(year), 3 * int(part[1]) - 2, 1))
    if length == "month" and part.isdigit() and 1 <= int(part) <= 12:
        return month_of(date(int(year), int(part), 1))
    return None


class _QuotaTally:
    """What one owner (or the team) won in a quota period and has open for the rest of it."""

    def __init__(self) -> None:
        self.won, self.weighted, self.commit = Tally(), Tally(), Tally()
        self.won_count = self.open_count = 0


def _quota_tallies(
    repo: Repository, period: Period, today: date, rest_start: date
) -> dict[str | None, _QuotaTally]:
    """One pass over the deals: per owner, and for the team under None."""
    tallies: dict[str | None, _QuotaTally] = {None: _QuotaTally()}
    for opp in select(repo):
        if opp.close_date is None or not period.contains(opp.close_date):
            continue
        state = status(repo, opp)
        fig = repo.figures(opp)
        won = state == "won" and opp.close_date <= today
        open_ = state == "open" and fig.forecast in CATEGORIES and opp.close_date >= rest_start
        if not (won or open_):
            continue
        for t in (tallies[None], tallies.setdefault(opp.owner, _QuotaTally())):
            if won:
                t.won.add(fig.currency, fig.expected)
                t.won_count += 1
            else:
                t.weighted.add(fig.currency, fig.weighted)
                if fig.forecast == "commit":
                    t.commit.add(fig.currency, fig.expected)
                t.open_count += 1
    return tallies


def _attainment(
    config: Config, owner: str | None, quota: Decimal | None, t: _QuotaTally, over: bool
) -> Attainment:
    reporting = config.currency
    closed = t.won.totals(config)
    quota_ = None if quota is None else round_money(quota, reporting)
    remaining = None
    if quota_ is not None and closed.converted is not None:
        remaining = max(quota_ - closed.converted, round_money(ZERO, reporting))
    w, c = t.weighted.totals(config), t.commit.totals(config)
    # Once the period is over there is nothing left to cover.
    left = None if over else remaining
    return Attainment(
        owner,
        quota_,
        t.won_count,
        closed,
        money.percentage(closed.converted, quota_),
        remaining,
        t.open_count,
        w,
        c,
        money.ratio(w.converted, left, 2),
        money.ratio(c.converted, left, 2),
    )


def quota_report(
    repo: Repository, today: date, period: Period | None = None, owner: str | None = None
) -> QuotaReport | None:
    """Attainment and coverage for the quota period containing `today` (or `period`), per
    owner and for the team (not when `owner` is given); None when textcrm.yaml sets no quotas.

    Closed won: deals in a won stage whose close date falls in the period, up to today.
    Coverage: the weighted revenue of open deals (commit, best case and pipeline) closing
    from today (or the period's start, if later) to the period's end, and the expected
    revenue of the commit deals among them, each over the remaining quota.
    """
    quotas = repo.config.quotas
    if quotas is None:
        return None
    if period is None:
        period = quota_period(quotas.period, today)
    rest_start = max(today, period.start)
    over = rest_start > period.end
    targets = quotas.targets(period.key)
    tallies = _quota_tallies(repo, period, today, rest_start)
    config = repo.config
    shown = []
    known = owners(repo)
    for key in [*known, *(k for k in targets.owners if k not in known)]:
        if owner is not None and key != owner:
            continue
        if targets.owners.get(key) is None and key not in tallies:
            continue  # no quota, nothing won or open in the period
        tally = tallies.get(key, _QuotaTally())
        shown.append(_attainment(config, key, targets.owners.get(key), tally, over))
    team = None
    if owner is None:
        team = _attainment(config, None, targets.team, tallies[None], over)
    return QuotaReport(period, today, rest_start, tuple(shown), team)
