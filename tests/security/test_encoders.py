"""Each output encoder keeps its format's invariant for any text (hypothesis), and its choices."""

from __future__ import annotations

import csv
import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Event
from markdown_it import MarkdownIt

from textcrm.encode import (
    FORMULA_PREFIXES,
    WORD_JOINER,
    csv_cell,
    ics_text,
    markdown_code,
    markdown_text,
    terminal_text,
)

# Text with plenty of what attacks each format: formula prefixes, backticks, HTML, mentions,
# Markdown punctuation, escape sequences, C0 and C1 controls, line ends; and anything else.
HOSTILE = st.sampled_from(
    [
        *("=", "+", "-", "@", "\t", "\r", "\n", "`", "``", " ", "<", ">", "&", "#", "\\", "|", "*"),
        "_",
        "[",
        "]",
        "(",
        ")",
        "!",
        "~",
        "$",
        "\x1b",
        "\x07",
        "\x9b",
        "\x00",
        "\x7f",
        "\x85",
        "\x1b]0;t\x07",
        "\x1b[2J",
        "</details>",
        "<script>",
        "@team",
        "#12",
        "1",
        "-5.00",
        "a",
    ]
)
TEXT = st.lists(st.one_of(HOSTILE, st.text(max_size=3)), max_size=12).map("".join)
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """What the encoders show for control characters (tab and newline included)."""
    return terminal_text(text, lines=False).replace("\t", "␉").replace("\n", "␊")


# --- CSV --------------------------------------------------------------------------------


def decoded(cell: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([cell])
    (row,) = csv.reader(io.StringIO(buf.getvalue(), newline=""))
    return row[0]


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_csv_cell_never_starts_with_a_formula_prefix(text):
    cell = decoded(csv_cell(text))
    plain_number = re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", cell) is not None
    assert plain_number or not cell.startswith(FORMULA_PREFIXES)
    # The text is kept, at most behind a quote, with control characters other than tab, CR
    # and newline (which CSV quotes) shown as in a terminal.
    kept = "".join(c if c in "\t\r\n" else visible(c) for c in text)
    assert cell in (kept, "'" + kept)


def test_csv_cell_choices():
    assert csv_cell('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert [csv_cell(x) for x in ("@team", "+1 555", "-x", "\tx", "\rx")] == [
        "'@team",
        "'+1 555",
        "'-x",
        "'\tx",
        "'\rx",
    ]
    # Plain numbers, as textcrm writes amounts, stay numbers.
    assert [csv_cell(x) for x in ("-5.00", "-5", "48000.00", "0")] == [
        "-5.00",
        "-5",
        "48000.00",
        "0",
    ]
    assert [csv_cell(x) for x in ("-5e3", "-5.", "-٣", "+5")] == ["'-5e3", "'-5.", "'-٣", "'+5"]
    assert csv_cell(None) == "" and csv_cell(["a", "=b"]) == "a;=b"
    assert csv_cell(["=a", "b"]) == "'=a;b"
    assert csv_cell("a\x1b[2Jb") == "a␛[2Jb"


# --- Markdown ---------------------------------------------------------------------------


def code_spans(markdown: str) -> list[str]:
    return [
        t.content
        for block in MarkdownIt("commonmark").parse(markdown)
        for t in block.children or []
        if t.type == "code_inline"
    ]


@settings(max_examples=300, deadline=None)
@given(TEXT.filter(bool))
def test_markdown_code_round_trips_and_cannot_be_closed_early(text):
    span = markdown_code(text)
    fence = re.match("`+", span).group()
    inside = span[len(fence) : -len(fence)]
    assert fence not in re.findall("`+", inside)
    # Parsed as CommonMark inside a sentence, it is one code span holding exactly the text.
    assert code_spans(f"a {span} b") == [visible(text)]


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_markdown_text_is_literal_text_without_mentions(text):
    written = markdown_text(text)
    assert "\n" not in written and "\r" not in written
    assert not re.search("[@#](?!\u2060)", written)
    (paragraph,) = [t for t in MarkdownIt("commonmark").parse(f"a {written} b") if t.children]
    assert {t.type for t in paragraph.children} == {"text"}
    shown = "".join(c + WORD_JOINER if c in "@#" else c for c in visible(text))
    assert "".join(t.content for t in paragraph.children) == f"a {shown} b"


def test_markdown_choices():
    assert markdown_code("a``b`") == "``` a``b` ```"
    assert markdown_code("`") == "`` ` ``"
    assert markdown_code(" a ") == "`  a  `"
    assert markdown_code("  ") == "`  `"
    assert markdown_code("") == ""
    assert markdown_text("@team") == "@\u2060team"
    assert markdown_text("#12") == "#\u206012"
    assert markdown_text("</details>") == "\\</details\\>"


# --- terminal ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(TEXT, st.booleans())
def test_terminal_text_has_no_control_character_but_newline_and_tab(text, lines):
    shown = terminal_text(text, lines=lines)
    allowed = "\n\t" if lines else "\t"
    assert not [c for c in CONTROL.findall(shown) if c not in allowed]
    assert terminal_text(shown, lines=lines) == shown


def test_terminal_choices():
    assert terminal_text("\x1b]0;pwned\x07 \x1b[2J") == "␛]0;pwned␇ ␛[2J"
    assert terminal_text("\x9b31m\x9d0;t\x9c") == "␛[31m␛]0;t␛\\"
    assert terminal_text("a\rb\x7f\x00") == "a␍b␡␀"
    assert terminal_text("a\n\tb") == "a\n\tb"
    assert terminal_text("a\n\tb", lines=False) == "a␊\tb"
    assert terminal_text("a\r\nb\r") == "a\nb␍"
    assert terminal_text("a\r\nb", lines=False) == "a␍␊b"


# --- iCalendar --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_ics_text_serializes_without_forbidden_control_characters(text):
    event = Event()
    event.add("summary", ics_text(text))
    event.add("description", ics_text(text))
    serialized = event.to_ical().decode("utf-8")
    assert serialized.endswith("\r\n")
    # Content lines end with CRLF (folded ones go on after CRLF and a space); nothing else in
    # them is a control character but tab.
    for line in serialized.split("\r\n"):
        assert not [c for c in CONTROL.findall(line) if c != "\t"]


def test_ics_choices():
    assert ics_text("a\x1b[2J\x07b\x7f\x85c") == "a[2Jbc"
    assert ics_text("a\r\nb\rc\nd\te") == "a\nb\nc\nd\te"
