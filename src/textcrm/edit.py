"""Round-trip edits of record files that change only the lines they must; the ruamel.yaml importer.

An edit never re-dumps the YAML: ruamel.yaml (round-trip mode) composes the front matter into
nodes whose marks give the exact character span of every key and value, and the new text is
spliced into the original string. Comments, key order, quoting, flow or block style, blank
lines, line endings (CRLF stays CRLF), a BOM and the Markdown body are therefore kept byte for
byte. After splicing, ruamel loads the old and the new front matter and the data must differ by
exactly the intended change; then the file is re-parsed and re-checked against the repository
before it is written atomically.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from textcrm import layout
from textcrm import schema as sc
from textcrm.diagnostics import Diagnostic, format_line
from textcrm.encode import yaml_scalar
from textcrm.errors import EnvironmentFailure, GitError, TextcrmError, UsageError
from textcrm.loader import DiskReader, OverlayReader, load, read_record, read_value
from textcrm.model import Activity, Opportunity, Product
from textcrm.repository import Repository

BOM = "\ufeff"
# Days ahead of today for a new opportunity's close date when none is given.
DEFAULT_CLOSE_DAYS = 90
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Scalar fields `textcrm set` may change, and the ones it sends elsewhere.
SETTABLE = tuple(
    f.name
    for f in sc.OPPORTUNITY.fields
    if f.type.kind not in ("list", "records", "record") and f.name != "stage"
)


class EditRefused(TextcrmError):
    """An edit that was not made; the file is untouched (exit 1)."""


class CommitRefused(TextcrmError):
    """The edit was written but `--commit` did not commit it; `report` is what to print first
    (the edit, then what git and the hook said)."""

    def __init__(self, report: str, message: str) -> None:
        super().__init__(message)
        self.report = report


class ConcurrentChange(EditRefused):
    """The file changed on disk after it was read."""


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


# --- edits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """A change to one file: its bytes before (None for a new file) and after."""

    path: str
    before: bytes | None
    after: bytes
    summary: str
    notes: tuple[str, ...] = ()
    expect: Callable[[Any], str | None] | None = field(default=None, compare=False)

    def diff(self) -> str:
        """The unified diff of the change, as `git diff` would show it."""
        old = (self.before or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = self.after.decode("utf-8", "replace").splitlines(keepends=True)
        lines = difflib.unified_diff(
            old, new, "/dev/null" if self.before is None else f"a/{self.path}", f"b/{self.path}"
        )
        return "".join(
            ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n" for ln in lines
        )


@dataclass(frozen=True)
class Target:
    """The opportunity an edit is about, with the repository and the file's bytes as read."""

    repo: Repository
    opp: Opportunity
    data: bytes


def read_bytes(root: Path, relpath: str) -> bytes:
    """A record file's bytes, or EditRefused when it cannot be read."""
    found = DiskReader(root).read(relpath)
    if isinstance(found, Diagnostic):
        raise EditRefused(f"{relpath} {found.message}")
    return found


def open_opportunity(root: Path, today: date, name: str) -> Target:
    """Find the opportunity `name` designates (see lookup.locate_opportunity), read its file."""
    from textcrm.lookup import AmbiguousName, locate_opportunity

    try:
        repo, opp = locate_opportunity(root, today, name)
    except AmbiguousName as exc:
        raise UsageError(f"{exc.message}; nothing changed") from None
    return Target(repo, opp, read_bytes(root, opp.path))


def _finish(
    target: Target,
    doc: Document,
    summary: str,
    notes: Iterable[str] = (),
    expect: Callable[[Any], str | None] | None = None,
) -> Edit:
    doc.verify()
    return Edit(target.opp.path, target.data, doc.to_bytes(), summary, tuple(notes), expect)


def _converted(name: str, text: str) -> Any:
    """Parse a value typed on the command line as the format requires, or refuse."""
    spec = sc.OPPORTUNITY.by_name.get(name) or sc.ACTIVITY.by_name[name]
    value, problem = read_value(spec, yaml_scalar(text, literal=True))
    if problem:
        raise EditRefused(problem)
    if value is None:
        raise EditRefused(f"{name}: give a value")
    return value


def _literal(name: str) -> bool:
    """Fields whose text is a date, a number or a code, written plain when it parses."""
    kind = sc.OPPORTUNITY.by_name[name].type.kind if name in sc.OPPORTUNITY.by_name else ""
    return kind in ("date", "money", "percent", "quantity", "integer", "currency")


def log_activity(
    target: Target,
    type_: str,
    summary: str | None,
    day: date | str,
    contact: str | None = None,
    follow_up: str | None = None,
    next_step: str | None = None,
    message_id: str | None = None,
    uid: str | None = None,
    quoted_body: str | None = None,
) -> Edit:
    """Append an activity (dated `day`, a date or YYYY-MM-DD text); optionally set follow_up
    and next_step.

    `message_id` and `uid` record the email or calendar event it was logged from;
    `quoted_body` is Markdown added at the end of the file's body (an email's text).
    """
    on: date = _converted("date", day) if isinstance(day, str) else day
    # Stored as given but read back trimmed: trim first, so what is written is what is read.
    summary = summary.strip() if summary else summary
    contact = contact.strip() if contact else contact
    doc = Document(target.opp.path, target.data)
    _converted("type", type_)
    item: list[tuple[str, str, bool]] = [("date", on.isoformat(), True), ("type", type_, True)]
    if contact:
        item.append(("contact", contact, False))
    if summary:
        item.append(("summary", summary, False))
    if message_id:
        item.append(("message_id", message_id, False))
    if uid:
        item.append(("uid", uid, False))
    doc.append_item("activities", item)
    if quoted_body:
        doc.append_body(quoted_body)
    expected = Activity(
        date=on,
        type=type_,
        contact=contact or "",
        summary=summary or "",
        message_id=message_id or "",
        uid=uid or "",
    )
    follow = _converted("follow_up", follow_up) if follow_up else None
    if follow_up:
        doc.set_scalar("follow_up", follow_up.strip(), literal=True)
    if next_step is not None:
        _converted("next_step", next_step)
        doc.set_scalar("next_step", next_step)

    def expect(opp: Any) -> str | None:
        got = [replace(a, line=1) for a in opp.activities]
        if expected not in got:
            return "the new activity does not read back as written"
        if follow is not None and opp.follow_up != follow:
            return "follow_up does not read back as written"
        if next_step is not None and opp.next_step != next_step.strip():
            return "next_step does not read back as written"
        return None

    return _finish(target, doc, f"log {type_} on {target.opp.id}", expect=expect)


def set_value(target: Target, name: str, text: str) -> Edit:
    """Set one scalar field of the opportunity to `text`, validated as the format requires."""
    if name == "stage":
        raise UsageError(
            "change the stage with `textcrm move OPPORTUNITY STAGE`: it enforces the stage's gate"
        )
    if name not in SETTABLE:
        from textcrm.suggest import did_you_mean as suggest

        raise UsageError(
            f"`{name}` is not a field `set` can change"
            + suggest(name, list(SETTABLE))
            + f" (fields: {', '.join(SETTABLE)}); edit lists by hand"
        )
    value = _converted(name, text)
    doc = Document(target.opp.path, target.data)
    doc.set_scalar(name, text.strip() if _literal(name) else text, literal=_literal(name))

    def expect(opp: Any) -> str | None:
        return None if getattr(opp, name) == value else f"{name} does not read back as written"

    return _finish(target, doc, f"set {name} on {target.opp.id}", expect=expect)


def _pin(target: Target, doc: Document, products: Mapping[str, Product] | None = None) -> int:
    """Write the catalog price (from `products`, else the repository's catalog) into each line
    of the opportunity that takes its price from the catalog; the number of lines pinned."""
    from textcrm.checks.amounts import unpriced_lines
    from textcrm.money import plain

    # Every index first: adding a line to a block item moves the lines of the next ones.
    position = {}  # id(item) -> its rank among the items starting on its line
    for n, item in enumerate(target.opp.line_items):
        position[id(item)] = sum(1 for o in target.opp.line_items[:n] if o.line == item.line)
    found = [
        (doc.item_at_line("line_items", item.line, position[id(item)]), product)
        for item, product in unpriced_lines(target.repo, target.opp, products)
    ]
    for index, product in found:
        if index is None:  # pragma: no cover - the parser's line is the item's first line
            raise EditRefused(f"{doc.path}: cannot find a line item; edit it by hand")
        doc.add_to_item("line_items", index, "unit_price", plain(product.unit_price), True)
    return len(found)


def _lines_note(count: int) -> str:
    lines = "line" if count == 1 else "lines"
    return (
        f"unit_price written into {count} {lines} from the catalog: the deal keeps these "
        "prices when the catalog changes"
    )


def pin_prices(target: Target, products: Mapping[str, Product] | None = None) -> Edit:
    """Write the catalog prices into the lines that still take their price from the catalog."""
    doc = Document(target.opp.path, target.data)
    count = _pin(target, doc, products)
    if not count:
        return Edit(target.opp.path, target.data, target.data, f"pin prices on {target.opp.id}")
    lines = "line" if count == 1 else "lines"
    return _finish(target, doc, f"pin the catalog price of {count} {lines} on {target.opp.id}")


def catalog_at(root: Path, today: date, ref: str) -> Mapping[str, Product]:
    """The catalog (products.yaml) as it was at a commit."""
    from textcrm import git
    from textcrm.errors import GitError

    top = git.toplevel(root)
    commit = git.resolve(top, ref) if top is not None else None
    if commit is None:
        raise UsageError(f"--prices-at {ref}: not a commit in the git repository of {root}")
    try:
        reader = git.GitReader(root, commit=commit, top=top)
        return load(
            root, today, reader, paths=set(), use_cache=False, run_checks=False
        ).repository.products
    except GitError as exc:  # pragma: no cover - git failed between two calls
        raise UsageError(f"--prices-at {ref}: {exc.message}") from None


def pin_targets(root: Path, today: date, names: Iterable[str]) -> list[Target]:
    """The opportunities `pin-prices` works on: the named ones, else every quoted or closed
    deal that has a line taking its price from the catalog."""
    from textcrm.checks.amounts import price_promised, unpriced_lines

    wanted = list(names)
    if wanted:
        return [open_opportunity(root, today, name) for name in wanted]
    repo = load(root, today, run_checks=False).repository
    return [
        Target(repo, opp, read_bytes(root, opp.path))
        for opp in sorted(repo.opportunities.values(), key=lambda o: o.id)
        if price_promised(repo, opp) and unpriced_lines(repo, opp)
    ]


def move_stage(
    target: Target,
    stage_key: str,
    today: date,
    lost_reason: str | None = None,
    close_date: str | None = None,
    keep_probability: bool = False,
) -> Edit:
    """Move the opportunity to another stage, enforcing that stage's gate."""
    from textcrm.checks.stages import missing_for_gate
    from textcrm.money import plain
    from textcrm.suggest import did_you_mean as suggest

    config, opp = target.repo.config, target.opp
    stage = config.stage(stage_key)
    keys = [s.key for s in config.stages]
    if stage is None:
        raise UsageError(
            f"`{stage_key}` is not a stage in textcrm.yaml"
            + suggest(stage_key, keys)
            + f" (stages: {', '.join(keys)})"
        )
    if lost_reason is not None and stage.outcome != "lost":
        raise UsageError(f"--lost-reason is for a lost stage; {stage.key} is not one")
    if stage.key == opp.stage and lost_reason is None and close_date is None:
        raise EditRefused(f"{opp.id} is already in stage {stage.key}; nothing changed")
    after = replace(opp, lost_reason=lost_reason.strip()) if lost_reason else opp
    missing = missing_for_gate(after, stage.requires)
    if missing:
        hints = []
        for m in missing:
            if m == "lost_reason":
                hints.append("pass --lost-reason TEXT")
            elif m in SETTABLE:
                hints.append(f"`textcrm set {opp.id} {m} VALUE`")
        how = f" ({'; '.join(hints)})" if hints else ""
        raise EditRefused(
            f"cannot move {opp.id} to {stage.key}: the stage requires "
            + ", ".join(f"`{m}`" for m in missing)
            + f", missing or empty in {opp.path}; add {'it' if len(missing) == 1 else 'them'}"
            f" first{how}. Nothing changed."
        )
    doc = Document(opp.path, target.data)
    notes = []
    doc.set_scalar("stage", stage.key)
    if opp.has("probability") and not keep_probability:
        doc.set_scalar("probability", plain(stage.probability), literal=True)
        notes.append(
            f"probability set to the stage's {plain(stage.probability)}% "
            "(--keep-probability keeps your own)"
        )
    if close_date is not None:
        _converted("close_date", close_date)
        doc.set_scalar("close_date", close_date.strip(), literal=True)
    elif stage.outcome is not None:
        doc.set_scalar("close_date", today.isoformat(), literal=True)
        notes.append(f"close_date set to today, {today.isoformat()} (--close-date to give another)")
    if lost_reason is not None:
        doc.set_scalar("lost_reason", lost_reason.strip())
    if stage.outcome is not None:  # a closed deal's prices never move again
        pinned = _pin(target, doc)
        if pinned:
            notes.append(_lines_note(pinned))
    wanted_reason = lost_reason.strip() if lost_reason is not None else None

    def expect(moved: Any) -> str | None:
        if moved.stage != stage.key:
            return "the stage does not read back as written"
        if wanted_reason is not None and moved.lost_reason != wanted_reason:
            return "lost_reason does not read back as written"
        return None

    return _finish(target, doc, f"move {opp.id} to {stage.key}", notes, expect)


# --- new records ----------------------------------------------------------------------------


def new_id(kind: str, name: str, account: str | None = None) -> str:
    """The id of a new record: the slug of its name; an opportunity's starts with its account's."""
    base = layout.slug(name)
    if kind == "opportunity" and account and not base.startswith(account):
        base = f"{account}-{base}" if base else account
    return base


def _must_exist(repo: Repository, kind: str, record_id: str, option: str) -> None:
    from textcrm.suggest import did_you_mean as suggest

    if not repo.exists(kind, record_id):
        known = sorted(repo.ids.get(kind, frozenset()))
        raise EditRefused(
            f"{option} {record_id}: no such {kind} "
            f"(no {layout.record_path(kind, record_id)})" + suggest(record_id, known)
        )


def template_path(root: Path, kind: str) -> Path:
    """The new-record template: the CRM repository's own `templates/new/KIND.md` first."""
    from textcrm.render import override, packaged_templates

    name = f"new/{kind}.md"
    own = override(root, name)
    if own is not None:
        return own
    path = packaged_templates() / name
    if path.is_file():
        return path
    raise EditRefused(f"no template new/{kind}.md found")  # pragma: no cover


def _render_template(root: Path, kind: str, **context: Any) -> str:
    """Render the new-record template; a broken override is a message, not a traceback."""
    from textcrm.render import TemplateFailed, render_string

    path = template_path(root, kind)
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EditRefused(f"{shown} cannot be read: {exc}") from None
    try:
        return render_string(source, context, shown)
    except TemplateFailed as exc:
        raise EditRefused(exc.message) from None


def new_record(
    root: Path,
    today: date,
    kind: str,
    name: str,
    options: dict[str, str | None],
    record_id: str | None = None,
) -> Edit:
    """Create a record file from its template; an opportunity's `created` is today, or its
    close date when that is already past, unless given."""
    repo = load(root, today, paths=set(), use_cache=False, run_checks=False).repository
    config = repo.config
    opts = {k: (v.strip() if isinstance(v, str) else v) for k, v in options.items()}
    notes: list[str] = []
    if not name.strip():
        raise UsageError("give the new record a name")
    if opts.get("account"):
        _must_exist(repo, "account", str(opts["account"]), "--account")
    if opts.get("contact"):
        _must_exist(repo, "contact", str(opts["contact"]), "--contact")
    owner = opts.get("owner")
    if owner and config.owners is not None and config.owner(owner) is None:
        from textcrm.suggest import did_you_mean as suggest

        keys = [o.key for o in config.owners]
        raise EditRefused(
            f"--owner {owner}: not one of textcrm.yaml's owners "
            f"({', '.join(keys)})" + suggest(owner, keys)
        )
    values: dict[str, str] = {"name" if kind != "opportunity" else "title": name.strip()}
    if kind == "opportunity":
        stage_key = opts.get("stage") or config.open_stages[0].key
        stage = config.stage(stage_key)
        if stage is None:
            from textcrm.suggest import did_you_mean as suggest

            keys = [s.key for s in config.stages]
            raise UsageError(
                f"--stage {stage_key}: not a stage in textcrm.yaml"
                + suggest(stage_key, keys)
                + f" (stages: {', '.join(keys)})"
            )
        if not opts.get("amount") and stage.is_open:
            raise UsageError(
                "an open opportunity needs an estimate: pass --amount "
                "(list products as line_items in the file later)"
            )
        close = opts.get("close_date")
        if not close:
            close = (today + timedelta(days=DEFAULT_CLOSE_DAYS)).isoformat()
            notes.append(
                f"close_date set to {close} ({DEFAULT_CLOSE_DAYS} days from today); "
                "change it with `textcrm set`"
            )
        created = opts.get("created")
        if created:
            _converted("created", created)
        else:
            created = today.isoformat()
            if stage.outcome and _converted("close_date", close) < today:
                # A closed deal entered after the fact cannot have been created after it
                # closed: that would be a negative sales cycle.
                created = close
                notes.append(
                    f"created set to the close date {created}; give --created for the day "
                    "the deal was opened"
                )
        values.update(stage=stage.key, close_date=close, created=created)
        for key in ("account", "owner", "amount", "contact"):
            if opts.get(key):
                values[key] = str(opts[key])
        for key in ("close_date", "amount"):
            _converted(key, values[key])
    else:
        values.update({k: str(v) for k, v in opts.items() if v})
    rid = record_id or new_id(kind, name, opts.get("account"))
    if not rid or layout.slug(rid) != rid:
        raise UsageError(
            f"`{rid or name}` does not make a usable id; pass --id "
            "(lower-case letters, digits and hyphens)"
        )
    path = layout.record_path(kind, rid)
    if repo.exists(kind, rid) or (root / path).exists():
        raise EditRefused(
            f"{path} already exists; not overwritten (pass --id to choose another id)"
        )
    literal = {"close_date", "created", "amount"}
    # `contact` sits inside a flow mapping in the template, where commas would split it.
    yaml_values = {
        k: yaml_scalar(v, flow=k == "contact", literal=k in literal) for k, v in values.items()
    }
    text = _render_template(
        root,
        kind,
        raw=values,
        id=rid,
        **{k: yaml_values.get(k, "") for k in sc.NEW_RECORD_VALUES[kind]},
    )
    label = "title" if kind == "opportunity" else "name"

    def expect(record: Any) -> str | None:
        if getattr(record, label) != values[label]:
            return f"the {label} does not read back as written"
        return None

    return Edit(path, None, text.encode("utf-8"), f"new {kind} {rid}", tuple(notes), expect)


# --- checking and writing -------------------------------------------------------------------


def _key(d: Diagnostic) -> tuple[str, str]:
    return (d.code, d.message)


def _read_back(edit: Edit) -> None:
    """The written values must parse back to what was asked for."""
    kind, record_id = layout.classify(edit.path) or ("", "")
    record, _ = read_record(kind, edit.path, record_id, edit.after)
    problem = (
        "it cannot be read back"
        if record is None
        else (edit.expect(record) if edit.expect else None)
    )
    if not problem:
        return
    if edit.before is None:  # a new file comes from a template the user may have changed
        raise EditRefused(
            f"the new file {edit.path} is not right: {problem}; check templates/new/{kind}.md"
        )
    raise AssertionError(f"{edit.path}: {problem}")  # pragma: no cover - a bug in the writer


def check_edit(root: Path, today: date, edit: Edit) -> list[Diagnostic]:
    """Re-parse and re-check the edited file; refuse an edit that adds errors.

    Returns the warnings the edit adds. Problems the file already had do not block an edit.
    """
    before: list[Diagnostic] = []
    if edit.before is not None:
        before = load(
            root,
            today,
            OverlayReader(DiskReader(root), {edit.path: edit.before}),
            paths={edit.path},
            use_cache=False,
        ).diagnostics
    after = load(
        root,
        today,
        OverlayReader(DiskReader(root), {edit.path: edit.after}),
        paths={edit.path},
        use_cache=False,
    ).diagnostics
    added = Counter(_key(d) for d in after) - Counter(_key(d) for d in before)
    new = []
    for d in after:
        if added[_key(d)] > 0:
            added[_key(d)] -= 1
            new.append(d)
    errors = [d for d in new if d.severity == "error"]
    if errors:
        listing = "\n".join(f"  {format_line(d)}" for d in errors)
        these = "this error" if len(errors) == 1 else "these errors"
        if edit.before is None:
            raise EditRefused(
                f"refused: the new file {edit.path} would have {these}; nothing written:\n{listing}"
            )
        raise EditRefused(
            f"refused: the edit would leave {edit.path} with {these}; nothing changed:\n{listing}"
        )
    _read_back(edit)
    return [d for d in new if d.severity != "error"]


def save(root: Path, edit: Edit) -> None:
    """Write the edit atomically; refuse when the file changed on disk since it was read."""
    from textcrm.fsutil import atomic_write

    try:
        layout.resolve_inside(root, edit.path)
    except layout.OutsideRepository as exc:
        raise EditRefused(f"refused: {exc}; nothing written") from None
    full = root / edit.path

    def unchanged() -> None:
        try:
            current: bytes | None = full.read_bytes()
        except FileNotFoundError:
            current = None
        if current != edit.before:
            what = (
                "was created"
                if edit.before is None
                else ("was deleted" if current is None else "changed on disk")
            )
            raise ConcurrentChange(
                f"{edit.path} {what} since textcrm read it (another editor saved it?); "
                "nothing written. Run the command again."
            )

    unchanged()
    try:
        full.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(full, edit.after, before_replace=unchanged)
    except OSError as exc:
        left = (
            f"{edit.path} was not created" if edit.before is None else f"{edit.path} is unchanged"
        )
        raise EnvironmentFailure(f"cannot write {edit.path}", exc, left) from None


def apply(root: Path, today: date, edit: Edit, dry_run: bool = False, commit: bool = False) -> str:
    """Check the edit, then print its diff (dry run) or write it (and commit it); the report."""
    if edit.before == edit.after:
        return f"{edit.path}: already so; nothing changed\n"
    warnings = check_edit(root, today, edit)
    return "\n".join(carry_out(root, edit, warnings, dry_run, commit)) + "\n"


def carry_out(
    root: Path,
    edit: Edit,
    warnings: Iterable[Diagnostic],
    dry_run: bool,
    commit: bool,
    reported: Iterable[str] = (),
) -> list[str]:
    """Write one checked edit, or show its diff (dry run), and commit it when asked; the lines
    that report it. `reported` is what was already reported before it (earlier edits of the
    same command), repeated when the commit is refused."""
    from textcrm.console import format_text

    lines = []
    if dry_run:
        lines.append(edit.diff().rstrip("\n"))
        lines.append(f"dry run: {edit.summary}; nothing written")
    else:
        save(root, edit)
        lines.append(f"{edit.path}: {edit.summary}")
    lines.extend(f"  note: {n}" for n in edit.notes)
    lines.extend(f"  {format_text(d, d.path)}" for d in warnings)
    if commit and not dry_run:
        from textcrm.errors import CommitFailed
        from textcrm.git import commit_file

        try:
            sha = commit_file(root, edit.path, edit.summary)
        except CommitFailed as exc:
            # What was written, then the hook's problems exactly as it printed them.
            shown = [*reported, *lines]
            raise CommitRefused(
                "\n".join(shown) + "\n" + exc.output.rstrip("\n") + "\n", exc.message
            ) from None
        except GitError as exc:
            raise GitError(
                f"{edit.path} was written ({edit.summary}) but not committed: {exc.message}; "
                "commit it yourself"
            ) from None
        lines.append(f"committed {sha[:10]}: {edit.summary}")
    return lines
