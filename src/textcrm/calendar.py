"""The iCalendar feed of open deals' dates, and calendar exports read back as meetings; the only
importer of the icalendar library (and of dateutil's recurrence rules).

One all-day event per open opportunity's follow-up, close date, quote expiry and open
decision issue with a due date. Each event's UID is derived from what it is about, never from
its date (`follow-up.acme-scanners@textcrm`), so a subscribed calendar moves the event when
the date changes instead of adding another one. DTSTAMP is `today` at midnight UTC, so the
same repository on the same day always gives the same bytes. Every text value goes through
`encode.ics_text`, which drops the control characters RFC 5545 forbids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from textcrm import pipeline
from textcrm.encode import ics_text
from textcrm.errors import UsageError
from textcrm.money import format_money

if TYPE_CHECKING:
    from textcrm.model import Opportunity
    from textcrm.repository import Repository

PRODID = "-//textcrm//textcrm calendar feed//EN"
UID_DOMAIN = "textcrm"
KINDS = ("follow-up", "close-date", "quote-expiry", "decision-issue")


def slug(text: str) -> str:
    """Lower-case words joined by hyphens: the stable part of a decision issue's UID."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "issue"


def event_uid(kind: str, opportunity: str, name: str = "") -> str:
    """`close-date.acme-scanners@textcrm`; decision issues add their slug."""
    return f"{kind}.{opportunity}{'.' + name if name else ''}@{UID_DOMAIN}"


def _description(repo: Repository, opp: Opportunity) -> str:
    fig = repo.figures(opp)
    stage = repo.config.stage(opp.stage)
    lines = [
        f"Opportunity: {opp.id}",
        f"Account: {opp.account}",
        f"Owner: {opp.owner}",
        f"Stage: {stage.name if stage else opp.stage}",
        f"Expected: {format_money(fig.expected, fig.currency, repo.config.locale)}",
    ]
    if opp.close_date:
        lines.append(f"Close date: {opp.close_date}")
    if opp.next_step:
        lines.append(f"Next step: {opp.next_step}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str
    kind: str  # one of KINDS
    day: date
    summary: str
    opportunity: str  # id


def events(repo: Repository, owner: str | None = None) -> list[CalendarEvent]:
    """Every event of the feed, sorted by day then uid."""
    found: list[CalendarEvent] = []
    for opp in pipeline.select(repo, owner, "open"):
        title = opp.title or opp.id
        if opp.follow_up is not None:
            summary = f"Follow up: {title}" + (f" ({opp.next_step})" if opp.next_step else "")
            found.append(
                CalendarEvent(
                    event_uid("follow-up", opp.id), "follow-up", opp.follow_up, summary, opp.id
                )
            )
        if opp.close_date is not None:
            found.append(
                CalendarEvent(
                    event_uid("close-date", opp.id),
                    "close-date",
                    opp.close_date,
                    f"Close date: {title}",
                    opp.id,
                )
            )
        if opp.quote is not None and opp.quote.valid_until is not None:
            found.append(
                CalendarEvent(
                    event_uid("quote-expiry", opp.id),
                    "quote-expiry",
                    opp.quote.valid_until,
                    f"Quote {opp.quote.number or '(no number)'} expires: {title}",
                    opp.id,
                )
            )
        seen: dict[str, int] = {}
        for issue in opp.decision_issues:
            if not issue.is_open or issue.due is None:
                continue
            name = slug(issue.issue or "issue")
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:  # the same wording twice: number the repeats
                name = f"{name}-{seen[name]}"
            found.append(
                CalendarEvent(
                    event_uid("decision-issue", opp.id, name),
                    "decision-issue",
                    issue.due,
                    f"Decision due: {issue.issue} ({title})",
                    opp.id,
                )
            )
    found.sort(key=lambda e: (e.day, e.uid))
    return found


def feed_name(repo: Repository, owner: str | None) -> str:
    who = "all opportunities"
    if owner is not None:
        person = repo.config.owner(owner)
        who = person.display if person else owner
    company = repo.config.company.name if repo.config.company else "textcrm"
    return f"{company}: {who}"


def calendar_feed(repo: Repository, today: date, owner: str | None = None) -> bytes:
    """The iCalendar file (bytes) of open deals' dates, for everyone or one owner."""
    return calendar_feeds(repo, today, [owner])[owner]


def calendar_feeds(
    repo: Repository,
    today: date,
    owners: Iterable[str | None],
    memo: dict[tuple[CalendarEvent, str, date], bytes] | None = None,
) -> dict[str | None, bytes]:
    """Several feeds at once (None: everyone), each event serialized once for all of them.

    The site publishes a feed for everyone and one per owner: building each event once halves
    the work. `memo` (kept by the caller between calls, as serve does) holds each event's
    serialized bytes by everything they show, so a feed after one changed deal serializes
    only that deal's events; it is left holding the events of this call only.
    """
    stamp = f"{_ics_date(today)}T000000Z"
    opps = repo.opportunities
    wanted = list(dict.fromkeys(owners))
    serialized: list[tuple[str, bytes]] = []
    known = memo if memo is not None else {}
    used: dict[tuple[CalendarEvent, str, date], bytes] = {}
    descriptions: dict[str, str] = {}  # an opportunity with several events describes itself once
    for item in events(repo, None if None in wanted or len(wanted) != 1 else wanted[0]):
        opp = opps[item.opportunity]
        description = descriptions.get(opp.id)
        if description is None:
            description = descriptions[opp.id] = _description(repo, opp)
        key = (item, description, today)
        data = known.get(key)
        if data is None:
            data = _event_ical(item, description, stamp)
        used[key] = data
        serialized.append((opp.owner, data))
    if memo is not None:
        memo.clear()
        memo.update(used)
    feeds: dict[str | None, bytes] = {}
    for owner in wanted:
        # An X- property's value is written as it is (icalendar's vUnknown), but a line
        # break, which icalendar refused there, is escaped as in TEXT.
        name = ics_text(feed_name(repo, owner)).replace("\n", "\\n")
        head = _content_lines(
            [
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                f"PRODID:{PRODID}",
                "CALSCALE:GREGORIAN",
                "METHOD:PUBLISH",
                f"X-WR-CALNAME:{name}",
            ]
        )
        body = b"".join(data for who, data in serialized if owner is None or who == owner)
        feeds[owner] = head + body + b"END:VCALENDAR\r\n"
    return feeds


# --- writing iCalendar -----------------------------------------------------------------------
# The feed is written here rather than through icalendar's components, which built a dozen
# objects per content line and made the feeds a fifth of a site build. The bytes are the
# ones icalendar 7 writes for the same event (its property order, TEXT escaping and line
# folding); tests/test_calendar_writer.py compares the two over tricky values.


def _ics_date(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _ics_escape(text: str) -> str:
    """A TEXT value escaped as icalendar escapes it (RFC 5545 3.3.11): backslash, semicolon,
    comma and line ends; like icalendar, a `\\N` already in the text counts as a line end."""
    if "\\" not in text and ";" not in text and "," not in text and text.isprintable():
        return text  # nothing to escape (a line end is not printable)
    return (
        text.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


# A content line is folded before the octet that would make it 75 octets long (continuation
# lines: 74 octets after their leading space), never just after a backslash or a caret, which
# moves to the next line with what it escapes.
_FOLD_AT = 74


def _fold(line: str) -> str:
    """One content line folded as icalendar folds it (RFC 5545 3.1), with CRLF + space."""
    if not line.isascii():
        return _fold_slow(line)
    if len(line) <= _FOLD_AT:
        return line
    parts = []
    start, size = 0, len(line)
    while size - start > _FOLD_AT:  # an ASCII character is one octet
        end = start + _FOLD_AT
        if line[end - 1] in "\\^":
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return "\r\n ".join(parts)


def _fold_slow(line: str) -> str:
    """`_fold` for any line: counts UTF-8 octets, keeps escapes whole."""
    folded: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        code = ord(char)
        width = 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        if current and size + width > _FOLD_AT:
            if len(current) > 1 and current[-1] in "\\^":
                kept = current.pop()
                folded.append("".join(current))
                current = [kept]
                size = 1
            else:
                folded.append("".join(current))
                current = []
                size = 0
        current.append(char)
        size += width
    if current:
        folded.append("".join(current))
    return "\r\n ".join(folded)


def _content_lines(lines: list[str]) -> bytes:
    return "".join(_fold(line) + "\r\n" for line in lines).encode("utf-8")


def _event_ical(item: CalendarEvent, description: str, stamp: str) -> bytes:
    """One VEVENT, in icalendar's property order (SUMMARY, DTSTART, DTEND, DTSTAMP, UID, then
    the rest by name)."""
    return _content_lines(
        [
            "BEGIN:VEVENT",
            f"SUMMARY:{_ics_escape(ics_text(item.summary))}",
            f"DTSTART;VALUE=DATE:{_ics_date(item.day)}",
            f"DTEND;VALUE=DATE:{_ics_date(item.day + timedelta(days=1))}",
            f"DTSTAMP:{stamp}",
            f"UID:{_ics_escape(ics_text(item.uid))}",
            f"CATEGORIES:{_ics_escape(item.kind)}",
            f"DESCRIPTION:{_ics_escape(ics_text(description))}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    )


# --- reading a calendar export -------------------------------------------------------------

# How many occurrences of one recurring event are expanded before giving up (a daily meeting
# for 27 years); a rule without an end stops at the first occurrence after today anyway.
MAX_OCCURRENCES = 10_000


class CalendarUnreadable(UsageError):
    """The calendar export cannot be read (exit 2); nothing is logged."""


@dataclass(frozen=True, slots=True)
class Meeting:
    """One occurrence of an event of a calendar export.

    `day` is its date in the CRM's time zone (an all-day event's own date); `people` are the
    organizer and attendees as (common name, address) pairs, the address as written (it may
    still start with `mailto:`).
    """

    uid: str
    day: date
    summary: str
    people: tuple[tuple[str, str], ...]
    all_day: bool
    recurring: bool


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def _people(event: Any) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for key in ("ORGANIZER", "ATTENDEE"):
        value = event.get(key)
        for person in value if isinstance(value, list) else [value] if value else []:
            params = getattr(person, "params", {})
            # RFC 7986: ATTENDEE;EMAIL=jane@x:urn:uuid:... gives the address as a parameter.
            where = str(params.get("EMAIL") or person)
            found.append((_text(params.get("CN", "")), where.strip()))
    return tuple(found)


def _local_day(value: date | datetime, zone: tzinfo) -> date:
    if isinstance(value, datetime):
        # A floating time (no zone) is already the local time.
        return value.astimezone(zone).date() if value.tzinfo is not None else value.date()
    return value


def _when(event: Any, key: str, uid: str) -> date | datetime:
    try:
        value = event.decoded(key)
    except KeyError:
        raise CalendarUnreadable(f"event {uid} has no {key}") from None
    if not isinstance(value, date):
        raise CalendarUnreadable(f"event {uid}: {key} `{_text(value)}` is not a date or time")
    return value


def _dates(event: Any, key: str, zone: tzinfo) -> set[date]:
    value = event.get(key)
    found = set()
    for item in value if isinstance(value, list) else [value] if value is not None else []:
        for dt in getattr(item, "dts", ()):
            if isinstance(dt.dt, date):
                found.add(_local_day(dt.dt, zone))
    return found


def _occurrences(
    event: Any, start: date | datetime, uid: str, zone: tzinfo, today: date, skip: set[date]
) -> list[date]:
    """The days of a recurring event up to today, and the first one after today."""
    from dateutil.rrule import rrulestr

    rule_text = event["RRULE"].to_ical().decode("ascii", "replace")
    begin = start if isinstance(start, datetime) else datetime(start.year, start.month, start.day)
    if begin.tzinfo is None:  # a UTC UNTIL on a floating or all-day start: compare as local
        rule_text = re.sub(r"(UNTIL=\d{8}(T\d{6})?)Z", r"\1", rule_text)
    try:
        rule = rrulestr(rule_text, dtstart=begin)
    except (ValueError, TypeError) as exc:
        raise CalendarUnreadable(
            f"event {uid}: RRULE `{rule_text}` cannot be read: {exc}"
        ) from None
    days: list[date] = []
    skip = skip | _dates(event, "EXDATE", zone)
    try:
        for n, occurrence in enumerate(rule):
            if n >= MAX_OCCURRENCES:
                raise CalendarUnreadable(
                    f"event {uid} recurs more than {MAX_OCCURRENCES:,} times before today; "
                    "export a shorter period"
                )
            day = _local_day(occurrence, zone) if isinstance(start, datetime) else occurrence.date()
            if day in skip:
                continue
            days.append(day)
            if day > today:
                break
    except (ValueError, TypeError) as exc:  # an UNTIL whose zone does not fit DTSTART
        raise CalendarUnreadable(
            f"event {uid}: RRULE `{rule_text}` cannot be read: {exc}"
        ) from None
    return days


def read_meetings(data: bytes, zone: tzinfo, today: date) -> list[Meeting]:
    """The meetings of a calendar export: every occurrence up to `today` and the next one.

    A recurring event (RRULE, less its EXDATEs and the occurrences moved by a RECURRENCE-ID
    override) gives one Meeting per occurrence up to today, and the first occurrence after
    today; a one-off event gives one Meeting whatever its date. Cancelled events and
    occurrences are left out. Raises CalendarUnreadable for a file icalendar cannot parse.
    """
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise CalendarUnreadable(f"not a readable iCalendar file ({reason})") from None
    if getattr(calendar, "name", "") != "VCALENDAR":
        raise CalendarUnreadable("not an iCalendar file: it does not start with BEGIN:VCALENDAR")
    masters: list[Any] = []
    moved: dict[str, set[date]] = {}
    found: list[Meeting] = []
    for event in calendar.walk("VEVENT"):
        uid = _text(event.get("UID"))
        if not uid:
            raise CalendarUnreadable(
                f"an event has no UID (`{_text(event.get('SUMMARY'))}`); "
                "textcrm needs it to log each event once"
            )
        if "RECURRENCE-ID" in event:
            moved.setdefault(uid, set()).add(_local_day(_when(event, "RECURRENCE-ID", uid), zone))
        masters.append(event)
    for event in masters:
        uid = _text(event.get("UID"))
        start = _when(event, "DTSTART", uid)
        override = "RECURRENCE-ID" in event
        if _text(event.get("STATUS")).upper() == "CANCELLED":
            continue
        all_day = not isinstance(start, datetime)
        summary = _text(event.get("SUMMARY"))
        people = _people(event)
        if "RRULE" in event and not override:
            days = _occurrences(event, start, uid, zone, today, moved.get(uid, set()))
            recurring = True
        else:
            days = [_local_day(start, zone)]
            recurring = override
        found.extend(Meeting(uid, d, summary, people, all_day, recurring) for d in days)
    found.sort(key=lambda m: (m.day, m.uid))
    return found
