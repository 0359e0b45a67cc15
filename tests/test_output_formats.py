"""The three output formats of `textcrm check`, pinned by golden files (editors parse them)."""

from __future__ import annotations

import json
import re

import pytest

from conftest import GOOD_OPPORTUNITY

FILES = {
    "opportunities/acme-scanners.md": GOOD_OPPORTUNITY.replace(
        "close_date: 2026-12-19", "close_date: 2026-11-01"
    ).replace("stage: prospecting", "stage: proposal"),
    "opportunities/globex, phase 2.md": GOOD_OPPORTUNITY.replace(
        "account: acme-corp", "account: globex"
    ).replace("amount: 48000", "amount: 48000\nfollow_up: 2026-11-20"),
    "opportunities/ok.md": GOOD_OPPORTUNITY,
}


@pytest.fixture
def repo(make_repo):
    return make_repo(FILES)


def test_text(repo, run, golden):
    result = run(["check", "--today", "2026-11-28"], cwd=repo)
    assert result.exit_code == 1
    golden("check.txt", result.output)


def test_text_lines_parse_as_quickfix(repo, run):
    result = run(["check", "--today", "2026-11-28"], cwd=repo)
    lines = result.output.splitlines()
    pattern = re.compile(r"^(.+?):(\d+):(\d+): (error|warning): (.*) \[([a-z-]+)\]$")
    assert all(pattern.match(line) for line in lines[:-1])
    assert lines[-1] == (
        "3 errors, 1 warning in 3 opportunities, 2 accounts, 2 contacts, 1 competitor, 2 products"
    )


def test_json(repo, run, golden):
    result = run(["check", "--today", "2026-11-28", "--format", "json"], cwd=repo)
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["root"] == str(repo.resolve())
    doc["root"] = "<root>"
    golden("check.json", json.dumps(doc, indent=2) + "\n")


def test_github(repo, run, golden):
    result = run(["check", "--today", "2026-11-28", "--format", "github"], cwd=repo)
    assert result.exit_code == 1
    golden("check.github", result.output)


def test_paths_are_relative_to_the_current_directory(repo, run):
    result = run(["check", "--today", "2026-11-28"], cwd=repo / "opportunities")
    assert result.output.startswith("acme-scanners.md:5:1: error:")
    result = run(["check", "--today", "2026-11-28", "--format", "json"], cwd=repo / "opportunities")
    assert json.loads(result.output)["problems"][0]["path"] == "opportunities/acme-scanners.md"


def test_colour_only_when_forced_or_on_a_terminal(repo, run):
    plain = run(["check", "--today", "2026-11-28"], cwd=repo)
    assert "\x1b[" not in plain.output
    forced = run(
        ["check", "--today", "2026-11-28"], cwd=repo, env={"NO_COLOR": "", "FORCE_COLOR": "1"}
    )
    assert "\x1b[1;31merror:\x1b[0m" in forced.output
    both = run(
        ["check", "--today", "2026-11-28"], cwd=repo, env={"NO_COLOR": "1", "FORCE_COLOR": "1"}
    )
    assert "\x1b[" not in both.output


def test_clean_repository_exits_zero(make_repo, run):
    root = make_repo({"opportunities/ok.md": GOOD_OPPORTUNITY})
    result = run(["check", "--today", "2026-11-28"], cwd=root)
    assert result.exit_code == 0
    assert result.output == (
        "no problems in 1 opportunity, 2 accounts, 2 contacts, 1 competitor, 2 products\n"
    )


def test_check_given_paths_resolves_references_against_everything(make_repo, run):
    root = make_repo(FILES)
    result = run(["check", "--today", "2026-11-28", "opportunities/ok.md"], cwd=root)
    assert result.exit_code == 0
    assert result.output == "no problems in 1 opportunity\n"
    result = run(["check", "--today", "2026-11-28", "opportunities"], cwd=root)
    assert result.output.endswith("in 3 opportunities\n")
    result = run(["check", "--today", "2026-11-28", "nope.md"], cwd=root)
    assert result.exit_code == 2
