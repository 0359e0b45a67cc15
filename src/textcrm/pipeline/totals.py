"""The money and the status of deals: totals per currency, a deal's status, periods."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from textcrm.money import ZERO, exchange, mean, round_money

if TYPE_CHECKING:
    from textcrm.model import Config, Opportunity
    from textcrm.repository import Repository


CATEGORIES = ("commit", "best_case", "pipeline")
CATEGORY_NAMES = {
    "commit": "Commit",
    "best_case": "Best case",
    "pipeline": "Pipeline",
    "closed": "Closed",
    "omitted": "Omitted",
}


# --- money per currency ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Totals:
    """Amounts per currency (reporting currency first), and their sum converted to the
    reporting currency when every currency is the reporting one or has a rate."""

    amounts: tuple[tuple[str, Decimal], ...]
    reporting: str
    converted: Decimal | None

    def get(self, currency: str) -> Decimal:
        for c, v in self.amounts:
            if c == currency:
                return v
        return ZERO

    @property
    def is_zero(self) -> bool:
        return all(v == 0 for _, v in self.amounts)

    @property
    def multi_currency(self) -> bool:
        return len(self.amounts) > 1


class Tally:
    """Accumulates Decimal amounts per currency."""

    def __init__(self) -> None:
        self.sums: dict[str, Decimal] = {}
        self.counts: dict[str, int] = {}

    def add(self, currency: str, value: Decimal) -> None:
        self.sums[currency] = self.sums.get(currency, ZERO) + value
        self.counts[currency] = self.counts.get(currency, 0) + 1

    def totals(self, config: Config) -> Totals:
        return make_totals(self.sums, config)

    def averages(self, config: Config) -> Totals:
        """The mean amount per currency, rounded to the minor unit."""
        means = {c: mean(v, self.counts[c], c) for c, v in self.sums.items()}
        return make_totals(means, config)


def make_totals(sums: Mapping[str, Decimal], config: Config) -> Totals:
    reporting = config.currency
    if not sums:
        zero = round_money(ZERO, reporting)
        return Totals(((reporting, zero),), reporting, zero)
    order = sorted(sums, key=lambda c: (c != reporting, c))
    converted: Decimal | None = ZERO
    for currency in order:
        if currency == reporting:
            converted = (converted or ZERO) + sums[currency]
        elif currency in config.rates and converted is not None:
            converted += exchange(sums[currency], config.rates[currency], reporting)
        else:
            converted = None
    return Totals(tuple((c, sums[c]) for c in order), reporting, converted)


# --- opportunity status ---------------------------------------------------------------


def status(repo: Repository, opp: Opportunity) -> str:
    """open, won or lost (an unknown stage counts as open; check reports it)."""
    stage = repo.config.stage(opp.stage)
    if stage is None or stage.outcome is None:
        return "open"
    return stage.outcome


def select(
    repo: Repository, owner: str | None = None, state: str | None = None
) -> list[Opportunity]:
    """Opportunities (sorted by id), optionally of one owner and one status."""
    return [
        opp
        for opp in sorted(repo.opportunities.values(), key=lambda o: o.id)
        if (owner is None or opp.owner == owner) and (state is None or status(repo, opp) == state)
    ]


def owners(repo: Repository) -> list[str]:
    """The configured owners in their order, then any other owner named by an opportunity."""
    keys = [o.key for o in repo.config.owners or ()]
    extra = sorted({o.owner for o in repo.opportunities.values() if o.owner} - set(keys))
    return keys + extra


# --- periods --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """A month or a quarter, with its first and last day."""

    key: str  # 2026-11 or 2026-Q4
    label: str  # Nov 2026 or Q4 2026
    start: date
    end: date  # inclusive

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def month_of(day: date) -> Period:
    start = day.replace(day=1)
    nxt = (start + timedelta(days=32)).replace(day=1)
    return Period(f"{day:%Y-%m}", f"{day:%b %Y}", start, nxt - timedelta(days=1))


def quarter_of(day: date) -> Period:
    q = (day.month - 1) // 3
    start = date(day.year, 3 * q + 1, 1)
    end_month = date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1)
    return Period(
        f"{day.year}-Q{q + 1}", f"Q{q + 1} {day.year}", start, end_month - timedelta(days=1)
    )


def periods(today: date, by: str = "month", count: int = 6) -> list[Period]:
    """`count` consecutive months or quarters starting with the one containing today."""
    first = month_of if by == "month" else quarter_of
    result = [first(today)]
    while len(result) < count:
        result.append(first(result[-1].end + timedelta(days=1)))
    return result
