"""Drafts to files: resolve references and ids against the repository, and decide what to
create, update or leave alone.

Nothing here writes: `plan` returns the bytes of every file to write, the new import state
and the report. `apply` (staging, validation, moving in) does the writing. The rows were
turned into drafts by `rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textcrm import layout
from textcrm.diagnostics import Diagnostic
from textcrm.errors import UsageError
from textcrm.importers.csvfile import CsvFile
from textcrm.importers.emit import current_fields, document, field_text, merge, scalar, to_raw
from textcrm.importers.mapping import Mapping, Section
from textcrm.importers.report import Action, Note, Refusal, Report
from textcrm.importers.rows import (
    NAME_FIELD,
    SCHEMAS,
    Builder,
    Draft,
    UnmappedValues,
    unmapped_message,
)
from textcrm.importers.values import slugify, unique_slug
from textcrm.loader import DiskReader, Reader
from textcrm.model import Config
from textcrm.money import plain
from textcrm.source import decode, split

ORDER = ("products", "accounts", "contacts", "opportunities")


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


def index_existing(repo: Any, reader: Reader) -> Existing:
    """Index the loaded repository by source id and name, and read the catalog's head."""
    by_source: dict[str, dict[str, tuple[str, str]]] = {k: {} for k in SCHEMAS}
    by_name: dict[str, dict[str, str]] = {k: {} for k in SCHEMAS}
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
    taken = {k: set(repo.ids.get(k, ())) for k in SCHEMAS}
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
    catalog = reader.read(layout.CATALOG_FILE)
    # Absent, or refused by the loader too (which reported why): no head to keep.
    if isinstance(catalog, bytes):
        for line in catalog.decode("utf-8", errors="replace").splitlines(True):
            if not line.startswith("#"):
                break
            head += line
    return Existing(by_source, by_name, taken, products, [p.sku for p in repo.product_list], head)


class Planner:
    """Resolves references and ids for the drafts and turns them into file contents."""

    def __init__(
        self,
        reader: Reader,
        config: Config,
        existing: Existing,
        state: dict[str, Any],
        builder: Builder,
        overwrite: bool,
        report: Report,
    ) -> None:
        self.reader = reader
        self.config = config
        self.existing = existing
        self.old_state = state.get("records", {})
        self.builder = builder
        self.overwrite = overwrite
        self.report = report
        self.new_state: dict[str, dict[str, Any]] = {k: dict(v) for k, v in self.old_state.items()}
        self.writes: dict[str, bytes] = {}
        self.imported: dict[str, dict[str, Draft]] = {k: {} for k in SCHEMAS}
        self.names: dict[str, dict[str, str]] = {k: {} for k in SCHEMAS}

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
            base = slugify(str(draft.fields.get(NAME_FIELD[draft.kind], "")), draft.kind)
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
        name = draft.fields.get(NAME_FIELD[draft.kind])
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
                            f"(aliases: {{COLUMN: {{{scalar(sku)}: SKU}}}})"
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
        order = SCHEMAS[draft.kind].names()
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
        data = self.reader.read(path)
        if isinstance(data, Diagnostic):
            self.report.refused.append(
                Refusal(draft.row.file, draft.row.line, f"{path} {data.message}")
            )
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
    reader = DiskReader(root)
    existing = index_existing(repo, reader)
    planner = Planner(reader, config, existing, state, builder, overwrite, report)
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
