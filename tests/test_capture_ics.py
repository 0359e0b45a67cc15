"""`textcrm log --from-ics`: a calendar export's meetings (recurring, all-day, attendees in
several forms) logged once each, the rest of the file byte for byte as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TODAY

CONFIG = """\
currency: USD
timezone: Europe/Berlin
owners:
  - {key: alice, email: alice@northwind.example}
stages:
  - {key: prospecting, name: Prospecting, probability: 10, forecast: pipeline}
  - {key: closed-won,  name: Closed Won,  probability: 100, forecast: closed, outcome: won}
"""

OPPORTUNITY = """\
---
title: Acme Corp - warehouse scanners
account: acme-corp
owner: alice
stage: prospecting
close_date: 2026-12-19    # end of quarter
amount: 48000
activities: [{date: 2026-11-02, type: call, summary: Intro}]
---
Notes.
"""

FILES = {
    "accounts/acme-corp.md": "---\nname: Acme Corp\n---\n",
    "accounts/globex-inc.md": "---\nname: Globex Inc\n---\n",
    "contacts/jane-doe.md": (
        "---\nname: Jane Doe\naccount: acme-corp\nemail: jane@acme.example\n"
        "emails: [jd@acme-group.example]\n---\n"
    ),
    "contacts/john-roe.md": "---\nname: John Roe\naccount: globex-inc\nemail: john@globex.example\n---\n",
    "opportunities/acme-scanners.md": OPPORTUNITY,
}


@pytest.fixture
def crm(make_repo) -> Path:
    return make_repo(FILES, config=CONFIG, defaults=False)


def opp(crm: Path) -> Path:
    return crm / "opportunities" / "acme-scanners.md"


def calendar(*events: str) -> str:
    body = "".join(
        f"BEGIN:VEVENT\r\n{e.strip().replace(chr(10), chr(13) + chr(10))}\r\nEND:VEVENT\r\n"
        for e in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


def log(run, crm: Path, tmp_path: Path, text: str | bytes, *args: str, today: str = TODAY):
    path = tmp_path / "export.ics"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return run(["log", "--from-ics", str(path), "--root", str(crm), "--today", today, *args])


def with_activities(*items: str, follow_up: str | None = None) -> str:
    """OPPORTUNITY with `items` appended to its flow list (and a follow_up line)."""
    text = OPPORTUNITY.replace(
        "summary: Intro}]", "summary: Intro}" + "".join(f", {i}" for i in items) + "]"
    )
    if follow_up:
        text = text.replace("---\nNotes.", f"follow_up: {follow_up}\n---\nNotes.")
    return text


WEEKLY = """
UID:weekly-sync-1@cal.example
DTSTAMP:20261101T000000Z
DTSTART;TZID=Europe/Berlin:20261104T100000
DTEND;TZID=Europe/Berlin:20261104T103000
RRULE:FREQ=WEEKLY;UNTIL=20261216T090000Z
EXDATE;TZID=Europe/Berlin:20261111T100000
SUMMARY:Weekly sync
ORGANIZER;CN=Alice:mailto:alice@northwind.example
ATTENDEE;CN=Jane Doe;PARTSTAT=ACCEPTED:MAILTO:Jane@ACME.example
"""

ALL_DAY = """
UID:workshop-2@cal.example
DTSTAMP:20261101T000000Z
DTSTART;VALUE=DATE:20261120
DTEND;VALUE=DATE:20261122
SUMMARY:On-site workshop
ATTENDEE;CN="Doe, Jane";EMAIL=jd@acme-group.example:urn:uuid:5f1c
ATTENDEE:mailto:Bob.New@acme.example
"""


def test_recurring_and_all_day_events_log_their_past_occurrences(run, crm, tmp_path):
    result = log(run, crm, tmp_path, calendar(WEEKLY, ALL_DAY))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "opportunities/acme-scanners.md: log 4 meetings on acme-scanners",
        "  note: 2026-11-04 Weekly sync",
        "  note: 2026-11-18 Weekly sync",
        "  note: 2026-11-20 On-site workshop",
        "  note: 2026-11-25 Weekly sync",
        "1 future meeting(s) not logged (--set-follow-up makes the next one the opportunity's "
        "follow_up)",
        "addresses that are not contacts (create them with):",
        "  textcrm new contact 'Bob New' --account acme-corp --email Bob.New@acme.example",
    ]
    assert opp(crm).read_text() == with_activities(
        "{date: 2026-11-04, type: meeting, contact: jane-doe, summary: Weekly sync, "
        "uid: weekly-sync-1@cal.example}",
        "{date: 2026-11-18, type: meeting, contact: jane-doe, summary: Weekly sync, "
        "uid: weekly-sync-1@cal.example}",
        "{date: 2026-11-20, type: meeting, contact: jane-doe, summary: On-site workshop, "
        "uid: workshop-2@cal.example}",
        "{date: 2026-11-25, type: meeting, contact: jane-doe, summary: Weekly sync, "
        "uid: weekly-sync-1@cal.example}",
    )
    check = run(["check", "--root", str(crm), "--today", TODAY])
    assert check.exit_code == 0, check.output


def test_the_same_export_twice_changes_nothing(run, crm, tmp_path):
    assert log(run, crm, tmp_path, calendar(WEEKLY, ALL_DAY)).exit_code == 0
    once = opp(crm).read_bytes()
    again = log(run, crm, tmp_path, calendar(WEEKLY, ALL_DAY))
    assert again.exit_code == 0
    assert again.output.splitlines()[:2] == [
        f"{tmp_path / 'export.ics'}: nothing new to log; nothing changed",
        "4 meeting(s) already logged",
    ]
    assert opp(crm).read_bytes() == once


def test_a_one_off_event_moved_after_it_was_logged_is_not_logged_again(run, crm, tmp_path):
    day = "2026-11-24"  # the workshop (on the 20th) keeps the deal from being stale
    assert log(run, crm, tmp_path, calendar(ALL_DAY), today=day).exit_code == 0
    once = opp(crm).read_bytes()
    moved = ALL_DAY.replace("DTSTART;VALUE=DATE:20261120", "DTSTART;VALUE=DATE:20261121")
    again = log(run, crm, tmp_path, calendar(moved), today=day)
    assert again.exit_code == 0
    assert "1 meeting(s) already logged" in again.output.splitlines()
    assert opp(crm).read_bytes() == once


def test_set_follow_up_makes_the_next_meeting_the_follow_up(run, crm, tmp_path):
    result = log(run, crm, tmp_path, calendar(WEEKLY), "--set-follow-up")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "opportunities/acme-scanners.md: log 3 meetings and set follow_up to 2026-12-02 on "
        "acme-scanners"
    )
    assert opp(crm).read_text() == with_activities(
        "{date: 2026-11-04, type: meeting, contact: jane-doe, summary: Weekly sync, "
        "uid: weekly-sync-1@cal.example}",
        "{date: 2026-11-18, type: meeting, contact: jane-doe, summary: Weekly sync, "
        "uid: weekly-sync-1@cal.example}",
        "{date: 2026-11-25, type: meeting, contact: jane-doe, summary: Weekly sync, "
        "uid: weekly-sync-1@cal.example}",
        follow_up="2026-12-02",
    )


def test_a_future_one_off_meeting_only_sets_the_follow_up(run, crm, tmp_path):
    event = """
UID:kickoff-9@cal.example
DTSTART:20261207T150000Z
SUMMARY:Kick-off
ATTENDEE:mailto:jane@acme.example
"""
    plain = log(run, crm, tmp_path, calendar(event))
    assert plain.exit_code == 0
    assert opp(crm).read_text() == OPPORTUNITY
    result = log(run, crm, tmp_path, calendar(event), "--set-follow-up")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "opportunities/acme-scanners.md: set follow_up to 2026-12-07 on acme-scanners"
    )
    assert opp(crm).read_text() == with_activities(follow_up="2026-12-07")


def test_times_are_dated_in_the_repositorys_time_zone(run, crm, tmp_path):
    # 23:30 UTC on the 24th is 00:30 on the 25th in Berlin; a floating time stays as it is.
    late = "UID:late-1@cal.example\nDTSTART:20261124T233000Z\nSUMMARY:Late call\nATTENDEE:mailto:jane@acme.example"
    floating = "UID:float-1@cal.example\nDTSTART:20261124T233000\nSUMMARY:Floating\nATTENDEE:mailto:jane@acme.example"
    result = log(run, crm, tmp_path, calendar(late, floating))
    assert result.exit_code == 0, result.output
    assert opp(crm).read_text() == with_activities(
        "{date: 2026-11-24, type: meeting, contact: jane-doe, summary: Floating, "
        "uid: float-1@cal.example}",
        "{date: 2026-11-25, type: meeting, contact: jane-doe, summary: Late call, "
        "uid: late-1@cal.example}",
    )


def test_a_moved_and_a_cancelled_occurrence(run, crm, tmp_path):
    moved = """
UID:weekly-sync-1@cal.example
RECURRENCE-ID;TZID=Europe/Berlin:20261118T100000
DTSTART;TZID=Europe/Berlin:20261119T160000
SUMMARY:Weekly sync (moved)
ATTENDEE:mailto:jane@acme.example
"""
    cancelled = """
UID:weekly-sync-1@cal.example
RECURRENCE-ID;TZID=Europe/Berlin:20261125T100000
DTSTART;TZID=Europe/Berlin:20261125T100000
STATUS:CANCELLED
SUMMARY:Weekly sync
ATTENDEE:mailto:jane@acme.example
"""
    # As of the 25th: that day's meeting was cancelled, the 18th's moved to the 19th.
    result = log(run, crm, tmp_path, calendar(WEEKLY, moved, cancelled), today="2026-11-25")
    assert result.exit_code == 0, result.output
    assert opp(crm).read_text() == with_activities(
        "{date: 2026-11-04, type: meeting, contact: jane-doe, summary: Weekly sync, "
        "uid: weekly-sync-1@cal.example}",
        "{date: 2026-11-19, type: meeting, contact: jane-doe, summary: Weekly sync (moved), "
        "uid: weekly-sync-1@cal.example}",
    )


def test_events_without_contacts_are_skipped_and_ambiguous_ones_change_nothing(
    run, make_repo, tmp_path
):
    crm = make_repo(
        {**FILES, "opportunities/acme-service.md": OPPORTUNITY.replace("scanners", "service")},
        config=CONFIG,
        defaults=False,
    )
    strangers = "UID:s-1@cal.example\nDTSTART:20261110T100000Z\nSUMMARY:Dentist\nATTENDEE:mailto:dr@teeth.example"
    result = log(run, crm, tmp_path, calendar(WEEKLY, strangers))
    assert result.exit_code == 2
    assert "event weekly-sync-1@cal.example on 2026-11-04: 2 open opportunities fit jane-doe" in (
        result.output
    )
    assert opp(crm).read_text() == OPPORTUNITY
    picked = log(run, crm, tmp_path, calendar(WEEKLY, strangers), "--opportunity", "acme-scanners")
    assert picked.exit_code == 0, picked.output
    assert "1 event(s) with no attendee who is a contact, skipped" in picked.output
    assert "dr@teeth.example" not in picked.output
    assert (crm / "opportunities/acme-service.md").read_text() == OPPORTUNITY.replace(
        "scanners", "service"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "this is not a calendar\n",
            "not a readable iCalendar file (Content line could not be parsed",
        ),
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n",
            "not a readable iCalendar file",
        ),
        (
            calendar("UID:x@cal\nDTSTART:tomorrow\nATTENDEE:mailto:jane@acme.example"),
            "event x@cal: DTSTART `tomorrow` is not a date or time",
        ),
        (
            calendar("DTSTART:20261110T100000Z\nSUMMARY:No uid\nATTENDEE:mailto:jane@acme.example"),
            "an event has no UID (`No uid`)",
        ),
        (
            calendar(
                "UID:r@cal\nDTSTART;TZID=Europe/Berlin:20261104T100000\nRRULE:FREQ=SOMETIMES\n"
                "ATTENDEE:mailto:jane@acme.example"
            ),
            "event r@cal: RRULE `FREQ=SOMETIMES` cannot be read",
        ),
    ],
    ids=["garbage", "truncated", "bad-date", "no-uid", "bad-rrule"],
)
def test_a_broken_calendar_gives_a_clear_message_and_changes_nothing(
    run, crm, tmp_path, text, message
):
    result = log(run, crm, tmp_path, text)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("textcrm: error: ")
    assert message in result.output
    assert "Traceback" not in result.output
    assert opp(crm).read_text() == OPPORTUNITY


def test_a_huge_calendar_is_refused_before_parsing(run, crm, tmp_path):
    big = calendar(WEEKLY).encode() + b"X-FILLER:" + b"x" * (11 * 1024 * 1024)
    result = log(run, crm, tmp_path, big)
    assert result.exit_code == 2
    assert "is larger than 10 MB, the most textcrm reads; export a shorter period" in result.output
    assert opp(crm).read_text() == OPPORTUNITY
