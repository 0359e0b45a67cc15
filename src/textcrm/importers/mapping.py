"""Mapping specifications: how a CSV export's columns become textcrm fields.

A mapping says, for each kind of record (accounts, contacts, opportunities, products), which
file holds it, which column feeds which field, templates for fields built from several
columns, line items and activities, defaults for empty cells and aliases for values; and,
for the whole import, the stage and owner value maps, date formats and currency. Each source
module ships a built-in mapping; a mapping file (YAML) is laid over it. This is the only
module that reads mapping files.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textcrm import schema as sc
from textcrm.errors import UsageError

SECTIONS: dict[str, str] = {
    "products": "product",
    "accounts": "account",
    "contacts": "contact",
    "opportunities": "opportunity",
}
# Fields a mapping may fill, by section: the format's own fields plus a few that the importer
# turns into fields (`outcome` picks the won or lost stage, `contact` the primary contact).
_EXTRA = {"opportunity": ("outcome", "contact"), "product": (), "account": (), "contact": ()}
_NESTED = ("contacts", "competitors", "decision_issues", "line_items", "activities", "quote")
_SCHEMAS = {
    "product": sc.PRODUCT,
    "account": sc.ACCOUNT,
    "contact": sc.CONTACT,
    "opportunity": sc.OPPORTUNITY,
}
LINE_ITEM_KEYS = ("sku", "name", "description", "quantity", "unit", "unit_price", "discount")
ACTIVITY_KEYS = ("date", "type", "contact", "summary", "owner")
_TOP_KEYS = ("currency", "date_formats", "encoding", "stages", "owners", *SECTIONS)
_SECTION_KEYS = (
    "file",
    "detect",
    "columns",
    "templates",
    "body",
    "line_items",
    "activities",
    "defaults",
    "aliases",
)
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def fields_of(kind: str) -> tuple[str, ...]:
    """The fields a mapping may fill for records of `kind`."""
    own = tuple(n for n in _SCHEMAS[kind].names() if n not in _NESTED)
    return own + _EXTRA[kind]


def placeholders(template: str) -> list[str]:
    """The column names a template refers to: `{account} - {product}` -> [account, product]."""
    return _PLACEHOLDER.findall(template)


def render(template: str, values: MappingABC[str, str]) -> str:
    """Fill a template's `{column}` placeholders; spaces collapsed, dangling separators cut."""
    text = _PLACEHOLDER.sub(lambda m: values.get(m[1], ""), template)
    if "\n" not in template:
        text = " ".join(text.split())
    return text.strip().strip("-,;").strip()


@dataclass(frozen=True)
class Section:
    """How one kind of record is read: its file, columns, templates and value fixes."""

    name: str
    kind: str
    file: str = ""
    detect: tuple[str, ...] = ()
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    body: str = ""
    line_items: tuple[dict[str, str], ...] = ()
    activities: tuple[dict[str, str], ...] = ()
    defaults: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    user_columns: frozenset[str] = frozenset()

    def referenced_columns(self) -> set[str]:
        """Every column this section reads."""
        cols = set(self.columns) | set(self.defaults) | set(self.aliases)
        for text in [*self.templates.values(), self.body]:
            cols.update(placeholders(text))
        for item in [*self.line_items, *self.activities]:
            for text in item.values():
                cols.update(placeholders(text))
        return cols

    def matches(self, path: Path, columns: tuple[str, ...]) -> bool:
        """True when the file is this section's: by name pattern, else by its columns."""
        if self.file:
            return fnmatch.fnmatch(path.name, self.file) or path.name == self.file
        return bool(self.detect) and all(c in columns for c in self.detect)


@dataclass(frozen=True)
class Mapping:
    """The whole specification of an import."""

    source: str
    sections: dict[str, Section]
    stages: dict[str, str] = field(default_factory=dict)
    builtin_stages: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    currency: str = ""
    date_formats: tuple[str, ...] = ()
    encoding: str = "utf-8-sig"


def load_mapping_file(path: Path) -> dict[str, Any]:
    """Read a mapping file into plain data (every scalar is text, so `No` stays `No`)."""
    from textcrm.importers.emit import node_to_raw
    from textcrm.yamlnodes import compose

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"--mapping {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--mapping {path}: cannot be read: {exc}") from None
    node, problem = compose(text)
    if problem is not None:
        raise UsageError(
            f"{path}:{problem.line + 1}:{problem.column + 1}: the mapping file is not valid YAML: "
            f"{problem.message}"
        )
    data = node_to_raw(node)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(
            f"{path}: a mapping file is a YAML mapping (`stages:`, `opportunities:`"
            ", ...), not a list or a single value"
        )
    return data


def build(source: str, builtin: dict[str, Any], user: dict[str, Any], where: str) -> Mapping:
    """The built-in mapping of `source` with the user's mapping file (from `where`) laid over."""
    _known(user, _TOP_KEYS, where)
    sections = {}
    for name, kind in SECTIONS.items():
        base = builtin.get(name)
        mine = user.get(name)
        if mine is not None and not isinstance(mine, dict):
            raise UsageError(f"{where}: `{name}` must be a mapping (file:, columns:, ...)")
        if base is None and mine is None:
            continue
        sections[name] = _section(name, kind, base or {}, mine or {}, f"{where}: {name}")
    return Mapping(
        source=source,
        sections=sections,
        stages=_text_map(user.get("stages"), f"{where}: stages"),
        builtin_stages=dict(builtin.get("stages", {})),
        owners={**builtin.get("owners", {}), **_text_map(user.get("owners"), f"{where}: owners")},
        currency=_text(user.get("currency") or builtin.get("currency") or "", f"{where}: currency"),
        date_formats=tuple(_list(user.get("date_formats"), f"{where}: date_formats"))
        + tuple(builtin.get("date_formats", ())),
        encoding=_text(
            user.get("encoding") or builtin.get("encoding") or "utf-8-sig", f"{where}: encoding"
        ),
    )


def _section(
    name: str, kind: str, base: dict[str, Any], mine: dict[str, Any], where: str
) -> Section:
    _known(mine, _SECTION_KEYS, where)
    allowed = fields_of(kind)
    columns: dict[str, tuple[str, ...]] = {}
    for column, target in {
        **base.get("columns", {}),
        **_mapping(mine.get("columns"), f"{where}.columns"),
    }.items():
        if target is None or target == []:
            continue  # the user switched a built-in column off
        targets = tuple(target) if isinstance(target, list) else (target,)
        for t in targets:
            if not isinstance(t, str):
                raise UsageError(f"{where}.columns.{column}: give a field name or a list of them")
            _field(t, allowed, f"{where}.columns.{column}")
        columns[column] = targets
    templates = {
        **base.get("templates", {}),
        **_text_map(mine.get("templates"), f"{where}.templates"),
    }
    for target in templates:
        _field(target, allowed, f"{where}.templates")
    aliases: dict[str, dict[str, str]] = {k: dict(v) for k, v in base.get("aliases", {}).items()}
    for column, table in _mapping(mine.get("aliases"), f"{where}.aliases").items():
        aliases.setdefault(column, {}).update(_text_map(table, f"{where}.aliases.{column}"))
    return Section(
        name=name,
        kind=kind,
        file=_text(mine.get("file", base.get("file", "")), f"{where}.file"),
        detect=tuple(_list(mine.get("detect"), f"{where}.detect") or base.get("detect", ())),
        columns=columns,
        templates=templates,
        body=_text(mine.get("body", base.get("body", "")) or "", f"{where}.body"),
        line_items=_items(
            mine.get("line_items", base.get("line_items", [])),
            LINE_ITEM_KEYS,
            f"{where}.line_items",
        ),
        activities=_items(
            mine.get("activities", base.get("activities", [])), ACTIVITY_KEYS, f"{where}.activities"
        ),
        defaults={
            **base.get("defaults", {}),
            **_text_map(mine.get("defaults"), f"{where}.defaults"),
        },
        aliases=aliases,
        user_columns=frozenset(_mapping(mine.get("columns"), where)),
    )


def _known(data: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else f"; known: {', '.join(keys)}"
            raise UsageError(f"{where}: unknown key `{key}`{hint}")


def _field(name: str, allowed: tuple[str, ...], where: str) -> None:
    if name not in allowed:
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"known: {', '.join(allowed)}"
        raise UsageError(f"{where}: `{name}` is not a field textcrm imports here; {hint}")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UsageError(f"{where}: expected a mapping (`key: value` lines)")
    return value


def _text_map(value: Any, where: str) -> dict[str, str]:
    out = {}
    for k, v in _mapping(value, where).items():
        out[k] = _text("" if v is None else v, f"{where}.{k}")
    return out


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{where}: expected text")
    return value


def _list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: expected a list of text values")
    return value


def _items(value: Any, keys: tuple[str, ...], where: str) -> tuple[dict[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise UsageError(f"{where}: expected a list of mappings")
    out = []
    for i, item in enumerate(value):
        table = _text_map(item, f"{where}[{i}]")
        _known(table, keys, f"{where}[{i}]")
        out.append(table)
    return tuple(out)
