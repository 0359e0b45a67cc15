"""The format's field definitions, and what is generated from them: the JSON Schema and the docs.

The package's modules: `fields` defines every record's fields (one source of truth for the
parser), `json_schema` generates the JSON Schema of each kind of file, `reference` the field
reference of docs/format.md.
"""

from __future__ import annotations

import importlib
from typing import Any

from textcrm.schema.fields import (
    ACCOUNT,
    ACTIVITY,
    ACTIVITY_TYPES,
    BOOL,
    CATALOG,
    COMPANY,
    COMPETITOR,
    COMPETITOR_ENTRY,
    CONFIG,
    CONTACT,
    CONTACT_ROLE,
    CURRENCY,
    DATE,
    DECISION_ISSUE,
    DECISION_STATUSES,
    DISCOUNT,
    EARLIEST_DATE,
    EXTENSION_PREFIXES,
    FORECAST_CATEGORIES,
    GATE_FIELDS,
    KINDS,
    LATEST_DATE,
    LINE_ITEM,
    MAX_DAYS,
    MAX_EMPLOYEES,
    MONEY,
    NEW_RECORD_VALUES,
    OPPORTUNITY,
    OUTCOMES,
    OWNER,
    PAPER_SIZES,
    PERCENT,
    PRODUCT,
    QUANTITY,
    QUOTA_OVERRIDE,
    QUOTA_PERIODS,
    QUOTAS,
    QUOTE,
    RULE_SEVERITIES,
    SOURCE_ID,
    STAGE,
    TAGS,
    TEXT,
    Field,
    Record,
    S,
    Type,
    enum,
    record,
    records,
    ref,
)

__all__ = [
    "ACCOUNT",
    "ACTIVITY",
    "ACTIVITY_TYPES",
    "BOOL",
    "CATALOG",
    "COMPANY",
    "COMPETITOR",
    "COMPETITOR_ENTRY",
    "CONFIG",
    "CONTACT",
    "CONTACT_ROLE",
    "CURRENCY",
    "DATE",
    "DECISION_ISSUE",
    "DECISION_STATUSES",
    "DISCOUNT",
    "EARLIEST_DATE",
    "EXTENSION_PREFIXES",
    "FORECAST_CATEGORIES",
    "GATE_FIELDS",
    "KINDS",
    "LATEST_DATE",
    "LINE_ITEM",
    "MAX_DAYS",
    "MAX_EMPLOYEES",
    "MONEY",
    "NEW_RECORD_VALUES",
    "OPPORTUNITY",
    "OUTCOMES",
    "OWNER",
    "PAPER_SIZES",
    "PERCENT",
    "PRODUCT",
    "QUANTITY",
    "QUOTAS",
    "QUOTA_OVERRIDE",
    "QUOTA_PERIODS",
    "QUOTE",
    "RULE_SEVERITIES",
    "SOURCE_ID",
    "STAGE",
    "TAGS",
    "TEXT",
    "Field",
    "Record",
    "S",
    "Type",
    "enum",
    "record",
    "records",
    "ref",
]

# What is generated from the definitions is loaded when asked for: `check` and the hook read
# the definitions only.
_GENERATED = {
    "record_schema": "json_schema",
    "to_json_schema": "json_schema",
    "markdown_reference": "reference",
}


def __getattr__(name: str) -> Any:
    module = _GENERATED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"textcrm.schema.{module}"), name)
