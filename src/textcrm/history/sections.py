"""The site's history sections: one timeline read for every opportunity's history and the
pipeline's changes of the last days, and the figures the dashboard takes from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from textcrm import git, layout
from textcrm.history.cache import build_timeline, save_timeline
from textcrm.history.changes import Changes, compare
from textcrm.history.deal import OpportunityHistory, opportunity_history
from textcrm.history.points import Point, index_of, resolve_point
from textcrm.history.states import Deal, state_at
from textcrm.history.timeline import Git, has_head
from textcrm.money import ZERO, average
from textcrm.repository import Repository


@dataclass(frozen=True)
class SiteHistory:
    """What the site shows from git: each current opportunity's history and the pipeline's
    changes over the last days (from the start of `since` to HEAD)."""

    since: date
    histories: dict[str, OpportunityHistory]
    changes: Changes


def site_history(
    root: Path, today: date, top: Path | None = None, days: int = 7, use_cache: bool = True
) -> SiteHistory | None:
    """The history sections' data, or None when the CRM is not in a git repository, the
    clone is shallow, or nothing is committed: the site then builds without them.

    One timeline is built (from the cache when it is current) and read for both the
    per-opportunity histories and the changes since `today - days`.
    """
    top = top or git.toplevel(root)  # the only git call when the CRM is not in a repository
    if top is None or git.is_shallow(top):
        return None
    where = Git(root, top, git.crm_prefix(top, root))
    chain = git.first_parent_line(top, "HEAD") if has_head(where) else []
    if not chain:
        return None
    tl = build_timeline(where, chain, use_cache, save=False)
    if not tl.commits:
        return None
    repos: dict[tuple[str, str], Repository | None] = {}
    histories = {}
    for path in sorted(tl.current):
        kind = layout.classify(path)
        if kind is not None:
            histories[kind[1]] = opportunity_history(tl, root, kind[1], repos)
    since = date.fromordinal(today.toordinal() - days)
    pos = {sha: n for n, (sha, _) in enumerate(chain)}
    start = resolve_point(where, chain, since.isoformat(), before=True, today=today)
    end = Point(chain[0][0], today, "HEAD")
    memo: dict[tuple[Any, ...], Deal] = {}
    end_state = state_at(tl, root, index_of(tl, pos, end.commit), end.commit, today, today, memo)
    start_index = index_of(tl, pos, start.commit)
    start_state = state_at(tl, root, start_index, start.commit, start.day, today, memo)
    found = compare(start_state, end_state, today)
    found.start, found.end = start, end
    if use_cache:
        save_timeline(where, tl)
    return SiteHistory(since, histories, found)


def average_stage_days(
    histories: Mapping[str, OpportunityHistory],
) -> dict[str, tuple[Decimal, int]]:
    """Stage key -> (average days, number) of its completed periods (a deal that left the
    stage), over every opportunity; a stage no deal has left yet is absent."""
    spans: dict[str, list[int]] = {}
    for h in histories.values():
        for p in h.periods:
            if p.end is not None:
                spans.setdefault(p.stage, []).append((p.end - p.start).days)
    return {k: (average_days(v), len(v)) for k, v in spans.items()}


def won_cycles(histories: Mapping[str, OpportunityHistory], won: set[str]) -> list[int]:
    """Days from created (the front matter's, else the day the file was added) to the day
    the deal entered its won stage in git, for each opportunity in `won`; a deal created
    after it closed has impossible dates and is left out."""
    from textcrm.deals import sales_cycle_days

    cycles = (
        sales_cycle_days(h.created, h.closed_on)
        for key, h in sorted(histories.items())
        if key in won
    )
    return [days for days in cycles if days is not None]


def average_days(values: list[int]) -> Decimal:
    """The mean of day counts to one decimal (money.average's rounding); 0 for none."""
    return average(values) or ZERO
