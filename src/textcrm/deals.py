"""The deal rules, defined once: open, close date past, stale, follow-up overdue, quote expired.

Checks, the attention list, reports, the site's views, history and the hook's baseline all
ask these functions, so a deal is "stale" or "expired" in exactly one sense everywhere. Each
takes the records and today's date; none reads the clock or a file.

Next to each rule that reads today, its `*_changes` function gives the first day after today
on which the rule's answer for the same records may differ (None: never, however far today
moves on). Until that day the answer stays today's: the results cache keeps a file's date
findings that long (tests/test_deal_rules_thresholds.py checks each pair agrees).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from textcrm.model import Config, DecisionIssue, Opportunity, Quote

# A deal whose close date moved later this many times or more is flagged as slipping.
SLIP_FLAG = 3


def stage_open(config: Config, key: str) -> bool:
    """A deal in this stage is open (an unknown stage counts as open: it is reported)."""
    stage = config.stage(key)
    return stage is None or stage.is_open


def is_open(config: Config, opp: Opportunity) -> bool:
    """An opportunity in an open stage (an unknown stage counts as open: it is reported)."""
    return stage_open(config, opp.stage)


def close_date_past(config: Config, opp: Opportunity, today: date) -> bool:
    """An open deal whose close date, the best current estimate, is already behind today."""
    return is_open(config, opp) and opp.close_date is not None and opp.close_date < today


def close_date_past_changes(config: Config, opp: Opportunity, today: date) -> date | None:
    """The first day after today on which `close_date_past` may answer otherwise."""
    return _after(opp.close_date, today) if is_open(config, opp) else None


def _after(day: date | None, today: date) -> date | None:
    """The day after `day` when that is after today (a `day < today` test changes then)."""
    if day is None or day < today:
        return None
    return _shift(day, 1)


def _shift(day: date, days: int) -> date | None:
    """`day` moved by `days`, None when that leaves the calendar (year 1 to 9999)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def _first(*days: date | None) -> date | None:
    """The earliest of the days given (None when none is)."""
    return min((d for d in days if d is not None), default=None)


def created_after_close(created: date | None, close: date | None) -> bool:
    """True when a deal was created after it closed: dates that cannot both be right.

    The one definition for the `created-after-close` rule and for every sales-cycle figure,
    which leaves such deals out rather than count a negative cycle.
    """
    return created is not None and close is not None and created > close


def sales_cycle_days(created: date | None, close: date | None) -> int | None:
    """Days from creation to close, or None when a date is missing or they are impossible."""
    if created is None or close is None or created_after_close(created, close):
        return None
    return (close - created).days


def last_touch(opp: Opportunity, today: date) -> date | None:
    """The latest activity on or before today, else `created`."""
    past = [a.date for a in opp.activities if a.date is not None and a.date <= today]
    if past:
        return max(past)
    return opp.created


def last_touch_changes(opp: Opportunity, today: date) -> date | None:
    """The first day after today on which `last_touch` may answer otherwise: the next
    activity's date."""
    return _first(*(a.date for a in opp.activities if a.date is not None and a.date > today))


def firm_follow_up_range(today: date, horizon: int | None) -> str:
    """The follow_up dates that count as firm, as advice: `a date from X to Y`."""
    if horizon is None:
        return f"a date on or after {today}"
    return f"a date from {today} to {today + timedelta(days=horizon)}"


def has_firm_follow_up(opp: Opportunity, today: date, horizon: int | None) -> bool:
    """A follow_up on or after today, and within the horizon when one is configured."""
    if opp.follow_up is None or opp.follow_up < today:
        return False
    return horizon is None or opp.follow_up <= today + timedelta(days=horizon)


def has_firm_follow_up_changes(opp: Opportunity, today: date, horizon: int | None) -> date | None:
    """The first day after today on which `has_firm_follow_up` may answer otherwise: the
    follow_up comes within the horizon, or goes past."""
    follow_up = opp.follow_up
    if follow_up is None:
        return None
    if horizon is not None:
        firm_from = _shift(follow_up, -horizon)
        if firm_from is not None and today < firm_from:
            return firm_from
    return _after(follow_up, today)


class Staleness(NamedTuple):
    """Whether a deal is stale, its last touch, and the stage's threshold in days."""

    stale: bool
    touch: date | None
    threshold: int


def staleness(config: Config, opp: Opportunity, today: date) -> Staleness:
    """The `stale` rule: no touch for the stage's threshold of days and no firm follow-up.

    Open or not is the caller's question (the rule reports open deals only).
    """
    threshold = config.stale_days(config.stage(opp.stage))
    touch = last_touch(opp, today)
    quiet = touch is None or (today - touch).days >= threshold
    firm = has_firm_follow_up(opp, today, config.follow_up_horizon_days)
    return Staleness(quiet and not firm, touch, threshold)


def staleness_changes(config: Config, opp: Opportunity, today: date) -> date | None:
    """The first day after today on which `staleness(...).stale` may answer otherwise: the
    last touch moves, the quiet days reach the threshold, or the follow-up turns firm or
    lapses."""
    threshold = config.stale_days(config.stage(opp.stage))
    touch = last_touch(opp, today)
    quiet = None
    if touch is not None and (today - touch).days < threshold:
        quiet = _shift(touch, threshold)
    return _first(
        last_touch_changes(opp, today),
        quiet,
        has_firm_follow_up_changes(opp, today, config.follow_up_horizon_days),
    )


def touch_unknown(opp: Opportunity) -> bool:
    """A date the stale rule reads has a problem of its own (already reported)."""
    return any(a.date is None for a in opp.activities) or bool(
        {"created", "follow_up"} & set(opp.invalid)
    )


def follow_up_overdue(config: Config, opp: Opportunity, today: date) -> bool:
    """An open deal's follow_up before today, unless the deal is stale (that rule covers it)."""
    return (
        is_open(config, opp)
        and opp.follow_up is not None
        and opp.follow_up < today
        and not staleness(config, opp, today).stale
    )


def follow_up_overdue_changes(config: Config, opp: Opportunity, today: date) -> date | None:
    """The first day after today on which `follow_up_overdue` may answer otherwise."""
    if not is_open(config, opp) or opp.follow_up is None:
        return None
    return _first(_after(opp.follow_up, today), staleness_changes(config, opp, today))


def quote_expired(config: Config, opp: Opportunity, today: date) -> bool:
    """An open deal's quote whose valid_until is before today (closed deals are exempt)."""
    quote = opp.quote
    return (
        is_open(config, opp)
        and quote is not None
        and quote.valid_until is not None
        and quote.valid_until < today
    )


def quote_expired_changes(config: Config, opp: Opportunity, today: date) -> date | None:
    """The first day after today on which `quote_expired` may answer otherwise."""
    quote = opp.quote
    if not is_open(config, opp) or quote is None:
        return None
    return _after(quote.valid_until, today)


def quote_expiring(config: Config, opp: Opportunity, today: date, window: int) -> bool:
    """An open deal's quote still valid today that runs out within `window` days."""
    quote = opp.quote
    return (
        is_open(config, opp)
        and quote is not None
        and quote.valid_until is not None
        and today <= quote.valid_until <= today + timedelta(days=window)
    )


def quote_expiring_changes(
    config: Config, opp: Opportunity, today: date, window: int
) -> date | None:
    """The first day after today on which `quote_expiring` may answer otherwise: the quote
    comes within the window, or runs out."""
    quote = opp.quote
    if not is_open(config, opp) or quote is None or quote.valid_until is None:
        return None
    expiring_from = _shift(quote.valid_until, -window)
    if expiring_from is not None and today < expiring_from:
        return expiring_from
    return _after(quote.valid_until, today)


def quote_expired_advice(quote: Quote, today: date) -> str:
    """What the quote-expired rule says, shared with `textcrm quote`."""
    return (
        f"{quote.named} expired on {quote.valid_until}; send a new quote and set "
        f"valid_until to a date on or after {today}"
    )


def decision_overdue(issue: DecisionIssue, today: date) -> bool:
    """An open decision issue whose due date is before today."""
    return issue.is_open and issue.due is not None and issue.due < today


def decision_overdue_changes(issue: DecisionIssue, today: date) -> date | None:
    """The first day after today on which `decision_overdue` may answer otherwise."""
    return _after(issue.due, today) if issue.is_open else None


def slipping(slips: int) -> bool:
    """A deal whose close date moved later SLIP_FLAG times or more."""
    return slips >= SLIP_FLAG
