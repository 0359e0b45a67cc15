"""Check every edit a capture makes, then write them all (or show them): none if one is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from textcrm.edit import Edit, check_edit, save
from textcrm.errors import UsageError


def read_capped(stream: BinaryIO, label: str, cap: int, hint: str) -> bytes:
    """At most `cap` bytes of `stream`; a bigger input is refused without reading it all."""
    data = stream.read(cap + 1)
    if len(data) > cap:
        raise UsageError(
            f"{label} is larger than {cap // (1024 * 1024)} MB, the most textcrm reads; "
            f"{hint}; nothing changed"
        )
    return data


@dataclass
class Capture:
    """What a capture decided: the edits to make and lines to tell the user."""

    edits: list[Edit] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def apply_all(
    root: Path, today: date, capture: Capture, dry_run: bool = False, commit: bool = False
) -> str:
    """Check every edit first (a refusal leaves every file as it was), then write them."""
    changed = [e for e in capture.edits if e.before != e.after]
    warnings = {e.path: check_edit(root, today, e) for e in changed}
    out: list[str] = []
    for e in changed:
        if dry_run:
            out.append(e.diff().rstrip("\n"))
            out.append(f"dry run: {e.summary}; nothing written")
        else:
            save(root, e)
            out.append(f"{e.path}: {e.summary}")
        out.extend(f"  note: {n}" for n in e.notes)
        out.extend(
            f"  {d.path}:{d.line}:{d.column}: warning: {d.message} [{d.code}]"
            for d in warnings[e.path]
        )
        if commit and not dry_run:
            from textcrm.git import commit_file

            sha = commit_file(root, e.path, e.summary)
            out.append(f"committed {sha[:10]}: {e.summary}")
    out.extend(capture.lines)
    return "\n".join(out) + "\n" if out else ""
