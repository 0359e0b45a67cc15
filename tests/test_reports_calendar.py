"""The iCalendar feed, parsed back with icalendar: events, all-day dates and stable UIDs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import icalendar

from test_reports import REPORT_FILES

EXPECTED = [
    ("close-date.old-deal@textcrm", date(2026, 11, 20), "Close date: Globex Inc - old deal"),
    (
        "follow-up.acme-renewal@textcrm",
        date(2026, 11, 25),
        "Follow up: Acme Corp - support renewal",
    ),
    (
        "quote-expiry.globex-service@textcrm",
        date(2026, 11, 27),
        "Quote Q-1 expires: Globex Inc - service contract",
    ),
    (
        "follow-up.acme-scanners@textcrm",
        date(2026, 11, 28),
        "Follow up: Acme Corp - warehouse scanners (Send quote)",
    ),
    (
        "decision-issue.globex-service.legal-review@textcrm",
        date(2026, 12, 1),
        "Decision due: Legal review (Globex Inc - service contract)",
    ),
    (
        "quote-expiry.acme-scanners@textcrm",
        date(2026, 12, 3),
        "Quote Q-2 expires: Acme Corp - warehouse scanners",
    ),
    (
        "close-date.globex-service@textcrm",
        date(2026, 12, 5),
        "Close date: Globex Inc - service contract",
    ),
    (
        "close-date.acme-scanners@textcrm",
        date(2026, 12, 19),
        "Close date: Acme Corp - warehouse scanners",
    ),
    (
        "close-date.acme-renewal@textcrm",
        date(2027, 1, 15),
        "Close date: Acme Corp - support renewal",
    ),
]


def feed(run, root, *args, today="2026-11-28"):
    result = run(["calendar", "--root", str(root), "--today", today, *args])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def parse(data):
    cal = icalendar.Calendar.from_ical(data)
    return cal, [
        (str(e["UID"]), e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]), e)
        for e in cal.walk("VEVENT")
    ]


def test_feed_has_an_all_day_event_per_open_date(run, make_repo):
    root = make_repo(REPORT_FILES)
    cal, events = parse(feed(run, root))
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-CALNAME"]) == "textcrm: all opportunities"
    assert [(uid, start, summary) for uid, start, _end, summary, _e in events] == EXPECTED
    for _uid, start, end, _summary, event in events:
        # All-day: DATE values (not date-times), ending the next day.
        assert type(start) is date and (end - start).days == 1
        assert event.decoded("DTSTAMP") == datetime(2026, 11, 28, tzinfo=UTC)
        assert str(event["TRANSP"]) == "TRANSPARENT"
    description = str(events[3][4]["DESCRIPTION"])
    assert description.splitlines() == [
        "Opportunity: acme-scanners",
        "Account: acme-corp",
        "Owner: alice",
        "Stage: Proposal",
        "Expected: $12,350.00",
        "Close date: 2026-12-19",
        "Next step: Send quote",
    ]


def test_closed_deals_and_resolved_issues_have_no_events(run, make_repo):
    resolved = REPORT_FILES["opportunities/globex-service.md"].replace(
        "status: open", "status: resolved"
    )
    root = make_repo({**REPORT_FILES, "opportunities/globex-service.md": resolved})
    uids = [uid for uid, *_ in parse(feed(run, root))[1]]
    assert "decision-issue.globex-service.legal-review@textcrm" not in uids
    assert not any("globex-won" in u or "acme-lost" in u for u in uids)


def test_owner_feed(run, make_repo):
    root = make_repo(REPORT_FILES)
    cal, events = parse(feed(run, root, "--owner", "alice"))
    assert str(cal["X-WR-CALNAME"]) == "textcrm: alice"
    assert [uid for uid, *_ in events] == [
        "follow-up.acme-renewal@textcrm",
        "follow-up.acme-scanners@textcrm",
        "quote-expiry.acme-scanners@textcrm",
        "close-date.acme-scanners@textcrm",
        "close-date.acme-renewal@textcrm",
    ]


def test_feed_is_byte_stable_across_runs(run, make_repo):
    root = make_repo(REPORT_FILES)
    assert feed(run, root) == feed(run, root)


def test_moving_a_date_keeps_the_uid(run, make_repo):
    root = make_repo(REPORT_FILES)
    before = {uid: start for uid, start, *_ in parse(feed(run, root))[1]}
    path = root / "opportunities/acme-scanners.md"
    path.write_text(path.read_text().replace("follow_up: 2026-11-28", "follow_up: 2026-12-02"))
    after = {uid: start for uid, start, *_ in parse(feed(run, root))[1]}
    assert set(after) == set(before)
    assert after["follow-up.acme-scanners@textcrm"] == date(2026, 12, 2)
    assert {u: d for u, d in after.items() if u != "follow-up.acme-scanners@textcrm"} == {
        u: d for u, d in before.items() if u != "follow-up.acme-scanners@textcrm"
    }


def test_repeated_decision_issue_wording_gets_distinct_uids(run, make_repo):
    twice = REPORT_FILES["opportunities/globex-service.md"].replace(
        "  - {issue: Legal review, status: open, owner: bob, due: 2026-12-01}\n",
        "  - {issue: Legal review, status: open, owner: bob, due: 2026-12-01}\n"
        "  - {issue: Legal  Review!, status: open, owner: bob, due: 2026-12-02}\n",
    )
    root = make_repo({**REPORT_FILES, "opportunities/globex-service.md": twice})
    uids = [uid for uid, *_ in parse(feed(run, root))[1] if uid.startswith("decision")]
    assert uids == [
        "decision-issue.globex-service.legal-review@textcrm",
        "decision-issue.globex-service.legal-review-2@textcrm",
    ]


def test_output_file_and_library_function_agree(run, make_repo, tmp_path):
    from textcrm.calendar import calendar_feed
    from textcrm.loader import load

    root = make_repo(REPORT_FILES)
    out = tmp_path / "alice.ics"
    result = run(
        [
            "calendar",
            "--root",
            str(root),
            "--today",
            "2026-11-28",
            "--owner",
            "alice",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0
    repo = load(root, date(2026, 11, 28), run_checks=False).repository
    assert out.read_bytes() == calendar_feed(repo, date(2026, 11, 28), "alice")
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")


def test_unknown_owner_and_bad_output_folder_are_clear_errors(run, make_repo, tmp_path):
    root = make_repo(REPORT_FILES)
    result = run(["calendar", "--root", str(root), "--owner", "zed"])
    assert result.exit_code == 2 and "--owner zed: no such owner" in result.output
    result = run(["calendar", "--root", str(root), "-o", str(tmp_path / "nope" / "x.ics")])
    assert result.exit_code == 2 and "does not exist" in result.output
