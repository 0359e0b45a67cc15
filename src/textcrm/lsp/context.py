"""What is at a cursor in a CRM file: the YAML region, the record being written, and whether a
key or a value is under the cursor. Text-based, so that it works on half-typed YAML."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textcrm import schema

ROOT_RECORDS: dict[str, schema.Record] = {
    "opportunity": schema.OPPORTUNITY,
    "account": schema.ACCOUNT,
    "contact": schema.CONTACT,
    "competitor": schema.COMPETITOR,
    "catalog": schema.CATALOG,
    "config": schema.CONFIG,
}

_KEY = r"[A-Za-z_][\w-]*"
_BLOCK_VALUE = re.compile(rf"^\s*(?:-\s+)*({_KEY}):(?:\s+(.*))?$")
_BLOCK_KEY = re.compile(r"^\s*(?:-\s+)*([\w-]*)$")
_LIST_ITEM = re.compile(r"^\s*-\s+(\S*)$")
_WORD = re.compile(r"[^\s,:{}\[\]\"'#]+")


@dataclass(frozen=True)
class Cursor:
    """The cursor's place in the YAML: the record (mapping) being written, and either a key
    being typed (`field` is None) or the value of `field` (a list item of it when `item`)."""

    record: schema.Record | None
    field: schema.Field | None
    prefix: str
    start: int
    item: bool = False

    @property
    def key_position(self) -> bool:
        return self.field is None


def yaml_region(kind: str, lines: list[str]) -> tuple[int, int] | None:
    """(first, end): the 0-based lines of YAML in the file, end exclusive. A record's front
    matter runs from the line after the opening `---` to its closing delimiter (or the end of
    an unclosed one); textcrm.yaml and products.yaml are YAML throughout."""
    if kind in ("config", "catalog"):
        return (0, len(lines))
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return (1, i)
    return (1, len(lines))


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _key_indent(text: str) -> int:
    """The column of a line's key: after its indentation and any `- ` item markers."""
    m = re.match(r"^(\s*(?:-\s+)*)", text)
    return len(m.group(1)) if m else 0


_KEY_ONLY = re.compile(rf"^\s*(?:-\s+)*({_KEY}):\s*(?:#.*)?$")


def _parents(lines: list[str], first: int, line: int, indent: int) -> list[str]:
    """The block keys enclosing a line whose key is at column `indent`, outermost first.

    Walking up: a line whose key is deeper is skipped; one at the same column is a sibling
    (and when it opens a list item, `- key: ...`, we are in that item, whose parent key may
    stand at the dash's column); a `key:` line further left encloses us."""
    chain: list[str] = []
    want, inclusive = indent, False
    for i in range(line - 1, first - 1, -1):
        raw = lines[i].rstrip()
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        at, ind = _key_indent(raw), _indent(raw)
        item = raw.lstrip().startswith("-")
        if at > want:
            continue
        if at == want and not inclusive:
            if item:
                want, inclusive = ind, True
            continue
        m = _KEY_ONLY.match(raw)
        if m:
            chain.append(m.group(1))
        want, inclusive = (ind, True) if item else (at, False)
        if want == 0 and not inclusive:
            break
    chain.reverse()
    return chain


def _resolve(
    root: schema.Record, keys: list[str]
) -> tuple[schema.Record | None, schema.Field | None]:
    """Follow keys from `root`: (the record the last key's value is in, that key's field)."""
    record: schema.Record | None = root
    found: schema.Field | None = None
    for key in keys:
        if record is None:
            return None, None
        found = record.by_name.get(key)
        if found is None:
            return None, None
        record = found.type.record
    return record, found


def _flow_frames(text: str) -> list[tuple[str, str | None, str | None, int]]:
    """Scan a line's text up to the cursor: the open `{`/`[` frames as (bracket, the key that
    holds it, the key being written inside it, column after the last separator)."""
    frames: list[tuple[str, str | None, str | None, int]] = [("", None, None, 0)]
    i, n = 0, len(text)
    word_start = None
    while i < n:
        ch = text[i]
        if ch in "\"'":
            end = text.find(ch, i + 1)
            if end < 0:
                break
            i = end + 1
            continue
        bracket, holder, current, sep = frames[-1]
        if ch == "#" and (i == 0 or text[i - 1] == " "):
            break
        if ch in "{[":
            holds = current if bracket != "[" else holder
            frames.append((ch, holds, None, i + 1))
        elif ch in "}]" and len(frames) > 1:
            frames.pop()
        elif ch == "," and bracket:
            frames[-1] = (bracket, holder, None, i + 1)
        elif ch == ":" and (i + 1 == n or text[i + 1] == " "):
            key = text[sep if word_start is None else word_start : i].strip(" -{[,")
            frames[-1] = (bracket, holder, key or None, i + 1)
        if not (ch.isalnum() or ch in "_-"):
            word_start = i + 1
        i += 1
    return frames


def at(kind: str, lines: list[str], line: int, column: int) -> Cursor | None:
    """What the cursor at (line, column), both 0-based, is writing; None outside the YAML."""
    root = ROOT_RECORDS.get(kind)
    region = yaml_region(kind, lines)
    if root is None or region is None or not (region[0] <= line < region[1]):
        return None
    full = lines[line] if line < len(lines) else ""
    text = full[:column]
    frames = _flow_frames(text)
    if len(frames) > 1:
        return _in_flow(root, lines, region[0], line, text, frames)
    return _in_block(root, lines, region[0], line, text)


def _block_chain(
    root: schema.Record, lines: list[str], first: int, line: int, text: str
) -> tuple[schema.Record | None, list[str]]:
    keys = _parents(lines, first, line, _key_indent(text))
    record, _ = _resolve(root, keys) if keys else (root, None)
    return record, keys


def _in_block(
    root: schema.Record, lines: list[str], first: int, line: int, text: str
) -> Cursor | None:
    record, keys = _block_chain(root, lines, first, line, text)
    m = _BLOCK_VALUE.match(text)
    if m:
        value = m.group(2) or ""
        if record is None:
            return None
        f = record.by_name.get(m.group(1))
        if f is None:
            return None
        return Cursor(record, f, value.strip(), len(text) - len(value.lstrip()))
    if keys:
        _, parent = _resolve(root, keys)
        item = _LIST_ITEM.match(text)
        if item and parent is not None and parent.type.kind == "list":
            return Cursor(record, parent, item.group(1), len(text) - len(item.group(1)), True)
    m = _BLOCK_KEY.match(text)
    if m and record is not None:
        return Cursor(record, None, m.group(1), len(text) - len(m.group(1)))
    return None


def _in_flow(
    root: schema.Record,
    lines: list[str],
    first: int,
    line: int,
    text: str,
    frames: list[tuple[str, str | None, str | None, int]],
) -> Cursor | None:
    # The keys that lead to the innermost open bracket: the block parents, then each frame's
    # holder (a flow sequence passes its holder to the mappings inside it).
    line_start = frames[0][2]
    base_record, keys = _block_chain(root, lines, first, line, text)
    if line_start:
        keys = [*keys, line_start]
    for bracket, holder, _current, _sep in frames[1:-1]:
        if bracket == "{" and holder:
            keys.append(holder)
    bracket, holder, current, sep = frames[-1]
    if holder and (not keys or keys[-1] != holder):
        keys.append(holder)
    segment = text[sep:]
    if bracket == "[":
        _, f = _resolve(root, keys)
        if f is None or f.type.kind != "list":
            return None
        word = segment.strip()
        return Cursor(None, f, word, len(text) - len(word), True)
    record, _ = _resolve(root, keys) if keys else (base_record, None)
    if record is None:
        return None
    if current is not None:
        f = record.by_name.get(current)
        if f is None:
            return None
        value = segment.lstrip()
        return Cursor(record, f, value, len(text) - len(value))
    word = segment.strip()
    return Cursor(record, None, word, len(text) - len(word))


def word_range(text: str, column: int) -> tuple[int, int]:
    """The [start, end) columns of the word (an id, a sku, a date) around `column`."""
    for m in _WORD.finditer(text):
        if m.start() <= column <= m.end():
            return m.start(), m.end()
    return column, column
