"""The pre-commit hook: what is staged -> which files to check -> load from the index -> report.

Also installs and removes the hook script, and works out the files a pull request changed
(`textcrm check --changed-since`), with the same scope rules as the hook.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from textcrm import git, layout
from textcrm.errors import UsageError
from textcrm.loader import LoadResult, Reader, Repository, load
from textcrm.model import Product

HOOK_FILE = "pre-commit"
# A merge that needs no conflict resolution runs pre-merge-commit, not pre-commit: the same
# script guards it (the index then holds the merge result, HEAD is our side).
MERGE_HOOK_FILE = "pre-merge-commit"
MARKER = "# textcrm-hook: pre-commit"
BACKUP_SUFFIX = ".before-textcrm"
BYPASS = "git commit --no-verify"
_REFERENCED_KINDS = ("account", "contact", "competitor")


# --- which files a change set puts in scope ---


@dataclass(frozen=True)
class Plan:
    """What a change set means for one CRM: re-check all, or which files and what vanished."""

    everything: bool
    changed: frozenset[str]  # record files added or modified (new paths of renames)
    removed: frozenset[str]  # record files deleted (old paths of renames)
    catalog: git.Change | None  # the change to products.yaml, if any

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
    for change in changes:
        if change.status == "U":  # an unmerged entry: git refuses the commit anyway
            continue
        old, new = inside(change.old_path), inside(change.new_path)
        if change.status in ("D", "R") and old is not None:
            removed.add(old)
        if change.status != "D" and new is not None:
            changed.add(new)
        if layout.CONFIG_FILE in (old, new):
            everything = True
        if layout.CATALOG_FILE in (old, new):
            catalog = change
    changed.discard(layout.CONFIG_FILE)
    removed -= {layout.CONFIG_FILE, layout.CATALOG_FILE}
    return Plan(everything, frozenset(changed), frozenset(removed), catalog)


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
    from textcrm.parse import parse_catalog

    if the_plan.empty:
        return None
    if the_plan.everything:
        return load(root, today, reader=reader)
    present = set(reader.files())
    scope = {p for p in the_plan.changed if p in present}
    gone: dict[str, set[str]] = {}
    for path in the_plan.removed:
        kind, record_id = layout.classify(path) or ("", "")
        if kind in _REFERENCED_KINDS and path not in present:
            gone.setdefault(kind, set()).add(record_id)
    skus: set[str] = set()
    change = the_plan.catalog
    if change is not None:
        if layout.CATALOG_FILE in present:
            scope.add(layout.CATALOG_FILE)
        old_data = old_blob(change.old_sha) if change.status not in ("A", "C") else None
        old = parse_catalog(layout.CATALOG_FILE, old_data)[0] if old_data else ()
        new: tuple[Product, ...] = ()
        if layout.CATALOG_FILE in present:
            data = reader.read(layout.CATALOG_FILE)
            new = parse_catalog(layout.CATALOG_FILE, data)[0] if isinstance(data, bytes) else ()
        skus = changed_skus(old, new)
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
    return load(root, today, reader=reader, paths=scope)


# --- the hook ---


@dataclass(frozen=True)
class Outcome:
    """What a run printed and its exit status."""

    text: str
    exit_code: int


def crm_roots(top: Path, root: Path | None) -> list[Path]:
    """The CRM repositories the hook guards: `root` when given, else the top when it holds
    textcrm.yaml, else every folder whose textcrm.yaml is in the index."""
    if root is not None:
        return [root.resolve()]
    if (top / layout.CONFIG_FILE).is_file():  # the usual layout: no git process needed
        return [top]
    return [(top / name).parent for name in git.files_named(top, layout.CONFIG_FILE)]


def run_hook(cwd: Path, today: date, root: Path | None = None, color: bool = False) -> Outcome:
    """Check what is being committed (the index against HEAD) in every CRM of the repository.

    Problems are printed with paths relative to the git top, where git runs hooks.
    """
    from textcrm import console

    top = git.toplevel(cwd)
    if top is None:
        raise UsageError(f"{cwd} is not inside a git repository")
    changes = git.staged_changes(top)
    if not any(_may_matter(c) for c in changes):
        return Outcome("", 0)
    lines: list[str] = []
    errors = 0
    for crm in crm_roots(top, root):
        prefix = git.crm_prefix(top, crm)
        the_plan = plan(changes, prefix)
        if the_plan.empty:
            continue
        only = None if needs_every_file(the_plan) else narrow_listing(the_plan)
        reader = git.GitReader(crm, top=top, only=only)
        result = check_changes(crm, today, reader, the_plan, _blob_reader(top))
        if result is None:
            continue
        for d in result.diagnostics:
            lines.append(console.format_text(d, prefix + d.path, color))
        lines.append("textcrm: " + console.summary(result.diagnostics, result.checked))
        errors += result.errors
    if errors:
        lines += [
            "textcrm: commit refused: fix the errors above (each message says how), "
            "`git add` the files and commit again.",
            f"In an emergency, bypass the check with `{BYPASS}`.",
        ]
    return Outcome("\n".join(lines) + ("\n" if lines else ""), 1 if errors else 0)


def _may_matter(change: git.Change) -> bool:
    """A cheap first look, before any other git process: could this path be a CRM file?"""
    for path in (change.old_path, change.new_path):
        parts = path.rsplit("/", 2)
        if parts[-1] in (layout.CONFIG_FILE, layout.CATALOG_FILE):
            return True
        if len(parts) > 1 and parts[-2] in layout.FOLDERS and parts[-1].endswith(".md"):
            return True
    return False


def _blob_reader(top: Path) -> Callable[[str], bytes | None]:
    def read(sha: str) -> bytes | None:
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
    return check_changes(root, today, DiskReader(root), the_plan, _blob_reader(top))


# --- installing the hook script ---


def hook_script(python: str, package: str) -> str:
    """The pre-commit script: this Python's textcrm, else `textcrm` on PATH.

    `package` is textcrm's `__init__.py`: testing that it still exists costs nothing, where
    asking the interpreter would start Python twice on every commit.
    """
    q, pkg = shlex.quote(python), shlex.quote(package)
    return f"""#!/bin/sh
{MARKER}
# Installed by `textcrm hook install`; remove it with `textcrm hook uninstall`.
# It checks the CRM files being committed (the staged content). In an emergency,
# bypass it with `{BYPASS}`.
if [ -x {q} ] && [ -f {pkg} ]; then
    exec {q} -m textcrm.hook
fi
if command -v textcrm >/dev/null 2>&1; then
    exec textcrm hook run
fi
echo "textcrm: the pre-commit hook cannot find textcrm (neither {q} nor a textcrm" \\
     "command on PATH); reinstall it with \\`textcrm hook install\\`, or bypass it once with" \\
     "\\`{BYPASS}\\`" >&2
exit 1
"""


def is_ours(path: Path) -> bool:
    """True when the hook file at `path` was written by `textcrm hook install`."""
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _whose(text: str) -> str:
    if "pre-commit.com" in text or "File generated by pre-commit" in text:
        return "the pre-commit framework"
    if "husky" in text:
        return "husky"
    return "someone else"


def hook_path(cwd: Path) -> Path:
    """Where git looks for the pre-commit hook of the repository containing `cwd`."""
    return git.hooks_dir(cwd) / HOOK_FILE


def _our_script(python: str | None) -> str:
    import textcrm

    return hook_script(python or sys.executable, str(Path(textcrm.__file__).resolve()))


def is_current(cwd: Path) -> bool:
    """True when the installed hooks are exactly the ones `install` would write now (a
    pre-merge-commit hook that is not ours is left alone, so it does not count)."""
    target, script = hook_path(cwd), _our_script(None)
    merge = target.with_name(MERGE_HOOK_FILE)
    try:
        if target.read_text(encoding="utf-8") != script:
            return False
    except (OSError, UnicodeDecodeError):
        return False
    return not merge.exists() or not is_ours(merge) or merge.read_text("utf-8") == script


def install(cwd: Path, force: bool = False, python: str | None = None) -> Outcome:
    """Write our pre-commit hook (and pre-merge-commit, for merges); leave a foreign
    pre-commit hook alone unless `force` (then keep it as `pre-commit.before-textcrm`)."""
    target = hook_path(cwd)
    folder = target.parent
    script = _our_script(python)
    notes: list[str] = []
    verb = "installed"
    if target.exists() or target.is_symlink():
        existing = target.read_text(encoding="utf-8", errors="replace") if target.exists() else ""
        if MARKER in existing:
            verb = "already installed" if existing == script else "updated"
        elif not force:
            return Outcome(_foreign_hook_message(target, existing), 1)
        else:
            backup = target.with_name(HOOK_FILE + BACKUP_SUFFIX)
            os.replace(target, backup)
            notes.append(f"the previous hook is kept as {backup}")
    from textcrm.fsutil import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    if verb != "already installed":
        atomic_write(target, script.encode(), mode=0o755)
    merge = folder / MERGE_HOOK_FILE
    if merge.exists() and not is_ours(merge):
        notes.append(
            f"left the existing {MERGE_HOOK_FILE} hook alone, so merges that need "
            "no conflict resolution are not checked"
        )
    elif not merge.exists() or merge.read_text(encoding="utf-8", errors="replace") != script:
        atomic_write(merge, script.encode(), mode=0o755)
        if verb == "already installed":
            verb = "updated"
    if verb == "already installed" and not notes:
        return Outcome(
            f"textcrm: the pre-commit hook is already installed at {target}; nothing changed\n",
            0,
        )
    extra = "".join(f"; {n}" for n in notes)
    return Outcome(
        f"textcrm: pre-commit hook {verb} at {target} (also run for merges as "
        f"{MERGE_HOOK_FILE}){extra}\n"
        f"Every commit now checks the CRM files it changes; bypass once with `{BYPASS}`.\n",
        0,
    )


def _foreign_hook_message(target: Path, existing: str) -> str:
    owner = _whose(existing)
    lines = [f"textcrm: a pre-commit hook from {owner} is already at {target}; left it alone."]
    if owner == "the pre-commit framework":
        lines += [
            "Add textcrm to your .pre-commit-config.yaml instead (see docs/hook.md):",
            "  - repo: local",
            "    hooks:",
            "      - id: textcrm-check",
            "        name: textcrm check",
            "        entry: textcrm hook run",
            "        language: system",
            "        pass_filenames: false",
            "        always_run: true",
        ]
    else:
        lines += [
            "To run both, add this line to that hook (before any final `exit`):",
            f"  {shlex.quote(sys.executable)} -m textcrm hook run || exit 1",
        ]
    lines.append(
        f"Or replace it with `textcrm hook install --force` (the old hook is kept as "
        f"{HOOK_FILE}{BACKUP_SUFFIX})."
    )
    return "\n".join(lines) + "\n"


def uninstall(cwd: Path) -> Outcome:
    """Remove our hooks (never someone else's); restore a pre-commit hook we replaced."""
    folder = git.hooks_dir(cwd)
    target = folder / HOOK_FILE
    merge = folder / MERGE_HOOK_FILE
    if is_ours(merge):
        merge.unlink()
    if not target.exists():
        return Outcome(f"textcrm: no pre-commit hook at {target}; nothing to remove\n", 0)
    if not is_ours(target):
        return Outcome(
            f"textcrm: the pre-commit hook at {target} is not textcrm's; left it alone\n", 1
        )
    target.unlink()
    backup = target.with_name(HOOK_FILE + BACKUP_SUFFIX)
    if backup.exists():
        os.replace(backup, target)
        return Outcome(
            f"textcrm: removed the pre-commit hook; restored the previous one from {backup}\n", 0
        )
    return Outcome(f"textcrm: removed the pre-commit hook at {target}\n", 0)


# --- the installed script's entry point ---


def main(argv: list[str] | None = None) -> int:
    """`python -m textcrm.hook`: what the installed script runs; `textcrm hook run` without
    click, whose import would be a fifth of the hook's time on a small commit."""
    from datetime import date

    from textcrm import console
    from textcrm.errors import TextcrmError

    args = sys.argv[1:] if argv is None else argv
    if args:
        print("usage: python -m textcrm.hook  (options: use `textcrm hook run`)", file=sys.stderr)
        return 2
    raw = os.environ.get("TEXTCRM_TODAY")
    try:
        today = date.fromisoformat(raw) if raw else date.today()
    except ValueError:
        print(
            f"textcrm: error: TEXTCRM_TODAY={raw} is not a date; write it as YYYY-MM-DD",
            file=sys.stderr,
        )
        return 2
    root = os.environ.get("TEXTCRM_ROOT")
    try:
        if root and not (Path(root) / layout.CONFIG_FILE).is_file():
            raise UsageError(f"TEXTCRM_ROOT={root}: no textcrm.yaml there")
        outcome = run_hook(
            Path.cwd(), today, Path(root) if root else None, console.use_color(sys.stdout)
        )
    except TextcrmError as exc:
        from textcrm.encode import terminal_text

        print(f"textcrm: error: {terminal_text(exc.message)}", file=sys.stderr)
        return exc.exit_code
    sys.stdout.write(outcome.text)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
