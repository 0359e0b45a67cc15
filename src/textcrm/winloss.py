"""Win/loss analysis: closed deals grouped by lost reason, competitor, owner or stage.

Pure computation over the loaded Repository, shared by `textcrm winloss` and the site's
win/loss page. A deal is closed when its stage has an `outcome` (won or lost); with `since`
only deals whose close_date is on or after it count. Money is each deal's expected revenue
(`Repository.figures`), totalled per currency and converted with `rates:` as every report
does. Win rates are won / (won + lost), by count and by amount, in percent to one decimal.

Groupings:
- reason: lost deals by their lost_reason (spelling and spacing differences ignored); won
  deals have no lost reason and count in the total only.
- competitor: a deal counts once for every competitor named on it (so rows may add up to
  more than the total), with how often the competitor had each `status` on those deals;
  deals naming none form one row.
- owner: by the deal's owner, in the configured order.
- stage: by the stage a deal was closed from, won or lost: the last open stage it was in
  before its closing stage, read from git history (`stages_closed_from`); "unknown" without
  git history or when the history never shows it open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from textcrm import money, pipeline
from textcrm.money import ZERO
from textcrm.pipeline import Totals, make_totals

if TYPE_CHECKING:
    from textcrm.model import Config, Opportunity
    from textcrm.repository import Repository

GROUPINGS = ("reason", "competitor", "owner", "stage")
GROUPING_NAMES = {
    "reason": "Lost reason",
    "competitor": "Competitor",
    "owner": "Owner",
    "stage": "Closed from stage",
}
NO_REASON = "(no reason given)"
NO_COMPETITOR = "(no competitor named)"
NO_OWNER = "(no owner)"
UNKNOWN_STAGE = "unknown"


@dataclass(frozen=True, slots=True)
class Side:
    """The won (or lost) deals of a row: their ids and expected revenue."""

    ids: tuple[str, ...]
    amount: Totals

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class Row:
    """One group of closed deals. `key` is "" for the deals without one (no reason, no
    competitor, no owner, stage unknown); `label` is what a reader sees."""

    key: str
    label: str
    won: Side
    lost: Side
    win_rate: Decimal | None  # percent of closed deals won, by count; None: none closed
    win_rate_amount: Decimal | None  # by amount; None when not computable
    lost_share: Decimal | None  # percent of every lost deal that is in this row
    lost_share_amount: Decimal | None
    statuses: tuple[tuple[str, int], ...] = ()  # competitor rows: status -> deals

    @property
    def closed(self) -> int:
        return self.won.count + self.lost.count


@dataclass(frozen=True, slots=True)
class WinLoss:
    """The analysis: one row per group, most closed deals first, and the total."""

    by: str
    since: date | None
    rows: tuple[Row, ...]
    total: Row
    history: bool  # stage grouping: whether git history was available


class History(Protocol):
    """What `stages_closed_from` reads of an opportunity's history (history.py)."""

    @property
    def periods(self) -> Iterable[_Period]: ...


class _Period(Protocol):
    @property
    def stage(self) -> str: ...


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole in percent to one decimal (as the dashboard's win rate), None for 0."""
    return money.percentage(part, whole)


def amount_rate(part: Totals, rest: Totals) -> Decimal | None:
    """part / (part + rest) by amount: in the one currency they share, else converted to
    the reporting currency; None when some currency has no rate or the sum is zero."""
    currencies = {c for c, _ in (*part.amounts, *rest.amounts)}
    if len(currencies) == 1:
        (c,) = currencies
        return percent(part.get(c), part.get(c) + rest.get(c))
    if part.converted is None or rest.converted is None:
        return None
    return percent(part.converted, part.converted + rest.converted)


def stages_closed_from(histories: Mapping[str, History], config: Config) -> dict[str, str]:
    """Per opportunity id, the last open stage its history shows before the closing stage
    it is in (stages left out when no open stage is seen). Closed stages at the end of the
    history are skipped, so a deal closed in the work tree but not yet committed counts
    from the stage of its last commit."""
    found = {}
    for opp_id, h in histories.items():
        for period in reversed(list(h.periods)):
            stage = config.stage(period.stage)
            if stage is None or stage.is_open:
                found[opp_id] = period.stage
                break
    return found


def closed_deals(repo: Repository, since: date | None = None) -> list[Opportunity]:
    """Won and lost deals (by id), with close_date on or after `since` when given."""
    return [
        opp
        for opp in pipeline.select(repo)
        if pipeline.status(repo, opp) != "open"
        and (since is None or (opp.close_date is not None and opp.close_date >= since))
    ]


def reason_key(text: str) -> str:
    """A lost reason as grouped: case and runs of spaces ignored."""
    return " ".join(text.split()).casefold()


class _Builder:
    """Collects deals per group key, then makes the rows."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.labels: dict[str, str] = {}
        self.deals: dict[str, dict[str, list[Opportunity]]] = {}
        self.statuses: dict[str, dict[str, int]] = {}

    def add(self, key: str, label: str, opp: Opportunity, status: str | None = None) -> None:
        self.labels.setdefault(key, label)
        sides = self.deals.setdefault(key, {"won": [], "lost": []})
        sides[pipeline.status(self.repo, opp)].append(opp)
        if status is not None:
            counts = self.statuses.setdefault(key, {})
            counts[status] = counts.get(status, 0) + 1

    def sides(self, won: list[Opportunity], lost: list[Opportunity]) -> tuple[Side, Side]:
        """The won and lost deals with their totals, both listing the same currencies."""
        config = self.repo.config
        sums: dict[str, dict[str, Decimal]] = {"won": {}, "lost": {}}
        for side, opps in (("won", won), ("lost", lost)):
            for opp in opps:
                fig = self.repo.figures(opp)
                for s in sums.values():
                    s.setdefault(fig.currency, ZERO)
                sums[side][fig.currency] += fig.expected
        return (
            Side(tuple(o.id for o in won), make_totals(sums["won"], config)),
            Side(tuple(o.id for o in lost), make_totals(sums["lost"], config)),
        )

    def row(
        self, key: str, label: str, won: list[Opportunity], lost: list[Opportunity], every: Side
    ) -> Row:
        """A row; `every` is every lost deal, for the row's share of them."""
        won_side, lost_side = self.sides(won, lost)
        statuses = tuple(sorted(self.statuses.get(key, {}).items(), key=lambda kv: (-kv[1], kv[0])))
        return Row(
            key,
            label,
            won_side,
            lost_side,
            percent(Decimal(len(won)), Decimal(len(won) + len(lost))),
            amount_rate(won_side.amount, lost_side.amount),
            percent(Decimal(len(lost)), Decimal(every.count)),
            _share(lost_side.amount, every.amount),
            statuses,
        )


def _share(part: Totals, whole: Totals) -> Decimal | None:
    currencies = {c for c, _ in whole.amounts}
    if len(currencies) == 1:
        (c,) = currencies
        return percent(part.get(c), whole.get(c))
    if part.converted is None or whole.converted is None:
        return None
    return percent(part.converted, whole.converted)


def win_loss(
    repo: Repository,
    by: str = "reason",
    since: date | None = None,
    closed_from: Mapping[str, str] | None = None,
) -> WinLoss:
    """Won and lost counts, amounts and win rates of the closed deals, grouped `by` one of
    GROUPINGS. `closed_from` (from `stages_closed_from`) gives the stage each deal was closed
    from; None means there is no git history, and every deal's stage is unknown."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    deals = closed_deals(repo, since)
    config = repo.config
    won = [o for o in deals if pipeline.status(repo, o) == "won"]
    lost = [o for o in deals if pipeline.status(repo, o) == "lost"]
    groups = _Builder(repo)
    every_lost = groups.sides([], lost)[1]
    total = groups.row("", "Total", won, lost, every_lost)
    for opp in deals:
        if by == "reason":
            if pipeline.status(repo, opp) == "lost":
                key = reason_key(opp.lost_reason)
                groups.add(key, " ".join(opp.lost_reason.split()) or NO_REASON, opp)
        elif by == "competitor":
            entries: dict[str, str] = {}
            for e in opp.competitors:
                if e.competitor is not None:  # a partial entry: its problem is reported
                    entries.setdefault(e.competitor, e.status)
            for comp, status in entries.items():
                record = repo.competitors.get(comp)
                groups.add(comp, record.name if record else comp, opp, status or "(none)")
            if not entries:
                groups.add("", NO_COMPETITOR, opp)
        elif by == "owner":
            groups.add(opp.owner, _owner_label(config, opp.owner), opp)
        else:
            key = (closed_from or {}).get(opp.id, "")
            stage = config.stage(key)
            groups.add(key, stage.name if stage else key or UNKNOWN_STAGE, opp)
    order: list[str]
    if by == "owner":
        order = [o for o in pipeline.owners(repo) if o in groups.deals]
    elif by == "stage":
        order = sorted((k for k in groups.deals if k), key=lambda k: (config.stage_index(k), k))
    else:
        order = sorted(
            (k for k in groups.deals if k),
            key=lambda k: (
                -len(groups.deals[k]["lost"]) - len(groups.deals[k]["won"]),
                groups.labels[k].casefold(),
            ),
        )
    if "" in groups.deals:
        order.append("")
    rows = tuple(
        groups.row(k, groups.labels[k], groups.deals[k]["won"], groups.deals[k]["lost"], every_lost)
        for k in order
    )
    return WinLoss(by, since, rows, total, closed_from is not None)


def _owner_label(config: Config, key: str) -> str:
    if not key:
        return NO_OWNER
    owner = config.owner(key)
    return owner.display if owner else key


def analyse(
    repo: Repository, by: str = "reason", since: date | None = None, use_cache: bool = True
) -> WinLoss:
    """`textcrm winloss`: win_loss, reading git history for the stage a deal was closed from
    when grouping `by` stage (no history: every stage is unknown)."""
    closed_from = None
    if by == "stage":
        from textcrm.history import histories_if_any

        found = histories_if_any(repo.root, use_cache=use_cache)
        if found is not None:
            closed_from = stages_closed_from(found, repo.config)
    return win_loss(repo, by, since, closed_from)
