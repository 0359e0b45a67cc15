"""Judging a commit: what is staged -> its scope -> load from the index -> judged against HEAD.

Prints the problems the commit brings and the refusal text; `pre-commit run --all-files`
(names that are not all staged) checks those files in the working tree instead.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from textcrm import git, layout
from textcrm.errors import UsageError
from textcrm.hook.scope import (
    Plan,
    blob_reader,
    check_changes,
    narrow_listing,
    needs_every_file,
    plan,
)

if TYPE_CHECKING:
    from textcrm.hook.baseline import Judged
    from textcrm.repository import LoadResult

BYPASS = "git commit --no-verify"


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
        return Outcome("", 0)  # before importing the loader: most commits of code end here
    from textcrm import console

    lines: list[str] = []
    errors = 0
    with git.BlobBatch(top) as blobs:  # one `git cat-file` for the index, HEAD and old blobs
        for crm in crm_roots(top, root):
            prefix = git.crm_prefix(top, crm)
            the_plan = plan(changes, prefix)
            if the_plan.empty:
                continue
            only = None if needs_every_file(the_plan) else narrow_listing(the_plan)
            if only is not None:
                # Blobs already judged clean pass without the parser (hook/fast.py).
                from textcrm.hook import fast

                passed = fast.answer(top, crm, prefix, the_plan, changes, today)
                if passed is not None:
                    if passed.checked is not None:
                        lines.append("textcrm: " + console.summary([], passed.checked))
                    continue
            reader = git.GitReader(crm, top=top, only=only, blobs=blobs)
            result = check_changes(crm, today, reader, the_plan, blob_reader(top, blobs))
            if result is None:
                continue
            if only is not None:
                fast.remember(crm, the_plan, reader.entries, result, today)
            from textcrm.hook.baseline import earlier_summary, kept_message

            judged = judge_commit(top, crm, today, result, the_plan, blobs)
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


def judge_commit(
    top: Path,
    crm: Path,
    today: date,
    result: LoadResult,
    the_plan: Plan,
    blobs: git.BlobBatch | None = None,
) -> Judged:
    """Judge the staged problems against HEAD (docs/hook.md): the records with problems are
    loaded once more as committed, through the loader, only when there are problems.

    HEAD is listed as narrowly as the index was (the same folders, the staged paths and the
    records with problems), so both sides are checked against the same set of files; its
    blobs are read through `blobs` when given."""
    from textcrm.errors import ConfigError
    from textcrm.hook.baseline import judge
    from textcrm.loader import load

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
            only = None
            if not needs_every_file(the_plan):
                only = list(dict.fromkeys([*narrow_listing(the_plan), *sorted(paths)]))
            reader = git.GitReader(crm, commit=head, top=top, only=only, blobs=blobs)
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
    from textcrm.loader import DiskReader, load

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
