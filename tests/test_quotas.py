"""Quotas in textcrm.yaml: attainment and coverage, hand-computed, in every output."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from conftest import DEFAULT_CONFIG, EXAMPLE, TODAY
from htmltree import parse

QUOTAS = """\
rates: {EUR: 1.08}
quotas:
  period: quarter
  team: 200000
  owners: {alice: 100000, bob: 80000}
  periods:
    2027-Q1: {owners: {bob: 90000}}
"""


def deal(owner: str, stage: str, close: str, amount: str, extra: str = "") -> str:
    return (
        f"---\ntitle: Deal {owner} {stage} {close}\naccount: acme-corp\nowner: {owner}\n"
        f"stage: {stage}\nclose_date: {close}\namount: {amount}\n{extra}---\n"
    )


# Today is 2026-11-28: the quota period is Q4 2026 (2026-10-01 to 2026-12-31).
DEALS = {
    # alice: won 30,000.00 USD and 10,000.50 EUR (x 1.08 = 10,800.54) in Q4 to date
    "opportunities/a-won.md": deal("alice", "closed-won", "2026-10-15", "30000"),
    "opportunities/a-won-eur.md": deal(
        "alice", "closed-won", "2026-11-20", "10000.50", "currency: EUR\n"
    ),
    # won, but closing after today or before the quarter: not counted
    "opportunities/a-won-later.md": deal("alice", "closed-won", "2026-12-05", "7000"),
    "opportunities/a-won-q3.md": deal("alice", "closed-won", "2026-09-30", "9000"),
    # open in the rest of Q4: commit at 70% (14,000.00 weighted), pipeline at 10% (1,234.57)
    "opportunities/a-commit.md": deal(
        "alice", "prospecting", "2026-12-10", "20000", "forecast: commit\nprobability: 70\n"
    ),
    "opportunities/a-pipe.md": deal("alice", "prospecting", "2026-12-31", "12345.67"),
    # open but closing before today, or next quarter: not in Q4's coverage
    "opportunities/a-past.md": deal("alice", "prospecting", "2026-11-01", "50000"),
    "opportunities/a-next.md": deal("alice", "prospecting", "2027-01-05", "5000"),
    # bob: won 88,000.00 today (over his 80,000 quota); one open deal at 25% (10,000.00)
    "opportunities/b-won.md": deal("bob", "closed-won", "2026-11-28", "88000"),
    "opportunities/b-open.md": deal("bob", "qualification", "2026-12-01", "40000"),
    "opportunities/b-lost.md": deal(
        "bob", "closed-lost", "2026-11-10", "5000", "lost_reason: Price\n"
    ),
    "opportunities/b-omitted.md": deal(
        "bob", "prospecting", "2026-12-15", "9999", "forecast: omitted\n"
    ),
}


@pytest.fixture
def crm(make_repo) -> Path:
    return make_repo(DEALS, config=DEFAULT_CONFIG + QUOTAS)


def forecast(run, root: Path, *args: str):
    return run(["forecast", "--root", str(root), "--today", TODAY, *args], env={"COLUMNS": "120"})


def quotas_json(run, root: Path, *args: str) -> dict:
    result = forecast(run, root, "--quotas", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["quotas"]


def test_attainment_and_coverage_hand_computed(run, crm):
    q = quotas_json(run, crm)
    assert q["period"] == {
        "key": "2026-Q4",
        "label": "Q4 2026",
        "start": "2026-10-01",
        "end": "2026-12-31",
    }
    assert q["rest_start"] == "2026-11-28"
    alice, bob = q["owners"]
    # 30,000.00 + 10,000.50 x 1.08 = 40,800.54 of 100,000.00: 40.8%, 59,199.46 to go;
    # weighted 14,000.00 + 1,234.57 = 15,234.57 / 59,199.46 = 0.257... ; commit 20,000.00: 0.337...
    assert alice == {
        "owner": "alice",
        "quota": "100000.00",
        "won_count": 2,
        "closed_won": {
            "amounts": {"USD": "30000.00", "EUR": "10000.50"},
            "reporting_currency": "USD",
            "converted": "40800.54",
        },
        "attainment": "40.8",
        "remaining": "59199.46",
        "open_count": 2,
        "weighted": {
            "amounts": {"USD": "15234.57"},
            "reporting_currency": "USD",
            "converted": "15234.57",
        },
        "commit": {
            "amounts": {"USD": "20000.00"},
            "reporting_currency": "USD",
            "converted": "20000.00",
        },
        "weighted_coverage": "0.26",
        "commit_coverage": "0.34",
    }
    # 88,000.00 of 80,000.00: 110.0%, nothing remains, so coverage has no meaning
    assert (bob["attainment"], bob["remaining"]) == ("110.0", "0.00")
    assert (bob["weighted"]["converted"], bob["commit"]["converted"]) == ("10000.00", "0.00")
    assert (bob["weighted_coverage"], bob["commit_coverage"]) == (None, None)
    # the team: 118,000.00 + 10,800.54 = 128,800.54 of 200,000.00; 71,199.46 remaining;
    # weighted 25,234.57 / 71,199.46 = 0.354...; commit 20,000.00 / 71,199.46 = 0.280...
    team = q["team"]
    assert team["owner"] is None
    assert (team["quota"], team["won_count"], team["closed_won"]["converted"]) == (
        "200000.00",
        3,
        "128800.54",
    )
    assert (team["attainment"], team["remaining"]) == ("64.4", "71199.46")
    assert (team["weighted"]["converted"], team["open_count"]) == ("25234.57", 3)
    assert (team["weighted_coverage"], team["commit_coverage"]) == ("0.35", "0.28")


def test_a_chosen_period_uses_its_override(run, crm):
    q = quotas_json(run, crm, "--quota-period", "2027-Q1")
    assert q["period"]["key"] == "2027-Q1"
    assert q["rest_start"] == "2027-01-01"
    rows = {r["owner"]: r for r in q["owners"]}
    # bob's Q1 quota is the override; the team's stays `team`
    assert (rows["bob"]["quota"], rows["alice"]["quota"], q["team"]["quota"]) == (
        "90000.00",
        "100000.00",
        "200000.00",
    )
    # 500.00 / 100,000.00 = 0.005 rounds half up to 0.01; / 200,000.00 = 0.0025 to 0.00
    assert (rows["alice"]["weighted"]["converted"], rows["alice"]["weighted_coverage"]) == (
        "500.00",
        "0.01",
    )
    assert (rows["alice"]["attainment"], rows["alice"]["remaining"]) == ("0.0", "100000.00")
    assert q["team"]["weighted_coverage"] == "0.00"


def test_a_period_that_is_over_has_no_coverage(run, crm):
    q = quotas_json(run, crm, "--quota-period", "2026-Q3")
    alice = q["owners"][0]
    assert (alice["won_count"], alice["attainment"], alice["remaining"]) == (1, "9.0", "91000.00")
    assert (alice["weighted_coverage"], alice["commit_coverage"]) == (None, None)


def test_csv(run, crm):
    result = forecast(run, crm, "--quotas", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "period,owner,currency,quota,won_count,closed_won,attainment,remaining,open_count,"
        "weighted,commit,weighted_coverage,commit_coverage",
        "2026-Q4,alice,USD,100000.00,2,40800.54,40.8,59199.46,2,15234.57,20000.00,0.26,0.34",
        "2026-Q4,bob,USD,80000.00,1,88000.00,110.0,0.00,1,10000.00,0.00,,",
        "2026-Q4,,USD,200000.00,3,128800.54,64.4,71199.46,3,25234.57,20000.00,0.35,0.28",
    ]


def test_table_after_the_forecast_and_alone(run, crm):
    result = forecast(run, crm, "--by", "quarter", "--periods", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Forecast by quarter")
    quota_part = result.stdout[result.stdout.index("Quota attainment") :]
    alone = forecast(run, crm, "--quotas")
    assert alone.stdout == quota_part
    assert alone.stdout.splitlines() == [
        "Quota attainment, Q4 2026 (closed won to Nov 28, 2026)",
        "",
        "Owner        Quota     Closed won  Attained   Remaining    Weighted      Commit"
        "  Cov. wtd  Cov. commit",
        "-----  -----------  -------------  --------  ----------  ----------  ----------"
        "  --------  -----------",
        "alice  $100,000.00     $30,000.00     40.8%  $59,199.46  $15,234.57  $20,000.00"
        "     0.26x        0.34x",
        "                       €10,000.50",
        "                     ≈ $40,800.54",
        "bob     $80,000.00     $88,000.00    110.0%       $0.00  $10,000.00       $0.00"
        "         -            -",
        "-----  -----------  -------------  --------  ----------  ----------  ----------"
        "  --------  -----------",
        "Team   $200,000.00    $118,000.00     64.4%  $71,199.46  $25,234.57  $20,000.00"
        "     0.35x        0.28x",
        "                       €10,000.50",
        "                    ≈ $128,800.54",
        "Coverage: open deals closing Nov 28, 2026 to Dec 31, 2026 / remaining quota.",
        "≈ converted to USD at the rates in textcrm.yaml: 1 EUR = 1.08 USD.",
    ]


def test_table_fits_80_columns(run, crm):
    result = run(
        ["forecast", "--root", str(crm), "--today", TODAY, "--quotas"], env={"COLUMNS": "80"}
    )
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[2].split() == [
        "Owner",
        "Quota",
        "Closed",
        "won",
        "Attained",
        "Remaining",
        "Cov.",
        "wtd",
        "Cov.",
        "commit",
    ]


def test_one_owner(run, crm):
    q = quotas_json(run, crm, "--owner", "bob")
    assert [r["owner"] for r in q["owners"]] == ["bob"]
    assert q["team"] is None


def test_without_a_rate_the_foreign_amount_is_listed_apart(run, make_repo):
    root = make_repo(DEALS, config=DEFAULT_CONFIG + QUOTAS.replace("rates: {EUR: 1.08}\n", ""))
    alice = quotas_json(run, root)["owners"][0]
    assert alice["closed_won"] == {
        "amounts": {"USD": "30000.00", "EUR": "10000.50"},
        "reporting_currency": "USD",
        "converted": None,
    }
    assert (alice["attainment"], alice["remaining"], alice["weighted_coverage"]) == (
        None,
        None,
        None,
    )
    result = forecast(run, root, "--quotas", "--format", "csv")
    assert result.stdout.splitlines()[1] == "2026-Q4,alice,USD,100000.00,2,,,,2,15234.57,20000.00,,"
    table = forecast(run, root, "--quotas").stdout
    assert "no rate for EUR" in table


def test_team_defaults_to_the_sum_of_the_owners_and_monthly_periods(run, make_repo):
    config = DEFAULT_CONFIG + "quotas:\n  period: month\n  owners: {alice: 10000, bob: 2500.5}\n"
    root = make_repo(DEALS, config=config)
    q = quotas_json(run, root)
    assert q["period"]["key"] == "2026-11"
    assert q["team"]["quota"] == "12500.50"
    # November to date: 30,000.00 was October; 10,800.54 converted needs a rate: none here
    assert q["owners"][1]["attainment"] == "3519.3"  # 88,000.00 / 2,500.50
    result = forecast(run, root, "--quotas", "--quota-period", "2026-Q4")
    assert result.exit_code == 2
    assert "`2026-Q4` is not a month; quotas are per month, write it as 2026-09" in result.output


def test_without_quotas_nothing_is_shown(run, make_repo):
    root = make_repo(DEALS)
    result = forecast(run, root)
    assert result.exit_code == 0, result.output
    assert "Quota" not in result.stdout
    doc = json.loads(forecast(run, root, "--format", "json").stdout)
    assert doc["quotas"] is None
    plain_csv = forecast(run, root, "--format", "csv").stdout
    assert next(csv.reader(io.StringIO(plain_csv)))[0] == "period"
    refused = forecast(run, root, "--quotas")
    assert refused.exit_code == 2
    assert "textcrm.yaml sets no quotas" in refused.output
    built = run(["build", "--root", str(root), "--today", TODAY, "--no-cache"])
    assert built.exit_code == 0, built.output
    doc_html = parse((root / "_site" / "index.html").read_text(encoding="utf-8"))
    assert doc_html.find_all(None, id="quotas") == []
    published = json.loads((root / "_site" / "pipeline.json").read_text(encoding="utf-8"))
    assert published["quotas"] is None


def test_forecast_json_carries_the_quotas(run, crm):
    doc = json.loads(forecast(run, crm, "--format", "json").stdout)
    assert doc["report"] == "forecast"
    assert doc["quotas"]["team"]["attainment"] == "64.4"


def test_dashboard_shows_the_quota_card(run, crm):
    built = run(["build", "--root", str(crm), "--today", TODAY, "--no-cache"])
    assert built.exit_code == 0, built.output
    doc = parse((crm / "_site" / "index.html").read_text(encoding="utf-8"))
    card = doc.by_id("quotas")
    assert card.find("h2").text == "Quota attainment, Q4 2026"
    table = card.find("table")
    assert table.rows("thead") == [
        [
            "Owner",
            "Quota",
            "Closed won",
            "Attainment",
            "Remaining",
            "Weighted",
            "Commit",
            "Coverage (weighted)",
            "Coverage (commit)",
        ]
    ]
    assert table.rows() == [
        [
            "alice",
            "$100,000.00",
            "$30,000.00 + €10,000.50 (≈ $40,800.54) (2)",
            "40.8%",
            "$59,199.46",
            "$15,234.57",
            "$20,000.00",
            "0.26×",
            "0.34×",
        ],
        [
            "bob",
            "$80,000.00",
            "$88,000.00 (1)",
            "110.0%",
            "$0.00",
            "$10,000.00",
            "$0.00",
            "–",
            "–",
        ],
    ]
    assert table.rows("tfoot") == [
        [
            "Team",
            "$200,000.00",
            "$118,000.00 + €10,000.50 (≈ $128,800.54) (3)",
            "64.4%",
            "$71,199.46",
            "$25,234.57",
            "$20,000.00",
            "0.35×",
            "0.28×",
        ]
    ]
    dates = [t.attrs["datetime"] for t in card.find("p").find_all("time")]
    assert dates == ["2026-11-28", "2026-11-28", "2026-12-31"]
    published = json.loads((crm / "_site" / "pipeline.json").read_text(encoding="utf-8"))
    assert published["quotas"] == quotas_json(run, crm)


BAD = [
    (
        "quotas:\n  period: week\n",
        "textcrm.yaml:12:3: error: period: `week` is not one of month, quarter",
    ),
    (
        "quotas:\n  owners: {alice: 1}\n",
        "textcrm.yaml:12:3: error: quotas is missing required field `period`",
    ),
    (
        "quotas:\n  period: quarter\n  owners: {alice: -5, bob: lots}\n",
        "textcrm.yaml:13:19: error: quotas owners: alice: -5 is negative; amounts are >= 0",
    ),
    (
        "quotas:\n  period: quarter\n  owners: {alice: -5, bob: lots}\n",
        "textcrm.yaml:13:28: error: quotas owners: bob: `lots` is not a number",
    ),
    (
        "quotas:\n  period: quarter\n  owners: {alcie: 100}\n",
        "textcrm.yaml:13:12: error: quotas: `alcie` is not one of `owners`; did you mean `alice`?",
    ),
    (
        "quotas:\n  period: quarter\n  periods:\n    2026-12: {team: 5}\n",
        "textcrm.yaml:14:5: error: quotas periods: `2026-12` is a month but quotas are per "
        "quarter; write it as 2026-Q4",
    ),
    (
        "quotas:\n  period: month\n  periods:\n    Q4: {team: 5}\n",
        "textcrm.yaml:14:5: error: quotas periods: `Q4` is not a period; write a quarter as "
        "2026-Q4 or a month as 2026-12",
    ),
    (
        "quotas:\n  period: month\n  periods:\n    2026-12: {owners: {bob: 1, dave: 2}}\n",
        "textcrm.yaml:14:32: error: quotas: `dave` is not one of `owners`",
    ),
    (
        "quotas: 500000\n",
        "textcrm.yaml:11:9: error: quotas: expected a mapping of fields",
    ),
]


@pytest.mark.parametrize(("quotas", "expected"), BAD)
def test_invalid_quotas_are_located(run, make_repo, quotas, expected):
    root = make_repo(config=DEFAULT_CONFIG + quotas)
    result = run(["check", "--root", str(root), "--today", TODAY])
    assert result.exit_code == 2
    assert expected in result.output


@pytest.mark.parametrize(
    "quotas",
    [
        {"period": "week"},
        {"owners": {"alice": 1}},
        {"period": "month", "owners": {"mallory": 1}},
        {"period": "month", "owners": {"alice": -1}},
        {"period": "month", "periods": {"Q4": {"team": 1}}},
        {"period": "month", "periods": {"2026-12": {"teams": 1}}},
    ],
)
def test_json_schema_rejects_bad_quotas(run, quotas):
    result = run(["schema", "--kind", "config", "--root", str(EXAMPLE)])
    validator = jsonschema.Draft202012Validator(json.loads(result.output))
    config = {"stages": [{"key": "a", "name": "A", "probability": 10, "forecast": "pipeline"}]}
    validator.validate({**config, "quotas": {"period": "month", "owners": {"alice": "1.5"}}})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**config, "quotas": quotas})


def test_an_owner_without_a_quota_is_listed_when_they_sold(run, make_repo):
    config = (
        DEFAULT_CONFIG
        + "rates: {EUR: 1.08}\nquotas:\n  period: quarter\n  owners: {alice: 50000}\n"
    )
    q = quotas_json(run, make_repo(DEALS, config=config))
    bob = q["owners"][1]
    assert (bob["owner"], bob["quota"], bob["attainment"], bob["remaining"]) == (
        "bob",
        None,
        None,
        None,
    )
    assert bob["closed_won"]["converted"] == "88000.00"
    # the team's quota is alice's alone; its closed won is everyone's
    assert (q["team"]["quota"], q["team"]["attainment"]) == ("50000.00", "257.6")
    assert (q["team"]["remaining"], q["team"]["weighted_coverage"]) == ("0.00", None)
