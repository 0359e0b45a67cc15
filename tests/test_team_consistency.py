"""A team's daily use: text cut by a comma, backfilled deals, advice that satisfies every rule,
one lookup and one did-you-mean, --today for quotes, one money format for people and one JSON
shape for tools. Real repositories, real git, the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import GOOD_OPPORTUNITY, git

TODAY = "2026-11-28"
ENV = {"TEXTCRM_TODAY": TODAY, "NO_COLOR": "1"}


def committed(make_repo, run, tmp_path, files, config=None) -> Path:
    """A CRM repository in git with `files` committed and the hook installed."""
    root = make_repo(files, config=config, root=tmp_path / "team")
    git(root, "init", "-q", "-b", "main")
    assert run(["hook", "install"], cwd=root).exit_code == 0
    git(root, "add", "-A")
    first = git(root, "commit", "-q", "-m", "first", env=ENV, check=False)
    assert first.returncode == 0, first.stderr
    return root


# --- 5. an unquoted comma in a flow mapping -----------------------------------------------

COMMA = GOOD_OPPORTUNITY.replace(
    "  - {date: 2026-11-24, type: call, contact: jane-doe, summary: Walked through pricing}",
    "  - {date: 2026-11-24, type: call, contact: jane-doe, summary: Walked through pricing}\n"
    "  - {date: 2026-11-27, type: call, summary: Discussed price, wants 5% off}",
)


def test_unquoted_comma_is_an_error_with_the_quoted_fix(make_repo, run):
    root = make_repo({"opportunities/acme.md": COMMA})
    result = run(["check", "--today", TODAY, "--no-cache"], cwd=root)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "opportunities/acme.md:10:62: error: the comma after `Discussed price` ends `summary`, "
        "and `wants 5% off` reads as a key of its own; quote the text: "
        'summary: "Discussed price, wants 5% off" [unquoted-comma]'
    )
    # Not reported a second time as an unknown field with the wrong advice.
    assert "unknown-field" not in result.output and "x-" not in result.output
    # Column 62 is the key the comma split off.
    assert COMMA.splitlines()[9][61:73] == "wants 5% off"


def test_the_quoted_fix_is_clean_and_keeps_the_whole_summary(make_repo, run):
    fixed = COMMA.replace(
        "summary: Discussed price, wants 5% off}", 'summary: "Discussed price, wants 5% off"}'
    )
    root = make_repo({"opportunities/acme.md": fixed})
    assert run(["check", "--today", TODAY, "--no-cache"], cwd=root).exit_code == 0
    shown = json.loads(run(["show", "acme", "--format", "json", "--today", TODAY], cwd=root).output)
    assert shown["opportunity"]["activities"][1]["summary"] == "Discussed price, wants 5% off"


def test_comma_that_is_not_cut_text_is_left_alone(make_repo, run):
    # A key with an explicit (empty) value, or after a quoted text, is not a cut.
    files = {
        "opportunities/acme.md": COMMA.replace(
            "summary: Discussed price, wants 5% off}", 'summary: "Discussed price", x-note: }'
        )
    }
    root = make_repo(files)
    result = run(["check", "--today", TODAY, "--no-cache"], cwd=root)
    assert result.exit_code == 0, result.output
    # After a date, quoting is not the fix: the bare key stays an unknown field.
    dated = COMMA.replace(
        "- {date: 2026-11-27, type: call, summary: Discussed price, wants 5% off}",
        "- {type: call, date: 2026-11-27, urgent}",
    )
    root = make_repo({"opportunities/acme.md": dated})
    result = run(["check", "--today", TODAY, "--no-cache"], cwd=root)
    assert result.exit_code == 0, result.output
    assert "[unknown-field]" in result.output and "unquoted-comma" not in result.output


def test_the_hook_refuses_a_commit_with_cut_text(make_repo, run, tmp_path):
    root = committed(make_repo, run, tmp_path, {"opportunities/acme.md": GOOD_OPPORTUNITY})
    (root / "opportunities/acme.md").write_text(COMMA, encoding="utf-8")
    git(root, "add", "-A")
    proc = git(root, "commit", "-q", "-m", "log the call", env=ENV, check=False)
    assert proc.returncode == 1
    assert "[unquoted-comma]" in proc.stderr
    assert 'quote the text: summary: "Discussed price, wants 5% off"' in proc.stderr
    assert git(root, "log", "--format=%s").stdout == "first\n"


# --- 6. backfilled deals --------------------------------------------------------------------

WON_CONFIG_FILES = {
    "opportunities/acme-real.md": GOOD_OPPORTUNITY.replace(
        "stage: prospecting", "stage: closed-won"
    ).replace("close_date: 2026-12-19", "close_date: 2026-11-20\ncreated: 2026-10-21"),
}


def test_new_won_deal_with_a_past_close_date_is_created_on_that_date(make_repo, run):
    root = make_repo()
    result = run(
        [
            "new",
            "opportunity",
            "Old win",
            "--account",
            "acme-corp",
            "--owner",
            "alice",
            "--stage",
            "closed-won",
            "--close-date",
            "2026-06-30",
            "--amount",
            "5000",
            "--today",
            TODAY,
        ],
        cwd=root,
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "opportunities/acme-corp-old-win.md: new opportunity acme-corp-old-win\n"
        "  note: created set to the close date 2026-06-30; give --created for the day the deal "
        "was opened\n"
    )
    text = (root / "opportunities/acme-corp-old-win.md").read_text()
    assert "close_date: 2026-06-30\n" in text and "created: 2026-06-30\n" in text


def test_new_won_deal_takes_created_when_given(make_repo, run):
    root = make_repo()
    args = ["new", "opportunity", "Old win", "--account", "acme-corp", "--owner", "alice"]
    args += ["--stage", "closed-won", "--close-date", "2026-06-30", "--amount", "5000"]
    ok = run([*args, "--created", "2026-03-02", "--today", TODAY], cwd=root)
    assert ok.exit_code == 0, ok.output
    assert "created: 2026-03-02\n" in (root / "opportunities/acme-corp-old-win.md").read_text()
    # An open deal is still created today.
    fresh = ["new", "opportunity", "Fresh", "--account", "acme-corp", "--owner", "alice"]
    run([*fresh, "--amount", "100", "--today", TODAY], cwd=root)
    assert "created: 2026-11-28\n" in (root / "opportunities/acme-corp-fresh.md").read_text()


def test_created_after_close_date_is_refused_by_new(make_repo, run):
    root = make_repo()
    args = ["new", "opportunity", "Old win", "--account", "acme-corp", "--owner", "alice"]
    args += ["--stage", "closed-won", "--close-date", "2026-06-30", "--amount", "5000"]
    result = run([*args, "--created", "2026-07-01", "--today", TODAY], cwd=root)
    assert result.exit_code == 1
    assert (
        "opportunities/acme-corp-old-win.md:8:1: error: created 2026-07-01 is after close_date "
        "2026-06-30: a deal cannot close before it is created; set created to the day the deal "
        "was opened (on or before 2026-06-30) [created-after-close]"
    ) in result.output
    assert not (root / "opportunities/acme-corp-old-win.md").exists()


def test_sales_cycle_ignores_impossible_dates_and_problems_page_lists_them(
    make_repo, run, tmp_path
):
    backfilled = GOOD_OPPORTUNITY.replace("stage: prospecting", "stage: closed-won").replace(
        "close_date: 2026-12-19", "close_date: 2026-06-30\ncreated: 2026-11-28"
    )
    files = {**WON_CONFIG_FILES, "opportunities/acme-backfilled.md": backfilled}
    root = make_repo(files)
    check = run(["check", "--today", TODAY, "--no-cache"], cwd=root)
    assert check.exit_code == 1
    assert (
        "opportunities/acme-backfilled.md:7:1: error: created 2026-11-28 is after close_date "
        "2026-06-30"
    ) in check.output
    out = tmp_path / "site"
    built = run(["build", "-o", str(out), "--today", TODAY, "--no-cache"], cwd=root)
    assert built.exit_code == 0, built.output
    doc = json.loads((out / "pipeline.json").read_text())
    # Only acme-real counts: 2026-10-21 to 2026-11-20 is 30 days; the backfilled deal's
    # -151 days would have made the average -60.5.
    assert doc["key_figures"]["average_cycle_days"] == "30"
    assert doc["key_figures"]["won_count"] == 1  # this quarter: the backfilled one is June's
    dashboard = (out / "index.html").read_text()
    assert re.search(r"Average sales cycle</span>\s*<span[^>]*>30 days<", dashboard), dashboard
    problems = (out / "problems.html").read_text()
    assert "created-after-close" in problems and "acme-backfilled" in problems


def test_the_history_cycle_leaves_out_impossible_dates(make_repo, run, tmp_path):
    backfilled = GOOD_OPPORTUNITY.replace("stage: prospecting", "stage: closed-won").replace(
        "close_date: 2026-12-19", "close_date: 2026-06-30\ncreated: 2027-01-05"
    )
    root = committed(make_repo, run, tmp_path, {"opportunities/acme.md": GOOD_OPPORTUNITY})
    (root / "opportunities/acme.md").write_text(backfilled)
    git(root, "commit", "-q", "-a", "--no-verify", "-m", "won", env=ENV)
    result = run(["history", "acme", "--today", TODAY], cwd=root)
    assert result.exit_code == 0, result.output
    assert re.search(
        r"^sales cycle: not counted, created Jan 5, 2027 is after it closed on \w+ \d+, \d{4}$",
        result.output,
        re.M,
    ), result.output


# --- 7. advice within the horizon -------------------------------------------------------------


@pytest.fixture
def horizon_repo(make_repo):
    from conftest import DEFAULT_CONFIG

    stale = GOOD_OPPORTUNITY.replace("date: 2026-11-24", "date: 2026-11-02")
    return make_repo(
        {"opportunities/acme.md": stale},
        config=DEFAULT_CONFIG + "follow_up_horizon_days: 30\n",
    )


def _problems(run, root, today=TODAY) -> list[dict[str, object]]:
    result = run(["check", "--format", "json", "--today", today, "--no-cache"], cwd=root)
    return json.loads(result.output)["problems"]


def test_stale_advice_names_a_range_within_the_horizon(horizon_repo, run):
    (stale,) = _problems(run, horizon_repo)
    assert stale["rule"] == "stale"
    assert str(stale["message"]).endswith(
        "or set follow_up to a date from 2026-11-28 to 2026-12-28"
    )


@pytest.mark.parametrize("day", ["2026-11-28", "2026-12-12", "2026-12-28"])
def test_following_the_stale_advice_makes_check_clean(horizon_repo, run, day):
    result = run(["set", "acme", "follow_up", day, "--today", TODAY], cwd=horizon_repo)
    assert result.exit_code == 0, result.output
    assert _problems(run, horizon_repo) == []


def test_a_follow_up_past_the_named_range_is_still_stale(horizon_repo, run):
    # The range is exact: one day later is refused as beyond the horizon.
    result = run(["set", "acme", "follow_up", "2026-12-29", "--today", TODAY], cwd=horizon_repo)
    assert result.exit_code == 1
    assert "follow_up 2026-12-29 is beyond the 30-day horizon" in result.output


def test_overdue_follow_up_advice_is_within_the_horizon(make_repo, run):
    from conftest import DEFAULT_CONFIG

    overdue = GOOD_OPPORTUNITY.replace("amount: 48000", "amount: 48000\nfollow_up: 2026-11-27")
    root = make_repo(
        {"opportunities/acme.md": overdue},
        config=DEFAULT_CONFIG + "follow_up_horizon_days: 10\n",
    )
    (warning,) = _problems(run, root)
    assert warning["rule"] == "follow-up-overdue"
    assert str(warning["message"]).endswith(
        "or set follow_up to a date from 2026-11-28 to 2026-12-08"
    )
    assert (
        run(["set", "acme", "follow_up", "2026-12-08", "--today", TODAY], cwd=root).exit_code == 0
    )
    assert _problems(run, root) == []


def test_stage_gate_and_expired_quote_advice_satisfy_the_rules(make_repo, run):
    quoted = GOOD_OPPORTUNITY.replace(
        "amount: 48000",
        "line_items: [{sku: SCN-200, quantity: 2, unit_price: 1100}]\n"
        "contacts: [{contact: jane-doe}]\n"
        "quote: {number: Q-1, date: 2026-11-01, valid_until: 2026-11-27}",
    )
    root = make_repo({"opportunities/acme.md": quoted})
    (expired,) = _problems(run, root)
    assert expired["message"] == (
        "quote Q-1 expired on 2026-11-27; send a new quote and set valid_until to a date on or "
        "after 2026-11-28"
    )
    text = (root / "opportunities/acme.md").read_text()
    (root / "opportunities/acme.md").write_text(text.replace("2026-11-27}", "2026-11-28}"))
    assert _problems(run, root) == []


# --- 8. one lookup, did-you-mean, --today, money, JSON, plurals -----------------------------


@pytest.fixture
def history_repo(make_repo, run, tmp_path):
    files = {
        "opportunities/acme-scanners.md": GOOD_OPPORTUNITY,
        "opportunities/globex-robots.md": GOOD_OPPORTUNITY.replace(
            "title: Acme Corp - warehouse scanners", "title: Globex - yard robots"
        ).replace("account: acme-corp", "account: globex-inc"),
    }
    root = committed(make_repo, run, tmp_path, files)
    doc = root / "opportunities/acme-scanners.md"
    doc.write_text(doc.read_text().replace("amount: 48000", "amount: 120452"))
    git(root, "commit", "-q", "-a", "-m", "bigger", env=ENV)
    return root


@pytest.mark.parametrize(
    "name", ["acme-scanners", "acme", "warehouse SCANNERS", "opportunities/acme-scanners.md"]
)
def test_history_takes_every_name_other_commands_take(history_repo, run, name):
    result = run(["history", name, "--today", TODAY], cwd=history_repo)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "acme-scanners: Acme Corp - warehouse scanners (opportunities/acme-scanners.md)"
    )


def test_history_of_an_unknown_name_suggests_one(history_repo, run):
    result = run(["history", "acme-scaners", "--today", TODAY], cwd=history_repo)
    assert result.exit_code == 2
    assert result.output == (
        "textcrm: error: no opportunity `acme-scaners` in the git history of this CRM; "
        "did you mean `acme-scanners`?\n"
    )
    ambiguous = run(["history", "o", "--today", TODAY], cwd=history_repo)
    assert ambiguous.exit_code == 2


def test_history_and_changes_write_money_in_the_repository_locale(history_repo, run):
    config = history_repo / "textcrm.yaml"
    config.write_text(config.read_text().replace("currency: USD", "currency: EUR\nlocale: de_DE"))
    for name in ("acme-scanners", "globex-robots"):
        path = history_repo / "opportunities" / f"{name}.md"
        path.write_text(path.read_text().replace("owner: alice", "owner: alice\ncurrency: EUR"))
    git(history_repo, "commit", "-q", "-a", "-m", "euros", env=ENV)
    history = run(["history", "acme", "--today", TODAY], cwd=history_repo)
    assert history.exit_code == 0, history.output
    assert "expected: 48.000,00\xa0$ -> 120.452,00\xa0$" in history.output
    assert "expected: 120.452,00\xa0$ -> 120.452,00\xa0€" in history.output
    assert "EUR 120,452.00" not in history.output
    changes = run(["changes", "--since", "2026-01-01", "--today", TODAY], cwd=history_repo)
    assert changes.exit_code == 0, changes.output
    assert "120.452,00\xa0€" in changes.output
    assert "EUR 120" not in changes.output and "120,452" not in changes.output
    as_json = run(["history", "acme", "--format", "json", "--today", TODAY], cwd=history_repo)
    last = json.loads(as_json.output)["events"][-1]["changes"]
    assert {
        "field": "expected",
        "old": {"amount": "120452.00", "currency": "USD"},
        "new": {"amount": "120452.00", "currency": "EUR"},
    } in last


def test_changes_owner_has_a_did_you_mean(history_repo, run):
    result = run(["changes", "--since", "2026-01-01", "--owner", "alcie"], cwd=history_repo)
    assert result.exit_code == 2
    assert "--owner alcie: no such owner; did you mean `alice`?" in result.output


def test_account_option_has_a_did_you_mean(make_repo, run):
    root = make_repo(
        {
            "accounts/northgate-logistics.md": "---\nname: Northgate Logistics\n---\n",
            "opportunities/acme.md": GOOD_OPPORTUNITY,
        }
    )
    listed = run(["list", "--account", "northgate", "--today", TODAY], cwd=root)
    assert listed.exit_code == 2
    assert (
        "--account northgate: no such account; did you mean `northgate-logistics`?" in listed.output
    )
    new = ["new", "opportunity", "Trucks", "--account", "northgate", "--owner", "alice"]
    created = run([*new, "--amount", "10", "--today", TODAY], cwd=root)
    assert "did you mean `northgate-logistics`?" in created.output
    owner = run(["pipeline", "--owner", "alcie", "--today", TODAY], cwd=root)
    assert "--owner alcie: no such owner; did you mean `alice`?" in owner.output


QUOTED = GOOD_OPPORTUNITY.replace(
    "amount: 48000",
    "line_items: [{sku: SCN-200, quantity: 2, unit_price: 1100}]\n"
    "contacts: [{contact: jane-doe, primary: true}]\n"
    "quote: {number: Q-7, date: 2026-11-01, valid_until: 2026-11-30}",
)


def test_quote_takes_today_and_warns_on_an_expired_quote(make_repo, run, tmp_path):
    from quote_support import LOGO, QUOTE_CONFIG

    root = make_repo({"opportunities/acme.md": QUOTED, "logo.svg": LOGO}, config=QUOTE_CONFIG)
    out = tmp_path / "out"
    out.mkdir()
    fresh = run(["quote", "acme", "-o", str(out), "--today", "2026-11-30"], cwd=root)
    assert fresh.exit_code == 0, fresh.output
    assert fresh.stderr == ""
    assert fresh.stdout.endswith("quote Q-7, 1 line, total $2,200.00\n")
    late = run(["quote", "acme", "-o", str(out), "--today", "2026-12-01"], cwd=root)
    assert late.exit_code == 0, late.output
    assert late.stderr == (
        "textcrm: warning: quote Q-7 expired on 2026-11-30; send a new quote and set "
        "valid_until to a date on or after 2026-12-01 (today is 2026-12-01)\n"
    )


def test_one_json_shape_for_the_same_figures(make_repo, run, tmp_path):
    # Whole amounts: a Decimal's own text would be "39150", the minor-unit string "39150.00".
    deal = GOOD_OPPORTUNITY.replace("amount: 48000", "amount: 39150\nprobability: 40")
    other = GOOD_OPPORTUNITY.replace("amount: 48000", "amount: 850").replace(
        "title: Acme Corp - warehouse scanners", "title: Acme Corp - spare parts"
    )
    root = make_repo({"opportunities/acme.md": deal, "opportunities/acme-parts.md": other})
    out = tmp_path / "site"
    assert run(["build", "-o", str(out), "--today", TODAY, "--no-cache"], cwd=root).exit_code == 0
    site = json.loads((out / "pipeline.json").read_text())

    def cli(*args: str) -> dict:
        result = run([*args, "--today", TODAY], cwd=root)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    report = cli("pipeline", "--format", "json")
    shown = cli("show", "acme", "--format", "json")["opportunity"]
    exported = {r["id"]: r for r in cli("export", "--format", "json")["records"]}
    listed = {o["id"]: o for o in site["opportunities"]}

    stage_site = next(s for s in site["stages"] if s["key"] == "prospecting")
    stage_report = next(s for s in report["stages"] if s["key"] == "prospecting")
    assert (
        stage_site["expected"]
        == stage_report["expected"]
        == {
            "amounts": {"USD": "40000.00"},
            "reporting_currency": "USD",
            "converted": "40000.00",
        }
    )
    assert stage_site["weighted"] == stage_report["weighted"]
    assert site["key_figures"]["pipeline"] == report["open"]["expected"]
    for field, value in (("expected", "39150.00"), ("weighted", "15660.00")):
        assert listed["acme"][field] == shown[field] == exported["acme"][field] == value
    assert shown["amount"] == exported["acme"]["amount"] == "39150.00"
    # A missing value is null in every output, never "".
    assert shown["next_step"] is None and exported["acme"]["next_step"] is None
    assert exported["acme"]["follow_up"] is None and shown["follow_up"] is None
    activity = cli("export", "--kind", "activities", "--format", "json")["records"][0]
    assert activity["owner"] == "alice" and activity["contact"] == "jane-doe"
    texts = [
        (out / "pipeline.json").read_text(),
        *(
            run([*a, "--today", TODAY], cwd=root).output
            for a in (
                ["pipeline", "--format", "json"],
                ["show", "acme", "--format", "json"],
                ["export", "--format", "json"],
                ["export", "--kind", "contacts", "--format", "json"],
            )
        ),
    ]
    for text in texts:
        assert '""' not in text
        # Every amount has its two decimals: no whole-number money string is left.
        assert not re.search(r'"(expected|weighted|amount|converted|USD)": "\d+"', text), text


def test_plurals_are_right(make_repo, run, tmp_path):
    from textcrm.plural import counted

    assert [counted(1, "deal"), counted(0, "deal"), counted(2, "opportunity")] == [
        "1 deal",
        "0 deals",
        "2 opportunities",
    ]
    assert [counted("1", "day"), counted("1.5", "day"), counted("+1", "day")] == [
        "1 day",
        "1.5 days",
        "+1 day",
    ]
    broken = GOOD_OPPORTUNITY.replace("close_date: 2026-12-19", "close_date: 2026-11-01")
    root = make_repo({"opportunities/acme.md": broken})
    built = run(["build", "-o", str(tmp_path / "site"), "--today", TODAY], cwd=root)
    assert built.output.endswith("; 1 error, 0 warnings\n"), built.output
    assert "1 errors" not in built.output
    listed = run(["list", "--today", TODAY], cwd=root)
    assert "warning: 1 error reading" not in listed.output  # checks do not run for list
    site = (tmp_path / "site" / "opportunities.html").read_text()
    assert "1 opportunity;" in site
    dashboard = (tmp_path / "site" / "index.html").read_text()
    assert "0 deals" in dashboard and "1 deals" not in dashboard
