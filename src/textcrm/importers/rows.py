"""Rows to drafts: which section each CSV file feeds, and each row converted by its mapping
into a draft record (values parsed, stages and owners placed), with refusals and notes.

A draft's references (account, contact, products) and id are settled later by the planner
(`engine`), which also decides what to create, update or leave alone.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any

from textcrm import schema as sc
from textcrm.errors import UsageError
from textcrm.importers.csvfile import CsvFile, Row
from textcrm.importers.mapping import Mapping, Section, placeholders, render
from textcrm.importers.report import Note, Refusal
from textcrm.importers.values import (
    BadValue,
    parse_date,
    parse_integer,
    parse_money,
    parse_percent,
    parse_quantity,
    parse_tags,
    slugify,
)
from textcrm.model import Config
from textcrm.money import CURRENCIES, MoneyError, parse_discount
from textcrm.plural import counted

SCHEMAS = {
    "product": sc.PRODUCT,
    "account": sc.ACCOUNT,
    "contact": sc.CONTACT,
    "opportunity": sc.OPPORTUNITY,
}
_REQUIRED = {
    "product": ("sku", "name", "unit_price"),
    "account": ("name",),
    "contact": ("name",),
    "opportunity": ("title", "account", "owner", "stage"),
}
NAME_FIELD = {"product": "sku", "account": "name", "contact": "name", "opportunity": "title"}


@dataclass
class Draft:
    """A record built from one row, before its references and id are settled."""

    kind: str
    source_id: str
    fields: dict[str, Any]
    body: str
    row: Row
    defaulted: set[str] = field(default_factory=set)
    id: str = ""


class UnmappedValues(UsageError):
    """Stage or owner values the mapping does not place; the message has a snippet to paste."""


def classify(files: list[CsvFile], mapping: Mapping) -> list[tuple[CsvFile, Section]]:
    """Which section each file feeds: by the section's `file` pattern, else its columns."""
    out = []
    for csv in files:
        candidates = [
            s
            for s in (
                mapping.sections[n]
                for n in ("opportunities", "contacts", "accounts", "products")
                if n in mapping.sections
            )
            if s.matches(csv.path, csv.columns)
        ]
        if not candidates and len(files) == 1 and len(mapping.sections) == 1:
            candidates = list(mapping.sections.values())
        if not candidates:
            known = ", ".join(sorted(mapping.sections)) or "none"
            raise UsageError(
                f"{csv.path}: cannot tell which records it holds (sections in the mapping: "
                f"{known}); for --from {mapping.source}, name the file in the mapping file, "
                f"e.g.\n  opportunities:\n    file: {csv.name}"
            )
        section = candidates[0]
        missing = sorted(
            c for c in section.referenced_columns() & section.user_columns if c not in csv.columns
        )
        missing += sorted(
            c for c in _template_columns(section) if c not in csv.columns and c not in missing
        )
        if missing and mapping.source == "generic":
            raise UsageError(
                f"{csv.path}: the mapping reads column(s) the file does not have: "
                + ", ".join(f"`{c}`" for c in missing)
                + f"; the file's columns are: {', '.join(csv.columns)}"
            )
        out.append((csv, section))
    return out


def _template_columns(section: Section) -> set[str]:
    cols: set[str] = set()
    for text in [*section.templates.values(), section.body]:
        cols.update(placeholders(text))
    for item in [*section.line_items, *section.activities]:
        for text in item.values():
            cols.update(placeholders(text))
    return cols


class Builder:
    """Converts rows to drafts, collecting refusals, notes and unmapped values."""

    def __init__(self, mapping: Mapping, config: Config) -> None:
        self.mapping = mapping
        self.config = config
        self.refused: list[Refusal] = []
        self.notes: list[Note] = []
        self.unmapped_stages: dict[str, int] = {}
        self.unmapped_owners: dict[str, int] = {}
        self._stage_cache: dict[str, str | None] = {}
        self._owner_cache: dict[str, str | None] = {}

    # --- value maps -----------------------------------------------------------------------
    def stage(self, value: str) -> str | None:
        """The repository stage a source stage value maps to, or None."""
        if value in self._stage_cache:
            return self._stage_cache[value]
        found = self.mapping.stages.get(value)
        if found is None:
            slug = slugify(value, "")
            for s in self.config.stages:
                if value in (s.key,) or s.key == slug or s.name.lower() == value.lower():
                    found = s.key
                    break
        if found is None:
            target = self.mapping.builtin_stages.get(value)
            if target and self.config.stage(target) is not None:
                found = target
        if found is not None and self.config.stage(found) is None:
            raise UsageError(
                f"mapping file: stages: `{value}` maps to `{found}`, which is not a "
                "stage key in textcrm.yaml; keys: " + ", ".join(s.key for s in self.config.stages)
            )
        self._stage_cache[value] = found
        return found

    def outcome_stage(self, value: str) -> str | None:
        """`won` or `lost` (any case) -> the first stage with that outcome."""
        want = value.strip().lower()
        if want not in ("won", "lost"):
            return None
        mapped = self.mapping.stages.get(value)
        if mapped:
            return mapped
        for s in self.config.stages:
            if s.outcome == want:
                return s.key
        self.unmapped_stages[value] = self.unmapped_stages.get(value, 0) + 1
        return None

    def owner(self, value: str) -> str | None:
        """The owner key for a source owner value, or None when it cannot be placed."""
        if value in self._owner_cache:
            return self._owner_cache[value]
        found = self.mapping.owners.get(value)
        if found is None:
            if self.config.owners is None:
                found = value
            else:
                low = value.lower()
                for o in self.config.owners:
                    if low in (o.key.lower(), o.name.lower(), o.email.lower()):
                        found = o.key
                        break
        self._owner_cache[value] = found
        return found

    # --- rows -----------------------------------------------------------------------------
    def draft(self, section: Section, row: Row) -> Draft | None:
        """The draft record for one row, or None when the row is refused."""
        values = dict(row.values)
        defaulted_columns: set[str] = set()
        for column, table in section.aliases.items():
            written = values.get(column, "")
            if written in table:
                values[column] = table[written]
                self.notes.append(
                    Note(
                        f"{column} `{written}` read as `{table[written]}` (alias)",
                        row.file,
                        row.line,
                    )
                )
        for column, default in section.defaults.items():
            if not values.get(column, ""):
                values[column] = default
                defaulted_columns.add(column)
                self.notes.append(
                    Note(f"empty {column} set to `{default}` (default)", row.file, row.line)
                )
        raw: dict[str, str] = {}
        origin: dict[str, str] = {}
        for column, targets in section.columns.items():
            value = values.get(column, "")
            if not value:
                continue
            for target in targets:
                if target not in raw:
                    raw[target] = value
                    origin[target] = column
        for target, template in section.templates.items():
            if target not in raw:
                text = render(template, values)
                if text:
                    raw[target] = text
                    origin[target] = "template"
        kind = section.kind
        try:
            fields = self._convert(kind, raw, origin)
            fields.update(self._nested(section, values))
        except BadValue as exc:
            self.refused.append(Refusal(row.file, row.line, str(exc)))
            return None
        if kind == "opportunity" and not self._opportunity(fields):
            return None
        if kind != "opportunity" and fields.get("owner"):
            owner = self.owner(fields["owner"])
            if owner is None:
                self.unmapped_owners[fields["owner"]] = (
                    self.unmapped_owners.get(fields["owner"], 0) + 1
                )
                return None
            fields["owner"] = owner
        source_id = fields.pop("source_id", "") or fields.get(NAME_FIELD[kind], "")
        missing = [f for f in _REQUIRED[kind] if not fields.get(f)]
        if missing:
            self.refused.append(
                Refusal(row.file, row.line, _missing_message(missing, section, origin))
            )
            return None
        if not source_id:
            self.refused.append(
                Refusal(
                    row.file, row.line, "no record id (the column mapped to source_id is empty)"
                )
            )
            return None
        body = ""
        if section.body:
            body = _fill(section.body, values)
        defaulted = {f for f, c in origin.items() if c in defaulted_columns}
        return Draft(kind, str(source_id), fields, body, row, defaulted)

    def _convert(self, kind: str, raw: dict[str, str], origin: dict[str, str]) -> dict[str, Any]:
        spec = SCHEMAS[kind]
        out: dict[str, Any] = {}
        for name, text in raw.items():
            where = f"`{origin[name]}`" if origin[name] != "template" else f"{name} (template)"
            try:
                out[name] = self._value(kind, spec, name, text)
            except BadValue as exc:
                raise BadValue(f"{where}: {exc}") from None
        return out

    def _value(self, kind: str, spec: sc.Record, name: str, text: str) -> Any:
        if name in ("source_id", "outcome", "contact"):
            return text
        if name == "owner":
            return text  # placed by `_opportunity` or `place_owner`
        t = spec.by_name[name].type
        if t.kind == "date":
            return parse_date(text, self.mapping.date_formats)
        if t.kind == "money":
            return parse_money(text)
        if t.kind == "percent":
            return parse_percent(text)
        if t.kind == "integer":
            return parse_integer(text)
        if t.kind == "list":
            return parse_tags(text)
        if t.kind == "currency":
            code = text.strip().upper()
            if code not in CURRENCIES:
                raise BadValue(f"`{text}` is not an ISO 4217 currency code")
            return code
        return text

    def _nested(self, section: Section, values: MappingABC[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        items = []
        for template in section.line_items:
            got = {k: render(v, values) for k, v in template.items()}
            got = {k: v for k, v in got.items() if v}
            if not got.get("sku") and not got.get("name"):
                continue
            item: dict[str, Any] = {}
            for key in ("sku", "name", "description"):
                if key in got:
                    item[key] = got[key]
            try:
                item["quantity"] = parse_quantity(got.get("quantity", "1"))
            except BadValue as exc:
                raise BadValue(f"line item quantity: {exc}") from None
            if "unit" in got:
                item["unit"] = got["unit"]
            if "unit_price" in got:
                try:
                    item["unit_price"] = parse_money(got["unit_price"])
                except BadValue as exc:
                    raise BadValue(f"line item unit_price: {exc}") from None
            if "discount" in got:
                try:
                    parse_discount(got["discount"])
                except MoneyError:
                    raise BadValue(
                        f"line item discount: `{got['discount']}` is not `5%` or an amount"
                    ) from None
                item["discount"] = got["discount"]
            items.append(item)
        if items:
            out["line_items"] = items
        activities = []
        for template in section.activities:
            got = {k: render(v, values) for k, v in template.items()}
            if not got.get("date"):
                continue
            try:
                when = parse_date(got["date"], self.mapping.date_formats)
            except BadValue as exc:
                raise BadValue(f"activity date: {exc}") from None
            kind = got.get("type") or "note"
            if kind not in sc.ACTIVITY_TYPES:
                raise BadValue(
                    f"activity type `{kind}` is not one of " + ", ".join(sc.ACTIVITY_TYPES)
                )
            activity: dict[str, Any] = {"date": when, "type": kind}
            for key in ("contact", "summary", "owner"):
                if got.get(key):
                    activity[key] = got[key]
            activities.append(activity)
        if activities:
            out["activities"] = activities
        return out

    def _opportunity(self, fields: dict[str, Any]) -> bool:
        """Place stage and owner; drop probability and currency that only repeat defaults."""
        outcome = fields.pop("outcome", "")
        stage_key = self.outcome_stage(outcome) if outcome else None
        if stage_key is None and fields.get("stage"):
            value = fields["stage"]
            stage_key = self.stage(value)
            if stage_key is None:
                self.unmapped_stages[value] = self.unmapped_stages.get(value, 0) + 1
                return False
        if stage_key is not None:
            fields["stage"] = stage_key
        if fields.get("owner"):
            owner = self.owner(fields["owner"])
            if owner is None:
                self.unmapped_owners[fields["owner"]] = (
                    self.unmapped_owners.get(fields["owner"], 0) + 1
                )
                return False
            fields["owner"] = owner
        stage = self.config.stage(fields.get("stage", ""))
        if stage is not None and fields.get("probability") == stage.probability:
            del fields["probability"]
        currency = fields.get("currency") or self.mapping.currency
        if currency and currency != self.config.currency:
            fields["currency"] = currency
        else:
            fields.pop("currency", None)
        return True


def _fill(template: str, values: MappingABC[str, str]) -> str:
    """A body template filled as is (line breaks kept), with a final newline."""
    text = render(template + "\n", values).replace("\r\n", "\n")
    return text + "\n" if text else ""


def _missing_message(missing: list[str], section: Section, origin: dict[str, str]) -> str:
    parts = []
    for name in missing:
        cols = [c for c, targets in section.columns.items() if name in targets]
        if name in section.templates:
            cols.append(f"template `{section.templates[name]}`")
        source = " or ".join(f"`{c}`" if not c.startswith("template") else c for c in cols)
        parts.append(
            f"no {name}"
            + (f" ({source} is empty)" if source else " (no column of the mapping gives it)")
        )
    return "; ".join(parts)


def unmapped_message(builder: Builder, config: Config) -> str:
    """The stop message for unmapped stage or owner values, with a snippet to paste."""
    out = []
    if builder.unmapped_stages:
        keys = ", ".join(s.key for s in config.stages)
        out.append(
            "these stage values have no stage in textcrm.yaml: "
            + _counts(builder.unmapped_stages)
            + f".\nAdd them to your mapping file (--mapping), with one of: {keys}\n"
        )
        out.append("stages:")
        first = config.stages[0].key if config.stages else "prospecting"
        for value in sorted(builder.unmapped_stages):
            out.append(f"  {_key(value)}: {first}")
    if builder.unmapped_owners:
        keys = ", ".join(o.key for o in config.owners or ())
        out.append(
            ("\n" if out else "")
            + "these owner values are not owners in textcrm.yaml: "
            + _counts(builder.unmapped_owners)
            + f".\nAdd them to your mapping file (--mapping), with one of: {keys}\n"
        )
        out.append("owners:")
        first = (config.owners or ())[0].key if config.owners else "alice"
        for value in sorted(builder.unmapped_owners):
            out.append(f"  {_key(value)}: {first}")
    return "\n".join(out)


def _counts(values: dict[str, int]) -> str:
    return ", ".join(f"`{v}` ({counted(n, 'row')})" for v, n in sorted(values.items()))


def _key(value: str) -> str:
    from textcrm.importers.emit import scalar

    return scalar(value)
