"""Git history -> per-opportunity versions -> stage transitions, slips, changes between two points.

The package, in the order data flows through it:

- `timeline`: git log -> the Timeline (each mainline commit and each opportunity's versions);
- `cache`: the timeline cache, and the timeline built through it;
- `points`: a DATE or REF resolved to a point of the line, a Reader at a point;
- `states`: the pipeline at a point (Deal, State);
- `deal`: one opportunity's history (events, stage periods, close date moves);
- `changes`: what changed between two points, and the waterfall;
- `sections`: what the site shows from history;
- `output`: every text the history commands write (tables, JSON, Markdown).

This module re-exports the public names of all but `output`.
"""

from __future__ import annotations

from textcrm.history.cache import MAX_DELTAS, build_timeline, save_timeline
from textcrm.history.changes import (
    LISTS,
    WATERFALL_TERMS,
    Changes,
    Item,
    ItemValue,
    changes,
    compare,
)
from textcrm.history.deal import (
    TRACKED,
    Amount,
    CloseDateMove,
    Event,
    FieldChange,
    OpportunityHistory,
    StagePeriod,
    Tracked,
    all_histories,
    created_dates,
    histories_if_any,
    load_history,
    opportunity_history,
    tracked,
)
from textcrm.history.points import Point, PointReader, point_day, reader_at, resolve_point
from textcrm.history.sections import (
    SiteHistory,
    average_days,
    average_stage_days,
    site_history,
    won_cycles,
)
from textcrm.history.states import Deal, State, config_at, state_at, state_from_tree
from textcrm.history.timeline import (
    PARALLEL_THRESHOLD,
    SHALLOW_MESSAGE,
    Commit,
    Git,
    Snapshot,
    Step,
    Timeline,
    added_on,
    locate,
)

__all__ = [
    "LISTS",
    "MAX_DELTAS",
    "PARALLEL_THRESHOLD",
    "SHALLOW_MESSAGE",
    "TRACKED",
    "WATERFALL_TERMS",
    "Amount",
    "Changes",
    "CloseDateMove",
    "Commit",
    "Deal",
    "Event",
    "FieldChange",
    "Git",
    "Item",
    "ItemValue",
    "OpportunityHistory",
    "Point",
    "PointReader",
    "SiteHistory",
    "Snapshot",
    "StagePeriod",
    "State",
    "Step",
    "Timeline",
    "Tracked",
    "added_on",
    "all_histories",
    "average_days",
    "average_stage_days",
    "build_timeline",
    "changes",
    "compare",
    "config_at",
    "created_dates",
    "histories_if_any",
    "load_history",
    "locate",
    "opportunity_history",
    "point_day",
    "reader_at",
    "resolve_point",
    "save_timeline",
    "site_history",
    "state_at",
    "state_from_tree",
    "tracked",
    "won_cycles",
]
