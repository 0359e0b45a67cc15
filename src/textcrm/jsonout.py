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
    from textcrm.pipeline import Attainment, QuotaReport, Totals


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


def ratio(value: Decimal | None) -> str | None:
    """A percentage or a ratio as its exact decimal text (`"20.6"`, `"0.50"`), or None."""
    return None if value is None else str(value)


def _attainment(a: Attainment, reporting: str) -> dict[str, Any]:
    return {
        "owner": a.owner,
        "quota": money(a.quota, reporting),
        "won_count": a.won_count,
        "closed_won": totals(a.closed_won),
        "attainment": ratio(a.attainment),
        "remaining": money(a.remaining, reporting),
        "open_count": a.open_count,
        "weighted": totals(a.weighted),
        "commit": totals(a.commit),
        "weighted_coverage": ratio(a.weighted_coverage),
        "commit_coverage": ratio(a.commit_coverage),
    }


def quotas(qr: QuotaReport | None, reporting: str) -> dict[str, Any] | None:
    """Attainment and coverage of a quota period, per owner and for the team; None (null)
    without quotas."""
    if qr is None:
        return None
    return {
        "period": {
            "key": qr.period.key,
            "label": qr.period.label,
            "start": qr.period.start.isoformat(),
            "end": qr.period.end.isoformat(),
        },
        "rest_start": qr.rest_start.isoformat(),
        "owners": [_attainment(a, reporting) for a in qr.owners],
        "team": None if qr.team is None else _attainment(qr.team, reporting),
    }
