"""`textcrm build`: exact figures on the generated pages, safety, determinism, overrides."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import pytest

from htmltree import Node, parse

TODAY = "2026-11-28"

# Hand-computed answers for this repository, as of 2026-11-28 (Q4 2026):
#   open:  a  prospecting    10,000.00   10%  ->  1,000.00  Dec 2026  pipeline
#          g  prospecting     1,000.00   10%  ->    100.00  Mar 2027  pipeline
#          d  qualification   5,000.00   25%  ->  1,250.00  Nov 2026  pipeline (past close, stale)
#          b  proposal        3,150.00   60%  ->  1,890.00  Jan 2027  best case (2x1100 + 950)
#          c  negotiation    20,000.00   80%  -> 16,000.00  Dec 2026  commit (quote expired)
#   open total 39,150.00, weighted 20,240.00; won e 7,000.00 (Nov 5, 35-day cycle);
#   lost f 3,000.00 (Oct 20); win rate 50%.
OPPORTUNITIES = {
    "opportunities/a.md": """\
---
title: Alpha scanners
account: acme-corp
owner: alice
stage: prospecting
close_date: 2026-12-10
amount: 10000
activities:
  - {date: 2026-11-25, type: call, summary: Intro call}
---
Alpha notes.
""",
    "opportunities/b.md": """\
---
title: Bravo rollout
account: acme-corp
owner: bob
stage: proposal
close_date: 2027-01-15
contacts:
  - {contact: jane-doe, role: Economic Buyer, primary: true}
line_items:
  - {sku: SCN-200, quantity: 2}
  - {sku: SVC-DAY, quantity: 1}
activities:
  - {date: 2026-11-27, type: meeting, contact: jane-doe, summary: Scoping}
---
""",
    "opportunities/c.md": """\
---
title: Charlie fleet
account: globex-inc
owner: alice
stage: negotiation
close_date: 2026-12-20
line_items:
  - {sku: SCN-200, quantity: 10, unit_price: 2000}
competitors:
  - {competitor: initech, status: active}
activities:
  - {date: 2026-11-26, type: email, summary: Terms}
quote: {number: Q-1, date: 2026-11-01, valid_until: 2026-11-20}
---
""",
    "opportunities/d.md": """\
---
title: Delta pilot
account: globex-inc
owner: bob
stage: qualification
close_date: 2026-11-20
amount: 5000
contacts:
  - {contact: john-roe, role: Champion}
activities:
  - {date: 2026-11-10, type: call, summary: Last touch}
---
""",
    "opportunities/e.md": """\
---
title: Echo won deal
account: acme-corp
owner: alice
stage: closed-won
created: 2026-10-01
close_date: 2026-11-05
amount: 7000
competitors:
  - {competitor: initech, status: lost-to-us}
---
""",
    "opportunities/f.md": """\
---
title: Foxtrot lost deal
account: globex-inc
owner: bob
stage: closed-lost
close_date: 2026-10-20
amount: 3000
lost_reason: price
competitors:
  - {competitor: initech, status: won}
---
""",
    "opportunities/g.md": """\
---
title: Golf follow-up
account: acme-corp
owner: alice
stage: prospecting
close_date: 2027-03-01
amount: 1000
follow_up: 2026-12-02
next_step: Send the brochure
activities:
  - {date: 2026-11-27, type: call, summary: Asked for a brochure}
---
""",
}


@pytest.fixture
def crm(make_repo):
    return make_repo(OPPORTUNITIES)


def build(run, root: Path, *extra: str, out: Path | None = None):
    args = ["build", "--root", str(root), "--today", TODAY, "--no-cache"]
    if out is not None:
        args += ["-o", str(out)]
    return run([*args, *extra])


def page(site: Path, rel: str) -> Node:
    return parse((site / rel).read_text(encoding="utf-8"))


@pytest.fixture
def site(run, crm) -> Path:
    result = build(run, crm)
    assert result.exit_code == 0, result.output
    return crm / "_site"


def test_dashboard_key_figures(site):
    doc = page(site, "index.html")
    figures = {
        li.find("span", class_="figure-label").text: li.find("span", class_="figure-value").text
        for li in doc.find_all("li", class_="figure")
    }
    assert figures == {
        "Open opportunities": "5",
        "Pipeline": "$39,150.00",
        "Weighted pipeline": "$20,240.00",
        "Won in Q4 2026": "$7,000.00",
        "Lost in Q4 2026": "$3,000.00",
        "Win rate": "50%",
        "Average deal size": "$7,000.00",
        "Average sales cycle": "35 days",
    }


def test_dashboard_stage_totals(site):
    table = page(site, "index.html").by_id("stages")
    assert table.rows() == [
        ["Prospecting", "10%", "2", "$11,000.00", "$1,100.00"],
        ["Qualification", "25%", "1", "$5,000.00", "$1,250.00"],
        ["Proposal", "60%", "1", "$3,150.00", "$1,890.00"],
        ["Negotiation", "80%", "1", "$20,000.00", "$16,000.00"],
    ]
    assert table.rows("tfoot") == [["Open pipeline", "", "5", "$39,150.00", "$20,240.00"]]


def test_dashboard_forecast_buckets(site):
    rows = page(site, "index.html").by_id("forecast").rows()
    assert rows == [
        ["Past due", "–", "–", "–", "$0.00", "–"],
        ["Nov 2026", "$0.00", "$0.00", "$5,000.00", "$5,000.00", "$7,000.00"],
        ["Dec 2026", "$20,000.00", "$0.00", "$10,000.00", "$30,000.00", "$0.00"],
        ["Jan 2027", "$0.00", "$3,150.00", "$0.00", "$3,150.00", "$0.00"],
        ["Feb 2027", "$0.00", "$0.00", "$0.00", "$0.00", "$0.00"],
        ["Mar 2027", "$0.00", "$0.00", "$1,000.00", "$1,000.00", "$0.00"],
        ["Apr 2027", "$0.00", "$0.00", "$0.00", "$0.00", "$0.00"],
        ["Later", "–", "–", "–", "$0.00", "–"],
    ]


def test_dashboard_attention_list(site):
    doc = page(site, "index.html")
    items = [
        (li.attrs["data-kind"], li.find("a").text, li.find("span", class_="msg").text)
        for li in doc.by_id("attention").find_all("li")
    ]
    assert items == [
        ("close-date-past", "Delta pilot", "close date 2026-11-20 passed 8 days ago"),
        (
            "stale",
            "Delta pilot",
            "no activity since 2026-11-10 (stale after 7 days), no firm follow-up",
        ),
        ("follow-up-due", "Golf follow-up", "follow up on 2026-12-02: Send the brochure"),
        ("quote-expired", "Charlie fleet", "quote Q-1 expired on 2026-11-20"),
    ]


def test_dashboard_per_owner(site):
    assert page(site, "index.html").by_id("owners").rows() == [
        ["alice", "3", "$31,000.00", "$17,100.00", "$7,000.00 (1)", "100%", "$7,000.00", "2"],
        ["bob", "2", "$8,150.00", "$3,140.00", "$0.00 (0)", "0%", "$0.00", "2"],
    ]


def test_board_columns_cards_and_badges(site):
    doc = page(site, "board.html")
    columns = {}
    for col in doc.find_all("section", class_="column"):
        cards = [
            (
                li.find("h3").text,
                li.find("p", class_="deal-amount").text,
                [b.text for b in li.find_all("span", class_="badge")],
            )
            for li in col.find_all("li", class_="deal")
        ]
        columns[col.find("h2").text] = (col.find("p", class_="col-total").text, cards)
    assert columns == {
        "Prospecting 2": (
            "$11,000.00 weighted $1,100.00 · 10%",
            [("Alpha scanners", "$10,000.00", []), ("Golf follow-up", "$1,000.00", [])],
        ),
        "Qualification 1": (
            "$5,000.00 weighted $1,250.00 · 25%",
            [("Delta pilot", "$5,000.00", ["Past due", "Stale"])],
        ),
        "Proposal 1": ("$3,150.00 weighted $1,890.00 · 60%", [("Bravo rollout", "$3,150.00", [])]),
        "Negotiation 1": (
            "$20,000.00 weighted $16,000.00 · 80%",
            [("Charlie fleet", "$20,000.00", ["Quote expired"])],
        ),
    }


def test_opportunities_table_is_complete_without_script(site):
    doc = page(site, "opportunities.html")
    rows = doc.by_id("opportunities").rows()
    assert [r[0] for r in rows] == [
        "Delta pilot Past due Stale",
        "Alpha scanners",
        "Charlie fleet Quote expired",
        "Bravo rollout",
        "Golf follow-up",
        "Foxtrot lost deal",
        "Echo won deal",
    ]
    assert rows[3] == [
        "Bravo rollout",
        "Acme Corp",
        "bob",
        "Proposal",
        "Jan 15, 2027",
        "$3,150.00",
        "$1,890.00",
    ]
    # The filter form is hidden until the script shows it; the script is a local file.
    assert "hidden" in doc.by_id("filters").attrs
    assert [s.attrs["src"] for s in doc.find_all("script")] == ["assets/site.js"]


def test_opportunity_page_lines_contacts_and_problems(site):
    doc = page(site, "opportunities/b.html")
    assert doc.find("h1").text == "Bravo rollout"
    table = doc.by_id("line-items")
    assert table.rows() == [
        ["Handheld scanner SCN-200", "2 each", "$1,100.00", "", "$2,200.00"],
        ["Service day SVC-DAY", "1 day", "$950.00", "", "$950.00"],
    ]
    assert table.rows("tfoot") == [["Total", "$3,150.00"]]
    contact = doc.by_id("contacts-h").parent.find("table").rows()
    assert contact == [["Jane Doe Primary", "", "Economic Buyer", ""]]
    assert doc.by_id("contacts-h").parent.find("a").attrs["href"] == "../contacts/jane-doe.html"
    delta = page(site, "opportunities/d.html")
    banner = delta.find("section", class_="banner")
    assert [li.find("span", class_="rule").text for li in banner.find_all("li")] == [
        "[stale]",
        "[close-date-past]",
    ]


def test_account_competitor_and_products_pages(site):
    acme = page(site, "accounts/acme-corp.html")
    captions = [c.text for c in acme.find_all("caption")]
    assert captions == [
        "Open · $14,150.00",
        "Won · $7,000.00",
        "Every activity on this account's opportunities, newest first",
    ]
    rival = page(site, "competitors/initech.html")
    assert (
        rival.find("div", class_="summary").find("span", class_="figure-value").text
        == "1 won, 1 lost (50% win rate)"
    )
    products = page(site, "products.html").by_id("products").rows()
    assert products == [
        ["Handheld scanner", "SCN-200", "$1,100.00 / each", "2", "$22,200.00", "0", "$0.00"],
        ["Service day", "SVC-DAY", "$950.00 / day", "1", "$950.00", "0", "$0.00"],
    ]


def test_process_and_problems_pages(site):
    process = page(site, "process.html")
    names = [h.text for h in process.find_all("h2")]
    assert names[0] == "1 Prospecting prospecting" and len(names) == 6
    problems = page(site, "problems.html").by_id("problems")
    assert [(r[0], r[1], r[2], r[4]) for r in problems.rows()] == [
        ("opportunities/c.md", "13:1", "warning", "quote-expired"),
        ("opportunities/d.md", "1:1", "error", "stale"),
        ("opportunities/d.md", "6:1", "error", "close-date-past"),
    ]
    assert problems.find("a").attrs["href"] == "opportunities/c.html"


def test_pipeline_json_figures(site):
    doc = json.loads((site / "pipeline.json").read_text())
    assert doc["as_of"] == TODAY
    kf = doc["key_figures"]
    assert kf["pipeline"]["converted"] == "39150.00"
    assert kf["weighted"]["converted"] == "20240.00"
    assert kf["win_rate"] == "50"
    assert [
        (
            p["period"],
            p["commit"]["expected"]["converted"],
            p["best_case"]["expected"]["converted"],
            p["pipeline"]["expected"]["converted"],
        )
        for p in doc["forecast"]["periods"][:4]
    ] == [
        ("2026-11", "0.00", "0.00", "5000.00"),
        ("2026-12", "20000.00", "0.00", "10000.00"),
        ("2027-01", "0.00", "3150.00", "0.00"),
        ("2027-02", "0.00", "0.00", "0.00"),
    ]
    assert [a["kind"] for a in doc["attention"]] == [
        "close-date-past",
        "stale",
        "follow-up-due",
        "quote-expired",
    ]


HOSTILE = """\
---
title: "<script>alert('title')</script> Hostile"
account: acme-corp
owner: alice
stage: prospecting
close_date: 2026-12-19
amount: 100
activities:
  - {date: 2026-11-27, type: call, summary: "<img src=x onerror=alert(2)>"}
---
<script>alert(1)</script>

<img src="x" onerror="alert(3)"> and <svg onload="alert(4)"></svg>

[click](javascript:alert(5)) and [also](JaVaScRiPt:alert(6))

<a href="javascript:alert(7)">raw</a>

<iframe src="https://evil.example"></iframe><style>body{display:none}</style>

<div onclick="alert(8)" style="position:fixed">text</div>

A [fine link](https://example.com/ok) and **bold**.
"""


def test_hostile_markdown_is_sanitized(run, make_repo):
    root = make_repo({"opportunities/hostile.md": HOSTILE})
    assert build(run, root).exit_code == 0
    html = (root / "_site/opportunities/hostile.html").read_text()
    doc = parse(html)
    for node in doc.iter():
        assert node.tag not in ("script", "iframe", "style", "svg", "object", "embed"), node.tag
        for name, value in node.attrs.items():
            assert not name.startswith("on"), (node.tag, name)
            assert name != "style", node.tag
            if name in ("href", "src"):
                assert not (value or "").strip().lower().startswith("javascript"), value
    assert "javascript:" not in html.lower()
    assert doc.find("h1").text.startswith("<script>alert('title')</script> Hostile")
    prose = doc.find("div", class_="prose")
    hrefs = [a.attrs.get("href") for a in prose.find_all("a")]
    assert "https://example.com/ok" in hrefs
    assert prose.find("strong").text == "bold"


def test_two_builds_are_byte_identical_wherever_the_repository_is(run, crm, tmp_path):
    copy = tmp_path / "elsewhere" / "crm-copy"
    shutil.copytree(crm, copy)
    assert build(run, crm, out=tmp_path / "one").exit_code == 0
    assert build(run, copy, out=tmp_path / "two").exit_code == 0

    def tree(folder: Path) -> dict[str, bytes]:
        return {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one == two
    assert len(one) > 20
    assert not any(str(tmp_path).encode() in data for data in one.values())


def test_second_build_renders_nothing(run, crm):
    assert build(run, crm).exit_code == 0
    result = build(run, crm)
    assert "(0 rendered, 0 files written, 0 removed)" in result.output


def test_template_and_css_override(run, make_repo):
    root = make_repo(
        {
            **OPPORTUNITIES,
            "templates/style.css": "body { background: papayawhip; }\n",
            "templates/board.html": (
                '{% extends "base.html" %}{% block main %}<h1>Our board</h1>'
                '{% for c in page.columns %}<p class="mine">{{ c.name }}: {{ c.expected }}</p>'
                "{% endfor %}{% endblock %}"
            ),
        }
    )
    assert build(run, root).exit_code == 0
    site = root / "_site"
    assert (site / "assets/style.css").read_text() == "body { background: papayawhip; }\n"
    doc = page(site, "board.html")
    assert doc.find("h1").text == "Our board"
    assert [p.text for p in doc.find_all("p", class_="mine")][:2] == [
        "Prospecting: $11,000.00",
        "Qualification: $5,000.00",
    ]
    # Templates not overridden are still the shipped ones.
    assert page(site, "index.html").find("h1").text == "Pipeline dashboard"


def test_stale_output_is_removed(run, crm):
    assert build(run, crm).exit_code == 0
    site = crm / "_site"
    assert (site / "opportunities/g.html").is_file()
    (crm / "opportunities/g.md").unlink()
    (site / "leftover.html").write_text("old")
    result = build(run, crm)
    assert result.exit_code == 0
    assert not (site / "opportunities/g.html").exists()
    # A file the build did not write is not its to remove.
    assert (site / "leftover.html").read_text() == "old"
    assert "Golf follow-up" not in (site / "index.html").read_text()


@pytest.mark.parametrize("where", ["root", "parent"])
def test_refuses_output_that_is_or_contains_the_repository(run, crm, where):
    out = crm if where == "root" else crm.parent
    result = build(run, crm, out=out)
    assert result.exit_code == 2
    assert "is the CRM repository or contains it" in result.output
    assert (crm / "opportunities/a.md").is_file()


def test_refuses_a_non_empty_folder_it_did_not_make(run, crm, tmp_path):
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me")
    result = build(run, crm, out=precious)
    assert result.exit_code == 2
    assert "not empty and was not made by `textcrm build`" in result.output
    assert sorted(p.name for p in precious.iterdir()) == ["thesis.txt"]


def test_broken_file_is_listed_and_the_rest_is_built(run, make_repo):
    root = make_repo({**OPPORTUNITIES, "opportunities/broken.md": "---\ntitle: [unclosed\n---\n"})
    result = build(run, root)
    assert result.exit_code == 0, result.output
    site = root / "_site"
    rows = page(site, "problems.html").by_id("problems").rows()
    assert any(r[0] == "opportunities/broken.md" and r[2] == "error" for r in rows)
    assert not (site / "opportunities/broken.html").exists()
    assert (site / "opportunities/a.html").is_file()
    assert build(run, root, "--strict").exit_code == 1


def test_links_are_relative_and_resolve(site):
    for html_file in sorted(site.rglob("*.html")):
        doc = page(site, html_file.relative_to(site).as_posix())
        for node in doc.iter():
            for attr in ("href", "src"):
                target = node.attrs.get(attr)
                if target is None or (node.tag == "a" and re.match(r"https?:|mailto:", target)):
                    continue
                assert not re.match(r"^(/|[a-z]+:)", target), (html_file, target)
                path = target.split("#")[0]
                if path:
                    assert (html_file.parent / path).resolve().is_file(), (html_file, target)


def test_charts_have_text_alternatives(site):
    doc = page(site, "index.html")
    charts = doc.find_all("svg")
    assert len(charts) == 2
    for svg in charts:
        assert svg.attrs["role"] == "img"
        title_id, desc_id = svg.attrs["aria-labelledby"].split()
        assert svg.find("title", id=title_id).text
        assert svg.find("desc", id=desc_id).text
    stage_desc = charts[0].find("desc").text
    assert "Negotiation: $20,000.00 expected, $16,000.00 weighted" in stage_desc


def test_second_build_rerenders_pages_showing_a_renamed_account(run, crm):
    assert build(run, crm).exit_code == 0
    (crm / "accounts/globex-inc.md").write_text("---\nname: Globex Renamed\n---\n")
    result = build(run, crm)
    assert result.exit_code == 0
    site = crm / "_site"
    # Pages of deals at Globex show the new name; pages of other deals were not rendered.
    assert "Globex Renamed" in (site / "opportunities/c.html").read_text()
    assert "Globex Renamed" in (site / "board.html").read_text()
    assert "Globex Renamed" not in (site / "opportunities/a.html").read_text()
    # c, d and f, their account, John Roe (at Globex), Initech (in c and f), 9 summary pages.
    assert "(15 rendered" in result.output


def test_never_writes_through_a_symlink_out_of_the_output_folder(run, crm, tmp_path):
    out = tmp_path / "public"
    assert build(run, crm, out=out).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(out / "opportunities")
    (out / "opportunities").symlink_to(elsewhere, target_is_directory=True)
    (crm / "opportunities/a.md").write_text(OPPORTUNITIES["opportunities/a.md"] + "More.\n")
    result = build(run, crm, out=out)
    assert result.exit_code == 2
    assert "leads outside" in result.output
    assert list(elsewhere.iterdir()) == []


def test_example_pages_have_one_h1_and_headings_in_order(run, tmp_path):
    from conftest import EXAMPLE, EXAMPLE_TODAY

    out = tmp_path / "example"
    result = run(
        ["build", "--root", str(EXAMPLE), "--today", EXAMPLE_TODAY, "-o", str(out), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    for html_file in sorted(out.glob("*.html")) + sorted(out.glob("*/*.html")):
        if html_file.parent.name == "quotes":
            continue  # the quote document has its own structure (see test_quote_*)
        doc = parse(html_file.read_text())
        assert doc.find("html").attrs["lang"] == "en"
        assert doc.find("title").text
        levels = [int(n.tag[1]) for n in doc.iter() if re.fullmatch(r"h[1-6]", n.tag)]
        assert levels.count(1) == 1 and levels[0] == 1, html_file
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, (html_file, levels)
        for th in doc.find_all("th"):
            assert th.attrs.get("scope") in ("col", "row"), (html_file, th.text)
