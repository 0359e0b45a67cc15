"""An edit (a file's bytes before and after): re-checked, then written atomically or diffed.

Before anything is written the edited file is read back and re-checked against the repository
through the loader; an edit that adds an error is refused. `carry_out` writes it (or shows
its diff) and commits it when asked.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from textcrm import layout
from textcrm.diagnostics import Diagnostic, format_line
from textcrm.edit.refusals import CommitRefused, ConcurrentChange, EditRefused
from textcrm.errors import EnvironmentFailure, GitError
from textcrm.loader import DiskReader, OverlayReader, load, read_record


@dataclass(frozen=True)
class Edit:
    """A change to one file: its bytes before (None for a new file) and after."""

    path: str
    before: bytes | None
    after: bytes
    summary: str
    notes: tuple[str, ...] = ()
    expect: Callable[[Any], str | None] | None = field(default=None, compare=False)

    def diff(self) -> str:
        """The unified diff of the change, as `git diff` would show it."""
        old = (self.before or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = self.after.decode("utf-8", "replace").splitlines(keepends=True)
        lines = difflib.unified_diff(
            old, new, "/dev/null" if self.before is None else f"a/{self.path}", f"b/{self.path}"
        )
        return "".join(
            ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n" for ln in lines
        )


def _key(d: Diagnostic) -> tuple[str, str]:
    return (d.code, d.message)


def _read_back(edit: Edit) -> None:
    """The written values must parse back to what was asked for."""
    kind, record_id = layout.classify(edit.path) or ("", "")
    record, _ = read_record(kind, edit.path, record_id, edit.after)
    problem = (
        "it cannot be read back"
        if record is None
        else (edit.expect(record) if edit.expect else None)
    )
    if not problem:
        return
    if edit.before is None:  # a new file comes from a template the user may have changed
        raise EditRefused(
            f"the new file {edit.path} is not right: {problem}; check templates/new/{kind}.md"
        )
    raise AssertionError(f"{edit.path}: {problem}")  # pragma: no cover - a bug in the writer


def check_edit(root: Path, today: date, edit: Edit, record: bool = True) -> list[Diagnostic]:
    """Re-parse and re-check the edited file; refuse an edit that adds errors.

    Returns the warnings the edit adds. Problems the file already had do not block an edit.
    """
    before: list[Diagnostic] = []
    if edit.before is not None:
        before = load(
            root,
            today,
            OverlayReader(DiskReader(root), {edit.path: edit.before}),
            paths={edit.path},
            use_cache=False,
        ).diagnostics
    checked = load(
        root,
        today,
        OverlayReader(DiskReader(root), {edit.path: edit.after}),
        paths={edit.path},
        use_cache=False,
    )
    after = checked.diagnostics
    added = Counter(_key(d) for d in after) - Counter(_key(d) for d in before)
    new = []
    for d in after:
        if added[_key(d)] > 0:
            added[_key(d)] -= 1
            new.append(d)
    errors = [d for d in new if d.severity == "error"]
    if errors:
        listing = "\n".join(f"  {format_line(d)}" for d in errors)
        these = "this error" if len(errors) == 1 else "these errors"
        if edit.before is None:
            raise EditRefused(
                f"refused: the new file {edit.path} would have {these}; nothing written:\n{listing}"
            )
        raise EditRefused(
            f"refused: the edit would leave {edit.path} with {these}; nothing changed:\n{listing}"
        )
    _read_back(edit)
    if record:  # not for a dry run, which writes nothing
        from textcrm.hook.fast import record_edit

        # The verdict on the new bytes, for the pre-commit hook's fast route (docs/hook.md).
        record_edit(root, today, edit.path, edit.after, checked)
    return [d for d in new if d.severity != "error"]


def save(root: Path, edit: Edit) -> None:
    """Write the edit atomically; refuse when the file changed on disk since it was read."""
    from textcrm.fsutil import atomic_write

    try:
        layout.resolve_inside(root, edit.path)
    except layout.OutsideRepository as exc:
        raise EditRefused(f"refused: {exc}; nothing written") from None
    full = root / edit.path

    def unchanged() -> None:
        try:
            current: bytes | None = full.read_bytes()
        except FileNotFoundError:
            current = None
        if current != edit.before:
            what = (
                "was created"
                if edit.before is None
                else ("was deleted" if current is None else "changed on disk")
            )
            raise ConcurrentChange(
                f"{edit.path} {what} since textcrm read it (another editor saved it?); "
                "nothing written. Run the command again."
            )

    unchanged()
    try:
        full.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(full, edit.after, before_replace=unchanged)
    except OSError as exc:
        left = (
            f"{edit.path} was not created" if edit.before is None else f"{edit.path} is unchanged"
        )
        raise EnvironmentFailure(f"cannot write {edit.path}", exc, left) from None


def apply(root: Path, today: date, edit: Edit, dry_run: bool = False, commit: bool = False) -> str:
    """Check the edit, then print its diff (dry run) or write it (and commit it); the report."""
    if edit.before == edit.after:
        return f"{edit.path}: already so; nothing changed\n"
    warnings = check_edit(root, today, edit, record=not dry_run)
    return "\n".join(carry_out(root, edit, warnings, dry_run, commit)) + "\n"


def carry_out(
    root: Path,
    edit: Edit,
    warnings: Iterable[Diagnostic],
    dry_run: bool,
    commit: bool,
    reported: Iterable[str] = (),
) -> list[str]:
    """Write one checked edit, or show its diff (dry run), and commit it when asked; the lines
    that report it. `reported` is what was already reported before it (earlier edits of the
    same command), repeated when the commit is refused."""
    from textcrm.console import format_text

    lines = []
    if dry_run:
        lines.append(edit.diff().rstrip("\n"))
        lines.append(f"dry run: {edit.summary}; nothing written")
    else:
        save(root, edit)
        lines.append(f"{edit.path}: {edit.summary}")
    lines.extend(f"  note: {n}" for n in edit.notes)
    lines.extend(f"  {format_text(d, d.path)}" for d in warnings)
    if commit and not dry_run:
        from textcrm.errors import CommitFailed
        from textcrm.git import commit_file

        try:
            sha = commit_file(root, edit.path, edit.summary)
        except CommitFailed as exc:
            # What was written, then the hook's problems exactly as it printed them.
            shown = [*reported, *lines]
            raise CommitRefused(
                "\n".join(shown) + "\n" + exc.output.rstrip("\n") + "\n", exc.message
            ) from None
        except GitError as exc:
            raise GitError(
                f"{edit.path} was written ({edit.summary}) but not committed: {exc.message}; "
                "commit it yourself"
            ) from None
        lines.append(f"committed {sha[:10]}: {edit.summary}")
    return lines
