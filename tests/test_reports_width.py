"""Terminal reports fit the terminal's width (COLUMNS) down to 80 columns, on the long ids
that `textcrm new` makes from long titles; `--wide` shows everything in full.

Golden tables at 80, 100 and 120 columns. Money, stage and owner are never cut: only the
widest text columns (ids, titles, contacts) are, with an ellipsis; details and history
changes wrap onto more lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, write_files

LONG = "acme-corp-warehouse-scanners-and-mobile-printers-for-the-northern-distribution-centres"
WON = "globex-inc-spare-parts-framework-agreement-for-the-european-service-organisation"
LOST = "acme-corp-pilot-of-voice-picking-headsets-in-the-frozen-goods-warehouse"
TODAY = "2026-11-28"


def deal(title: str, account: str, owner: str, stage: str, close: str, extra: str) -> str:
    return (
        f"---\ntitle: {title}\naccount: {account}\nowner: {owner}\nstage: {stage}\n"
        f"close_date: {close}\n{extra}---\nNotes.\n"
    )


LONG_DEAL = deal(
    "Warehouse scanners and mobile printers for the northern distribution centres",
    "acme-corp",
    "alice",
    "proposal",
    "2026-11-20",
    "follow_up: 2026-11-25\n"
    "contacts:\n  - {contact: jane-doe, role: Economic Buyer, primary: true}\n"
    "line_items:\n"
    "  - {sku: SCN-200, name: Handheld scanner with the extended battery and pistol grip,"
    " quantity: 120, discount: 5%, unit_price: 1100}\n"
    "  - {sku: SVC-DAY, quantity: 12, unit_price: 950}\n"
    "activities:\n"
    "  - {date: 2026-11-10, type: meeting, contact: jane-doe, summary: Walked the three"
    " distribution centres with the operations team and agreed the pilot scope}\n"
    "quote: {number: Q-2026-0042, date: 2026-11-12, valid_until: 2026-11-26}\n",
)
FILES = {
    f"opportunities/{LONG}.md": LONG_DEAL,
    f"opportunities/{WON}.md": deal(
        "Spare parts framework agreement for the European service organisation",
        "globex-inc",
        "bob",
        "closed-won",
        "2026-11-10",
        "amount: 184000\n",
    ),
    f"opportunities/{LOST}.md": deal(
        "Pilot of voice picking headsets in the frozen goods warehouse",
        "acme-corp",
        "alice",
        "closed-lost",
        "2026-10-01",
        "amount: 7000\nlost_reason: Price\n",
    ),
}


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The long-id repository, with a git history: the long deal was created in
    qualification on 2026-10-01 and moved to proposal, close date pushed out, on 2026-11-12."""
    from conftest import DEFAULT_CONFIG, DEFAULT_FILES

    root = tmp_path_factory.mktemp("width") / "crm"
    first = LONG_DEAL.replace("stage: proposal", "stage: qualification").replace(
        "close_date: 2026-11-20", "close_date: 2026-11-01"
    )
    write_files(root, {"textcrm.yaml": DEFAULT_CONFIG, **DEFAULT_FILES, **FILES})
    write_files(root, {f"opportunities/{LONG}.md": first})
    git(root, "init", "-q", "-b", "main")
    for when, message in (("2026-10-01", "Add the deals"), ("2026-11-12", "Proposal sent")):
        if when == "2026-11-12":
            write_files(root, {f"opportunities/{LONG}.md": LONG_DEAL})
        stamp = {"GIT_AUTHOR_DATE": f"{when}T12:00:00+00:00"}
        stamp["GIT_COMMITTER_DATE"] = stamp["GIT_AUTHOR_DATE"]
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", message, env=stamp)
    return root


REPORTS = {
    "list": ["list"],
    "list-open": ["list", "--open"],
    "attention": ["attention"],
    "show": ["show", LONG],
    "history": ["history", LONG, "--no-cache"],
}


def output(run, crm: Path, args: list[str], columns: int) -> str:
    result = run(
        [*args, "--root", str(crm), "--today", TODAY], env={"COLUMNS": str(columns)}, cwd=crm
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("columns", [80, 100, 120])
@pytest.mark.parametrize("name", list(REPORTS))
def test_report_fits_the_width_and_matches_golden(run, crm, golden, name, columns):
    text = output(run, crm, REPORTS[name], columns)
    widest = max(len(line) for line in text.splitlines())
    assert widest <= columns, (name, columns, widest)
    golden(f"width/{name}-{columns}.txt", text)


def test_list_always_shows_stage_and_owner_and_never_cuts_money(run, crm):
    text = output(run, crm, ["list"], 80)
    head, _, *rows = text.splitlines()
    assert head.split()[1:3] == ["Stage", "Owner"]
    won = next(r for r in rows if "Closed Won" in r)
    assert " bob " in won and "$184,000.00" in won
    lost = next(r for r in rows if "Closed Lost" in r)
    assert " alice " in lost and "$7,000.00" in lost
    # The ids are cut with an ellipsis, and what is left starts the real id.
    assert won.split("…")[0] in WON


def test_wide_shows_everything_in_full(run, crm):
    for args in (["list"], ["attention"], ["show", LONG], ["history", LONG, "--no-cache"]):
        text = output(run, crm, [*args, "--wide"], 80)
        assert "…" not in text, args
        assert LONG in text, args
    listed = output(run, crm, ["list", "--wide"], 80)
    assert "Prob." in listed
    assert "Warehouse scanners and mobile printers for the northern distribution centres" in listed


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--open"],
        ["list"],
        ["attention"],
        ["show", "acme-logistics-amr-fleet"],
        ["pipeline"],
        ["forecast"],
    ],
)
def test_the_example_fits_80_columns_with_amounts_in_the_millions(run, args):
    from conftest import EXAMPLE, EXAMPLE_TODAY

    result = run([*args, "--root", str(EXAMPLE), "--today", EXAMPLE_TODAY], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80, args
    # The totals are whole: money is never cut.
    if args == ["list", "--open"]:
        assert result.output.splitlines()[-1].split()[-2:] == ["$1,292,805.91", "$824,234.54"]
    if args == ["list"]:
        assert result.output.splitlines()[-1].split()[-2:] == ["$1,623,782.36", "$969,210.99"]
