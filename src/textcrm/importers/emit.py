"""Write front matter as readable, deterministic YAML, and merge it into an existing file.

The emitter writes block style in the format's key order and quotes a string only when plain
YAML would misread it (`encode.yaml_scalar`, the quoting edits use too).
`merge` updates the fields the importer owns in an existing file and keeps every other line
of it, the Markdown body byte for byte.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from textcrm.encode import yaml_scalar
from textcrm.money import plain
from textcrm.yamlnodes import MappingNode, Node, ScalarNode, SequenceNode, compose, line_of

_FLOW_LIMIT = 100


def scalar(value: Any, flow: bool = False) -> str:
    """A scalar's YAML text: dates ISO, Decimals plain, strings quoted only when needed
    (`flow`: inside `[...]` or `{...}`)."""
    if type(value) is str:
        return _text(value, flow)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, int):
        return str(value)
    return _text(str(value), flow)


@functools.lru_cache(maxsize=1 << 16)
def _text(text: str, flow: bool = False) -> str:
    # Cached: owners, stages, account ids and tags repeat on every row of an export.
    return yaml_scalar(text, flow=flow)


def to_raw(value: Any) -> Any:
    """The value as YAML text leaves (what composing the emitted text gives back), for
    comparing what was imported with what the file holds now."""
    if type(value) is str:
        return value
    if isinstance(value, Mapping):
        return {str(k): to_raw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_raw(v) for v in value]
    return scalar(value)


def node_to_raw(node: Node | None) -> Any:
    """Composed YAML nodes as plain text leaves, lists and dicts (null is None)."""
    if node is None:
        return None
    if isinstance(node, ScalarNode):
        if node.style is None and node.value in ("", "~", "null", "Null", "NULL"):
            return None
        return node.value
    if isinstance(node, SequenceNode):
        return [node_to_raw(n) for n in node.value]
    if isinstance(node, MappingNode):
        return {str(node_to_raw(k)): node_to_raw(v) for k, v in node.value}
    return None  # pragma: no cover - compose yields only these three


def field_text(name: str, value: Any) -> str:
    """One top-level field as YAML lines (ending with a newline)."""
    if type(value) is str:
        return f"{name}: {_text(value)}\n"
    if isinstance(value, list | tuple):
        if not value:
            return f"{name}: []\n"
        if all(not isinstance(v, Mapping | list | tuple) for v in value):
            flow = f"{name}: [" + ", ".join(scalar(v, flow=True) for v in value) + "]"
            if len(flow) <= _FLOW_LIMIT:
                return flow + "\n"
            return f"{name}:\n" + "".join(f"  - {scalar(v)}\n" for v in value)
        return f"{name}:\n" + "".join(_item(v) for v in value)
    if isinstance(value, Mapping):
        return f"{name}:\n" + "".join(f"  {k}: {scalar(v)}\n" for k, v in value.items())
    return f"{name}: {scalar(value)}\n"


def _item(value: Any) -> str:
    """A list item: a flow mapping on one line when short, else a block mapping."""
    if not isinstance(value, Mapping):
        return f"  - {scalar(value)}\n"
    flow = "  - {" + ", ".join(f"{k}: {scalar(v, flow=True)}" for k, v in value.items()) + "}"
    if len(flow) <= _FLOW_LIMIT:
        return flow + "\n"
    lines = [f"{k}: {scalar(v)}" for k, v in value.items()]
    return "  - " + lines[0] + "\n" + "".join(f"    {line}\n" for line in lines[1:])


def front_matter(fields: Iterable[tuple[str, Any]]) -> str:
    """The front matter block, `---` lines included."""
    return "---\n" + "".join(field_text(k, v) for k, v in fields) + "---\n"


def document(fields: Iterable[tuple[str, Any]], body: str) -> str:
    """A whole record file: front matter, then the Markdown body."""
    text = front_matter(fields)
    if body:
        text += body if body.endswith("\n") else body + "\n"
    return text


def current_fields(front: str) -> tuple[dict[str, Any], dict[str, tuple[int, int]]] | None:
    """An existing front matter's fields (text leaves) and each top-level key's line span
    [start, end) within `front`; None when it is not a block mapping we can edit by lines."""
    node, problem = compose(front)
    if problem is not None or not isinstance(node, MappingNode) or node.flow_style:
        return None
    lines = front.splitlines(keepends=True)
    starts = [(line_of(k), str(k.value)) for k, _v in node.value]
    spans: dict[str, tuple[int, int]] = {}
    for i, (start, key) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(lines)
        # Trailing comment and blank lines stay with the next key or the end, not this one.
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        spans[key] = (start, end)
    values = {str(k.value): node_to_raw(v) for k, v in node.value}
    return values, spans


def merge(front: str, order: list[str], changes: Mapping[str, Any | None]) -> str:
    """`front` with each changed field replaced (None removes it) and new fields inserted
    after the nearest field that precedes them in `order`; every other line is kept."""
    parsed = current_fields(front)
    if parsed is None:  # pragma: no cover - callers only merge what current_fields accepted
        raise ValueError("front matter is not a block mapping")
    _values, spans = parsed
    lines = front.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    replace: dict[int, str] = {}
    drop: set[int] = set()
    after: dict[int, list[str]] = {}
    head: list[str] = []
    for name, value in changes.items():
        if name in spans:
            start, end = spans[name]
            drop.update(range(start, end))
            if value is not None:
                replace[start] = field_text(name, value)
            continue
        if value is None:
            continue
        anchor = _anchor(name, order, spans)
        if anchor is None:
            head.append(field_text(name, value))
        else:
            after.setdefault(spans[anchor][1] - 1, []).append(field_text(name, value))
    out = list(head)
    for i, line in enumerate(lines):
        if i in replace:
            out.append(replace[i])
        elif i not in drop:
            out.append(line)
        out.extend(after.get(i, []))
    return "".join(out)


def _anchor(name: str, order: list[str], spans: Mapping[str, tuple[int, int]]) -> str | None:
    """The existing key after which a new field goes: the last present one before it in
    `order`, else the last key of the file."""
    if name in order:
        for prior in reversed(order[: order.index(name)]):
            if prior in spans:
                return prior
        return None
    return max(spans, key=lambda k: spans[k][1]) if spans else None
