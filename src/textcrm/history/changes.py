"""Changes between two points: the deals in each list (new, advanced, slipped, won...) and the
waterfall that reconciles the open pipeline at the start with the pipeline at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from textcrm import git
from textcrm.errors import UsageError
from textcrm.history.cache import build_timeline, save_timeline
from textcrm.history.deal import Amount
from textcrm.history.points import DATE, Point, index_of, resolve_point
from textcrm.history.states import Deal, State, state_at, state_from_tree
from textcrm.history.timeline import head_chain, locate

WATERFALL_TERMS = ("start", "new", "increases", "decreases", "won", "lost", "removed", "end")

# What an Item's change is about: stage names, close dates, amounts, or the day it went stale.
ItemValue = str | date | Amount | None


@dataclass(frozen=True)
class Item:
    """One opportunity in a list of `changes`: the money it concerns and what changed, as
    values that history/output.py writes out. `old` and `new` are, by list: the stage before
    and after (new: `old` None; deleted: `new` None; won and lost: `old` None for a deal new
    in the period), the close dates (slipped, pulled_in), the expected revenue as Amounts
    (increased, decreased: an amount or a currency change), or the day it went stale (`new`)."""

    id: str
    title: str
    owner: str
    currency: str
    amount: Decimal
    old: ItemValue = None
    new: ItemValue = None


@dataclass
class Changes:
    """What happened to the pipeline between two points, with a reconciling waterfall."""

    start: Point
    end: Point
    owner: str | None
    lists: dict[str, list[Item]]
    waterfall: dict[str, dict[str, Decimal]]  # currency -> term -> amount
    forecast_moves: dict[tuple[str, str, str], Decimal]  # (from, to, currency) -> amount

    def reconciles(self) -> bool:
        """start + new + increases - decreases - won - lost - removed == end, per currency."""
        return all(
            w["start"]
            + w["new"]
            + w["increases"]
            - w["decreases"]
            - w["won"]
            - w["lost"]
            - w["removed"]
            == w["end"]
            for w in self.waterfall.values()
        )


LISTS = (
    "new",
    "reopened",
    "advanced",
    "regressed",
    "won",
    "lost",
    "slipped",
    "pulled_in",
    "increased",
    "decreased",
    "deleted",
    "stale",
)


def compare(start: State, end: State, today: date, owner: str | None = None) -> Changes:
    """Compare two states deal by deal; see docs/history.md for how each case counts."""
    tally = _Tally()
    for key in sorted(set(start.deals) | set(end.deals)):
        s, e = start.deals.get(key), end.deals.get(key)
        either = e or s
        who = either.opp.owner if either is not None else ""
        if owner is not None and who != owner:
            continue
        _count_waterfall(tally, start, end, s, e)
        _list_deal(tally, start, end, s, e, today)
    for entries in tally.lists.values():
        entries.sort(key=lambda i: i.id)
    return Changes(
        _point_of(start),
        _point_of(end),
        owner,
        tally.lists,
        dict(sorted(tally.falls.items())),
        tally.moves,
    )


@dataclass
class _Tally:
    """What `compare` fills in, deal by deal."""

    lists: dict[str, list[Item]] = field(default_factory=lambda: {k: [] for k in LISTS})
    falls: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    moves: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)

    def add(self, currency: str, term: str, value: Decimal) -> None:
        """Add `value` to one term of the currency's waterfall."""
        w = self.falls.setdefault(currency, {t: Decimal(0) for t in WATERFALL_TERMS})
        w[term] += value


def _item(
    deal: Deal, amount: Decimal | None = None, old: ItemValue = None, new: ItemValue = None
) -> Item:
    """The deal in a list: its expected revenue unless `amount` says what moved."""
    return Item(
        deal.id,
        deal.opp.title,
        deal.opp.owner,
        deal.figures.currency,
        deal.figures.expected if amount is None else amount,
        old,
        new,
    )


def _is_stale(state: State, deal: Deal | None, today: date) -> bool:
    from textcrm.deals import staleness

    return (
        deal is not None
        and deal.is_open
        and state.repo is not None
        and staleness(state.repo.config, deal.opp, today).stale
    )


def _stage_index(state: State, deal: Deal) -> int:
    return state.repo.config.stage_index(deal.opp.stage) if state.repo else 0


def _outcome(state: State, deal: Deal | None) -> str | None:
    """won, lost (or another outcome) of the deal's stage at that point, None when open."""
    if deal is None or state.repo is None:
        return None
    stage = state.repo.config.stage(deal.opp.stage)
    return stage.outcome if stage else None


def _count_waterfall(
    tally: _Tally, start: State, end: State, s: Deal | None, e: Deal | None
) -> None:
    """One deal's part of the waterfall, `s` and `e` being the deal at the start and end."""
    s_open = s is not None and s.is_open
    e_open = e is not None and e.is_open
    if s is not None and s_open:
        tally.add(s.figures.currency, "start", s.figures.expected)
    if e is not None and e_open:
        tally.add(e.figures.currency, "end", e.figures.expected)
    if s is not None and e is not None and s_open:
        _count_amount_change(tally, s, e)
    if s is not None and s_open and e is None:
        tally.add(s.figures.currency, "removed", s.figures.expected)
    if e is not None and e_open and not s_open:
        tally.add(e.figures.currency, "new", e.figures.expected)
    if e is not None and not e_open and s is None:
        # Created and closed within the period: it entered and left the pipeline.
        tally.add(e.figures.currency, "new", e.figures.expected)
    e_out = _outcome(end, e)
    if e is not None and not e_open and (s is None or s_open) and e_out in ("won", "lost"):
        tally.add(e.figures.currency, e_out, e.figures.expected)


def _count_amount_change(tally: _Tally, s: Deal, e: Deal) -> None:
    """The amount (and currency) change of a deal open at the start. It counts before the
    deal closes, so that a deal that closes leaves at its final value."""
    sf, ef = s.figures, e.figures
    before, after = Amount(sf.expected, sf.currency), Amount(ef.expected, ef.currency)
    if sf.currency == ef.currency:
        delta = ef.expected - sf.expected
        if delta > 0:
            tally.add(ef.currency, "increases", delta)
            tally.lists["increased"].append(_item(e, delta, before, after))
        elif delta < 0:
            tally.add(ef.currency, "decreases", -delta)
            tally.lists["decreased"].append(_item(e, -delta, before, after))
    else:
        tally.add(sf.currency, "decreases", sf.expected)
        tally.add(ef.currency, "increases", ef.expected)
        tally.lists["decreased"].append(_item(s, None, before, after))
        tally.lists["increased"].append(_item(e, None, before, after))


def _list_deal(
    tally: _Tally, start: State, end: State, s: Deal | None, e: Deal | None, today: date
) -> None:
    """The lists a reader wants: what happened to one deal between the two points."""
    if e is None:
        if s is not None:
            tally.lists["deleted"].append(_item(s, old=s.opp.stage))
        return
    s_open = s is not None and s.is_open
    if s is None:
        tally.lists["new"].append(_item(e, new=e.opp.stage))
    elif not s.is_open and e.is_open:
        tally.lists["reopened"].append(_item(e, old=s.opp.stage, new=e.opp.stage))
    e_out, s_out = _outcome(end, e), _outcome(start, s)
    if e_out is not None and e_out != s_out and e_out in ("won", "lost"):
        tally.lists[e_out].append(_item(e, old=s.opp.stage if s else None, new=e.opp.stage))
    if s is not None and s_open and e.is_open:
        _list_open_deal(tally, start, end, s, e)
    if _is_stale(end, e, today) and not _is_stale(start, s, today):
        tally.lists["stale"].append(_item(e, new=today))


def _list_open_deal(tally: _Tally, start: State, end: State, s: Deal, e: Deal) -> None:
    """A deal open at both points: its stage, close date and forecast category moves."""
    if s.opp.stage != e.opp.stage:
        forward = _stage_index(end, e) > _stage_index(start, s)
        tally.lists["advanced" if forward else "regressed"].append(
            _item(e, old=s.opp.stage, new=e.opp.stage)
        )
    sc, ec = s.opp.close_date, e.opp.close_date
    if sc and ec and sc != ec:
        tally.lists["slipped" if ec > sc else "pulled_in"].append(_item(e, old=sc, new=ec))
    if s.figures.forecast != e.figures.forecast:
        k = (s.figures.forecast, e.figures.forecast, e.figures.currency)
        tally.moves[k] = tally.moves.get(k, Decimal(0)) + e.figures.expected


def _point_of(state: State) -> Point:
    return Point(state.commit, state.day or date.min, state.commit[:7] if state.commit else "")


def changes(
    root: Path,
    since: str,
    until: str | None,
    today: date,
    owner: str | None = None,
    use_cache: bool = True,
) -> Changes:
    """`textcrm changes`: the pipeline at `since` compared with the pipeline at `until`.

    A REF as `since` is compared from its merge base with `until` (what a branch did, as
    `git diff A...B`); a DATE means the state at the start of that day.
    """
    where = locate(root)
    until_value = until or "HEAD"
    head_line = head_chain(where)
    end = resolve_point(where, head_line, until_value, before=False, today=today)
    if end.commit is None:
        raise UsageError(f"--until {until_value}: no commit on or before that date")
    head_pos = {sha: n for n, (sha, _) in enumerate(head_line)}
    chain = head_line if end.commit in head_pos else head_chain(where, end.commit)
    pos = head_pos if end.commit in head_pos else {sha: n for n, (sha, _) in enumerate(chain)}
    # The line from `until` back: positions of the chain relative to `end`.
    line = chain[pos[end.commit] :]
    start = resolve_point(where, line, since, before=True, today=today)
    if start.commit is not None and not DATE.match(since):
        base = git.merge_base(where.top, start.commit, end.commit)
        if base is None:
            raise UsageError(f"--since {since}: it shares no history with {until_value}")
        start = Point(base, start.day, since)
    tl = build_timeline(where, chain, use_cache, save=False)
    as_of = today if until is None or not DATE.match(until) else end.day
    memo: dict[tuple[Any, ...], Deal] = {}
    end_index = index_of(tl, pos, end.commit)
    end_state = state_at(tl, root, end_index, end.commit, end.day, as_of, memo)
    if start.commit is None or start.commit in pos:
        start_index = index_of(tl, pos, start.commit)
        start_state = state_at(tl, root, start_index, start.commit, start.day, as_of, memo)
    else:  # a merge base off this line: read its tree, and match deals by id
        start_state = state_from_tree(tl, where, start.commit, start.day, as_of)
        end_state = State(
            end_state.commit,
            end_state.day,
            {d.id: d for d in end_state.deals.values()},
            end_state.repo,
        )
    if owner is not None:
        _known_owner(owner, start_state, end_state)
    result = compare(start_state, end_state, as_of, owner)
    result.start, result.end = start, end
    if use_cache:
        save_timeline(where, tl)
    return result


def _known_owner(owner: str, *states: State) -> None:
    """Refuse an --owner that owns no deal at either point and is not a configured owner."""
    from textcrm.suggest import did_you_mean

    known = {d.opp.owner for st in states for d in st.deals.values() if d.opp.owner}
    for st in states:
        if st.repo is not None and st.repo.config.owners is not None:
            known.update(o.key for o in st.repo.config.owners)
    if owner not in known:
        names = sorted(known)
        raise UsageError(
            f"--owner {owner}: no such owner"
            + did_you_mean(owner, names)
            + f"; known: {', '.join(names) or 'none'}"
        )
