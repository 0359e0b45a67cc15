"""The win/loss page's view model: closed deals by lost reason, competitor, owner and stage."""

from __future__ import annotations

from dataclasses import dataclass

from textcrm import pipeline, winloss
from textcrm.site.views.common import Context, Figure, Link


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
