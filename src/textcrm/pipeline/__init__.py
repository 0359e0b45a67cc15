"""Pure pipeline computations shared by the site and the terminal reports.

Stage totals, the weighted forecast by period and category, the attention list, the
dashboard's key figures, and the same per owner, per account, per product and per competitor.
Every function takes the loaded Repository and `today`; nothing reads the clock or prints.
Money is per currency (`Totals`); with `rates:` in textcrm.yaml totals are also converted to
the reporting currency.
"""

from __future__ import annotations

from textcrm.pipeline.attention import (
    ATTENTION_KINDS,
    AttentionItem,
    KeyFigures,
    attention,
    deal_attention,
    key_figures,
)
from textcrm.pipeline.lists import (
    CUSTOM_LINES,
    SORT_KEYS,
    Criteria,
    Group,
    OwnerFigures,
    board,
    by_account,
    by_competitor,
    by_contact,
    by_product,
    flags,
    last_update,
    opportunity_list,
    owner_figures,
    percent_text,
    totals_of,
)
from textcrm.pipeline.quotas import (
    Attainment,
    QuotaReport,
    period_from_key,
    quota_period,
    quota_report,
)
from textcrm.pipeline.running import Running, RunningTally
from textcrm.pipeline.stages import (
    Forecast,
    ForecastCell,
    ForecastRow,
    StageRow,
    StageSummary,
    forecast,
    stage_summary,
)
from textcrm.pipeline.totals import (
    CATEGORIES,
    CATEGORY_NAMES,
    Period,
    Tally,
    Totals,
    make_totals,
    month_of,
    owners,
    periods,
    quarter_of,
    select,
    status,
)

__all__ = [
    "ATTENTION_KINDS",
    "CATEGORIES",
    "CATEGORY_NAMES",
    "CUSTOM_LINES",
    "SORT_KEYS",
    "Attainment",
    "AttentionItem",
    "Criteria",
    "Forecast",
    "ForecastCell",
    "ForecastRow",
    "Group",
    "KeyFigures",
    "OwnerFigures",
    "Period",
    "QuotaReport",
    "Running",
    "RunningTally",
    "StageRow",
    "StageSummary",
    "Tally",
    "Totals",
    "attention",
    "board",
    "by_account",
    "by_competitor",
    "by_contact",
    "by_product",
    "deal_attention",
    "flags",
    "forecast",
    "key_figures",
    "last_update",
    "make_totals",
    "month_of",
    "opportunity_list",
    "owner_figures",
    "owners",
    "percent_text",
    "period_from_key",
    "periods",
    "quarter_of",
    "quota_period",
    "quota_report",
    "select",
    "stage_summary",
    "status",
    "totals_of",
]
