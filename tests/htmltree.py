"""A tiny HTML tree built with html.parser, for tests that read generated pages."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with this tag whose attributes contain the given values (class_ for
        class: one of the element's classes)."""
        found = []
        for node in self.iter():
            if node is self or (tag is not None and node.tag != tag):
                continue
            ok = True
            for key, value in attrs.items():
                name = "class" if key == "class_" else key.replace("_", "-")
                have = node.attrs.get(name)
                if (
                    have is None
                    or (name == "class" and value not in have.split())
                    or (name != "class" and have != value)
                ):
                    ok = False
                    break
            if ok:
                found.append(node)
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def by_id(self, ident: str) -> Node:
        return self.find(None, id=ident)

    @property
    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return " ".join("".join(parts).split())

    def rows(self, section: str = "tbody") -> list[list[str]]:
        """A table's rows (of `section`) as lists of cell texts."""
        out = []
        for part in self.find_all(section):
            for tr in part.find_all("tr"):
                out.append(
                    [c.text for c in tr.children if isinstance(c, Node) and c.tag in ("td", "th")]
                )
        return out


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    """Parse an HTML document into a Node tree."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
