"""Whatever `check` accepts, every command handles; what it refuses, it names once.

One test per value that used to pass `check` and then crash another command, and one per kind
of sub-record with a bad field: that field is one problem, and the other rules still run on
the rest of the sub-record.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import DEFAULT_CONFIG, GOOD_OPPORTUNITY
from quote_support import COMPANY, LOGO, QUOTE_CONFIG
from textcrm.money import MAX_INTEGER_DIGITS, digits_problem, line_total
from textcrm.schema import EARLIEST_DATE, LATEST_DATE, MAX_DAYS

TODAY = "2026-11-28"


def problems(run, root: Path) -> list[tuple[str, int, str, str]]:
    """(path, line, rule, message) of every problem `check` reports."""
    result = run(["check", "--format", "json", "--today", TODAY, "--no-cache"], cwd=root)
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.output)
    return [(p["path"], p["line"], p["rule"], p["message"]) for p in doc["problems"]]


def opportunity(fields: str, stage: str = "prospecting", created: str | None = "2026-11-25") -> str:
    """An opportunity with the given extra YAML lines (line 7 onwards)."""
    return (
        "---\ntitle: Acme Corp - scanners\naccount: acme-corp\nowner: alice\n"
        f"stage: {stage}\nclose_date: 2026-12-19\n{fields}"
        + (f"created: {created}\n" if created else "")
        + "---\nNotes.\n"
    )


READ_ONLY = (
    ["list"],
    ["pipeline"],
    ["forecast"],
    ["attention"],
    ["export", "--format", "csv"],
    ["export", "--format", "json"],
    ["calendar"],
    ["stages"],
)


def run_all(run, root: Path, tmp_path: Path, opp: str = "acme") -> dict[str, int]:
    """Every read-only command on `root`: their exit codes (a traceback fails the test)."""
    codes = {}
    for args in READ_ONLY:
        extra = [] if args == ["stages"] else ["--today", TODAY]
        codes[" ".join(args)] = run([*args, *extra], cwd=root).exit_code
    codes["show"] = run(["show", opp, "--today", TODAY], cwd=root).exit_code
    site = tmp_path / "site"
    codes["build"] = run(["build", "-o", str(site), "--today", TODAY], cwd=root).exit_code
    quote = tmp_path / "quote.html"
    codes["quote"] = run(["quote", opp, "-o", str(quote)], cwd=root).exit_code
    return codes


# --- values `check` used to accept --------------------------------------------------------


def test_a_date_past_the_range_is_refused_and_build_and_calendar_still_work(
    make_repo, run, tmp_path
):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]\n"
                "quote: {number: Q-1, date: 2026-11-20, valid_until: 9999-12-31}\n"
            )
        }
    )
    assert problems(run, root) == [
        (
            "opportunities/acme.md",
            8,
            "invalid-value",
            f"valid_until: 9999-12-31 is outside {EARLIEST_DATE} to {LATEST_DATE}",
        )
    ]
    codes = run_all(run, root, tmp_path)
    assert codes["build"] == 0 and codes["calendar"] == 0
    assert codes["quote"] == 1  # the quote has no valid_until: it cannot be issued


def test_the_last_accepted_date_builds_and_goes_in_the_calendar(make_repo, run, tmp_path):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]\n"
                f"quote: {{number: Q-1, date: 2026-11-20, valid_until: {LATEST_DATE}}}\n"
                f"follow_up: {LATEST_DATE}\n"
            ).replace("close_date: 2026-12-19", f"close_date: {LATEST_DATE}")
        },
        config=DEFAULT_CONFIG + f"follow_up_horizon_days: {MAX_DAYS}\n",
    )
    assert problems(run, root) == []
    calendar = run(["calendar", "--today", TODAY], cwd=root)
    assert calendar.exit_code == 0
    assert "DTEND;VALUE=DATE:22010101" in calendar.output
    assert run(["build", "-o", str(tmp_path / "s"), "--today", TODAY], cwd=root).exit_code == 0


def test_today_outside_the_range_is_a_usage_error(make_repo, run):
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    result = run(["check", "--today", "9999-12-31"], cwd=root)
    assert result.exit_code == 2
    assert f"--today: 9999-12-31 is outside {EARLIEST_DATE} to {LATEST_DATE}" in result.output


@pytest.mark.parametrize("written", ["en-US", "en_us", "EN-us"])
def test_locale_en_us_is_read_as_en_US_by_every_command(make_repo, run, tmp_path, written):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "line_items: [{sku: SCN-200, quantity: 2, unit_price: 1100}]\n"
                "quote: {number: Q-1, date: 2026-11-20, valid_until: 2026-12-31}\n"
            ),
            "logo.svg": LOGO,
        },
        config=QUOTE_CONFIG + f"locale: {written}\n",
    )
    assert problems(run, root) == []
    codes = run_all(run, root, tmp_path)
    assert codes == dict.fromkeys(codes, 0)
    assert "$2,200.00" in run(["list", "--today", TODAY], cwd=root).output
    assert "$2,200.00" in (tmp_path / "quote.html").read_text(encoding="utf-8")


def test_an_unknown_locale_is_one_problem_naming_the_accepted_form(make_repo, run):
    root = make_repo(
        {"opportunities/acme.md": GOOD_OPPORTUNITY}, config=DEFAULT_CONFIG + "locale: english\n"
    )
    result = run(["check", "--today", TODAY], cwd=root)
    assert result.exit_code == 2
    assert (
        "textcrm.yaml:11:1: error: locale: `english` is not a locale Babel knows; write a "
        "language and territory like en_US, de_DE or fr_CH [invalid-value]"
    ) in result.output


def test_a_26_digit_amount_is_refused_and_the_reports_still_work(make_repo, run, tmp_path):
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY.replace("48000", "1" + "2" * 25)})
    assert problems(run, root) == [
        (
            "opportunities/acme.md",
            7,
            "invalid-value",
            f"amount: `1{'2' * 25}` has 26 digits before the point; at most "
            f"{MAX_INTEGER_DIGITS} are allowed",
        )
    ]
    codes = run_all(run, root, tmp_path)
    for command in ("list", "pipeline", "forecast", "build"):
        assert codes[command] == 0, command


def test_the_largest_accepted_numbers_are_computed_exactly(make_repo, run):
    biggest = "9" * MAX_INTEGER_DIGITS + "." + "9" * 10
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                f"line_items: [{{name: Everything, quantity: {biggest}, unit_price: {biggest}}}]\n"
            )
        }
    )
    assert problems(run, root) == []
    result = run(["export", "--kind", "line-items", "--format", "json", "--today", TODAY], cwd=root)
    assert result.exit_code == 0, result.output
    # (10^15 - 10^-10)^2 = 10^30 - 2 x 10^5 + 10^-20, rounded to cents.
    assert json.loads(result.output)["records"][0]["total"] == "999999999999999999999999800000.00"


def test_line_totals_are_rounded_once():
    # The exact product is 33690211295869.34499999999999866702: with 28 significant digits it
    # was first rounded to ...869.3450000000000, then to ...869.35.
    quantity, price = Decimal("1.2356790331"), Decimal("27264532611959.3482968842")
    assert line_total(quantity, price, None, "USD") == (
        Decimal("33690211295869.34"),
        Decimal("0.00"),
        Decimal("33690211295869.34"),
    )


def test_a_quote_line_of_a_million_prints_its_own_price(make_repo, run, tmp_path):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "line_items: [{name: Plant, quantity: 1, unit_price: 1234567.89}]\n"
                "quote: {number: Q-1, date: 2026-11-20, valid_until: 2026-12-31}\n"
            ),
            "logo.svg": LOGO,
        },
        config=DEFAULT_CONFIG + COMPANY,
    )
    out = tmp_path / "q.html"
    assert run(["quote", "acme", "-o", str(out)], cwd=root).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert html.count("$1,234,567.89") >= 3  # unit price, line total, total
    assert "1,234,567.90" not in html


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1" + "0" * 15, "has 16 digits before the point; at most 15 are allowed"),
        ("0.12345678901", "has 11 decimals; at most 10 are allowed"),
        ("1.50000000000000", None),
        ("999999999999999.9999999999", None),
        ("0", None),
    ],
)
def test_digit_limits(text, problem):
    assert digits_problem(Decimal(text)) == problem


def test_an_out_of_range_horizon_stops_every_command_with_its_message(make_repo, run, tmp_path):
    root = make_repo(
        {
            "opportunities/acme.md": GOOD_OPPORTUNITY.replace(
                "amount", "follow_up: 2026-12-01\namount"
            )
        },
        config=DEFAULT_CONFIG + "follow_up_horizon_days: 99999999\n",
    )
    message = (
        f"textcrm.yaml:11:1: error: follow_up_horizon_days: 99999999 is more than {MAX_DAYS:,} "
        "[invalid-value]"
    )
    for args in (
        ["check"],
        ["log", "acme", "--type", "call", "--summary", "Called"],
        ["build", "-o", str(tmp_path / "site")],
        ["quote", "acme", "-o", str(tmp_path / "q.html")],
    ):
        result = run([*args, "--today", TODAY] if args[0] != "quote" else args, cwd=root)
        assert result.exit_code == 2, args
        assert message in result.output, args
    assert "Called" not in (root / "opportunities/acme.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("9" * 5000, f"employees: {'9' * 27}... is more than 1,000,000,000"),
        ("-" + "9" * 5000, f"employees: -{'9' * 26}... is less than 0"),
        ("1000000001", "employees: 1000000001 is more than 1,000,000,000"),
    ],
)
def test_a_huge_whole_number_is_refused_not_converted(make_repo, run, written, message):
    root = make_repo(
        {
            "accounts/acme-corp.md": f"---\nname: Acme Corp\nemployees: {written}\n---\n",
            "opportunities/acme.md": GOOD_OPPORTUNITY,
        }
    )
    assert problems(run, root) == [("accounts/acme-corp.md", 3, "invalid-value", message)]


def test_front_matter_that_is_only_a_tag_is_one_problem(make_repo, run, tmp_path):
    root = make_repo(
        {
            "opportunities/acme.md": GOOD_OPPORTUNITY,
            "opportunities/tagged.md": "---\n!!set {a, b}\n---\n",
            "accounts/tagged.md": "---\n!!omap [a: 1]\n---\n",
        }
    )
    found = problems(run, root)
    assert [(p, line, rule) for p, line, rule, _ in found] == [
        ("accounts/tagged.md", 1, "front-matter-missing"),
        ("opportunities/tagged.md", 2, "yaml-syntax"),
    ]
    assert found[1][3] == (
        "unknown YAML tag `!!set`; textcrm reads plain YAML only (nothing is executed)"
    )
    codes = run_all(run, root, tmp_path)
    assert set(codes.values()) <= {0, 1}, codes


def test_a_tagged_textcrm_yaml_is_a_configuration_error(make_repo, run):
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY}, config="!!set {a, b}\n")
    result = run(["check", "--today", TODAY], cwd=root)
    assert result.exit_code == 2
    assert "textcrm.yaml:1:1: error: unknown YAML tag `!!set`" in result.output


# --- one bad field is one problem ---------------------------------------------------------


def test_a_quote_without_its_date_is_one_problem_and_the_quote_rules_still_run(
    make_repo, run, tmp_path
):
    fields = (
        "line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]\n"
        "activities: [{date: 2026-11-24, type: call}]\n"
        "quote: {number: Q-1, valid_until: 2026-11-01}\n"
    )
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(fields, stage="negotiation"),
            "opportunities/other.md": opportunity(
                fields.replace(
                    "valid_until: 2026-11-01", "date: 2026-11-20, valid_until: 2026-12-31"
                ),
                stage="negotiation",
            ),
            "logo.svg": LOGO,
        },
        config=QUOTE_CONFIG,
    )
    found = [(p, line, rule) for p, line, rule, _ in problems(run, root)]
    assert found == [
        ("opportunities/acme.md", 9, "duplicate-quote-number"),
        ("opportunities/acme.md", 9, "quote-expired"),
        ("opportunities/acme.md", 9, "missing-field"),
        ("opportunities/other.md", 9, "duplicate-quote-number"),
    ]
    result = run(["quote", "acme", "-o", str(tmp_path / "q.html")], cwd=root)
    assert result.exit_code == 1
    assert "the quote cannot be issued: `date` is missing or invalid" in result.output
    assert not (tmp_path / "q.html").exists()
    codes = run_all(run, root, tmp_path)
    assert set(codes.values()) <= {0, 1}, codes


def test_a_quote_that_is_not_a_mapping_does_not_also_fail_the_gate(make_repo, run):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]\n"
                "activities: [{date: 2026-11-24, type: call}]\nquote: Q-1\n",
                stage="negotiation",
            )
        }
    )
    assert [(line, rule) for _, line, rule, _ in problems(run, root)] == [(9, "invalid-value")]


def test_a_line_item_with_a_bad_quantity_is_one_problem(make_repo, run, tmp_path):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "amount: 1100\n"
                "contacts: [{contact: jane-doe}]\n"
                "activities: [{date: 2026-11-24, type: call}]\n"
                "line_items:\n  - {sku: NOPE-1, quantity: lots}\n",
                stage="proposal",
            )
        }
    )
    # unknown-product still runs on its sku; no stage-gate (line_items is given) and no
    # amount-mismatch (the line's total is unknown until its quantity is fixed).
    found = [(line, rule) for _, line, rule, _ in problems(run, root)]
    assert found == [(11, "unknown-product"), (11, "invalid-value")]
    codes = run_all(run, root, tmp_path)
    assert set(codes.values()) <= {0, 1}, codes


def test_a_custom_line_without_a_price_is_one_problem(make_repo, run, tmp_path):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "amount: 1100\nline_items:\n  - {name: Installation, quantity: 2}\n"
                "quote: {number: Q-1, date: 2026-11-20, valid_until: 2026-12-31}\n"
                "activities: [{date: 2026-11-24, type: call}]\n"
            ),
            "logo.svg": LOGO,
        },
        config=QUOTE_CONFIG,
    )
    found = problems(run, root)
    assert found == [
        (
            "opportunities/acme.md",
            9,
            "missing-field",
            "line item without a sku is a custom line and needs its own `unit_price`",
        )
    ]
    result = run(["quote", "acme", "-o", str(tmp_path / "q.html")], cwd=root)
    assert result.exit_code == 1
    assert "the line item's `unit_price` is missing or invalid" in result.output


def test_a_contact_entry_with_a_bad_field_is_one_problem_and_its_contact_still_checked(
    make_repo, run, tmp_path
):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "line_items: [{sku: SCN-200, quantity: 1}]\n"
                "activities: [{date: 2026-11-24, type: call}]\n"
                "contacts:\n  - {contact: jane-dough, primary: maybe}\n",
                stage="proposal",
            )
        }
    )
    found = problems(run, root)
    assert [(line, rule) for _, line, rule, _ in found] == [
        (10, "unknown-contact"),
        (10, "invalid-value"),
    ]
    assert found[1][3] == "primary: `maybe` is not true or false"
    codes = run_all(run, root, tmp_path)
    assert set(codes.values()) <= {0, 1}, codes


def test_a_contact_entry_without_its_contact_is_one_problem(make_repo, run, tmp_path):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "line_items: [{sku: SCN-200, quantity: 1}]\n"
                "activities: [{date: 2026-11-24, type: call}]\n"
                "contacts:\n  - {role: Champion}\n"
                "competitors:\n  - {status: incumbent}\n"
                "decision_issues:\n  - {status: open, due: 2026-12-05}\n",
                stage="proposal",
            )
        }
    )
    found = [(line, rule) for _, line, rule, _ in problems(run, root)]
    assert found == [(10, "missing-field"), (12, "missing-field"), (14, "missing-field")]
    codes = run_all(run, root, tmp_path)
    assert set(codes.values()) <= {0, 1}, codes


def test_an_activity_with_a_bad_date_is_one_problem_not_also_stale(make_repo, run, tmp_path):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "amount: 100\nactivities:\n  - {date: yesterday, type: call, contact: nobody}\n",
                created=None,
            )
        }
    )
    found = [(line, rule) for _, line, rule, _ in problems(run, root)]
    # unknown-contact still runs on the activity's contact; no `stale` (its date is unknown).
    assert found == [(9, "unknown-contact"), (9, "invalid-value")]
    codes = run_all(run, root, tmp_path)
    assert set(codes.values()) <= {0, 1}, codes


def test_a_missing_required_field_is_not_also_a_gate_problem(make_repo, run):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "amount: 100\nactivities: [{date: 2026-11-24, type: call}]\n",
                stage="closed-lost",
            ).replace("close_date: 2026-12-19\n", "lost_reason: [a, b]\n")
        }
    )
    found = [(line, rule) for _, line, rule, _ in problems(run, root)]
    assert found == [(1, "missing-field"), (6, "invalid-value")]


def test_a_line_of_more_than_28_digits_is_rounded_once_on_every_output(make_repo, run, tmp_path):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "line_items:\n  - {name: Plant, quantity: 1.2356790331, "
                "unit_price: 27264532611959.3482968842}\n"
            )
        }
    )
    assert problems(run, root) == []
    listing = run(["list", "--today", TODAY, "--format", "json"], cwd=root)
    assert '"33690211295869.34"' in listing.output
    assert "33690211295869.35" not in listing.output


def test_a_free_line_shows_a_zero_total(make_repo, run):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "line_items: [{name: Site survey, quantity: 1, unit_price: 0}]\n"
            )
        }
    )
    assert problems(run, root) == []
    result = run(["show", "acme", "--today", TODAY], cwd=root)
    assert result.exit_code == 0, result.output
    assert "Total" in result.output and "$0.00" in result.output


def test_a_product_keeps_its_source_id(make_repo, run, tmp_path):
    root = make_repo(
        {
            "products.yaml": "products:\n  - {sku: SCN-200, name: Scanner, unit_price: 1100, "
            "source_id: '01t000'}\n",
            "opportunities/acme.md": opportunity("line_items: [{sku: SCN-200, quantity: 1}]\n"),
        }
    )
    assert problems(run, root) == []
    codes = run_all(run, root, tmp_path)
    assert codes["list"] == 0 and codes["build"] == 0


def test_an_invalid_currency_is_not_also_a_currency_mismatch(make_repo, run):
    root = make_repo(
        {
            "products.yaml": "products:\n  - {sku: SCN-200, name: Scanner, unit_price: 1000, "
            "currency: EUR}\n",
            "opportunities/acme.md": opportunity(
                "currency: eur\nline_items: [{sku: SCN-200, quantity: 1}]\n"
            ),
        }
    )
    assert problems(run, root) == [
        (
            "opportunities/acme.md",
            7,
            "invalid-value",
            "currency: `eur` is not an ISO 4217 currency code; did you mean `EUR`?",
        )
    ]


def test_a_quote_without_its_number_is_still_dated_everywhere(make_repo, run):
    root = make_repo(
        {
            "opportunities/acme.md": opportunity(
                "line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]\n"
                "quote: {date: 2026-11-01, valid_until: 2026-11-20}\n"
            )
        }
    )
    assert [(line, rule, message) for _, line, rule, message in problems(run, root)] == [
        (
            8,
            "quote-expired",
            "the quote expired on 2026-11-20; send a new quote and set valid_until to a date "
            "on or after 2026-11-28",
        ),
        (
            8,
            "missing-field",
            "quote is missing required field `number` (the quote number, "
            "unique across opportunities)",
        ),
    ]
    calendar = run(["calendar", "--today", TODAY], cwd=root)
    assert "SUMMARY:Quote (no number) expires: Acme Corp - scanners" in calendar.output
    attention = run(["attention", "--today", TODAY], cwd=root)
    assert "the quote expired on 2026-11-20" in attention.output


def test_the_json_schema_states_the_same_limits(make_repo, run):
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    import jsonschema

    def valid(kind: str, doc: dict) -> bool:
        schema = json.loads(run(["schema", "--kind", kind], cwd=root).output)
        return jsonschema.Draft202012Validator(schema).is_valid(doc)

    stages = [{"key": "p", "name": "P", "probability": 10, "forecast": "pipeline"}]
    for name in ("stale_after_days", "follow_up_horizon_days"):
        assert valid("config", {"stages": stages, name: MAX_DAYS})
        assert not valid("config", {"stages": stages, name: MAX_DAYS + 1})
    assert valid("account", {"name": "A", "employees": 10**9})
    assert not valid("account", {"name": "A", "employees": 10**9 + 1})
    opp = {
        "title": "T",
        "account": "a",
        "owner": "alice",
        "stage": "prospecting",
        "close_date": "2026-12-19",
    }
    assert valid("opportunity", {**opp, "amount": 10**MAX_INTEGER_DIGITS - 1})
    assert not valid("opportunity", {**opp, "amount": 10**MAX_INTEGER_DIGITS})


def test_a_bad_price_on_a_quoted_catalog_line_is_one_problem(make_repo, run):
    root = make_repo(
        {
            "products.yaml": "products:\n  - {sku: SCN-200, name: Scanner, unit_price: 1000, "
            "currency: EUR}\n",
            "opportunities/acme.md": opportunity(
                "line_items: [{sku: SCN-200, quantity: 1, unit_price: lots}]\n"
                "quote: {number: Q-1, date: 2026-11-20, valid_until: 2026-12-31}\n"
            ),
        }
    )
    # Neither unpriced-line nor currency-mismatch: the line gives a price, only a bad one.
    assert problems(run, root) == [
        ("opportunities/acme.md", 7, "invalid-value", "unit_price: `lots` is not a number")
    ]
