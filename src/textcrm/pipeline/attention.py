"""What needs doing (the attention list) and the dashboard's key figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from textcrm import deals, money
from textcrm.deals import sales_cycle_days
from textcrm.pipeline.totals import Period, Tally, Totals, quarter_of, select, status
from textcrm.plural import counted

if TYPE_CHECKING:
    from textcrm.model import Opportunity
    from textcrm.repository import Repository


# --- attention ------------------------------------------------------------------------

ATTENTION_KINDS = (
    ("close-date-past", "Close date in the past"),
    ("stale", "Stale"),
    ("follow-up-overdue", "Follow-up overdue"),
    ("follow-up-due", "Follow-up due"),
    ("quote-expired", "Quote expired"),
    ("quote-expiring", "Quote expiring"),
    ("decision-overdue", "Decision issue past due"),
    ("decision-due", "Decision issue due"),
)
ATTENTION_ORDER = {k: i for i, (k, _) in enumerate(ATTENTION_KINDS)}


@dataclass(frozen=True, slots=True)
class AttentionItem:
    """One thing that needs doing on a deal, with its date."""

    kind: str
    opportunity: str  # id
    title: str
    owner: str
    date: date | None
    message: str

    @property
    def label(self) -> str:
        return dict(ATTENTION_KINDS)[self.kind]


def attention(
    repo: Repository,
    today: date,
    owner: str | None = None,
    window: int = 7,
    follow_up_window: int | None = None,
) -> list[AttentionItem]:
    """What needs doing, most urgent first: past close dates, stale deals, overdue and due
    follow-ups (within `window` days), expired and expiring quotes, decision issues due.

    `follow_up_window` (default: `window`) narrows the follow-ups listed as due: 0 means due
    today, as the terminal report wants, while quotes and decision issues keep `window`.
    """
    items: list[AttentionItem] = []
    for opp in select(repo, owner, "open"):
        items += deal_attention(repo, opp, today, window, follow_up_window)
    items.sort(key=lambda a: (ATTENTION_ORDER[a.kind], a.date or date.min, a.opportunity))
    return items


def deal_attention(
    repo: Repository,
    opp: Opportunity,
    today: date,
    window: int = 7,
    follow_up_window: int | None = None,
) -> list[AttentionItem]:
    """What needs doing on one open deal (`attention`'s items for it, in the order found)."""
    items: list[AttentionItem] = []
    horizon = today + timedelta(days=window)
    follow_up_horizon = today + timedelta(
        days=window if follow_up_window is None else follow_up_window
    )

    def add(kind: str, when: date | None, message: str) -> None:
        items.append(AttentionItem(kind, opp.id, opp.title, opp.owner, when, message))

    if deals.close_date_past(repo.config, opp, today) and opp.close_date is not None:
        add(
            "close-date-past",
            opp.close_date,
            f"close date {opp.close_date} passed "
            f"{counted((today - opp.close_date).days, 'day')} ago",
        )
    stale, touch, threshold = deals.staleness(repo.config, opp, today)
    if stale:
        since = f"no activity since {touch}" if touch else "no activity recorded"
        add(
            "stale",
            touch,
            f"{since} (stale after {counted(threshold, 'day')}), no firm follow-up",
        )
    if opp.follow_up is not None:
        if deals.follow_up_overdue(repo.config, opp, today):
            add("follow-up-overdue", opp.follow_up, f"follow-up was due {opp.follow_up}")
        elif today <= opp.follow_up <= follow_up_horizon:
            when = "today" if opp.follow_up == today else f"on {opp.follow_up}"
            add(
                "follow-up-due",
                opp.follow_up,
                f"follow up {when}" + (f": {opp.next_step}" if opp.next_step else ""),
            )
    quote = opp.quote
    if quote is not None and quote.valid_until is not None:
        named = quote.named
        if deals.quote_expired(repo.config, opp, today):
            add("quote-expired", quote.valid_until, f"{named} expired on {quote.valid_until}")
        elif deals.quote_expiring(repo.config, opp, today, window):
            add(
                "quote-expiring",
                quote.valid_until,
                f"{named} expires on {quote.valid_until}",
            )
    for issue in opp.decision_issues:
        if not issue.is_open or issue.due is None:
            continue
        if deals.decision_overdue(issue, today):
            add("decision-overdue", issue.due, f"{issue.issue} was due {issue.due}")
        elif issue.due <= horizon:
            add("decision-due", issue.due, f"{issue.issue} is due {issue.due}")
    return items


# --- key figures ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyFigures:
    """The dashboard's headline numbers (win rate, deal size and cycle over all closed deals)."""

    open_count: int
    pipeline: Totals
    weighted: Totals
    quarter: Period
    won_count: int  # in the current quarter
    won: Totals
    lost_count: int
    lost: Totals
    win_rate: Decimal | None  # percent, over every closed deal, by count
    closed_won_count: int
    closed_lost_count: int
    average_deal: Totals  # mean expected revenue of won deals
    average_cycle_days: Decimal | None  # days from created to close, won deals with possible dates


def key_figures(
    repo: Repository,
    today: date,
    owner: str | None = None,
    created: Mapping[str, date] | None = None,
) -> KeyFigures:
    """Open pipeline, this quarter's won and lost, win rate, average deal size and cycle.

    `created` supplies creation dates for opportunities whose file has none (from git).
    """
    config = repo.config
    quarter = quarter_of(today)
    pipe, weighted, won_q, lost_q, won_all = Tally(), Tally(), Tally(), Tally(), Tally()
    open_count = won_q_count = lost_q_count = won_count = lost_count = 0
    cycles: list[int] = []
    for opp in select(repo, owner):
        fig = repo.figures(opp)
        state = status(repo, opp)
        if state == "open":
            open_count += 1
            pipe.add(fig.currency, fig.expected)
            weighted.add(fig.currency, fig.weighted)
            continue
        in_quarter = opp.close_date is not None and quarter.contains(opp.close_date)
        if state == "won":
            won_count += 1
            won_all.add(fig.currency, fig.expected)
            if in_quarter:
                won_q_count += 1
                won_q.add(fig.currency, fig.expected)
            start = opp.created or (created or {}).get(opp.id)
            cycle_days = sales_cycle_days(start, opp.close_date)
            if cycle_days is not None:
                cycles.append(cycle_days)
        else:
            lost_count += 1
            if in_quarter:
                lost_q_count += 1
                lost_q.add(fig.currency, fig.expected)
    closed = won_count + lost_count
    win_rate = money.percentage(won_count, closed)
    cycle = money.average(cycles)
    return KeyFigures(
        open_count,
        pipe.totals(config),
        weighted.totals(config),
        quarter,
        won_q_count,
        won_q.totals(config),
        lost_q_count,
        lost_q.totals(config),
        win_rate,
        won_count,
        lost_count,
        won_all.averages(config),
        cycle,
    )
