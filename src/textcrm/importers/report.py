"""What an import did or would do: actions, refused rows, defaulted and aliased values, the
user edits it kept, and the problems `textcrm check` will report; with its text rendering."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from textcrm.encode import terminal_text
from textcrm.plural import counted, plural

# Line ranges shown per note in the text report; `--format json` lists every row.
NOTE_RANGES = 10


@dataclass(frozen=True, slots=True)
class Action:
    """A file the import creates, updates or leaves unchanged."""

    action: str  # create | update | unchanged
    kind: str
    path: str
    source_id: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """A row that was not imported, and why."""

    file: str
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Note:
    """Something the importer did to a row that the user should know: `what` groups notes
    (`account defaulted to Unassigned`), `file` and `line` say where."""

    what: str
    file: str
    line: int


@dataclass
class Report:
    """The whole result of an import (or of a dry run)."""

    source: str
    dry_run: bool
    files: list[tuple[str, str, int]] = field(default_factory=list)  # name, section, rows
    actions: list[Action] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)

    def count(self, action: str, kind: str | None = None) -> int:
        """How many files get `action` (of `kind`, when given)."""
        return sum(1 for a in self.actions if a.action == action and kind in (None, a.kind))

    def to_json(self) -> dict[str, object]:
        """The report as JSON-ready data, every row listed."""
        return {
            "version": 1,
            "source": self.source,
            "dry_run": self.dry_run,
            "files": [{"file": f, "records": s, "rows": n} for f, s, n in self.files],
            "actions": [
                {"action": a.action, "kind": a.kind, "path": a.path, "source_id": a.source_id}
                for a in self.actions
            ],
            "refused": [
                {"file": r.file, "line": r.line, "message": r.message} for r in self.refused
            ],
            "notes": [{"what": n.what, "file": n.file, "line": n.line} for n in self.notes],
            "problems": dict(sorted(self.problems.items())),
        }


def line_ranges(lines: list[int], limit: int = 0) -> str:
    """`[3, 4, 5, 9]` -> `3-5, 9`; with `limit`, at most that many ranges and a count of
    the rows left out."""
    parts: list[str] = []
    ordered = sorted(set(lines))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    if limit and len(parts) > limit:
        shown = parts[:limit]
        covered = sum(
            len(range(int(a), int(b) + 1)) if "-" in p else 1
            for p in shown
            for a, _, b in [p.partition("-")]
        )
        return ", ".join(shown) + f", and {len(ordered) - covered} more"
    return ", ".join(parts)


def render_text(report: Report) -> str:
    """The report for a terminal: summary per kind, then every refused, defaulted, aliased
    and kept row (grouped, with compact line ranges), then the check outlook."""
    out: list[str] = []
    head = "dry run: nothing was written" if report.dry_run else "imported"
    files = ", ".join(f"{f} ({s}, {counted(n, 'row')})" for f, s, n in report.files)
    out.append(f"{head} from {report.source}: {files}")
    verb = (
        {"create": "would create", "update": "would update"}
        if report.dry_run
        else {"create": "created", "update": "updated"}
    )
    if report.dry_run:
        for a in report.actions:
            if a.action != "unchanged":
                out.append(f"  {a.action:<6} {a.path}")
    for kind in ("product", "account", "contact", "opportunity"):
        made, changed, same = (report.count(x, kind) for x in ("create", "update", "unchanged"))
        if made or changed or same:
            out.append(
                f"{plural(kind)}: "
                f"{made} {verb['create']}, {changed} {verb['update']}, {same} unchanged"
            )
    groups: dict[tuple[str, str], list[int]] = {}
    for n in report.notes:
        groups.setdefault((n.what, n.file), []).append(n.line)
    for (what, file), lines in groups.items():
        if not lines[0]:
            out.append(f"{file}: {what}")
            continue
        rows = "row" if len(lines) == 1 else "rows"
        where = f"{'line' if len(lines) == 1 else plural('line')} {line_ranges(lines, NOTE_RANGES)}"
        out.append(f"{file}: {what} on {len(lines)} {rows} ({where})")
    for r in report.refused:
        out.append(f"{r.file}:{r.line}: refused: {r.message}")
    if report.refused:
        out.append(
            f"{counted(len(report.refused), 'row')} refused;"
            " fix them in the export (or the mapping file) and import again"
        )
    if report.problems:
        listed = ", ".join(f"{code} {n}" for code, n in sorted(report.problems.items()))
        out.append(f"`textcrm check` will report what the data lacks: {listed}")
    # File names and values come from the imported files: control characters are shown.
    return "\n".join(terminal_text(line, lines=False) for line in out) + "\n"
