"""One opportunity's history: its events, stage periods, close date moves and slips, read
from the timeline (opportunity_history, load_history, all_histories, created_dates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from textcrm import git, layout
from textcrm.errors import NotFound
from textcrm.history.cache import build_timeline, save_timeline
from textcrm.history.states import Deal, config_at, deal_of, past_repository, valid_blob
from textcrm.history.timeline import (
    Commit,
    Timeline,
    added_on,
    has_head,
    head_chain,
    locate,
    step_at,
)
from textcrm.repository import Repository

TRACKED = ("stage", "close_date", "expected", "probability", "owner", "forecast")


@dataclass(frozen=True)
class Amount:
    """An amount of money in a history record; history/output.py formats it (text: the
    repository's locale; JSON: the exact minor-unit string)."""

    value: Decimal
    currency: str


# A tracked field's value: the stage or owner ("" when not given), the close date (None when
# not given), the expected revenue as an Amount, the probability in percent, the forecast.
Tracked = str | date | Decimal | Amount | None


def tracked(deal: Deal) -> dict[str, Tracked]:
    """The tracked fields of a deal, as values (history/output.py writes them as text)."""
    opp, fig = deal.opp, deal.figures
    return {
        "stage": opp.stage,
        "close_date": opp.close_date,
        "expected": Amount(fig.expected, fig.currency),
        "probability": fig.probability,
        "owner": opp.owner,
        "forecast": fig.forecast,
    }


@dataclass(frozen=True)
class FieldChange:
    """A tracked field's value before and after a commit (`old` None in a `created` event)."""

    field: str
    old: Tracked
    new: Tracked


@dataclass(frozen=True)
class Event:
    """A commit that changed a tracked field (or created, renamed, deleted the opportunity)."""

    commit: Commit
    kind: str  # created, changed, invalid, deleted, restored
    path: str
    changes: tuple[FieldChange, ...] = ()
    renamed_from: str = ""  # the path the file had before this commit renamed it
    settings_changed: bool = False  # textcrm.yaml or products.yaml changed, not the file


@dataclass(frozen=True)
class StagePeriod:
    stage: str
    start: date
    end: date | None  # None: still in it (or it is the last stage before deletion)


@dataclass(frozen=True)
class CloseDateMove:
    day: date
    old: date
    new: date

    @property
    def days(self) -> int:
        return (self.new - self.old).days


@dataclass(frozen=True)
class OpportunityHistory:
    """Everything the history says about one opportunity."""

    id: str
    path: str
    title: str
    exists: bool
    created: date
    events: tuple[Event, ...]
    periods: tuple[StagePeriod, ...]
    moves: tuple[CloseDateMove, ...]
    closed_on: date | None  # when it entered its current won/lost stage, if closed

    @property
    def slips(self) -> int:
        """Times the close date was pushed out."""
        return sum(1 for m in self.moves if m.days > 0)

    def days_in_stages(self, today: date) -> dict[str, int]:
        """Days spent in each stage (past visits summed), the current one up to `today`."""
        out: dict[str, int] = {}
        for p in self.periods:
            out[p.stage] = out.get(p.stage, 0) + ((p.end or today) - p.start).days
        return out


def opportunity_history(
    tl: Timeline,
    root: Path,
    record_id: str,
    repos: dict[tuple[str, str], Repository | None] | None = None,
) -> OpportunityHistory:
    """The history of one opportunity (by id, following renames). `repos` shares the
    settings in force between calls."""
    repos = {} if repos is None else repos
    lineage = tl.lineage_of(record_id)
    if lineage is None:
        raise NotFound(f"no opportunity `{record_id}` in the git history of this CRM")
    steps = tl.lineages[lineage]
    created_day = added_on(tl, lineage)
    # Points to evaluate: the file's own steps, and config/catalog changes while it lives.
    own = {s.at for s in steps}
    points = sorted(own | {s.at for s in (*tl.config, *tl.catalog) if s.at > steps[0].at})
    events: list[Event] = []
    previous: Deal | None = None
    alive = False
    path = steps[0].path
    periods: list[StagePeriod] = []
    moves: list[CloseDateMove] = []
    created_field: date | None = None
    title = ""
    for index in points:
        commit = tl.commits[index]
        pos = step_at(steps, index)
        if pos < 0:
            continue
        step = steps[pos]
        if step.blob is None:
            if alive and index == step.at:
                events.append(Event(commit, "deleted", step.path))
                if periods:
                    last = periods[-1]
                    periods[-1] = StagePeriod(last.stage, last.start, commit.day)
            alive = False
            continue
        opp = tl.opportunities.get(step.blob)
        renamed_from = path if step.path != path and index == step.at else ""
        path = step.path
        if opp is None:
            if index == step.at:
                events.append(Event(commit, "invalid", path, renamed_from=renamed_from))
            continue
        settings = (
            valid_blob(tl.config, index, tl.configs),
            valid_blob(tl.catalog, index, tl.catalogs),
        )
        if settings not in repos:
            repos[settings] = past_repository(root, *config_at(tl, index))
        repo = repos[settings]
        if repo is None:
            continue
        deal = deal_of(
            repo, f"l{lineage}", path, opp, created_day, date.max, tl, (step.blob, *settings)
        )
        title = opp.title or title
        created_field = opp.created
        now = tracked(deal)
        settings_changed = index not in own
        if previous is None or not alive:
            kind = "created" if previous is None else "restored"
            fields = tuple(FieldChange(k, None, v) for k, v in now.items())
            if kind == "restored":
                before = tracked(previous) if previous else {}
                fields = tuple(
                    FieldChange(k, before[k], v) for k, v in now.items() if before.get(k) != v
                )
            events.append(Event(commit, kind, path, fields, renamed_from, settings_changed))
        else:
            before = tracked(previous)
            fields = tuple(
                FieldChange(k, before[k], now[k]) for k in TRACKED if before[k] != now[k]
            )
            if fields or renamed_from:
                events.append(
                    Event(commit, "changed", path, fields, renamed_from, settings_changed)
                )
        if previous is None or not alive or previous.opp.stage != opp.stage:
            if periods and periods[-1].end is None:
                last = periods[-1]
                periods[-1] = StagePeriod(last.stage, last.start, commit.day)
            periods.append(StagePeriod(opp.stage, commit.day, None))
        if (
            previous is not None
            and previous.opp.close_date
            and opp.close_date
            and previous.opp.close_date != opp.close_date
        ):
            moves.append(CloseDateMove(commit.day, previous.opp.close_date, opp.close_date))
        previous, alive = deal, True
    closed_on = None
    if alive and previous is not None and not previous.is_open and periods:
        closed_on = periods[-1].start
    return OpportunityHistory(
        id=record_id,
        path=path,
        title=title,
        exists=alive,
        created=created_field or created_day,
        events=tuple(events),
        periods=tuple(periods),
        moves=tuple(moves),
        closed_on=closed_on,
    )


def load_history(root: Path, name: str, today: date, use_cache: bool = True) -> OpportunityHistory:
    """`textcrm history OPPORTUNITY`: locate git, build the timeline, read one lineage.

    `name` is read as every command reads an opportunity's name (an id, a unique prefix of
    one, or title words: lookup.locate_opportunity); an id that only git history knows (a
    deleted or renamed opportunity) is taken as it is.
    """
    from textcrm.lookup import UnknownName, locate_opportunity, normalized

    where = locate(root)
    tl = build_timeline(where, head_chain(where), use_cache, save=False)
    record_id = normalized(name)
    if tl.lineage_of(record_id) is None:
        try:
            record_id = locate_opportunity(root, today, name)[1].id
        except UnknownName as exc:
            hint = f"; did you mean `{exc.candidates[0]}`?" if exc.candidates else ""
            raise NotFound(
                f"no opportunity `{record_id}` in the git history of this CRM{hint}"
            ) from None
    found = opportunity_history(tl, root, record_id)
    if use_cache:
        save_timeline(where, tl)
    return found


def all_histories(root: Path, use_cache: bool = True) -> dict[str, OpportunityHistory]:
    """The history of every current opportunity, by id (for the site's timelines and flags)."""
    where = locate(root)
    tl = build_timeline(where, head_chain(where), use_cache, save=False)
    out = {}
    repos: dict[tuple[str, str], Repository | None] = {}
    for path in sorted(tl.current):
        kind = layout.classify(path)
        if kind is not None:
            out[kind[1]] = opportunity_history(tl, root, kind[1], repos)
    if use_cache:
        save_timeline(where, tl)
    return out


def histories_if_any(root: Path, use_cache: bool = True) -> dict[str, OpportunityHistory] | None:
    """`all_histories`, or None when the CRM has no usable git history (not in a git
    repository, a shallow clone, no commit yet, git missing): for reports where history
    only adds a column."""
    from textcrm.errors import TextcrmError

    try:
        return all_histories(root, use_cache)
    except TextcrmError:
        return None


def created_dates(root: Path) -> dict[str, date]:
    """Each current opportunity id -> the date of the commit that added its file (renames
    followed): the fallback for `created` when the front matter has none."""
    where = locate(root)
    tl = build_timeline(where, git.first_parent_line(where.top, "HEAD") if has_head(where) else [])
    out = {}
    for path, lineage in tl.current.items():
        kind = layout.classify(path)
        if kind is not None:
            out[kind[1]] = added_on(tl, lineage)
    return out
