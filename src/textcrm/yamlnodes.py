"""Compose YAML into position-carrying nodes; the only module that imports PyYAML to read.

Nodes keep each value's line and column and its raw scalar text, so the parser can point at
the exact key, see duplicate keys, and turn `0.1` into Decimal without passing through float.
The C composer is used when present. Scalars are never resolved with YAML 1.1 rules here
(`NO`, `on` and `12:30` stay text); the schema decides what a value means.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

try:
    _Base: type = yaml.CBaseLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.BaseLoader

_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_DEFAULT_TAG = {yaml.ScalarNode: _STR, yaml.SequenceNode: _SEQ, yaml.MappingNode: _MAP}


class _Loader(_Base):
    """The C composer without tag resolution: every untagged node gets the plain default tag.

    The composer calls these three methods for every node; BaseResolver's versions do work we
    never use (path resolvers, implicit resolvers), which was a third of the composing time.
    """

    def resolve(self, kind: type, value: object, implicit: object) -> str:
        return _DEFAULT_TAG[kind]

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


Node = yaml.Node
ScalarNode = yaml.ScalarNode
MappingNode = yaml.MappingNode
SequenceNode = yaml.SequenceNode

STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "binary")
)
NULLS = frozenset({"", "~", "null", "Null", "NULL"})


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """A YAML syntax error at a 0-based line and column of the composed text."""

    line: int
    column: int
    message: str
    context: str = ""  # what the parser was reading, when it began on an earlier line
    context_line: int = 0


def compose(text: str) -> tuple[Node | None, YamlProblem | None]:
    """Compose one YAML document into nodes; an empty document gives (None, None)."""
    try:
        return yaml.compose(text, Loader=_Loader), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            return None, YamlProblem(0, 0, message)
        context = exc.context_mark
        if exc.context and context is not None and context.line != mark.line:
            # The parser notices late: keep where the construct it was reading began.
            return None, YamlProblem(mark.line, mark.column, message, exc.context, context.line)
        return None, YamlProblem(mark.line, mark.column, message)
    except yaml.YAMLError as exc:
        return None, YamlProblem(0, 0, str(exc).splitlines()[0] if str(exc) else "invalid YAML")
    except RecursionError:
        return None, YamlProblem(0, 0, "the YAML is nested too deeply")


def is_null(node: Node) -> bool:
    """True for an empty or `~`/`null` plain scalar."""
    # Plain style is None from the Python composer and '' from the C one.
    return isinstance(node, ScalarNode) and not node.style and node.value in NULLS


def is_plain(node: Node) -> bool:
    """True for an unquoted scalar (the C composer marks plain style as '', the Python one as
    None)."""
    return isinstance(node, ScalarNode) and not node.style


def has_foreign_tag(node: Node) -> bool:
    """True when the node carries an explicit tag outside YAML's standard set (`!!python/...`)."""
    return node.tag not in STANDARD_TAGS


def line_of(node: Node) -> int:
    """0-based line where the node starts."""
    return int(node.start_mark.line)


def column_of(node: Node) -> int:
    """0-based column where the node starts."""
    return int(node.start_mark.column)


def double_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar that reads back as exactly `text`."""
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif not c.isprintable() and c != " ":
            out.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'
