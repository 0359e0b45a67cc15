"""The deal rules, defined once: open, close date past, stale, follow-up overdue, quote expired.

Checks, the attention list, reports, the site's views, history and the hook's baseline all
ask these functions, so a deal is "stale" or "expired" in exactly one sense everywhere. Each
takes the records and today's date; none reads the clock or a file.
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


def quote_expired(config: Config, opp: Opportunity, today: date) -> bool:
    """An open deal's quote whose valid_until is before today (closed deals are exempt)."""
    quote = opp.quote
    return (
        is_open(config, opp)
        and quote is not None
        and quote.valid_until is not None
        and quote.valid_until < today
    )


def quote_expiring(config: Config, opp: Opportunity, today: date, window: int) -> bool:
    """An open deal's quote still valid today that runs out within `window` days."""
    quote = opp.quote
    return (
        is_open(config, opp)
        and quote is not None
        and quote.valid_until is not None
        and today <= quote.valid_until <= today + timedelta(days=window)
    )


def quote_expired_advice(quote: Quote, today: date) -> str:
    """What the quote-expired rule says, shared with `textcrm quote`."""
    return (
        f"{quote.named} expired on {quote.valid_until}; send a new quote and set "
        f"valid_until to a date on or after {today}"
    )


def decision_overdue(issue: DecisionIssue, today: date) -> bool:
    """An open decision issue whose due date is before today."""
    return issue.is_open and issue.due is not None and issue.due < today


def slipping(slips: int) -> bool:
    """A deal whose close date moved later SLIP_FLAG times or more."""
    return slips >= SLIP_FLAG
