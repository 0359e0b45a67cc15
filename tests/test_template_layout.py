"""Templates only lay out values: no arithmetic, ordering, sorting or money formatting in them.

Every figure, date comparison and flag is computed in Python (the site's view models in
textcrm.site.views, the quote's QuoteView); a template that computed would be a second definition
of a rule, free to drift. The packaged templates are parsed with Jinja2 and their syntax
trees searched for what computes.
"""

from __future__ import annotations

import pytest
from jinja2 import nodes

from conftest import ROOT
from textcrm import render

TEMPLATES = sorted([*(ROOT / "templates").glob("*.html"), *(ROOT / "templates").glob("new/*.md")])
ARITHMETIC = (nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow)
ORDERING = {"lt", "gt", "lteq", "gteq"}
# Filters that sort, select, aggregate or convert numbers.
COMPUTING_FILTERS = {
    "abs",
    "batch",
    "dictsort",
    "float",
    "groupby",
    "int",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "round",
    "select",
    "selectattr",
    "slice",
    "sort",
    "sum",
    "unique",
}
# The quote's money arrives as Decimal and is printed by these filters (docs/quotes.md); the
# site's arrives as text, formatted by its view models.
QUOTE_ONLY_FILTERS = {"money", "number", "percent"}


def computing(name: str, source: str) -> list[str]:
    """What computes in one template: each finding as `line: what`."""
    tree = render.environment(None).parse(source)
    found = [f"{n.lineno}: arithmetic {type(n).__name__}" for n in tree.find_all(ARITHMETIC)]
    for node in tree.find_all(nodes.Compare):
        found += [f"{node.lineno}: comparison {op.op}" for op in node.ops if op.op in ORDERING]
    for node in tree.find_all(nodes.Filter):
        allowed = name == "quote.html" and node.name in QUOTE_ONLY_FILTERS
        if node.name in COMPUTING_FILTERS or (node.name in QUOTE_ONLY_FILTERS and not allowed):
            found.append(f"{node.lineno}: filter {node.name}")
    for node in tree.find_all(nodes.Call):
        # Macros are called by name; a call on an attribute runs a method of a value.
        if isinstance(node.node, nodes.Getattr):
            found.append(f"{node.lineno}: method {node.node.attr}")
    return found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_template_computes_nothing(path):
    assert computing(path.name, path.read_text(encoding="utf-8")) == []


def test_the_search_finds_what_computes():
    # The guard itself: each kind of computation in a template is found, with its line.
    source = (
        "{{ a + b }}\n"
        "{% if d.close < today %}late{% endif %}\n"
        "{{ rows|sort(attribute='x')|length }}\n"
        "{{ amount|money('USD') }}\n"
        "{{ locale.split('_')[0] }}\n"
        "{{ n|counted('deal') }} {% if kind == 'account' %}ok{% endif %}\n"
    )
    assert computing("board.html", source) == [
        "1: arithmetic Add",
        "2: comparison lt",
        "3: filter sort",
        "4: filter money",
        "5: method split",
    ]
    assert computing("quote.html", "{{ amount|money('USD') }}") == []
