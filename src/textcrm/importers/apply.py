"""Write an import safely: validate the planned files with the loader, write them to a
staging folder inside the CRM root, then move them in; on any failure the repository is left
as it was. Also reads and writes the import state (what each field was when last imported).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from textcrm import layout
from textcrm.diagnostics import format_line
from textcrm.errors import EnvironmentFailure, TextcrmError
from textcrm.fsutil import atomic_write

STATE_DIR = ".textcrm-import"
STATE_FILE = f"{STATE_DIR}/state.json"
STAGING_DIR = ".textcrm-import-staging"

# Problems that can only come from a wrong file, never from what the source data lacks: if
# one appears in a planned file, the importer (or its mapping) is at fault and nothing moves in.
IMPORTER_FAULTS = frozenset(
    {
        "yaml-syntax",
        "front-matter-missing",
        "unreadable-file",
        "invalid-value",
        "unknown-field",
        "unknown-stage",
        "unknown-account",
        "unknown-contact",
        "unknown-competitor",
        "unknown-product",
        "unknown-owner",
        "duplicate-sku",
        "duplicate-quote-number",
    }
)


class ImportFailed(TextcrmError):
    """The planned files did not pass validation, or could not be moved in; nothing changed."""


def not_applied(exc: OSError) -> EnvironmentFailure:
    """The system refused a write of the import (the repository was put back as it was)."""
    return EnvironmentFailure(
        "the import was not applied", exc, "nothing was changed in the repository"
    )


def read_state(root: Path) -> dict[str, Any]:
    """The import state, or an empty one when there is none; ImportFailed when the file
    cannot be used (it is repository content, so it is checked like any other)."""
    empty: dict[str, Any] = {"version": 1, "records": {}}
    try:
        path = layout.resolve_inside(root, STATE_FILE)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty
    except layout.OutsideRepository as exc:
        raise _bad_state(exc.reason) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad_state(f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _bad_state(f"is not valid JSON ({exc})") from None
    problem = state_problem(data)
    if problem:
        raise _bad_state(problem)
    return data if data.get("records") is not None else empty


def _bad_state(problem: str) -> ImportFailed:
    return ImportFailed(
        f"{STATE_FILE} cannot be used: {problem}. It records what earlier imports wrote; fix "
        "it, or delete it to start over (records already imported are still matched by their "
        "source_id). Nothing was changed."
    )


_STATE_KINDS = ("product", "account", "contact", "opportunity")


def state_problem(data: Any) -> str:
    """What is wrong with an import state read from disk ('' when nothing): the shape, and
    every record id, which becomes a file name and so must not be a path."""
    if not isinstance(data, dict):
        return "it is not a JSON object"
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        return "`version` is not a whole number"
    records = data.get("records", {})
    if not isinstance(records, dict):
        return "`records` is not an object"
    for kind, entries in records.items():
        if kind not in _STATE_KINDS:
            return f"`records` has an unknown kind `{kind}` (one of {', '.join(_STATE_KINDS)})"
        if not isinstance(entries, dict):
            return f"`records.{kind}` is not an object"
        for source_id, entry in entries.items():
            where = f"`records.{kind}.{source_id}`"
            if not isinstance(entry, dict):
                return f"{where} is not an object"
            record_id = entry.get("id")
            if not isinstance(record_id, str) or not record_id:
                return f"{where} has no `id`"
            if kind != "product" and not layout.is_record_id(record_id):
                return (
                    f"{where} has the id `{record_id}`, which is not a record file name "
                    "(one name without `/`, `\\`, `..` or a leading dot)"
                )
            if not isinstance(entry.get("fields", {}), dict):
                return f"{where}: `fields` is not an object"
    return ""


def check_destinations(root: Path, writes: dict[str, bytes]) -> None:
    """Refuse (ImportFailed) to write anything but record files inside the root: every
    destination, the staging folder and the state file are resolved with
    `layout.resolve_inside` (their folders once, each file only when it is a symlink)."""
    for rel in writes:
        if layout.classify(rel) is None or rel == layout.CONFIG_FILE:
            raise ImportFailed(
                f"the import was not applied: {rel} is not a record file; nothing was changed"
            )
    targets = {STAGING_DIR, STATE_DIR, *(rel.rpartition("/")[0] or "." for rel in writes)}
    targets.update(rel for rel in writes if os.path.islink(root / rel))
    for rel in sorted(targets):
        if rel == ".":
            continue
        try:
            layout.resolve_inside(root, rel)
        except layout.OutsideRepository as exc:
            raise ImportFailed(f"the import was not applied: {exc}; nothing was changed") from None


def validate(
    root: Path, today: date, writes: dict[str, bytes], use_cache: bool = False
) -> Counter[str]:
    """Load the repository with the planned files in place and check them; raise ImportFailed
    on a problem the importer caused, else count the problems the data really has.

    With `use_cache`, the parse cache (keyed by content, so never stale) keeps what was
    parsed: the next `textcrm check` or import does not parse the new files again."""
    from textcrm.loader import DiskReader, OverlayReader, load

    planned = {p for p in writes if layout.classify(p) is not None}
    if not planned:
        return Counter()
    reader = OverlayReader(DiskReader(root), writes)
    result = load(root, today, reader=reader, paths=planned, use_cache=use_cache)
    faults = [d for d in result.diagnostics if d.code in IMPORTER_FAULTS and d.path in planned]
    if faults:
        shown = "\n".join(f"  {format_line(d)}" for d in faults[:20])
        more = f"\n  ... and {len(faults) - 20} more" if len(faults) > 20 else ""
        raise ImportFailed(
            "the import was not applied: the files it would write do not pass `textcrm check`:"
            f"\n{shown}{more}\nNothing was changed. Check the mapping file; if it is right, "
            "this is a bug in textcrm: please report it with the lines above."
        )
    return Counter(d.code for d in result.diagnostics if d.path in planned)


def stage(root: Path, writes: dict[str, bytes]) -> None:
    """Write every planned file into the staging folder (removing an old one first)."""
    check_destinations(root, writes)
    staging = root / STAGING_DIR
    if staging.exists():
        shutil.rmtree(staging)
    folders = {str(Path(rel).parent) for rel in writes}
    for base in (staging / "new", staging / "old"):
        for folder in folders:
            (base / folder).mkdir(parents=True, exist_ok=True)
    for rel, data in writes.items():
        with open(staging / "new" / rel, "wb") as f:
            f.write(data)


def discard(root: Path) -> None:
    """Remove the staging folder."""
    shutil.rmtree(root / STAGING_DIR, ignore_errors=True)


def write(
    root: Path, writes: dict[str, bytes], state: dict[str, Any], staged: bool = False
) -> None:
    """Stage every file (unless `staged`), then move them in; on failure put back what was
    there before. The staging folder is removed in every case."""
    check_destinations(root, writes)
    staging = root / STAGING_DIR
    new_dir = staging / "new"
    old_dir = staging / "old"
    try:
        if not staged:
            stage(root, writes)
        for folder in {str(Path(rel).parent) for rel in writes}:
            (root / folder).mkdir(parents=True, exist_ok=True)
        moved: list[tuple[str, bool]] = []
        try:
            for rel in writes:
                final = root / rel
                had = os.path.lexists(final)
                if had:
                    os.replace(final, old_dir / rel)
                moved.append((rel, had))
                os.replace(new_dir / rel, final)
            # The state goes with the files: without it a re-import would take the
            # imported values for the user's edits, so a failure here undoes the moves too.
            state_path = root / STATE_FILE
            state_path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(state_path, state_text(state).encode("utf-8"))
        except BaseException:
            _roll_back(root, old_dir, moved)
            raise
    except OSError as exc:
        raise not_applied(exc) from None
    finally:
        discard(root)


def state_text(state: dict[str, Any]) -> str:
    """The state as JSON with one record per line: small diffs in git, and fast to write."""
    parts = ['{\n "records": {']
    kinds = sorted(state.get("records", {}).items())
    for k, (kind, records) in enumerate(kinds):
        parts.append(f"\n  {json.dumps(kind)}: {{")
        lines = [
            f"\n   {json.dumps(sid, ensure_ascii=False)}: "
            f"{json.dumps(rec, ensure_ascii=False, sort_keys=True)}"
            for sid, rec in sorted(records.items())
        ]
        parts.append(",".join(lines))
        parts.append("\n  }" + ("," if k + 1 < len(kinds) else ""))
    parts.append(f'\n }},\n "version": {int(state.get("version", 1))}\n}}\n')
    return "".join(parts)


def _roll_back(root: Path, old_dir: Path, moved: list[tuple[str, bool]]) -> None:
    for rel, had in reversed(moved):
        final = root / rel
        if had:
            if (old_dir / rel).exists():
                os.replace(old_dir / rel, final)
        else:
            final.unlink(missing_ok=True)
