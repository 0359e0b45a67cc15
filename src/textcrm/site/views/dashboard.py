"""The dashboard's view model: key figures, stages, forecast, quotas, attention, owners, feeds."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from textcrm import pipeline
from textcrm.money import plain
from textcrm.pipeline import CATEGORY_NAMES, Totals
from textcrm.plural import counted
from textcrm.site.views.charts import Bar, stacked_columns, stage_bars
from textcrm.site.views.common import Context, Figure, Formatter, Link
from textcrm.site.views.history import DashboardHistory, dashboard_history


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
    kf = ctx.key_figures()
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
    summary = ctx.stage_summary()
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
        stage_bars(
            f"stage-chart{suffix}",
            f"Open pipeline by stage{title}",
            [
                (
                    r.name,
                    Bar(r.name, value(r.expected), text(r.expected)),
                    Bar(r.name, value(r.weighted), text(r.weighted)),
                )
                for r in summary.open_rows
            ],
            heading,
        )
        for suffix, title, heading, value, text in stage_scales
    )
    fc = ctx.forecast()
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
        stacked_columns(
            f"forecast-chart{suffix}",
            f"Forecast by close month{title}",
            [
                (
                    label,
                    [
                        (c, Bar(c, value(cells[c].expected), text(cells[c].expected)))
                        for c in pipeline.CATEGORIES
                    ],
                    Bar("won", value(won), text(won)),
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
        for o in pipeline.owner_figures(
            repo, today, ctx.attention, figures=lambda o: ctx.key_figures(o, history=False)
        )
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
