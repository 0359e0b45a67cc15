"""The rule codes (public API): default severity and meaning; docs/rules.md documents each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule code, its default severity and what it means."""

    code: str
    severity: str
    summary: str
    configurable: bool = True


_RULES = (
    Rule(
        "unreadable-file",
        "error",
        "the file cannot be read as text: not UTF-8, binary, too large, or a symlink leading "
        "outside the repository",
        False,
    ),
    Rule(
        "outside-repository",
        "error",
        "a path the repository names (a record folder, company.logo, a template override) is "
        "absolute, climbs out with `..`, or is a symlink leading outside the repository; it is "
        "not read",
        False,
    ),
    Rule(
        "yaml-syntax",
        "error",
        "the front matter is not valid YAML (also: duplicate keys, unknown tags, alias bombs)",
        False,
    ),
    Rule(
        "unquoted-comma",
        "error",
        "an unquoted comma inside `{...}` cut a text value, and the rest became a key of its own",
    ),
    Rule(
        "front-matter-missing",
        "error",
        "a record file has no front matter block, or it is not a mapping",
        False,
    ),
    Rule(
        "missing-field",
        "error",
        "a required field is absent or empty; an open opportunity has neither amount nor "
        "line_items; a custom line item lacks its name or unit_price",
    ),
    Rule("invalid-value", "error", "a value has the wrong type or is out of range"),
    Rule("unknown-stage", "error", "the stage is not a key in textcrm.yaml"),
    Rule("unknown-account", "error", "a reference to an account that does not exist"),
    Rule("unknown-contact", "error", "a reference to a contact that does not exist"),
    Rule("unknown-competitor", "error", "a reference to a competitor that does not exist"),
    Rule("unknown-product", "error", "a line item's sku is not in products.yaml"),
    Rule("unknown-owner", "error", "an owner that is not in textcrm.yaml's owners"),
    Rule("duplicate-sku", "error", "the catalog lists a sku twice"),
    Rule("duplicate-quote-number", "error", "two opportunities share a quote number"),
    Rule("close-date-past", "error", "an open opportunity's close_date is before today"),
    Rule(
        "created-after-close",
        "error",
        "an opportunity's created date is after its close_date",
    ),
    Rule(
        "stale",
        "error",
        "an open opportunity has had no activity for its stage's stale_after_days and has no "
        "firm follow-up date",
    ),
    Rule("stage-gate", "error", "a field that the stage requires is missing or empty"),
    Rule("quote-without-line-items", "error", "an opportunity has a quote but no line items"),
    Rule(
        "currency-mismatch",
        "error",
        "a line item's catalog price is in another currency than the opportunity, and the "
        "line gives no price of its own",
    ),
    Rule(
        "follow-up-overdue",
        "warning",
        "an open opportunity's follow_up is before today (and it is not already stale)",
    ),
    Rule("activity-in-future", "warning", "an activity is dated after today"),
    Rule("amount-mismatch", "warning", "amount and the line items' total differ"),
    Rule(
        "unpriced-line",
        "warning",
        "a quoted or closed opportunity has a line that still takes its price from the "
        "catalog (the hook refuses a catalog change that would re-price it)",
    ),
    Rule("quote-expired", "warning", "an open opportunity's quote.valid_until is before today"),
    Rule(
        "contact-account-mismatch",
        "warning",
        "a contact on the opportunity belongs to another account",
    ),
    Rule("unknown-field", "warning", "a key the format does not know"),
    Rule(
        "notes-too-complex",
        "warning",
        "Markdown notes too costly to render (a huge paragraph full of brackets, `<` or line "
        "breaks, or lists nested too deep): the site shows them as plain text",
    ),
)

RULES: dict[str, Rule] = {r.code: r for r in _RULES}


def default_severity(code: str) -> str:
    return RULES[code].severity
