"""The JSON Schema of each kind of file, generated from the field definitions (`textcrm schema`)."""

from __future__ import annotations

from typing import Any

from textcrm.money import MAX_INTEGER_DIGITS
from textcrm.schema.fields import (
    EARLIEST_DATE,
    KINDS,
    LATEST_DATE,
    MONEY,
    OWNER,
    RULE_SEVERITIES,
    Record,
    Type,
)

# What an editor's YAML 1.2 reader sees is the value, not how it was written: the string
# branches below mirror the text check reads (money.parse_decimal, parse.convert), the number
# branches the same bounds. tests/test_schema_agreement.py holds the two to each other.
_DECIMAL = r"\s*\+?(\d+(_\d+)*)?(\.\d+)?([eE][+-]?\d+)?\s*"
_MONEY_PATTERN = rf"^{_DECIMAL}$"
# 0 to 100, with or without `%`: `60`, `60%`, `8.25 %`, `100.0`.
_PERCENT_PATTERN = r"^\s*\+?0*(100(\.0+)?|\d{1,2}(\.\d+)?|\.\d+)\s*%?\s*$"
_PERCENT_SIGN_PATTERN = r"^\s*\+?0*(100(\.0+)?|\d{1,2}(\.\d+)?|\.\d+)\s*%\s*$"
# A required text: something other than blanks (numbers and booleans are read as text).
_TEXT_TYPES = ["string", "number", "boolean"]
# The largest number a file may give, for the JSON Schema's `number` branches.
_NUMBER_BOUND = 10**MAX_INTEGER_DIGITS


def _span(low: int, high: int, width: int) -> str:
    """A pattern for the numbers low..high written with exactly `width` digits."""
    if width == 0:
        return ""
    if low == 0 and high == 10**width - 1:
        return rf"\d{{{width}}}"
    lo, hi = str(low).zfill(width), str(high).zfill(width)
    below = 10 ** (width - 1) - 1
    if lo[0] == hi[0]:
        return lo[0] + _span(int(lo[1:] or 0), int(hi[1:] or 0), width - 1)
    parts = [lo[0] + _span(int(lo[1:] or 0), below, width - 1)]
    if int(hi[0]) - int(lo[0]) > 1:
        middle = rf"\d{{{width - 1}}}" if width > 1 else ""
        parts.append(f"[{int(lo[0]) + 1}-{int(hi[0]) - 1}]{middle}")
    parts.append(hi[0] + _span(0, int(hi[1:] or 0), width - 1))
    return "(" + "|".join(parts) + ")"


def _range_pattern(low: int, high: int) -> str:
    """A pattern (no anchors) for the whole numbers low..high (both >= 0), written without
    leading zeros."""
    parts = []
    for width in range(len(str(low)), len(str(high)) + 1):
        first = max(low, 10 ** (width - 1) if width > 1 else 0)
        last = min(high, 10**width - 1)
        if first <= last:
            parts.append(_span(first, last, width))
    return "(" + "|".join(parts) + ")" if parts else "(?!)"


def _integer_pattern(t: Type) -> str:
    """The text of a whole number check accepts for `t` (`7`, `+7`, `7.0`), as a pattern."""
    low = max(t.minimum or 0, 0)
    digits = _range_pattern(low, t.maximum) if t.maximum is not None else r"[1-9]\d*"
    zero = "|0" if low == 0 else ""
    return rf"^\s*\+?0*({digits}{zero})(\.0+)?\s*$"


def _date_pattern() -> str:
    years = _range_pattern(EARLIEST_DATE.year, LATEST_DATE.year)
    return rf"^\s*{years}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\s*$"


def _type_schema(t: Type, config: Any) -> dict[str, Any]:
    """The JSON Schema of one type, as an editor reads YAML 1.2: numbers may also be written
    as strings, and text may be anything a scalar holds."""
    k = t.kind
    if k in ("string", "text", "ref"):
        return {"type": _TEXT_TYPES}
    if k == "timezone":
        return {"type": "string"}
    if k == "locale":
        return {"type": "string", "pattern": r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$"}
    if k == "edit_url":
        return {"type": "string", "pattern": r"^https?://.*\{path\}"}
    if k == "owner":
        if config is not None and config.owners:
            return {"type": "string", "enum": [o.key for o in config.owners]}
        return {"type": "string"}
    if k == "stage":
        if config is not None:
            return {"type": "string", "enum": [s.key for s in config.stages]}
        return {"type": "string"}
    if k == "date":
        # `format: date` rules out 2026-02-30 where validators check formats (most editors).
        return {"type": "string", "format": "date", "pattern": _date_pattern()}
    if k == "money":
        return {
            "anyOf": [
                {"type": "number", "minimum": 0, "exclusiveMaximum": _NUMBER_BOUND},
                {"type": "string", "pattern": _MONEY_PATTERN},
            ]
        }
    if k == "quantity":
        return {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": _NUMBER_BOUND},
                {"type": "string", "pattern": _MONEY_PATTERN},
            ]
        }
    if k == "percent":
        return {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 100},
                {"type": "string", "pattern": _PERCENT_PATTERN},
            ]
        }
    if k == "discount":
        return {
            "anyOf": [
                {"type": "number", "minimum": 0, "exclusiveMaximum": _NUMBER_BOUND},
                {"type": "string", "pattern": _PERCENT_SIGN_PATTERN},
                {"type": "string", "pattern": _MONEY_PATTERN},
            ]
        }
    if k == "integer":
        number: dict[str, Any] = {"type": "integer"}
        if t.minimum is not None:
            number["minimum"] = t.minimum
        if t.maximum is not None:
            number["maximum"] = t.maximum
        return {"anyOf": [number, {"type": "string", "pattern": _integer_pattern(t)}]}
    if k == "bool":
        words = ["true", "True", "TRUE", "false", "False", "FALSE"]
        return {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": words}]}
    if k == "currency":
        from textcrm.money import CURRENCIES

        return {"type": "string", "enum": sorted(CURRENCIES)}
    if k == "enum":
        return {"type": "string", "enum": list(t.choices)}
    if k == "list":
        assert t.item is not None
        return {"type": "array", "items": _type_schema(t.item, config)}
    if k == "records":
        assert t.record is not None
        return {"type": "array", "items": record_schema(t.record, config)}
    if k == "record":
        assert t.record is not None
        return record_schema(t.record, config)
    if k == "owners":
        return {
            "type": "array",
            "items": {"anyOf": [{"type": "string"}, record_schema(OWNER, config)]},
        }
    if k == "rules":
        from textcrm.rules import RULES

        return {
            "type": "object",
            "propertyNames": {"enum": [c for c, r in RULES.items() if r.configurable]},
            "additionalProperties": {"enum": list(RULE_SEVERITIES)},
        }
    if k == "rates":
        return {
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": _NUMBER_BOUND},
                    {"type": "string", "pattern": _MONEY_PATTERN},
                ]
            },
        }
    if k == "amounts":
        amounts: dict[str, Any] = {
            "type": "object",
            "additionalProperties": _type_schema(MONEY, config),
        }
        if config is not None and config.owners:
            amounts["propertyNames"] = {"enum": [o.key for o in config.owners]}
        return amounts
    if k == "quota_periods":
        assert t.record is not None
        return {
            "type": "object",
            "propertyNames": {"pattern": r"^\d{4}-(Q[1-4]|0[1-9]|1[0-2])$"},
            "additionalProperties": record_schema(t.record, config),
        }
    if k == "mapping":
        return {"type": "object"}
    raise AssertionError(k)  # pragma: no cover


def _given(prop: dict[str, Any]) -> dict[str, Any]:
    """`prop` for a value that must be given: not null, not blank text, not an empty list."""
    out = dict(prop)
    kinds = out.get("type")
    if kinds == _TEXT_TYPES or kinds == "string":
        out["pattern"] = out.get("pattern", r"\S")
    if kinds == "array":
        out["minItems"] = 1
    return out


def _optional(prop: dict[str, Any]) -> dict[str, Any]:
    """`prop` for a value that may also be left empty (null)."""
    description = prop.get("description")
    rest = {k: v for k, v in prop.items() if k != "description"}
    out: dict[str, Any] = {"description": description} if description else {}
    out["anyOf"] = [rest, {"type": "null"}]
    return out


def _unknown_keys_refused(config: Any) -> bool:
    """Unknown keys make a file invalid only when `unknown-field` is configured as an error:
    a warning, as by default, does not."""
    from textcrm.rules import default_severity

    rules = getattr(config, "rules", None) or {}
    return (rules.get("unknown-field") or default_severity("unknown-field")) == "error"


def record_schema(rec: Record, config: Any = None) -> dict[str, Any]:
    """The JSON Schema of a record: its keys, required ones given and non-empty, optional ones
    possibly null; unknown keys as `unknown-field`'s severity says, `x-` keys always allowed."""
    properties: dict[str, Any] = {}
    required = []
    for f in rec.fields:
        prop = _type_schema(f.type, config)
        if f.description:
            prop = {"description": f.description, **prop}
        if f.required:
            required.append(f.name)
            prop = _given(prop)
        else:
            prop = _optional(prop)
        properties[f.name] = prop
    out: dict[str, Any] = {"type": "object", "title": rec.title}
    if rec.description:
        out["description"] = rec.description
    out["properties"] = properties
    if required:
        out["required"] = required
    if rec.alternatives:
        # One of these sets of keys must be given (a line item: a sku, or a name and a price).
        out["anyOf"] = [
            {
                "required": list(names),
                "properties": {n: _given(_type_schema(rec.by_name[n].type, config)) for n in names},
            }
            for names in rec.alternatives
        ]
    if rec.extensible:
        out["patternProperties"] = {"^x[-_]": {}}
    if _unknown_keys_refused(config) or not rec.extensible:
        out["additionalProperties"] = False
    return out


def to_json_schema(kind: str, config: Any = None) -> dict[str, Any]:
    """A draft 2020-12 JSON Schema document for one kind of file."""
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://textcrm.invalid/schema/{kind}.json",
    }
    doc.update(record_schema(KINDS[kind], config))
    return doc
