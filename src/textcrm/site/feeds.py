"""The site's data files: pipeline.json and the calendar feeds, which follow the dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textcrm import jsonout, pipeline
from textcrm.model import Opportunity
from textcrm.money import plain
from textcrm.repository import Repository
from textcrm.site import views


def pipeline_json(ctx: views.Context, memo: dict[str, tuple[Any, ...]] | None = None) -> bytes:
    """pipeline.json: the computed figures, for other tools (amounts as exact strings).

    `memo` (kept by serve between rounds) holds each deal's encoded entry with the record,
    config and flags it was made from (a changed config or catalog loads new records), so a
    round encodes the changed deals' entries only; it is left holding this file's entries."""
    repo, today = ctx.repo, ctx.today
    kf, summary, fc = ctx.key_figures(), ctx.stage_summary(), ctx.forecast()

    def cell(c: pipeline.ForecastCell) -> dict[str, Any]:
        return {
            "count": c.count,
            "expected": jsonout.totals(c.expected),
            "weighted": jsonout.totals(c.weighted),
        }

    doc = {
        "version": 1,
        "as_of": today.isoformat(),
        "currency": repo.config.currency,
        "key_figures": {
            "open_count": kf.open_count,
            "pipeline": jsonout.totals(kf.pipeline),
            "weighted": jsonout.totals(kf.weighted),
            "quarter": kf.quarter.key,
            "won_count": kf.won_count,
            "won": jsonout.totals(kf.won),
            "lost_count": kf.lost_count,
            "lost": jsonout.totals(kf.lost),
            "win_rate": None if kf.win_rate is None else plain(kf.win_rate),
            "average_deal": jsonout.totals(kf.average_deal),
            "average_cycle_days": (
                None if kf.average_cycle_days is None else plain(kf.average_cycle_days)
            ),
        },
        "stages": [
            {
                "key": r.key,
                "name": r.name,
                "open": r.is_open,
                "probability": plain(r.probability),
                "count": r.count,
                "expected": jsonout.totals(r.expected),
                "weighted": jsonout.totals(r.weighted),
            }
            for r in summary.rows
        ],
        "forecast": {
            "by": fc.by,
            "periods": [
                {
                    "period": row.period.key,
                    "start": row.period.start.isoformat(),
                    "end": row.period.end.isoformat(),
                    **{c: cell(row.cell(c)) for c in pipeline.CATEGORIES},
                    "total": cell(row.total),
                    "closed_won": cell(row.closed_won),
                }
                for row in fc.rows
            ],
            "past_due": cell(fc.past_due),
            "later": cell(fc.later),
        },
        "quotas": jsonout.quotas(pipeline.quota_report(repo, today), repo.config.currency),
        "attention": [
            {
                "kind": a.kind,
                "opportunity": a.opportunity,
                "owner": a.owner,
                "date": a.date.isoformat() if a.date else None,
                "message": a.message,
            }
            for a in ctx.attention
        ],
    }
    # The deals' entries and the problems close the document, in that order: the head is
    # encoded whole, each deal's entry once (the same text as inside the whole document).
    kept = dict(memo or {})
    parts = []
    for o in pipeline.select(repo):
        flags = ctx.flags.get(o.id, ())
        got = kept.get(o.id)
        if got is None or got[0] is not o or got[1] is not repo.config or got[2] != flags:
            got = (o, repo.config, flags, jsonout.dumps(_deal(repo, o, flags), compact=True)[:-1])
        if memo is not None:
            memo[o.id] = got
        parts.append(got[3])
    if memo is not None:
        for gone in set(memo) - set(repo.opportunities):
            del memo[gone]
    problems = jsonout.dumps([d.to_json() for d in ctx.diagnostics], compact=True)
    head = jsonout.dumps(doc, compact=True)  # `{...}\n`
    text = head[:-2] + ',"opportunities":[' + ",".join(parts) + '],"problems":' + problems[:-1]
    return (text + "}\n").encode()


def _deal(repo: Repository, o: Opportunity, flags: tuple[str, ...]) -> dict[str, Any]:
    """One deal's entry in pipeline.json."""
    f = repo.figures(o)
    return {
        "id": o.id,
        "path": o.path,
        "title": o.title,
        "account": o.account,
        "owner": o.owner,
        "stage": o.stage,
        "status": pipeline.status(repo, o),
        "close_date": o.close_date.isoformat() if o.close_date else None,
        "currency": f.currency,
        "expected": jsonout.money(f.expected, f.currency),
        "probability": plain(f.probability),
        "weighted": jsonout.money(f.weighted, f.currency),
        "forecast": f.forecast,
        "flags": list(flags),
    }


def feed_paths(repo: Repository) -> dict[str | None, str]:
    """Where each calendar feed goes, by owner (None: every owner's deals)."""
    return {owner: views.feed_path(owner) for owner in [None, *pipeline.owners(repo)]}


def data_files(
    ctx: views.Context,
    feeds: Mapping[str | None, str],
    memo: dict[Any, bytes] | None = None,
    deals: dict[str, tuple[Any, ...]] | None = None,
) -> dict[str, bytes]:
    """pipeline.json and the calendar feeds (at `feeds`), by path: what the dashboard shows,
    for other tools. `memo`: the calendar events of the previous call, `deals`: pipeline.json's
    encoded deals (serve keeps both)."""
    from textcrm.calendar import calendar_feeds

    files = {"pipeline.json": pipeline_json(ctx, deals)}
    for owner, data in calendar_feeds(ctx.repo, ctx.today, feeds, memo).items():
        files[feeds[owner]] = data
    return files
