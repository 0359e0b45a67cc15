"""The iCalendar feed of open deals' dates; the only importer of the icalendar library.

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
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from textcrm import pipeline
from textcrm.encode import ics_text
from textcrm.money import format_money

if TYPE_CHECKING:
    from textcrm.loader import Repository
    from textcrm.model import Opportunity

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
                    f"Quote {opp.quote.number} expires: {title}",
                    opp.id,
                )
            )
        seen: dict[str, int] = {}
        for issue in opp.decision_issues:
            if not issue.is_open or issue.due is None:
                continue
            name = slug(issue.issue)
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
    repo: Repository, today: date, owners: Iterable[str | None]
) -> dict[str | None, bytes]:
    """Several feeds at once (None: everyone), each event serialized once for all of them.

    The site publishes a feed for everyone and one per owner: building each event once halves
    the work, most of which is icalendar's serialization.
    """
    from icalendar import Calendar, Event

    stamp = datetime(today.year, today.month, today.day, tzinfo=UTC)
    opps = repo.opportunities
    wanted = list(dict.fromkeys(owners))
    serialized: list[tuple[str, bytes]] = []
    for item in events(repo, None if None in wanted or len(wanted) != 1 else wanted[0]):
        event = Event()
        event.add("uid", ics_text(item.uid))
        event.add("dtstamp", stamp)
        event.add("dtstart", item.day)
        event.add("dtend", item.day + timedelta(days=1))
        event.add("summary", ics_text(item.summary))
        event.add("description", ics_text(_description(repo, opps[item.opportunity])))
        event.add("categories", [item.kind])
        event.add("transp", "TRANSPARENT")
        serialized.append((opps[item.opportunity].owner, bytes(event.to_ical())))
    feeds: dict[str | None, bytes] = {}
    for owner in wanted:
        cal = Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", ics_text(feed_name(repo, owner)))
        head = bytes(cal.to_ical())
        end = head.rindex(b"END:VCALENDAR")
        body = b"".join(data for who, data in serialized if owner is None or who == owner)
        feeds[owner] = head[:end] + body + head[end:]
    return feeds
