"""YAML nodes to frozen model records, with located diagnostics; driven by `schema`.

Nothing here reads files or prints: callers pass the bytes and receive (record, diagnostics).
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
from textcrm.model import (
    Account,
    Activity,
    Company,
    Competitor,
    CompetitorEntry,
    Config,
    Contact,
    ContactRole,
    DecisionIssue,
    LineItem,
    Opportunity,
    Owner,
    Product,
    Quotas,
    QuotaTargets,
    Quote,
    Stage,
    record_maker,
)
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
from textcrm.source import decode, split
from textcrm.suggest import did_you_mean as suggest
from textcrm.yamlnodes import (
    NULLS,
    STANDARD_TAGS,
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    column_of,
    compose,
    double_quoted,
    has_foreign_tag,
    is_null,
    is_plain,
    line_of,
)

# Node visits allowed per file: far above any real record, far below an alias bomb's expansion.
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


def convert(node: Node, t: sc.Type, name: str, ctx: Context) -> Any:
    """Convert a node to the Python value of type `t`; None for an empty value."""
    if node.tag not in STANDARD_TAGS:
        _check_tag(node)
    # is_null, inline: this runs for every value of every file.
    if isinstance(node, ScalarNode) and not node.style and node.value in NULLS:
        return None
    return _CONVERTERS[t.kind](node, t, name, ctx)


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


def _to_list(node: Node, t: sc.Type, name: str, ctx: Context) -> tuple[Any, ...]:
    assert t.item is not None
    items = _sequence(node, name)
    ctx.visit(len(items))
    values = []
    for item in items:
        try:
            value = convert(item, t.item, name, ctx)
        except Invalid as exc:
            ctx.report(exc.node, exc.code, exc.message)
            continue
        if value is not None:
            values.append(value)
    return tuple(values)


def _to_records(node: Node, t: sc.Type, name: str, ctx: Context) -> tuple[Any, ...]:
    assert t.record is not None
    items = _sequence(node, name)
    ctx.visit(len(items))
    where = f"{name} item"
    built = []
    for item in items:
        rec = build(item, t.record, ctx, where)
        if rec is not None:
            built.append(rec)
    return tuple(built)


def _to_record(node: Node, t: sc.Type, name: str, ctx: Context) -> Any:
    assert t.record is not None
    return build(node, t.record, ctx, name)


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


def read_mapping(
    node: Node,
    spec: sc.Record,
    ctx: Context,
    where: str,
    top: bool = False,
    failed: set[str] | None = None,
) -> tuple[dict[str, Any], dict[str, int]] | None:
    """Convert a mapping's known keys; report unknown, duplicate, missing and invalid ones.

    Returns (values, key lines) or None when the node is not a mapping; a key given with a
    value that failed to convert has a line but no value.
    Values that failed to convert are left out (their diagnostic is already reported); their
    names, and those of missing required fields, are added to `failed` when it is given.
    """
    if failed is None:
        failed = set()
    if not isinstance(node, MappingNode):
        ctx.report(node, "invalid-value", f"{where}: expected a mapping of fields")
        return None
    if node.tag not in STANDARD_TAGS:
        try:
            _check_tag(node)
        except Invalid as exc:
            ctx.report(node, exc.code, exc.message)
            return None
    pairs = node.value
    ctx.visit(2 * len(pairs))
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    seen: dict[str, int] = {}
    fragments = _comma_fragments(node, spec, ctx) if node.flow_style else _NO_FRAGMENTS
    # Read once: this loop runs for every key of every file.
    fields = spec.by_name
    offset = ctx.offset
    diagnostics = ctx.diagnostics
    for key_node, value_node in pairs:
        if fragments and id(key_node) in fragments:
            continue
        if not isinstance(key_node, ScalarNode):
            ctx.report(key_node, "invalid-value", f"{where}: a key must be plain text")
            continue
        # Interned, so the parse cache's pickle stores each key name once, not once per record.
        key = sys.intern(key_node.value)
        key_line = key_node.start_mark.line + offset
        if key in seen:
            ctx.report(
                key_node,
                "yaml-syntax",
                f"duplicate key `{key}` (first given on line {seen[key]}); keep one",
            )
            continue
        seen[key] = key_line
        field = fields.get(key)
        if field is None:
            if not key.startswith(sc.EXTENSION_PREFIXES):
                ctx.report(
                    key_node,
                    "unknown-field",
                    f"unknown field `{key}` in {where}"
                    + suggest(key, spec.names())
                    + " (prefix your own fields with `x-`)",
                )
            continue
        lines[key] = key_line
        reported = len(diagnostics)
        try:
            # convert(value_node, field.type, key, ctx), inline: this runs for every value.
            if value_node.tag not in STANDARD_TAGS:
                _check_tag(value_node)
            if (
                isinstance(value_node, ScalarNode)
                and not value_node.style
                and value_node.value in NULLS
            ):
                value = None
            else:
                value = _CONVERTERS[field.type.kind](value_node, field.type, key, ctx)
        except Invalid as exc:
            report_line = ctx.line(exc.node) if exc.node is not value_node else key_line
            col_node = exc.node if exc.node is not value_node else key_node
            ctx.report(col_node, exc.code, exc.message, line=report_line)
            failed.add(key)
            continue
        if len(diagnostics) > reported:  # a problem inside the value (an item, a field)
            failed.add(key)
        if value is None or value == ():
            if field.required:
                ctx.report(key_node, "missing-field", f"{key} is empty; {where} needs it")
                failed.add(key)
            continue
        values[key] = value
    for field in spec.required_fields:
        if field.name not in seen:
            failed.add(field.name)
            line = 1 if top else ctx.line(node)
            ctx.report(
                None if top else node,
                "missing-field",
                f"{where} is missing required field `{field.name}` "
                f"({field.description[0].lower()}{field.description[1:].rstrip('.')})",
                line=line,
            )
    return values, lines


def _is_bare_key(key: Node, value: Node) -> bool:
    """A plain key written without `:` in a flow mapping (`{a: b, c}`: `c`)."""
    return (
        is_plain(key)
        and is_plain(value)
        and value.value == ""
        and value.start_mark.index == key.end_mark.index
    )


_NO_FRAGMENTS: frozenset[int] = frozenset()


def _comma_fragments(node: MappingNode, spec: sc.Record, ctx: Context) -> frozenset[int]:
    """Report text cut by an unquoted comma in a flow mapping; the ids of the cut-off keys.

    In `{summary: Discussed price, wants 5% off}` the comma ends the summary and `wants 5% off`
    becomes a key without a value: the text the user meant is the value and the bare keys
    after it, joined by commas. Only a text field's value is taken as cut (after a date or a
    number, quoting would not be the fix).
    """
    entries = node.value
    # Only a key without a value can be a cut-off fragment: most flow mappings have none.
    for _key, value in entries:
        if value.value == "":
            break
    else:
        return _NO_FRAGMENTS
    fragments: set[int] = set()
    i = 0
    while i < len(entries):
        key, value = entries[i]
        i += 1
        if not (isinstance(key, ScalarNode) and is_plain(value) and value.value.strip()):
            continue
        field = spec.by_name.get(str(key.value))
        if field is None or field.type.kind not in ("text", "string"):
            continue
        cut = []
        while i < len(entries) and _is_bare_key(*entries[i]):
            cut.append(entries[i][0])
            i += 1
        if not cut:
            continue
        fragments.update(id(k) for k in cut)
        whole = ", ".join([str(value.value), *(str(k.value) for k in cut)])
        ctx.report(
            cut[0],
            "unquoted-comma",
            f"the comma after `{value.value}` ends `{key.value}`, and `{cut[0].value}` reads "
            f"as a key of its own; quote the text: {key.value}: {double_quoted(whole)}",
        )
    return frozenset(fragments)


def build(node: Node, spec: sc.Record, ctx: Context, where: str) -> Any:
    """Build the model object for a nested record (list item or sub-mapping), or None.

    A record with a problem in some of its fields is kept with the fields that are valid and
    the names of the others in `invalid` (a partial record): it is there for the rules that
    ask whether it is given, and the rules that read its valid fields still run on them.
    """
    failed: set[str] = set()
    result = read_mapping(node, spec, ctx, where, failed=failed)
    if result is None:
        return None
    values, _lines = result
    builder = _BUILDERS[spec.title]
    return builder(values, ctx.line(node), node, ctx, tuple(sorted(failed)) if failed else ())


Builder = Callable[[dict[str, Any], int, Node, Context, tuple[str, ...]], Any]


def _missing(values: dict[str, Any], spec: sc.Record) -> bool:
    return any(f.required and f.name not in values for f in spec.fields)


def _line_item(
    values: dict[str, Any], line: int, node: Node, ctx: Context, invalid: tuple[str, ...]
) -> LineItem:
    if not values.get("sku") and "sku" not in invalid:
        for needed in ("name", "unit_price"):
            if needed not in values and needed not in invalid:
                ctx.report(
                    node,
                    "missing-field",
                    f"line item without a sku is a custom line and needs its own `{needed}`",
                )
                invalid = tuple(sorted({*invalid, needed}))
    values["line"] = line
    values["invalid"] = invalid
    return _make_line_item(values)


_make_line_item = record_maker(LineItem)


def _partial(cls: type) -> Builder:
    """A builder that keeps the record even when some fields are invalid or missing."""

    make_record: Callable[[dict[str, Any]], Any] = record_maker(cls)

    def make(
        values: dict[str, Any], line: int, node: Node, ctx: Context, invalid: tuple[str, ...]
    ) -> Any:
        values["line"] = line
        values["invalid"] = invalid
        return make_record(values)

    return make


def _product(
    values: dict[str, Any], line: int, node: Node, ctx: Context, invalid: tuple[str, ...]
) -> Product | None:
    # A catalog entry without its sku, name or price cannot be referred to or priced.
    return None if _missing(values, sc.PRODUCT) else Product(line=line, **values)


def _stage(
    values: dict[str, Any], line: int, node: Node, ctx: Context, invalid: tuple[str, ...]
) -> Stage | None:
    if _missing(values, sc.STAGE):
        return None
    values = dict(values)
    values["requires"] = tuple(values.get("requires", ()))
    return Stage(line=line, **values)


def _pairs(node: Node, name: str, ctx: Context) -> list[tuple[str, Node, Node]]:
    """The (key, key node, value node) of a mapping, duplicates and non-text keys reported."""
    if not isinstance(node, MappingNode):
        raise Invalid(node, f"{name}: expected a mapping")
    pairs: list[tuple[str, Node, Node]] = []
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        ctx.visit()
        if not isinstance(key_node, ScalarNode):
            ctx.report(key_node, "invalid-value", f"{name}: a key must be plain text")
            continue
        key = str(key_node.value).strip()
        if key in seen:
            ctx.report(
                key_node,
                "yaml-syntax",
                f"duplicate key `{key}` (first given on line {seen[key]}); keep one",
            )
            continue
        seen[key] = ctx.line(key_node)
        pairs.append((key, key_node, value_node))
    return pairs


def _amounts(node: Node, name: str, ctx: Context) -> dict[str, Decimal]:
    """A mapping of owner key to amount (quotas per owner)."""
    amounts = {}
    for key, _key_node, value_node in _pairs(node, name, ctx):
        try:
            value = convert(value_node, sc.MONEY, f"quotas {name}: {key}", ctx)
        except Invalid as exc:
            ctx.report(exc.node, exc.code, exc.message)
            continue
        if value is None:
            ctx.report(value_node, "invalid-value", f"quotas {name}: {key} has no amount")
            continue
        amounts[sys.intern(key)] = value
    return amounts


_QUOTA_PERIOD_KEY = {
    "quarter": re.compile(r"\d{4}-Q[1-4]\Z"),
    "month": re.compile(r"\d{4}-(0[1-9]|1[0-2])\Z"),
}


def _quota_periods(node: Node, t: sc.Type, name: str, ctx: Context) -> dict[str, QuotaTargets]:
    """Per period key (`2026-Q4` or `2026-12`), that period's quota overrides."""
    assert t.record is not None
    found = {}
    for key, key_node, value_node in _pairs(node, name, ctx):
        if not any(p.match(key) for p in _QUOTA_PERIOD_KEY.values()):
            ctx.report(
                key_node,
                "invalid-value",
                f"quotas {name}: `{key}` is not a period; write a quarter as 2026-Q4 or a month "
                "as 2026-12",
            )
            continue
        targets = build(value_node, t.record, ctx, f"quotas {name} {key}")
        if targets is not None:
            found[key] = targets
    return found


def _quota_targets(
    values: dict[str, Any], line: int, node: Node, ctx: Context, invalid: tuple[str, ...]
) -> QuotaTargets | None:
    return QuotaTargets(values.get("team"), values.get("owners", {}))


def _quotas(
    values: dict[str, Any], line: int, node: Node, ctx: Context, invalid: tuple[str, ...]
) -> Quotas | None:
    if "period" not in values:
        return None
    period = values["period"]
    assert isinstance(node, MappingNode)
    for key_node, value_node in node.value:
        if str(key_node.value) != "periods" or not isinstance(value_node, MappingNode):
            continue
        for period_node, _ in value_node.value:
            key = str(period_node.value).strip()
            other = "month" if period == "quarter" else "quarter"
            if _QUOTA_PERIOD_KEY[other].match(key):
                example = "2026-Q4" if period == "quarter" else "2026-12"
                ctx.report(
                    period_node,
                    "invalid-value",
                    f"quotas periods: `{key}` is a {other} but quotas are per {period}; "
                    f"write it as {example}",
                )
    periods = {
        k: v for k, v in values.get("periods", {}).items() if _QUOTA_PERIOD_KEY[period].match(k)
    }
    return Quotas(period, values.get("team"), values.get("owners", {}), periods)


def _quota_owner_keys(config_node: MappingNode) -> list[Node]:
    """The owner key nodes under `quotas.owners` and each `quotas.periods.*.owners`."""

    def child(node: Node, name: str) -> Node | None:
        if isinstance(node, MappingNode):
            for k, v in node.value:
                if isinstance(k, ScalarNode) and str(k.value) == name:
                    return v
        return None

    quotas = child(config_node, "quotas")
    if quotas is None:
        return []
    owner_maps = [child(quotas, "owners")]
    periods = child(quotas, "periods")
    if isinstance(periods, MappingNode):
        owner_maps += [child(v, "owners") for _, v in periods.value]
    return [
        k
        for m in owner_maps
        if isinstance(m, MappingNode)
        for k, _ in m.value
        if isinstance(k, ScalarNode)
    ]


def _company(
    values: dict[str, Any], line: int, node: Node, ctx: Context, invalid: tuple[str, ...]
) -> Company | None:
    return None if _missing(values, sc.COMPANY) else Company(**values)


_BUILDERS: dict[str, Builder] = {
    sc.CONTACT_ROLE.title: _partial(ContactRole),
    sc.COMPETITOR_ENTRY.title: _partial(CompetitorEntry),
    sc.DECISION_ISSUE.title: _partial(DecisionIssue),
    sc.ACTIVITY.title: _partial(Activity),
    sc.QUOTE.title: _partial(Quote),
    sc.PRODUCT.title: _product,
    sc.LINE_ITEM.title: _line_item,
    sc.STAGE.title: _stage,
    sc.COMPANY.title: _company,
    sc.QUOTA_OVERRIDE.title: _quota_targets,
    sc.QUOTAS.title: _quotas,
}


def _owners(node: Node, ctx: Context) -> tuple[Owner, ...]:
    owners = []
    for item in _sequence(node, "owners"):
        ctx.visit()
        if isinstance(item, ScalarNode) and not is_null(item):
            owners.append(Owner(key=str(item.value).strip()))
            continue
        result = read_mapping(item, sc.OWNER, ctx, "owner")
        if result and "key" in result[0]:
            owners.append(Owner(**result[0]))
    return tuple(owners)


def _rules(node: Node, ctx: Context) -> dict[str, str]:
    if not isinstance(node, MappingNode):
        raise Invalid(node, "rules: expected a mapping of rule code to error, warning or off")
    rules = {}
    for key_node, value_node in node.value:
        ctx.visit()
        code = str(key_node.value)
        severity = str(value_node.value) if isinstance(value_node, ScalarNode) else ""
        rule = RULES.get(code)
        if rule is None:
            ctx.report(
                key_node,
                "invalid-value",
                f"rules: `{code}` is not a rule code" + suggest(code, list(RULES)),
            )
        elif not rule.configurable:
            ctx.report(
                key_node,
                "invalid-value",
                f"rules: `{code}` cannot be changed: textcrm cannot read such a file",
            )
        elif severity not in sc.RULE_SEVERITIES:
            ctx.report(
                value_node, "invalid-value", f"rules: `{severity}` is not error, warning or off"
            )
        else:
            rules[code] = severity
    return rules


def _rates(node: Node, ctx: Context) -> dict[str, Decimal]:
    if not isinstance(node, MappingNode):
        raise Invalid(node, "rates: expected a mapping of currency code to rate")
    rates = {}
    for key_node, value_node in node.value:
        ctx.visit()
        code = str(key_node.value)
        if code not in CURRENCIES:
            ctx.report(key_node, "invalid-value", f"rates: `{code}` is not a currency code")
            continue
        try:
            rate = parse_decimal(_scalar(value_node, "a rate"))
        except (MoneyError, Invalid):
            ctx.report(value_node, "invalid-value", f"rates: the rate for {code} is not a number")
            continue
        if rate <= 0:
            ctx.report(value_node, "invalid-value", f"rates: the rate for {code} must be > 0")
            continue
        problem = digits_problem(rate)
        if problem is not None:
            ctx.report(value_node, "invalid-value", f"rates: the rate for {code} {problem}")
            continue
        rates[code] = rate
    return rates


_CONVERTERS: dict[str, Converter] = {
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
    "list": _to_list,
    "records": _to_records,
    "record": _to_record,
    "owners": lambda node, t, name, ctx: _owners(node, ctx),
    "rules": lambda node, t, name, ctx: _rules(node, ctx),
    "rates": lambda node, t, name, ctx: _rates(node, ctx),
    "amounts": lambda node, t, name, ctx: _amounts(node, name, ctx),
    "quota_periods": _quota_periods,
    "timezone": _to_timezone,
    "edit_url": _to_edit_url,
    "mapping": _to_mapping,
}


def _front(path: str, data: bytes) -> tuple[Context, Node | None, str, int] | list[Diagnostic]:
    """Decode, split and compose a record file; a list of diagnostics when that fails."""
    text, problem = decode(path, data)
    if problem is not None or text is None:
        return [problem] if problem else []
    source, problem = split(path, text)
    if problem is not None or source is None:
        return [problem] if problem else []
    return _compose(path, source.front, source.front_line, source.body, source.body_line)


def _compose(
    path: str, front: str, first_line: int, body: str = "", body_line: int = 1
) -> tuple[Context, Node | None, str, int] | list[Diagnostic]:
    node, yaml_problem = compose(front)
    if yaml_problem is not None:
        line = yaml_problem.line + first_line
        message = yaml_problem.message
        if yaml_problem.context:
            start = yaml_problem.context_line + first_line
            message += f" ({yaml_problem.context} that started on line {start})"
        return [
            Diagnostic(
                path,
                line,
                yaml_problem.column + 1,
                "yaml-syntax",
                "error",
                f"invalid YAML: {message}",
            )
        ]
    ctx = Context(path, first_line)
    return ctx, node, body, body_line


def _top_mapping(ctx: Context, node: Node | None, what: str) -> bool:
    if isinstance(node, MappingNode):
        return True
    found = (
        "empty"
        if node is None or is_null(node)
        else ("a list" if isinstance(node, SequenceNode) else "a single value")
    )
    ctx.diagnostics.append(
        Diagnostic(
            ctx.path,
            1,
            1,
            "front-matter-missing",
            "error",
            f"the front matter is {found}; {what} needs a mapping of fields (`key: value` lines)",
        )
    )
    return False


_RECORD_KINDS: dict[str, tuple[sc.Record, Callable[[dict[str, Any]], Any]]] = {
    "opportunity": (sc.OPPORTUNITY, record_maker(Opportunity)),
    "account": (sc.ACCOUNT, record_maker(Account)),
    "contact": (sc.CONTACT, record_maker(Contact)),
    "competitor": (sc.COMPETITOR, record_maker(Competitor)),
}


def parse_record(kind: str, path: str, record_id: str, data: bytes) -> tuple[Any, list[Diagnostic]]:
    """Parse an opportunity, account, contact or competitor file into its model record."""
    spec, make_record = _RECORD_KINDS[kind]
    front = _front(path, data)
    if isinstance(front, list):
        return None, front
    ctx, node, body, body_line = front
    if not _top_mapping(ctx, node, f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"):
        return None, ctx.diagnostics
    assert node is not None
    failed: set[str] = set()
    try:
        result = read_mapping(node, spec, ctx, kind, top=True, failed=failed)
    except BudgetExceeded:
        return None, [_bomb(path)]
    if result is None:
        return None, ctx.diagnostics
    values, lines = result
    if kind != "opportunity" and _missing(values, spec):
        return None, ctx.diagnostics
    if kind == "opportunity":
        values["invalid"] = tuple(sorted(failed))
    values["id"] = record_id
    values["path"] = path
    values["body"] = body
    values["body_line"] = body_line
    values["lines"] = lines
    return make_record(values), ctx.diagnostics


def _bomb(path: str) -> Diagnostic:
    return Diagnostic(
        path,
        1,
        1,
        "yaml-syntax",
        "error",
        f"the front matter expands to more than {NODE_BUDGET:,} values (aliases used as a "
        '"billion laughs" bomb?); write the values out',
    )


def parse_catalog(path: str, data: bytes) -> tuple[tuple[Product, ...], list[Diagnostic]]:
    """Parse products.yaml (a plain YAML file: `products:` and a list of products)."""
    text, problem = decode(path, data)
    if problem is not None or text is None:
        return (), [problem] if problem else []
    composed = _compose(path, text, 1)
    if isinstance(composed, list):
        return (), composed
    ctx, node, _, _ = composed
    if node is None or is_null(node):
        return (), []
    try:
        result = read_mapping(node, sc.CATALOG, ctx, "products.yaml", top=True)
    except BudgetExceeded:
        return (), [_bomb(path)]
    if result is None:
        return (), ctx.diagnostics
    return tuple(result[0].get("products", ())), ctx.diagnostics


def parse_config(path: str, data: bytes) -> tuple[Config | None, list[Diagnostic]]:
    """Parse textcrm.yaml; any error diagnostic means the configuration cannot be used."""
    text, problem = decode(path, data)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    composed = _compose(path, text, 1)
    if isinstance(composed, list):
        return None, composed
    ctx, node, _, _ = composed
    if not isinstance(node, MappingNode):
        ctx.diagnostics.append(
            Diagnostic(
                path,
                1,
                1,
                "invalid-value",
                "error",
                "textcrm.yaml must be a mapping with at least `stages:`",
            )
        )
        return None, ctx.diagnostics
    try:
        result = read_mapping(node, sc.CONFIG, ctx, "textcrm.yaml", top=True)
    except BudgetExceeded:
        return None, [_bomb(path)]
    if result is None:
        return None, ctx.diagnostics
    values, lines = result
    stages: tuple[Stage, ...] = values.pop("stages", ())
    seen: dict[str, int] = {}
    for stage in stages:
        if stage.key in seen:
            ctx.diagnostics.append(
                Diagnostic(
                    path,
                    stage.line,
                    1,
                    "invalid-value",
                    "error",
                    f"stage `{stage.key}` is listed twice (first on line {seen[stage.key]})",
                )
            )
        seen.setdefault(stage.key, stage.line)
    if "stages" in lines and not stages:
        ctx.diagnostics.append(
            Diagnostic(
                path,
                lines["stages"],
                1,
                "missing-field",
                "error",
                "stages is empty; list the sales process's stages in order",
            )
        )
    owner_keys = [o.key for o in values.get("owners") or ()]
    if owner_keys and "quotas" in values:
        for key_node in _quota_owner_keys(node):
            key = str(key_node.value).strip()
            if key not in owner_keys:
                ctx.report(
                    key_node,
                    "invalid-value",
                    f"quotas: `{key}` is not one of `owners`" + suggest(key, owner_keys),
                )
    if any(d.severity == "error" for d in ctx.diagnostics) or not stages:
        return None, ctx.diagnostics
    return Config(stages=stages, **values), ctx.diagnostics
