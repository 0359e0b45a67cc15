"""The example repository passes check at its date, and a broken one fails at the right line."""

from __future__ import annotations

from conftest import EXAMPLE, EXAMPLE_TODAY, GOOD_OPPORTUNITY


def test_example_repo_has_no_problems(run):
    result = run(["check", "--root", str(EXAMPLE), "--today", EXAMPLE_TODAY])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("no problems in 12 opportunities")


def test_close_date_past_points_at_its_line(make_repo, run):
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    result = run(["check", "--today", "2026-12-20"], cwd=root)
    assert result.exit_code == 1
    assert (
        "opportunities/acme.md:6:1: error: close date 2026-12-19 is in the past "
        "(today is 2026-12-20); set close_date to your best current estimate [close-date-past]"
    ) in result.output
