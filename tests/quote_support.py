"""Helpers for the quote tests: a configuration with a seller, an opportunity maker, an HTML
table reader."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from conftest import DEFAULT_CONFIG
from textcrm.loader import load
from textcrm.quote import QuoteView, build_quote

COMPANY = """\
company:
  name: Northwind Robotics Inc.
  address: "1200 Harbor Way\\nOakland, CA 94607"
  email: sales@northwind.example
  tax_id: US 94-1234567
  logo: logo.svg
"""
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    '<rect width="40" height="40" fill="#1f4e79"/></svg>\n'
)
QUOTE_CONFIG = DEFAULT_CONFIG + COMPANY
ACCOUNT = "---\nname: Acme Corp\naddress: |\n  1 Main Street\n  Springfield\n---\n"


def opportunity(
    line_items: str,
    quote: str | None = "{number: Q-2026-0042, date: 2026-11-25, "
    "valid_until: 2026-12-31, terms: Net 30}",
    currency: str = "USD",
    extra: str = "",
) -> str:
    """An opportunity file with the given `line_items:` block (YAML lines) and `quote:` value."""
    text = (
        "---\ntitle: Acme Corp - warehouse scanners\naccount: acme-corp\nowner: alice\n"
        "stage: proposal\nclose_date: 2026-12-19\n"
        f"currency: {currency}\n"
        "contacts: [{contact: jane-doe, role: Economic Buyer}]\n"
        "activities: [{date: 2026-11-24, type: call, summary: Pricing call}]\n"
        f"{extra}"
    )
    if line_items:
        text += "line_items:\n" + line_items
    if quote is not None:
        text += f"quote: {quote}\n"
    return text + "---\nNotes.\n"


def quote_files(opp: str, name: str = "acme-scanners") -> dict[str, str | bytes | None]:
    return {f"opportunities/{name}.md": opp, "logo.svg": LOGO, "accounts/acme-corp.md": ACCOUNT}


def view_of(root: Path, name: str = "acme-scanners") -> QuoteView:
    """Load the repository as the CLI does and build the named opportunity's quote."""
    result = load(root, date(2026, 11, 28), use_cache=False)
    problems = [d for d in result.diagnostics if d.severity == "error"]
    assert not problems, problems
    repo = result.repository
    return build_quote(repo, repo.opportunities[name])


class TableReader(HTMLParser):
    """Rows of every <table> by the table's class: [(row class, {cell class or tag: text})]."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, dict[str, str]]]] = {}
        self._table: str | None = None
        self._row: dict[str, str] | None = None
        self._row_class = ""
        self._cell: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("class") or ""
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table is not None:
            self._row, self._row_class = {}, a.get("class") or ""
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._text = (a.get("class") or tag).split()[-1], []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row[self._cell] = " ".join("".join(self._text).split())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append((self._row_class, self._row))
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)


def read_tables(html: str) -> dict[str, list[tuple[str, dict[str, str]]]]:
    reader = TableReader()
    reader.feed(html)
    return reader.tables


def line_rows(html: str) -> list[dict[str, str]]:
    """The line-item rows of a rendered quote, cell class -> text."""
    return [row for cls, row in read_tables(html)["lines"] if cls == "line"]


def total_rows(html: str) -> dict[str, str]:
    """The totals block of a rendered quote: row class -> the amount's text."""
    return {cls: row["td"] for cls, row in read_tables(html)["totals"]}
