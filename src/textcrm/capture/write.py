"""Check every edit a capture makes, then write them all (or show them): none if one is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from textcrm.edit import Edit, carry_out, check_edit
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
    warnings = {e.path: check_edit(root, today, e, record=not dry_run) for e in changed}
    out: list[str] = []
    for e in changed:
        out.extend(carry_out(root, e, warnings[e.path], dry_run, commit, reported=out))
    out.extend(capture.lines)
    return "\n".join(out) + "\n" if out else ""
