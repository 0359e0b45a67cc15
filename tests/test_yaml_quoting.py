"""One YAML quoting for every value textcrm writes into a record file, by an edit or an import.

Reserved words, numbers and dates meant as text, indicators, flow punctuation and characters
YAML cannot hold as they are: each is written so that textcrm's own reader (yamlnodes, then
the loader) gives back exactly the text written, and so do other YAML readers (PyYAML's YAML
1.1 resolver, in C and in Python, and ruamel.yaml's YAML 1.2 one).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from textcrm.encode import yaml_scalar
from textcrm.loader import read_record
from textcrm.yamlnodes import compose

RESERVED = [
    "yes",
    "Yes",
    "YES",
    "no",
    "No",
    "NO",
    "on",
    "On",
    "off",
    "OFF",
    "y",
    "Y",
    "n",
    "N",
    "true",
    "True",
    "FALSE",
    "null",
    "Null",
    "NULL",
    "~",
    ".inf",
    "-.inf",
    "+.inf",
    ".NaN",
    "=",
    "<<",
]
NUMBERS_AND_DATES = [
    "007",
    "0",
    "-5",
    "+5",
    "1e3",
    "1E+3",
    "1_000",
    "1,000",
    "+_1",
    "0x1F",
    "0o17",
    "0b101",
    "1.0_0",
    "._5",
    ".5",
    "5.",
    "12:30",
    "1:20:30.5",
    "2026-12-01",
    "2026-1-1",
    "2026-12-01T10:00:00Z",
    "2026-12-01 10:00",
]
PUNCTUATION = [
    "- item",
    "-x",
    "? x",
    "?x",
    ":x",
    "[a]",
    "{a}",
    "#tag",
    "&anchor",
    "*alias",
    "!tag",
    "|x",
    ">x",
    "'quoted'",
    '"quoted"',
    "%done",
    "@alice",
    "`x`",
    "a: b",
    "a #b",
    "x:",
    "a?b",
    "Pricing?",
    "a,b",
    "a[b]",
    "a{b}",
    "a:b",
    "https://acme.example",
    "C#",
    "Ticket#4",
    "O'Brien",
    'say "hi" \\o/',
    "Gekko & Co",
    "100%",
    "3m-company",
    "006A",
]
SPACES_AND_CHARACTERS = [
    "",
    " padded",
    "padded ",
    "two\nlines",
    "tab\there",
    "crlf\r\nend",
    "a\u00a0b",
    "a\u2028b",
    "a\x85b",
    "\ufeffbom",
    "a\x00b",
    "bell\x07",
    "del\x7f",
    "é",
    "日本語",
    "emoji \U0001f642",
]
TRICKY = RESERVED + NUMBERS_AND_DATES + PUNCTUATION + SPACES_AND_CHARACTERS
# What a record keeps: a field's text is read trimmed, so these are the texts a record holds.
STORED = [t for t in TRICKY if t and t == t.strip()]

CONTEXTS = {
    "block": ("v: {}\n", False, lambda data: data["v"]),
    "block list": ("v:\n  - {}\n", False, lambda data: data["v"][0]),
    "flow list": ("v: [{}, b]\n", True, lambda data: data["v"][0]),
    "flow mapping": ("v: {{k: {}, z: b}}\n", True, lambda data: data["v"]["k"]),
}


def _composed(node: Any) -> Any:
    """textcrm's reader's nodes as text leaves, lists and dicts."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_composed(n) for n in node.value]
    return {k.value: _composed(v) for k, v in node.value}


def reads_back(text: str, context: str) -> None:
    """`text`, written where `context` says, reads back as exactly `text` in every reader."""
    template, flow, pick = CONTEXTS[context]
    written = yaml_scalar(text, flow=flow)
    document = template.format(written)
    assert "\n" not in written and written == written.strip(), repr(written)
    node, problem = compose(document)
    assert problem is None, document
    assert pick(_composed(node)) == text, document
    for loader in (yaml.SafeLoader, yaml.CSafeLoader):
        assert pick(yaml.load(document, Loader=loader)) == text, (loader, document)
    value = pick(YAML(typ="rt", pure=True).load(document))
    assert isinstance(value, str) and str(value) == text, document


@pytest.mark.parametrize("context", list(CONTEXTS))
@pytest.mark.parametrize("text", TRICKY)
def test_written_text_reads_back_as_itself_in_every_yaml_reader(text: str, context: str) -> None:
    reads_back(text, context)


# Texts made of YAML's punctuation, spaces, digits and a few characters YAML 1.1 treats as
# line breaks or that Python does not print.
PUNCTUATED = st.text(
    st.sampled_from([*"ab01:#,[]{}?-_.+eE \t\"'\\%@!&*|>~=<x", "\u00a0", "\u2028", "\x85"]),
    max_size=8,
)


@settings(max_examples=400, deadline=None)
@given(PUNCTUATED, st.sampled_from(list(CONTEXTS)))
def test_any_punctuated_text_reads_back_as_itself(text: str, context: str) -> None:
    reads_back(text, context)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("yes", '"yes"'),
        ("<<", '"<<"'),
        ("2026-12-01", '"2026-12-01"'),
        ("Pricing?", "Pricing?"),
        ("https://acme.example", "https://acme.example"),
        ("a\u00a0b", '"a\\u00a0b"'),
    ],
)
def test_plain_in_a_block_and_quoted_only_where_needed(text: str, written: str) -> None:
    assert yaml_scalar(text) == written


def test_flow_punctuation_is_quoted_inside_brackets_only() -> None:
    # PyYAML ends a plain scalar at `?` inside `[...]` and `{...}`, and every reader at `,`.
    assert yaml_scalar("Pricing?", flow=True) == '"Pricing?"'
    assert yaml_scalar("a, b", flow=True) == '"a, b"'
    assert yaml_scalar("a, b") == "a, b"


def test_a_literal_value_stays_plain_and_keeps_the_quotes_it_had() -> None:
    assert yaml_scalar("2026-12-01", literal=True) == "2026-12-01"
    assert yaml_scalar("48000", literal=True) == "48000"
    assert yaml_scalar("-5", literal=True) == '"-5"'
    assert yaml_scalar("O'Brien", style="'") == "'O''Brien'"
    assert yaml_scalar("yes", style="'") == "'yes'"
    assert yaml_scalar("plain", style='"') == '"plain"'


OPPORTUNITY = (
    "---\ntitle: T\naccount: a\nowner: o\nstage: s\nclose_date: 2026-12-19\n"
    "next_step: old  # keep\n{activities}---\nBody\n"
)


@pytest.mark.parametrize("shape", ["flow", "block"])
@pytest.mark.parametrize("text", STORED)
def test_an_edit_writes_text_the_loader_reads_back_exactly(text: str, shape: str) -> None:
    from textcrm.edit import Document

    activities = {
        "flow": "activities:\n  - {date: 2026-11-20, type: call}\n",
        "block": "activities:\n  - date: 2026-11-20\n    type: call\n",
    }[shape]
    doc = Document("opportunities/x.md", OPPORTUNITY.format(activities=activities).encode())
    doc.set_scalar("next_step", text)
    doc.append_item(
        "activities",
        [("date", "2026-11-28", True), ("type", "call", True), ("summary", text, False)],
    )
    doc.verify()
    opp, problems = read_record("opportunity", "opportunities/x.md", "x", doc.to_bytes())
    assert [p for p in problems if p.severity == "error"] == []
    assert opp.next_step == text
    assert opp.activities[-1].summary == text
    # The same text is written the same way by an import.
    from textcrm.importers.emit import field_text

    assert f"next_step: {yaml_scalar(text)}  # keep\n" in doc.to_bytes().decode()
    assert field_text("next_step", text) == f"next_step: {yaml_scalar(text)}\n"


@pytest.mark.parametrize("text", STORED)
def test_an_import_writes_text_the_loader_reads_back_exactly(text: str) -> None:
    from textcrm.importers.emit import document

    fields = [
        ("title", text),
        ("account", "a"),
        ("owner", "o"),
        ("stage", "s"),
        ("close_date", date(2026, 12, 19)),
        ("next_step", text),
        ("tags", [text, "b"]),
        ("activities", [{"date": date(2026, 11, 20), "type": "note", "summary": text}]),
        ("source_id", text),
    ]
    data = document(fields, "Body\n").encode("utf-8")
    opp, problems = read_record("opportunity", "opportunities/x.md", "x", data)
    assert [p for p in problems if p.severity == "error"] == [], data
    assert (opp.title, opp.next_step, opp.source_id) == (text, text, text)
    assert list(opp.tags) == [text, "b"]
    assert opp.activities[0].summary == text
