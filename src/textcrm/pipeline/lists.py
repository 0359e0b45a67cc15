"""Deals grouped per account, product, competitor and owner; filtered, sorted lists; the board."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from textcrm import money
from textcrm.money import plain
from textcrm.pipeline.attention import ATTENTION_ORDER, AttentionItem, KeyFigures, key_figures
from textcrm.pipeline.totals import Tally, Totals, owners, select, status

if TYPE_CHECKING:
    from textcrm.model import Opportunity
    from textcrm.repository import Repository


# --- per account, product and competitor ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Group:
    """Opportunities of one account, product or competitor, split by status, with totals."""

    key: str
    open: tuple[str, ...]
    won: tuple[str, ...]
    lost: tuple[str, ...]
    open_total: Totals
    won_total: Totals
    lost_total: Totals

    @property
    def win_rate(self) -> Decimal | None:
        return money.percentage(len(self.won), len(self.won) + len(self.lost))


def _group(
    repo: Repository, key: str, members: Iterable[tuple[Opportunity, str, Decimal]]
) -> Group:
    ids: dict[str, list[str]] = {"open": [], "won": [], "lost": []}
    tallies = {"open": Tally(), "won": Tally(), "lost": Tally()}
    for opp, currency, value in members:
        state = status(repo, opp)
        ids[state].append(opp.id)
        tallies[state].add(currency, value)
    config = repo.config
    return Group(
        key,
        tuple(ids["open"]),
        tuple(ids["won"]),
        tuple(ids["lost"]),
        tallies["open"].totals(config),
        tallies["won"].totals(config),
        tallies["lost"].totals(config),
    )


def by_account(repo: Repository) -> dict[str, Group]:
    """Per account id: its opportunities by status, with expected-revenue totals."""
    members: dict[str, list[tuple[Opportunity, str, Decimal]]] = {}
    for opp in select(repo):
        fig = repo.figures(opp)
        members.setdefault(opp.account, []).append((opp, fig.currency, fig.expected))
    keys = sorted(set(repo.accounts) | set(members))
    return {k: _group(repo, k, members.get(k, [])) for k in keys}


def by_competitor(repo: Repository) -> dict[str, Group]:
    """Per competitor id: the deals where it appears; our win rate against it."""
    members: dict[str, list[tuple[Opportunity, str, Decimal]]] = {}
    for opp in select(repo):
        fig = repo.figures(opp)
        for entry in {e.competitor for e in opp.competitors if e.competitor is not None}:
            members.setdefault(entry, []).append((opp, fig.currency, fig.expected))
    keys = sorted(set(repo.competitors) | set(members))
    return {k: _group(repo, k, members.get(k, [])) for k in keys}


CUSTOM_LINES = ""


def by_product(repo: Repository) -> dict[str, Group]:
    """Per sku (custom lines under ""): line totals in open pipeline, won and lost deals."""
    members: dict[str, list[tuple[Opportunity, str, Decimal]]] = {}
    for opp in select(repo):
        fig = repo.figures(opp)
        for line in fig.lines:
            members.setdefault(line.item.sku or CUSTOM_LINES, []).append(
                (opp, fig.currency, line.total)
            )
    keys = [p.sku for p in repo.product_list]
    keys += sorted(set(members) - set(keys))
    return {k: _group(repo, k, members.get(k, [])) for k in dict.fromkeys(keys)}


def percent_text(value: Decimal | None) -> str:
    return "-" if value is None else f"{plain(value)}%"


# --- filtered, sorted opportunity lists -----------------------------------------------

SORT_KEYS = ("close_date", "amount", "weighted", "stage", "updated")


@dataclass(frozen=True, slots=True)
class Criteria:
    """Filters for `opportunity_list`; None means "any"."""

    stage: str | None = None
    owner: str | None = None
    account: str | None = None
    state: str | None = None  # open, won or lost
    closing_before: date | None = None  # exclusive
    closing_after: date | None = None  # exclusive
    tag: str | None = None


def last_update(opp: Opportunity) -> date | None:
    """The latest activity date, else `created`: what `--sort updated` orders by."""
    return opp.last_activity or opp.created


def opportunity_list(
    repo: Repository, criteria: Criteria = Criteria(), sort: str = "close_date"
) -> list[Opportunity]:
    """Opportunities matching every criterion, sorted; ties are broken by id.

    close_date: soonest first (none last); amount and weighted: largest first (expected and
    weighted revenue, per currency as written); stage: pipeline order, then close date;
    updated: most recent activity (else created) first, never-touched last.
    """
    c = criteria
    chosen = []
    for opp in select(repo, c.owner, c.state):
        if c.stage is not None and opp.stage != c.stage:
            continue
        if c.account is not None and opp.account != c.account:
            continue
        if c.tag is not None and c.tag not in opp.tags:
            continue
        if c.closing_before is not None and not (
            opp.close_date is not None and opp.close_date < c.closing_before
        ):
            continue
        if c.closing_after is not None and not (
            opp.close_date is not None and opp.close_date > c.closing_after
        ):
            continue
        chosen.append(opp)
    far = date.max

    def key(opp: Opportunity) -> tuple[object, ...]:
        if sort == "amount":
            return (-repo.figures(opp).expected, opp.id)
        if sort == "weighted":
            return (-repo.figures(opp).weighted, opp.id)
        if sort == "stage":
            return (repo.config.stage_index(opp.stage), opp.close_date or far, opp.id)
        if sort == "updated":
            touched = last_update(opp)
            return (touched is None, -(touched or date.min).toordinal(), opp.id)
        return (opp.close_date or far, opp.id)

    return sorted(chosen, key=key)


def totals_of(repo: Repository, opps: Iterable[Opportunity]) -> tuple[Totals, Totals]:
    """Expected and weighted revenue of the given opportunities, per currency."""
    exp, w = Tally(), Tally()
    for opp in opps:
        fig = repo.figures(opp)
        exp.add(fig.currency, fig.expected)
        w.add(fig.currency, fig.weighted)
    return exp.totals(repo.config), w.totals(repo.config)


# --- site helpers: per-owner figures, flags, contacts, board --------------------------


@dataclass(frozen=True, slots=True)
class OwnerFigures:
    """One owner's key figures and how many attention items they have."""

    owner: str
    figures: KeyFigures
    attention: int


def owner_figures(
    repo: Repository,
    today: date,
    items: Iterable[AttentionItem] = (),
    created: Mapping[str, date] | None = None,
    figures: Callable[[str], KeyFigures] | None = None,
) -> list[OwnerFigures]:
    """Key figures per owner (configured order), with the count of their attention items.

    `figures`: an owner's key figures already at hand (serve's running figures)."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.owner] = counts.get(item.owner, 0) + 1
    if figures is None:

        def figures(o: str) -> KeyFigures:
            return key_figures(repo, today, owner=o, created=created)

    return [OwnerFigures(o, figures(o), counts.get(o, 0)) for o in owners(repo)]


def flags(items: Iterable[AttentionItem]) -> dict[str, tuple[str, ...]]:
    """Per opportunity id, the attention kinds that apply to it, in priority order."""
    found: dict[str, set[str]] = {}
    for item in items:
        found.setdefault(item.opportunity, set()).add(item.kind)
    return {k: tuple(sorted(v, key=ATTENTION_ORDER.__getitem__)) for k, v in found.items()}


def by_contact(repo: Repository) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per contact id: (opportunity id, role) of every opportunity naming it, by id."""
    found: dict[str, list[tuple[str, str]]] = {}
    for opp in select(repo):
        for role in opp.contacts:
            if role.contact is not None:
                found.setdefault(role.contact, []).append((opp.id, role.role))
    return {k: tuple(v) for k, v in sorted(found.items())}


def board(repo: Repository) -> list[tuple[str, list[Opportunity]]]:
    """Open stages in order, each with its opportunities by close date (undated last), id."""
    columns: dict[str, list[Opportunity]] = {s.key: [] for s in repo.config.open_stages}
    for opp in select(repo, state="open"):
        if opp.stage in columns:
            columns[opp.stage].append(opp)
    for cards in columns.values():
        cards.sort(key=lambda o: (o.close_date is None, o.close_date or date.min, o.id))
    return list(columns.items())
