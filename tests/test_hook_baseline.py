"""The hook judges what a commit changes: problems already at HEAD in records the commit does
not touch never refuse it; a changed record answers for its problems, except a date problem it
already had and the change does not make worse (real git, our installed hook)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DEFAULT_CONFIG, GOOD_OPPORTUNITY, TODAY, commit, git, write_files

REFUSED = (
    "textcrm: commit refused: fix the errors above (each message says how), `git add` the "
    "files and commit again.\n"
    "In an emergency, bypass the check with `git commit --no-verify`.\n"
)
# Bob's deal went stale (last touched 2026-11-02) and Carol's close date is gone by: both were
# committed around the hook, and neither is Alice's to fix.
STALE_DEAL = GOOD_OPPORTUNITY.replace("date: 2026-11-24", "date: 2026-11-02").replace(
    "owner: alice", "owner: bob"
)
PAST_DEAL = (
    GOOD_OPPORTUNITY.replace("close_date: 2026-12-19", "close_date: 2026-11-01")
    .replace("title: Acme Corp - warehouse scanners", "title: Acme Corp - printers")
    .replace("amount: 48000", "line_items: [{sku: SVC-DAY, quantity: 2}]")
)
STALE = (
    "opportunities/bobs.md:1:1: {severity}: {prefix}stale: no activity since 2026-11-02 "
    "(26 days; stale after 7) and no follow_up on or after today; log an activity with "
    "`textcrm log bobs --type call --summary ...` or set follow_up to a date on or after "
    "2026-11-28 [stale]\n"
)
KEPT = (
    "already there before this commit, which does not make it worse, so it does not block "
    "it; still to fix: "
)


@pytest.fixture
def team(make_repo, run, tmp_path) -> Path:
    """A team repository with the hook installed, a good deal of Alice's, and two deals with
    problems that reached HEAD with --no-verify."""
    top = tmp_path / "team"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    make_repo(
        {
            "opportunities/acme.md": GOOD_OPPORTUNITY,
            "opportunities/bobs.md": STALE_DEAL,
            "opportunities/carols.md": PAST_DEAL,
        },
        config=DEFAULT_CONFIG.replace("owners: [alice, bob]", "owners: [alice, bob, carol]"),
        root=top,
    )
    assert run(["hook", "install"], cwd=top).exit_code == 0
    git(top, "add", "-A")
    assert git(top, "commit", "-q", "--no-verify", "-m", "first").returncode == 0
    return top


def test_config_change_with_others_stale_deals_is_accepted(team):
    config = (team / "textcrm.yaml").read_text()
    write_files(team, {"textcrm.yaml": config.replace("carol]", "carol, dave]")})
    git(team, "add", "textcrm.yaml")
    done = commit(team)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "textcrm: no problems in 3 opportunities, 2 accounts, 2 contacts, 1 competitor, "
        "2 products\n"
        "textcrm: note: 2 problems were already there before this commit, in 2 records it does "
        "not change (1 close-date-past, 1 stale); they do not block it. `textcrm check` lists "
        "them.\n"
    )


def test_config_change_refuses_only_the_problems_it_brings(team):
    config = (team / "textcrm.yaml").read_text()
    write_files(
        team,
        {"textcrm.yaml": config.replace("owners: [alice, bob, carol]", "owners: [alice, carol]")},
    )
    git(team, "add", "textcrm.yaml")
    done = commit(team)
    assert done.returncode == 1
    assert done.stderr == (
        "opportunities/bobs.md:4:1: error: owner `bob` is not in textcrm.yaml's owners "
        "(alice, carol) [unknown-owner]\n"
        "textcrm: 1 error, 0 warnings in 3 opportunities, 2 accounts, 2 contacts, 1 competitor, "
        "2 products\n"
        "textcrm: note: 2 problems were already there before this commit, in 2 records it does "
        "not change (1 close-date-past, 1 stale); they do not block it. `textcrm check` lists "
        "them.\n" + REFUSED
    )


def test_catalog_description_change_is_accepted(team):
    catalog = (team / "products.yaml").read_text()
    write_files(
        team, {"products.yaml": catalog.replace("name: Service day", "name: Service day (on site)")}
    )
    git(team, "add", "products.yaml")
    done = commit(team)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "textcrm: no problems in 1 opportunity, 2 products\n"
        "textcrm: note: 1 problem was already there before this commit, in 1 record it does "
        "not change (1 close-date-past); they do not block it. `textcrm check` lists them.\n"
    )


def test_reassigning_a_stale_deal_is_accepted_with_a_note(team, run):
    result = run(
        ["set", "bobs", "owner", "alice", "--commit", "--today", TODAY],
        cwd=team,
        env={"TEXTCRM_TODAY": TODAY},
    )
    assert result.exit_code == 0, result.output
    assert git(team, "log", "-1", "--format=%s").stdout == "set owner on bobs\n"
    write_files(team, {"opportunities/bobs.md": STALE_DEAL.replace("owner: bob", "owner: carol")})
    git(team, "add", "-A")
    done = commit(team)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        STALE.format(severity="note", prefix=KEPT) + "textcrm: no problems in 1 opportunity\n"
    )


def test_a_change_that_makes_the_stale_deal_worse_is_refused(team):
    worse = STALE_DEAL.replace("date: 2026-11-02", "date: 2026-10-02")
    write_files(team, {"opportunities/bobs.md": worse})
    git(team, "add", "-A")
    done = commit(team)
    assert done.returncode == 1
    assert "opportunities/bobs.md:1:1: error: stale: no activity since 2026-10-02" in done.stderr


def test_a_newly_introduced_past_close_date_is_refused(team):
    write_files(
        team,
        {"opportunities/acme.md": GOOD_OPPORTUNITY.replace("2026-12-19", "2026-11-20")},
    )
    git(team, "add", "-A")
    done = commit(team)
    assert done.returncode == 1
    assert done.stderr == (
        "opportunities/acme.md:6:1: error: close date 2026-11-20 is in the past (today is "
        "2026-11-28); set close_date to your best current estimate [close-date-past]\n"
        "textcrm: 1 error, 0 warnings in 1 opportunity\n" + REFUSED
    )


def test_moving_a_past_close_date_is_judged_as_new(team):
    """Changing the close date of a deal whose date was already past, to another past date:
    the field the rule reads changed, so the problem is the commit's."""
    write_files(team, {"opportunities/carols.md": PAST_DEAL.replace("2026-11-01", "2026-11-15")})
    git(team, "add", "-A")
    done = commit(team)
    assert done.returncode == 1
    assert "opportunities/carols.md:6:1: error: close date 2026-11-15 is in the past" in done.stderr


def test_check_still_reports_everything(team, run):
    result = run(["check", "--today", TODAY, "--no-cache"], cwd=team)
    assert result.exit_code == 1
    assert "[stale]" in result.output and "[close-date-past]" in result.output
    assert "2 errors" in result.output
