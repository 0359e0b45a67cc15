"""The calendar feed's own iCalendar writer gives the bytes icalendar's components give: TEXT
escaping, line folding (octets, multi-byte characters and escapes at the fold) and whole feeds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DEFAULT_CONFIG
from textcrm.calendar import (
    PRODID,
    _description,
    _fold,
    _fold_slow,
    calendar_feeds,
    events,
    feed_name,
)
from textcrm.encode import ics_text
from textcrm.loader import load

TODAY = date(2026, 11, 28)


def icalendar_line(name: str, value: str) -> bytes:
    """One TEXT property as icalendar writes it: `NAME:escaped value`, folded, CRLF."""
    event = icalendar.Event()
    event.add(name, value)
    lines = event.to_ical().split(b"\r\n")
    return b"\r\n".join(lines[1:-2]) + b"\r\n"  # without BEGIN/END:VEVENT


def our_line(name: str, value: str) -> bytes:
    from textcrm.calendar import _content_lines, _ics_escape

    return _content_lines([f"{name.upper()}:{_ics_escape(value)}"])


TRICKY = [
    "",
    "plain",
    "a" * 64,  # with `SUMMARY:`, a line of exactly 72, 73, 74, 75 octets
    "a" * 65,
    "a" * 66,
    "a" * 67,
    "a" * 200,
    "a" * 65 + "é",  # a two-octet character that would end on octet 75
    "a" * 64 + "é" + "b" * 100,
    "a" * 65 + "€",  # three octets across the fold
    "a" * 63 + "𝄞" + "tail" * 30,  # four octets across the fold
    "é" * 100,
    "日本語のテキスト" * 20,
    "a" * 65 + "\\" + "b" * 20,  # a backslash (escaped: two) at the fold
    "a" * 64 + "\\" + "b" * 20,
    "a" * 65 + ";" + "b" * 20,  # an escaped semicolon at the fold
    "a" * 65 + "," + "b" * 20,
    "a" * 64 + "^" + "b" * 20,  # a caret (RFC 6868's escape) at the fold
    "a" * 65 + "^" + "b" * 20,
    "^" * 150,
    "\\" * 150,
    "x\\" * 80,
    "commas, semicolons; and a backslash \\ here",
    "line one\nline two\r\nline three\rfour",
    "a path C:\\New and C:\\n",  # icalendar reads an existing `\N` as a line end
    "\n" * 40 + "a" * 80,
    "tab\there and a no-break\xa0space and \u2028 a line separator",
    ("Opportunity: acme\nAccount: acme-corp\nOwner: alice\nStage: Proposal\n" * 3),
]


@pytest.mark.parametrize("value", TRICKY)
def test_a_text_property_is_written_as_icalendar_writes_it(value: str) -> None:
    assert our_line("summary", value) == icalendar_line("summary", value)


@given(
    st.text(
        alphabet=st.sampled_from(list("ab ,;\\^:\n\r\tNéü€日𝄞\xa0")),
        max_size=400,
    )
)
@settings(max_examples=400, deadline=None)
def test_any_text_of_escapes_and_wide_characters_is_written_as_icalendar_writes_it(
    value: str,
) -> None:
    assert our_line("description", value) == icalendar_line("description", value)


@pytest.mark.parametrize("length", range(60, 240))
@pytest.mark.parametrize("unit", ["abcdefghij", "abc\\nefghi", "a^b\\,c\\;d", "\\", "^"])
def test_the_fold_of_ascii_lines_equals_the_general_fold(length: int, unit: str) -> None:
    line = (unit * 240)[:length]
    assert _fold(line) == _fold_slow(line)
    assert all(len(part) <= 75 for part in _fold(line).split("\r\n"))


def reference_feeds(repo, today: date, owners: list[str | None]) -> dict[str | None, bytes]:
    """Every feed as icalendar's components serialize them (how textcrm wrote them before)."""
    stamp = datetime(today.year, today.month, today.day, tzinfo=UTC)
    feeds = {}
    for owner in owners:
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", ics_text(feed_name(repo, owner)))
        for item in events(repo, owner):
            event = icalendar.Event()
            event.add("uid", ics_text(item.uid))
            event.add("dtstamp", stamp)
            event.add("dtstart", item.day)
            event.add("dtend", item.day + timedelta(days=1))
            event.add("summary", ics_text(item.summary))
            event.add(
                "description", ics_text(_description(repo, repo.opportunities[item.opportunity]))
            )
            event.add("categories", [item.kind])
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
        feeds[owner] = bytes(cal.to_ical())
    return feeds


TRICKY_DEALS = {
    "opportunities/long-title.md": """\
---
title: "Acme, Inc.; the warehouse scanners \\\\ phase two — über-großer Auftrag für 日本 😀 and more"
account: acme-corp
owner: alice
stage: proposal
close_date: 2026-12-19
next_step: "Call Jane; then Bob, then C:\\\\New folder\\nand a second line, with ^carets^"
follow_up: 2026-12-01
quote: {number: "Q-7,8", valid_until: 2026-12-31}
decision_issues:
  - {issue: "Legal; review, again", status: open, owner: bob, due: 2026-12-02}
  - {issue: "Legal; review, again", status: open, owner: bob, due: 2026-12-03}
---
""",
    "opportunities/plain.md": """\
---
title: Globex - service
account: globex-inc
owner: bob
stage: qualification
close_date: 2027-01-15
---
""",
}


# Feed names (company and owner) that icalendar writes as they are (an X- property).
TRICKY_CONFIG = DEFAULT_CONFIG.replace(
    "owners: [alice, bob]",
    'owners:\n  - {key: alice, name: "Alice Müller-Łukasiewicz, Sales; EMEA \\\\ North"}\n'
    "  - bob\n"
    'company: {name: "Northwind, Robotics; Inc. \\\\ Großhandel für Förderanlagen und Zubehör"}',
)


def test_feeds_are_the_bytes_icalendar_writes(make_repo) -> None:
    root = make_repo(TRICKY_DEALS, config=TRICKY_CONFIG)
    repo = load(root, TODAY).repository
    owners: list[str | None] = [None, "alice", "bob"]
    ours = calendar_feeds(repo, TODAY, owners)
    assert ours == reference_feeds(repo, TODAY, owners)
    # Folded lines, escapes and wide characters were all exercised.
    assert b"\r\n " in ours[None] and b"\\;" in ours[None] and b"\\," in ours[None]
    assert "日本".encode() in ours["alice"]
    assert ours["bob"].count(b"BEGIN:VEVENT") == 1  # bob's one close date
    assert b"X-WR-CALNAME:Northwind, Robotics; Inc. \\ Gro" in ours["alice"]


def test_a_line_break_in_a_feed_name_is_escaped(make_repo) -> None:
    """icalendar refused a line break in X-WR-CALNAME (an assertion); it is written `\\n`."""
    config = DEFAULT_CONFIG + 'company: {name: "Northwind\\nRobotics"}\n'
    repo = load(make_repo(TRICKY_DEALS, config=config), TODAY).repository
    feed = calendar_feeds(repo, TODAY, ["bob"])["bob"]
    assert b"\r\nX-WR-CALNAME:Northwind\\nRobotics: bob\r\n" in feed


def test_a_kept_memo_gives_the_same_feeds(make_repo) -> None:
    root = make_repo(TRICKY_DEALS)
    repo = load(root, TODAY).repository
    memo: dict = {}
    first = calendar_feeds(repo, TODAY, [None, "alice"], memo)
    assert len(memo) == first[None].count(b"BEGIN:VEVENT") == 6
    assert calendar_feeds(repo, TODAY, [None, "alice"], memo) == first
