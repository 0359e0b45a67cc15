"""Pure pipeline computations shared by the site and the terminal reports.

Stage totals, the weighted forecast by period and category, the attention list, the
dashboard's key figures, and the same per owner, per account, per product and per competitor.
Every function takes the loaded Repository and `today`; nothing reads the clock or prints.
Money is per currency (`Totals`); with `rates:` in textcrm.yaml totals are also converted to
the reporting currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from textcrm import deals
from textcrm.deals import sales_cycle_days
from textcrm.money import ZERO, exchange, mean, plain, round_money
from textcrm.plural import counted

if TYPE_CHECKING:
    from textcrm.model import Config, Opportunity
    from textcrm.repository import Repository

CATEGORIES = ("commit", "best_case", "pipeline")
CATEGORY_NAMES = {
    "commit": "Commit",
    "best_case": "Best case",
    "pipeline": "Pipeline",
    "closed": "Closed",
    "omitted": "Omitted",
}


# --- money per currency ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Totals:
    """Amounts per currency (reporting currency first), and their sum converted to the
    reporting currency when every currency is the reporting one or has a rate."""

    amounts: tuple[tuple[str, Decimal], ...]
    reporting: str
    converted: Decimal | None

    def get(self, currency: str) -> Decimal:
        for c, v in self.amounts:
            if c == currency:
                return v
        return ZERO

    @property
    def is_zero(self) -> bool:
        return all(v == 0 for _, v in self.amounts)

    @property
    def multi_currency(self) -> bool:
        return len(self.amounts) > 1


class Tally:
    """Accumulates Decimal amounts per currency."""

    def __init__(self) -> None:
        self.sums: dict[str, Decimal] = {}
        self.counts: dict[str, int] = {}

    def add(self, currency: str, value: Decimal) -> None:
        self.sums[currency] = self.sums.get(currency, ZERO) + value
        self.counts[currency] = self.counts.get(currency, 0) + 1

    def totals(self, config: Config) -> Totals:
        return make_totals(self.sums, config)

    def averages(self, config: Config) -> Totals:
        """The mean amount per currency, rounded to the minor unit."""
        means = {c: mean(v, self.counts[c], c) for c, v in self.sums.items()}
        return make_totals(means, config)


def make_totals(sums: Mapping[str, Decimal], config: Config) -> Totals:
    reporting = config.currency
    if not sums:
        zero = round_money(ZERO, reporting)
        return Totals(((reporting, zero),), reporting, zero)
    order = sorted(sums, key=lambda c: (c != reporting, c))
    converted: Decimal | None = ZERO
    for currency in order:
        if currency == reporting:
            converted = (converted or ZERO) + sums[currency]
        elif currency in config.rates and converted is not None:
            converted += exchange(sums[currency], config.rates[currency], reporting)
        else:
            converted = None
    return Totals(tuple((c, sums[c]) for c in order), reporting, converted)


# --- opportunity status ---------------------------------------------------------------


def status(repo: Repository, opp: Opportunity) -> str:
    """open, won or lost (an unknown stage counts as open; check reports it)."""
    stage = repo.config.stage(opp.stage)
    if stage is None or stage.outcome is None:
        return "open"
    return stage.outcome


def select(
    repo: Repository, owner: str | None = None, state: str | None = None
) -> list[Opportunity]:
    """Opportunities (sorted by id), optionally of one owner and one status."""
    return [
        opp
        for opp in sorted(repo.opportunities.values(), key=lambda o: o.id)
        if (owner is None or opp.owner == owner) and (state is None or status(repo, opp) == state)
    ]


def owners(repo: Repository) -> list[str]:
    """The configured owners in their order, then any other owner named by an opportunity."""
    keys = [o.key for o in repo.config.owners or ()]
    extra = sorted({o.owner for o in repo.opportunities.values() if o.owner} - set(keys))
    return keys + extra


# --- periods --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """A month or a quarter, with its first and last day."""

    key: str  # 2026-11 or 2026-Q4
    label: str  # Nov 2026 or Q4 2026
    start: date
    end: date  # inclusive

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def month_of(day: date) -> Period:
    start = day.replace(day=1)
    nxt = (start + timedelta(days=32)).replace(day=1)
    return Period(f"{day:%Y-%m}", f"{day:%b %Y}", start, nxt - timedelta(days=1))


def quarter_of(day: date) -> Period:
    q = (day.month - 1) // 3
    start = date(day.year, 3 * q + 1, 1)
    end_month = date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1)
    return Period(
        f"{day.year}-Q{q + 1}", f"Q{q + 1} {day.year}", start, end_month - timedelta(days=1)
    )


def periods(today: date, by: str = "month", count: int = 6) -> list[Period]:
    """`count` consecutive months or quarters starting with the one containing today."""
    first = month_of if by == "month" else quarter_of
    result = [first(today)]
    while len(result) < count:
        result.append(first(result[-1].end + timedelta(days=1)))
    return result


# --- pipeline by stage ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageRow:
    """One stage of the pipeline: how many deals, their expected and weighted revenue."""

    key: str
    name: str
    is_open: bool
    probability: Decimal
    count: int
    expected: Totals
    weighted: Totals


@dataclass(frozen=True, slots=True)
class StageSummary:
    """The pipeline by stage, with the totals of the open stages."""

    rows: tuple[StageRow, ...]  # every configured stage, in order
    open_count: int
    expected: Totals  # open stages only
    weighted: Totals

    @property
    def open_rows(self) -> tuple[StageRow, ...]:
        return tuple(r for r in self.rows if r.is_open)


def stage_summary(repo: Repository, owner: str | None = None) -> StageSummary:
    """Count, expected and weighted revenue per stage in pipeline order; totals of open ones."""
    config = repo.config
    tallies = {s.key: (Tally(), Tally()) for s in config.stages}
    counts = dict.fromkeys(tallies, 0)
    total_exp, total_w, open_count = Tally(), Tally(), 0
    for opp in select(repo, owner):
        if opp.stage not in tallies:
            continue
        fig = repo.figures(opp)
        exp, w = tallies[opp.stage]
        exp.add(fig.currency, fig.expected)
        w.add(fig.currency, fig.weighted)
        counts[opp.stage] += 1
        if status(repo, opp) == "open":
            total_exp.add(fig.currency, fig.expected)
            total_w.add(fig.currency, fig.weighted)
            open_count += 1
    rows = tuple(
        StageRow(
            s.key,
            s.name,
            s.is_open,
            s.probability,
            counts[s.key],
            tallies[s.key][0].totals(config),
            tallies[s.key][1].totals(config),
        )
        for s in config.stages
    )
    return StageSummary(rows, open_count, total_exp.totals(config), total_w.totals(config))


# --- forecast -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForecastCell:
    """Deals of one period and category: how many, expected and weighted revenue."""

    count: int
    expected: Totals
    weighted: Totals


@dataclass(frozen=True, slots=True)
class ForecastRow:
    """One period of the forecast, by category, and what was won in it."""

    period: Period
    categories: tuple[tuple[str, ForecastCell], ...]  # commit, best_case, pipeline
    total: ForecastCell
    closed_won: ForecastCell  # won deals closed in the period (to date)

    def cell(self, category: str) -> ForecastCell:
        return dict(self.categories)[category]


@dataclass(frozen=True, slots=True)
class Forecast:
    """The forecast by period, and the open deals outside the periods."""

    by: str
    rows: tuple[ForecastRow, ...]
    past_due: ForecastCell  # open deals whose close date is before the first period
    later: ForecastCell  # open deals closing after the last period


def _cell(items: list[tuple[str, Decimal, Decimal]], config: Config) -> ForecastCell:
    exp, w = Tally(), Tally()
    for currency, e, wt in items:
        exp.add(currency, e)
        w.add(currency, wt)
    return ForecastCell(len(items), exp.totals(config), w.totals(config))


def forecast(
    repo: Repository, today: date, by: str = "month", count: int = 6, owner: str | None = None
) -> Forecast:
    """Open revenue by close period and forecast category, and closed-won per period.

    Deals in the `omitted` category (and open deals without a close date) are left out.
    """
    config = repo.config
    spans = periods(today, by, count)
    buckets: dict[tuple[int, str], list[tuple[str, Decimal, Decimal]]] = {}
    won: dict[int, list[tuple[str, Decimal, Decimal]]] = {}
    past, later = [], []
    for opp in select(repo, owner):
        fig = repo.figures(opp)
        state = status(repo, opp)
        if opp.close_date is None:
            continue
        item = (fig.currency, fig.expected, fig.weighted)
        if state == "won":
            for i, p in enumerate(spans):
                if p.contains(opp.close_date) and opp.close_date <= today:
                    won.setdefault(i, []).append(item)
            continue
        if state != "open" or fig.forecast not in CATEGORIES:
            continue
        if opp.close_date < spans[0].start:
            past.append(item)
            continue
        if opp.close_date > spans[-1].end:
            later.append(item)
            continue
        for i, p in enumerate(spans):
            if p.contains(opp.close_date):
                buckets.setdefault((i, fig.forecast), []).append(item)
    rows = []
    for i, p in enumerate(spans):
        cats = tuple((c, _cell(buckets.get((i, c), []), config)) for c in CATEGORIES)
        every = [x for c in CATEGORIES for x in buckets.get((i, c), [])]
        rows.append(ForecastRow(p, cats, _cell(every, config), _cell(won.get(i, []), config)))
    return Forecast(by, tuple(rows), _cell(past, config), _cell(later, config))


# --- quotas and attainment ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attainment:
    """One owner's (or the team's) quota for a period and how far along it is.

    Money in the reporting currency; `closed_won`, `weighted` and `commit` are per currency
    with their converted sum. A figure that needs a sum the rates cannot convert is None, as
    is a ratio over a quota of zero or a remaining quota of zero, and coverage once the period
    is over.
    """

    owner: str | None  # None for the team
    quota: Decimal | None
    won_count: int
    closed_won: Totals  # won deals closed in the period, to date
    attainment: Decimal | None  # percent of the quota, one decimal
    remaining: Decimal | None  # quota less closed won, never below zero
    open_count: int
    weighted: Totals  # open deals closing in the rest of the period, weighted
    commit: Totals  # the commit deals among them, expected revenue
    weighted_coverage: Decimal | None  # weighted / remaining, two decimals
    commit_coverage: Decimal | None


@dataclass(frozen=True, slots=True)
class QuotaReport:
    """Attainment and coverage of one period, per owner (configured order) and the team."""

    period: Period
    today: date
    rest_start: date  # the first close date counted as the rest of the period
    owners: tuple[Attainment, ...]
    team: Attainment | None  # None when the report is for one owner


def quota_period(quotas_period: str, day: date) -> Period:
    """The quota period (month or quarter) containing `day`."""
    return month_of(day) if quotas_period == "month" else quarter_of(day)


def period_from_key(key: str, length: str) -> Period | None:
    """The month (`2026-12`) or quarter (`2026-Q4`) a period key names, when it is of the
    given length (month or quarter); else None."""
    year, _, part = key.partition("-")
    if not (len(year) == 4 and year.isdigit() and len(part) == 2):
        return None
    if length == "quarter" and part[0] == "Q" and part[1] in "1234":
        return quarter_of(date(int(year), 3 * int(part[1]) - 2, 1))
    if length == "month" and part.isdigit() and 1 <= int(part) <= 12:
        return month_of(date(int(year), int(part), 1))
    return None


def _ratio(part: Decimal | None, whole: Decimal | None, places: str) -> Decimal | None:
    if part is None or whole is None or whole == 0:
        return None
    return (part / whole).quantize(Decimal(places), rounding=ROUND_HALF_UP)


class _QuotaTally:
    """What one owner (or the team) won in a quota period and has open for the rest of it."""

    def __init__(self) -> None:
        self.won, self.weighted, self.commit = Tally(), Tally(), Tally()
        self.won_count = self.open_count = 0


def _quota_tallies(
    repo: Repository, period: Period, today: date, rest_start: date
) -> dict[str | None, _QuotaTally]:
    """One pass over the deals: per owner, and for the team under None."""
    tallies: dict[str | None, _QuotaTally] = {None: _QuotaTally()}
    for opp in select(repo):
        if opp.close_date is None or not period.contains(opp.close_date):
            continue
        state = status(repo, opp)
        fig = repo.figures(opp)
        won = state == "won" and opp.close_date <= today
        open_ = state == "open" and fig.forecast in CATEGORIES and opp.close_date >= rest_start
        if not (won or open_):
            continue
        for t in (tallies[None], tallies.setdefault(opp.owner, _QuotaTally())):
            if won:
                t.won.add(fig.currency, fig.expected)
                t.won_count += 1
            else:
                t.weighted.add(fig.currency, fig.weighted)
                if fig.forecast == "commit":
                    t.commit.add(fig.currency, fig.expected)
                t.open_count += 1
    return tallies


def _attainment(
    config: Config, owner: str | None, quota: Decimal | None, t: _QuotaTally, over: bool
) -> Attainment:
    reporting = config.currency
    closed = t.won.totals(config)
    quota_ = None if quota is None else round_money(quota, reporting)
    remaining = None
    if quota_ is not None and closed.converted is not None:
        remaining = max(quota_ - closed.converted, round_money(ZERO, reporting))
    w, c = t.weighted.totals(config), t.commit.totals(config)
    # Once the period is over there is nothing left to cover.
    left = None if over else remaining
    return Attainment(
        owner,
        quota_,
        t.won_count,
        closed,
        _ratio(None if closed.converted is None else closed.converted * 100, quota_, "0.1"),
        remaining,
        t.open_count,
        w,
        c,
        _ratio(w.converted, left, "0.01"),
        _ratio(c.converted, left, "0.01"),
    )


def quota_report(
    repo: Repository, today: date, period: Period | None = None, owner: str | None = None
) -> QuotaReport | None:
    """Attainment and coverage for the quota period containing `today` (or `period`), per
    owner and for the team (not when `owner` is given); None when textcrm.yaml sets no quotas.

    Closed won: deals in a won stage whose close date falls in the period, up to today.
    Coverage: the weighted revenue of open deals (commit, best case and pipeline) closing
    from today (or the period's start, if later) to the period's end, and the expected
    revenue of the commit deals among them, each over the remaining quota.
    """
    quotas = repo.config.quotas
    if quotas is None:
        return None
    if period is None:
        period = quota_period(quotas.period, today)
    rest_start = max(today, period.start)
    over = rest_start > period.end
    targets = quotas.targets(period.key)
    tallies = _quota_tallies(repo, period, today, rest_start)
    config = repo.config
    shown = []
    known = owners(repo)
    for key in [*known, *(k for k in targets.owners if k not in known)]:
        if owner is not None and key != owner:
            continue
        if targets.owners.get(key) is None and key not in tallies:
            continue  # no quota, nothing won or open in the period
        tally = tallies.get(key, _QuotaTally())
        shown.append(_attainment(config, key, targets.owners.get(key), tally, over))
    team = None
    if owner is None:
        team = _attainment(config, None, targets.team, tallies[None], over)
    return QuotaReport(period, today, rest_start, tuple(shown), team)


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
_PRIORITY = {k: i for i, (k, _) in enumerate(ATTENTION_KINDS)}


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
    horizon = today + timedelta(days=window)
    follow_up_horizon = today + timedelta(
        days=window if follow_up_window is None else follow_up_window
    )
    for opp in select(repo, owner, "open"):

        def add(kind: str, when: date | None, message: str, opp: Opportunity = opp) -> None:
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
    items.sort(key=lambda a: (_PRIORITY[a.kind], a.date or date.min, a.opportunity))
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
    win_rate = (Decimal(won_count * 100) / closed).quantize(Decimal("0.1")) if closed else None
    cycle = (Decimal(sum(cycles)) / len(cycles)).quantize(Decimal("0.1")) if cycles else None
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


# --- per account, product and competitor ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Group:
    """Opportunities of one account, product or competitor, split by status, with totals."""

    key: str
    open: tuple[str, ...]
    won: tuple[str, ...]
    lost: tuple[str, ...]
    open_total: Totals
    won_total: Totals
    lost_total: Totals

    @property
    def win_rate(self) -> Decimal | None:
        closed = len(self.won) + len(self.lost)
        if not closed:
            return None
        return (Decimal(len(self.won) * 100) / closed).quantize(Decimal("0.1"))


def _group(
    repo: Repository, key: str, members: Iterable[tuple[Opportunity, str, Decimal]]
) -> Group:
    ids: dict[str, list[str]] = {"open": [], "won": [], "lost": []}
    tallies = {"open": Tally(), "won": Tally(), "lost": Tally()}
    for opp, currency, value in members:
        state = status(repo, opp)
        ids[state].append(opp.id)
        tallies[state].add(currency, value)
    config = repo.config
    return Group(
        key,
        tuple(ids["open"]),
        tuple(ids["won"]),
        tuple(ids["lost"]),
        tallies["open"].totals(config),
        tallies["won"].totals(config),
        tallies["lost"].totals(config),
    )


def by_account(repo: Repository) -> dict[str, Group]:
    """Per account id: its opportunities by status, with expected-revenue totals."""
    members: dict[str, list[tuple[Opportunity, str, Decimal]]] = {}
    for opp in select(repo):
        fig = repo.figures(opp)
        members.setdefault(opp.account, []).append((opp, fig.currency, fig.expected))
    keys = sorted(set(repo.accounts) | set(members))
    return {k: _group(repo, k, members.get(k, [])) for k in keys}


def by_competitor(repo: Repository) -> dict[str, Group]:
    """Per competitor id: the deals where it appears; our win rate against it."""
    members: dict[str, list[tuple[Opportunity, str, Decimal]]] = {}
    for opp in select(repo):
        fig = repo.figures(opp)
        for entry in {e.competitor for e in opp.competitors if e.competitor is not None}:
            members.setdefault(entry, []).append((opp, fig.currency, fig.expected))
    keys = sorted(set(repo.competitors) | set(members))
    return {k: _group(repo, k, members.get(k, [])) for k in keys}


CUSTOM_LINES = ""


def by_product(repo: Repository) -> dict[str, Group]:
    """Per sku (custom lines under ""): line totals in open pipeline, won and lost deals."""
    members: dict[str, list[tuple[Opportunity, str, Decimal]]] = {}
    for opp in select(repo):
        fig = repo.figures(opp)
        for line in fig.lines:
            members.setdefault(line.item.sku or CUSTOM_LINES, []).append(
                (opp, fig.currency, line.total)
            )
    keys = [p.sku for p in repo.product_list]
    keys += sorted(set(members) - set(keys))
    return {k: _group(repo, k, members.get(k, [])) for k in dict.fromkeys(keys)}


def percent_text(value: Decimal | None) -> str:
    return "-" if value is None else f"{plain(value)}%"


# --- filtered, sorted opportunity lists -----------------------------------------------

SORT_KEYS = ("close_date", "amount", "weighted", "stage", "updated")


@dataclass(frozen=True, slots=True)
class Criteria:
    """Filters for `opportunity_list`; None means "any"."""

    stage: str | None = None
    owner: str | None = None
    account: str | None = None
    state: str | None = None  # open, won or lost
    closing_before: date | None = None  # exclusive
    closing_after: date | None = None  # exclusive
    tag: str | None = None


def last_update(opp: Opportunity) -> date | None:
    """The latest activity date, else `created`: what `--sort updated` orders by."""
    return opp.last_activity or opp.created


def opportunity_list(
    repo: Repository, criteria: Criteria = Criteria(), sort: str = "close_date"
) -> list[Opportunity]:
    """Opportunities matching every criterion, sorted; ties are broken by id.

    close_date: soonest first (none last); amount and weighted: largest first (expected and
    weighted revenue, per currency as written); stage: pipeline order, then close date;
    updated: most recent activity (else created) first, never-touched last.
    """
    c = criteria
    chosen = []
    for opp in select(repo, c.owner, c.state):
        if c.stage is not None and opp.stage != c.stage:
            continue
        if c.account is not None and opp.account != c.account:
            continue
        if c.tag is not None and c.tag not in opp.tags:
            continue
        if c.closing_before is not None and not (
            opp.close_date is not None and opp.close_date < c.closing_before
        ):
            continue
        if c.closing_after is not None and not (
            opp.close_date is not None and opp.close_date > c.closing_after
        ):
            continue
        chosen.append(opp)
    far = date.max

    def key(opp: Opportunity) -> tuple[object, ...]:
        if sort == "amount":
            return (-repo.figures(opp).expected, opp.id)
        if sort == "weighted":
            return (-repo.figures(opp).weighted, opp.id)
        if sort == "stage":
            return (repo.config.stage_index(opp.stage), opp.close_date or far, opp.id)
        if sort == "updated":
            touched = last_update(opp)
            return (touched is None, -(touched or date.min).toordinal(), opp.id)
        return (opp.close_date or far, opp.id)

    return sorted(chosen, key=key)


def totals_of(repo: Repository, opps: Iterable[Opportunity]) -> tuple[Totals, Totals]:
    """Expected and weighted revenue of the given opportunities, per currency."""
    exp, w = Tally(), Tally()
    for opp in opps:
        fig = repo.figures(opp)
        exp.add(fig.currency, fig.expected)
        w.add(fig.currency, fig.weighted)
    return exp.totals(repo.config), w.totals(repo.config)


# --- site helpers: per-owner figures, flags, contacts, board --------------------------


@dataclass(frozen=True, slots=True)
class OwnerFigures:
    """One owner's key figures and how many attention items they have."""

    owner: str
    figures: KeyFigures
    attention: int


def owner_figures(
    repo: Repository,
    today: date,
    items: Iterable[AttentionItem] = (),
    created: Mapping[str, date] | None = None,
) -> list[OwnerFigures]:
    """Key figures per owner (configured order), with the count of their attention items."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.owner] = counts.get(item.owner, 0) + 1
    return [
        OwnerFigures(o, key_figures(repo, today, owner=o, created=created), counts.get(o, 0))
        for o in owners(repo)
    ]


def flags(items: Iterable[AttentionItem]) -> dict[str, tuple[str, ...]]:
    """Per opportunity id, the attention kinds that apply to it, in priority order."""
    found: dict[str, set[str]] = {}
    for item in items:
        found.setdefault(item.opportunity, set()).add(item.kind)
    return {k: tuple(sorted(v, key=_PRIORITY.__getitem__)) for k, v in found.items()}


def by_contact(repo: Repository) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per contact id: (opportunity id, role) of every opportunity naming it, by id."""
    found: dict[str, list[tuple[str, str]]] = {}
    for opp in select(repo):
        for role in opp.contacts:
            if role.contact is not None:
                found.setdefault(role.contact, []).append((opp.id, role.role))
    return {k: tuple(v) for k, v in sorted(found.items())}


def board(repo: Repository) -> list[tuple[str, list[Opportunity]]]:
    """Open stages in order, each with its opportunities by close date (undated last), id."""
    columns: dict[str, list[Opportunity]] = {s.key: [] for s in repo.config.open_stages}
    for opp in select(repo, state="open"):
        if opp.stage in columns:
            columns[opp.stage].append(opp)
    for cards in columns.values():
        cards.sort(key=lambda o: (o.close_date is None, o.close_date or date.min, o.id))
    return list(columns.items())
