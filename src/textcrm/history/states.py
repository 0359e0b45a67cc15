"""The pipeline at one point of the history: each deal's opportunity and figures (Deal, State),
with the textcrm.yaml and catalog in force there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from textcrm import git, layout
from textcrm.history.timeline import (
    Git,
    Snapshot,
    Step,
    Timeline,
    added_on,
    parse_opportunity,
    step_at,
)
from textcrm.loader import front_matter, read_catalog, read_config, repository_of
from textcrm.model import Config, Figures, Opportunity, Product, figures
from textcrm.repository import Repository


def _valid_at(tl: Timeline, steps: list[Step], index: int, known: Mapping[str, Any]) -> Any:
    pos = step_at(steps, index)
    if pos < 0 or steps[pos].blob is None:
        return None
    while pos >= 0 and steps[pos].blob is not None:
        value = known.get(steps[pos].blob or "")
        if value is not None:
            return value
        pos -= 1
    return None


def valid_blob(steps: list[Step], index: int, known: Mapping[str, Any]) -> str:
    """The blob of the last valid version at or before commit `index` ("" when none): which
    settings are in force, so that deals computed under the same settings are shared."""
    pos = step_at(steps, index)
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


def past_repository(
    root: Path, config: Config | None, catalog: dict[str, Product]
) -> Repository | None:
    """The settings of a past point as a Repository (no records), None without a config."""
    if config is None:
        return None
    return repository_of(root, config, catalog.values())


def deal_of(
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
    repo = past_repository(root, config, catalog)
    memo = {} if memo is None else memo
    # The config and catalog in force: deals are shared only between states that agree on both.
    settings = (
        valid_blob(tl.config, index, tl.configs),
        valid_blob(tl.catalog, index, tl.catalogs),
    )
    deals: dict[str, Deal] = {}
    if repo is None:
        return State(commit, day, deals, None)
    for n, steps in enumerate(tl.lineages):
        pos = step_at(steps, index)
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
                    deal = deal_of(
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
            read_config(data)[0] if data else None
        )
    if layout.CATALOG_FILE in entries:
        sha = entries[layout.CATALOG_FILE].sha
        data = blobs.get(sha)
        catalog = tl.catalogs.get(sha) or (read_catalog(data)[0] if data else ())
    repo = past_repository(where.root, config, {p.sku: p for p in catalog or ()})
    if repo is None:
        return State(commit, day, deals, None)
    for path, entry in entries.items():
        kind = layout.classify(path)
        if kind is None or kind[0] != "opportunity":
            continue
        opp = tl.opportunities.get(entry.sha)
        if opp is None and entry.sha in blobs:
            opp = parse_opportunity(front_matter(blobs[entry.sha]))
        if opp is None:
            continue
        lineage = tl.current.get(path, tl.ended.get(path))
        created = added_on(tl, lineage) if lineage is not None else (day or date.min)
        deals[kind[1]] = deal_of(repo, kind[1], path, opp, created, today)
    return State(commit, day, deals, repo)
