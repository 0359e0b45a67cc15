"""The one JSON encoder for money and missing values: pipeline.json, every `--format json`
and `export --format json` write amounts and gaps the same way (docs/reports.md).

- money is a string with exactly the currency's minor units (`"39150.00"`, `"1200"` in JPY),
  never a number (no float) and never a bare Decimal's text (`"39150"`);
- a missing value is `null`, never `""`: an empty text field, an absent date or amount.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from textcrm.money import fixed

if TYPE_CHECKING:
    from textcrm.pipeline import Totals


def money(value: Decimal | None, currency: str) -> str | None:
    """An amount as its exact minor-unit string, or None."""
    return None if value is None else fixed(value, currency)


def totals(t: Totals) -> dict[str, Any]:
    """`{"amounts": {"USD": "1.00"}, "reporting_currency": "USD", "converted": "1.00"}`."""
    return {
        "amounts": {c: fixed(v, c) for c, v in t.amounts},
        "reporting_currency": t.reporting,
        "converted": money(t.converted, t.reporting),
    }


def _missing_as_null(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _missing_as_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_missing_as_null(v) for v in value]
    return None if value == "" else value


def dumps(doc: Any, compact: bool = False) -> str:
    """The document as JSON text (one line when `compact`), every empty text as null."""
    clean = _missing_as_null(doc)
    if compact:
        # Python's fast JSON encoder only runs without indentation.
        return json.dumps(clean, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(clean, indent=2, ensure_ascii=False) + "\n"
