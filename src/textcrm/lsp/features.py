"""The language features over a Workspace: diagnostics, completion, hover, definition,
references, quick fixes and symbols, as LSP values. Computation is the same library code every
other output uses (figures, rules, the did-you-mean index, the round-trip editor)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from textcrm import layout, schema
from textcrm.diagnostics import Diagnostic
from textcrm.encode import markdown_code, markdown_text
from textcrm.loader import Workspace
from textcrm.lsp import context
from textcrm.model import Opportunity
from textcrm.suggest import close_names

SOURCE = "textcrm"
# At most this many completion items per answer; a longer list is marked incomplete, so the
# editor asks again as more is typed (1,250 account ids cost more to send than to find).
MAX_ITEMS = 200
_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}
REF_KINDS = {"account", "contact", "competitor", "product"}


# --- positions ------------------------------------------------------------------------------


def uri_of(root: Path, path: str) -> str:
    return (root / path).as_uri()


def _range(line: int, start: int, end: int) -> lsp.Range:
    return lsp.Range(lsp.Position(line, start), lsp.Position(line, end))


def _line_range(lines: list[str], line0: int) -> lsp.Range:
    text = lines[line0] if 0 <= line0 < len(lines) else ""
    return _range(line0, 0, len(text.rstrip()))


def to_lsp(d: Diagnostic, lines: list[str]) -> lsp.Diagnostic:
    """A textcrm diagnostic as LSP shows it: same line, column, code, severity and message;
    the range runs from the column to the end of the line's text."""
    line0 = max(d.line - 1, 0)
    text = lines[line0] if line0 < len(lines) else ""
    start = min(max(d.column - 1, 0), len(text))
    end = max(len(text.rstrip()), start)
    return lsp.Diagnostic(
        range=_range(line0, start, end),
        message=d.message,
        severity=_SEVERITY.get(d.severity, lsp.DiagnosticSeverity.Information),
        code=d.code,
        source=SOURCE,
    )


# --- completion -----------------------------------------------------------------------------


def _field_item(f: schema.Field, start: int, line: int, column: int) -> lsp.CompletionItem:
    doc = f"**{f.name}**: {f.type.describe()}{' (required)' if f.required else ''}\n\n"
    doc += f.description
    if f.example is not None:
        doc += f"\n\nExample: `{f.name}: {f.example}`"
    return lsp.CompletionItem(
        label=f.name,
        kind=lsp.CompletionItemKind.Field,
        detail=f.type.describe(),
        documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, doc),
        text_edit=lsp.TextEdit(_range(line, start, column), f"{f.name}: "),
    )


def _value(
    label: str, start: int, line: int, column: int, detail: str = "", kind: Any = None
) -> lsp.CompletionItem:
    return lsp.CompletionItem(
        label=label,
        kind=kind or lsp.CompletionItemKind.Value,
        detail=detail or None,
        text_edit=lsp.TextEdit(_range(line, start, column), label),
    )


def date_choices(today: date) -> list[tuple[str, str]]:
    """(date, what it is): today, a week from today, the end of this month."""
    last = calendar.monthrange(today.year, today.month)[1]
    return [
        (today.isoformat(), "today"),
        ((today + timedelta(days=7)).isoformat(), "in 7 days"),
        (today.replace(day=last).isoformat(), "end of month"),
    ]


def value_choices(ws: Workspace, f: schema.Field) -> list[tuple[str, str]]:
    """(value, detail) pairs a field's value can take in this repository."""
    t = f.type.item if f.type.kind == "list" and f.type.item is not None else f.type
    repo = ws.repository
    if t.kind == "stage":
        return [(s.key, f"{s.name} · {s.probability}% · {s.forecast}") for s in repo.config.stages]
    if t.kind == "owner" or (f.name == "owner" and t.kind == "string"):
        return [(o.key, o.name) for o in repo.config.owners or ()]
    if t.kind == "enum":
        return [(c, "") for c in t.choices]
    if t.kind == "bool":
        return [("true", ""), ("false", "")]
    if t.kind == "date":
        return date_choices(ws.today)
    if t.kind == "currency":
        from textcrm.money import currency_codes

        return [(c, name) for c, name in currency_codes(repo.config.locale)]
    if t.kind == "ref":
        if t.ref == "account":
            return [(a.id, a.name) for a in repo.accounts.values()]
        if t.ref == "contact":
            return [
                (c.id, f"{c.name}{' · ' + c.account if c.account else ''}")
                for c in repo.contacts.values()
            ]
        if t.ref == "competitor":
            return [(c.id, c.name) for c in repo.competitors.values()]
        if t.ref == "product":
            currency = repo.config.currency
            return [
                (p.sku, f"{p.name} · {_money(ws, p.unit_price, p.currency or currency)}")
                for p in repo.product_list
            ]
    return []


def completion(
    ws: Workspace, kind: str, lines: list[str], line: int, column: int
) -> list[lsp.CompletionItem]:
    cursor = context.at(kind, lines, line, column)
    if cursor is None:
        return []
    # A completion replaces the whole word the cursor is in, not only what precedes it.
    text = lines[line] if line < len(lines) else ""
    start, end = context.word_range(text, column)
    end = end if start <= cursor.start <= column <= end else column
    if cursor.key_position:
        assert cursor.record is not None
        present = _keys_in_mapping(lines, line)
        return [
            _field_item(f, cursor.start, line, end)
            for f in cursor.record.fields
            if f.name not in present
        ]
    assert cursor.field is not None
    choices = value_choices(ws, cursor.field)
    typed = cursor.prefix.lower()
    if typed:
        choices = [(v, d) for v, d in choices if typed in v.lower() or typed in d.lower()]
    return [_value(v, cursor.start, line, end, detail) for v, detail in choices]


def _keys_in_mapping(lines: list[str], line: int) -> set[str]:
    """Keys already written in a flow mapping on this line (to leave them out)."""
    text = lines[line] if line < len(lines) else ""
    return set(re.findall(r"[{,]\s*([A-Za-z_][\w-]*):", text))


# --- hover, definition, references --------------------------------------------------------------


def _opportunity(ws: Workspace, path: str) -> Opportunity | None:
    kind_id = layout.classify(path)
    if kind_id is None or kind_id[0] != "opportunity":
        return None
    return ws.repository.opportunities.get(kind_id[1])


def _money(ws: Workspace, value: Any, currency: str) -> str:
    from textcrm.money import format_money

    return format_money(value, currency, ws.repository.config.locale)


def _target(ws: Workspace, f: schema.Field, value: str) -> tuple[str, Any] | None:
    """(kind, record) named by a reference value."""
    repo = ws.repository
    t = f.type
    if t.kind != "ref" or t.ref is None:
        return None
    found: Any = {
        "account": repo.accounts,
        "contact": repo.contacts,
        "competitor": repo.competitors,
        "product": repo.products,
    }[t.ref].get(value)
    return (t.ref, found) if found is not None else None


def _md(text: str) -> str:
    """Text from the repository as literal Markdown in a hover (no links, HTML or emphasis)."""
    return markdown_text(text, mentions=False)


def _describe(ws: Workspace, kind: str, record: Any) -> str:
    if kind == "account":
        extra = [_md(record.industry)] if getattr(record, "industry", "") else []
        return "  \n".join([f"**{_md(record.name)}** (account)", *extra])
    if kind == "contact":
        parts = [f"**{_md(record.name)}** (contact)"]
        parts += [_md(p) for p in (record.title, record.email) if p]
        if record.account:
            acc = ws.repository.accounts.get(record.account)
            parts.append(f"at {_md(acc.name if acc else record.account)}")
        return "  \n".join(parts)
    if kind == "competitor":
        return f"**{_md(record.name)}** (competitor)"
    if kind == "product":
        price = _money(ws, record.unit_price, record.currency or ws.repository.config.currency)
        unit = f" per {_md(record.unit)}" if record.unit else ""
        return f"**{_md(record.name)}** ({_md(record.sku)})  \n{price}{unit}"
    return ""


def _token(lines: list[str], line: int, column: int) -> tuple[str, int, int]:
    text = lines[line] if line < len(lines) else ""
    start, end = context.word_range(text, column)
    return text[start:end], start, end


def _value_at(
    kind: str, lines: list[str], line: int, column: int
) -> tuple[context.Cursor | None, str, int, int]:
    word, start, end = _token(lines, line, column)
    cursor = context.at(kind, lines, line, end)
    return cursor, word, start, end


def _line_item_index(opp: Opportunity, line1: int) -> int | None:
    """The index of the line item written on (or spanning) a 1-based file line."""
    best = None
    for i, item in enumerate(opp.line_items):
        if item.line <= line1:
            best = i
    if best is None:
        return None
    after = [x for x in (opp.lines.values()) if x > opp.line_items[best].line and x <= line1]
    return None if after else best


def hover(ws: Workspace, kind: str, path: str, lines: list[str], line: int, column: int) -> str:
    """Markdown for what is under the cursor, or '' when there is nothing to say."""
    cursor, word, _start, _end = _value_at(kind, lines, line, column)
    repo = ws.repository
    if cursor is not None and cursor.field is not None and word:
        f = cursor.field
        named = _target(ws, f, word)
        if named is not None:
            return _describe(ws, *named)
        if f.type.kind == "stage" and f.name == "stage":
            stage = repo.config.stage(word)
            if stage is not None:
                gate = ", ".join(stage.requires) or "none"
                out = (
                    f"**{_md(stage.name)}** ({markdown_code(stage.key)})  \n"
                    f"probability {stage.probability}% · "
                    f"forecast {stage.forecast}"
                )
                out += f" · outcome {stage.outcome}" if stage.outcome else ""
                return out + f"  \ngate: {gate}"
    opp = _opportunity(ws, path)
    if opp is None:
        return ""
    figures = repo.figures(opp)
    line1 = line + 1
    index = _line_item_index(opp, line1)
    if index is not None and index < len(figures.lines) and "line_items" in opp.lines:
        priced = figures.lines[index]
        text = (
            f"**{_md(priced.name)}**: {priced.item.quantity} x "
            f"{_money(ws, priced.unit_price, figures.currency)}"
        )
        if priced.discount:
            text += f" less {_money(ws, priced.discount, figures.currency)}"
        return text + f" = **{_money(ws, priced.total, figures.currency)}**"
    key = re.match(r"^\s*([A-Za-z_][\w-]*):", lines[line] if line < len(lines) else "")
    if key and key.group(1) in ("amount", "line_items", "probability", "stage"):
        return (
            f"expected {_money(ws, figures.expected, figures.currency)} · "
            f"probability {figures.probability}% · "
            f"weighted **{_money(ws, figures.weighted, figures.currency)}** · "
            f"forecast {figures.forecast}"
        )
    return ""


def definition(
    ws: Workspace, kind: str, lines: list[str], line: int, column: int
) -> lsp.Location | None:
    cursor, word, _s, _e = _value_at(kind, lines, line, column)
    if cursor is None or cursor.field is None or not word:
        return None
    named = _target(ws, cursor.field, word)
    if named is None:
        return None
    ref_kind, record = named
    if ref_kind == "product":
        line0 = record.line - 1
        return lsp.Location(uri_of(ws.root, layout.CATALOG_FILE), _range(line0, 0, 0))
    return lsp.Location(uri_of(ws.root, record.path), _range(0, 0, 0))


def _referrers(ws: Workspace, ref_kind: str, ref_id: str) -> Iterable[tuple[str, int]]:
    """(path, 1-based line) of every place that names a record."""
    repo = ws.repository
    for opp in sorted(repo.opportunities.values(), key=lambda o: o.path):
        if ref_kind == "account" and opp.account == ref_id:
            yield opp.path, opp.line_of("account")
        for role in opp.contacts:
            if ref_kind == "contact" and role.contact == ref_id:
                yield opp.path, role.line
        for entry in opp.competitors:
            if ref_kind == "competitor" and entry.competitor == ref_id:
                yield opp.path, entry.line
        for item in opp.line_items:
            if ref_kind == "product" and item.sku == ref_id:
                yield opp.path, item.line
        for activity in opp.activities:
            if ref_kind == "contact" and activity.contact == ref_id:
                yield opp.path, activity.line
    if ref_kind == "account":
        for person in sorted(repo.contacts.values(), key=lambda c: c.path):
            if person.account == ref_id:
                yield person.path, person.lines.get("account", 1)


def references(
    ws: Workspace, kind: str, path: str, lines: list[str], line: int, column: int
) -> list[lsp.Location]:
    """Every place naming the record under the cursor, or the record this file is."""
    cursor, word, _s, _e = _value_at(kind, lines, line, column)
    target: tuple[str, str] | None = None
    if cursor is not None and cursor.field is not None and cursor.field.type.kind == "ref":
        target = (str(cursor.field.type.ref), word)
    elif kind in ("account", "contact", "competitor"):
        target = (kind, layout.classify(path)[1])  # type: ignore[index]
    elif (
        kind == "catalog"
        and cursor is not None
        and cursor.field is not None
        and (cursor.field.name == "sku")
    ):
        target = ("product", word)
    if target is None or not target[1]:
        return []
    out = []
    for ref_path, line1 in _referrers(ws, *target):
        ref_lines = _file_lines(ws, ref_path)
        out.append(lsp.Location(uri_of(ws.root, ref_path), _line_range(ref_lines, line1 - 1)))
    return out


def _file_lines(ws: Workspace, path: str) -> list[str]:
    try:
        return (ws.root / path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


# --- symbols ----------------------------------------------------------------------------------


def _symbol(
    name: str, detail: str, kind: lsp.SymbolKind, line1: int, lines: list[str], children: Any = None
) -> lsp.DocumentSymbol:
    r = _line_range(lines, line1 - 1)
    return lsp.DocumentSymbol(
        name=name or "(untitled)",
        detail=detail or None,
        kind=kind,
        range=r,
        selection_range=r,
        children=children or None,
    )


def document_symbols(ws: Workspace, path: str, lines: list[str]) -> list[lsp.DocumentSymbol]:
    opp = _opportunity(ws, path)
    if opp is None:
        kind_id = layout.classify(path)
        if kind_id is None:
            return []
        kind, record_id = kind_id
        record: Any = {
            "account": ws.repository.accounts,
            "contact": ws.repository.contacts,
            "competitor": ws.repository.competitors,
        }.get(kind, {}).get(record_id)
        if kind == "catalog":
            return [
                _symbol(p.sku, p.name, lsp.SymbolKind.Constant, p.line, lines)
                for p in ws.repository.product_list
            ]
        if record is None:
            return []
        return [_symbol(record.name, kind, lsp.SymbolKind.Class, 1, lines)]
    figures = ws.repository.figures(opp)
    groups = []
    if opp.contacts:
        groups.append(
            _symbol(
                "contacts",
                "",
                lsp.SymbolKind.Array,
                opp.line_of("contacts"),
                lines,
                [
                    _symbol(
                        r.contact or "(no contact)", r.role, lsp.SymbolKind.Object, r.line, lines
                    )
                    for r in opp.contacts
                ],
            )
        )
    if opp.line_items:
        groups.append(
            _symbol(
                "line_items",
                _money(ws, figures.line_items_total or 0, figures.currency),
                lsp.SymbolKind.Array,
                opp.line_of("line_items"),
                lines,
                [
                    _symbol(
                        p.name,
                        _money(ws, p.total, figures.currency),
                        lsp.SymbolKind.Object,
                        p.item.line,
                        lines,
                    )
                    for p in figures.lines
                ],
            )
        )
    if opp.activities:
        groups.append(
            _symbol(
                "activities",
                "",
                lsp.SymbolKind.Array,
                opp.line_of("activities"),
                lines,
                [
                    _symbol(f"{a.date} {a.type}", a.summary, lsp.SymbolKind.Event, a.line, lines)
                    for a in opp.activities
                ],
            )
        )
    if opp.quote is not None:
        groups.append(
            _symbol(f"quote {opp.quote.number}", "", lsp.SymbolKind.Object, opp.quote.line, lines)
        )
    title_line = opp.line_of("title")
    return [
        _symbol(
            opp.title,
            f"{opp.stage} · {_money(ws, figures.expected, figures.currency)}",
            lsp.SymbolKind.Class,
            title_line,
            lines,
            groups,
        )
    ]


def workspace_symbols(ws: Workspace, query: str) -> list[lsp.WorkspaceSymbol]:
    words = query.lower().split()
    out = []
    for opp in sorted(ws.repository.opportunities.values(), key=lambda o: o.path):
        haystack = f"{opp.title} {opp.id} {opp.account}".lower()
        if all(w in haystack for w in words):
            line0 = opp.line_of("title") - 1
            out.append(
                lsp.WorkspaceSymbol(
                    name=opp.title or opp.id,
                    kind=lsp.SymbolKind.Class,
                    location=lsp.Location(uri_of(ws.root, opp.path), _range(line0, 0, 0)),
                    container_name=opp.account or None,
                )
            )
    return out


# --- quick fixes -----------------------------------------------------------------------------


def _whole_edit(uri: str, before: str, after: str) -> lsp.WorkspaceEdit:
    """One TextEdit replacing just the changed span of a document."""
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end_b, end_a = len(before), len(after)
    while end_b > start and end_a > start and before[end_b - 1] == after[end_a - 1]:
        end_b -= 1
        end_a -= 1

    def position(offset: int) -> lsp.Position:
        line = before.count("\n", 0, offset)
        column = offset - (before.rfind("\n", 0, offset) + 1)
        return lsp.Position(line, column)

    edit = lsp.TextEdit(lsp.Range(position(start), position(end_b)), after[start:end_a])
    return lsp.WorkspaceEdit(changes={uri: [edit]})


def _set_field(path: str, text: str, key: str, value: str) -> str | None:
    """The document with a top-level date field set, through the round-trip editor."""
    from textcrm.edit import Document, EditRefused

    try:
        doc = Document(path, text.encode("utf-8"))
        doc.set_scalar(key, value, literal=True)
    except EditRefused:
        return None
    return doc.to_bytes().decode("utf-8")


def suggested_date(ws: Workspace, days: int = 7) -> date:
    """A follow-up or close date a week out, inside the follow-up horizon when one is set."""
    horizon = ws.repository.config.follow_up_horizon_days
    if horizon is not None:
        days = min(days, horizon)
    return ws.today + timedelta(days=days)


def _fix(title: str, edit: lsp.WorkspaceEdit, d: lsp.Diagnostic, preferred: bool = False) -> Any:
    return lsp.CodeAction(
        title=title,
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[d],
        edit=edit,
        is_preferred=preferred or None,
    )


_GATE_SKELETONS = {
    "contacts": "contacts:\n  - {contact: , role: }",
    "line_items": "line_items:\n  - {sku: , quantity: 1}",
    "quote": "quote:\n  number: \n  date: {today}\n  valid_until: {month_end}",
    "competitors": "competitors:\n  - {competitor: , status: active}",
    "decision_issues": "decision_issues:\n  - {issue: , status: open}",
    "activities": "activities:\n  - {date: {today}, type: call, summary: }",
    "lost_reason": "lost_reason: ",
    "next_step": "next_step: ",
    "close_date": "close_date: {week}",
    "follow_up": "follow_up: {week}",
    "amount": "amount: ",
    "probability": "probability: ",
    "created": "created: {today}",
    "tags": "tags: []",
}


def _insert_before_closing(ws: Workspace, uri: str, lines: list[str], block: str) -> Any:
    region = context.yaml_region("opportunity", lines)
    if region is None:
        return None
    today = ws.today
    month_end = date_choices(today)[2][0]
    text = (
        block.replace("{today}", today.isoformat())
        .replace("{month_end}", month_end)
        .replace("{week}", suggested_date(ws).isoformat())
    )
    at = lsp.Position(region[1], 0)
    return lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(lsp.Range(at, at), text + "\n")]})


def code_actions(
    ws: Workspace,
    path: str,
    uri: str,
    text: str,
    diagnostics: list[lsp.Diagnostic],
) -> list[lsp.CodeAction]:
    lines = text.split("\n")
    out: list[lsp.CodeAction] = []
    for d in diagnostics:
        if d.source != SOURCE:
            continue
        code = str(d.code)
        if code in ("close-date-past", "follow-up-overdue", "stale"):
            key = "close_date" if code == "close-date-past" else "follow_up"
            when = suggested_date(ws).isoformat()
            after = _set_field(path, text, key, when)
            if after is not None:
                out.append(_fix(f"Set {key} to {when}", _whole_edit(uri, text, after), d, True))
        elif code == "unquoted-comma":
            fix = _quote_the_text(uri, lines, d)
            if fix is not None:
                out.append(fix)
        elif code == "unpriced-line":
            after = _pinned(ws, path, text)
            if after is not None:
                out.append(
                    _fix(
                        "Write the catalog prices into the lines",
                        _whole_edit(uri, text, after),
                        d,
                        True,
                    )
                )
        elif code.startswith("unknown-") and code != "unknown-field":
            out.extend(_unknown_fixes(ws, uri, lines, d, code))
        elif code == "stage-gate":
            wanted = d.message.partition(" requires ")[2].partition("missing")[0]
            missing = [m for m in re.findall(r"`(\w+)`", wanted) if m in _GATE_SKELETONS]
            if missing:
                block = "\n".join(_GATE_SKELETONS[m] for m in missing)
                edit = _insert_before_closing(ws, uri, lines, block)
                if edit is not None:
                    out.append(_fix(f"Add {', '.join(missing)}", edit, d))
    return out


def _quote_the_text(uri: str, lines: list[str], d: lsp.Diagnostic) -> lsp.CodeAction | None:
    """Quote a flow mapping's text that an unquoted comma cut in two, as the message says."""
    m = re.search(r"quote the text: ([A-Za-z_][\w-]*): (\".*\")$", d.message)
    if m is None:
        return None
    key, quoted = m.group(1), m.group(2)
    from textcrm.yamlnodes import compose

    node, _problem = compose(f"v: {quoted}")
    if node is None:
        return None
    parts = str(node.value[0][1].value).split(", ")
    line0 = d.range.start.line
    text = lines[line0] if line0 < len(lines) else ""
    pattern = (
        rf"(?<![\w-]){re.escape(key)}:\s*("
        + r"\s*,\s*".join(re.escape(part) for part in parts)
        + r")"
    )
    found = None
    for candidate in re.finditer(pattern, text):
        if candidate.start(1) <= d.range.start.character:
            found = candidate
    if found is None:
        return None
    edit = lsp.TextEdit(_range(line0, found.start(1), found.end(1)), quoted)
    return _fix(
        f"Quote the text: {key}: {quoted}", lsp.WorkspaceEdit(changes={uri: [edit]}), d, True
    )


def _pinned(ws: Workspace, path: str, text: str) -> str | None:
    """The document with the catalog prices written into its catalog-priced lines."""
    from textcrm.edit import EditRefused, Target, pin_prices

    opp = _opportunity(ws, path)
    if opp is None:
        return None
    try:
        edit = pin_prices(Target(ws.repository, opp, text.encode("utf-8")))
    except EditRefused:
        return None
    return edit.after.decode("utf-8") if edit.after != edit.before else None


def _unknown_fixes(
    ws: Workspace, uri: str, lines: list[str], d: lsp.Diagnostic, code: str
) -> list[lsp.CodeAction]:
    kind = code.removeprefix("unknown-")
    line0 = d.range.start.line
    text = lines[line0] if line0 < len(lines) else ""
    m = re.search(r"`([^`]+)`", d.message)
    if m is None:
        return []
    name = m.group(1)
    col = text.find(name)
    repo = ws.repository
    known: dict[str, Iterable[str]] = {
        "account": repo.accounts,
        "contact": repo.contacts,
        "competitor": repo.competitors,
        "product": repo.products,
        "stage": [s.key for s in repo.config.stages],
        "owner": [o.key for o in repo.config.owners or ()],
    }
    out: list[lsp.CodeAction] = []
    if col >= 0 and kind in known:
        for candidate in close_names(name, known[kind], n=3):
            edit = lsp.TextEdit(_range(line0, col, col + len(name)), candidate)
            out.append(
                _fix(
                    f"Change to `{candidate}`",
                    lsp.WorkspaceEdit(changes={uri: [edit]}),
                    d,
                    preferred=not out,
                )
            )
    if kind in ("account", "contact", "competitor") and layout.slug(name) == name:
        new_path = layout.record_path(kind, name)
        new_uri = uri_of(ws.root, new_path)
        title = name.replace("-", " ").title()
        body = f"---\nname: {title}\n---\n"
        out.append(
            lsp.CodeAction(
                title=f"Create {new_path}",
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[d],
                edit=lsp.WorkspaceEdit(
                    document_changes=[
                        lsp.CreateFile(
                            uri=new_uri, options=lsp.CreateFileOptions(ignore_if_exists=True)
                        ),
                        lsp.TextDocumentEdit(
                            text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=new_uri),
                            edits=[lsp.TextEdit(_range(0, 0, 0), body)],
                        ),
                    ]
                ),
            )
        )
    return out
