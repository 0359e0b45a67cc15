"""Every refused edit says why and leaves the file's bytes exactly as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GOOD_OPPORTUNITY, TODAY

PROPOSAL = GOOD_OPPORTUNITY.replace("stage: prospecting", "stage: qualification")


@pytest.fixture
def crm(make_repo) -> Path:
    return make_repo(
        {
            "opportunities/acme-scanners.md": GOOD_OPPORTUNITY,
            "opportunities/acme-printers.md": GOOD_OPPORTUNITY.replace(
                "warehouse scanners", "label printers"
            ),
            "opportunities/globex-robots.md": PROPOSAL.replace(
                "Acme Corp - warehouse scanners", "Globex - robots"
            )
            .replace("acme-corp", "globex-inc")
            .replace("jane-doe", "john-roe"),
        }
    )


def refused(run, crm: Path, *args: str, code: int = 1) -> str:
    """Run a command that must be refused; assert no file changed; return its message."""
    before = {p: p.read_bytes() for p in crm.rglob("*.md")}
    result = run([args[0], "--root", str(crm), "--today", TODAY, *args[1:]])
    assert result.exit_code == code, result.output
    assert {p: p.read_bytes() for p in crm.rglob("*.md")} == before
    assert not [p for p in crm.rglob("*.tmp")]
    return result.output


def test_gate_refusal_lists_what_is_missing(run, crm: Path) -> None:
    out = refused(run, crm, "move", "acme-scanners", "negotiation")
    assert out == (
        "textcrm: error: cannot move acme-scanners to negotiation: the stage requires "
        "`quote`, missing or empty in opportunities/acme-scanners.md; add it first. "
        "Nothing changed.\n"
    )
    out = refused(run, crm, "move", "acme-scanners", "proposal")
    assert "the stage requires `line_items`, `contacts`, missing or empty" in out
    assert "add them first" in out


def test_lost_stage_needs_a_lost_reason(run, crm: Path) -> None:
    out = refused(run, crm, "move", "acme-scanners", "closed-lost")
    assert "requires `lost_reason`" in out
    assert "(pass --lost-reason TEXT)" in out


def test_ambiguous_name_lists_candidates(run, crm: Path) -> None:
    out = refused(run, crm, "log", "acme", "--type", "call", code=2)
    assert out == (
        "textcrm: error: `acme` matches 2 opportunities: acme-printers, acme-scanners; "
        "name one of these ids; nothing changed\n"
    )
    out = refused(run, crm, "set", "acme corp", "amount", "5", code=2)
    assert "`acme corp` matches 2 opportunities: acme-printers, acme-scanners" in out


def test_unknown_opportunity_suggests(run, crm: Path) -> None:
    out = refused(run, crm, "log", "acme-scaners", "--type", "call", code=2)
    assert out == (
        "textcrm: error: no opportunity `acme-scaners` in opportunities/; did you mean "
        "`acme-scanners`?\n"
    )
    out = refused(run, crm, "log", "initech robots", "--type", "call", code=2)
    assert out == "textcrm: error: no opportunity `initech robots` in opportunities/\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["set", "acme-scanners", "close_date", "next week"],
            "textcrm: error: close_date: `next week` is not a date; write it as YYYY-MM-DD\n",
        ),
        (
            ["set", "acme-scanners", "close_date", "2026-02-30"],
            "textcrm: error: close_date: `2026-02-30` is not a real date\n",
        ),
        (
            ["set", "acme-scanners", "amount", "48,000"],
            "textcrm: error: amount: `48,000` is not a number\n",
        ),
        (
            ["set", "acme-scanners", "amount", "--", "-5"],
            "textcrm: error: amount: -5 is negative; amounts are >= 0\n",
        ),
        (
            ["set", "acme-scanners", "probability", "120"],
            "textcrm: error: probability: 120 is outside 0-100\n",
        ),
        (
            ["set", "acme-scanners", "currency", "usd"],
            "textcrm: error: currency: `usd` is not an ISO 4217 currency code; "
            "did you mean `USD`?\n",
        ),
        (
            ["set", "acme-scanners", "forecast", "comit"],
            "textcrm: error: forecast: `comit` is not one of pipeline, best_case, commit, closed, "
            "omitted; did you mean `commit`?\n",
        ),
        (
            ["log", "acme-scanners", "--type", "call", "--date", "yesterday"],
            "textcrm: error: date: `yesterday` is not a date; write it as YYYY-MM-DD\n",
        ),
        (
            ["log", "acme-scanners", "--type", "call", "--follow-up", "soon"],
            "textcrm: error: follow_up: `soon` is not a date; write it as YYYY-MM-DD\n",
        ),
    ],
)
def test_invalid_values(run, crm: Path, args: list[str], message: str) -> None:
    assert refused(run, crm, *args) == message


def test_invalid_value_that_only_the_check_sees(run, crm: Path) -> None:
    out = refused(run, crm, "set", "acme-scanners", "close_date", "2026-11-01")
    assert out == (
        "textcrm: error: refused: the edit would leave opportunities/acme-scanners.md with this "
        "error; nothing changed:\n"
        "  opportunities/acme-scanners.md:6:1: error: close date 2026-11-01 is in the past "
        "(today is 2026-11-28); set close_date to your best current estimate "
        "[close-date-past]\n"
    )


def test_usage_errors(run, crm: Path) -> None:
    assert "change the stage with `textcrm move" in refused(
        run, crm, "set", "acme-scanners", "stage", "proposal", code=2
    )
    assert "`close_dat` is not a field `set` can change; did you mean `close_date`?" in refused(
        run, crm, "set", "acme-scanners", "close_dat", "2027-01-01", code=2
    )
    assert "`negociation` is not a stage in textcrm.yaml; did you mean `negotiation`?" in refused(
        run, crm, "move", "acme-scanners", "negociation", code=2
    )
    assert "--lost-reason is for a lost stage" in refused(
        run, crm, "move", "acme-scanners", "closed-won", "--lost-reason", "x", code=2
    )
    assert "Invalid value for '--type'" in refused(
        run, crm, "log", "acme-scanners", "--type", "lunch", code=2
    )
    assert "cannot be combined" in refused(
        run, crm, "set", "acme-scanners", "amount", "5", "--dry-run", "--commit", code=2
    )


def test_missing_references(run, crm: Path) -> None:
    out = refused(run, crm, "log", "acme-scanners", "--type", "call", "--contact", "jane-do")
    assert out == (
        "textcrm: error: refused: the edit would leave opportunities/acme-scanners.md with this "
        "error; nothing changed:\n"
        "  opportunities/acme-scanners.md:10:1: error: activity contact `jane-do` does not exist "
        "(no contacts/jane-do.md); did you mean `jane-doe`? [unknown-contact]\n"
    )
    out = refused(run, crm, "set", "acme-scanners", "owner", "alise")
    assert (
        "owner `alise` is not in textcrm.yaml's owners (alice, bob); did you mean `alice`? "
        "[unknown-owner]"
    ) in out
    out = refused(run, crm, "set", "acme-scanners", "account", "acme")
    assert "account `acme` does not exist (no accounts/acme.md); did you mean" in out


def test_same_stage_is_nothing_to_do(run, crm: Path) -> None:
    assert "already in stage prospecting; nothing changed" in refused(
        run, crm, "move", "acme-scanners", "prospecting"
    )


def test_file_that_cannot_be_edited_safely(run, make_repo) -> None:
    crm = make_repo(
        {
            "opportunities/flow.md": "---\n{title: X, account: acme-corp, owner: alice, "
            "stage: prospecting, close_date: 2026-12-19, amount: 1}\n---\n",
            "opportunities/broken.md": "---\ntitle: [unclosed\n---\n",
            "opportunities/alias.md": GOOD_OPPORTUNITY.replace(
                "close_date: 2026-12-19", "close_date: &d 2026-12-19\nfollow_up: *d"
            ),
            "opportunities/dupe.md": GOOD_OPPORTUNITY.replace(
                "amount: 48000", "amount: 1\namount: 2"
            ),
        }
    )
    assert "not a block of `key: value` lines; edit this file by hand" in refused(
        run, crm, "set", "flow", "amount", "5"
    )
    assert refused(run, crm, "set", "broken", "amount", "5") == (
        "textcrm: error: opportunities/broken.md has errors that keep it from being read; "
        "run `textcrm check opportunities/broken.md`\n"
    )
    assert "uses YAML anchors or aliases" in refused(
        run, crm, "set", "alias", "follow_up", "2026-12-20"
    )
    out = refused(run, crm, "set", "dupe", "amount", "5")
    assert "opportunities/dupe.md: `amount` is given twice (lines 7 and 8); keep one first" in out


def test_concurrent_change_is_detected(make_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    from textcrm import edit, fsutil

    crm = make_repo({"opportunities/acme-scanners.md": GOOD_OPPORTUNITY})
    path = crm / "opportunities/acme-scanners.md"
    target = edit.open_opportunity(crm, date(2026, 11, 28), "acme-scanners")
    change = edit.set_value(target, "amount", "50000")
    # Another editor saves the file between our read and our rename.
    saved_by_other = GOOD_OPPORTUNITY.replace("Notes.", "Edited elsewhere.").encode()
    real_write = fsutil.atomic_write

    def racing_write(*args, **kwargs):  # type: ignore[no-untyped-def]
        path.write_bytes(saved_by_other)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(fsutil, "atomic_write", racing_write)
    with pytest.raises(edit.ConcurrentChange) as exc:
        edit.apply(crm, date(2026, 11, 28), change)
    assert exc.value.message == (
        "opportunities/acme-scanners.md changed on disk since textcrm read it (another editor "
        "saved it?); nothing written. Run the command again."
    )
    assert path.read_bytes() == saved_by_other
    assert list(path.parent.glob("*.tmp")) == []


def test_concurrent_change_before_the_write(make_repo) -> None:
    from datetime import date

    from textcrm import edit

    crm = make_repo({"opportunities/acme-scanners.md": GOOD_OPPORTUNITY})
    path = crm / "opportunities/acme-scanners.md"
    target = edit.open_opportunity(crm, date(2026, 11, 28), "acme-scanners")
    change = edit.log_activity(target, "call", "Hi", date(2026, 11, 28))
    path.write_bytes(b"---\ntitle: rewritten\n---\n")
    with pytest.raises(edit.ConcurrentChange):
        edit.save(crm, change)
    assert path.read_bytes() == b"---\ntitle: rewritten\n---\n"
