"""Git history -> per-opportunity versions -> stage transitions, slips, changes between two points.

The history is read along the first-parent line of a branch (the mainline): one `git log
--first-parent -m --raw` over the CRM folder lists every commit that touched it with the blob
ids of each file before and after, and one `git cat-file --batch` reads the blobs not seen
before. Only the front matter of each version is parsed. The result (the `Timeline`) is cached
in `.textcrm-cache/` keyed by the tip commit, so a later run reads only the new commits.

A change made on a branch and merged appears at its merge commit (merges are diffed against
their first parent): that is when it entered the mainline, and it keeps every state on the
line exact, so the waterfall between two points always reconciles.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from textcrm import git, layout
from textcrm.errors import NotFound, UsageError
from textcrm.model import Activity, Config, Figures, LineItem, Opportunity, Product, figures
from textcrm.money import Discount
from textcrm.parse import parse_catalog, parse_config, parse_record
from textcrm.plural import counted
from textcrm.repository import Repository

SHALLOW_MESSAGE = (
    "history needs the full history: use fetch-depth: 0 (this is a shallow clone; run "
    "`git fetch --unshallow` locally, or set `fetch-depth: 0` in actions/checkout)"
)
_CACHE_VERSION = "history-1"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FRONT_END = re.compile(rb"\n(?:---|\.\.\.)[ \t]*\r?(?:\n|$)")
# Below this many versions to parse, worker processes cost more than they save.
PARALLEL_THRESHOLD = 1500
TRACKED = ("stage", "close_date", "expected", "probability", "owner", "forecast")


# --- the timeline: what git says, parsed once and cached -------------------------------------


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


def front_matter(data: bytes) -> bytes:
    """The file cut after its closing `---`: history reads only the front matter."""
    found = _FRONT_END.search(data, 3)
    return data[: found.end()] if found else data


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


def _parse_opportunity(front: bytes) -> Snapshot | None:
    record, diagnostics = parse_record("opportunity", "opportunities/_.md", "_", front)
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
        parsed = [_parse_opportunity(f) for f in unique]
    else:
        from concurrent.futures import ProcessPoolExecutor

        workers = min(os.cpu_count() or 2, 4)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parsed = list(pool.map(_parse_opportunity, unique, chunksize=256))
    by_front = dict(zip(unique, parsed, strict=True))
    return [by_front[f] if f is not None else None for f in fronts]


def _replay(tl: Timeline, raw: tuple[Any, ...], wanted: dict[str, str] | None) -> None:
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


def _apply(tl: Timeline, entries: list[git.LogEntry], top: Path) -> None:
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
        _replay(tl, raw, wanted)
    blobs = git.cat_blobs(top, wanted)
    opp_blobs = [sha for sha, what in wanted.items() if what == "opportunity"]
    parsed = _parse_many([blobs.get(sha) for sha in opp_blobs])
    tl.opportunities.update(zip(opp_blobs, parsed, strict=True))
    for sha, what in wanted.items():
        data = blobs.get(sha)
        if what == layout.CONFIG_FILE:
            tl.configs[sha] = parse_config(layout.CONFIG_FILE, data)[0] if data else None
        elif what == layout.CATALOG_FILE:
            products, diagnostics = parse_catalog(layout.CATALOG_FILE, data or b"")
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


def _cache_name(root: Path) -> tuple[Path, str]:
    """The cache folder and the base name of this code version's timeline files."""
    from textcrm.cache import code_fingerprint

    # The history code itself is part of the key: a new textcrm never reads an old timeline.
    here = Path(__file__).parent
    stamps = [f"{(here / n).stat().st_mtime_ns}" for n in ("history.py", "git.py")]
    return root / layout.CACHE_DIR, f"history-{code_fingerprint(_CACHE_VERSION, *stamps)}"


_STORES = ("opportunities", "configs", "catalogs", "valuations")
MAX_DELTAS = 16


def _counts(tl: Timeline) -> dict[str, Any]:
    return {"tip": tl.tip, "log": len(tl.log), **{k: len(getattr(tl, k)) for k in _STORES}}


def _load_cached(root: Path, prefix: str) -> Timeline | None:
    """The cached timeline: a base file and the deltas appended by later runs, or None."""
    from textcrm.cache import read_signed

    folder, name = _cache_name(root)
    parts = [read_signed(folder / f"{name}.pickle")]
    if not isinstance(parts[0], dict) or parts[0].get("prefix") != prefix:
        return None
    while True:
        delta = read_signed(folder / f"{name}.d{len(parts) - 1}.pickle")
        if not isinstance(delta, dict) or delta.get("from") != parts[-1]["tip"]:
            break
        parts.append(delta)
    tl = Timeline(prefix)
    for part in parts:
        tl.log.extend(part["log"])
        tl.opportunities.update(
            (k, None if v is None else Snapshot._make(v)) for k, v in part["opportunities"].items()
        )
        tl.configs.update(part["configs"])
        tl.catalogs.update(part["catalogs"])
        tl.valuations.update(part["valuations"])
    for raw in tl.log:
        _replay(tl, raw, None)
    tl.tip = parts[-1]["tip"]
    tl.saved, tl.deltas = _counts(tl), len(parts) - 1
    return tl


def save_timeline(where: Git, tl: Timeline) -> None:
    """Write what was added since the cache was read: a small delta file after a few new
    commits, the whole timeline when there is no base yet or after MAX_DELTAS deltas."""
    from textcrm.cache import write_signed

    if not tl.dirty:
        return
    folder, name = _cache_name(where.root)
    full = tl.saved is None or tl.deltas >= MAX_DELTAS
    since = {"log": 0, **{k: 0 for k in _STORES}} if full else tl.saved
    assert since is not None
    doc = {
        "prefix": tl.prefix,
        "from": "" if full else since["tip"],
        "tip": tl.tip,
        "log": tl.log[since["log"] :],
        # Dicts keep insertion order and only grow: the new items are the last ones.
        "opportunities": {
            k: None if v is None else tuple(v)
            for k, v in list(tl.opportunities.items())[since["opportunities"] :]
        },
        **{k: dict(list(getattr(tl, k).items())[since[k] :]) for k in _STORES[1:]},
    }
    if full:
        write_signed(folder, f"{name}.pickle", doc, stale_glob="history-*.pickle")
        tl.deltas = 0
    else:
        write_signed(folder, f"{name}.d{tl.deltas}.pickle", doc)
        tl.deltas += 1
    tl.saved, tl.dirty = _counts(tl), False


def build_timeline(
    where: Git, chain: list[tuple[str, str]], use_cache: bool = True, save: bool = True
) -> Timeline:
    """The timeline of the first-parent line `chain` (newest first), reusing the cache.

    With `save=False` the caller saves it (`save_timeline`) once it has added valuations.
    """
    if not chain:
        return Timeline(where.prefix)
    head = chain[0][0]
    cached = _load_cached(where.root, where.prefix) if use_cache else None
    tl: Timeline | None = None
    if cached is not None:
        if cached.tip == head:
            return cached
        if cached.tip in {sha for sha, _ in chain}:
            tl = cached
    if tl is None:
        tl = Timeline(where.prefix)
    entries = git.log_raw(where.top, head, where.prefix, stop=tl.tip or None)
    _apply(tl, entries, where.top)
    tl.tip = head
    tl.dirty = True
    if use_cache and save:
        save_timeline(where, tl)
    return tl


# --- reading the timeline: states at a point -------------------------------------------------


def _step_at(steps: list[Step], index: int) -> int:
    """Position of the last step at or before commit `index`, or -1."""
    return bisect.bisect_right([s.at for s in steps], index) - 1


def _valid_at(tl: Timeline, steps: list[Step], index: int, known: Mapping[str, Any]) -> Any:
    pos = _step_at(steps, index)
    if pos < 0 or steps[pos].blob is None:
        return None
    while pos >= 0 and steps[pos].blob is not None:
        value = known.get(steps[pos].blob or "")
        if value is not None:
            return value
        pos -= 1
    return None


def _valid_blob(steps: list[Step], index: int, known: Mapping[str, Any]) -> str:
    pos = _step_at(steps, index)
    while pos >= 0 and steps[pos].blob is not None:
        if known.get(steps[pos].blob or "") is not None:
            return steps[pos].blob or ""
        pos -= 1
    return ""


def config_at(tl: Timeline, index: int) -> tuple[Config | None, dict[str, Product]]:
    """textcrm.yaml and the catalog in force after commit `index` (last valid versions)."""
    config = _valid_at(tl, tl.config, index, tl.configs)
    if config is None:  # the CRM did not exist yet, or its config was broken since it began
        config = next((c for c in tl.configs.values() if c is not None), None)
    products = _valid_at(tl, tl.catalog, index, tl.catalogs) or ()
    return config, {p.sku: p for p in products}


def added_on(tl: Timeline, lineage: int) -> date:
    """The author date of the commit that added the file (following renames)."""
    return tl.commits[tl.lineages[lineage][0].at].day


def created_dates(root: Path) -> dict[str, date]:
    """Each current opportunity id -> the date of the commit that added its file (renames
    followed): the fallback for `created` when the front matter has none."""
    where = locate(root)
    tl = build_timeline(where, git.first_parent_line(where.top, "HEAD") if _has_head(where) else [])
    out = {}
    for path, lineage in tl.current.items():
        kind = layout.classify(path)
        if kind is not None:
            out[kind[1]] = added_on(tl, lineage)
    return out


def _has_head(where: Git) -> bool:
    return git.resolve(where.top, "HEAD") is not None


@dataclass(frozen=True)
class Deal:
    """An opportunity at one point of the history, with its figures."""

    key: str
    opp: Opportunity
    figures: Figures
    is_open: bool

    @property
    def id(self) -> str:
        return self.opp.id


@dataclass(frozen=True)
class State:
    """The pipeline at one commit: its deals by lineage key, its config and as-of date."""

    commit: str | None
    day: date | None
    deals: dict[str, Deal]
    repo: Repository | None


def _repository(
    root: Path, config: Config | None, catalog: dict[str, Product]
) -> Repository | None:
    if config is None:
        return None
    return Repository(
        root=root,
        config=config,
        opportunities={},
        accounts={},
        contacts={},
        competitors={},
        products=catalog,
        product_list=tuple(catalog.values()),
        ids={},
    )


def _deal(
    repo: Repository,
    key: str,
    path: str,
    snap: Snapshot,
    created: date,
    today: date,
    tl: Timeline | None = None,
    valuation: tuple[str, str, str] | None = None,
) -> Deal:
    """The deal of one version; `valuation` (blob, config blob, catalog blob) keys the
    figures cached in the timeline."""
    kind = layout.classify(path)
    record_id = kind[1] if kind else path
    cached = tl.valuations.get(valuation) if tl is not None and valuation else None
    if cached is not None:
        opp = snap.opportunity(record_id, path, created, today, with_items=False)
        currency, expected, probability, weighted, forecast = cached
        fig = Figures(
            currency, (), None, Decimal(expected), Decimal(probability), Decimal(weighted), forecast
        )
        return Deal(key, opp, fig, repo.is_open(opp))
    opp = snap.opportunity(record_id, path, created, today)
    fig = figures(opp, repo.config, repo.products)
    if tl is not None and valuation:
        tl.valuations[valuation] = (
            fig.currency,
            str(fig.expected),
            str(fig.probability),
            str(fig.weighted),
            fig.forecast,
        )
        tl.dirty = True
    return Deal(key, opp, fig, repo.is_open(opp))


def state_at(
    tl: Timeline,
    root: Path,
    index: int,
    commit: str | None,
    day: date | None,
    today: date,
    memo: dict[tuple[Any, ...], Deal] | None = None,
) -> State:
    """The pipeline after timeline commit `index` (-1: before the first), staleness as of
    `today`. `memo` shares the deals that did not change between two states."""
    if index < 0:
        return State(commit, day, {}, None)
    config, catalog = config_at(tl, index)
    repo = _repository(root, config, catalog)
    memo = {} if memo is None else memo
    # The config and catalog in force: deals are shared only between states that agree on both.
    settings = (
        _valid_blob(tl.config, index, tl.configs),
        _valid_blob(tl.catalog, index, tl.catalogs),
    )
    deals: dict[str, Deal] = {}
    if repo is None:
        return State(commit, day, deals, None)
    for n, steps in enumerate(tl.lineages):
        pos = _step_at(steps, index)
        if pos < 0 or steps[pos].blob is None:
            continue
        path = steps[pos].path
        while pos >= 0 and steps[pos].blob is not None:
            blob = steps[pos].blob or ""
            opp = tl.opportunities.get(blob)
            if opp is not None:
                key = (n, blob, path, settings)
                deal = memo.get(key)
                if deal is None:
                    deal = _deal(
                        repo, f"l{n}", path, opp, added_on(tl, n), today, tl, (blob, *settings)
                    )
                    memo[key] = deal
                deals[f"l{n}"] = deal
                break
            pos -= 1
    return State(commit, day, deals, repo)


def state_from_tree(tl: Timeline, where: Git, commit: str, day: date | None, today: date) -> State:
    """The pipeline at a commit off the mainline, read from its tree; deals keyed by id."""
    entries = git.list_tree(where.top, commit, where.prefix)
    wanted = [
        e.sha
        for p, e in entries.items()
        if (
            p in (layout.CONFIG_FILE, layout.CATALOG_FILE)
            or (layout.classify(p) or ("", ""))[0] == "opportunity"
        )
        and e.sha not in tl.opportunities
    ]
    blobs = git.cat_blobs(where.top, wanted)
    config = catalog = None
    deals: dict[str, Deal] = {}
    if layout.CONFIG_FILE in entries:
        data = blobs.get(entries[layout.CONFIG_FILE].sha)
        config = tl.configs.get(entries[layout.CONFIG_FILE].sha) or (
            parse_config(layout.CONFIG_FILE, data)[0] if data else None
        )
    if layout.CATALOG_FILE in entries:
        sha = entries[layout.CATALOG_FILE].sha
        data = blobs.get(sha)
        catalog = tl.catalogs.get(sha) or (
            parse_catalog(layout.CATALOG_FILE, data)[0] if data else ()
        )
    repo = _repository(where.root, config, {p.sku: p for p in catalog or ()})
    if repo is None:
        return State(commit, day, deals, None)
    for path, entry in entries.items():
        kind = layout.classify(path)
        if kind is None or kind[0] != "opportunity":
            continue
        opp = tl.opportunities.get(entry.sha)
        if opp is None and entry.sha in blobs:
            opp = _parse_opportunity(front_matter(blobs[entry.sha]))
        if opp is None:
            continue
        lineage = tl.current.get(path, tl.ended.get(path))
        created = added_on(tl, lineage) if lineage is not None else (day or date.min)
        deals[kind[1]] = _deal(repo, kind[1], path, opp, created, today)
    return State(commit, day, deals, repo)


# --- points in time: DATE or REF -------------------------------------------------------------


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
    if _DATE.match(value):
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


def _head_chain(where: Git, rev: str = "HEAD") -> list[tuple[str, str]]:
    if git.resolve(where.top, rev) is None:
        raise UsageError(f"`{rev}` names no commit (no commits yet?); history reads commits")
    return git.first_parent_line(where.top, rev)


class PointReader(git.GitReader):
    """A GitReader of one commit that knows which `--at` point it stands for."""

    def __init__(self, root: Path, point: Point, top: Path) -> None:
        super().__init__(root, commit=point.commit, top=top)
        self.point = point


def reader_at(root: Path, at: str, today: date) -> PointReader:
    """A Reader of the CRM as of `at` (DATE or REF), read from git objects; its `.point` says
    which commit and day that is. The working tree is not touched."""
    where = locate(root)
    chain = _head_chain(where)
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


# --- one opportunity's history ----------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    """An amount of money in a history record; the outputs format it (text: the repository's
    locale; JSON: the exact minor-unit string)."""

    value: Decimal
    currency: str

    def text(self, money: MoneyFormat | None = None) -> str:
        """As `money` formats it, else the plain exact form `48000.00 USD`."""
        from textcrm.money import fixed

        if money is not None:
            return money(self.value, self.currency)
        return f"{fixed(self.value, self.currency)} {self.currency}"


MoneyFormat = Callable[[Decimal, str], str]
Tracked = str | Amount


def _pct(value: Decimal) -> str:
    from textcrm.money import plain

    return f"{plain(value)}%"


def tracked(deal: Deal) -> dict[str, Tracked]:
    """The tracked fields of a deal: text, and the expected revenue as an Amount."""
    opp, fig = deal.opp, deal.figures
    return {
        "stage": opp.stage or "-",
        "close_date": opp.close_date.isoformat() if opp.close_date else "-",
        "expected": Amount(fig.expected, fig.currency),
        "probability": _pct(fig.probability),
        "owner": opp.owner or "-",
        "forecast": fig.forecast,
    }


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Tracked  # "" when there was none
    new: Tracked

    def text(self, value: Tracked, money: MoneyFormat | None = None) -> str:
        return value.text(money) if isinstance(value, Amount) else value


@dataclass(frozen=True)
class Event:
    """A commit that changed a tracked field (or created, renamed, deleted the opportunity)."""

    commit: Commit
    kind: str  # created, changed, invalid, deleted, restored
    path: str
    changes: tuple[FieldChange, ...] = ()
    note: str = ""

    def describe(self, money: MoneyFormat | None = None) -> str:
        """The change as one line of text, amounts formatted by `money`."""
        parts = [
            f"{c.field}: {c.text(c.old, money)} -> {c.text(c.new, money)}" for c in self.changes
        ]
        if self.kind == "created":
            parts = [
                "created: " + ", ".join(f"{c.field} {c.text(c.new, money)}" for c in self.changes)
            ]
        elif self.kind == "restored":
            parts.insert(0, "restored")
        elif self.kind == "deleted":
            parts = ["deleted"]
        elif self.kind == "invalid":
            parts = ["front matter invalid in this commit: not read (values carried over)"]
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


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
        pos = _step_at(steps, index)
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
        renamed = step.path != path and index == step.at
        note = f"renamed from {path}" if renamed else ""
        path = step.path
        if opp is None:
            if index == step.at:
                events.append(Event(commit, "invalid", path, note=note))
            continue
        settings = (
            _valid_blob(tl.config, index, tl.configs),
            _valid_blob(tl.catalog, index, tl.catalogs),
        )
        if settings not in repos:
            repos[settings] = _repository(root, *config_at(tl, index))
        repo = repos[settings]
        if repo is None:
            continue
        deal = _deal(
            repo, f"l{lineage}", path, opp, created_day, date.max, tl, (step.blob, *settings)
        )
        title = opp.title or title
        created_field = opp.created
        now = tracked(deal)
        if index not in own:
            note = "textcrm.yaml or products.yaml changed"
        if previous is None or not alive:
            kind = "created" if previous is None else "restored"
            fields = tuple(FieldChange(k, "", v) for k, v in now.items())
            if kind == "restored":
                before = tracked(previous) if previous else {}
                fields = tuple(
                    FieldChange(k, before[k], v) for k, v in now.items() if before.get(k) != v
                )
            events.append(Event(commit, kind, path, fields, note))
        else:
            before = tracked(previous)
            fields = tuple(
                FieldChange(k, before[k], now[k]) for k in TRACKED if before[k] != now[k]
            )
            if fields or renamed:
                events.append(Event(commit, "changed", path, fields, note))
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
    tl = build_timeline(where, _head_chain(where), use_cache, save=False)
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
    tl = build_timeline(where, _head_chain(where), use_cache, save=False)
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


# --- changes between two points and the waterfall --------------------------------------------

WATERFALL_TERMS = ("start", "new", "increases", "decreases", "won", "lost", "removed", "end")


@dataclass(frozen=True)
class Item:
    """One opportunity in a list of `changes`: what happened, and the money it concerns."""

    id: str
    title: str
    owner: str
    currency: str
    amount: Decimal
    detail: str
    moved: tuple[Amount, Amount] | None = None  # an amount change: before, after

    def describe(self, money: MoneyFormat | None = None) -> str:
        """The detail as text, amounts formatted by `money`."""
        if self.moved is None:
            return self.detail
        return f"{self.moved[0].text(money)} -> {self.moved[1].text(money)}"

    def to_json(self) -> dict[str, Any]:
        from textcrm.money import fixed

        return {
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "currency": self.currency,
            "amount": fixed(self.amount, self.currency),
            "detail": self.describe(),
        }


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
    from textcrm.deals import staleness

    lists: dict[str, list[Item]] = {k: [] for k in LISTS}
    falls: dict[str, dict[str, Decimal]] = {}
    moves: dict[tuple[str, str, str], Decimal] = {}

    def add(currency: str, term: str, value: Decimal) -> None:
        w = falls.setdefault(currency, {t: Decimal(0) for t in WATERFALL_TERMS})
        w[term] += value

    def item(
        deal: Deal,
        detail: str,
        amount: Decimal | None = None,
        currency: str | None = None,
        moved: tuple[Amount, Amount] | None = None,
    ) -> Item:
        return Item(
            deal.id,
            deal.opp.title,
            deal.opp.owner,
            currency or deal.figures.currency,
            deal.figures.expected if amount is None else amount,
            detail,
            moved,
        )

    def stale(state: State, deal: Deal | None) -> bool:
        return (
            deal is not None
            and deal.is_open
            and state.repo is not None
            and staleness(state.repo.config, deal.opp, today).stale
        )

    def index(state: State, deal: Deal) -> int:
        return state.repo.config.stage_index(deal.opp.stage) if state.repo else 0

    def outcome(state: State, deal: Deal | None) -> str | None:
        if deal is None or state.repo is None:
            return None
        stage = state.repo.config.stage(deal.opp.stage)
        return stage.outcome if stage else None

    for key in sorted(set(start.deals) | set(end.deals)):
        s, e = start.deals.get(key), end.deals.get(key)
        either = e or s
        who = either.opp.owner if either is not None else ""
        if owner is not None and who != owner:
            continue
        s_open = s is not None and s.is_open
        e_open = e is not None and e.is_open
        if s is not None and s_open:
            add(s.figures.currency, "start", s.figures.expected)
        if e is not None and e_open:
            add(e.figures.currency, "end", e.figures.expected)
        if s is not None and e is not None and s_open:
            # Amount (and currency) changes first; a deal that closes leaves at its final value.
            sf, ef = s.figures, e.figures
            before, after = (sf.expected, sf.currency), (ef.expected, ef.currency)
            if sf.currency == ef.currency:
                delta = ef.expected - sf.expected
                if delta > 0:
                    add(ef.currency, "increases", delta)
                    lists["increased"].append(
                        item(
                            e,
                            "",
                            delta,
                            moved=(Amount(*before), Amount(*after)),
                        )
                    )
                elif delta < 0:
                    add(ef.currency, "decreases", -delta)
                    lists["decreased"].append(
                        item(
                            e,
                            "",
                            -delta,
                            moved=(Amount(*before), Amount(*after)),
                        )
                    )
            else:
                add(sf.currency, "decreases", sf.expected)
                add(ef.currency, "increases", ef.expected)
                lists["decreased"].append(item(s, f"currency {sf.currency} -> {ef.currency}"))
                lists["increased"].append(item(e, f"currency {sf.currency} -> {ef.currency}"))
        if s is not None and s_open and e is None:
            add(s.figures.currency, "removed", s.figures.expected)
        if e is not None and e_open and not s_open:
            add(e.figures.currency, "new", e.figures.expected)
        if e is not None and not e_open and s is None:
            # Created and closed within the period: it entered and left the pipeline.
            add(e.figures.currency, "new", e.figures.expected)
        e_out = outcome(end, e)
        if e is not None and not e_open and (s is None or s_open) and e_out in ("won", "lost"):
            add(e.figures.currency, e_out, e.figures.expected)

        # The lists: what a reader wants to know about each deal.
        if e is None:
            if s is not None:
                lists["deleted"].append(item(s, f"was {s.opp.stage}"))
            continue
        if s is None:
            lists["new"].append(item(e, f"in {e.opp.stage}"))
        elif not s.is_open and e_open:
            lists["reopened"].append(item(e, f"{s.opp.stage} -> {e.opp.stage}"))
        s_out = outcome(start, s)
        if e_out is not None and e_out != s_out and e_out in ("won", "lost"):
            lists[e_out].append(item(e, f"{s.opp.stage if s else 'new'} -> {e.opp.stage}"))
        if s is not None and s_open and e_open and s.opp.stage != e.opp.stage:
            forward = index(end, e) > index(start, s)
            lists["advanced" if forward else "regressed"].append(
                item(e, f"{s.opp.stage} -> {e.opp.stage}")
            )
        if s is not None and s_open and e_open:
            sc, ec = s.opp.close_date, e.opp.close_date
            if sc and ec and sc != ec:
                days = (ec - sc).days
                lists["slipped" if days > 0 else "pulled_in"].append(
                    item(e, f"{sc} -> {ec} ({counted(f'{days:+d}', 'day')})")
                )
            if s.figures.forecast != e.figures.forecast:
                k = (s.figures.forecast, e.figures.forecast, e.figures.currency)
                moves[k] = moves.get(k, Decimal(0)) + e.figures.expected
        if stale(end, e) and not stale(start, s):
            lists["stale"].append(item(e, f"stale as of {today}"))
    for entries in lists.values():
        entries.sort(key=lambda i: i.id)
    return Changes(
        _point_of(start), _point_of(end), owner, lists, dict(sorted(falls.items())), moves
    )


def _point_of(state: State) -> Point:
    return Point(state.commit, state.day or date.min, state.commit[:7] if state.commit else "")


def _index_of(tl: Timeline, chain_pos: dict[str, int], commit: str | None) -> int:
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
    head_chain = _head_chain(where)
    end = resolve_point(where, head_chain, until_value, before=False, today=today)
    if end.commit is None:
        raise UsageError(f"--until {until_value}: no commit on or before that date")
    head_pos = {sha: n for n, (sha, _) in enumerate(head_chain)}
    chain = head_chain if end.commit in head_pos else _head_chain(where, end.commit)
    pos = head_pos if end.commit in head_pos else {sha: n for n, (sha, _) in enumerate(chain)}
    # The line from `until` back: positions of the chain relative to `end`.
    line = chain[pos[end.commit] :]
    start = resolve_point(where, line, since, before=True, today=today)
    if start.commit is not None and not _DATE.match(since):
        base = git.merge_base(where.top, start.commit, end.commit)
        if base is None:
            raise UsageError(f"--since {since}: it shares no history with {until_value}")
        start = Point(base, start.day, since)
    tl = build_timeline(where, chain, use_cache, save=False)
    as_of = today if until is None or not _DATE.match(until) else end.day
    memo: dict[tuple[Any, ...], Deal] = {}
    end_index = _index_of(tl, pos, end.commit)
    end_state = state_at(tl, root, end_index, end.commit, end.day, as_of, memo)
    if start.commit is None or start.commit in pos:
        start_index = _index_of(tl, pos, start.commit)
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


# --- the site's history sections ----------------------------------------------------------------


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
    chain = git.first_parent_line(top, "HEAD") if _has_head(where) else []
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
    end_state = state_at(tl, root, _index_of(tl, pos, end.commit), end.commit, today, today, memo)
    start_index = _index_of(tl, pos, start.commit)
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
    """The mean of day counts to one decimal, half up."""
    from decimal import ROUND_HALF_UP

    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
