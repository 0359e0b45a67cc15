"""Every rule code: a bad fixture yields exactly the expected problem (code, severity, line),
and the matching good fixture yields none."""

from __future__ import annotations

import json

import pytest

from conftest import GOOD_OPPORTUNITY

TODAY = "2026-11-28"


def opp(**changes: str | None) -> str:
    """GOOD_OPPORTUNITY with some top-level lines replaced (None drops the line)."""
    lines = GOOD_OPPORTUNITY.splitlines(keepends=True)
    out = []
    skipping = False
    for line in lines:
        if skipping and line.startswith(" "):
            continue  # the replaced key's block lines
        skipping = False
        key = line.split(":", 1)[0]
        if key in changes:
            skipping = True
            value = changes.pop(key)
            if value is not None:
                out.append(value if value.endswith("\n") else value + "\n")
            continue
        out.append(line)
    # keys not present yet go before the closing ---
    extra = [v if v.endswith("\n") else v + "\n" for v in changes.values() if v is not None]
    close = len(out) - 1 - out[::-1].index("---\n")
    return "".join(out[:close] + extra + out[close:])


def problems(make_repo, run, files, today=TODAY, config=None):
    root = make_repo(files, config=config)
    result = run(["check", "--format", "json", "--today", today, "--no-cache"], cwd=root)
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.output)
    found = {(p["path"], p["line"], p["rule"], p["severity"]) for p in doc["problems"]}
    assert result.exit_code == (1 if doc["summary"]["errors"] else 0)
    return found


P = "opportunities/acme.md"

CASES = {
    # rule: (bad files, expected problems, good files)
    "yaml-syntax": (
        {P: opp(title="title: [unclosed")},
        {(P, 3, "yaml-syntax", "error")},
        {P: opp(title="title: '[closed]'")},
    ),
    "yaml-syntax duplicate key": (
        {P: opp(owner="owner: alice\nowner: bob")},
        {(P, 5, "yaml-syntax", "error")},
        {P: opp(owner="owner: bob")},
    ),
    "front-matter-missing": (
        {P: "title: no delimiters\n"},
        {(P, 1, "front-matter-missing", "error")},
        {P: GOOD_OPPORTUNITY},
    ),
    "missing-field": (
        {P: opp(title=None)},
        {(P, 1, "missing-field", "error")},
        {P: opp(title="title: Back again")},
    ),
    "missing-field empty": (
        {P: opp(owner="owner:")},
        {(P, 4, "missing-field", "error")},
        {P: opp(owner="owner: bob")},
    ),
    "missing-field no amount": (
        {P: opp(amount=None)},
        {(P, 1, "missing-field", "error")},
        {P: opp(amount=None, line_items="line_items:\n  - {sku: SCN-200, quantity: 2}")},
    ),
    "invalid-value probability": (
        {P: opp(probability="probability: 140")},
        {(P, 10, "invalid-value", "error")},
        {P: opp(probability="probability: 40")},
    ),
    "invalid-value date": (
        {P: opp(close_date="close_date: 19/12/2026")},
        {(P, 6, "invalid-value", "error")},
        {P: opp(close_date="close_date: 2026-12-20")},
    ),
    "invalid-value activity type": (
        {P: opp(activities="activities:\n  - {date: 2026-11-24, type: lunch}")},
        {(P, 9, "invalid-value", "error")},
        {P: opp(activities="activities:\n  - {date: 2026-11-24, type: meeting}")},
    ),
    "unknown-stage": (
        {P: opp(stage="stage: prospect")},
        {(P, 5, "unknown-stage", "error")},
        {P: opp(stage="stage: qualification")},
    ),
    "unknown-account": (
        {P: opp(account="account: acme")},
        {(P, 3, "unknown-account", "error")},
        {P: opp(account="account: globex-inc")},
    ),
    "unknown-contact": (
        {P: opp(contacts="contacts:\n  - {contact: jane, role: Champion}")},
        {(P, 11, "unknown-contact", "error")},
        {P: opp(contacts="contacts:\n  - {contact: jane-doe, role: Champion}")},
    ),
    "unknown-competitor": (
        {P: opp(competitors="competitors:\n  - competitor: initek\n    status: active")},
        {(P, 11, "unknown-competitor", "error")},
        {P: opp(competitors="competitors:\n  - competitor: initech\n    status: active")},
    ),
    "unknown-product": (
        {P: opp(line_items="line_items:\n  - {sku: SCN-201, quantity: 1}", amount=None)},
        {(P, 10, "unknown-product", "error")},
        {P: opp(line_items="line_items:\n  - {sku: SCN-200, quantity: 1}", amount=None)},
    ),
    "unknown-product custom line": (
        {P: opp(line_items="line_items:\n  - {name: Install, quantity: 1}", amount=None)},
        {(P, 10, "missing-field", "error")},
        {
            P: opp(
                line_items="line_items:\n  - {name: Install, quantity: 1, unit_price: 10}",
                amount=None,
            )
        },
    ),
    "unknown-owner": (
        {P: opp(owner="owner: carol")},
        {(P, 4, "unknown-owner", "error")},
        {P: opp(owner="owner: bob")},
    ),
    "duplicate-sku": (
        {
            "products.yaml": "products:\n  - {sku: A, name: A, unit_price: 1}\n"
            "  - {sku: A, name: B, unit_price: 2}\n",
            P: GOOD_OPPORTUNITY,
        },
        {("products.yaml", 3, "duplicate-sku", "error")},
        {
            "products.yaml": "products:\n  - {sku: A, name: A, unit_price: 1}\n"
            "  - {sku: B, name: B, unit_price: 2}\n",
            P: GOOD_OPPORTUNITY,
        },
    ),
    "duplicate-quote-number": (
        {
            P: opp(
                amount=None,
                line_items="line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]",
                quote="quote: {number: Q-1, date: 2026-11-25, valid_until: 2026-12-31}",
            ),
            "opportunities/b.md": opp(
                amount=None,
                line_items="line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]",
                quote="quote: {number: Q-1, date: 2026-11-25, valid_until: 2026-12-31}",
            ),
        },
        {
            (P, 10, "duplicate-quote-number", "error"),
            ("opportunities/b.md", 10, "duplicate-quote-number", "error"),
        },
        {
            P: opp(
                amount=None,
                line_items="line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]",
                quote="quote: {number: Q-1, date: 2026-11-25, valid_until: 2026-12-31}",
            ),
            "opportunities/b.md": opp(
                amount=None,
                line_items="line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]",
                quote="quote: {number: Q-2, date: 2026-11-25, valid_until: 2026-12-31}",
            ),
        },
    ),
    "close-date-past": (
        {P: opp(close_date="close_date: 2026-11-27")},
        {(P, 6, "close-date-past", "error")},
        {P: opp(close_date="close_date: 2026-11-28")},
    ),
    "close-date-past exempt when closed": (
        {P: opp(close_date="close_date: 2026-10-01", stage="stage: closed-won")},
        set(),
        {P: opp(close_date="close_date: 2026-10-01", stage="stage: closed-won")},
    ),
    "created-after-close": (
        {
            P: opp(
                close_date="close_date: 2026-10-01",
                stage="stage: closed-won",
                created="created: 2026-10-02",
            )
        },
        {(P, 10, "created-after-close", "error")},
        {
            P: opp(
                close_date="close_date: 2026-10-01",
                stage="stage: closed-won",
                created="created: 2026-10-01",
            )
        },
    ),
    "unquoted-comma": (
        {
            P: opp(
                activities="activities:\n  - {date: 2026-11-24, type: call, summary: Price, 5% off}"
            )
        },
        {(P, 9, "unquoted-comma", "error")},
        {
            P: opp(
                activities='activities:\n  - {date: 2026-11-24, type: call, summary: "Price, 5% off"}'
            )
        },
    ),
    "stale": (
        {P: opp(activities="activities:\n  - {date: 2026-11-21, type: call}")},
        {(P, 1, "stale", "error")},
        {P: opp(activities="activities:\n  - {date: 2026-11-22, type: call}")},
    ),
    "stale rescued by a firm follow-up": (
        {
            P: opp(
                activities="activities:\n  - {date: 2026-11-01, type: call}",
                follow_up="follow_up: 2026-11-27",
            )
        },
        {(P, 1, "stale", "error")},
        {
            P: opp(
                activities="activities:\n  - {date: 2026-11-01, type: call}",
                follow_up="follow_up: 2026-11-28",
            )
        },
    ),
    "stale uses the stage's threshold": (
        {
            P: opp(
                stage="stage: negotiation",
                amount=None,
                line_items="line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]",
                quote="quote: {number: Q-9, date: 2026-11-01, valid_until: 2026-12-31}",
                activities="activities:\n  - {date: 2026-11-14, type: call}",
            )
        },
        {(P, 1, "stale", "error")},
        {
            P: opp(
                stage="stage: negotiation",
                amount=None,
                line_items="line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]",
                quote="quote: {number: Q-9, date: 2026-11-01, valid_until: 2026-12-31}",
                activities="activities:\n  - {date: 2026-11-15, type: call}",
            )
        },
    ),
    "stale uses created when there is no activity": (
        {P: opp(activities=None, created="created: 2026-11-21")},
        {(P, 1, "stale", "error")},
        {P: opp(activities=None, created="created: 2026-11-22")},
    ),
    "stage-gate": (
        {P: opp(stage="stage: proposal", contacts="contacts: [{contact: jane-doe}]")},
        {(P, 5, "stage-gate", "error")},
        {
            P: opp(
                stage="stage: proposal",
                contacts="contacts: [{contact: jane-doe}]",
                amount=None,
                line_items="line_items: [{sku: SCN-200, quantity: 1}]",
            )
        },
    ),
    "stage-gate lost reason": (
        {P: opp(stage="stage: closed-lost")},
        {(P, 5, "stage-gate", "error")},
        {P: opp(stage="stage: closed-lost", lost_reason="lost_reason: Budget cut")},
    ),
    "follow-up-overdue": (
        {P: opp(follow_up="follow_up: 2026-11-27")},
        {(P, 10, "follow-up-overdue", "warning")},
        {P: opp(follow_up="follow_up: 2026-11-30")},
    ),
    "activity-in-future": (
        {
            P: opp(
                activities="activities:\n  - {date: 2026-11-24, type: call}\n"
                "  - {date: 2026-11-29, type: meeting}"
            )
        },
        {(P, 10, "activity-in-future", "warning")},
        {
            P: opp(
                activities="activities:\n  - {date: 2026-11-24, type: call}\n"
                "  - {date: 2026-11-28, type: meeting}"
            )
        },
    ),
    "amount-mismatch": (
        {P: opp(amount="amount: 2000", line_items="line_items: [{sku: SCN-200, quantity: 2}]")},
        {(P, 7, "amount-mismatch", "warning")},
        {P: opp(amount="amount: 2200", line_items="line_items: [{sku: SCN-200, quantity: 2}]")},
    ),
    "quote-expired": (
        {
            P: opp(
                amount=None,
                line_items="line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]",
                quote="quote: {number: Q-1, date: 2026-11-01, valid_until: 2026-11-27}",
            )
        },
        {(P, 10, "quote-expired", "warning")},
        {
            P: opp(
                amount=None,
                line_items="line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]",
                quote="quote: {number: Q-1, date: 2026-11-01, valid_until: 2026-11-28}",
            )
        },
    ),
    "quote-without-line-items": (
        {P: opp(quote="quote: {number: Q-1, date: 2026-11-01, valid_until: 2026-12-28}")},
        {(P, 10, "quote-without-line-items", "error")},
        {
            P: opp(
                amount=None,
                line_items="line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]",
                quote="quote: {number: Q-1, date: 2026-11-01, valid_until: 2026-12-28}",
            )
        },
    ),
    "currency-mismatch": (
        {
            "products.yaml": "products:\n  - {sku: E1, name: Euro thing, unit_price: 10, "
            "currency: EUR}\n",
            P: opp(amount=None, line_items="line_items: [{sku: E1, quantity: 1}]"),
        },
        {(P, 9, "currency-mismatch", "error")},
        {
            "products.yaml": "products:\n  - {sku: E1, name: Euro thing, unit_price: 10, "
            "currency: EUR}\n",
            P: opp(amount=None, line_items="line_items: [{sku: E1, quantity: 1, unit_price: 11}]"),
        },
    ),
    "unpriced-line": (
        {
            P: opp(
                amount=None,
                line_items="line_items:\n  - {sku: SCN-200, quantity: 1}\n"
                "  - {sku: SVC-DAY, quantity: 2, unit_price: 900}",
                quote="quote: {number: Q-1, date: 2026-11-25, valid_until: 2026-12-31}",
            )
        },
        {(P, 10, "unpriced-line", "warning")},
        {
            P: opp(
                amount=None,
                line_items="line_items:\n  - {sku: SCN-200, quantity: 1, unit_price: 1100}\n"
                "  - {sku: SVC-DAY, quantity: 2, unit_price: 900}",
                quote="quote: {number: Q-1, date: 2026-11-25, valid_until: 2026-12-31}",
            )
        },
    ),
    "unpriced-line on a closed deal, not on an open one": (
        {
            P: opp(
                stage="stage: closed-won",
                amount=None,
                line_items="line_items:\n  - sku: SVC-DAY\n    quantity: 2",
            )
        },
        {(P, 10, "unpriced-line", "warning")},
        {P: opp(amount=None, line_items="line_items:\n  - sku: SVC-DAY\n    quantity: 2")},
    ),
    "contact-account-mismatch": (
        {P: opp(contacts="contacts: [{contact: john-roe}]")},
        {(P, 10, "contact-account-mismatch", "warning")},
        {P: opp(contacts="contacts: [{contact: jane-doe}]")},
    ),
    "notes-too-complex": (
        # Line 13: the second paragraph of the notes (they start on line 11).
        {P: GOOD_OPPORTUNITY + "\n" + "[x](" * 600 + "\n"},
        {(P, 13, "notes-too-complex", "warning")},
        {P: GOOD_OPPORTUNITY + "\n" + "[x](" * 250 + "\n\n" + "[x](" * 250 + "\n"},
    ),
    "unknown-field": (
        {P: opp(close_date="close_dat: 2026-12-19\nclose_date: 2026-12-19")},
        {(P, 6, "unknown-field", "warning")},
        {P: opp(close_date="x-close-dat: 2026-12-19\nclose_date: 2026-12-19")},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_fires_exactly(case, make_repo, run):
    bad, expected, _good = CASES[case]
    assert problems(make_repo, run, bad) == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_quiet_on_good_fixture(case, make_repo, run):
    _bad, _expected, good = CASES[case]
    assert problems(make_repo, run, good) == set()


def test_every_rule_code_has_a_case():
    from textcrm.rules import RULES

    covered = {code for _bad, found, _good in CASES.values() for (_p, _l, code, _s) in found}
    # unreadable-file is covered in test_bad_input.py, outside-repository in tests/security/.
    assert set(RULES) - covered == {"unreadable-file", "outside-repository"}


def test_severity_overrides_from_config(make_repo, run):
    from conftest import DEFAULT_CONFIG

    config = DEFAULT_CONFIG + "rules: {amount-mismatch: error, contact-account-mismatch: off}\n"
    files = {
        P: opp(
            amount="amount: 2000",
            contacts="contacts: [{contact: john-roe}]",
            line_items="line_items: [{sku: SCN-200, quantity: 2}]",
        )
    }
    assert problems(make_repo, run, files, config=config) == {(P, 7, "amount-mismatch", "error")}
