"""Running pipeline figures: kept between serve rounds, updated from one deal's old and new figures.

`Running` holds what the dashboard, the board and pipeline.json sum over every deal (key
figures, the pipeline by stage, the forecast by month, each for the whole team and per owner,
and the attention list) as tallies that an opportunity's contribution can be taken out of and
put back into. A changed deal costs its own contribution, not a pass over every deal. What it
gives is equal, value and Decimal form, to what `key_figures`, `stage_summary`, `forecast`
and `attention` compute from scratch (tests/test_pipeline_running.py compares them after
random edits). It is built for one config, catalog and today: when one of them changes, a new
`Running` is built.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import chain
from typing import TYPE_CHECKING

from textcrm import money
from textcrm.deals import sales_cycle_days
from textcrm.money import ZERO
from textcrm.pipeline.attention import (
    ATTENTION_ORDER,
    AttentionItem,
    KeyFigures,
    deal_attention,
)
from textcrm.pipeline.stages import Forecast, ForecastCell, ForecastRow, StageRow, StageSummary
from textcrm.pipeline.totals import (
    CATEGORIES,
    Period,
    Tally,
    Totals,
    periods,
    quarter_of,
    status,
)

if TYPE_CHECKING:
    from textcrm.model import Config, Opportunity
    from textcrm.repository import Repository


class RunningTally:
    """Amounts per currency that can be added and taken back out, exactly.

    A sum from scratch starts at `ZERO` and takes the smallest exponent of what it adds
    (`1.50 + 1 = 2.50`); a sum something was taken out of may keep a smaller one. So each
    currency also counts the exponents it holds, and `tally()` gives the sums in the form a
    fresh `Tally` of the same amounts has. A currency whose last amount is taken out is gone,
    as it would be from a fresh one.
    """

    __slots__ = ("counts", "exponents", "sums")

    def __init__(self) -> None:
        self.sums: dict[str, Decimal] = {}
        self.counts: dict[str, int] = {}
        self.exponents: dict[str, Counter[int]] = {}

    def add(self, currency: str, value: Decimal, sign: int = 1) -> None:
        """Add `value` (sign 1) or take it back out (sign -1)."""
        exponent = int(value.as_tuple().exponent)
        count = self.counts.get(currency, 0) + sign
        if count == 0:
            del self.sums[currency], self.counts[currency], self.exponents[currency]
            return
        self.counts[currency] = count
        if sign > 0:
            self.sums[currency] = self.sums.get(currency, ZERO) + value
            self.exponents.setdefault(currency, Counter())[exponent] += 1
        else:
            self.sums[currency] -= value
            seen = self.exponents[currency]
            seen[exponent] -= 1
            if not seen[exponent]:
                del seen[exponent]

    def tally(self) -> Tally:
        """A `Tally` holding what a fresh one would after adding the same amounts."""
        found = Tally()
        for currency, value in self.sums.items():
            exponent = min(0, *self.exponents[currency])
            # Exact: the amounts held have no digits below their smallest exponent.
            found.sums[currency] = ZERO + money.at_exponent(value, exponent)
            found.counts[currency] = self.counts[currency]
        return found


# What one deal adds to the running figures: tallies (name, currency, amount) and counts
# (name), each name a tuple starting with the owner it is kept for (None: the whole team).
Entries = tuple[tuple[tuple[object, ...], str, Decimal], ...]


@dataclass(frozen=True, slots=True)
class Contribution:
    """One deal's part in the running figures."""

    tallies: Entries
    counts: tuple[tuple[object, ...], ...]
    cycle: int | None  # days from created (or its file's first commit) to won
    own_cycle: int | None  # the same from the file's `created` only
    owner: str
    attention: tuple[AttentionItem, ...]


class Running:
    """The pipeline's sums over every deal, kept up to date one deal at a time."""

    def __init__(
        self, repo: Repository, today: date, created: Mapping[str, date] | None = None
    ) -> None:
        self.config: Config = repo.config
        self.today = today
        self.created = dict(created or {})
        self.quarter = quarter_of(today)
        self.periods: list[Period] = periods(today)
        self.tallies: dict[tuple[object, ...], RunningTally] = {}
        self.counts: Counter[tuple[object, ...]] = Counter()
        # Sales cycles by scope, with creation dates from git history (True) or without.
        self.cycles: dict[tuple[str | None, bool], Counter[int]] = {}
        self.deals: dict[str, Contribution] = {}
        for opp in repo.opportunities.values():
            self.add(repo, opp)

    # --- updates ---------------------------------------------------------------------

    def add(self, repo: Repository, opp: Opportunity) -> None:
        """Count the deal in (after taking out what it counted for before, if anything)."""
        self.remove(opp.id)
        part = self._contribution(repo, opp)
        self.deals[opp.id] = part
        self._apply(part, 1)

    def remove(self, opp_id: str) -> None:
        """Take a deal's contribution back out (nothing when it was not counted)."""
        part = self.deals.pop(opp_id, None)
        if part is not None:
            self._apply(part, -1)

    def _apply(self, part: Contribution, sign: int) -> None:
        for scope in (None, part.owner):
            for name, currency, value in part.tallies:
                self.tallies.setdefault((scope, *name), RunningTally()).add(currency, value, sign)
            for name in part.counts:
                self.counts[(scope, *name)] += sign
            for fallback, cycle in ((True, part.cycle), (False, part.own_cycle)):
                if cycle is not None:
                    seen = self.cycles.setdefault((scope, fallback), Counter())
                    seen[cycle] += sign
                    if not seen[cycle]:
                        del seen[cycle]

    def _contribution(self, repo: Repository, opp: Opportunity) -> Contribution:
        """Where the deal counts: the same rules as key_figures, stage_summary, forecast."""
        fig = repo.figures(opp)
        state = status(repo, opp)
        cur = fig.currency
        tallies: list[tuple[tuple[object, ...], str, Decimal]] = []
        counts: list[tuple[object, ...]] = []
        cycle = own_cycle = None
        # The pipeline by stage (a stage the config does not know is left out).
        if self.config.stage(opp.stage) is not None:
            tallies += [(("stage", opp.stage, "expected"), cur, fig.expected)]
            tallies += [(("stage", opp.stage, "weighted"), cur, fig.weighted)]
            counts.append(("stage", opp.stage))
            if state == "open":
                tallies += [(("stages-open", "expected"), cur, fig.expected)]
                tallies += [(("stages-open", "weighted"), cur, fig.weighted)]
                counts.append(("stages-open",))
        # Key figures.
        if state == "open":
            counts.append(("open",))
            tallies += [(("pipeline",), cur, fig.expected), (("weighted",), cur, fig.weighted)]
        else:
            in_quarter = opp.close_date is not None and self.quarter.contains(opp.close_date)
            if state == "won":
                counts.append(("won",))
                tallies.append((("won",), cur, fig.expected))
                if in_quarter:
                    counts.append(("won-quarter",))
                    tallies.append((("won-quarter",), cur, fig.expected))
                start = opp.created or self.created.get(opp.id)
                cycle = sales_cycle_days(start, opp.close_date)
                own_cycle = sales_cycle_days(opp.created, opp.close_date)
            else:
                counts.append(("lost",))
                if in_quarter:
                    counts.append(("lost-quarter",))
                    tallies.append((("lost-quarter",), cur, fig.expected))
        # The forecast by month and category.
        spans, close = self.periods, opp.close_date
        if close is not None:
            if state == "won":
                for i, p in enumerate(spans):
                    if p.contains(close) and close <= self.today:
                        tallies += [(("won-in", i, "expected"), cur, fig.expected)]
                        tallies += [(("won-in", i, "weighted"), cur, fig.weighted)]
                        counts.append(("won-in", i))
            elif state == "open" and fig.forecast in CATEGORIES:
                if close < spans[0].start:
                    where: tuple[object, ...] | None = ("past",)
                elif close > spans[-1].end:
                    where = ("later",)
                else:
                    where = next(
                        (("in", i, fig.forecast) for i, p in enumerate(spans) if p.contains(close)),
                        None,
                    )
                if where is not None:
                    names = [where] if where[0] != "in" else [where, ("in", where[1], "total")]
                    for name in names:
                        tallies += [((*name, "expected"), cur, fig.expected)]
                        tallies += [((*name, "weighted"), cur, fig.weighted)]
                        counts.append(name)
        items = tuple(deal_attention(repo, opp, self.today)) if state == "open" else ()
        return Contribution(tuple(tallies), tuple(counts), cycle, own_cycle, opp.owner, items)

    # --- what the pages read ---------------------------------------------------------

    def _totals(self, *name: object) -> Totals:
        held = self.tallies.get(name)
        return (held.tally() if held is not None else Tally()).totals(self.config)

    def _cell(self, scope: str | None, *name: object) -> ForecastCell:
        return ForecastCell(
            self.counts[(scope, *name)],
            self._totals(scope, *name, "expected"),
            self._totals(scope, *name, "weighted"),
        )

    def key_figures(self, owner: str | None = None, history: bool = True) -> KeyFigures:
        """`pipeline.key_figures(repo, today, owner, created)`; `history` False: without the
        creation dates from git history (`created=None`)."""
        n = self.counts
        won, lost = n[(owner, "won")], n[(owner, "lost")]
        won_all = self.tallies.get((owner, "won"))
        return KeyFigures(
            n[(owner, "open")],
            self._totals(owner, "pipeline"),
            self._totals(owner, "weighted"),
            self.quarter,
            n[(owner, "won-quarter")],
            self._totals(owner, "won-quarter"),
            n[(owner, "lost-quarter")],
            self._totals(owner, "lost-quarter"),
            money.percentage(won, won + lost),
            won,
            lost,
            (won_all.tally() if won_all is not None else Tally()).averages(self.config),
            money.average(self.cycles.get((owner, history), Counter()).elements()),
        )

    def stage_summary(self, owner: str | None = None) -> StageSummary:
        """`pipeline.stage_summary(repo, owner)`."""
        rows = tuple(
            StageRow(
                s.key,
                s.name,
                s.is_open,
                s.probability,
                self.counts[(owner, "stage", s.key)],
                self._totals(owner, "stage", s.key, "expected"),
                self._totals(owner, "stage", s.key, "weighted"),
            )
            for s in self.config.stages
        )
        return StageSummary(
            rows,
            self.counts[(owner, "stages-open")],
            self._totals(owner, "stages-open", "expected"),
            self._totals(owner, "stages-open", "weighted"),
        )

    def forecast(self, owner: str | None = None) -> Forecast:
        """`pipeline.forecast(repo, today, owner=owner)`: by month, six months."""
        rows = tuple(
            ForecastRow(
                p,
                tuple((c, self._cell(owner, "in", i, c)) for c in CATEGORIES),
                self._cell(owner, "in", i, "total"),
                self._cell(owner, "won-in", i),
            )
            for i, p in enumerate(self.periods)
        )
        return Forecast("month", rows, self._cell(owner, "past"), self._cell(owner, "later"))

    def attention(self) -> list[AttentionItem]:
        """`pipeline.attention(repo, today)`: most urgent first."""
        found: Iterable[AttentionItem] = chain.from_iterable(
            self.deals[k].attention for k in sorted(self.deals) if self.deals[k].attention
        )
        return sorted(
            found, key=lambda a: (ATTENTION_ORDER[a.kind], a.date or date.min, a.opportunity)
        )
