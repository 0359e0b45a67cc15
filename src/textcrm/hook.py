"""The pre-commit hook: what is staged -> which files to check -> load from the index -> report.

Also installs and removes the hook script, and works out the files a pull request changed
(`textcrm check --changed-since`), with the same scope rules as the hook.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from textcrm import git, layout
from textcrm.baseline import Judged, earlier_summary, judge, kept_message
from textcrm.errors import EnvironmentFailure, UsageError
from textcrm.loader import Reader, load
from textcrm.model import Product
from textcrm.repository import LoadResult, Repository

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
    from textcrm.parse import parse_catalog

    if the_plan.empty:
        return None
    present = set(reader.files())
    skus: set[str] = set()
    old: tuple[Product, ...] = ()
    change = the_plan.catalog
    if change is not None:
        old_data = old_blob(change.old_sha) if change.status not in ("A", "C") else None
        old = parse_catalog(layout.CATALOG_FILE, old_data)[0] if old_data else ()
        new: tuple[Product, ...] = ()
        if layout.CATALOG_FILE in present:
            data = reader.read(layout.CATALOG_FILE)
            new = parse_catalog(layout.CATALOG_FILE, data)[0] if isinstance(data, bytes) else ()
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


def run_hook(
    cwd: Path,
    today: date,
    root: Path | None = None,
    color: bool = False,
    files: Sequence[str] = (),
) -> Outcome:
    """Check what is being committed (the index against HEAD) in every CRM of the repository.

    With `files` (the pre-commit framework passes names, relative to `cwd`) that are not all
    staged, as for `pre-commit run --all-files` or `--from-ref/--to-ref`: check those files
    in the working tree instead (`check_files`). Problems are printed with paths relative to
    the git top, where git runs hooks.
    """
    from textcrm import console

    top = git.toplevel(cwd)
    if top is None:
        raise UsageError(f"{cwd} is not inside a git repository")
    changes = git.staged_changes(top)
    if files:
        named = {_top_relative(top, cwd, f) for f in files}
        staged = {c.new_path for c in changes if c.status != "D"}
        if not named <= staged:
            return check_files(top, today, named, root, color)
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
        judged = judge_commit(top, crm, today, result, the_plan)
        for d in judged.blocking:
            lines.append(console.format_text(d, prefix + d.path, color))
        for d in judged.kept:
            note = dataclasses.replace(d, severity="note", message=kept_message(d))
            lines.append(console.format_text(note, prefix + d.path, color))
        lines.append("textcrm: " + console.summary(judged.blocking, result.checked))
        if judged.earlier:
            lines.append("textcrm: note: " + earlier_summary(judged.earlier))
        errors += judged.errors
    if errors:
        lines += [
            "textcrm: commit refused: fix the errors above (each message says how), "
            "`git add` the files and commit again.",
            f"In an emergency, bypass the check with `{BYPASS}`.",
        ]
    return Outcome("\n".join(lines) + ("\n" if lines else ""), 1 if errors else 0)


def judge_commit(top: Path, crm: Path, today: date, result: LoadResult, the_plan: Plan) -> Judged:
    """Judge the staged problems against HEAD (docs/hook.md): the records with problems are
    loaded once more as committed, through the loader, only when there are problems."""
    from textcrm.errors import ConfigError

    changed = set(the_plan.changed)
    if the_plan.everything:
        changed.add(layout.CONFIG_FILE)
    if the_plan.catalog is not None:
        changed.add(layout.CATALOG_FILE)
    old_path = dict(the_plan.renamed)
    if not result.diagnostics:
        return judge(result, None, changed, old_path, today)
    before: LoadResult | None = None
    head = git.resolve(top, "HEAD")
    if head is not None:
        paths = {old_path.get(d.path, d.path) for d in result.diagnostics}
        try:
            reader = git.GitReader(crm, commit=head, top=top)
            before = load(crm, today, reader=reader, paths=paths)
        except ConfigError:  # textcrm.yaml was unusable at HEAD: every problem is new
            before = None
    return judge(result, before, changed, old_path, today)


def _top_relative(top: Path, cwd: Path, name: str) -> str:
    full = Path(os.path.abspath(cwd / name))
    try:
        return full.relative_to(top.resolve()).as_posix()
    except ValueError:
        try:
            return full.relative_to(top).as_posix()
        except ValueError:
            raise UsageError(f"{name} is outside the git repository at {top}") from None


def check_files(
    top: Path, today: date, named: set[str], root: Path | None = None, color: bool = False
) -> Outcome:
    """Check the named files (relative to the git top) as they are in the working tree, every
    rule, with references resolved against the whole working tree; textcrm.yaml among them
    checks everything. What `pre-commit run --all-files` and `--from-ref/--to-ref` run."""
    from textcrm import console
    from textcrm.loader import DiskReader

    lines: list[str] = []
    errors = 0
    for crm in crm_roots(top, root):
        prefix = git.crm_prefix(top, crm)
        scope = {
            rel
            for name in named
            if name.startswith(prefix)
            and layout.classify(rel := name[len(prefix) :]) is not None
            and (crm / rel).is_file()
        }
        if not scope:
            continue
        everything = layout.CONFIG_FILE in scope
        result = load(crm, today, reader=DiskReader(crm), paths=None if everything else scope)
        for d in result.diagnostics:
            lines.append(console.format_text(d, prefix + d.path, color))
        lines.append("textcrm: " + console.summary(result.diagnostics, result.checked))
        errors += result.errors
    if errors:
        lines.append("textcrm: fix the errors above (each message says how).")
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
            _system(
                f"cannot move the previous hook aside to {backup}",
                lambda: os.replace(target, backup),
                "it is as it was",
            )
            notes.append(f"the previous hook is kept as {backup}")
    from textcrm.fsutil import atomic_write

    def write_hook() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(target, script.encode(), mode=0o755)

    if verb != "already installed":
        try:
            _system(f"cannot write {target}", write_hook, "the hooks there are as they were")
        except EnvironmentFailure:
            if notes:  # put back the hook we moved aside for ours
                with contextlib.suppress(OSError):
                    os.replace(target.with_name(HOOK_FILE + BACKUP_SUFFIX), target)
            raise
    merge = folder / MERGE_HOOK_FILE
    if merge.exists() and not is_ours(merge):
        notes.append(
            f"left the existing {MERGE_HOOK_FILE} hook alone, so merges that need "
            "no conflict resolution are not checked"
        )
    elif not merge.exists() or merge.read_text(encoding="utf-8", errors="replace") != script:
        _system(
            f"cannot write {merge}",
            lambda: atomic_write(merge, script.encode(), mode=0o755),
            f"the {HOOK_FILE} hook is {verb}, merges are not checked; run "
            "`textcrm hook install` again once fixed",
        )
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


def _system(doing: str, action: Callable[[], None], untouched: str) -> None:
    """Run a file-system action; a refusal becomes EnvironmentFailure naming what stayed."""
    try:
        action()
    except OSError as exc:
        raise EnvironmentFailure(doing, exc, untouched) from None


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
            "        always_run: true",
            "        require_serial: true",
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
    if argv is None:
        from textcrm.entry import tune_gc

        tune_gc(args)
    if any(a.startswith("-") for a in args):
        print(
            "usage: python -m textcrm.hook [FILE...]  (options: use `textcrm hook run`)",
            file=sys.stderr,
        )
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
            Path.cwd(), today, Path(root) if root else None, console.use_color(sys.stdout), args
        )
    except TextcrmError as exc:
        from textcrm.encode import terminal_text

        print(f"textcrm: error: {terminal_text(exc.message)}", file=sys.stderr)
        return exc.exit_code
    sys.stdout.write(outcome.text)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
