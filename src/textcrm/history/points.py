"""Points in time: a DATE or a REF resolved to a commit of the line (`--at`, `--since`,
`--until`), a Reader of the CRM at such a point, and a point's place in the timeline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from textcrm import git, layout
from textcrm.errors import UsageError
from textcrm.history.timeline import Git, Timeline, head_chain, locate

# `--since 2026-11-01`: a date; anything else names a commit.
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Point:
    """A resolved `--at/--since/--until`: the commit (None: before the CRM existed) and its day."""

    commit: str | None
    day: date
    label: str


def _chain_day(when: str) -> date:
    return datetime.fromisoformat(when).date()


def resolve_point(
    where: Git, chain: list[tuple[str, str]], value: str, before: bool, today: date
) -> Point:
    """A DATE (the last mainline commit on or before it; strictly before with `before`) or a
    REF (any commit git can name)."""
    if DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"`{value}` is not a real date") from None
        for sha, when in chain:
            d = _chain_day(when)
            if d < day or (d == day and not before):
                return Point(sha, day, value)
        return Point(None, day, value)
    found = git.resolve(where.top, value)
    if found is None:
        raise UsageError(f"`{value}` is neither a date (YYYY-MM-DD) nor a commit git knows")
    when = git.commit_date(where.top, found)
    return Point(found, _chain_day(when) if value != "HEAD" else today, value)


class PointReader(git.GitReader):
    """A GitReader of one commit that knows which `--at` point it stands for."""

    def __init__(self, root: Path, point: Point, top: Path) -> None:
        super().__init__(root, commit=point.commit, top=top)
        self.point = point


def reader_at(root: Path, at: str, today: date) -> PointReader:
    """A Reader of the CRM as of `at` (DATE or REF), read from git objects; its `.point` says
    which commit and day that is. The working tree is not touched."""
    where = locate(root)
    chain = head_chain(where)
    point = resolve_point(where, chain, at, before=False, today=today)
    if point.commit is None:
        raise UsageError(f"--at {at}: no commit on or before that date")
    reader = PointReader(root, point, where.top)
    if layout.CONFIG_FILE not in reader.entries:
        raise UsageError(f"--at {at}: the CRM has no textcrm.yaml at commit {point.commit[:7]}")
    return reader


def point_day(reader: Any, default: date) -> date:
    """The as-of day of a reader made by `reader_at` (for `--today`'s default)."""
    point = getattr(reader, "point", None)
    return point.day if isinstance(point, Point) else default


def index_of(tl: Timeline, chain_pos: dict[str, int], commit: str | None) -> int:
    """The last timeline commit at or before `commit` on the line (-1: before the first)."""
    if commit is None:
        return -1
    target = chain_pos[commit]
    # Timeline commits are in order along the line: older commits have larger positions.
    best = -1
    lo, hi = 0, len(tl.commits) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if chain_pos.get(tl.commits[mid].sha, -1) >= target:
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    return best
