"""Splice new text into a record file's front matter, checked by ruamel.yaml (its one importer).

ruamel.yaml (round-trip mode) composes the front matter into nodes whose marks give the exact
character span of every key and value, and the new text is spliced into the original string,
so comments, key order, quoting, flow or block style, blank lines, line endings, a BOM and the
Markdown body are kept byte for byte. After splicing, ruamel loads the old and the new front
matter and the data must differ by exactly the intended change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from textcrm.edit.refusals import EditRefused
from textcrm.encode import yaml_scalar

BOM = "\ufeff"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


# --- YAML text ------------------------------------------------------------------------------


def _yaml() -> YAML:
    return YAML(typ="rt", pure=True)


def _load_value(text: str) -> Any:
    return _plain(_yaml().load(f"v: {text}\n")["v"])


def _plain(value: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists, for comparing data."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _has_anchor(node: Node) -> bool:
    if getattr(node, "anchor", None):
        return True
    if isinstance(node, MappingNode):
        return any(_has_anchor(k) or _has_anchor(v) for k, v in node.value)
    if isinstance(node, SequenceNode):
        return any(_has_anchor(v) for v in node.value)
    return False


# --- the document ---------------------------------------------------------------------------


class Document:
    """A record file's text with its front matter's node tree, edited by splicing text."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise EditRefused(f"{path} is not valid UTF-8; fix it first") from None
        self.bom = text.startswith(BOM)
        if self.bom:
            text = text[1:]
        lines = text.splitlines(keepends=True)
        if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
            raise EditRefused(f"{path} does not start with a `---` line; fix it first")
        self.newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
        for i in range(1, len(lines)):
            if lines[i].rstrip("\r\n").rstrip() in ("---", "..."):
                break
        else:
            raise EditRefused(f"{path}: the front matter is never closed; fix it first")
        self.head = lines[0]
        self.front = "".join(lines[1:i])
        self.tail = "".join(lines[i:])
        self.intended: list[Callable[[dict[str, Any]], None]] = []
        self._compose()
        self.original = self._data()

    def _compose(self) -> None:
        try:
            node = _yaml().compose(self.front)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 2})" if mark is not None else ""
            raise EditRefused(
                f"{self.path}: the front matter is not valid YAML{where}; fix it first"
            ) from None
        if node is not None and not (isinstance(node, MappingNode) and not node.flow_style):
            raise EditRefused(
                f"{self.path}: the front matter is not a block of `key: value` lines; "
                "edit this file by hand"
            )
        self.root: MappingNode | None = node
        if node is not None and _has_anchor(node):
            # An alias shares its anchor's node (and marks): a splice could land elsewhere.
            raise EditRefused(
                f"{self.path}: the front matter uses YAML anchors or aliases (`&x`, `*x`); "
                "edit this file by hand"
            )
        seen: dict[str, int] = {}
        for key, _value in node.value if node is not None else ():
            name = str(key.value)
            if name in seen:
                raise EditRefused(
                    f"{self.path}: `{name}` is given twice (lines {seen[name]} and "
                    f"{key.start_mark.line + 2}); keep one first"
                )
            seen[name] = key.start_mark.line + 2

    def _data(self) -> dict[str, Any]:
        try:
            loaded = _yaml().load(self.front)
        except YAMLError:
            raise EditRefused(
                f"{self.path}: the front matter cannot be read; run "
                f"`textcrm check {self.path}` and fix it first"
            ) from None
        return _plain(loaded) if isinstance(loaded, dict) else {}

    def to_bytes(self) -> bytes:
        text = (BOM if self.bom else "") + self.head + self.front + self.tail
        return text.encode("utf-8")

    def verify(self) -> None:
        """The data must differ from the original by exactly the intended changes."""
        expected = dict(self.original)
        for change in self.intended:
            change(expected)
        if self._data() != expected:  # pragma: no cover - a bug, never the user's doing
            raise AssertionError(f"{self.path}: the edit changed more than intended")

    # Locating ------------------------------------------------------------------------------
    def _pair(self, key: str) -> tuple[ScalarNode, Node] | None:
        if self.root is None:
            return None
        found = [(k, v) for k, v in self.root.value if isinstance(k, ScalarNode) and k.value == key]
        return found[0] if found else None

    def has(self, key: str) -> bool:
        return self._pair(key) is not None

    def _splice(self, start: int, end: int, text: str) -> None:
        self.front = self.front[:start] + text.replace("\n", self.newline) + self.front[end:]
        self._compose()

    def _line_end(self, pos: int) -> int:
        nl = self.front.find("\n", pos)
        return len(self.front) if nl < 0 else nl + 1

    def _end(self, node: Node) -> int:
        """Where the node's own text ends (not counting blank lines and comments after it)."""
        if isinstance(node, ScalarNode):
            start, end = node.start_mark.index, node.end_mark.index
            if node.style in ("|", ">"):
                return start + len(self.front[start:end].rstrip())
            return int(end)
        if getattr(node, "flow_style", False) or not node.value:
            return int(node.end_mark.index)
        if isinstance(node, MappingNode):
            key, value = node.value[-1]
            empty = isinstance(value, ScalarNode) and value.value == "" and value.style is None
            return self._colon(key) + 1 if empty else self._end(value)
        return self._end(node.value[-1])

    def _colon(self, key: Node) -> int:
        return self.front.index(":", key.end_mark.index)

    def _indent(self) -> str:
        column = self.root.start_mark.column if self.root is not None else 0
        return " " * int(column)

    def _append_line(self, text: str) -> None:
        """Add `text` (a whole line) at the end of the front matter."""
        end = len(self.front)
        prefix = "" if not self.front or self.front.endswith("\n") else "\n"
        self._splice(end, end, prefix + self._indent() + text + "\n")

    # Changing ------------------------------------------------------------------------------
    def append_body(self, text: str) -> None:
        """Add Markdown `text` at the end of the body, after a blank line; the front matter and
        the body's existing text stay as they are."""
        nl = self.newline
        tail = self.tail
        if not tail.endswith(("\n", "\r")):
            tail += nl
        closing = tail.splitlines(keepends=True)
        gap = "" if len(closing) <= 1 or tail.endswith(nl + nl) else nl
        self.tail = tail + gap + text.replace("\n", nl)

    def set_scalar(self, key: str, text: str, literal: bool = False) -> None:
        """Give a top-level key a single value: replace it, fill it, or add the key at the end."""
        pair = self._pair(key)
        if pair is None:
            written = yaml_scalar(text, literal=literal)
            self._append_line(f"{key}: {written}")
        else:
            key_node, value = pair
            if not isinstance(value, ScalarNode):
                raise EditRefused(
                    f"{self.path}: `{key}` holds a list or a mapping, not a single "
                    "value; edit it by hand"
                )
            style = value.style if value.style in ("'", '"') else None
            written = yaml_scalar(text, literal=literal, style=style)
            if value.value == "" and value.style is None:
                colon = self._colon(key_node)
                self._splice(colon + 1, colon + 1, " " + written)
            else:
                self._splice(value.start_mark.index, self._end(value), written)
        loaded = _load_value(written)
        self.intended.append(lambda data: data.__setitem__(key, loaded))

    def append_item(self, key: str, item: list[tuple[str, str, bool]]) -> None:
        """Append a mapping to a top-level list, in the style of the list's last item.

        `item` is (name, text, literal) triples in the order they are written.
        """
        flow_item = "{" + ", ".join(f"{n}: {yaml_scalar(t, True, lit)}" for n, t, lit in item) + "}"
        pair = self._pair(key)
        if pair is None:
            self._append_line(f"{key}:\n{self._indent()}  - {flow_item}")
        else:
            key_node, value = pair
            if isinstance(value, ScalarNode):
                if value.style is not None or value.value not in _NULLS:
                    raise EditRefused(f"{self.path}: `{key}` is not a list; edit it by hand")
                colon = self._colon(key_node)
                if value.value:  # `~` or `null`: an empty list, written out; drop the word
                    self._splice(colon + 1, value.end_mark.index, "")
                at = self._line_end(colon)
                column = key_node.start_mark.column
                self._splice(at, at, " " * column + f"  - {flow_item}\n")
            elif isinstance(value, SequenceNode) and value.flow_style:
                self._append_flow(value, flow_item)
            elif isinstance(value, SequenceNode):
                self._append_block(value, item, flow_item)
            else:
                raise EditRefused(f"{self.path}: `{key}` is not a list; edit it by hand")
        loaded = _load_value(flow_item)

        def change(data: dict[str, Any]) -> None:
            current = data.get(key)
            data[key] = [*(current if isinstance(current, list) else []), loaded]

        self.intended.append(change)

    def item_at_line(self, key: str, line: int, nth: int = 0) -> int | None:
        """The index of the `nth` item of the top-level list `key` that starts on file `line`
        (several do in `[{...}, {...}]`)."""
        pair = self._pair(key)
        seq = pair[1] if pair is not None else None
        if not isinstance(seq, SequenceNode):
            return None
        # The front matter starts on file line 2.
        found = [i for i, node in enumerate(seq.value) if node.start_mark.line + 2 == line]
        return found[nth] if nth < len(found) else None

    def add_to_item(self, key: str, index: int, name: str, text: str, literal: bool) -> None:
        """Add `name: text` to the `index`th mapping of the top-level list `key`, in its style
        (inside the braces of a flow mapping, as a line of its own in a block mapping)."""
        pair = self._pair(key)
        seq = pair[1] if pair is not None else None
        if not isinstance(seq, SequenceNode) or index >= len(seq.value):
            raise EditRefused(f"{self.path}: `{key}` is not a list; edit it by hand")
        node = seq.value[index]
        if not isinstance(node, MappingNode) or not node.value:
            raise EditRefused(f"{self.path}: item {index + 1} of `{key}` is not a mapping")
        if any(isinstance(k, ScalarNode) and k.value == name for k, _v in node.value):
            raise EditRefused(f"{self.path}: item {index + 1} of `{key}` already has `{name}`")
        last_key, last_value = node.value[-1]
        if node.flow_style:
            written = yaml_scalar(text, flow=True, literal=literal)
            at = self._end(last_value)
            closing = node.end_mark.index - 1
            if self.front[at:closing].strip().startswith(","):  # `{a: 1, b: 2, }`
                at = self.front.index(",", at) + 1
                self._splice(at, at, f" {name}: {written},")
            else:
                self._splice(at, at, f", {name}: {written}")
        else:
            written = yaml_scalar(text, literal=literal)
            at = self._line_end(self._end(last_value))
            prefix = "" if self.front[:at].endswith("\n") else "\n"
            pad = " " * int(last_key.start_mark.column)
            self._splice(at, at, f"{prefix}{pad}{name}: {written}\n")
        loaded = _load_value(written)

        def change(data: dict[str, Any]) -> None:
            items = list(data[key])  # copies: `data` shares its lists with the original
            items[index] = {**items[index], name: loaded}
            data[key] = items

        self.intended.append(change)

    def _append_flow(self, seq: SequenceNode, flow_item: str) -> None:
        if not seq.value:
            self._splice(seq.start_mark.index, seq.end_mark.index, f"[{flow_item}]")
            return
        last = seq.value[-1]
        at = self._end(last)
        closing = seq.end_mark.index - 1
        between = self.front[at:closing]
        trailing_comma = between.strip().startswith(",")
        if trailing_comma:
            at = self.front.index(",", at) + 1
        if last.start_mark.line > seq.start_mark.line:
            text = f"\n{' ' * last.start_mark.column}{flow_item}"
        else:
            text = f" {flow_item}"
        self._splice(at, at, (text + ",") if trailing_comma else ("," + text))

    def _append_block(
        self, seq: SequenceNode, item: list[tuple[str, str, bool]], flow_item: str
    ) -> None:
        last = seq.value[-1]
        line_start = self.front.rfind("\n", 0, last.start_mark.index) + 1
        dash = self.front.index("-", line_start)
        lead = self.front[line_start:dash]
        if lead.strip():  # the item does not start its own line (`- - x`): too odd to guess
            raise EditRefused(f"{self.path}: cannot tell how to add to this list; edit by hand")
        at = self._line_end(self._end(last))
        prefix = "" if self.front[:at].endswith("\n") else "\n"
        if isinstance(last, MappingNode) and not last.flow_style and last.value:
            gap = last.value[0][0].start_mark.column - (dash - line_start) - 1
            pad = " " * (last.value[0][0].start_mark.column)
            lines = [f"{n}: {yaml_scalar(t, False, lit)}" for n, t, lit in item]
            text = f"{lead}-{' ' * gap}{lines[0]}\n" + "".join(f"{pad}{ln}\n" for ln in lines[1:])
        else:
            text = f"{lead}- {flow_item}\n"
        self._splice(at, at, prefix + text)
