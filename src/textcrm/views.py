"""Frozen view models of the site's pages: every figure computed and formatted in Python.

Each page's template receives `site` (a `SiteInfo`), `root` (the relative prefix back to the
site's top folder, "" or "../") and `page`, one of the view classes below. Templates only lay
these values out: money is already formatted with Babel in the configured locale, flags are
already decided, lists are already sorted. Hrefs are relative to the site's top folder; the
templates prefix them with `root`, so the site works from file:// and under any sub-path.
Notes bodies stay Markdown text here; the template's `markdown` filter renders and sanitizes.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote as urlquote

from textcrm import charts, deals, pipeline, winloss
from textcrm.diagnostics import Diagnostic
from textcrm.model import Opportunity
from textcrm.money import format_date, format_money, plain
from textcrm.pipeline import CATEGORY_NAMES, Totals
from textcrm.plural import counted
from textcrm.repository import Repository

if TYPE_CHECKING:
    from textcrm.history import OpportunityHistory, SiteHistory

ATTENTION_LABELS = dict(pipeline.ATTENTION_KINDS)
# Card badges: which attention kinds show on the board, and their short text.
BADGES = {
    "stale": "Stale",
    "close-date-past": "Past due",
    "quote-expired": "Quote expired",
    "follow-up-overdue": "Follow-up overdue",
    "decision-overdue": "Decision overdue",
}
# A card on the board is flagged when its close date was pushed out this many times or more.
WATERFALL_LABELS = (
    ("start", "Open pipeline at start"),
    ("new", "+ New"),
    ("increases", "+ Increases"),
    ("decreases", "− Decreases"),
    ("won", "− Won"),
    ("lost", "− Lost"),
    ("removed", "− Removed"),
    ("end", "Open pipeline now"),
)


# --- shared pieces --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    href: str
    label: str


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """What every page shows: the site's name, the as-of date, navigation, problem count.

    `edit_url` is textcrm.yaml's forge pattern ('' for none) and `new_links` the forge's
    new-file links by record kind; `page_edits` turns them into a page's edit links.
    """

    name: str
    as_of: date
    lang: str
    nav: tuple[NavItem, ...]
    edit_url: str = ""
    new_links: tuple[tuple[str, Link], ...] = ()
    locale: str = "en_US"  # textcrm.yaml's: the `date` filter writes dates in it


@dataclass(frozen=True, slots=True)
class Link:
    """A link to a page of the site (`href` empty when the target has no page)."""

    href: str
    text: str


@dataclass(frozen=True, slots=True)
class Badge:
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Problem:
    """One check problem as a row: where, what, and the page it belongs to."""

    path: str
    line: int
    column: int
    severity: str
    code: str
    message: str
    page: Link


class Formatter:
    """Formats money and totals in the configured locale (money.format_money, memoized)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._memo: dict[tuple[Decimal, str], str] = {}

    def money(self, value: Decimal, currency: str) -> str:
        key = (value, currency)
        got = self._memo.get(key)
        if got is None:
            got = format_money(value, currency, self.locale)
            if len(self._memo) < 100_000:
                self._memo[key] = got
        return got

    def date(self, day: date) -> str:
        """A date for people, in the locale's one format (`Dec 10, 2026`, `10.12.2026`)."""
        return format_date(day, self.locale)

    def totals(self, t: Totals) -> str:
        """One currency: `$1,200.00`; several: each, then the converted sum when known."""
        text = " + ".join(self.money(v, c) for c, v in t.amounts)
        if t.multi_currency and t.converted is not None:
            text += f" (≈ {self.money(t.converted, t.reporting)})"
        return text


def sort_value(t: Totals) -> str:
    """A plain number to sort a Totals column by (converted, else reporting currency)."""
    return plain(t.converted if t.converted is not None else t.get(t.reporting))


def chart_value(t: Totals) -> Decimal:
    return t.converted if t.converted is not None else t.get(t.reporting)


ChartScale = tuple[str, str, str, Callable[[Totals], Decimal], Callable[[Totals], str]]


def chart_scales(ctx: Context, totals: Sequence[Totals]) -> list[ChartScale]:
    """How to draw `totals` without putting two currencies on one scale: one chart when
    they are all in one currency, one chart converted to the reporting currency when every
    other currency has a rate (headed so, with the rates), else one chart per currency
    (headed by it). Each is (id suffix, title suffix, visible heading, value, text);
    `chart_note` says at which rates."""
    reporting = ctx.config.currency
    found = {c for t in totals for c, v in t.amounts if v or c != reporting}
    currencies = sorted(found or {reporting}, key=lambda c: (c != reporting, c))
    fmt = ctx.fmt
    if len(currencies) == 1:
        only = currencies[0]
        return [("", "", "", lambda t: t.get(only), fmt.totals)]
    if all(t.converted is not None for t in totals):
        return [
            (
                "",
                f", converted to {reporting}",
                f"≈ converted to {reporting}",
                chart_value,
                lambda t: "≈ " + fmt.money(chart_value(t), reporting),
            )
        ]
    return [_one_currency(fmt, c) for c in currencies]


def _one_currency(fmt: Formatter, currency: str) -> ChartScale:
    """The chart of one currency's amounts, headed by its code."""

    def value(t: Totals) -> Decimal:
        return t.get(currency)

    def text(t: Totals) -> str:
        return fmt.money(t.get(currency), currency)

    return (f"-{currency.lower()}", f" ({currency})", currency, value, text)


def chart_note(ctx: Context, scales: Sequence[ChartScale]) -> str:
    """The caption under converted charts: the rates they were converted at."""
    if not any(heading.startswith("≈") for _, _, heading, _, _ in scales):
        return ""
    reporting = ctx.config.currency
    rates = ", ".join(
        f"1 {c} = {plain(r)} {reporting}" for c, r in sorted(ctx.config.rates.items())
    )
    return (
        f"Amounts in other currencies converted to {reporting} "
        f"at the rates in textcrm.yaml: {rates}."
    )


# Index pages and the kinds of record their "New ..." links create.
NEW_LINK_KINDS: dict[str, tuple[str, ...]] = {
    "index.html": ("opportunity", "account", "contact"),
    "board.html": ("opportunity", "account", "contact"),
    "opportunities.html": ("opportunity", "account", "contact"),
    "accounts.html": ("opportunity", "account", "contact"),
    "contacts.html": ("opportunity", "account", "contact"),
    "competitors.html": ("opportunity", "account", "contact", "competitor"),
}


def new_links(edit_url: str, templates: Mapping[str, str]) -> tuple[tuple[str, Link], ...]:
    """The forge's "New opportunity / account / contact / competitor" links: its new-file
    page in the kind's folder with `new-KIND.md` and the new-record template prefilled
    (`templates` maps kinds to that text). None when the forge is not recognised."""
    from textcrm import forge
    from textcrm.layout import KIND_FOLDER

    found = []
    for kind, folder in KIND_FOLDER.items():
        url = forge.new_file_link(edit_url, folder, f"new-{kind}.md", templates.get(kind, ""))
        if url is not None:
            found.append((kind, Link(url, f"New {kind}")))
    return tuple(found)


def page_edits(site: SiteInfo, path: str) -> tuple[Link, ...]:
    """A page's links to the forge: "Edit this file" on a record's page, "New ..." on an
    index page; none without `edit_url`."""
    if not site.edit_url:
        return ()
    folder, sep, name = path.partition("/")
    if sep and folder in _RECORD_FOLDERS and name.endswith(".html") and "/" not in name:
        from textcrm.forge import edit_link

        source = f"{folder}/{name[: -len('.html')]}.md"
        return (Link(edit_link(site.edit_url, source), "Edit this file"),)
    kinds = NEW_LINK_KINDS.get(path, ())
    return tuple(link for kind, link in site.new_links if kind in kinds)


_RECORD_FOLDERS = frozenset({"opportunities", "accounts", "contacts", "competitors"})


def page_path(kind: str, record_id: str) -> str:
    """The output path of a record's page, relative to the site's top folder."""
    folder = {
        "opportunity": "opportunities",
        "account": "accounts",
        "contact": "contacts",
        "competitor": "competitors",
        "quote": "quotes",
    }[kind]
    return f"{folder}/{record_id}.html"


_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]+$")


def href(kind: str, record_id: str) -> str:
    """The URL (percent-encoded) of a record's page."""
    path = page_path(kind, record_id)
    return path if _SAFE_ID.match(record_id) else urlquote(path)


class Context:
    """What view builders share: the repository, today, formatter, flags and problems."""

    def __init__(
        self,
        repo: Repository,
        today: date,
        diagnostics: Sequence[Diagnostic],
        items: Sequence[pipeline.AttentionItem],
        history: SiteHistory | None = None,
    ) -> None:
        self.repo = repo
        # The git history sections' data; None when the CRM has no usable git history.
        self.history = history
        self.today = today
        self.config = repo.config
        self.fmt = Formatter(repo.config.locale)
        self.attention = items
        self.flags = pipeline.flags(items)
        self.attention_of: dict[str, list[pipeline.AttentionItem]] = {}
        for item in items:
            self.attention_of.setdefault(item.opportunity, []).append(item)
        self.rows: dict[str, OppRow] = {}
        self.links: dict[tuple[str, str], Link] = {}
        self.diagnostics = diagnostics
        self.by_path: dict[str, list[Diagnostic]] = {}
        for d in diagnostics:
            self.by_path.setdefault(d.path, []).append(d)

    def owner_name(self, key: str) -> str:
        owner = self.config.owner(key)
        return owner.display if owner else key

    def stage_name(self, key: str) -> str:
        stage = self.config.stage(key)
        return stage.name if stage else key

    def record_link(self, kind: str, record_id: str) -> Link:
        """A link to a record's page, or plain text when the record is missing or broken."""
        got = self.links.get((kind, record_id))
        if got is None:
            got = self.links[(kind, record_id)] = self._record_link(kind, record_id)
        return got

    def _record_link(self, kind: str, record_id: str) -> Link:
        table: Mapping[str, object] = {
            "opportunity": self.repo.opportunities,
            "account": self.repo.accounts,
            "contact": self.repo.contacts,
            "competitor": self.repo.competitors,
        }[kind]
        record = table.get(record_id)
        if record is None:
            return Link("", record_id)
        attr = "title" if kind == "opportunity" else "name"
        text = getattr(record, attr, "") or record_id
        return Link(href(kind, record_id), text)

    def badges(self, opp_id: str) -> tuple[Badge, ...]:
        return tuple(Badge(k, BADGES[k]) for k in self.flags.get(opp_id, ()) if k in BADGES)

    def problems(self, path: str) -> tuple[Problem, ...]:
        return tuple(self.problem(d) for d in self.by_path.get(path, ()))

    def problem(self, d: Diagnostic) -> Problem:
        from textcrm.layout import classify

        page = Link("", d.path)
        kind = classify(d.path)
        if kind is not None and kind[0] in ("opportunity", "account", "contact", "competitor"):
            link = self.record_link(kind[0], kind[1])
            if link.href:
                page = link
        return Problem(d.path, d.line, d.column, d.severity, d.code, d.message, page)


# --- opportunity rows (shared by lists and tables) ------------------------------------


@dataclass(frozen=True, slots=True)
class OppRow:
    """An opportunity as one row of a table or a card on the board."""

    id: str
    href: str
    title: str
    account: Link
    owner: str
    owner_key: str
    stage: str
    stage_key: str
    stage_order: int
    status: str
    close_date: date | None
    expected: str
    expected_sort: str
    weighted: str
    weighted_sort: str
    probability: str
    forecast: str
    badges: tuple[Badge, ...]
    currency: str = ""


def opp_row(ctx: Context, opp: Opportunity) -> OppRow:
    """An opportunity's row (built once per build and shared by every page listing it)."""
    got = ctx.rows.get(opp.id)
    if got is None:
        got = ctx.rows[opp.id] = _opp_row(ctx, opp)
    return got


def _opp_row(ctx: Context, opp: Opportunity) -> OppRow:
    fig = ctx.repo.figures(opp)
    return OppRow(
        id=opp.id,
        href=href("opportunity", opp.id),
        title=opp.title or opp.id,
        account=ctx.record_link("account", opp.account) if opp.account else Link("", ""),
        owner=ctx.owner_name(opp.owner),
        owner_key=opp.owner,
        stage=ctx.stage_name(opp.stage),
        stage_key=opp.stage,
        stage_order=ctx.config.stage_index(opp.stage),
        status=pipeline.status(ctx.repo, opp),
        close_date=opp.close_date,
        expected=ctx.fmt.money(fig.expected, fig.currency),
        expected_sort=plain(fig.expected),
        weighted=ctx.fmt.money(fig.weighted, fig.currency),
        weighted_sort=plain(fig.weighted),
        probability=f"{plain(fig.probability)}%",
        forecast=CATEGORY_NAMES.get(fig.forecast, fig.forecast),
        badges=ctx.badges(opp.id),
        currency=fig.currency,
    )


def _rows(ctx: Context, ids: Iterable[str]) -> tuple[OppRow, ...]:
    return tuple(opp_row(ctx, ctx.repo.opportunities[i]) for i in ids)


# --- dashboard ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class StageLine:
    key: str
    name: str
    probability: str
    count: int
    expected: str
    weighted: str


@dataclass(frozen=True, slots=True)
class ForecastLine:
    label: str
    commit: str
    best_case: str
    pipeline: str
    total: str
    count: int
    closed_won: str


@dataclass(frozen=True, slots=True)
class AttentionLine:
    kind: str
    label: str
    opportunity: Link
    owner: str
    date: date | None
    message: str


@dataclass(frozen=True, slots=True)
class AttentionGroup:
    kind: str
    label: str
    items: tuple[AttentionLine, ...]


@dataclass(frozen=True, slots=True)
class OwnerLine:
    name: str
    open_count: int
    pipeline: str
    weighted: str
    won: str
    won_count: int
    lost_count: int
    win_rate: str
    average_deal: str
    attention: int


@dataclass(frozen=True, slots=True)
class QuotaLine:
    """One owner's (or the team's) quota figures, as text for the dashboard."""

    name: str
    quota: str
    closed_won: str
    won_count: int
    attainment: str
    remaining: str
    weighted: str
    commit: str
    weighted_coverage: str
    commit_coverage: str


@dataclass(frozen=True, slots=True)
class QuotaView:
    """The dashboard's quota card: the period, what coverage counts, a line per owner, the team."""

    period: str
    currency: str  # the reporting currency, the quotas'
    today: date  # closed won counts up to this day
    rest_start: date  # coverage counts open deals closing from this day
    end: date  # to the period's last day
    owners: tuple[QuotaLine, ...]
    team: QuotaLine


@dataclass(frozen=True, slots=True)
class DashboardView:
    """index.html: headline figures, pipeline by stage, forecast, attention, per owner."""

    figures: tuple[Figure, ...]
    stages: tuple[StageLine, ...]
    stage_total: StageLine
    stage_chart: str
    forecast: tuple[ForecastLine, ...]
    past_due: ForecastLine
    later: ForecastLine
    forecast_chart: str
    attention: tuple[AttentionGroup, ...]
    attention_count: int
    owners: tuple[OwnerLine, ...]
    history: DashboardHistory | None = None
    feeds: tuple[FeedLink, ...] = ()
    quotas: QuotaView | None = None
    chart_note: str = ""


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A calendar feed the site publishes: whose it is and where."""

    label: str
    href: str


def feed_path(owner: str | None) -> str:
    """Where the site publishes a calendar feed: everyone's, or one owner's."""
    if owner is None:
        return "calendar/all.ics"
    return "calendar/owner-" + re.sub(r"[^A-Za-z0-9._-]+", "-", owner) + ".ics"


def feed_links(ctx: Context) -> tuple[FeedLink, ...]:
    """The feeds of the dashboard: everyone first, then each owner in textcrm.yaml's order."""
    links = [FeedLink("Everyone", feed_path(None))]
    for key in pipeline.owners(ctx.repo):
        person = ctx.repo.config.owner(key)
        links.append(FeedLink(person.display if person else key, feed_path(key)))
    return tuple(links)


def _quota_line(ctx: Context, name: str, a: pipeline.Attainment) -> QuotaLine:
    dash, fmt, reporting = "–", ctx.fmt, ctx.repo.config.currency

    def amount(value: Decimal | None) -> str:
        return dash if value is None else fmt.money(value, reporting)

    def ratio(value: Decimal | None, unit: str) -> str:
        return dash if value is None else f"{value}{unit}"

    return QuotaLine(
        name,
        amount(a.quota),
        fmt.totals(a.closed_won),
        a.won_count,
        ratio(a.attainment, "%"),
        amount(a.remaining),
        fmt.totals(a.weighted),
        fmt.totals(a.commit),
        ratio(a.weighted_coverage, "×"),
        ratio(a.commit_coverage, "×"),
    )


def quota_view(ctx: Context) -> QuotaView | None:
    """The quota card of the current period; None without quotas in textcrm.yaml."""
    qr = pipeline.quota_report(ctx.repo, ctx.today)
    if qr is None or qr.team is None:
        return None
    return QuotaView(
        qr.period.label,
        ctx.repo.config.currency,
        qr.today,
        qr.rest_start,
        qr.period.end,
        tuple(_quota_line(ctx, ctx.owner_name(a.owner or ""), a) for a in qr.owners),
        _quota_line(ctx, "Team", qr.team),
    )


def _cell_line(ctx: Context, label: str, cell: pipeline.ForecastCell) -> ForecastLine:
    dash = "–"
    return ForecastLine(label, dash, dash, dash, ctx.fmt.totals(cell.expected), cell.count, dash)


def created_fallback(ctx: Context) -> dict[str, date] | None:
    """With git history, a deal without `created` counts from the day its file was added."""
    if ctx.history is None:
        return None
    return {k: h.created for k, h in ctx.history.histories.items()}


def dashboard(ctx: Context) -> DashboardView:
    """Build the dashboard's view model."""
    repo, today, fmt = ctx.repo, ctx.today, ctx.fmt
    kf = pipeline.key_figures(repo, today, created=created_fallback(ctx))
    figures = (
        Figure("Open opportunities", str(kf.open_count)),
        Figure("Pipeline", fmt.totals(kf.pipeline), "expected revenue, open deals"),
        Figure("Weighted pipeline", fmt.totals(kf.weighted), "expected × probability"),
        Figure(f"Won in {kf.quarter.label}", fmt.totals(kf.won), counted(kf.won_count, "deal")),
        Figure(f"Lost in {kf.quarter.label}", fmt.totals(kf.lost), counted(kf.lost_count, "deal")),
        Figure(
            "Win rate",
            pipeline.percent_text(kf.win_rate),
            f"{kf.closed_won_count} won, {kf.closed_lost_count} lost, all time",
        ),
        Figure("Average deal size", fmt.totals(kf.average_deal), "won deals"),
        Figure(
            "Average sales cycle",
            "–" if kf.average_cycle_days is None else counted(plain(kf.average_cycle_days), "day"),
            "created to close, won deals",
        ),
    )
    summary = pipeline.stage_summary(repo)
    stages = tuple(
        StageLine(
            r.key,
            r.name,
            f"{plain(r.probability)}%",
            r.count,
            fmt.totals(r.expected),
            fmt.totals(r.weighted),
        )
        for r in summary.open_rows
    )
    total = StageLine(
        "",
        "Open pipeline",
        "",
        summary.open_count,
        fmt.totals(summary.expected),
        fmt.totals(summary.weighted),
    )
    stage_scales = chart_scales(
        ctx, [t for r in summary.open_rows for t in (r.expected, r.weighted)]
    )
    chart = "".join(
        charts.stage_bars(
            f"stage-chart{suffix}",
            f"Open pipeline by stage{title}",
            [
                (
                    r.name,
                    charts.Bar(r.name, value(r.expected), text(r.expected)),
                    charts.Bar(r.name, value(r.weighted), text(r.weighted)),
                )
                for r in summary.open_rows
            ],
            heading,
        )
        for suffix, title, heading, value, text in stage_scales
    )
    fc = pipeline.forecast(repo, today)
    lines = []
    columns = []
    for row in fc.rows:
        cells = {c: row.cell(c) for c in pipeline.CATEGORIES}
        lines.append(
            ForecastLine(
                row.period.label,
                fmt.totals(cells["commit"].expected),
                fmt.totals(cells["best_case"].expected),
                fmt.totals(cells["pipeline"].expected),
                fmt.totals(row.total.expected),
                row.total.count,
                fmt.totals(row.closed_won.expected),
            )
        )
        columns.append((row.period.label, cells, row.closed_won.expected))
    forecast_scales = chart_scales(
        ctx,
        [t for _, cells, won in columns for t in (won, *(c.expected for c in cells.values()))],
    )
    forecast_chart = "".join(
        charts.stacked_columns(
            f"forecast-chart{suffix}",
            f"Forecast by close month{title}",
            [
                (
                    label,
                    [
                        (c, charts.Bar(c, value(cells[c].expected), text(cells[c].expected)))
                        for c in pipeline.CATEGORIES
                    ],
                    charts.Bar("won", value(won), text(won)),
                )
                for label, cells, won in columns
            ],
            {c: CATEGORY_NAMES[c] for c in pipeline.CATEGORIES},
            heading,
        )
        for suffix, title, heading, value, text in forecast_scales
    )
    groups = []
    for kind, label in pipeline.ATTENTION_KINDS:
        items = tuple(
            AttentionLine(
                a.kind,
                label,
                ctx.record_link("opportunity", a.opportunity),
                ctx.owner_name(a.owner),
                a.date,
                a.message,
            )
            for a in ctx.attention
            if a.kind == kind
        )
        if items:
            groups.append(AttentionGroup(kind, label, items))
    owner_lines = tuple(
        OwnerLine(
            ctx.owner_name(o.owner),
            o.figures.open_count,
            fmt.totals(o.figures.pipeline),
            fmt.totals(o.figures.weighted),
            fmt.totals(o.figures.won),
            o.figures.won_count,
            o.figures.lost_count,
            pipeline.percent_text(o.figures.win_rate),
            fmt.totals(o.figures.average_deal),
            o.attention,
        )
        for o in pipeline.owner_figures(repo, today, ctx.attention)
    )
    return DashboardView(
        figures,
        stages,
        total,
        chart,
        tuple(lines),
        _cell_line(ctx, "Past due", fc.past_due),
        _cell_line(ctx, "Later", fc.later),
        forecast_chart,
        tuple(groups),
        len(ctx.attention),
        owner_lines,
        dashboard_history(ctx),
        feed_links(ctx),
        quota_view(ctx),
        chart_note(ctx, [*stage_scales, *forecast_scales]),
    )


@dataclass(frozen=True, slots=True)
class WaterfallLine:
    """One term of the waterfall: its label and its amount in each currency."""

    key: str
    label: str
    amounts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StageDaysLine:
    key: str
    name: str
    days: str
    periods: int


@dataclass(frozen=True, slots=True)
class DashboardHistory:
    """The dashboard's sections from git: changes since `since`, days in stage, cycle."""

    since: date
    currencies: tuple[str, ...]
    waterfall: tuple[WaterfallLine, ...]
    charts: tuple[str, ...]
    reconciles: bool
    stage_days: tuple[StageDaysLine, ...]
    cycle: str
    cycle_count: int


def dashboard_history(ctx: Context) -> DashboardHistory | None:
    """The dashboard's history sections, or None without git history."""
    from textcrm.history import average_days, average_stage_days, won_cycles

    found = ctx.history
    if found is None:
        return None
    fmt = ctx.fmt
    falls = found.changes.waterfall
    currencies = tuple(falls) or (ctx.config.currency,)
    zero = Decimal(0)
    lines = tuple(
        WaterfallLine(
            key,
            label,
            tuple(fmt.money(falls.get(c, {}).get(key, zero), c) for c in currencies),
        )
        for key, label in WATERFALL_LABELS
    )
    chart_list = []
    for c in currencies:
        w = falls.get(c, {})
        chart_list.append(
            charts.waterfall(
                f"waterfall-{c.lower()}",
                f"Open pipeline ({c}) since {fmt.date(found.since)}",
                [
                    charts.Bar(key.capitalize(), w.get(key, zero), fmt.money(w.get(key, zero), c))
                    for key, _ in WATERFALL_LABELS
                ],
                heading=c if len(currencies) > 1 else "",
            )
        )
    averages = average_stage_days(found.histories)
    stage_days = tuple(
        StageDaysLine(s.key, s.name, counted(plain(averages[s.key][0]), "day"), averages[s.key][1])
        for s in ctx.config.stages
        if s.key in averages
    )
    won = {
        o.id
        for o in ctx.repo.opportunities.values()
        if (st := ctx.config.stage(o.stage)) is not None and st.outcome == "won"
    }
    cycles = won_cycles(found.histories, won)
    cycle = "–"
    if cycles:
        cycle = counted(plain(average_days(cycles)), "day")
    return DashboardHistory(
        found.since,
        currencies,
        lines,
        tuple(chart_list),
        found.changes.reconciles(),
        stage_days,
        cycle,
        len(cycles),
    )


# --- board ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardColumn:
    key: str
    name: str
    probability: str
    count: int
    expected: str
    weighted: str
    cards: tuple[OppRow, ...]


@dataclass(frozen=True, slots=True)
class BoardView:
    """board.html: a column per open stage with its cards and totals."""

    columns: tuple[BoardColumn, ...]


def board(ctx: Context) -> BoardView:
    """Build the board's view model."""
    summary = {r.key: r for r in pipeline.stage_summary(ctx.repo).rows}
    columns = []
    for key, opps in pipeline.board(ctx.repo):
        r = summary[key]
        columns.append(
            BoardColumn(
                key,
                r.name,
                f"{plain(r.probability)}%",
                r.count,
                ctx.fmt.totals(r.expected),
                ctx.fmt.totals(r.weighted),
                tuple(_card(ctx, opp_row(ctx, o)) for o in opps),
            )
        )
    return BoardView(tuple(columns))


def slips_of(ctx: Context, opp_id: str) -> int:
    """Times the opportunity's close date was pushed out, per git (0 without history)."""
    if ctx.history is None:
        return 0
    h = ctx.history.histories.get(opp_id)
    return h.slips if h is not None else 0


def _card(ctx: Context, row: OppRow) -> OppRow:
    """A board card: the row, flagged when its close date slipped deals.SLIP_FLAG times or more."""
    slips = slips_of(ctx, row.id)
    if not deals.slipping(slips):
        return row
    return dataclasses.replace(row, badges=(*row.badges, Badge("slipped", f"Slipped {slips}×")))


# --- opportunities list ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    text: str


@dataclass(frozen=True, slots=True)
class OpportunitiesView:
    """opportunities.html: every opportunity, open first by close date; filter choices."""

    rows: tuple[OppRow, ...]
    owners: tuple[Option, ...]
    stages: tuple[Option, ...]
    accounts: tuple[Option, ...]
    total: str
    # For the filter script's total of the rows shown: the reporting currency, its locale,
    # and the rates of textcrm.yaml as JSON ({"USD": "0.92"}).
    currency: str = ""
    locale: str = ""
    rates: str = ""


def opportunities(ctx: Context) -> OpportunitiesView:
    """Build the opportunities list's view model."""
    repo = ctx.repo
    opps = sorted(
        repo.opportunities.values(),
        key=lambda o: (
            pipeline.status(repo, o) != "open",
            o.close_date is None,
            o.close_date or date.min,
            o.id,
        ),
    )
    rows = tuple(opp_row(ctx, o) for o in opps)
    owners = tuple(Option(o, ctx.owner_name(o)) for o in pipeline.owners(repo))
    stages = tuple(Option(s.key, s.name) for s in ctx.config.stages)
    accounts = tuple(
        sorted(
            {Option(r.account.text, r.account.text) for r in rows if r.account.text},
            key=lambda o: (o.text.lower(), o.value),
        )
    )
    tally = pipeline.Tally()
    for o in opps:
        if pipeline.status(repo, o) == "open":
            fig = repo.figures(o)
            tally.add(fig.currency, fig.expected)
    return OpportunitiesView(
        rows,
        owners,
        stages,
        accounts,
        ctx.fmt.totals(tally.totals(ctx.config)),
        ctx.config.currency,
        ctx.config.locale.replace("_", "-"),
        json.dumps({c: plain(r) for c, r in sorted(ctx.config.rates.items())}),
    )


# --- one opportunity ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value; `link` is a page of the site, `url` an address outside it."""

    label: str
    value: str
    link: str = ""
    url: str = ""


_EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")
_HOST = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?([/?#]\S*)?")


def contact_url(label: str, value: str) -> str:
    """The address a website, email or phone field links to (https, mailto or tel), or ""
    when the value is not one: never another scheme, whatever the file says."""
    value = value.strip()
    if label == "Website":
        if re.match(r"https?://\S+$", value, re.I):
            return value
        return "https://" + value if _HOST.fullmatch(value) else ""
    if label == "Email":
        return "mailto:" + urlquote(value, safe="@.+-_") if _EMAIL.fullmatch(value) else ""
    if label == "Phone":
        digits = re.sub(r"[^\d+]", "", value)
        return "tel:" + digits if sum(ch.isdigit() for ch in digits) >= 3 else ""
    return ""


@dataclass(frozen=True, slots=True)
class ContactLine:
    contact: Link
    title: str
    role: str
    primary: bool
    notes: str


@dataclass(frozen=True, slots=True)
class PricedLineView:
    sku: str
    name: str
    description: str
    quantity: str
    unit: str
    unit_price: str
    discount: str
    total: str


@dataclass(frozen=True, slots=True)
class CompetitorLine:
    competitor: Link
    status: str
    notes: str


@dataclass(frozen=True, slots=True)
class IssueLine:
    issue: str
    status: str
    is_open: bool
    owner: str
    due: date | None
    overdue: bool
    notes: str


@dataclass(frozen=True, slots=True)
class ActivityLine:
    date: date
    type: str
    contact: Link
    owner: str
    summary: str


@dataclass(frozen=True, slots=True)
class QuoteInfo:
    number: str
    date: datetime.date | None
    valid_until: datetime.date | None
    expired: bool
    terms: str
    page: str  # href of the quote page, empty when none is built


@dataclass(frozen=True, slots=True)
class OpportunityView:
    """opportunities/<id>.html: every field, people, lines, competitors, issues, activity.

    `sections` is where later features (the stage history) add blocks: (heading, html) pairs
    rendered after the notes, already escaped by their producer.
    """

    id: str
    path: str
    title: str
    row: OppRow
    fields: tuple[Field, ...]
    tags: tuple[str, ...]
    contacts: tuple[ContactLine, ...]
    lines: tuple[PricedLineView, ...]
    lines_total: str
    competitors: tuple[CompetitorLine, ...]
    issues: tuple[IssueLine, ...]
    activities: tuple[ActivityLine, ...]
    next_step: str
    follow_up: date | None
    quote: QuoteInfo | None
    body: str
    problems: tuple[Problem, ...]
    attention: tuple[str, ...]
    sections: tuple[tuple[str, str], ...] = ()
    history: OpportunityHistoryView | None = None


@dataclass(frozen=True, slots=True)
class StagePeriodLine:
    """One stage the deal went through: when it entered, and how long it stayed."""

    stage: str
    entered: date
    left: date | None
    days: str
    current: bool


@dataclass(frozen=True, slots=True)
class CloseDateLine:
    """One change of the close date: the day it was made, old -> new, days moved (signed)."""

    day: date
    old: date
    new: date
    days: str
    slipped: bool


@dataclass(frozen=True, slots=True)
class OpportunityHistoryView:
    """An opportunity's stage timeline and close-date changes, from git."""

    periods: tuple[StagePeriodLine, ...]
    moves: tuple[CloseDateLine, ...]
    slips: int
    summary: str


def opportunity_history(ctx: Context, h: OpportunityHistory) -> OpportunityHistoryView:
    """The history block of an opportunity page."""
    periods = []
    for p in h.periods:
        current = p.end is None
        stage = ctx.config.stage(p.stage)
        # The days of a won or lost stage the deal still sits in mean nothing: left blank.
        closed = current and stage is not None and not stage.is_open
        days = "" if closed else str(((p.end or ctx.today) - p.start).days)
        periods.append(StagePeriodLine(ctx.stage_name(p.stage), p.start, p.end, days, current))
    moves = tuple(CloseDateLine(m.day, m.old, m.new, f"{m.days:+d}", m.days > 0) for m in h.moves)
    pushed = [m.days for m in h.moves if m.days > 0]
    pulled = [m.days for m in h.moves if m.days < 0]
    summary = (
        f"Pushed out {counted(len(pushed), 'time')} ({counted(sum(pushed), 'day')} in all), "
        f"pulled in {counted(len(pulled), 'time')} ({counted(-sum(pulled), 'day')} in all)."
    )
    return OpportunityHistoryView(tuple(periods), moves, h.slips, summary)


def opportunity(ctx: Context, opp: Opportunity, quote_href: str = "") -> OpportunityView:
    """Build one opportunity page's view model."""
    repo, fmt = ctx.repo, ctx.fmt
    fig = repo.figures(opp)
    row = opp_row(ctx, opp)
    money = fmt.money
    fields = [
        Field("Account", row.account.text, row.account.href),
        Field("Owner", row.owner),
        Field("Stage", row.stage),
        Field("Status", row.status.capitalize()),
        Field("Close date", fmt.date(opp.close_date) if opp.close_date else "–"),
        Field("Expected revenue", row.expected),
        Field(
            "Probability",
            row.probability + ("" if opp.probability is not None else " (stage default)"),
        ),
        Field("Weighted revenue", row.weighted),
        Field("Forecast category", row.forecast),
        Field("Currency", fig.currency),
    ]
    if opp.amount is not None:
        fields.append(Field("Amount", money(opp.amount, fig.currency)))
    if opp.created is not None:
        fields.append(Field("Created", fmt.date(opp.created)))
    if opp.lost_reason:
        fields.append(Field("Lost reason", opp.lost_reason))
    if opp.source_id:
        fields.append(Field("Source id", opp.source_id))
    fields.append(Field("File", opp.path))
    contacts = []
    for role in opp.contacts:
        if role.contact is None:  # a partial entry: its problem is on the Problems page
            continue
        person = repo.contacts.get(role.contact)
        contacts.append(
            ContactLine(
                ctx.record_link("contact", role.contact),
                person.title if person else "",
                role.role,
                role.primary,
                role.notes,
            )
        )
    lines = tuple(
        PricedLineView(
            p.item.sku,
            p.name,
            p.description,
            plain(p.quantity),
            p.unit,
            money(p.unit_price, fig.currency),
            (f"{p.item.discount} (−{money(p.discount, fig.currency)})" if p.item.discount else ""),
            money(p.total, fig.currency),
        )
        for p in fig.lines
    )
    competitors = tuple(
        CompetitorLine(ctx.record_link("competitor", c.competitor), c.status, c.notes)
        for c in opp.competitors
        if c.competitor is not None
    )
    issues = tuple(
        IssueLine(
            i.issue or "",
            i.status,
            i.is_open,
            ctx.owner_name(i.owner) if i.owner else "",
            i.due,
            deals.decision_overdue(i, ctx.today),
            i.notes,
        )
        for i in opp.decision_issues
    )
    # A partial activity without its date is left out (its problem is on the Problems page).
    dated = [(a.date, a) for a in opp.activities if a.date is not None]
    activities = tuple(
        ActivityLine(
            day,
            a.type,
            ctx.record_link("contact", a.contact) if a.contact else Link("", ""),
            ctx.owner_name(a.owner) if a.owner else "",
            a.summary,
        )
        for day, a in sorted(dated, key=lambda pair: pair[0], reverse=True)
    )
    quote = None
    if opp.quote is not None:
        q = opp.quote
        quote = QuoteInfo(
            q.number or "",
            q.date,
            q.valid_until,
            deals.quote_expired(ctx.config, opp, ctx.today),
            q.terms,
            quote_href,
        )
    attention = tuple(
        a.message[:1].upper() + a.message[1:] for a in ctx.attention_of.get(opp.id, ())
    )
    return OpportunityView(
        opp.id,
        opp.path,
        row.title,
        row,
        tuple(fields),
        opp.tags,
        tuple(contacts),
        lines,
        money(fig.line_items_total, fig.currency) if fig.line_items_total is not None else "",
        competitors,
        issues,
        activities,
        opp.next_step,
        opp.follow_up,
        quote,
        opp.body,
        ctx.problems(opp.path),
        attention,
        history=_history_of(ctx, opp.id),
    )


def _history_of(ctx: Context, opp_id: str) -> OpportunityHistoryView | None:
    if ctx.history is None or opp_id not in ctx.history.histories:
        return None
    return opportunity_history(ctx, ctx.history.histories[opp_id])


# --- accounts, contacts, competitors --------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupView:
    """Opportunities of one account, competitor or product by status, with totals."""

    open: tuple[OppRow, ...]
    won: tuple[OppRow, ...]
    lost: tuple[OppRow, ...]
    open_total: str
    won_total: str
    lost_total: str
    win_rate: str


def group_view(ctx: Context, g: pipeline.Group) -> GroupView:
    return GroupView(
        _rows(ctx, g.open),
        _rows(ctx, g.won),
        _rows(ctx, g.lost),
        ctx.fmt.totals(g.open_total),
        ctx.fmt.totals(g.won_total),
        ctx.fmt.totals(g.lost_total),
        pipeline.percent_text(g.win_rate),
    )


@dataclass(frozen=True, slots=True)
class TimelineLine:
    """One activity on an account's timeline, with the deal it belongs to."""

    date: date
    type: str
    deal: Link
    contact: Link
    owner: str
    summary: str


@dataclass(frozen=True, slots=True)
class AccountView:
    """accounts/<id>.html: details, contacts, opportunities by status with totals, the
    timeline of every activity on its opportunities (newest first), notes."""

    id: str
    name: str
    fields: tuple[Field, ...]
    tags: tuple[str, ...]
    contacts: tuple[Link, ...]
    contact_titles: tuple[str, ...]
    deals: GroupView
    body: str
    problems: tuple[Problem, ...]
    timeline: tuple[TimelineLine, ...] = ()


def account_timeline(ctx: Context, group: pipeline.Group) -> tuple[TimelineLine, ...]:
    """Every activity of the account's opportunities, newest first; activities of one day
    in deal id order, then as the file lists them."""
    found = []
    for opp_id in sorted((*group.open, *group.won, *group.lost)):
        opp = ctx.repo.opportunities[opp_id]
        deal = ctx.record_link("opportunity", opp_id)
        for n, a in enumerate(opp.activities):
            if a.date is None:  # a partial activity: its problem is on the Problems page
                continue
            line = TimelineLine(
                a.date,
                a.type,
                deal,
                ctx.record_link("contact", a.contact) if a.contact else Link("", ""),
                ctx.owner_name(a.owner) if a.owner else "",
                a.summary,
            )
            found.append(((-a.date.toordinal(), opp_id, n), line))
    found.sort(key=lambda pair: pair[0])
    return tuple(line for _, line in found)


def account(
    ctx: Context, account_id: str, group: pipeline.Group, contacts: Sequence[str]
) -> AccountView:
    """Build one account page's view model."""
    acc = ctx.repo.accounts[account_id]
    fields = [
        Field(label, value, url=contact_url(label, value))
        for label, value in (
            ("Industry", acc.industry),
            ("Owner", ctx.owner_name(acc.owner) if acc.owner else ""),
            ("Website", acc.website),
            ("Phone", acc.phone),
            ("Email", acc.email),
            ("Address", acc.address.strip()),
            ("Employees", str(acc.employees) if acc.employees is not None else ""),
        )
        if value
    ]
    if acc.parent:
        link = ctx.record_link("account", acc.parent)
        fields.append(Field("Parent account", link.text, link.href))
    people = [ctx.record_link("contact", c) for c in contacts]
    titles = [ctx.repo.contacts[c].title for c in contacts]
    return AccountView(
        acc.id,
        acc.name,
        tuple(fields),
        acc.tags,
        tuple(people),
        tuple(titles),
        group_view(ctx, group),
        acc.body,
        ctx.problems(acc.path),
        account_timeline(ctx, group),
    )


@dataclass(frozen=True, slots=True)
class IndexRow:
    link: Link
    detail: str
    open_count: int
    open_total: str
    open_sort: str
    won_count: int
    won_total: str
    lost_count: int
    win_rate: str


@dataclass(frozen=True, slots=True)
class IndexView:
    """accounts.html / competitors.html: one row per record with its deal totals."""

    kind: str
    title: str
    rows: tuple[IndexRow, ...]


def _index_row(ctx: Context, link: Link, detail: str, g: pipeline.Group) -> IndexRow:
    return IndexRow(
        link,
        detail,
        len(g.open),
        ctx.fmt.totals(g.open_total),
        sort_value(g.open_total),
        len(g.won),
        ctx.fmt.totals(g.won_total),
        len(g.lost),
        pipeline.percent_text(g.win_rate),
    )


def accounts_index(ctx: Context, groups: Mapping[str, pipeline.Group]) -> IndexView:
    """Build the accounts index's view model (accounts with a page only)."""
    rows = tuple(
        _index_row(ctx, ctx.record_link("account", a.id), a.industry, groups[a.id])
        for a in sorted(ctx.repo.accounts.values(), key=lambda a: (a.name.lower(), a.id))
    )
    return IndexView("account", "Accounts", rows)


@dataclass(frozen=True, slots=True)
class ContactView:
    """contacts/<id>.html: details, account, the opportunities naming them, notes."""

    id: str
    name: str
    fields: tuple[Field, ...]
    tags: tuple[str, ...]
    roles: tuple[tuple[OppRow, str], ...]
    body: str
    problems: tuple[Problem, ...]


def contact(ctx: Context, contact_id: str, roles: Sequence[tuple[str, str]]) -> ContactView:
    """Build one contact page's view model."""
    c = ctx.repo.contacts[contact_id]
    acc = ctx.record_link("account", c.account) if c.account else Link("", "")
    fields = [Field("Account", acc.text, acc.href)] if c.account else []
    fields += [
        Field(label, value, url=contact_url(label, value))
        for label, value in (("Title", c.title), ("Email", c.email), ("Phone", c.phone))
        if value
    ]
    rows = tuple(
        (opp_row(ctx, ctx.repo.opportunities[o]), role)
        for o, role in roles
        if o in ctx.repo.opportunities
    )
    return ContactView(c.id, c.name, tuple(fields), c.tags, rows, c.body, ctx.problems(c.path))


@dataclass(frozen=True, slots=True)
class ContactRow:
    link: Link
    title: str
    account: Link
    email: str
    deals: int


@dataclass(frozen=True, slots=True)
class ContactsIndexView:
    """contacts.html: every contact with title, account and number of deals."""

    rows: tuple[ContactRow, ...]


def contacts_index(
    ctx: Context, roles: Mapping[str, Sequence[tuple[str, str]]]
) -> ContactsIndexView:
    """Build the contacts index's view model."""
    rows = tuple(
        ContactRow(
            ctx.record_link("contact", c.id),
            c.title,
            ctx.record_link("account", c.account) if c.account else Link("", ""),
            c.email,
            len(roles.get(c.id, ())),
        )
        for c in sorted(ctx.repo.contacts.values(), key=lambda c: (c.name.lower(), c.id))
    )
    return ContactsIndexView(rows)


@dataclass(frozen=True, slots=True)
class CompetitorDeal:
    row: OppRow
    status: str
    notes: str


@dataclass(frozen=True, slots=True)
class CompetitorView:
    """competitors/<id>.html: the deals where it appears and our record against it."""

    id: str
    name: str
    website: str
    tags: tuple[str, ...]
    deals: GroupView
    entries: tuple[CompetitorDeal, ...]
    record: str
    body: str
    problems: tuple[Problem, ...]


def competitor(ctx: Context, competitor_id: str, group: pipeline.Group) -> CompetitorView:
    """Build one competitor page's view model."""
    comp = ctx.repo.competitors[competitor_id]
    entries = []
    for opp_id in (*group.open, *group.won, *group.lost):
        opp = ctx.repo.opportunities[opp_id]
        entry = next(e for e in opp.competitors if e.competitor == competitor_id)
        entries.append(CompetitorDeal(opp_row(ctx, opp), entry.status, entry.notes))
    record = f"{len(group.won)} won, {len(group.lost)} lost" + (
        f" ({pipeline.percent_text(group.win_rate)} win rate)" if group.win_rate is not None else ""
    )
    return CompetitorView(
        comp.id,
        comp.name,
        comp.website,
        comp.tags,
        group_view(ctx, group),
        tuple(entries),
        record,
        comp.body,
        ctx.problems(comp.path),
    )


def competitors_index(ctx: Context, groups: Mapping[str, pipeline.Group]) -> IndexView:
    """Build the competitors index's view model."""
    rows = tuple(
        _index_row(ctx, ctx.record_link("competitor", c.id), c.website, groups[c.id])
        for c in sorted(ctx.repo.competitors.values(), key=lambda c: (c.name.lower(), c.id))
    )
    return IndexView("competitor", "Competitors", rows)


# --- win/loss -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WinLossLine:
    """One group of closed deals: counts, totals, win rates and (competitors) statuses."""

    label: Link
    won: int
    lost: int
    win_rate: str
    won_total: str
    lost_total: str
    win_rate_amount: str
    lost_share: str
    statuses: str
    lost_deals: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class WinLossTable:
    """One grouping of the win/loss page (`key` is a winloss.GROUPINGS name)."""

    key: str
    title: str
    heading: str
    note: str
    rows: tuple[WinLossLine, ...]
    total: WinLossLine


@dataclass(frozen=True, slots=True)
class WinLossView:
    """winloss.html: every closed deal, by lost reason, competitor, owner and stage."""

    figures: tuple[Figure, ...]
    closed: int
    tables: tuple[WinLossTable, ...]


WINLOSS_TITLES = (
    ("reason", "Why we lose", "Lost reason"),
    ("competitor", "Against each competitor", "Competitor"),
    ("owner", "By owner", "Owner"),
    ("stage", "By the stage deals were closed from", "Closed from"),
)


def _winloss_line(ctx: Context, by: str, row: winloss.Row) -> WinLossLine:
    fmt = ctx.fmt
    label = Link("", row.label)
    if by == "competitor" and row.key:
        label = Link(ctx.record_link("competitor", row.key).href, row.label)
    return WinLossLine(
        label,
        row.won.count,
        row.lost.count,
        pipeline.percent_text(row.win_rate),
        fmt.totals(row.won.amount),
        fmt.totals(row.lost.amount),
        pipeline.percent_text(row.win_rate_amount),
        pipeline.percent_text(row.lost_share),
        ", ".join(f"{status} {n}" for status, n in row.statuses),
        tuple(ctx.record_link("opportunity", i) for i in row.lost.ids),
    )


def winloss_page(ctx: Context) -> WinLossView:
    """Build the win/loss page's view model (every closed deal; the stage a deal was
    closed from comes from git history when the site has it)."""
    repo, fmt = ctx.repo, ctx.fmt
    closed_from = None
    if ctx.history is not None:
        closed_from = winloss.stages_closed_from(ctx.history.histories, repo.config)
    tables = []
    total = None
    for by, title, heading in WINLOSS_TITLES:
        found = winloss.win_loss(repo, by, closed_from=closed_from)
        total = found.total
        note = {
            "reason": "Lost deals by their lost reason; won deals have none.",
            "competitor": (
                "A deal counts once for every competitor named on it; their status is the "
                "competitor's status on those deals."
            ),
            "owner": "",
            "stage": (
                "The last open stage a deal was in before it closed, from git history."
                if closed_from is not None
                else "Without git history the stage a deal was closed from is unknown."
            ),
        }[by]
        tables.append(
            WinLossTable(
                by,
                title,
                heading,
                note,
                tuple(_winloss_line(ctx, by, r) for r in found.rows),
                _winloss_line(ctx, by, found.total),
            )
        )
    assert total is not None
    figures = (
        Figure("Won", str(total.won.count), fmt.totals(total.won.amount)),
        Figure("Lost", str(total.lost.count), fmt.totals(total.lost.amount)),
        Figure("Win rate", pipeline.percent_text(total.win_rate), "by count"),
        Figure("Win rate by amount", pipeline.percent_text(total.win_rate_amount), "by amount"),
    )
    return WinLossView(figures, total.closed, tuple(tables))


# --- products, process, problems ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductLine:
    sku: str
    name: str
    description: str
    unit: str
    price: str
    open_count: int
    pipeline: str
    pipeline_sort: str
    won_count: int
    won: str
    won_sort: str


@dataclass(frozen=True, slots=True)
class ProductsView:
    """products.html: the catalog, with open pipeline and won revenue per product."""

    products: tuple[ProductLine, ...]


def products(ctx: Context) -> ProductsView:
    """Build the products page's view model (custom lines last, as "Custom lines")."""
    groups = pipeline.by_product(ctx.repo)
    lines = []
    for sku, g in groups.items():
        p = ctx.repo.products.get(sku)
        name = p.name if p else ("Custom lines" if sku == pipeline.CUSTOM_LINES else sku)
        price = ctx.fmt.money(p.unit_price, p.currency or ctx.config.currency) if p else ""
        lines.append(
            ProductLine(
                sku,
                name,
                p.description if p else "",
                p.unit if p else "",
                price,
                len(g.open),
                ctx.fmt.totals(g.open_total),
                sort_value(g.open_total),
                len(g.won),
                ctx.fmt.totals(g.won_total),
                sort_value(g.won_total),
            )
        )
    return ProductsView(tuple(lines))


@dataclass(frozen=True, slots=True)
class StageInfo:
    order: int
    key: str
    name: str
    description: str
    probability: str
    forecast: str
    outcome: str
    requires: tuple[str, ...]
    stale_after: str
    count: int
    expected: str


@dataclass(frozen=True, slots=True)
class ProcessView:
    """process.html: the stages from textcrm.yaml, with the deals sitting in each."""

    stages: tuple[StageInfo, ...]
    stale_after_days: int


def process(ctx: Context) -> ProcessView:
    """Build the sales process page's view model."""
    summary = {r.key: r for r in pipeline.stage_summary(ctx.repo).rows}
    stages = tuple(
        StageInfo(
            i + 1,
            s.key,
            s.name,
            " ".join(s.description.split()),
            f"{plain(s.probability)}%",
            CATEGORY_NAMES.get(s.forecast, s.forecast),
            s.outcome or "",
            s.requires,
            counted(ctx.config.stale_days(s), "day") if s.is_open else "–",
            summary[s.key].count,
            ctx.fmt.totals(summary[s.key].expected),
        )
        for i, s in enumerate(ctx.config.stages)
    )
    return ProcessView(stages, ctx.config.stale_after_days)


@dataclass(frozen=True, slots=True)
class ProblemsView:
    """problems.html: every check problem, linked to the record's page."""

    problems: tuple[Problem, ...]
    errors: int
    warnings: int


def problems(ctx: Context) -> ProblemsView:
    """Build the problems page's view model."""
    rows = tuple(ctx.problem(d) for d in ctx.diagnostics)
    errors = sum(1 for d in ctx.diagnostics if d.severity == "error")
    return ProblemsView(rows, errors, len(rows) - errors)


# --- search ---------------------------------------------------------------------------

# Each record's notes count towards the search up to this many characters: the index is one
# file the browser loads whole, and 10,000 deals must stay a few megabytes.
SEARCH_NOTES_CHARS = 1000
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _search_text(*parts: str) -> str:
    return " ".join(" ".join(p.split()) for p in parts if p)


def _notes(body: str) -> str:
    """A record's notes as searchable text: comments (unpublished) left out, capped."""
    return " ".join(_COMMENT.sub(" ", body).split())[:SEARCH_NOTES_CHARS]


def search_index(ctx: Context) -> list[dict[str, str]]:
    """The site's offline search: one entry per record page, with the text it is found by
    (`t`: title or name, `k`: kind, `d`: what is shown under it, `s`: everything searched,
    `h`: the page, relative to the site's root)."""
    repo = ctx.repo
    out: list[dict[str, str]] = []
    for opp in sorted(repo.opportunities.values(), key=lambda o: o.id):
        account = ctx.record_link("account", opp.account).text if opp.account else ""
        detail = " · ".join(
            p for p in (account, ctx.stage_name(opp.stage), ctx.owner_name(opp.owner)) if p
        )
        out.append(
            {
                "k": "opportunity",
                "t": opp.title or opp.id,
                "d": detail,
                "h": href("opportunity", opp.id),
                "s": _search_text(opp.title, opp.id, account, opp.next_step, _notes(opp.body)),
            }
        )
    for acc in sorted(repo.accounts.values(), key=lambda a: a.id):
        out.append(
            {
                "k": "account",
                "t": acc.name or acc.id,
                "d": acc.industry,
                "h": href("account", acc.id),
                "s": _search_text(acc.name, acc.id, acc.industry, acc.website, _notes(acc.body)),
            }
        )
    for person in sorted(repo.contacts.values(), key=lambda c: c.id):
        account = ctx.record_link("account", person.account).text if person.account else ""
        out.append(
            {
                "k": "contact",
                "t": person.name or person.id,
                "d": " · ".join(p for p in (person.title, account) if p),
                "h": href("contact", person.id),
                "s": _search_text(
                    person.name, person.id, person.title, person.email, account, _notes(person.body)
                ),
            }
        )
    for comp in sorted(repo.competitors.values(), key=lambda c: c.id):
        out.append(
            {
                "k": "competitor",
                "t": comp.name or comp.id,
                "d": "",
                "h": href("competitor", comp.id),
                "s": _search_text(comp.name, comp.id, comp.website, _notes(comp.body)),
            }
        )
    return out
