"""The timeline cache: a signed base file and deltas in `.textcrm-cache/`, and the timeline built
through it (from the cache when current, else with only the commits it lacks).

The files are named with `cache.code_fingerprint`, so a new textcrm never reads a timeline
written by other code, and signed (`cache.read_signed`/`write_signed`) because a cache may
come from someone else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textcrm import git, layout
from textcrm.history.timeline import Git, Snapshot, Timeline, append_log, replay

_CACHE_VERSION = "history-1"


def _cache_name(root: Path) -> tuple[Path, str]:
    """The cache folder and the base name of this code version's timeline files."""
    from textcrm.cache import code_fingerprint

    return root / layout.CACHE_DIR, f"history-{code_fingerprint(_CACHE_VERSION)}"


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
        replay(tl, raw, None)
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
    append_log(tl, entries, where.top)
    tl.tip = head
    tl.dirty = True
    if use_cache and save:
        save_timeline(where, tl)
    return tl
