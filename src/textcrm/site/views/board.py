"""The board's view model: a column per open stage with its cards, slipping deals flagged."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from textcrm import deals, pipeline
from textcrm.money import plain
from textcrm.site.views.common import Badge, Context, OppRow, opp_row


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
    summary = {r.key: r for r in ctx.stage_summary().rows}
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
