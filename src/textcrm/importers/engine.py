"""Rows to records: convert each CSV row by its mapping, resolve references and ids, and
decide what to create, update or leave alone.

Nothing here writes: `plan` returns the bytes of every file to write, the new import state
and the report. `apply` (staging, validation, moving in) does the writing.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textcrm import layout
from textcrm import schema as sc
from textcrm.errors import UsageError
from textcrm.importers.csvfile import CsvFile, Row
from textcrm.importers.emit import current_fields, document, field_text, merge, to_raw
from textcrm.importers.mapping import Mapping, Section, placeholders, render
from textcrm.importers.report import Action, Note, Refusal, Report
from textcrm.importers.values import (
    BadValue,
    parse_date,
    parse_integer,
    parse_money,
    parse_percent,
    parse_quantity,
    parse_tags,
    slugify,
    unique_slug,
)
from textcrm.model import Config
from textcrm.money import CURRENCIES, MoneyError, parse_discount, plain
from textcrm.plural import counted
from textcrm.source import decode, split

ORDER = ("products", "accounts", "contacts", "opportunities")
_SCHEMAS = {
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
_NAME_FIELD = {"product": "sku", "account": "name", "contact": "name", "opportunity": "title"}


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


@dataclass
class Existing:
    """What the repository already holds, indexed the ways the importer looks records up."""

    by_source: dict[str, dict[str, tuple[str, str]]]  # kind -> source_id -> (id, path)
    by_name: dict[str, dict[str, str]]  # kind -> lower-case name -> id
    taken: dict[str, set[str]]  # kind -> ids in use
    products: dict[str, dict[str, Any]]  # sku -> fields as text leaves
    product_order: list[str]
    catalog_head: str  # the catalog's leading comment lines, kept when it is rewritten


@dataclass
class Plan:
    """The files to write (relative path -> bytes), the new import state and the report."""

    writes: dict[str, bytes]
    state: dict[str, Any]
    report: Report


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
        source_id = fields.pop("source_id", "") or fields.get(_NAME_FIELD[kind], "")
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
        spec = _SCHEMAS[kind]
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


def index_existing(repo: Any, root: Path) -> Existing:
    """Index the loaded repository by source id and name, and read the catalog's head."""
    by_source: dict[str, dict[str, tuple[str, str]]] = {k: {} for k in _SCHEMAS}
    by_name: dict[str, dict[str, str]] = {k: {} for k in _SCHEMAS}
    for kind, records in (
        ("account", repo.accounts),
        ("contact", repo.contacts),
        ("opportunity", repo.opportunities),
    ):
        for rec in records.values():
            if rec.source_id:
                by_source[kind].setdefault(rec.source_id, (rec.id, rec.path))
            name = getattr(rec, "name", "") or getattr(rec, "title", "")
            if name:
                by_name[kind].setdefault(name.lower(), rec.id)
    taken = {k: set(repo.ids.get(k, ())) for k in _SCHEMAS}
    products = {}
    for p in repo.product_list:
        products[p.sku] = {
            k: v
            for k, v in (
                ("sku", p.sku),
                ("name", p.name),
                ("unit_price", plain(p.unit_price)),
                ("unit", p.unit),
                ("description", p.description),
                ("currency", p.currency or ""),
            )
            if v
        }
    head = ""
    try:
        catalog = layout.resolve_inside(root, layout.CATALOG_FILE)
    except layout.OutsideRepository:
        catalog = None  # the loader refused it too (and reported why)
    if catalog is not None and catalog.is_file():
        for line in catalog.read_text(encoding="utf-8", errors="replace").splitlines(True):
            if not line.startswith("#"):
                break
            head += line
    return Existing(by_source, by_name, taken, products, [p.sku for p in repo.product_list], head)


class Planner:
    """Resolves references and ids for the drafts and turns them into file contents."""

    def __init__(
        self,
        root: Path,
        config: Config,
        existing: Existing,
        state: dict[str, Any],
        builder: Builder,
        overwrite: bool,
        report: Report,
    ) -> None:
        self.root = root
        self.config = config
        self.existing = existing
        self.old_state = state.get("records", {})
        self.builder = builder
        self.overwrite = overwrite
        self.report = report
        self.new_state: dict[str, dict[str, Any]] = {k: dict(v) for k, v in self.old_state.items()}
        self.writes: dict[str, bytes] = {}
        self.imported: dict[str, dict[str, Draft]] = {k: {} for k in _SCHEMAS}
        self.names: dict[str, dict[str, str]] = {k: {} for k in _SCHEMAS}

    # --- references -----------------------------------------------------------------------
    def lookup(self, kind: str, key: str) -> str | None:
        """The id of the record `key` names: by source id, then by name (any case)."""
        draft = self.imported[kind].get(key)
        if draft is not None:
            return draft.id
        hit = self.existing.by_source[kind].get(key)
        if hit is not None:
            return hit[0]
        low = key.lower()
        return self.names[kind].get(low) or self.existing.by_name[kind].get(low)

    def assign_id(self, draft: Draft) -> None:
        """Keep the id of the file already imported from this source record, else a new slug."""
        hit = self.existing.by_source[draft.kind].get(draft.source_id)
        if hit is not None:
            draft.id = hit[0]
            return
        previous = self.old_state.get(draft.kind, {}).get(draft.source_id)
        taken = self.existing.taken[draft.kind]
        if previous and previous.get("id") and previous["id"] not in taken:
            draft.id = previous["id"]
            taken.add(draft.id)
            return
        if draft.kind == "opportunity":
            key = str(draft.fields.get("account", ""))
            prefix = (self.lookup("account", key) or slugify(key, "")) if key else ""
            base = slugify(draft.fields["title"], "deal")
            if prefix and not base.startswith(prefix):
                base = slugify(f"{prefix} {base}")
        else:
            base = slugify(str(draft.fields.get(_NAME_FIELD[draft.kind], "")), draft.kind)
        draft.id = unique_slug(base, taken)

    def add(self, draft: Draft) -> bool:
        """Register a draft under its source id; a second row with the same id is refused."""
        if draft.source_id in self.imported[draft.kind]:
            first = self.imported[draft.kind][draft.source_id].row
            self.report.refused.append(
                Refusal(
                    draft.row.file,
                    draft.row.line,
                    f"duplicate record id `{draft.source_id}` (first on {first.file}:{first.line})",
                )
            )
            return False
        if draft.kind != "product":
            self.assign_id(draft)
        self.imported[draft.kind][draft.source_id] = draft
        name = draft.fields.get(_NAME_FIELD[draft.kind])
        if name and draft.kind != "product":
            self.names[draft.kind].setdefault(str(name).lower(), draft.id)
        return True

    def account_for(self, draft: Draft, has_accounts_file: bool) -> str | None:
        """Resolve an account reference, creating the account when the mapping's default or a
        deals-only export names one that does not exist yet."""
        key = str(draft.fields["account"])
        found = self.lookup("account", key)
        if found is not None:
            return found
        if "account" in draft.defaulted or not has_accounts_file:
            made = Draft("account", key, {"name": key}, "", draft.row)
            self.add(made)
            why = "the mapping's default" if "account" in draft.defaulted else "rows that name it"
            self.report.notes.append(Note(f"account `{key}` created for {why}", draft.row.file, 0))
            return made.id
        return None

    def resolve(self, draft: Draft, has_accounts_file: bool) -> bool:
        """Replace reference keys with ids; False (and a refusal) when a required one fails."""
        f = draft.fields
        row = draft.row
        if draft.kind == "account" and f.get("parent"):
            parent = self.lookup("account", str(f["parent"]))
            if parent is None or parent == draft.id:
                self.report.notes.append(
                    Note(f"parent account `{f['parent']}` not found; left out", row.file, row.line)
                )
                del f["parent"]
            else:
                f["parent"] = parent
        if draft.kind == "contact" and f.get("account"):
            account = self.lookup("account", str(f["account"]))
            if account is None and not has_accounts_file:
                account = self.account_for(draft, has_accounts_file)
            if account is None:
                self.report.notes.append(
                    Note(f"account `{f['account']}` not found; left out", row.file, row.line)
                )
                del f["account"]
            else:
                f["account"] = account
        if draft.kind != "opportunity":
            return True
        account = self.account_for(draft, has_accounts_file)
        if account is None:
            self.report.refused.append(
                Refusal(
                    row.file,
                    row.line,
                    (
                        f"account `{f['account']}` is neither in the accounts file nor in the "
                        "repository"
                    ),
                )
            )
            return False
        f["account"] = account
        contact = f.pop("contact", "")
        if contact:
            found = self.lookup("contact", contact)
            if found is None:
                self.report.notes.append(
                    Note(f"contact `{contact}` not found; left out", row.file, row.line)
                )
            else:
                f["contacts"] = [{"contact": found, "primary": True}]
        for item in f.get("line_items", []):
            sku = item.get("sku")
            if sku and sku not in self.imported["product"] and sku not in self.existing.products:
                self.report.refused.append(
                    Refusal(
                        row.file,
                        row.line,
                        (
                            f"product `{sku}` is not in the catalog; import the products file "
                            "too, or add an alias in the mapping "
                            f"(aliases: {{COLUMN: {{{_key(sku)}: SKU}}}})"
                        ),
                    )
                )
                return False
        self._pin_prices(f)
        for activity in f.get("activities", []):
            who = activity.get("contact")
            if who:
                found = self.lookup("contact", who)
                if found is None:
                    del activity["contact"]
                else:
                    activity["contact"] = found
        return True

    def _pin_prices(self, f: dict[str, Any]) -> None:
        """A quoted or closed deal gets its catalog prices written into its lines, as when a
        line is added or a deal closed by a command: they never move with the catalog."""
        from decimal import Decimal

        stage = self.config.stage(str(f.get("stage", "")))
        if "quote" not in f and (stage is None or stage.outcome is None):
            return
        currency = f.get("currency") or self.config.currency
        for item in f.get("line_items", []):
            sku = item.get("sku")
            if not sku or "unit_price" in item:
                continue
            draft = self.imported["product"].get(sku)
            product = (
                {k: to_raw(v) for k, v in draft.fields.items()}
                if draft is not None
                else self.existing.products.get(sku, {})
            )
            price = product.get("unit_price")
            if price and (product.get("currency") or self.config.currency) == currency:
                item["unit_price"] = Decimal(str(price))

    # --- files ----------------------------------------------------------------------------
    def record_file(self, draft: Draft) -> None:
        """Plan the file of one record: create it, update the fields the importer owns, or
        leave it as it is."""
        order = _SCHEMAS[draft.kind].names()
        fields = [
            (n, _emit_value(draft.fields[n]))
            for n in order
            if n in draft.fields and draft.fields[n] not in ("", None, [])
        ]
        fields.append(("source_id", draft.source_id))
        new_raw = {n: to_raw(v) for n, v in fields}
        hit = self.existing.by_source[draft.kind].get(draft.source_id)
        kind_state = self.new_state.setdefault(draft.kind, {})
        path = hit[1] if hit else layout.record_path(draft.kind, draft.id)
        if hit is None:
            self.writes[path] = document(fields, draft.body).encode("utf-8")
            self.report.actions.append(Action("create", draft.kind, path, draft.source_id))
            kind_state[draft.source_id] = {"id": draft.id, "fields": new_raw}
            return
        last = (self.old_state.get(draft.kind, {}).get(draft.source_id) or {}).get("fields")
        if last == new_raw and not self.overwrite:
            # The source has not changed since the last import: every field either still
            # holds what was imported or was edited by the user, and stays; no need to read.
            updated = None
        else:
            updated = self._update(path, draft, dict(fields), new_raw, order)
        kind_state[draft.source_id] = {"id": draft.id, "fields": new_raw}
        if updated is None:
            self.report.actions.append(Action("unchanged", draft.kind, path, draft.source_id))
            return
        self.writes[path] = updated
        self.report.actions.append(Action("update", draft.kind, path, draft.source_id))

    def _update(
        self,
        path: str,
        draft: Draft,
        values: dict[str, Any],
        new_raw: dict[str, Any],
        order: list[str],
    ) -> bytes | None:
        try:
            data = layout.resolve_inside(self.root, path).read_bytes()
        except layout.OutsideRepository as exc:
            self.report.refused.append(Refusal(draft.row.file, draft.row.line, str(exc)))
            return None
        text, problem = decode(path, data)
        src = split(path, text)[0] if text is not None and problem is None else None
        parsed = current_fields(src.front) if src is not None else None
        if text is None or src is None or parsed is None:
            self.report.refused.append(
                Refusal(
                    draft.row.file,
                    draft.row.line,
                    (
                        f"cannot update {path}: its front matter is not a block of "
                        "`key: value` lines textcrm can edit; fix it (textcrm check) and "
                        "import again"
                    ),
                )
            )
            return None
        current, _spans = parsed
        last = (self.old_state.get(draft.kind, {}).get(draft.source_id) or {}).get("fields", {})
        changes: dict[str, Any] = {}
        for name in [*new_raw, *(n for n in last if n not in new_raw)]:
            new = new_raw.get(name)
            cur = current.get(name)
            if new == cur:
                continue
            untouched = (name in last and cur == last[name]) or (name not in last and cur is None)
            if self.overwrite or untouched:
                changes[name] = values.get(name)
            else:
                self.report.notes.append(
                    Note(
                        f"kept your edit of `{name}` in {path} (--overwrite replaces it)",
                        draft.row.file,
                        draft.row.line,
                    )
                )
        if not changes:
            return None
        lines = text.splitlines(keepends=True)
        closing = src.body_line - 2
        bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
        merged = merge(src.front, order, changes)
        return (bom + lines[0] + merged + "".join(lines[closing:])).encode("utf-8")

    def catalog_file(self) -> None:
        """Plan products.yaml: existing entries kept in order, imported ones updated or added."""
        drafts = self.imported["product"]
        if not drafts:
            return
        entries = {sku: dict(v) for sku, v in self.existing.products.items()}
        order = list(self.existing.product_order)
        kind_state = self.new_state.setdefault("product", {})
        last_all = self.old_state.get("product", {})
        changed = False
        for sku, draft in drafts.items():
            names = ("sku", "name", "unit_price", "unit", "description", "currency")
            new = {n: draft.fields[n] for n in names if draft.fields.get(n) not in (None, "")}
            new_raw = {n: to_raw(v) for n, v in new.items()}
            kind_state[sku] = {"id": sku, "fields": new_raw}
            if sku not in entries:
                entries[sku] = new_raw
                order.append(sku)
                changed = True
                self.report.actions.append(Action("create", "product", layout.CATALOG_FILE, sku))
                continue
            cur = entries[sku]
            last = (last_all.get(sku) or {}).get("fields", {})
            touched = False
            for name in names:
                n_val, c_val = new_raw.get(name), cur.get(name)
                if n_val == c_val:
                    continue
                if (
                    self.overwrite
                    or (name in last and c_val == last[name])
                    or (name not in last and c_val is None)
                ):
                    if n_val is None:
                        cur.pop(name, None)
                    else:
                        cur[name] = n_val
                    touched = True
                else:
                    self.report.notes.append(
                        Note(
                            f"kept your edit of `{name}` of product {sku} "
                            "(--overwrite replaces it)",
                            draft.row.file,
                            draft.row.line,
                        )
                    )
            changed = changed or touched
            self.report.actions.append(
                Action("update" if touched else "unchanged", "product", layout.CATALOG_FILE, sku)
            )
        if changed:
            items = [_typed_product(entries[sku]) for sku in order]
            text = self.existing.catalog_head + field_text("products", items)
            self.writes[layout.CATALOG_FILE] = text.encode("utf-8")


def _typed_product(raw: dict[str, Any]) -> dict[str, Any]:
    """A catalog entry from text leaves, money typed so that it is written unquoted."""
    from decimal import Decimal

    out: dict[str, Any] = {}
    for k in ("sku", "name", "unit_price", "unit", "description", "currency"):
        if k in raw:
            out[k] = Decimal(raw[k]) if k == "unit_price" else raw[k]
    return out


def _emit_value(value: Any) -> Any:
    """Values as the emitter writes them (sets and tuples become lists)."""
    if isinstance(value, tuple | set):
        return list(value)
    return value


def plan(
    root: Path,
    config: Config,
    repo: Any,
    state: dict[str, Any],
    files: list[tuple[CsvFile, Section]],
    mapping: Mapping,
    overwrite: bool,
    dry_run: bool,
) -> Plan:
    """Every file the import writes, the new state and the report (nothing is written)."""
    report = Report(mapping.source, dry_run)
    builder = Builder(mapping, config)
    existing = index_existing(repo, root)
    planner = Planner(root, config, existing, state, builder, overwrite, report)
    by_section: dict[str, list[Draft]] = {name: [] for name in ORDER}
    for csv, section in sorted(files, key=lambda fs: ORDER.index(fs[1].name)):
        report.files.append((csv.name, section.name, len(csv.rows)))
        if (
            section.kind == "opportunity"
            and not any("source_id" in t for t in section.columns.values())
            and ("source_id" not in section.templates)
        ):
            raise UsageError(
                f"{csv.path}: the mapping gives opportunities no `source_id` "
                "column; map the export's record id column to source_id, so that "
                "importing again updates the same files"
            )
        for row in csv.rows:
            draft = builder.draft(section, row)
            if draft is not None:
                by_section[section.name].append(draft)
    if builder.unmapped_stages or builder.unmapped_owners:
        raise UnmappedValues(unmapped_message(builder, config))
    report.refused.extend(builder.refused)
    report.notes.extend(builder.notes)
    has_accounts = any(s.name == "accounts" for _c, s in files)
    for name in ORDER:
        for draft in by_section[name]:
            planner.add(draft)
    for name in ORDER:
        kept = []
        for draft in by_section[name]:
            if planner.imported[draft.kind].get(draft.source_id) is not draft:
                continue
            if planner.resolve(draft, has_accounts):
                kept.append(draft)
            else:
                del planner.imported[draft.kind][draft.source_id]
        by_section[name] = kept
    planner.catalog_file()
    for kind in ("account", "contact", "opportunity"):
        for draft in planner.imported[kind].values():
            planner.record_file(draft)
    report.refused.sort(key=lambda r: (r.file, r.line))
    return Plan(planner.writes, {"version": 1, "records": planner.new_state}, report)
