"""`textcrm winloss` and the site's win/loss page and account timeline: hand-computed figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import DEFAULT_CONFIG, git, write_files
from htmltree import parse

TODAY = "2026-11-28"


def deal(
    stage: str,
    close: str,
    amount: str,
    owner: str = "alice",
    reason: str = "",
    competitors: str = "",
    extra: str = "",
) -> str:
    text = (
        f"---\ntitle: Deal {amount}\naccount: acme-corp\nowner: {owner}\nstage: {stage}\n"
        f"close_date: {close}\namount: {amount}\n"
    )
    if reason:
        text += f"lost_reason: {reason}\n"
    if competitors:
        text += f"competitors: {competitors}\n"
    return text + extra + "---\n"


# Hand-computed: closed deals (the open one never counts)
#   won-small   alice  1000  2026-03-01  initech eliminated
#   won-big     bob    3000  2026-06-10  initech eliminated, globex eliminated
#   lost-price  alice  2000  2026-05-01  "Price too high"; initech won
#   lost-price-again  bob  500  2026-07-01  "price  too HIGH" (same reason); no competitor
#   lost-budget alice  1500  2025-12-15  "No budget"; no competitor
# won 2 / 4000.00, lost 3 / 4000.00: win rate 40% by count, 50% by amount.
DEALS = {
    "competitors/globex.md": "---\nname: Globex\n---\n",
    "opportunities/won-small.md": deal(
        "closed-won",
        "2026-03-01",
        "1000",
        competitors="[{competitor: initech, status: eliminated}]",
    ),
    "opportunities/won-big.md": deal(
        "closed-won",
        "2026-06-10",
        "3000",
        owner="bob",
        competitors="[{competitor: initech, status: eliminated}, "
        "{competitor: globex, status: eliminated}]",
    ),
    "opportunities/lost-price.md": deal(
        "closed-lost",
        "2026-05-01",
        "2000",
        reason="Price too high",
        competitors="[{competitor: initech, status: won}]",
    ),
    "opportunities/lost-price-again.md": deal(
        "closed-lost", "2026-07-01", "500", owner="bob", reason="price  too HIGH"
    ),
    "opportunities/lost-budget.md": deal("closed-lost", "2025-12-15", "1500", reason="No budget"),
    "opportunities/open-deal.md": deal("prospecting", "2026-12-20", "9999"),
}


@pytest.fixture
def crm(make_repo) -> Path:
    return make_repo(DEALS)


def report(run, root: Path, *args: str) -> str:
    result = run(["winloss", "--root", str(root), "--today", TODAY, *args], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    # The raw bytes: CliRunner's `output` turns CRLF (CSV row ends) into LF.
    return result.stdout_bytes.decode("utf-8")


def usd(value: str) -> dict:
    return {"amounts": {"USD": value}, "reporting_currency": "USD", "converted": value}


def summary(doc: dict) -> list[tuple]:
    """Each group as (key, won count, won USD, lost count, lost USD, rates, shares)."""
    return [
        (
            g["key"],
            g["won"]["count"],
            g["won"]["amount"]["amounts"]["USD"],
            g["lost"]["count"],
            g["lost"]["amount"]["amounts"]["USD"],
            g["win_rate"]["count"],
            g["win_rate"]["amount"],
            g["lost_share"]["count"],
            g["lost_share"]["amount"],
        )
        for g in [*doc["groups"], doc["total"]]
    ]


def test_by_reason_json_exact(run, crm):
    doc = json.loads(report(run, crm, "--format", "json"))
    assert {k: doc[k] for k in ("version", "report", "today", "by", "since", "currency")} == {
        "version": 1,
        "report": "winloss",
        "today": TODAY,
        "by": "reason",
        "since": None,
        "currency": "USD",
    }
    assert doc["groups"][0] == {
        "key": "price too high",
        "label": "Price too high",
        "won": {"count": 0, "amount": usd("0.00"), "deals": []},
        "lost": {"count": 2, "amount": usd("2500.00"), "deals": ["lost-price", "lost-price-again"]},
        "win_rate": {"count": "0", "amount": "0"},
        "lost_share": {"count": "66.7", "amount": "62.5"},
        "statuses": {},
    }
    assert summary(doc) == [
        ("price too high", 0, "0.00", 2, "2500.00", "0", "0", "66.7", "62.5"),
        ("no budget", 0, "0.00", 1, "1500.00", "0", "0", "33.3", "37.5"),
        (None, 2, "4000.00", 3, "4000.00", "40", "50", "100", "100"),
    ]
    assert doc["total"]["won"]["deals"] == ["won-big", "won-small"]


def test_by_competitor_counts_a_deal_for_each_competitor_with_its_status(run, crm):
    doc = json.loads(report(run, crm, "--by", "competitor", "--format", "json"))
    assert summary(doc) == [
        ("initech", 2, "4000.00", 1, "2000.00", "66.7", "66.7", "33.3", "50"),
        ("globex", 1, "3000.00", 0, "0.00", "100", "100", "0", "0"),
        (None, 0, "0.00", 2, "2000.00", "0", "0", "66.7", "50"),
        (None, 2, "4000.00", 3, "4000.00", "40", "50", "100", "100"),
    ]
    assert [(g["label"], g["statuses"]) for g in doc["groups"]] == [
        ("Initech", {"eliminated": 2, "won": 1}),
        ("Globex", {"eliminated": 1}),
        ("(no competitor named)", {}),
    ]


def test_by_owner_csv_exact(run, crm):
    assert report(run, crm, "--by", "owner", "--format", "csv").split("\r\n") == [
        "kind,key,label,basis,currency,won_count,lost_count,won_amount,lost_amount,"
        "win_rate_count,win_rate_amount,lost_share_count,lost_share_amount,statuses",
        "group,alice,alice,native,USD,1,2,1000.00,3500.00,33.3,22.2,66.7,87.5,",
        "group,bob,bob,native,USD,1,1,3000.00,500.00,50,85.7,33.3,12.5,",
        "total,,Total,native,USD,2,3,4000.00,4000.00,40,50,100,100,",
        "",
    ]


def test_since_counts_deals_closed_on_or_after_the_day(run, crm):
    # won-big 3000 (06-10); lost-price 2000 (05-01, the day itself); lost-price-again 500.
    doc = json.loads(report(run, crm, "--by", "owner", "--since", "2026-05-01", "--format", "json"))
    assert doc["since"] == "2026-05-01"
    assert summary(doc) == [
        ("alice", 0, "0.00", 1, "2000.00", "0", "0", "50", "80"),
        ("bob", 1, "3000.00", 1, "500.00", "50", "85.7", "50", "20"),
        (None, 1, "3000.00", 2, "2500.00", "33.3", "54.5", "100", "100"),
    ]


def test_table_shows_the_figures_and_what_is_counted(run, crm):
    out = report(run, crm, "--by", "competitor")
    lines = out.splitlines()
    assert lines[:2] == [
        "Win/loss by competitor",
        "5 closed deals: 2 won, 3 lost; win rate 40% by count, 50% by amount",
    ]
    initech = next(line for line in lines if line.startswith("Initech"))
    # At 80 columns the win rate by amount is left out and the statuses wrap.
    assert initech.split() == [
        "Initech", "2", "1", "66.7%", "$4,000.00", "$2,000.00", "eliminated", "2,"
    ]  # fmt: skip
    assert "A deal counts once for every competitor named on it" in out
    for by in ("reason", "competitor", "owner", "stage"):
        assert max(len(line) for line in report(run, crm, "--by", by).splitlines()) <= 80, by


def test_bad_since_is_a_usage_error(run, crm):
    result = run(["winloss", "--root", str(crm), "--since", "May 1"])
    assert result.exit_code == 2
    assert "--since: `May 1` is not a date; write it as YYYY-MM-DD" in result.output


def test_a_repository_with_no_closed_deals(run, make_repo):
    root = make_repo({"opportunities/open-deal.md": deal("prospecting", "2026-12-20", "9999")})
    assert report(run, root) == "no closed deals: nothing to analyse\n"
    doc = json.loads(report(run, root, "--by", "owner", "--format", "json"))
    assert doc["groups"] == []
    assert summary(doc) == [(None, 0, "0.00", 0, "0.00", None, None, None, None)]
    assert report(run, root, "--format", "csv").split("\r\n")[1:] == [
        "total,,Total,native,USD,0,0,0.00,0.00,,,,,",
        "",
    ]


def test_several_currencies_are_converted_with_rates_or_kept_apart(run, make_repo):
    files = {
        "opportunities/won-eur.md": deal(
            "closed-won", "2026-06-01", "1000", extra="currency: EUR\n"
        ),
        "opportunities/lost-usd.md": deal("closed-lost", "2026-06-02", "900", reason="Timing"),
    }
    root = make_repo(files, config=DEFAULT_CONFIG + "rates: {EUR: 1.1}\n")
    doc = json.loads(report(run, root, "--by", "owner", "--format", "json"))
    total = doc["total"]
    assert total["won"]["amount"] == {
        "amounts": {"USD": "0.00", "EUR": "1000.00"},
        "reporting_currency": "USD",
        "converted": "1100.00",
    }
    assert total["lost"]["amount"]["converted"] == "900.00"
    assert total["win_rate"] == {"count": "50", "amount": "55"}  # 1100 / 2000
    csv_rows = report(run, root, "--by", "owner", "--format", "csv").split("\r\n")
    assert "total,,Total,converted,USD,1,1,1100.00,900.00,50,55,100,100," in csv_rows
    table = report(run, root, "--by", "owner")
    assert "≈ converted to USD at the rates in textcrm.yaml: 1 EUR = 1.1 USD." in table

    write_files(root, {"textcrm.yaml": DEFAULT_CONFIG})
    doc = json.loads(report(run, root, "--by", "owner", "--format", "json"))
    assert doc["total"]["win_rate"] == {"count": "50", "amount": None}
    assert doc["total"]["won"]["amount"]["converted"] is None


def test_csv_cells_from_the_repository_cannot_run_as_formulas(run, make_repo):
    root = make_repo(
        {"opportunities/x.md": deal("closed-lost", "2026-06-02", "900", reason="'=HYPERLINK(1)'")}
    )
    rows = report(run, root, "--format", "csv").split("\r\n")
    assert rows[1].startswith("group,'=hyperlink(1),'=HYPERLINK(1),native,USD,")


def commit(root: Path, when: str) -> None:
    stamp = f"{when}T12:00:00+00:00"
    git(root, "add", "-A")
    env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    git(root, "commit", "-q", "-m", f"Deals on {when}", env=env)


@pytest.fixture
def crm_in_git(make_repo) -> Path:
    """The deals' stages in git: lost-budget was added already lost (stage unknown).

    C1 won-small negotiation; won-big proposal; lost-price prospecting;
       lost-price-again negotiation
    C2 lost-price -> qualification
    C3 every deal closed; lost-budget added closed-lost
    """
    opened = {
        "opportunities/won-small.md": deal("negotiation", "2026-03-01", "1000"),
        "opportunities/won-big.md": deal("proposal", "2026-06-10", "3000", owner="bob"),
        "opportunities/lost-price.md": deal("prospecting", "2026-05-01", "2000"),
        "opportunities/lost-price-again.md": deal("negotiation", "2026-07-01", "500", owner="bob"),
        "opportunities/open-deal.md": DEALS["opportunities/open-deal.md"],
    }
    root = make_repo(opened)
    git(root, "init", "-q", "-b", "main")
    commit(root, "2026-01-10")
    write_files(root, {"opportunities/lost-price.md": deal("qualification", "2026-05-01", "2000")})
    commit(root, "2026-02-10")
    write_files(root, DEALS)
    commit(root, "2026-07-02")
    return root


def test_by_stage_reads_the_stage_each_deal_was_closed_from_in_git(run, crm_in_git):
    doc = json.loads(report(run, crm_in_git, "--by", "stage", "--format", "json"))
    assert doc["history"] is True
    assert [(g["key"], g["label"]) for g in doc["groups"]] == [
        ("qualification", "Qualification"),
        ("proposal", "Proposal"),
        ("negotiation", "Negotiation"),
        (None, "unknown"),
    ]
    assert summary(doc) == [
        ("qualification", 0, "0.00", 1, "2000.00", "0", "0", "33.3", "50"),
        ("proposal", 1, "3000.00", 0, "0.00", "100", "100", "0", "0"),
        ("negotiation", 1, "1000.00", 1, "500.00", "50", "66.7", "33.3", "12.5"),
        (None, 0, "0.00", 1, "1500.00", "0", "0", "33.3", "37.5"),
        (None, 2, "4000.00", 3, "4000.00", "40", "50", "100", "100"),
    ]
    assert [g["lost"]["deals"] for g in doc["groups"]] == [
        ["lost-price"],
        [],
        ["lost-price-again"],
        ["lost-budget"],
    ]


def test_by_stage_without_git_is_unknown(run, crm):
    doc = json.loads(report(run, crm, "--by", "stage", "--format", "json"))
    assert doc["history"] is False
    assert [
        (g["key"], g["label"], g["won"]["count"], g["lost"]["count"]) for g in doc["groups"]
    ] == [(None, "unknown", 2, 3)]
    assert "No git history: the stage each deal was closed from is unknown." in report(
        run, crm, "--by", "stage"
    )


# --- the site -------------------------------------------------------------------------------


def build(run, root: Path) -> Path:
    out = root.parent / "site"
    result = run(["build", "--root", str(root), "--today", TODAY, "--output", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_site_win_loss_page(run, crm_in_git):
    out = build(run, crm_in_git)
    page = parse((out / "winloss.html").read_text(encoding="utf-8"))
    nav = [a.text for a in page.find("nav").find_all("a")]
    assert "Win/loss" in nav
    figures = [
        [span.text for span in li.find_all("span")] for li in page.find_all("li", class_="figure")
    ]
    assert figures == [
        ["Won", "2", "$4,000.00"],
        ["Lost", "3", "$4,000.00"],
        ["Win rate", "40%", "by count"],
        ["Win rate by amount", "50%", "by amount"],
    ]
    reason = page.by_id("winloss-reason")
    assert reason.rows() == [
        ["Price too high", "2", "$2,500.00", "66.7%", "Deal 2000, Deal 500"],
        ["No budget", "1", "$1,500.00", "33.3%", "Deal 1500"],
    ]
    assert reason.rows("tfoot") == [["Total", "3", "$4,000.00", "100%", ""]]
    links = [a.attrs["href"] for a in reason.find("tbody").find_all("a")]
    assert links == [
        "opportunities/lost-price.html",
        "opportunities/lost-price-again.html",
        "opportunities/lost-budget.html",
    ]
    competitor = page.by_id("winloss-competitor")
    assert competitor.rows() == [
        ["Initech", "2", "1", "66.7%", "$4,000.00", "$2,000.00", "66.7%", "eliminated 2, won 1"],
        ["Globex", "1", "0", "100%", "$3,000.00", "$0.00", "100%", "eliminated 1"],
        ["(no competitor named)", "0", "2", "0%", "$0.00", "$2,000.00", "0%", ""],
    ]
    assert competitor.find("tbody").find("a").attrs["href"] == "competitors/initech.html"
    assert page.by_id("winloss-owner").rows() == [
        ["alice", "1", "2", "33.3%", "$1,000.00", "$3,500.00", "22.2%"],
        ["bob", "1", "1", "50%", "$3,000.00", "$500.00", "85.7%"],
    ]
    assert page.by_id("winloss-stage").rows() == [
        ["Qualification", "0", "1", "0%", "$0.00", "$2,000.00", "0%"],
        ["Proposal", "1", "0", "100%", "$3,000.00", "$0.00", "100%"],
        ["Negotiation", "1", "1", "50%", "$1,000.00", "$500.00", "66.7%"],
        ["unknown", "0", "1", "0%", "$0.00", "$1,500.00", "0%"],
    ]
    initech = parse((out / "competitors" / "initech.html").read_text(encoding="utf-8"))
    assert "../winloss.html#competitor" in [a.attrs.get("href") for a in initech.find_all("a")]


def test_site_win_loss_page_without_closed_deals(run, make_repo):
    root = make_repo({"opportunities/open-deal.md": deal("prospecting", "2026-12-20", "9999")})
    page = parse((build(run, root) / "winloss.html").read_text(encoding="utf-8"))
    assert "No deal is closed yet: nothing to analyse." in page.find("main").text
    assert page.find_all("table") == []


def test_account_timeline_lists_every_activity_newest_first(run, make_repo):
    activities = {
        "a": "activities:\n"
        "  - {date: 2026-11-02, type: call, contact: jane-doe, summary: First call}\n"
        "  - {date: 2026-11-20, type: email, summary: Sent the proposal}\n",
        "b": "activities:\n"
        "  - {date: 2026-11-10, type: meeting, contact: jane-doe, owner: bob, summary: Demo}\n"
        "  - {date: 2026-11-20, type: call, summary: Pricing}\n",
    }
    root = make_repo(
        {
            "opportunities/a.md": deal("prospecting", "2026-12-20", "100", extra=activities["a"]),
            "opportunities/b.md": deal("closed-won", "2026-11-21", "200", extra=activities["b"]),
            "opportunities/elsewhere.md": deal("prospecting", "2026-12-20", "300").replace(
                "acme-corp", "globex-inc"
            ),
        }
    )
    out = build(run, root)
    page = parse((out / "accounts" / "acme-corp.html").read_text(encoding="utf-8"))
    timeline = page.by_id("timeline")
    assert timeline.rows() == [
        ["Nov 20, 2026", "Deal 100", "email", "", "Sent the proposal"],
        ["Nov 20, 2026", "Deal 200", "call", "", "Pricing"],
        ["Nov 10, 2026", "Deal 200", "meeting", "Jane Doe", "Demo · bob"],
        ["Nov 2, 2026", "Deal 100", "call", "Jane Doe", "First call"],
    ]
    hrefs = [a.attrs["href"] for a in timeline.find_all("a")]
    assert hrefs == [
        "../opportunities/a.html",
        "../opportunities/b.html",
        "../opportunities/b.html",
        "../contacts/jane-doe.html",
        "../opportunities/a.html",
        "../contacts/jane-doe.html",
    ]
    other = parse((out / "accounts" / "globex-inc.html").read_text(encoding="utf-8"))
    assert "No activities recorded." in other.find("main").text


def test_site_win_loss_page_without_git_says_the_stage_is_unknown(run, crm):
    page = parse((build(run, crm) / "winloss.html").read_text(encoding="utf-8"))
    stage = page.by_id("winloss-stage")
    assert stage.rows() == [["unknown", "2", "3", "40%", "$4,000.00", "$4,000.00", "50%"]]
    section = page.by_id("stage")
    assert "Without git history the stage a deal was closed from is unknown." in section.text


def test_site_rebuild_shows_a_changed_lost_reason_on_the_win_loss_page(run, crm):
    build(run, crm)
    write_files(
        crm,
        {
            "opportunities/lost-budget.md": deal(
                "closed-lost", "2025-12-15", "1500", reason="Price too high"
            )
        },
    )
    page = parse((build(run, crm) / "winloss.html").read_text(encoding="utf-8"))
    assert page.by_id("winloss-reason").rows() == [
        ["Price too high", "3", "$4,000.00", "100%", "Deal 1500, Deal 2000, Deal 500"],
    ]
