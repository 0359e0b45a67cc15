"""Money in JSON, one encoder: the site's pipeline.json and every report write amounts alike.

An amount is a string with exactly the currency's minor units (`"39150.00"`), never a bare
Decimal's text (`"39150"`): every JSON writer goes through textcrm.jsonout.
"""

from __future__ import annotations

import json

TODAY = "2026-11-28"
# Two open USD deals whose amounts have no cents: 30,000 + 9,150 = 39,150, weighted at 10%.
FILES = {
    "opportunities/big.md": """\
---
title: Big deal
account: acme-corp
owner: alice
stage: prospecting
close_date: 2026-12-10
amount: 30000
activities:
  - {date: 2026-11-25, type: call, summary: Intro}
---
""",
    "opportunities/small.md": """\
---
title: Small deal
account: globex-inc
owner: bob
stage: prospecting
close_date: 2026-12-12
amount: 9150
activities:
  - {date: 2026-11-26, type: call, summary: Intro}
---
""",
}
PIPELINE = {"amounts": {"USD": "39150.00"}, "reporting_currency": "USD", "converted": "39150.00"}
WEIGHTED = {"amounts": {"USD": "3915.00"}, "reporting_currency": "USD", "converted": "3915.00"}


def _json(run, root, *args: str) -> tuple[dict, str]:
    result = run([*args, "--root", str(root), "--today", TODAY, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output), result.output


def test_pipeline_json_and_reports_write_the_same_money_strings(make_repo, run, tmp_path):
    root = make_repo(FILES)
    site = tmp_path / "site"
    built = run(["build", "--root", str(root), "--today", TODAY, "-o", str(site), "--no-cache"])
    assert built.exit_code == 0, built.output
    raw = (site / "pipeline.json").read_text(encoding="utf-8")
    figures = json.loads(raw)
    assert figures["key_figures"]["pipeline"] == PIPELINE
    assert figures["key_figures"]["weighted"] == WEIGHTED
    assert [(o["id"], o["expected"], o["weighted"]) for o in figures["opportunities"]] == [
        ("big", "30000.00", "3000.00"),
        ("small", "9150.00", "915.00"),
    ]
    texts = [raw]

    doc, text = _json(run, root, "pipeline")
    assert doc["open"]["expected"] == PIPELINE
    assert doc["open"]["weighted"] == WEIGHTED
    texts.append(text)

    doc, text = _json(run, root, "list")
    assert doc["totals"]["expected"] == PIPELINE
    assert [(o["id"], o["expected"], o["weighted"]) for o in doc["opportunities"]] == [
        ("big", "30000.00", "3000.00"),
        ("small", "9150.00", "915.00"),
    ]
    texts.append(text)

    doc, text = _json(run, root, "show", "small")
    deal = doc["opportunity"]
    assert (deal["amount"], deal["expected"], deal["weighted"]) == ("9150.00", "9150.00", "915.00")
    assert deal["line_items_total"] is None
    texts.append(text)

    doc, text = _json(run, root, "forecast")
    december = next(p for p in doc["periods"] if p["key"] == "2026-12")
    assert december["total"]["expected"] == PIPELINE
    texts.append(text)

    # Nowhere the bare Decimal's text.
    for text in texts:
        assert '"39150"' not in text and '"9150"' not in text and '"3915"' not in text
