"""A site rendered by forked workers (with the data files made alongside) equals one rendered
in one process, byte for byte, and so does a serve round on top of it."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from conftest import ROOT
from textcrm.site import PARALLEL_THRESHOLD, build
from textcrm.site.serve import Session

TODAY = date(2026, 11, 28)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_workers_build_the_same_site_as_one_process(tmp_path: Path) -> None:
    root = tmp_path / "crm"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), str(root), "-n", "360"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    parallel = build(root, TODAY, tmp_path / "parallel", use_cache=False, jobs=2)
    serial = build(root, TODAY, tmp_path / "serial", use_cache=False, jobs=1)
    assert parallel.pages == serial.pages > PARALLEL_THRESHOLD
    assert parallel.errors == serial.errors > 0  # the planted problems
    got, expected = tree(tmp_path / "parallel"), tree(tmp_path / "serial")
    assert sorted(got) == sorted(expected)
    assert [rel for rel in expected if got[rel] != expected[rel]] == []
    assert any(rel.startswith("calendar/owner-") for rel in got)

    # A serve round after one changed deal: the same files as a cold build of the new state.
    session = Session(root, tmp_path / "parallel", TODAY, use_cache=False, jobs=2)
    assert session.full().error == ""
    target = sorted((root / "opportunities").glob("*.md"))[7]
    target.write_text(target.read_text().replace("\n---\n", "\n---\nEdited.\n\n", 1))
    done = session.apply({target.relative_to(root).as_posix()})
    assert done.incremental and done.error == ""
    build(root, TODAY, tmp_path / "fresh", use_cache=False, jobs=2)
    got, expected = tree(tmp_path / "parallel"), tree(tmp_path / "fresh")
    assert sorted(got) == sorted(expected)
    assert [rel for rel in expected if got[rel] != expected[rel]] == []
