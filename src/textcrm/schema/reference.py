"""The field reference of docs/format.md, generated from the field definitions."""

from __future__ import annotations

from typing import Any

from textcrm.money import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, PRECISION
from textcrm.schema.fields import (
    EARLIEST_DATE,
    KINDS,
    LATEST_DATE,
    OWNER,
    Record,
)


def _example(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, list):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    if isinstance(value, dict):
        return "`{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}`"
    return f"`{value}`"


def markdown_reference() -> str:
    """The field reference of docs/format.md, generated from these definitions."""
    seen: list[Record] = []

    def collect(rec: Record) -> None:
        if rec in seen:
            return
        seen.append(rec)
        for f in rec.fields:
            if f.type.record is not None:
                collect(f.type.record)
            if f.type.kind == "owners":
                collect(OWNER)

    for rec in KINDS.values():
        collect(rec)
    out = [
        "### Limits\n",
        "`textcrm check` reports a value outside these limits, so that every command can work "
        "with whatever it accepts:\n",
        f"- dates: {EARLIEST_DATE} to {LATEST_DATE} (so is `--today`);",
        f"- amounts, prices, quantities, percentages, discounts and rates: at most "
        f"{MAX_INTEGER_DIGITS} digits before the decimal point and {MAX_FRACTION_DIGITS} after "
        "it (trailing zeros do not count);",
        "- whole numbers: the range given in their type below;",
        "- `locale`: a locale of Babel's CLDR data, written `en_US` (`en-US` and `en_us` are "
        "read as `en_US`).\n",
        "Every figure is computed exactly from these values, with "
        f"{PRECISION} significant digits (more than the largest product of accepted values "
        "needs), and rounded only as the Money section above describes.\n",
    ]
    for rec in seen:
        out.append(f"### {rec.title}\n")
        if rec.description:
            out.append(f"{rec.description}\n")
        out.append("| field | type | required | meaning | example |")
        out.append("|---|---|---|---|---|")
        for f in rec.fields:
            out.append(
                f"| `{f.name}` | {f.type.describe()} | {'yes' if f.required else ''} | "
                f"{f.description} | {_example(f.example)} |"
            )
        out.append("")
    return "\n".join(out)
