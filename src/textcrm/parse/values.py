"""Scalar text to typed values: dates, exact amounts, ids, enums; and the conversion context.

Values are converted from the raw scalar text according to the field's type, so YAML 1.1
surprises cannot happen (`NO` is the text "NO" in a text field) and money never touches float.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from textcrm import schema as sc
from textcrm.diagnostics import Diagnostic
from textcrm.money import (
    CURRENCIES,
    Discount,
    MoneyError,
    digits_problem,
    locale_name,
    parse_decimal,
    parse_discount,
    parse_percent,
)
from textcrm.rules import RULES
from textcrm.suggest import did_you_mean as suggest
from textcrm.yamlnodes import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    column_of,
    has_foreign_tag,
    line_of,
)

NODE_BUDGET = 200_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A whole number; `7.0` is one too (a YAML reader sees the number 7.0).
_INTEGER = re.compile(r"^[+-]?\d+(\.0+)?$")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


# Dates and amounts repeat across thousands of records. Sharing one object per distinct text
# makes the parse cache's pickle store each once: a warm check unpickles far fewer objects.
_decimal = functools.lru_cache(maxsize=8192)(parse_decimal)
# Equal values have the same digits once trailing zeros are dropped: cached by value.
_digits = functools.lru_cache(maxsize=8192)(digits_problem)


@functools.lru_cache(maxsize=8192)
def _day(text: str) -> date | str:
    """The date a scalar's text names, or why it names none (the message after `field: `).

    Cached by text: a date's text repeats across thousands of records, and the answer depends
    on nothing else."""
    text = text.strip()
    if not _DATE.match(text):
        return f"`{text}` is not a date; write it as YYYY-MM-DD"
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return f"`{text}` is not a real date"
    if not sc.EARLIEST_DATE <= day <= sc.LATEST_DATE:
        return f"{text} is outside {sc.EARLIEST_DATE} to {sc.LATEST_DATE}"
    return day


@functools.lru_cache(maxsize=8192)
def _number(text: str) -> Decimal | str:
    """The exact number a scalar's text writes, within the digit limits, or why it is not
    one (the message after `field: `). Cached by text, as `_day` is."""
    try:
        value = _decimal(text)
    except MoneyError:
        return f"`{text}` is not a number"
    problem = _digits(value)
    if problem is not None:
        shown = text.strip() if len(text) <= 40 else text.strip()[:37] + "..."
        return f"`{shown}` {problem}"
    return value


class Invalid(Exception):
    """A value that does not fit its field: the node to point at and the message."""

    def __init__(self, node: Node, message: str, code: str = "invalid-value") -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.code = code


class BudgetExceeded(Exception):
    """The document expands to more nodes than any record could need (an alias bomb)."""


class Context:
    """Where diagnostics go while one file is converted, and the file line of YAML line 0."""

    __slots__ = ("_seen", "budget", "diagnostics", "offset", "path")

    def __init__(self, path: str, offset: int) -> None:
        self.path = path
        self.offset = offset
        self.diagnostics: list[Diagnostic] = []
        self.budget = NODE_BUDGET
        self._seen: set[Diagnostic] = set()

    def line(self, node: Node) -> int:
        return line_of(node) + self.offset

    def report(self, node: Node | None, code: str, message: str, line: int | None = None) -> None:
        if line is None:
            line = self.line(node) if node is not None else 1
        column = column_of(node) + 1 if node is not None and line == self.line(node) else 1
        found = Diagnostic(self.path, line, column, code, RULES[code].severity, message)
        if found not in self._seen:  # an alias used many times is reported once
            self._seen.add(found)
            self.diagnostics.append(found)

    def visit(self, count: int = 1) -> None:
        """Count `count` nodes against the file's budget (a mapping counts each key and each
        value, a list each item), before they are converted."""
        self.budget -= count
        if self.budget < 0:
            raise BudgetExceeded


def _scalar(node: Node, what: str, name: str = "") -> str:
    if not isinstance(node, ScalarNode):
        kind = "a list" if isinstance(node, SequenceNode) else "a mapping"
        raise Invalid(node, f"{name + ': ' if name else ''}expected {what}, found {kind}")
    return str(node.value)


def _check_tag(node: Node) -> None:
    if has_foreign_tag(node):
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        raise Invalid(
            node,
            f"unknown YAML tag `{tag}`; textcrm reads plain YAML only (nothing is executed)",
            code="yaml-syntax",
        )


# One converter per kind of value (`schema.Type.kind`), each given a node that is not empty.
Converter = Callable[[Node, sc.Type, str, Context], Any]


def _to_string(node: Node, t: sc.Type, name: str, ctx: Context) -> str | None:
    if not isinstance(node, ScalarNode):
        _scalar(node, t.describe(), name)
    return str(node.value).strip() or None


def _to_text(node: Node, t: sc.Type, name: str, ctx: Context) -> str | None:
    if not isinstance(node, ScalarNode):
        _scalar(node, t.describe(), name)
    return str(node.value).strip("\n") or None


def _to_id(node: Node, t: sc.Type, name: str, ctx: Context) -> str | None:
    if not isinstance(node, ScalarNode):
        _scalar(node, t.describe(), name)
    # Ids repeat across thousands of records: intern them (smaller cache, faster compare).
    return sys.intern(str(node.value).strip()) or None


def _to_date(node: Node, t: sc.Type, name: str, ctx: Context) -> date:
    day = _day(_scalar(node, "a date", name))
    if isinstance(day, str):
        raise Invalid(node, f"{name}: {day}")
    return day


def _to_amount(node: Node, t: sc.Type, name: str, ctx: Context) -> Decimal:
    text = _scalar(node, "a number", name)
    value = _number(text)
    if isinstance(value, str):
        raise Invalid(node, f"{name}: {value}")
    if t.kind == "money" and value < 0:
        raise Invalid(node, f"{name}: {text} is negative; amounts are >= 0")
    if t.kind == "quantity" and value <= 0:
        raise Invalid(node, f"{name}: {text} must be greater than 0")
    return value


def _to_percent(node: Node, t: sc.Type, name: str, ctx: Context) -> Decimal:
    text = _scalar(node, "a percentage", name)
    try:
        value = parse_percent(text)
    except MoneyError:
        raise Invalid(node, f"{name}: `{text}` is not a percentage") from None
    _check_digits(node, name, text, value)
    if not Decimal(0) <= value <= Decimal(100):
        raise Invalid(node, f"{name}: {text} is outside 0-100")
    return value


def _to_discount(node: Node, t: sc.Type, name: str, ctx: Context) -> Discount:
    text = _scalar(node, "a discount", name)
    try:
        discount = parse_discount(text)
    except MoneyError:
        raise Invalid(node, f"{name}: `{text}` is not a discount (`5%` or an amount)") from None
    _check_digits(node, name, text, discount.percent or discount.amount or Decimal(0))
    if discount.percent is not None and not Decimal(0) <= discount.percent <= Decimal(100):
        raise Invalid(node, f"{name}: {text} is outside 0%-100%")
    if discount.amount is not None and discount.amount < 0:
        raise Invalid(node, f"{name}: {text} is negative")
    return discount


def _to_integer(node: Node, t: sc.Type, name: str, ctx: Context) -> int:
    text = _scalar(node, "a whole number", name).strip()
    if not _INTEGER.match(text):
        raise Invalid(node, f"{name}: `{text}` is not a whole number")
    # Every bound has far fewer digits; int() of thousands of digits is slow or refused.
    text = text.partition(".")[0]
    huge = -(10**30) if text.startswith("-") else 10**30
    number = int(text) if len(text) <= 30 else huge
    shown = text if len(text) <= 30 else text[:27] + "..."
    if t.minimum is not None and number < t.minimum:
        raise Invalid(node, f"{name}: {shown} is less than {t.minimum}")
    if t.maximum is not None and number > t.maximum:
        raise Invalid(node, f"{name}: {shown} is more than {t.maximum:,}")
    return number


def _to_bool(node: Node, t: sc.Type, name: str, ctx: Context) -> bool:
    text = _scalar(node, "true or false", name).strip()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid(node, f"{name}: `{text}` is not true or false")


def _to_locale(node: Node, t: sc.Type, name: str, ctx: Context) -> str:
    text = _scalar(node, "a locale", name).strip()
    known = locale_name(text)
    if known is None:
        raise Invalid(
            node,
            f"{name}: `{text}` is not a locale Babel knows; write a language and territory "
            "like en_US, de_DE or fr_CH",
        )
    return known


def _to_currency(node: Node, t: sc.Type, name: str, ctx: Context) -> str:
    text = _scalar(node, "a currency code", name).strip()
    if text not in CURRENCIES:
        hint = f"; did you mean `{text.upper()}`?" if text.upper() in CURRENCIES else ""
        raise Invalid(node, f"{name}: `{text}` is not an ISO 4217 currency code{hint}")
    return text


def _to_enum(node: Node, t: sc.Type, name: str, ctx: Context) -> str:
    if not isinstance(node, ScalarNode):
        _scalar(node, t.describe(), name)
    text = str(node.value).strip()
    if text not in t.choices:
        raise Invalid(
            node,
            f"{name}: `{text}` is not one of {', '.join(t.choices)}"
            + suggest(text, list(t.choices)),
        )
    return sys.intern(text)


def _to_timezone(node: Node, t: sc.Type, name: str, ctx: Context) -> str:
    return _timezone(node, _scalar(node, "a time zone name", name).strip(), name)


def _to_edit_url(node: Node, t: sc.Type, name: str, ctx: Context) -> str:
    text = _scalar(node, "a URL pattern", name).strip()
    if not text.startswith(("https://", "http://")) or "{path}" not in text:
        raise Invalid(
            node,
            f"{name}: `{text}` is not a URL pattern: write the forge's edit URL of a "
            "file with `{path}` for its path, e.g. "
            "https://github.com/acme/crm/edit/main/{path}",
        )
    return text


def _to_mapping(node: Node, t: sc.Type, name: str, ctx: Context) -> dict[str, str]:
    if not isinstance(node, MappingNode):
        raise Invalid(node, f"{name}: expected a mapping")
    return {
        str(k.value): str(v.value)
        for k, v in node.value
        if isinstance(k, ScalarNode) and isinstance(v, ScalarNode)
    }


def _check_digits(node: Node, name: str, text: str, value: Decimal) -> None:
    problem = _digits(value)
    if problem is not None:
        shown = text.strip() if len(text) <= 40 else text.strip()[:37] + "..."
        raise Invalid(node, f"{name}: `{shown}` {problem}")


def _timezone(node: Node, text: str, name: str) -> str:
    """An IANA time zone name that the zoneinfo database (or the tzdata package) knows."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(
            node,
            f"{name}: `{text}` is not an IANA time zone name (such as UTC, Europe/Berlin "
            "or America/New_York)",
        ) from None
    return text


def _sequence(node: Node, name: str) -> list[Node]:
    if not isinstance(node, SequenceNode):
        raise Invalid(node, f"{name}: expected a list (`- item` lines or `[a, b]`)")
    items: list[Node] = node.value
    return items


# The converters of the kinds of value that hold one scalar, by `schema.Type.kind`.
SCALAR_CONVERTERS: dict[str, Converter] = {
    "string": _to_string,
    "text": _to_text,
    "ref": _to_id,
    "owner": _to_id,
    "stage": _to_id,
    "date": _to_date,
    "money": _to_amount,
    "quantity": _to_amount,
    "percent": _to_percent,
    "discount": _to_discount,
    "integer": _to_integer,
    "bool": _to_bool,
    "locale": _to_locale,
    "currency": _to_currency,
    "enum": _to_enum,
    "timezone": _to_timezone,
    "edit_url": _to_edit_url,
    "mapping": _to_mapping,
}
