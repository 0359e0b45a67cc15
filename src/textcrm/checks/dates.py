"""Date checks: a close date is a real estimate; an open deal has a recent or a firm touch.

The rules themselves are defined once in `textcrm.deals`; these functions report them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING

from textcrm import deals
from textcrm.deals import (
    created_after_close,
    firm_follow_up_range,
    quote_expired_advice,
    touch_unknown,
)
from textcrm.diagnostics import Diagnostic
from textcrm.plural import counted
from textcrm.rules import default_severity

if TYPE_CHECKING:
    from textcrm.model import Config, Opportunity
    from textcrm.repository import Repository


def _d(code: str, path: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, 1, code, default_severity(code), message)


def close_date_past(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        if deals.close_date_past(repo.config, opp, today):
            yield _d(
                "close-date-past",
                opp.path,
                opp.line_of("close_date"),
                f"close date {opp.close_date} is in the past (today is {today}); "
                "set close_date to your best current estimate",
            )


def created_after_close_date(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        if not created_after_close(opp.created, opp.close_date):
            continue
        # An open deal's past close date is a stale estimate, reported as close-date-past;
        # the estimate that rule asks for fixes this too.
        if deals.close_date_past(repo.config, opp, today):
            continue
        yield _d(
            "created-after-close",
            opp.path,
            opp.line_of("created"),
            f"created {opp.created} is after close_date {opp.close_date}: a deal cannot "
            f"close before it is created; set created to the day the deal was opened "
            f"(on or before {opp.close_date})",
        )


def stale(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        if not repo.is_open(opp) or touch_unknown(opp):
            continue
        is_it, touch, threshold = deals.staleness(repo.config, opp, today)
        if not is_it:
            continue
        if touch is None:
            since = "no activity and no `created` date"
        else:
            days = (today - touch).days
            since = f"no activity since {touch} ({counted(days, 'day')}; stale after {threshold})"
        horizon = repo.config.follow_up_horizon_days
        follow = (
            f"follow_up {opp.follow_up} is beyond the {horizon}-day horizon"
            if opp.follow_up and opp.follow_up >= today
            else "no follow_up on or after today"
        )
        yield _d(
            "stale",
            opp.path,
            1,
            f"stale: {since} and {follow}; log an activity with "
            f"`textcrm log {opp.id} --type call --summary ...` or set follow_up to "
            f"{firm_follow_up_range(today, horizon)}",
        )


def follow_up_overdue(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        if not deals.follow_up_overdue(repo.config, opp, today):
            continue
        yield _d(
            "follow-up-overdue",
            opp.path,
            opp.line_of("follow_up"),
            f"follow-up {opp.follow_up} is overdue (today is {today}); follow up and log "
            "it, or set follow_up to "
            f"{firm_follow_up_range(today, repo.config.follow_up_horizon_days)}",
        )


def activity_in_future(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        for activity in opp.activities:
            if activity.date is not None and activity.date > today:
                yield _d(
                    "activity-in-future",
                    opp.path,
                    activity.line,
                    f"activity dated {activity.date} is after today ({today}); activities "
                    "record what happened: plan future work with follow_up or next_step",
                )


def quote_expired(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        if opp.quote is not None and deals.quote_expired(repo.config, opp, today):
            yield _d(
                "quote-expired",
                opp.path,
                opp.line_of("quote"),
                quote_expired_advice(opp.quote, today),
            )


def findings_change(config: Config, opp: Opportunity, today: date) -> date | None:
    """The first day after today on which this module's findings in `opp`'s file may differ
    from today's (None: never), from the thresholds of the rules in `textcrm.deals`. A file
    with a finding that names today (or counts the days up to it) changes every day."""
    try:
        tomorrow = today + timedelta(days=1)
    except OverflowError:
        return None
    if any(a.date is not None and a.date > today for a in opp.activities):
        return tomorrow  # activity-in-future
    if not deals.is_open(config, opp):
        return None  # every other rule here asks for an open deal (created-after-close too)
    # (A rule is asked only when the field it reads is given: it is false and never changes
    # otherwise; this runs for every opportunity of a cold check.)
    stale_reported = not touch_unknown(opp)
    closes, quote, follow_up = opp.close_date is not None, opp.quote is not None, opp.follow_up
    if (
        (closes and deals.close_date_past(config, opp, today))
        or (quote and deals.quote_expired(config, opp, today))
        or (stale_reported and deals.staleness(config, opp, today).stale)
        or (follow_up is not None and deals.follow_up_overdue(config, opp, today))
    ):
        return tomorrow
    if follow_up is not None:
        first = deals.follow_up_overdue_changes(config, opp, today)  # staleness's too
    else:
        first = deals.staleness_changes(config, opp, today) if stale_reported else None
    for day in (
        # close-date-past's threshold is created-after-close's too
        deals.close_date_past_changes(config, opp, today) if closes else None,
        deals.quote_expired_changes(config, opp, today) if quote else None,
    ):
        if day is not None and (first is None or day < first):
            first = day
    return first
