"""git log -> the Timeline: each mainline commit touching the CRM and each opportunity's versions.

The history is read along the first-parent line of a branch (the mainline): one `git log
--first-parent -m --raw` over the CRM folder lists every commit that touched it with the blob
ids of each file before and after, and one `git cat-file --batch` reads the blobs not seen
before. Only the front matter of each version is read (`loader.front_matter`, then
`loader.read_record`). The result is cached (history/cache.py), so a later run reads only
the new commits.

A change made on a branch and merged appears at its merge commit (merges are diffed against
their first parent): that is when it entered the mainline, and it keeps every state on the
line exact, so the waterfall between two points always reconciles.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from textcrm import git, layout
from textcrm.errors import UsageError
from textcrm.loader import front_matter, read_catalog, read_config, read_record
from textcrm.model import Activity, Config, LineItem, Opportunity, Product
from textcrm.money import Discount

SHALLOW_MESSAGE = (
    "history needs the full history: use fetch-depth: 0 (this is a shallow clone; run "
    "`git fetch --unshallow` locally, or set `fetch-depth: 0` in actions/checkout)"
)
# Below this many versions to parse, worker processes cost more than they save.
PARALLEL_THRESHOLD = 1500


class Commit(NamedTuple):
    """A commit of the mainline that touched the CRM folder."""

    sha: str
    authored: str  # ISO 8601 with the author's offset (strings pickle fast)
    committed: str
    author: str
    subject: str

    @property
    def day(self) -> date:
        """The author date, in the author's time zone: when the change was made."""
        return date.fromisoformat(self.authored[:10])

    @property
    def short(self) -> str:
        return self.sha[:7]


class Step(NamedTuple):
    """One version of a file: at timeline commit `at`, at `path`, blob None if deleted."""

    at: int
    path: str
    blob: str | None


@dataclass
class Timeline:
    """Every mainline commit touching the CRM, and each opportunity's versions (its lineage).

    A lineage follows one deal through renames; a file deleted and later re-added at the same
    path continues its lineage (the same id is the same deal).
    """

    prefix: str
    tip: str = ""
    commits: list[Commit] = field(default_factory=list)
    lineages: list[list[Step]] = field(default_factory=list)
    current: dict[str, int] = field(default_factory=dict)
    ended: dict[str, int] = field(default_factory=dict)
    config: list[Step] = field(default_factory=list)
    catalog: list[Step] = field(default_factory=list)
    opportunities: dict[str, Snapshot | None] = field(default_factory=dict)
    configs: dict[str, Config | None] = field(default_factory=dict)
    catalogs: dict[str, tuple[Product, ...] | None] = field(default_factory=dict)
    # (version blob, config blob, catalog blob) -> figures as text: currency, expected,
    # probability, weighted, forecast. Saves recomputing unchanged deals on every run.
    valuations: dict[tuple[str, str, str], tuple[str, str, str, str, str]] = field(
        default_factory=dict
    )
    # The raw log the rest is derived from: (sha, authored, committed, author, subject,
    # ((status, old path, new path, old blob, new blob), ...)) per commit.
    log: list[tuple[Any, ...]] = field(default_factory=list)
    dirty: bool = False
    saved: dict[str, Any] | None = None  # what the cache files hold: tip and item counts
    deltas: int = 0

    def lineage_of(self, record_id: str) -> int | None:
        """The lineage of the opportunity with this id now, else the last one that had it."""
        path = layout.record_path("opportunity", record_id)
        if path in self.current:
            return self.current[path]
        if path in self.ended:
            return self.ended[path]
        for n in range(len(self.lineages) - 1, -1, -1):
            if any(s.path == path for s in self.lineages[n]):
                return n
        return None


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


class Snapshot(NamedTuple):
    """The front matter fields history needs as plain values (numbers as text, activity dates
    as ordinals), so that a cached timeline of thousands of versions loads fast."""

    title: str
    owner: str
    stage: str
    close_date: date | None
    probability: str | None
    amount: str | None
    currency: str | None
    created: date | None
    follow_up: date | None
    forecast: str | None
    activities: tuple[int, ...]
    # (quantity, sku, unit_price, discount percent, discount amount) per line item
    items: tuple[tuple[str, str, str | None, str | None, str | None], ...]

    @classmethod
    def of(cls, opp: Opportunity) -> Snapshot:
        return cls(
            opp.title,
            opp.owner,
            opp.stage,
            opp.close_date,
            _dec(opp.probability),
            _dec(opp.amount),
            opp.currency,
            opp.created,
            opp.follow_up,
            opp.forecast,
            tuple(sorted({a.date.toordinal() for a in opp.activities if a.date is not None})),
            tuple(
                (
                    str(i.quantity),
                    i.sku,
                    _dec(i.unit_price),
                    _dec(i.discount.percent) if i.discount else None,
                    _dec(i.discount.amount) if i.discount else None,
                )
                for i in opp.line_items
                if not i.partial  # not priced until its problem is fixed (model.price_lines)
            ),
        )

    def opportunity(
        self, record_id: str, path: str, created: date, today: date, with_items: bool = True
    ) -> Opportunity:
        """The model record back, enough for `model.figures` and the stale rule as of `today`
        (which looks only at the latest activity on or before today)."""
        items = tuple(
            LineItem(
                quantity=Decimal(q),
                sku=sku,
                unit_price=_undec(price),
                discount=Discount(_undec(pct), _undec(amt))
                if pct is not None or amt is not None
                else None,
            )
            for q, sku, price, pct, amt in (self.items if with_items else ())
        )
        limit = today.toordinal()
        pos = bisect.bisect_right(self.activities, limit)
        latest = (Activity(date.fromordinal(self.activities[pos - 1]), "activity"),) if pos else ()
        return Opportunity(
            id=record_id,
            path=path,
            title=self.title,
            owner=self.owner,
            stage=self.stage,
            close_date=self.close_date,
            probability=_undec(self.probability),
            amount=_undec(self.amount),
            currency=self.currency,
            created=self.created or created,
            follow_up=self.follow_up,
            forecast=self.forecast,
            line_items=items,
            activities=latest,
        )


def parse_opportunity(front: bytes) -> Snapshot | None:
    """One version's front matter (`loader.front_matter`) as a Snapshot, None when invalid."""
    record, diagnostics = read_record("opportunity", "opportunities/_.md", "_", front)
    # A version with any error is skipped: its values are not trusted (the state carries over).
    if record is None or any(d.is_error for d in diagnostics):
        return None
    return Snapshot.of(record)


def _parse_many(blobs: list[bytes | None]) -> list[Snapshot | None]:
    """Parse the front matter of many versions, each distinct front matter once (edits of
    the notes alone do not cost a parse), in worker processes when there are many."""
    fronts = [front_matter(b) if b is not None else None for b in blobs]
    unique = list(dict.fromkeys(f for f in fronts if f is not None))
    if len(unique) < PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        parsed = [parse_opportunity(f) for f in unique]
    else:
        from concurrent.futures import ProcessPoolExecutor

        workers = min(os.cpu_count() or 2, 4)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parsed = list(pool.map(parse_opportunity, unique, chunksize=256))
    by_front = dict(zip(unique, parsed, strict=True))
    return [by_front[f] if f is not None else None for f in fronts]


def replay(tl: Timeline, raw: tuple[Any, ...], wanted: dict[str, str] | None) -> None:
    """Add one raw log entry to the derived timeline; note the blobs to parse in `wanted`."""
    sha, authored, committed, author, subject, changes = raw
    index = len(tl.commits)
    tl.commits.append(Commit(sha, authored, committed, author, subject))
    # Deletions and renames first, so that a path freed in this commit can be re-added.
    for _status, old_path, new_path, _old_blob, new_blob in sorted(
        changes, key=lambda c: c[0] == "A"
    ):
        if new_path == layout.CONFIG_FILE or new_path == layout.CATALOG_FILE:
            known: Mapping[str, Any] = tl.configs if new_path == layout.CONFIG_FILE else tl.catalogs
            versions = tl.config if new_path == layout.CONFIG_FILE else tl.catalog
            versions.append(Step(index, new_path, new_blob))
            if wanted is not None and new_blob and new_blob not in known:
                wanted[new_blob] = new_path
        elif old_path == layout.CONFIG_FILE:
            tl.config.append(Step(index, old_path, None))
        elif old_path == layout.CATALOG_FILE:
            tl.catalog.append(Step(index, old_path, None))
        old_kind = layout.classify(old_path) if old_path else None
        new_kind = layout.classify(new_path) if new_path else None
        was_opp = old_kind is not None and old_kind[0] == "opportunity"
        is_opp = new_kind is not None and new_kind[0] == "opportunity"
        lineage = None
        if was_opp and old_path is not None:
            lineage = tl.current.pop(old_path, None)
            if not is_opp and lineage is not None:
                tl.lineages[lineage].append(Step(index, old_path, None))
                tl.ended[old_path] = lineage
        if is_opp and new_path is not None:
            if lineage is None:
                lineage = tl.current.get(new_path)
            if lineage is None:
                lineage = tl.ended.pop(new_path, None)
            if lineage is None:
                lineage = len(tl.lineages)
                tl.lineages.append([])
            tl.current[new_path] = lineage
            tl.lineages[lineage].append(Step(index, new_path, new_blob))
            if wanted is not None and new_blob and new_blob not in tl.opportunities:
                wanted.setdefault(new_blob, "opportunity")
    tl.tip = sha


def append_log(tl: Timeline, entries: list[git.LogEntry], top: Path) -> None:
    """Append log entries to the timeline and parse the blobs it has not seen."""
    wanted: dict[str, str] = {}  # blob -> what it is a version of
    for entry in entries:
        raw = (
            entry.sha,
            entry.authored,
            entry.committed,
            entry.author,
            entry.subject,
            tuple(
                (c.status, c.old_path, c.new_path, c.old_blob, c.new_blob) for c in entry.changes
            ),
        )
        tl.log.append(raw)
        replay(tl, raw, wanted)
    blobs = git.cat_blobs(top, wanted)
    opp_blobs = [sha for sha, what in wanted.items() if what == "opportunity"]
    parsed = _parse_many([blobs.get(sha) for sha in opp_blobs])
    tl.opportunities.update(zip(opp_blobs, parsed, strict=True))
    for sha, what in wanted.items():
        data = blobs.get(sha)
        if what == layout.CONFIG_FILE:
            tl.configs[sha] = read_config(data)[0] if data else None
        elif what == layout.CATALOG_FILE:
            products, diagnostics = read_catalog(data or b"")
            bad = data is None or any(d.is_error for d in diagnostics)
            tl.catalogs[sha] = None if bad else products


@dataclass(frozen=True)
class Git:
    """Where the CRM sits in git: the top of the work tree and the CRM folder's prefix."""

    root: Path
    top: Path
    prefix: str


def locate(root: Path) -> Git:
    """The git repository holding the CRM; a clear error when there is none or it is shallow."""
    top = git.toplevel(root)
    if top is None:
        raise UsageError(
            f"{root} is not in a git repository; history commands read git history "
            "(run `git init` and commit the CRM)"
        )
    if git.is_shallow(top):
        raise UsageError(SHALLOW_MESSAGE)
    return Git(root, top, git.crm_prefix(top, root))


def step_at(steps: list[Step], index: int) -> int:
    """Position of the last step at or before commit `index`, or -1."""
    return bisect.bisect_right([s.at for s in steps], index) - 1


def added_on(tl: Timeline, lineage: int) -> date:
    """The author date of the commit that added the file (following renames)."""
    return tl.commits[tl.lineages[lineage][0].at].day


def has_head(where: Git) -> bool:
    """True when the repository has a commit to read (HEAD names one)."""
    return git.resolve(where.top, "HEAD") is not None


def head_chain(where: Git, rev: str = "HEAD") -> list[tuple[str, str]]:
    """The first-parent line from `rev` back (sha, committer date), newest first."""
    if git.resolve(where.top, rev) is None:
        raise UsageError(f"`{rev}` names no commit (no commits yet?); history reads commits")
    return git.first_parent_line(where.top, rev)
