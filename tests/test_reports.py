"""Terminal reports on a small CRM with hand-computed figures: exact JSON and CSV, golden tables.

The fixture as of 2026-11-28 (USD unless said otherwise):
- acme-scanners  alice proposal      close 2026-12-19  10 x 1100 less 5% = 10450.00
                                                        + 2 x 950 = 1900.00 -> 12350.00,
                                                        60% -> 7410.00
- globex-service bob   negotiation   close 2026-12-05  20000.00, 80% -> 16000.00
- acme-renewal   alice qualification close 2027-01-15  5000.50, 25% -> 1250.125 -> 1250.13
- old-deal       bob   prospecting   close 2026-11-20  1000.00, 10% -> 100.00
- globex-won     bob   closed-won    close 2026-11-10  3000.00
- acme-lost      alice closed-lost   close 2026-10-01  7000.00
Open: 4 deals, 38350.50 expected, 24760.13 weighted.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

REPORT_FILES = {
    "opportunities/acme-scanners.md": """\
---
title: Acme Corp - warehouse scanners
account: acme-corp
owner: alice
stage: proposal
close_date: 2026-12-19
next_step: Send quote
follow_up: 2026-11-28
tags: [hardware]
contacts:
  - {contact: jane-doe, role: Economic Buyer, primary: true}
line_items:
  - {sku: SCN-200, quantity: 10, discount: 5%, unit_price: 1100}
  - {sku: SVC-DAY, quantity: 2, unit_price: 950}
activities:
  - {date: 2026-11-24, type: call, contact: jane-doe, summary: Walked through pricing}
quote: {number: Q-2, date: 2026-11-26, valid_until: 2026-12-03}
---
Notes.
""",
    "opportunities/globex-service.md": """\
---
title: Globex Inc - service contract
account: globex-inc
owner: bob
stage: negotiation
close_date: 2026-12-05
amount: 20000
tags: [service]
decision_issues:
  - {issue: Legal review, status: open, owner: bob, due: 2026-12-01}
activities:
  - {date: 2026-11-20, type: meeting, contact: john-roe, summary: Terms}
quote: {number: Q-1, date: 2026-11-01, valid_until: 2026-11-27}
---
""",
    "opportunities/acme-renewal.md": """\
---
title: Acme Corp - support renewal
account: acme-corp
owner: alice
stage: qualification
close_date: 2027-01-15
amount: 5000.50
follow_up: 2026-11-25
activities:
  - {date: 2026-11-10, type: email, summary: Asked for renewal terms}
---
""",
    "opportunities/old-deal.md": """\
---
title: Globex Inc - old deal
account: globex-inc
owner: bob
stage: prospecting
close_date: 2026-11-20
amount: 1000
activities:
  - {date: 2026-11-27, type: call, summary: Still interested}
---
""",
    "opportunities/globex-won.md": """\
---
title: Globex Inc - spare parts
account: globex-inc
owner: bob
stage: closed-won
close_date: 2026-11-10
amount: 3000
---
""",
    "opportunities/acme-lost.md": """\
---
title: Acme Corp - lost pilot
account: acme-corp
owner: alice
stage: closed-lost
close_date: 2026-10-01
amount: 7000
lost_reason: Price
---
""",
}

ENV = {"COLUMNS": "100"}


@pytest.fixture
def crm(make_repo):
    return make_repo(REPORT_FILES)


def report(run, crm, *args, fmt="json"):
    result = run([*args, "--root", str(crm), "--today", "2026-11-28", "--format", fmt], env=ENV)
    assert result.exit_code == 0, result.output
    # The raw bytes: CliRunner's `output` turns CRLF (CSV row ends) into LF.
    text = result.stdout_bytes.decode("utf-8")
    return json.loads(text) if fmt == "json" else text


def usd(amount):
    return {"amounts": {"USD": amount}, "reporting_currency": "USD", "converted": amount}


def test_pipeline_json_has_exact_stage_totals(run, crm):
    doc = report(run, crm, "pipeline")
    assert doc["version"] == 1 and doc["report"] == "pipeline" and doc["today"] == "2026-11-28"
    assert doc["currency"] == "USD" and doc["rates"] == {} and doc["owner"] is None
    rows = {s["key"]: (s["count"], s["expected"], s["weighted"]) for s in doc["stages"]}
    assert rows == {
        "prospecting": (1, usd("1000.00"), usd("100.00")),
        "qualification": (1, usd("5000.50"), usd("1250.13")),
        "proposal": (1, usd("12350.00"), usd("7410.00")),
        "negotiation": (1, usd("20000.00"), usd("16000.00")),
        "closed-won": (1, usd("3000.00"), usd("3000.00")),
        "closed-lost": (1, usd("7000.00"), usd("0.00")),
    }
    assert doc["open"] == {"count": 4, "expected": usd("38350.50"), "weighted": usd("24760.13")}


def test_pipeline_for_one_owner(run, crm):
    doc = report(run, crm, "pipeline", "--owner", "alice")
    assert doc["owner"] == "alice"
    assert doc["open"] == {"count": 2, "expected": usd("17350.50"), "weighted": usd("8660.13")}


def test_pipeline_csv(run, crm):
    out = report(run, crm, "pipeline", fmt="csv")
    assert out.split("\r\n") == [
        "stage,name,count,basis,currency,expected,weighted",
        "prospecting,Prospecting,1,native,USD,1000.00,100.00",
        "qualification,Qualification,1,native,USD,5000.50,1250.13",
        "proposal,Proposal,1,native,USD,12350.00,7410.00",
        "negotiation,Negotiation,1,native,USD,20000.00,16000.00",
        "closed-won,Closed Won,1,native,USD,3000.00,3000.00",
        "closed-lost,Closed Lost,1,native,USD,7000.00,0.00",
        "open-total,Open pipeline,4,native,USD,38350.50,24760.13",
        "",
    ]


def cell(count, expected, weighted):
    return {"count": count, "expected": usd(expected), "weighted": usd(weighted)}


def test_forecast_json_by_month(run, crm):
    doc = report(run, crm, "forecast", "--periods", "3")
    assert doc["by"] == "month"
    zero = cell(0, "0.00", "0.00")
    got = {p["key"]: p for p in doc["periods"]}
    assert list(got) == ["2026-11", "2026-12", "2027-01"]
    nov, dec, jan = got["2026-11"], got["2026-12"], got["2027-01"]
    assert (nov["label"], nov["start"], nov["end"]) == ("Nov 2026", "2026-11-01", "2026-11-30")
    # old-deal's close date passed but lies in the current month: it is this month's pipeline.
    assert nov["categories"] == {
        "commit": zero,
        "best_case": zero,
        "pipeline": cell(1, "1000.00", "100.00"),
    }
    assert nov["closed_won"] == cell(1, "3000.00", "3000.00")
    assert dec["categories"] == {
        "commit": cell(1, "20000.00", "16000.00"),
        "best_case": cell(1, "12350.00", "7410.00"),
        "pipeline": zero,
    }
    assert dec["total"] == cell(2, "32350.00", "23410.00")
    assert dec["closed_won"] == zero
    assert jan["total"] == cell(1, "5000.50", "1250.13")
    assert doc["past_due"] == zero and doc["later"] == zero


def test_forecast_by_quarter_csv(run, crm):
    out = report(run, crm, "forecast", "--by", "quarter", "--periods", "2", fmt="csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    q4 = {
        r["category"]: (r["count"], r["expected"], r["weighted"])
        for r in rows
        if r["period"] == "2026-Q4"
    }
    assert q4 == {
        "commit": ("1", "20000.00", "16000.00"),
        "best_case": ("1", "12350.00", "7410.00"),
        "pipeline": ("1", "1000.00", "100.00"),
        "total": ("3", "33350.00", "23510.00"),
        "closed_won": ("1", "3000.00", "3000.00"),
    }
    q1 = [r for r in rows if r["period"] == "2027-Q1" and r["category"] == "pipeline"]
    assert (q1[0]["label"], q1[0]["expected"], q1[0]["basis"]) == ("Q1 2027", "5000.50", "native")
    assert rows[0]["period"] == "past-due" and rows[-1]["period"] == "later"


def test_attention_json_most_urgent_first(run, crm):
    doc = report(run, crm, "attention")
    got = [(i["kind"], i["opportunity"], i["date"], i["message"]) for i in doc["items"]]
    assert got == [
        ("close-date-past", "old-deal", "2026-11-20", "close date 2026-11-20 passed 8 days ago"),
        (
            "stale",
            "acme-renewal",
            "2026-11-10",
            "no activity since 2026-11-10 (stale after 7 days), no firm follow-up",
        ),
        ("follow-up-due", "acme-scanners", "2026-11-28", "follow up today: Send quote"),
        ("quote-expired", "globex-service", "2026-11-27", "quote Q-1 expired on 2026-11-27"),
        ("quote-expiring", "acme-scanners", "2026-12-03", "quote Q-2 expires on 2026-12-03"),
        ("decision-due", "globex-service", "2026-12-01", "Legal review is due 2026-12-01"),
    ]


def test_attention_lists_follow_ups_due_today_not_later(run, make_repo):
    late = REPORT_FILES["opportunities/acme-scanners.md"].replace(
        "follow_up: 2026-11-28", "follow_up: 2026-11-30"
    )
    root = make_repo({**REPORT_FILES, "opportunities/acme-scanners.md": late})
    doc = report(run, root, "attention", "--owner", "alice")
    assert [(i["kind"], i["opportunity"]) for i in doc["items"]] == [
        ("stale", "acme-renewal"),
        ("quote-expiring", "acme-scanners"),
    ]


def test_attention_csv(run, crm):
    out = report(run, crm, "attention", "--owner", "bob", fmt="csv")
    assert out.split("\r\n") == [
        "kind,label,opportunity,title,owner,date,message",
        "close-date-past,Close date in the past,old-deal,Globex Inc - old deal,bob,2026-11-20,"
        "close date 2026-11-20 passed 8 days ago",
        "quote-expired,Quote expired,globex-service,Globex Inc - service contract,bob,"
        "2026-11-27,quote Q-1 expired on 2026-11-27",
        "decision-due,Decision issue due,globex-service,Globex Inc - service contract,bob,"
        "2026-12-01,Legal review is due 2026-12-01",
        "",
    ]


def test_list_filters_and_sorts(run, crm):
    def ids(*args):
        doc = report(run, crm, "list", *args)
        return [o["id"] for o in doc["opportunities"]]

    assert ids() == [
        "acme-lost",
        "globex-won",
        "old-deal",
        "globex-service",
        "acme-scanners",
        "acme-renewal",
    ]
    assert ids("--open", "--sort", "amount") == [
        "globex-service",
        "acme-scanners",
        "acme-renewal",
        "old-deal",
    ]
    assert ids("--open", "--sort", "weighted") == [
        "globex-service",
        "acme-scanners",
        "acme-renewal",
        "old-deal",
    ]
    assert ids("--sort", "stage") == [
        "old-deal",
        "acme-renewal",
        "acme-scanners",
        "globex-service",
        "globex-won",
        "acme-lost",
    ]
    # updated: latest activity first; never-touched deals last, by id.
    assert ids("--sort", "updated") == [
        "old-deal",
        "acme-scanners",
        "globex-service",
        "acme-renewal",
        "acme-lost",
        "globex-won",
    ]
    assert ids("--won") == ["globex-won"]
    assert ids("--lost") == ["acme-lost"]
    assert ids("--owner", "alice", "--open") == ["acme-scanners", "acme-renewal"]
    assert ids("--account", "globex-inc") == ["globex-won", "old-deal", "globex-service"]
    assert ids("--stage", "proposal") == ["acme-scanners"]
    assert ids("--tag", "service") == ["globex-service"]
    assert ids("--closing-before", "2026-12-05") == ["acme-lost", "globex-won", "old-deal"]
    assert ids("--closing-after", "2026-12-05", "--closing-before", "2027-01-15") == [
        "acme-scanners"
    ]


def test_list_json_record_and_totals(run, crm):
    doc = report(run, crm, "list", "--open", "--owner", "alice")
    assert doc["filters"] == {
        "stage": None,
        "owner": "alice",
        "account": None,
        "status": "open",
        "closing_before": None,
        "closing_after": None,
        "tag": None,
    }
    assert doc["opportunities"][0] == {
        "id": "acme-scanners",
        "title": "Acme Corp - warehouse scanners",
        "account": "acme-corp",
        "owner": "alice",
        "stage": "proposal",
        "status": "open",
        "close_date": "2026-12-19",
        "currency": "USD",
        "expected": "12350.00",
        "probability": "60",
        "weighted": "7410.00",
        "forecast": "best_case",
        "follow_up": "2026-11-28",
        "last_activity": "2026-11-24",
        "next_step": "Send quote",
        "tags": ["hardware"],
    }
    assert doc["totals"] == {"count": 2, "expected": usd("17350.50"), "weighted": usd("8660.13")}


def test_list_csv(run, crm):
    out = report(run, crm, "list", "--owner", "bob", "--sort", "amount", fmt="csv")
    assert out.split("\r\n") == [
        "id,title,account,owner,stage,status,close_date,currency,expected,probability,"
        "weighted,forecast,follow_up,last_activity,next_step,tags",
        "globex-service,Globex Inc - service contract,globex-inc,bob,negotiation,open,"
        "2026-12-05,USD,20000.00,80,16000.00,commit,,2026-11-20,,service",
        "globex-won,Globex Inc - spare parts,globex-inc,bob,closed-won,won,2026-11-10,USD,"
        "3000.00,100,3000.00,closed,,,,",
        "old-deal,Globex Inc - old deal,globex-inc,bob,prospecting,open,2026-11-20,USD,"
        "1000.00,10,100.00,pipeline,,2026-11-27,,",
        "",
    ]


def test_show_json_lines_and_problems(run, crm):
    doc = report(run, crm, "show", "globex-serv")
    opp = doc["opportunity"]
    assert (opp["id"], opp["expected"], opp["weighted"], opp["forecast"]) == (
        "globex-service",
        "20000.00",
        "16000.00",
        "commit",
    )
    assert [(p["path"], p["line"], p["rule"], p["severity"]) for p in doc["problems"]] == [
        ("opportunities/globex-service.md", 13, "quote-expired", "warning"),
        ("opportunities/globex-service.md", 13, "quote-without-line-items", "error"),
    ]
    assert [a["kind"] for a in opp["attention"]] == ["quote-expired", "decision-due"]
    doc = report(run, crm, "show", "warehouse scanners")
    lines = doc["opportunity"]["line_items"]
    assert [
        (
            x["sku"],
            x["quantity"],
            x["unit_price"],
            x["discount"],
            x["gross"],
            x["discount_amount"],
            x["total"],
        )
        for x in lines
    ] == [
        ("SCN-200", "10", "1100.00", "5%", "11000.00", "550.00", "10450.00"),
        ("SVC-DAY", "2", "950.00", None, "1900.00", "0.00", "1900.00"),
    ]
    assert doc["opportunity"]["line_items_total"] == "12350.00"
    assert doc["problems"] == []


def test_show_csv_is_field_value_pairs(run, crm):
    out = report(run, crm, "show", "acme-scanners", fmt="csv")
    rows = dict(csv.reader(io.StringIO(out)))
    assert rows["field"] == "value"
    assert rows["expected"] == "12350.00"
    assert rows["line_items[1].total"] == "10450.00"
    assert rows["contacts[1].primary"] == "true"
    assert rows["tags"] == "hardware"


@pytest.mark.parametrize(
    "name,message",
    [
        ("nothing-like-this", "no opportunity `nothing-like-this` in opportunities/"),
        ("acme", "`acme` matches 3 opportunities: acme-lost, acme-renewal, acme-scanners"),
    ],
)
def test_show_unknown_or_ambiguous_name_is_a_clear_error(run, crm, name, message):
    result = run(["show", name, "--root", str(crm), "--today", "2026-11-28"])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["pipeline", "--owner", "zed"], "--owner zed: no such owner; known: alice, bob"),
        (["list", "--stage", "won"], "--stage won: no such stage"),
        (["list", "--closing-before", "soon"], "--closing-before: `soon` is not a date"),
        (["forecast", "--today", "2026-13-01"], "--today: `2026-13-01` is not a date"),
    ],
)
def test_bad_options_are_clear_errors(run, crm, args, message):
    result = run([*args, "--root", str(crm)])
    assert result.exit_code == 2
    assert message in result.output


# --- tables: golden files (COLUMNS=100, NO_COLOR) ------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("list.txt", ["list"]),
        ("list-open-by-weighted.txt", ["list", "--open", "--sort", "weighted"]),
        ("pipeline.txt", ["pipeline"]),
        ("forecast.txt", ["forecast", "--periods", "3"]),
        ("forecast-quarter.txt", ["forecast", "--by", "quarter", "--periods", "2"]),
        ("attention.txt", ["attention"]),
        ("show.txt", ["show", "acme-scanners"]),
        ("show-problems.txt", ["show", "globex-service"]),
    ],
)
def test_table_output_matches_golden_file(run, crm, golden, name, args):
    golden(name, report(run, crm, *args, fmt="table"))


def test_tables_fit_the_width(run, crm):
    for args in (["list"], ["attention"], ["show", "acme-scanners"]):
        result = run([*args, "--root", str(crm), "--today", "2026-11-28"], env={"COLUMNS": "80"})
        assert max(len(line) for line in result.output.splitlines()) <= 80, args


def test_colour_only_when_forced_and_never_with_no_color(run, crm):
    args = ["attention", "--root", str(crm), "--today", "2026-11-28"]
    assert "\x1b[" not in run(args).output
    assert "\x1b[" in run(args, env={"NO_COLOR": "", "FORCE_COLOR": "1"}).output
    assert "\x1b[" not in run(args, env={"NO_COLOR": "1", "FORCE_COLOR": "1"}).output


def test_empty_results(run, make_repo):
    root = make_repo()
    assert report(run, root, "list", fmt="table") == "no opportunities match\n"
    assert (
        report(run, root, "attention", fmt="table") == "nothing needs attention on Nov 28, 2026\n"
    )
    doc = report(run, root, "pipeline")
    assert doc["open"] == {"count": 0, "expected": usd("0.00"), "weighted": usd("0.00")}


# --- several currencies ---------------------------------------------------------------------

EUR_DEAL = """\
---
title: Acme Corp - Lyon site
account: acme-corp
owner: alice
stage: qualification
close_date: 2026-12-10
amount: 10000
currency: EUR
follow_up: 2026-12-01
activities:
  - {date: 2026-11-26, type: call, summary: Scoping}
---
"""


def test_several_currencies_without_rates_are_not_converted(run, make_repo):
    root = make_repo({**REPORT_FILES, "opportunities/acme-lyon.md": EUR_DEAL})
    doc = report(run, root, "pipeline")
    qual = next(s for s in doc["stages"] if s["key"] == "qualification")
    assert qual["count"] == 2
    assert qual["expected"] == {
        "amounts": {"USD": "5000.50", "EUR": "10000.00"},
        "reporting_currency": "USD",
        "converted": None,
    }
    assert qual["weighted"]["amounts"] == {"USD": "1250.13", "EUR": "2500.00"}
    assert doc["open"]["expected"]["converted"] is None
    table = report(run, root, "pipeline", fmt="table")
    assert "not converted to USD: no rate for EUR in textcrm.yaml (rates:)" in table
    assert "€10,000.00" in table
    rows = list(csv.DictReader(io.StringIO(report(run, root, "pipeline", fmt="csv"))))
    assert [
        (r["basis"], r["currency"], r["expected"]) for r in rows if r["stage"] == "qualification"
    ] == [("native", "USD", "5000.50"), ("native", "EUR", "10000.00")]


def test_several_currencies_with_rates_are_also_converted(run, make_repo):
    from conftest import DEFAULT_CONFIG

    root = make_repo(
        {**REPORT_FILES, "opportunities/acme-lyon.md": EUR_DEAL},
        config=DEFAULT_CONFIG + "rates: {EUR: 1.085}\n",
    )
    doc = report(run, root, "pipeline")
    assert doc["rates"] == {"EUR": "1.085"}
    qual = next(s for s in doc["stages"] if s["key"] == "qualification")
    # 10000.00 EUR x 1.085 = 10850.00 USD; + 5000.50 = 15850.50.
    assert qual["expected"]["converted"] == "15850.50"
    # 2500.00 EUR x 1.085 = 2712.50; + 1250.13 = 3962.63.
    assert qual["weighted"]["converted"] == "3962.63"
    assert doc["open"]["expected"] == {
        "amounts": {"USD": "38350.50", "EUR": "10000.00"},
        "reporting_currency": "USD",
        "converted": "49200.50",
    }
    table = report(run, root, "pipeline", fmt="table")
    assert "≈ converted to USD at the rates in textcrm.yaml: 1 EUR = 1.085 USD." in table
    assert "≈ $49,200.50" in table
    rows = list(csv.DictReader(io.StringIO(report(run, root, "pipeline", fmt="csv"))))
    assert [
        (r["basis"], r["currency"], r["expected"], r["weighted"])
        for r in rows
        if r["stage"] == "open-total"
    ] == [
        ("native", "USD", "38350.50", "24760.13"),
        ("native", "EUR", "10000.00", "2500.00"),
        ("converted", "USD", "49200.50", "27472.63"),
    ]
    forecast = report(run, root, "forecast", "--periods", "2")
    dec = forecast["periods"][1]
    assert dec["categories"]["pipeline"]["expected"]["amounts"] == {"EUR": "10000.00"}
    assert dec["categories"]["pipeline"]["expected"]["converted"] == "10850.00"
    rows = list(
        csv.DictReader(io.StringIO(report(run, root, "forecast", "--periods", "2", fmt="csv")))
    )
    # A cell holding only euros is converted too, and says so.
    assert [
        (r["basis"], r["currency"], r["expected"])
        for r in rows
        if r["period"] == "2026-12" and r["category"] == "pipeline"
    ] == [("native", "EUR", "10000.00"), ("converted", "USD", "10850.00")]
    golden_list = report(run, root, "list", "--open", fmt="table")
    assert "€10,000.00" in golden_list and "≈ $49,200.50" in golden_list


def test_multi_currency_pipeline_table_golden(run, make_repo, golden):
    from conftest import DEFAULT_CONFIG

    root = make_repo(
        {**REPORT_FILES, "opportunities/acme-lyon.md": EUR_DEAL},
        config=DEFAULT_CONFIG + "rates: {EUR: 1.085}\n",
    )
    golden("pipeline-rates.txt", report(run, root, "pipeline", fmt="table"))


def test_reports_still_answer_on_a_broken_file_and_say_so(run, make_repo):
    root = make_repo({**REPORT_FILES, "opportunities/broken.md": "---\ntitle: [unclosed\n---\n"})
    result = run(["pipeline", "--root", str(root), "--today", "2026-11-28", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["open"]["count"] == 4
    assert "warning: 1 error reading the repository" in result.stderr
    assert "Traceback" not in result.output


def test_reports_do_not_load_icalendar_and_check_does_not_load_reports():
    import subprocess
    import sys

    code = (
        "import sys, textcrm.cli, textcrm.reports, textcrm.export; "
        "print(sorted(m for m in ('icalendar', 'babel', 'textcrm.calendar') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = "import sys, textcrm.cli; print('textcrm.reports' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_attention_follow_up_window_is_separate_from_the_quote_window(make_repo):
    from datetime import date

    from textcrm.loader import load
    from textcrm.pipeline import attention

    later = REPORT_FILES["opportunities/acme-scanners.md"].replace(
        "follow_up: 2026-11-28", "follow_up: 2026-12-02"
    )
    root = make_repo({**REPORT_FILES, "opportunities/acme-scanners.md": later})
    repo = load(root, date(2026, 11, 28), run_checks=False).repository
    today = date(2026, 11, 28)

    def kinds(**kw):
        return [
            (a.kind, a.opportunity)
            for a in attention(repo, today, **kw)
            if a.opportunity == "acme-scanners"
        ]

    # The default (the site's dashboard) lists follow-ups due within the window ...
    assert kinds() == [("follow-up-due", "acme-scanners"), ("quote-expiring", "acme-scanners")]
    # ... the terminal report only those due today, keeping quotes due within 7 days.
    assert kinds(follow_up_window=0) == [("quote-expiring", "acme-scanners")]
