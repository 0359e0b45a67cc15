"""One deal rule, one answer: the site's pages, check, attention and pipeline.json agree.

A quote whose valid_until is behind today is "expired" only on an open deal (deals.quote_expired);
a deal won before its quote ran out is done with it. Every output asks the same function, so a
closed deal shows no Expired badge where check and attention raise nothing.
"""

from __future__ import annotations

import ast
import json

from conftest import ROOT
from htmltree import Node, parse

TODAY = "2026-11-28"
FILES = {
    # Open, its quote ran out on Nov 20: expired.
    "opportunities/open-deal.md": """\
---
title: Open deal
account: acme-corp
owner: alice
stage: negotiation
close_date: 2026-12-20
amount: 20000
activities:
  - {date: 2026-11-26, type: email, summary: Terms}
quote: {number: Q-1, date: 2026-11-01, valid_until: 2026-11-20}
---
""",
    # Won on Nov 10 with the same kind of quote: no longer anybody's to-do.
    "opportunities/won-deal.md": """\
---
title: Won deal
account: globex-inc
owner: bob
stage: closed-won
close_date: 2026-11-10
amount: 7000
quote: {number: Q-2, date: 2026-10-20, valid_until: 2026-11-20}
---
""",
}


def _page(site, rel: str) -> Node:
    return parse((site / rel).read_text(encoding="utf-8"))


def _badges(node: Node) -> list[str]:
    return [b.text for b in node.find_all("span", class_="badge")]


def test_expired_quote_badge_only_on_the_open_deal(make_repo, run, tmp_path):
    root = make_repo(FILES)
    site = tmp_path / "site"
    result = run(["build", "--root", str(root), "--today", TODAY, "-o", str(site), "--no-cache"])
    assert result.exit_code == 0, result.output

    open_page = _page(site, "opportunities/open-deal.html")
    won_page = _page(site, "opportunities/won-deal.html")
    # Both pages show their quote ("Quote Q-1 of <date>, valid until <date>"); only the open
    # deal's carries the Expired badge.
    open_quote = open_page.find("section", aria_labelledby="next-h")
    won_quote = won_page.find("section", aria_labelledby="next-h")
    assert "Quote Q-1 of Nov 1, 2026, valid until Nov 20, 2026" in open_quote.text
    assert "Quote Q-2 of Oct 20, 2026, valid until Nov 20, 2026" in won_quote.text
    assert _badges(open_quote) == ["Expired"]
    assert _badges(won_quote) == []
    # The heading's badges come from the same flags as the attention list.
    assert _badges(open_page.find("h1")) == ["Quote expired"]
    assert _badges(won_page.find("h1")) == []
    assert [li.text for li in open_page.find("section", class_="notice").find_all("li")] == [
        "Quote Q-1 expired on 2026-11-20"
    ]
    assert won_page.find_all("section", class_="notice") == []

    # The opportunities list: one row per deal, its badges.
    rows = _page(site, "opportunities.html").by_id("opportunities").find("tbody")
    by_title = {tr.find("th").find("a").text: _badges(tr) for tr in rows.find_all("tr")}
    assert by_title == {"Open deal": ["Quote expired"], "Won deal": []}

    # pipeline.json's flags say the same.
    figures = json.loads((site / "pipeline.json").read_text(encoding="utf-8"))
    flags = {o["id"]: o["flags"] for o in figures["opportunities"]}
    assert flags == {"open-deal": ["quote-expired"], "won-deal": []}
    assert [(a["kind"], a["opportunity"]) for a in figures["attention"]] == [
        ("quote-expired", "open-deal")
    ]


def test_check_and_attention_agree_with_the_pages(make_repo, run):
    root = make_repo(FILES)
    checked = run(["check", "--root", str(root), "--today", TODAY, "--format", "json"])
    problems = json.loads(checked.output)["problems"]
    assert [(p["path"], p["rule"]) for p in problems if p["rule"] == "quote-expired"] == [
        ("opportunities/open-deal.md", "quote-expired")
    ]
    attention = run(["attention", "--root", str(root), "--today", TODAY, "--format", "json"])
    items = json.loads(attention.output)["items"]
    assert [(a["kind"], a["opportunity"]) for a in items] == [("quote-expired", "open-deal")]
    shown = run(["show", "won-deal", "--root", str(root), "--today", TODAY, "--format", "json"])
    assert json.loads(shown.output)["opportunity"]["attention"] == []


def test_outputs_compare_no_date_with_today_themselves():
    # "Past", "overdue" and "expired" are decided in deals.py; the site's views and the
    # terminal reports ask it, so none of them compares a date with today on its own.
    src = ROOT / "src" / "textcrm"
    found = []
    outputs = sorted([*(src / "site" / "views").rglob("*.py"), *(src / "reports").rglob("*.py")])
    assert len(outputs) > 10  # the scan must find the modules it guards
    for path in outputs:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and "today" in ast.unparse(node):
                found.append(f"{path.relative_to(src)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []
