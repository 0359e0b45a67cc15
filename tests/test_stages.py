"""`textcrm stages`: the documented sales process as a table with prose, and as JSON."""

from __future__ import annotations

import json

from conftest import EXAMPLE


def test_table_and_descriptions(run, golden):
    result = run(["stages", "--root", str(EXAMPLE)], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    golden("stages.txt", result.output)


def test_json(run):
    result = run(["stages", "--root", str(EXAMPLE), "--format", "json"])
    doc = json.loads(result.output)
    assert [s["key"] for s in doc["stages"]] == [
        "prospecting",
        "qualification",
        "proposal",
        "negotiation",
        "closed-won",
        "closed-lost",
    ]
    negotiation = doc["stages"][3]
    assert negotiation["probability"] == "80"
    assert negotiation["forecast"] == "commit"
    assert negotiation["requires"] == ["quote"]
    assert negotiation["stale_after_days"] == 14
    assert doc["stages"][4]["stale_after_days"] is None
    assert doc["stages"][5]["outcome"] == "lost"


def test_empty_repository_summary(make_repo, run):
    root = make_repo(defaults=False)
    result = run(["check", "--today", "2026-11-28"], cwd=root)
    assert result.exit_code == 0
    assert result.output == "no problems (no records yet)\n"
