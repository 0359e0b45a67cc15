"""YAML mappings to frozen model records, with located diagnostics; driven by `schema`."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from textcrm import schema as sc
from textcrm.model import (
    Activity,
    Company,
    CompetitorEntry,
    ContactRole,
    DecisionIssue,
    LineItem,
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
    MoneyError,
    digits_problem,
    parse_decimal,
)
from textcrm.parse.values import (
    SCALAR_CONVERTERS,
    Context,
    Converter,
    Invalid,
    _check_tag,
    _scalar,
    _sequence,
)
from textcrm.rules import RULES
from textcrm.suggest import did_you_mean as suggest
from textcrm.yamlnodes import (
    NULLS,
    STANDARD_TAGS,
    MappingNode,
    Node,
    ScalarNode,
    double_quoted,
    is_null,
    is_plain,
)


def convert(node: Node, t: sc.Type, name: str, ctx: Context) -> Any:
    """Convert a node to the Python value of type `t`; None for an empty value."""
    if node.tag not in STANDARD_TAGS:
        _check_tag(node)
    # is_null, inline: this runs for every value of every file.
    if isinstance(node, ScalarNode) and not node.style and node.value in NULLS:
        return None
    return _CONVERTERS[t.kind](node, t, name, ctx)


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
        if repeated(key, key_node, key_line, seen, ctx):
            continue
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


def repeated(key: str, key_node: Node, line: int, seen: dict[str, int], ctx: Context) -> bool:
    """Report a key given twice in one mapping (the later one is ignored); else note its line."""
    if key in seen:
        ctx.report(
            key_node,
            "yaml-syntax",
            f"duplicate key `{key}` (first given on line {seen[key]}); keep one",
        )
        return True
    seen[key] = line
    return False


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
        if repeated(key, key_node, ctx.line(key_node), seen, ctx):
            continue
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
    **SCALAR_CONVERTERS,
    "list": _to_list,
    "records": _to_records,
    "record": _to_record,
    "owners": lambda node, t, name, ctx: _owners(node, ctx),
    "rules": lambda node, t, name, ctx: _rules(node, ctx),
    "rates": lambda node, t, name, ctx: _rates(node, ctx),
    "amounts": lambda node, t, name, ctx: _amounts(node, name, ctx),
    "quota_periods": _quota_periods,
}
