"""Terminal reports (list, show, pipeline, forecast, attention) as tables, JSON and CSV.

Reports only present: every figure comes from `pipeline` and `Repository.figures`. Tables fit
the given width, align money to the right and use colour only when asked to; money in tables
is formatted with Babel for the configured locale (`money.format_money`), in JSON and CSV as
plain decimals with the currency's minor units (`jsonout.money`, `money.fixed`). Every JSON
document carries `"version": 1` and has the shape documented in docs/reports.md.

One module per family: `formats` (what they share: totals as text, JSON and CSV, the JSON
head), `opportunities` (list, show), `forecast` (pipeline, forecast, quotas), `attention`.
"""

from __future__ import annotations

from textcrm.reports.attention import (
    ATTENTION_COLUMNS,
    attention_items,
    attention_report,
)
from textcrm.reports.forecast import (
    QUOTA_COLUMNS,
    forecast_report,
    pipeline_report,
    quotas_csv,
    quotas_json,
    quotas_table,
)
from textcrm.reports.formats import (
    FORMATS,
    VERSION,
    conversion_note,
    has_foreign,
    money,
    rates_json,
    to_csv,
    to_json,
    totals_json,
    totals_rows,
    totals_text,
)
from textcrm.reports.opportunities import (
    LIST_COLUMNS,
    list_report,
    show_report,
)

__all__ = [
    "ATTENTION_COLUMNS",
    "FORMATS",
    "LIST_COLUMNS",
    "QUOTA_COLUMNS",
    "VERSION",
    "attention_items",
    "attention_report",
    "conversion_note",
    "forecast_report",
    "has_foreign",
    "list_report",
    "money",
    "pipeline_report",
    "quotas_csv",
    "quotas_json",
    "quotas_table",
    "rates_json",
    "show_report",
    "to_csv",
    "to_json",
    "totals_json",
    "totals_rows",
    "totals_text",
]
