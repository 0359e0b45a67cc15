"""Meetings from a calendar export logged as `meeting` activities, each event occurrence once.

An event is logged when its organizer or attendees include known contacts, on the opportunity
the same rules as for email pick (`match.pick`). Its UID is stored with the activity: a
one-off event is known by its UID, an occurrence of a recurring event by its UID and date.
Occurrences up to today are logged; with `--set-follow-up`, the next future meeting becomes
the opportunity's follow_up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textcrm.capture.match import (
    Person,
    Undecided,
    address,
    choose_contact,
    match_people,
    pick,
    shown,
    unknown_listing,
)
from textcrm.capture.write import Capture
from textcrm.errors import UsageError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from textcrm.calendar import Meeting
    from textcrm.model import Config, Opportunity

# The largest calendar export read; more is refused before parsing.
MAX_CALENDAR_BYTES = 10 * 1024 * 1024


def zone_of(config: Config) -> ZoneInfo:
    """textcrm.yaml's `timezone` (validated when the configuration is read)."""
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(config.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # pragma: no cover - parse checks it
        raise UsageError(f"timezone: `{config.timezone}` is not a known time zone") from None


@dataclass
class _Plan:
    opp: Opportunity
    meetings: list[tuple[Meeting, str]]
    follow_up: date | None = None


def log_meetings(
    root: Path,
    today: date,
    data: bytes,
    label: str,
    opportunity: str | None = None,
    set_follow_up: bool = False,
) -> Capture:
    """The edits that log the export's meetings; Undecided (nothing written) when an event
    fits no single opportunity."""
    from textcrm import edit
    from textcrm.calendar import read_meetings
    from textcrm.loader import load

    repo = load(root, today, run_checks=False).repository
    meetings = read_meetings(data, zone_of(repo.config), today)
    logged = {
        (a.uid, a.date) for opp in repo.opportunities.values() for a in opp.activities if a.uid
    }
    # A one-off event is known by its UID alone (a past meeting edited later keeps it); an
    # occurrence of a recurring one by its UID and its date.
    logged_uids = {uid for uid, _ in logged}
    plans: dict[str, _Plan] = {}
    undecided: list[str] = []
    unknown: list[Person] = []
    already = future = strangers = 0
    for meeting in meetings:
        match = match_people(repo, [Person(n, a) for n, a in meeting.people])
        if not match.contacts:
            strangers += 1
            continue
        try:
            opp = pick(repo, match, opportunity, f"event {meeting.uid} on {meeting.day}")
        except Undecided as exc:
            undecided.append(exc.message)
            continue
        listed = {address(p.address) for p in unknown}
        unknown.extend(p for p in match.unknown if address(p.address) not in listed)
        plan = plans.setdefault(opp.id, _Plan(opp, []))
        if meeting.day > today:
            future += 1
            if set_follow_up and (plan.follow_up is None or meeting.day < plan.follow_up):
                plan.follow_up = meeting.day
            continue
        if (meeting.uid, meeting.day) in logged or (
            not meeting.recurring and meeting.uid in logged_uids
        ):
            already += 1
            continue
        logged.add((meeting.uid, meeting.day))
        logged_uids.add(meeting.uid)
        plan.meetings.append((meeting, choose_contact(opp, match)))
    if undecided:
        raise Undecided("\n".join(undecided))
    capture = Capture()
    for opp_id in sorted(plans):
        change = _edit_for(root, repo, plans[opp_id], today, edit)
        if change is not None:
            capture.edits.append(change)
    if not capture.edits:
        capture.lines.append(f"{label}: nothing new to log; nothing changed")
    if already:
        capture.lines.append(f"{already} meeting(s) already logged")
    if future and not set_follow_up:
        capture.lines.append(
            f"{future} future meeting(s) not logged (--set-follow-up makes the next one the "
            "opportunity's follow_up)"
        )
    if strangers:
        capture.lines.append(f"{strangers} event(s) with no attendee who is a contact, skipped")
    listing = unknown_listing(repo, unknown)
    capture.lines.extend(listing.splitlines()[1:])
    return capture


def _edit_for(root: Path, repo: Any, plan: _Plan, today: date, edit: Any) -> Any:
    """One edit of the opportunity's file: its new meetings, then its follow_up."""
    opp = plan.opp
    before = data = edit.read_bytes(root, opp.path)
    checks: list[Callable[[Any], str | None]] = []
    follow = None
    current = opp.follow_up
    if plan.follow_up is not None and (
        current is None or current < today or current > plan.follow_up
    ):
        follow = plan.follow_up
    steps = sorted(plan.meetings, key=lambda m: (m[0].day, m[0].uid))
    for i, (meeting, contact) in enumerate(steps):
        last = i == len(steps) - 1
        step = edit.log_activity(
            edit.Target(repo, opp, data),
            "meeting",
            meeting.summary,
            meeting.day,
            contact or None,
            follow.isoformat() if last and follow is not None else None,
            uid=meeting.uid,
        )
        data = step.after
        if step.expect is not None:
            checks.append(step.expect)
    if not steps and follow is not None:
        step = edit.set_value(edit.Target(repo, opp, data), "follow_up", follow.isoformat())
        data = step.after
        if step.expect is not None:
            checks.append(step.expect)
    if data == before:
        return None
    what = [f"log {len(steps)} meeting{'s' if len(steps) != 1 else ''}"] if steps else []
    if follow is not None:
        what.append(f"set follow_up to {follow.isoformat()}")
    notes = tuple(f"{m.day.isoformat()} {shown(m.summary) or '(no title)'}" for m, _ in steps)

    def expect(record: Any) -> str | None:
        for check in checks:
            problem = check(record)
            if problem:
                return problem
        return None

    return edit.Edit(opp.path, before, data, f"{' and '.join(what)} on {opp.id}", notes, expect)
