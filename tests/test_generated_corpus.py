"""The benchmark generator's corpus: check finds exactly the planted problems, at their lines."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def test_check_finds_exactly_the_planted_problems(tmp_path, run):
    out = tmp_path / "corpus"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), str(out), "--opportunities", "400"],
        check=True,
        capture_output=True,
    )
    planted = json.loads((out / "planted.json").read_text())
    expected = {(p["path"], p["line"], p["rule"]) for p in planted["planted"]}
    assert len(expected) == 8
    result = run(["check", "--root", str(out), "--today", planted["today"], "--format", "json"])
    found = {(p["path"], p["line"], p["rule"]) for p in json.loads(result.output)["problems"]}
    assert found == expected


def test_generator_is_deterministic(tmp_path):
    for name in ("a", "b"):
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "generate.py"), str(tmp_path / name), "-n", "60"],
            check=True,
            capture_output=True,
        )
    diff = subprocess.run(
        ["diff", "-r", str(tmp_path / "a"), str(tmp_path / "b")], capture_output=True, text=True
    )
    assert diff.returncode == 0, diff.stdout[:500]
