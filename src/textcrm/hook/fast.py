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

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from textcrm import git, layout
from textcrm.hook.scope import Plan, needs_every_file
from textcrm.verdicts import Inputs, Known, Store, Verdict, names_of, record

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
_COUNTED = ("opportunities", "accounts", "contacts", "competitors", "products")


class Passed(NamedTuple):
    """A commit the fast route decided: how many files of each kind it checked (None when it
    touches nothing textcrm reads, and the full hook prints nothing either)."""

    checked: dict[str, int] | None


def inputs_of(listing: Mapping[str, git.Entry], today: date) -> Inputs | None:
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
    return (config.sha, digest, today.isoformat())


def answer(
    crm: Path, the_plan: Plan, listing: Mapping[str, git.Entry], today: date
) -> Passed | None:
    """Pass the plan's staged files from the verdict store, or None when only the full hook
    can decide. `listing` is the index as `scope.narrow_listing(the_plan)` lists it."""
    if needs_every_file(the_plan):
        return None
    scope = sorted(p for p in the_plan.changed if p in listing)
    if not scope:
        return Passed(None)
    current = inputs_of(listing, today)
    if current is None:
        return None
    store = Store(crm / layout.CACHE_DIR)
    if not store.config_clean(current[0]):
        return None

    def verdict(path: str) -> Verdict | None:
        entry = listing.get(path)
        if entry is None or entry.mode not in _REGULAR:
            return None
        return store.get(path, entry.sha, current)

    def exists(kind: str, record_id: str) -> bool:
        path = layout.record_path(kind, record_id)
        return path in listing and layout.classify(path) == (kind, record_id)

    judged: dict[str, Verdict] = {}
    for path in scope:
        found = verdict(path)
        if found is None or found.clean is not True:
            return None
        judged[path] = found
    quotes: set[str] = set()
    for v in judged.values():
        named = _named(v)
        for form, name in named:
            kind = FORM_KIND.get(form)
            if kind is None or not exists(kind, name):
                return None  # unknown-account, -contact or -competitor: the full hook says
        if v.kind != "opportunity":
            continue
        if v.quote is not None:
            if v.quote in quotes:
                return None  # duplicate-quote-number
            quotes.add(v.quote)
        if not v.account:
            continue
        for form, contact in named:
            if form != "contact":
                continue
            path = layout.record_path("contact", contact)
            works = judged.get(path) or verdict(path)
            if works is None:
                return None  # the contact's blob was not judged yet
            if works.kind == "contact" and works.account and works.account != v.account:
                return None  # contact-account-mismatch
    checked = dict.fromkeys(_COUNTED, 0)
    for path in scope:
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
    from textcrm.checks import FILE_INPUTS
    from textcrm.checks.references import references_of

    current = inputs_of(listing, today)
    if current is None or needs_every_file(the_plan):
        return
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
            entry = listing.get(rec.path)
            if entry is None or entry.mode not in _REGULAR:
                continue
            reads = FILE_INPUTS[kind]
            catalog = "catalog" in reads and (kind != "opportunity" or bool(rec.line_items))
            inputs = (
                current[0],
                current[1] if catalog else None,
                current[2] if "today" in reads else None,
            )
            clean = rec.path not in with_problems if rec.path in scope else None
            refs = references_of(kind, rec)
            quote = refs.quote[0] if refs.quote is not None else None
            verdict = Verdict(inputs, clean, refs.kind, refs.account, names_of(refs.names), quote)
            known.append(Known(rec.path, entry.sha, verdict))
    config_clean = layout.CONFIG_FILE not in with_problems
    record(crm / layout.CACHE_DIR, current[0], config_clean, known, current[2] or "")
