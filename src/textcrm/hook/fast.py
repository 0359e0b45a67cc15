"""The hook's fast route: pass a commit whose staged blobs are known clean, without the parser.

When every staged record file's blob has a verdict in the verdict store (`textcrm.verdicts`,
written by `check` and by the hook itself) under the staged textcrm.yaml, products.yaml and
today, and those verdicts and the cross-file rules find nothing, the commit passes with exactly
what the full hook prints ("no problems in ..."). Anything else (a blob not judged yet, a
finding, a reference that may not resolve, a symlink, textcrm.yaml or products.yaml staged, a
record others point at removed) is left to the full hook, which then records the verdicts of
the blobs it judged so that the same content passes fast next time. Problems are never
reported from here: the baseline judgement against HEAD needs the records.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from textcrm import git, layout
from textcrm.errors import GitError
from textcrm.hook.scope import Plan, narrow_listing, needs_every_file
from textcrm.verdicts import Current, Known, Store, Verdict, names_of, record

if TYPE_CHECKING:
    from textcrm.repository import LoadResult

# The git modes of a file the full hook reads as it is (not a symlink, not a submodule).
_REGULAR = ("100644", "100755")
# form of a naming -> the kind of record it names (checks.references.FORMS; a test holds
# them equal, so the cross-file rules and this route cannot disagree on what resolves).
FORM_KIND: Mapping[str, str] = {
    "account": "account",
    "parent": "account",
    "contact": "contact",
    "activity": "contact",
    "competitor": "competitor",
}
_EXACT_PATHS = 1000  # paths `git ls-tree` is given one by one; beyond, it lists folders
_COUNTED = ("opportunities", "accounts", "contacts", "competitors", "products")


class Passed(NamedTuple):
    """A commit the fast route decided: how many files of each kind it checked (None when it
    touches nothing textcrm reads, and the full hook prints nothing either)."""

    checked: dict[str, int] | None


def inputs_of(listing: Mapping[str, git.Entry], today: date) -> Current | None:
    """The inputs of the staged files' rules: the index's textcrm.yaml and products.yaml blob
    ids (as the results cache digests them) and today; None when one is not a plain file."""
    config = listing.get(layout.CONFIG_FILE)
    if config is None or config.mode not in _REGULAR:
        return None
    catalog = listing.get(layout.CATALOG_FILE)
    if catalog is None:
        digest = "no catalog"
    elif catalog.mode not in _REGULAR:
        return None
    else:
        digest = catalog.sha
    return (config.sha, digest, today.toordinal())


def answer(
    top: Path,
    crm: Path,
    prefix: str,
    the_plan: Plan,
    changes: Iterable[git.Change],
    today: date,
) -> Passed | None:
    """Pass the plan's staged files (the CRM at `crm`, `prefix` under the git top) from the
    verdict store, or None when only the full hook can decide.

    The staged blob ids and modes come from `changes` (git diff --cached): a blob without a
    clean verdict ends here, before any other git process. The index holds what HEAD holds
    for every other path, so one `git ls-tree HEAD` of textcrm.yaml, products.yaml and the
    records the staged files name (of the referenced folders when they name many) gives the
    rest, without git reading the whole index once more."""
    if needs_every_file(the_plan):
        return None
    if not the_plan.changed:
        return Passed(None)
    staged: dict[str, git.Entry] = {}
    gone: set[str] = set()
    for c in changes:
        if c.status == "U":
            return None  # a merge conflict: git refuses the commit anyway
        if c.status in ("D", "R") and c.old_path.startswith(prefix):
            gone.add(c.old_path[len(prefix) :])
        if c.status != "D" and c.new_path.startswith(prefix):
            staged[c.new_path[len(prefix) :]] = git.Entry(c.new_mode, c.new_sha)
    gone -= staged.keys()
    store = Store(crm / layout.CACHE_DIR)
    named: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(the_plan.changed):
        entry = staged.get(path)
        if entry is None or entry.mode not in _REGULAR:
            return None
        found = [v for v in store.candidates(path, entry.sha) if v.clean is True]
        if not found:
            return None  # not judged yet, or not clean: the full hook says what it finds
        named[path] = _named(found[0])  # what a file names is in its bytes: one answer
    wanted: dict[str, None] = dict.fromkeys([layout.CONFIG_FILE, layout.CATALOG_FILE])
    for pairs in named.values():
        for form, name in pairs:
            kind = FORM_KIND.get(form)
            if kind is None or "\0" in name:
                return None
            path = layout.record_path(kind, name)
            if layout.classify(path) != (kind, name):
                return None  # no file can have that id (`../x`): unknown-..., the full hook says
            wanted[path] = None
    listing = {p: e for p, e in staged.items() if p in wanted or p in named}
    at_head = [p for p in wanted if p not in staged and p not in gone]
    if at_head:
        only = at_head if len(at_head) <= _EXACT_PATHS else narrow_listing(the_plan)
        try:
            head = git.list_tree(top, "HEAD", prefix, only, literal=True)
        except GitError:  # no commit yet
            return None
        for path, entry in head.items():
            if path not in staged and path not in gone:
                listing.setdefault(path, entry)
    current = inputs_of(listing, today)
    if current is None or not store.config_clean(current[0]):
        return None

    def exists(kind: str, record_id: str) -> bool:
        path = layout.record_path(kind, record_id)
        return path in listing and layout.classify(path) == (kind, record_id)

    judged: dict[str, Verdict] = {}
    for path in named:
        v = store.get(path, staged[path].sha, current)
        if v is None or v.clean is not True:
            return None  # judged with another textcrm.yaml, products.yaml or day
        judged[path] = v
    quotes: set[str] = set()
    for path, v in judged.items():
        for form, name in named[path]:
            if not exists(FORM_KIND[form], name):
                return None  # unknown-account, -contact or -competitor: the full hook says
        if v.kind != "opportunity":
            continue
        if v.quote is not None:
            if v.quote in quotes:
                return None  # duplicate-quote-number
            quotes.add(v.quote)
        if not v.account:
            continue
        for form, contact in named[path]:
            if form != "contact":
                continue
            contact_path = layout.record_path("contact", contact)
            works = judged.get(contact_path)
            if works is None:
                entry = listing[contact_path]
                if entry.mode not in _REGULAR:
                    return None
                works = store.get(contact_path, entry.sha, current)
            if works is None:
                return None  # the contact's blob was not judged yet
            if works.kind == "contact" and works.account and works.account != v.account:
                return None  # contact-account-mismatch
    checked = dict.fromkeys(_COUNTED, 0)
    for path in judged:
        kind_id = layout.classify(path)
        if kind_id is None or kind_id[0] not in layout.KIND_FOLDER:
            return None
        checked[layout.KIND_FOLDER[kind_id[0]]] += 1
    return Passed(checked)


def _named(v: Verdict) -> list[tuple[str, str]]:
    """(form, id) of each id a file names."""
    it = iter(v.names)
    return list(zip(it, it, strict=False))  # a signed store of ours: always pairs


def remember(
    crm: Path, the_plan: Plan, listing: Mapping[str, git.Entry], result: LoadResult, today: date
) -> None:
    """Record the verdicts of the staged files the full hook just judged (and what the
    cross-file rules read of the contacts it read for them), so that the same blobs pass by
    the fast route."""
    current = inputs_of(listing, today)
    if current is None or needs_every_file(the_plan):
        return

    def blob_of(path: str) -> str | None:
        entry = listing.get(path)
        return entry.sha if entry is not None and entry.mode in _REGULAR else None

    record_judged(crm, result, blob_of, current)


def record_judged(
    crm: Path, result: LoadResult, blob_of: Callable[[str], str | None], current: Current
) -> None:
    """Record the verdicts of a scoped load's files: clean or not for the files in its scope,
    what the cross-file rules read of every record it parsed. `blob_of` gives the blob id of
    the bytes each was parsed from (None: not known, not recorded); `current` the inputs the
    load ran with."""
    from textcrm.checks import FILE_INPUTS
    from textcrm.checks.references import references_of

    repo = result.repository
    scope = repo.scope or frozenset()
    with_problems = {d.path for d in result.diagnostics}
    known: list[Known] = []
    tables: dict[str, Mapping[str, Any]] = {
        "opportunity": repo.opportunities,
        "account": repo.accounts,
        "contact": repo.contacts,
        "competitor": repo.competitors,
    }
    for kind, table in tables.items():
        for rec in table.values():
            blob = blob_of(rec.path)
            if blob is None:
                continue
            reads = FILE_INPUTS[kind]
            catalog = "catalog" in reads and (kind != "opportunity" or bool(rec.line_items))
            inputs = (
                current[0],
                current[1] if catalog else None,
                (current[2], current[2] + 1) if "today" in reads else None,
            )
            clean = rec.path not in with_problems if rec.path in scope else None
            refs = references_of(kind, rec)
            quote = refs.quote[0] if refs.quote is not None else None
            verdict = Verdict(inputs, clean, refs.kind, refs.account, names_of(refs.names), quote)
            known.append(Known(rec.path, blob, verdict))
    config_clean = layout.CONFIG_FILE not in with_problems
    record(crm / layout.CACHE_DIR, current[0], config_clean, known, current[2])


def record_edit(root: Path, today: date, path: str, data: bytes, result: LoadResult) -> None:
    """Record the verdict of an edited file's new bytes `data`, checked by `result` (a load
    of the working tree with the edit in place, scoped to `path`), and of the contacts it
    read for it: an edit committed next (`--commit`, or by hand) takes the fast route."""
    import stat

    def blob_on_disk(rel: str) -> str | None:
        full = root / rel
        try:
            if not stat.S_ISREG(full.lstat().st_mode):
                return None
            return git.blob_id(full.read_bytes())
        except OSError:
            return None

    config = blob_on_disk(layout.CONFIG_FILE)
    catalog: str | None = "no catalog"
    if os.path.lexists(root / layout.CATALOG_FILE):
        catalog = blob_on_disk(layout.CATALOG_FILE)
    if config is None or catalog is None:
        return
    edited = git.blob_id(data)

    def blob_of(rel: str) -> str | None:
        return edited if rel == path else blob_on_disk(rel)

    record_judged(root, result, blob_of, (config, catalog, today.toordinal()))
