"""The products, sales process and problems pages as view models."""

from __future__ import annotations

from dataclasses import dataclass

from textcrm import pipeline
from textcrm.money import plain
from textcrm.pipeline import CATEGORY_NAMES
from textcrm.plural import counted
from textcrm.site.views.common import Context, Problem, sort_value


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
    summary = {r.key: r for r in ctx.stage_summary().rows}
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
