"""Promised prices stay put: closing a deal writes its catalog prices into its lines, the
hook refuses a catalog change that would re-price a closed deal or an issued quote, and
`pin-prices` writes the prices in one go (real git, our installed hook)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import DEFAULT_CONFIG, GOOD_OPPORTUNITY, TODAY, commit, git, write_files

COMPANY = (
    "company: {name: Northwind GmbH, address: Hafenstrasse 1, email: sales@northwind.example}\n"
)

DEAL = GOOD_OPPORTUNITY.replace(
    "amount: 48000",
    "line_items:\n  - {sku: SCN-200, quantity: 10}\n  - sku: SVC-DAY\n    quantity: 2",
)
QUOTED = (
    DEAL.replace("title: Acme Corp - warehouse scanners", "title: Acme Corp - label printers")
    .replace("stage: prospecting", "stage: negotiation")
    .replace(
        "---\nNotes.",
        "quote: {number: Q-2026-017, date: 2026-11-25, valid_until: 2026-12-31}\n---\nNotes.",
    )
)
OPEN = DEAL.replace("title: Acme Corp - warehouse scanners", "title: Acme Corp - pilot")
PRICE_RISE = "unit_price: 1100, unit: each}", "unit_price: 1200, unit: each}"
REFUSED = (
    "textcrm: commit refused: fix the errors above (each message says how), `git add` the "
    "files and commit again.\n"
    "In an emergency, bypass the check with `git commit --no-verify`.\n"
)


@pytest.fixture
def team(make_repo, run, tmp_path) -> Path:
    """A deal to be won, a quoted deal whose lines follow the catalog (as written before
    prices were pinned), and an open unquoted deal; our hook installed."""
    top = tmp_path / "team"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    make_repo(
        {
            "opportunities/acme.md": DEAL,
            "opportunities/quoted.md": QUOTED,
            "opportunities/pilot.md": OPEN,
        },
        config=DEFAULT_CONFIG + COMPANY,
        root=top,
    )
    assert run(["hook", "install"], cwd=top).exit_code == 0
    git(top, "add", "-A")
    assert git(top, "commit", "-q", "--no-verify", "-m", "first").returncode == 0
    return top


def figures(run, top: Path, opp: str) -> tuple[str, str]:
    result = run(["show", opp, "--format", "json", "--today", TODAY], cwd=top)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)["opportunity"]
    return shown["stage"], shown["expected"]


def raise_price(top: Path) -> None:
    catalog = (top / "products.yaml").read_text()
    assert PRICE_RISE[0] in catalog
    write_files(top, {"products.yaml": catalog.replace(*PRICE_RISE)})
    git(top, "add", "products.yaml")


def test_closing_pins_the_prices_and_the_won_revenue_never_moves(team, run):
    won = run(["move", "acme", "closed-won", "--commit"], cwd=team, env={"TEXTCRM_TODAY": TODAY})
    assert won.exit_code == 0, won.output
    assert (
        "  note: unit_price written into 2 lines from the catalog: the deal keeps these prices "
        "when the catalog changes\n" in won.output
    )
    text = (team / "opportunities/acme.md").read_text()
    assert "  - {sku: SCN-200, quantity: 10, unit_price: 1100}\n" in text
    assert "  - sku: SVC-DAY\n    quantity: 2\n    unit_price: 950\n" in text
    assert figures(run, team, "acme") == ("closed-won", "12900.00")

    # Pin the quote too, then raise the scanner's price: the commit goes through and neither
    # the won revenue nor the quote moves; the open, unquoted pilot follows the catalog.
    pinned = run(["pin-prices", "quoted"], cwd=team, env={"TEXTCRM_TODAY": TODAY})
    assert pinned.exit_code == 0, pinned.output
    git(team, "add", "-A")
    raise_price(team)
    done = commit(team)
    assert done.returncode == 0, done.stderr
    assert figures(run, team, "acme") == ("closed-won", "12900.00")
    assert figures(run, team, "quoted") == ("negotiation", "12900.00")
    assert figures(run, team, "pilot") == ("prospecting", "13900.00")


def test_a_price_change_that_would_reprice_an_issued_quote_is_refused(team, run):
    quote = run(["quote", "quoted", "-o", str(team.parent / "q.html")], cwd=team)
    assert quote.exit_code == 0, quote.output
    assert quote.output.endswith("quote Q-2026-017, 2 lines, total $12,900.00\n")

    raise_price(team)
    done = commit(team)
    assert done.returncode == 1
    assert done.stderr == (
        "opportunities/quoted.md:8:1: error: the catalog change (SCN-200) re-prices the issued "
        "quote Q-2026-017 quoted: its total would go from 12900.00 to 13900.00 USD; keep the "
        "promised prices with `textcrm pin-prices --prices-at HEAD quoted` and commit the deal "
        "with the catalog [unpriced-line]\n"
        "textcrm: 1 error, 0 warnings in 3 opportunities, 2 products\n"
        "textcrm: note: 2 problems were already there before this commit, in 1 record it does "
        "not change (2 unpriced-line); they do not block it. `textcrm check` lists them.\n"
        + REFUSED
    )

    # The fix the message gives: pin the prices as committed, commit them with the catalog.
    pinned = run(["pin-prices", "--prices-at", "HEAD"], cwd=team, env={"TEXTCRM_TODAY": TODAY})
    assert pinned.output == (
        "opportunities/quoted.md: pin the catalog price of 2 lines on quoted\n"
    )
    assert (
        "  - {sku: SCN-200, quantity: 10, unit_price: 1100}\n"
        in (team / "opportunities/quoted.md").read_text()
    )
    git(team, "add", "-A")
    done = commit(team)
    assert done.returncode == 0, done.stderr
    quote = run(["quote", "quoted", "-o", str(team.parent / "q.html")], cwd=team)
    assert quote.output.endswith("quote Q-2026-017, 2 lines, total $12,900.00\n")
    assert figures(run, team, "pilot") == ("prospecting", "13900.00")


def test_check_flags_promised_lines_that_follow_the_catalog(team, run):
    result = run(["check", "--today", TODAY, "--no-cache"], cwd=team)
    assert result.exit_code == 0
    assert result.output.splitlines()[:2] == [
        "opportunities/quoted.md:8:1: warning: sku `SCN-200` takes its price from the catalog "
        "(1100) although quote Q-2026-017 has been issued, so a catalog change would re-price "
        "the deal; write it into the line: `textcrm pin-prices quoted` [unpriced-line]",
        "opportunities/quoted.md:9:1: warning: sku `SVC-DAY` takes its price from the catalog "
        "(950) although quote Q-2026-017 has been issued, so a catalog change would re-price "
        "the deal; write it into the line: `textcrm pin-prices quoted` [unpriced-line]",
    ]
    assert "pilot.md" not in result.output and "acme.md" not in result.output


def test_pin_prices_dry_run_writes_nothing_and_leaves_open_deals_alone(team, run):
    before = {p.name: p.read_bytes() for p in (team / "opportunities").iterdir()}
    shown = run(["pin-prices", "--dry-run"], cwd=team, env={"TEXTCRM_TODAY": TODAY})
    assert shown.exit_code == 0, shown.output
    assert "+  - {sku: SCN-200, quantity: 10, unit_price: 1100}\n" in shown.output
    assert "+    unit_price: 950\n" in shown.output
    assert shown.output.endswith(
        "dry run: pin the catalog price of 2 lines on quoted; nothing written\n"
    )
    assert "pilot" not in shown.output and "acme.md" not in shown.output
    assert {p.name: p.read_bytes() for p in (team / "opportunities").iterdir()} == before

    done = run(["pin-prices"], cwd=team, env={"TEXTCRM_TODAY": TODAY})
    assert done.output == "opportunities/quoted.md: pin the catalog price of 2 lines on quoted\n"
    again = run(["pin-prices"], cwd=team, env={"TEXTCRM_TODAY": TODAY})
    assert again.output == (
        "no quoted or closed deal takes a price from the catalog; nothing changed\n"
    )
    # Only the new lines differ: nothing else in the file changed.
    old = before["quoted.md"].decode().splitlines()
    new = (team / "opportunities/quoted.md").read_text().splitlines()
    assert [ln for ln in new if ln not in old] == [
        "  - {sku: SCN-200, quantity: 10, unit_price: 1100}",
        "    unit_price: 950",
    ]
    assert [ln for ln in old if ln not in new] == ["  - {sku: SCN-200, quantity: 10}"]


def test_pin_prices_with_an_unknown_ref_is_a_usage_error(team, run):
    result = run(["pin-prices", "--prices-at", "nope"], cwd=team, env={"TEXTCRM_TODAY": TODAY})
    assert result.exit_code == 2
    assert "--prices-at nope: not a commit" in result.output


def test_import_writes_the_prices_of_won_deals_into_their_lines(make_repo, run, tmp_path):
    from test_import import SHEET_MAPPING, _mapping, crm, exports, import_, read

    root = crm(make_repo)
    files = exports(
        tmp_path,
        {
            "pipeline.csv": "Deal,Company,Rep,Phase,Value,Expected,Product,Qty\n"
            "D-1,Acme Corp,alice,Won,1200,11/20/2026,Scanner,2\n"
            "D-2,Acme Corp,alice,Hot,1200,12/19/2026,Scanner,2\n",
            "catalog.csv": "code,label,price\nScanner,Handheld scanner,600\n",
        },
    )
    mapping = SHEET_MAPPING.replace("{Hot: proposal,", "{Won: closed-won, Hot: proposal,")
    result = import_(
        run, root, files, "--from", "generic", "--mapping", _mapping(tmp_path, mapping)
    )
    assert result.exit_code == 0, result.output
    by_stage = {
        ("closed-won" if "stage: closed-won" in p.read_text() else "open"): p.read_text()
        for p in (root / "opportunities").glob("*.md")
    }
    assert (
        "line_items:\n  - {sku: Scanner, quantity: 2, unit_price: 600}\n" in by_stage["closed-won"]
    )
    assert "line_items:\n  - {sku: Scanner, quantity: 2}\n" in by_stage["open"]
    assert read(root, "products.yaml") == (
        "products:\n  - {sku: Scanner, name: Handheld scanner, unit_price: 600}\n"
    )


def test_pin_prices_in_a_one_line_list_of_items(make_repo, run):
    deal = QUOTED.replace(
        "line_items:\n  - {sku: SCN-200, quantity: 10}\n  - sku: SVC-DAY\n    quantity: 2",
        "line_items: [{sku: SCN-200, quantity: 1}, {sku: SCN-200, quantity: 1}, "
        "{sku: SVC-DAY, quantity: 2, unit_price: 900}, {sku: SVC-DAY, quantity: 1}]",
    )
    root = make_repo({"opportunities/quoted.md": deal})
    result = run(["pin-prices", "quoted"], cwd=root, env={"TEXTCRM_TODAY": TODAY})
    assert result.output == "opportunities/quoted.md: pin the catalog price of 3 lines on quoted\n"
    assert (
        "line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}, {sku: SCN-200, quantity: 1, "
        "unit_price: 1100}, {sku: SVC-DAY, quantity: 2, unit_price: 900}, {sku: SVC-DAY, "
        "quantity: 1, unit_price: 950}]\n"
    ) in (root / "opportunities/quoted.md").read_text()
