"""Import CSV exports from other CRMs: one module per source, a shared engine.

`import_csv` reads the files, builds the mapping (the source's built-in one with the user's
mapping file laid over it), plans every file, validates the plan with the loader and, unless
it is a dry run, writes it through a staging folder.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

from textcrm.errors import UsageError
from textcrm.importers.report import Report

SOURCES = ("salesforce", "hubspot", "pipedrive", "generic")


def import_csv(
    root: Path,
    paths: list[Path],
    source: str,
    mapping_path: Path | None,
    today: date,
    dry_run: bool = False,
    overwrite: bool = False,
) -> Report:
    """Import the CSV files at `paths` from `source` into the CRM repository at `root`."""
    from importlib import import_module

    from textcrm.importers import apply, engine, mapping, rows
    from textcrm.importers.csvfile import read_csv
    from textcrm.loader import load

    if source not in SOURCES:
        raise UsageError(f"--from {source}: unknown source; one of {', '.join(SOURCES)}")
    builtin = import_module(f"textcrm.importers.{source}").MAPPING
    user = mapping.load_mapping_file(mapping_path) if mapping_path else {}
    if source == "generic" and not user:
        raise UsageError(
            "--from generic needs --mapping FILE: a mapping file that says which "
            "column feeds which field (see docs/import.md)"
        )
    spec = mapping.build(source, builtin, user, str(mapping_path or f"--from {source}"))
    files = [read_csv(p, spec.encoding) for p in paths]
    sections = rows.classify(files, spec)
    loaded = load(root, today, use_cache=not dry_run, run_checks=False)
    state = apply.read_state(root)
    planned = engine.plan(
        root, loaded.repository.config, loaded.repository, state, sections, spec, overwrite, dry_run
    )
    if dry_run or not planned.writes:
        planned.report.problems = apply.validate(root, today, planned.writes)
        if not dry_run and planned.state != state:
            apply.write(root, {}, planned.state)
        return planned.report
    # Writing the staging folder is I/O and validating is parsing: do both at once.
    with ThreadPoolExecutor(max_workers=1) as pool:
        staging = pool.submit(apply.stage, root, planned.writes)
        try:
            planned.report.problems = apply.validate(root, today, planned.writes, use_cache=True)
        except BaseException:
            staging.cancel()
            _wait_quietly(staging)
            apply.discard(root)
            raise
        try:
            staging.result()
        except OSError as exc:
            apply.discard(root)
            raise apply.not_applied(exc) from None
    apply.write(root, planned.writes, planned.state, staged=True)
    return planned.report


def _wait_quietly(future: Future[None]) -> None:
    # The import already failed for a better-explained reason.
    with contextlib.suppress(Exception):
        future.result()
