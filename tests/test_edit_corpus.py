"""Edits on a generated corpus (every mix of flow and block styles the generator writes)."""

from __future__ import annotations

import difflib
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import ROOT

DAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "crm"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            str(out),
            "--opportunities",
            "20",
            "--no-planted",
        ],
        check=True,
        capture_output=True,
    )
    return out


def changed(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of the diff."""
    diff = list(
        difflib.unified_diff(
            before.decode().splitlines(), after.decode().splitlines(), n=0, lineterm=""
        )
    )[2:]
    removed = [ln[1:] for ln in diff if ln.startswith("-")]
    added = [ln[1:] for ln in diff if ln.startswith("+")]
    return removed, added


def test_log_and_set_on_every_generated_opportunity(corpus: Path) -> None:
    from textcrm import edit

    ids = sorted(p.stem for p in (corpus / "opportunities").glob("*.md"))
    assert len(ids) == 20
    for opp_id in ids:
        target = edit.open_opportunity(corpus, DAY, opp_id)
        change = edit.log_activity(target, "note", "Checked in: all good, 100%", DAY)
        assert edit.check_edit(corpus, DAY, change) == []
        removed, added = changed(change.before or b"", change.after)
        if removed:  # only a one-line `[...]` list is rewritten, keeping everything else
            assert len(removed) == 1 and len(added) == 1 and "[" in removed[0]
            assert added[0].startswith(removed[0].rstrip()[:-1].rstrip())
        else:
            assert [a.strip() for a in added] in (
                ['- {date: 2026-11-28, type: note, summary: "Checked in: all good, 100%"}'],
                ["- date: 2026-11-28", "type: note", 'summary: "Checked in: all good, 100%"'],
                [
                    "activities:",
                    '- {date: 2026-11-28, type: note, summary: "Checked in: all good, 100%"}',
                ],
            ), added
        edit.save(corpus, change)

        target = edit.open_opportunity(corpus, DAY, opp_id)
        change = edit.set_value(target, "close_date", "2027-06-30")
        assert edit.check_edit(corpus, DAY, change) == []
        removed, added = changed(change.before or b"", change.after)
        assert len(removed) == len(added) == 1
        assert removed[0].startswith("close_date:")
        assert added[0].startswith("close_date: 2027-06-30")
        edit.save(corpus, change)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "textcrm",
            "check",
            "--root",
            str(corpus),
            "--today",
            "2026-11-28",
            "--no-cache",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
