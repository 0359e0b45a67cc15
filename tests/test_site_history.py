"""The site's history sections (`textcrm build` on a CRM with git history): exact figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, write_files
from htmltree import Node, parse

TODAY = "2026-11-28"


def opp(stage: str, close: str, amount: str, extra: str = "") -> str:
    return (
        f"---\ntitle: Deal {stage}\naccount: acme-corp\nowner: alice\nstage: {stage}\n"
        f"close_date: {close}\namount: {amount}\n{extra}---\nNotes.\n"
    )


def commit(root: Path, when: str, message: str) -> None:
    stamp = f"{when}T12:00:00+00:00"
    git(root, "add", "-A")
    git(
        root,
        "commit",
        "-q",
        "-m",
        message,
        env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
    )


@pytest.fixture
def crm(make_repo) -> Path:
    """Six commits; as of 2026-11-28 the last 7 days start on 2026-11-21 (after C4).

    C1 2026-10-01 s prospecting 12-01 10000; t prospecting 12-01 4000;
       w prospecting 12-15 6000 (created 2026-09-21); l qualification 2000; x prospecting 1000
    C2 2026-10-11 s -> qualification, close 12-01 -> 12-15 (+14); t close -> 12-10 (+9)
    C3 2026-10-21 s close -> 2027-01-05 (+21); w -> qualification
    C4 2026-11-10 s close -> 2026-12-20 (-16); t close -> 12-31 (+21)
    C5 2026-11-22 s close -> 2027-01-31 (+42); w won at 6500; l 2500; n added 1500.50
    C6 2026-11-25 l lost; t 3999.99; x won (no `created`: counts from C1)
    """
    root = make_repo(
        {
            "opportunities/s.md": opp("prospecting", "2026-12-01", "10000"),
            "opportunities/t.md": opp("prospecting", "2026-12-01", "4000"),
            "opportunities/w.md": opp("prospecting", "2026-12-15", "6000", "created: 2026-09-21\n"),
            "opportunities/l.md": opp("qualification", "2026-12-20", "2000"),
            "opportunities/x.md": opp("prospecting", "2026-12-20", "1000"),
        }
    )
    git(root, "init", "-q", "-b", "main")
    commit(root, "2026-10-01", "Start")
    write_files(
        root,
        {
            "opportunities/s.md": opp("qualification", "2026-12-15", "10000"),
            "opportunities/t.md": opp("prospecting", "2026-12-10", "4000"),
        },
    )
    commit(root, "2026-10-11", "C2")
    write_files(
        root,
        {
            "opportunities/s.md": opp("qualification", "2027-01-05", "10000"),
            "opportunities/w.md": opp(
                "qualification", "2026-12-15", "6000", "created: 2026-09-21\n"
            ),
        },
    )
    commit(root, "2026-10-21", "C3")
    write_files(
        root,
        {
            "opportunities/s.md": opp("qualification", "2026-12-20", "10000"),
            "opportunities/t.md": opp("prospecting", "2026-12-31", "4000"),
        },
    )
    commit(root, "2026-11-10", "C4")
    write_files(
        root,
        {
            "opportunities/s.md": opp("qualification", "2027-01-31", "10000"),
            "opportunities/w.md": opp("closed-won", "2026-11-22", "6500", "created: 2026-09-21\n"),
            "opportunities/l.md": opp("qualification", "2026-12-20", "2500"),
            "opportunities/n.md": opp("prospecting", "2027-02-01", "1500.50"),
        },
    )
    commit(root, "2026-11-22", "C5")
    write_files(
        root,
        {
            "opportunities/l.md": opp("closed-lost", "2026-11-25", "2500", "lost_reason: price\n"),
            "opportunities/t.md": opp("prospecting", "2026-12-31", "3999.99"),
            "opportunities/x.md": opp("closed-won", "2026-11-25", "1000"),
        },
    )
    commit(root, "2026-11-25", "C6")
    return root


def build(run, root: Path, out: Path, *extra: str) -> None:
    result = run(
        ["build", "--root", str(root), "--today", TODAY, "-o", str(out), "--no-cache", *extra]
    )
    assert result.exit_code == 0, result.output


def page(site: Path, rel: str) -> Node:
    return parse((site / rel).read_text(encoding="utf-8"))


@pytest.fixture
def site(run, crm, tmp_path) -> Path:
    out = tmp_path / "site"
    build(run, crm, out)
    return out


def test_opportunity_page_shows_its_stage_timeline_and_close_date_changes(site):
    doc = page(site, "opportunities/s.html")
    assert doc.by_id("stage-timeline").rows() == [
        ["Prospecting", "Oct 1, 2026", "Oct 11, 2026", "10"],
        ["Qualification", "Oct 11, 2026", "current", "48"],
    ]
    assert doc.by_id("close-date-moves").rows() == [
        ["Oct 11, 2026", "Dec 1, 2026", "Dec 15, 2026", "+14"],
        ["Oct 21, 2026", "Dec 15, 2026", "Jan 5, 2027", "+21"],
        ["Nov 10, 2026", "Jan 5, 2027", "Dec 20, 2026", "-16"],
        ["Nov 22, 2026", "Dec 20, 2026", "Jan 31, 2027", "+42"],
    ]
    summary = doc.by_id("close-date-history").find("p").text
    assert summary == "Pushed out 3 times (77 days in all), pulled in 1 time (16 days in all)."
    # A won deal: its last stage has no day count (it is closed).
    won = page(site, "opportunities/w.html").by_id("stage-timeline").rows()
    assert won == [
        ["Prospecting", "Oct 1, 2026", "Oct 21, 2026", "20"],
        ["Qualification", "Oct 21, 2026", "Nov 22, 2026", "32"],
        ["Closed Won", "Nov 22, 2026", "current", ""],
    ]
    unmoved = page(site, "opportunities/n.html").by_id("close-date-history")
    assert unmoved.find("p").text == "The close date has not changed."


def test_dashboard_waterfall_of_the_last_7_days_reconciles_to_the_cent(site):
    doc = page(site, "index.html")
    section = doc.by_id("changes")
    assert section.find("h2").text == "Changes in the last 7 days"
    assert doc.by_id("waterfall").rows("thead") == [["Change", "USD"]]
    assert doc.by_id("waterfall").rows() == [
        ["Open pipeline at start", "$23,000.00"],
        ["+ New", "$1,500.50"],
        ["+ Increases", "$1,000.00"],
        ["− Decreases", "$0.01"],
        ["− Won", "$7,500.00"],
        ["− Lost", "$2,500.00"],
        ["− Removed", "$0.00"],
        ["Open pipeline now", "$15,500.49"],
    ]
    chart = section.find("svg", class_="chart")
    assert chart.attrs["role"] == "img"
    assert chart.find("desc").text == (
        "Start: $23,000.00; New: $1,500.50; Increases: $1,000.00; Decreases: $0.01; "
        "Won: $7,500.00; Lost: $2,500.00; Removed: $0.00; End: $15,500.49"
    )
    assert len(chart.find_all("rect")) == 8


def test_dashboard_average_days_in_stage_and_sales_cycle(site):
    doc = page(site, "index.html")
    # Completed stays: prospecting s 10, w 20, x 55; qualification w 32, l 55.
    assert doc.by_id("stage-days").rows() == [
        ["Prospecting", "28.3 days", "3"],
        ["Qualification", "43.5 days", "2"],
    ]
    # w: created 2026-09-21 -> won 2026-11-22 = 62 days; x: no `created`, its file was added
    # 2026-10-01 -> won 2026-11-25 = 55 days. Average 58.5.
    assert doc.by_id("sales-cycle").text == (
        "Sales cycle of won deals 58.5 days created to won, 2 deals"
    )


def test_board_flags_a_deal_slipped_three_times_not_twice(site):
    doc = page(site, "board.html")
    cards = {li.find("a").text: li for li in doc.find_all("li", class_="deal")}

    def badges(title: str) -> list[str]:
        found = [(b.attrs["class"], b.text) for b in cards[title].find_all("span", class_="badge")]
        return [text for cls, text in found if "badge-slipped" in cls.split()]

    assert badges("Deal qualification") == ["Slipped 3×"]  # s
    titles = [a.text for a in doc.find_all("a")]
    assert titles.count("Deal prospecting") == 2  # t (slipped twice) and n
    for li in doc.find_all("li", class_="deal"):
        if li.find("a").text == "Deal prospecting":
            assert not li.find_all("span", class_="badge-slipped")


def test_same_repository_same_day_gives_identical_sites(run, crm, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    build(run, crm, first)
    build(run, crm, second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_a_folder_outside_git_builds_without_history_sections(run, make_repo, tmp_path):
    root = make_repo({"opportunities/s.md": opp("prospecting", "2026-12-01", "10000")})
    out = tmp_path / "site"
    build(run, root, out)
    dashboard = page(out, "index.html")
    assert not dashboard.find_all(None, id="changes")
    assert not dashboard.find_all(None, id="stage-days")
    opportunity = page(out, "opportunities/s.html")
    assert not opportunity.find_all(None, id="stage-timeline")
    assert not opportunity.find_all(None, id="close-date-history")
    assert not page(out, "board.html").find_all("span", class_="badge-slipped")


def test_a_folder_outside_git_costs_one_git_process(run, make_repo, tmp_path, monkeypatch):
    from textcrm import git as gitmodule

    calls: list[tuple[str, ...]] = []
    real = gitmodule.run

    def counting(args, *rest, **kw):
        calls.append(tuple(args))
        return real(args, *rest, **kw)

    monkeypatch.setattr(gitmodule, "run", counting)
    root = make_repo({"opportunities/s.md": opp("prospecting", "2026-12-01", "10000")})
    build(run, root, tmp_path / "site")
    assert calls == [("rev-parse", "--show-toplevel")]


def test_the_dashboard_waterfall_is_textcrm_changes_since_a_week_ago(run, crm, site):
    import json

    result = run(
        [
            "changes",
            "--root",
            str(crm),
            "--since",
            "2026-11-21",
            "--today",
            TODAY,
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["waterfall"]["USD"] == {
        "start": "23000.00",
        "new": "1500.50",
        "increases": "1000.00",
        "decreases": "0.01",
        "won": "7500.00",
        "lost": "2500.00",
        "removed": "0.00",
        "end": "15500.49",
    }


def test_a_shallow_clone_builds_without_history_sections(run, crm, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", crm.as_uri(), str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    out = tmp_path / "site"
    build(run, clone, out)
    assert not page(out, "index.html").find_all(None, id="changes")
    assert not page(out, "opportunities/s.html").find_all(None, id="stage-timeline")
    assert not page(out, "board.html").find_all("span", class_="badge-slipped")
