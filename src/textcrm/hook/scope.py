"""What a change set puts in scope: which files a commit or a pull request makes us check.

Also checks them, reading the new state from a `Reader` (the index for the hook, the working
tree for `textcrm check --changed-since`), and re-prices promised deals on a catalog change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from textcrm import git, layout
from textcrm.errors import UsageError

if TYPE_CHECKING:
    from textcrm.loader import Reader
    from textcrm.model import Product
    from textcrm.repository import LoadResult, Repository

_REFERENCED_KINDS = ("account", "contact", "competitor")


@dataclass(frozen=True)
class Plan:
    """What a change set means for one CRM: re-check all, or which files and what vanished."""

    everything: bool
    changed: frozenset[str]  # record files added or modified (new paths of renames)
    removed: frozenset[str]  # record files deleted (old paths of renames)
    catalog: git.Change | None  # the change to products.yaml, if any
    renamed: tuple[tuple[str, str], ...] = ()  # (new path, old path) of renamed records

    @property
    def empty(self) -> bool:
        return not (self.everything or self.changed or self.removed or self.catalog)


def plan(changes: Iterable[git.Change], prefix: str) -> Plan:
    """Sort the changes under `prefix` (the CRM root relative to the git top) by what they
    make us check. Paths in the plan are relative to the CRM root."""

    def inside(path: str) -> str | None:
        if not path.startswith(prefix):
            return None
        rel = path[len(prefix) :]
        return rel if layout.classify(rel) is not None else None

    everything = False
    changed: set[str] = set()
    removed: set[str] = set()
    catalog: git.Change | None = None
    renamed: list[tuple[str, str]] = []
    for change in changes:
        if change.status == "U":  # an unmerged entry: git refuses the commit anyway
            continue
        old, new = inside(change.old_path), inside(change.new_path)
        if change.status in ("D", "R") and old is not None:
            removed.add(old)
        if change.status == "R" and old is not None and new is not None:
            renamed.append((new, old))
        if change.status != "D" and new is not None:
            changed.add(new)
        if layout.CONFIG_FILE in (old, new):
            everything = True
        if layout.CATALOG_FILE in (old, new):
            catalog = change
    changed.discard(layout.CONFIG_FILE)
    removed -= {layout.CONFIG_FILE, layout.CATALOG_FILE}
    return Plan(everything, frozenset(changed), frozenset(removed), catalog, tuple(renamed))


def changed_skus(old: tuple[Product, ...], new: tuple[Product, ...]) -> set[str]:
    """Skus removed from the catalog or whose entry changed (price, unit, currency, ...)."""

    def by_sku(products: tuple[Product, ...]) -> dict[str, Product]:
        return {p.sku: dataclasses.replace(p, line=0) for p in products}

    before, after = by_sku(old), by_sku(new)
    return {sku for sku, product in before.items() if after.get(sku) != product}


def referencing(repo: Repository, gone: Mapping[str, set[str]], skus: set[str]) -> set[str]:
    """Record files that point at a vanished account, contact or competitor, or at a catalog
    entry that was removed or changed."""
    accounts, contacts = gone.get("account", set()), gone.get("contact", set())
    competitors = gone.get("competitor", set())
    paths: set[str] = set()
    for opp in repo.opportunities.values():
        if (
            opp.account in accounts
            or any(r.contact in contacts for r in opp.contacts)
            or any(a.contact in contacts for a in opp.activities if a.contact)
            or any(c.competitor in competitors for c in opp.competitors)
            or any(i.sku in skus for i in opp.line_items if i.sku)
        ):
            paths.add(opp.path)
    for contact in repo.contacts.values():
        if contact.account in accounts:
            paths.add(contact.path)
    for account in repo.accounts.values():
        if account.parent in accounts:
            paths.add(account.path)
    return paths


def needs_every_file(the_plan: Plan) -> bool:
    """True when finding what to check needs every record: textcrm.yaml changed, or a
    record or catalog entry that others may point at vanished or changed."""
    return (
        the_plan.everything
        or the_plan.catalog is not None
        or any((layout.classify(p) or ("",))[0] in _REFERENCED_KINDS for p in the_plan.removed)
    )


def narrow_listing(the_plan: Plan) -> list[str]:
    """What a reader must list when `needs_every_file` is false: the files references point
    into, and the changed files; not the other opportunities."""
    return [
        layout.CONFIG_FILE,
        layout.CATALOG_FILE,
        *(layout.KIND_FOLDER[k] + "/" for k in _REFERENCED_KINDS),
        *sorted(the_plan.changed),
    ]


def check_changes(
    root: Path,
    today: date,
    reader: Reader,
    the_plan: Plan,
    old_blob: Callable[[str], bytes | None],
) -> LoadResult | None:
    """Check what a change set touches, reading the new state from `reader`; None when it
    touches nothing textcrm reads. `old_blob` reads a blob of the old state by id. The reader
    may list only `narrow_listing(the_plan)` when `needs_every_file(the_plan)` is false."""
    from textcrm.loader import load, read_catalog

    if the_plan.empty:
        return None
    present = set(reader.files())
    skus: set[str] = set()
    old: tuple[Product, ...] = ()
    change = the_plan.catalog
    if change is not None:
        old_data = old_blob(change.old_sha) if change.status not in ("A", "C") else None
        old = (read_catalog(old_data)[0] or ()) if old_data else ()
        new: tuple[Product, ...] = ()
        if layout.CATALOG_FILE in present:
            data = reader.read(layout.CATALOG_FILE)
            new = (read_catalog(data)[0] or ()) if isinstance(data, bytes) else ()
        skus = changed_skus(old, new)
    if the_plan.everything:
        return _with_repricing(load(root, today, reader=reader), old, skus)
    scope = {p for p in the_plan.changed if p in present}
    gone: dict[str, set[str]] = {}
    for path in the_plan.removed:
        kind, record_id = layout.classify(path) or ("", "")
        if kind in _REFERENCED_KINDS and path not in present:
            gone.setdefault(kind, set()).add(record_id)
    if change is not None and layout.CATALOG_FILE in present:
        scope.add(layout.CATALOG_FILE)
    if gone or skus:
        # Which unchanged files point at what vanished: every record is needed, which the
        # parse cache serves without parsing.
        whole = load(root, today, reader=reader, run_checks=False)
        scope |= referencing(whole.repository, gone, skus)
    if not scope:
        return None
    prefetch = getattr(reader, "prefetch", None)
    if prefetch is not None:  # one `git cat-file` for the config, the catalog and the scope
        prefetch([layout.CONFIG_FILE, layout.CATALOG_FILE, *sorted(scope)])
    return _with_repricing(load(root, today, reader=reader, paths=scope), old, skus)


def _with_repricing(result: LoadResult, old: tuple[Product, ...], skus: set[str]) -> LoadResult:
    """Add an `unpriced-line` error for each quoted or closed deal whose total the catalog
    change (`old` -> the loaded catalog, `skus` changed) would change: its prices were
    promised."""
    from textcrm.checks.amounts import price_promised, unpriced_lines
    from textcrm.diagnostics import Diagnostic, sort_key
    from textcrm.model import figures
    from textcrm.money import fixed
    from textcrm.repository import LoadResult

    repo = result.repository
    severity = repo.config.rules.get("unpriced-line", "error")
    if not skus or severity == "off":
        return result
    before = {p.sku: p for p in old}
    found = []
    for opp in repo.checked_opportunities():
        if not price_promised(repo, opp):
            continue
        moved = [item for item, _p in unpriced_lines(repo, opp) if item.sku in skus]
        if not moved:
            continue
        was, now = figures(opp, repo.config, before), repo.figures(opp)
        old_total, new_total = was.line_items_total, now.line_items_total
        if old_total is None or new_total is None or old_total == new_total:
            continue
        what = f"issued {opp.quote.named}" if opp.quote else f"{opp.stage} deal"
        changed = ", ".join(sorted({i.sku for i in moved}))
        found.append(
            Diagnostic(
                opp.path,
                moved[0].line,
                1,
                "unpriced-line",
                severity,
                f"the catalog change ({changed}) re-prices the {what} {opp.id}: its total "
                f"would go from {fixed(old_total, was.currency)} to "
                f"{fixed(new_total, now.currency)} {now.currency}; keep the promised prices "
                f"with `textcrm pin-prices --prices-at HEAD {opp.id}` and commit the deal "
                "with the catalog",
            )
        )
    if not found:
        return result
    diagnostics = sorted([*result.diagnostics, *found], key=sort_key)
    return LoadResult(repo, diagnostics, result.checked)


def blob_reader(top: Path, blobs: git.BlobBatch | None = None) -> Callable[[str], bytes | None]:
    """Read one blob of the old state by id (a catalog change's old products.yaml), through
    `blobs` when given."""

    def read(sha: str) -> bytes | None:
        if blobs is not None:
            return blobs.read([sha]).get(sha)
        return git.cat_blobs(top, [sha]).get(sha)

    return read


def changed_since(root: Path, today: date, ref: str) -> LoadResult | None:
    """`textcrm check --changed-since REF`: check the working tree's files changed since
    the fork point with REF, references resolved against the whole tree."""
    from textcrm.loader import DiskReader

    top = git.toplevel(root)
    if top is None:
        raise UsageError(f"--changed-since needs a git repository; {root} is not in one")
    changes = git.changes_since(top, ref)
    the_plan = plan(changes, git.crm_prefix(top, root))
    return check_changes(root, today, DiskReader(root), the_plan, blob_reader(top))
