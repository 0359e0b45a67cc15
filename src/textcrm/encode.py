"""Text from a CRM repository made safe for each output: CSV cells, Markdown, terminal, .ics, YAML.

Every string in a repository may come from someone else, and each program that reads
textcrm's output has its own way to be hijacked by text: a spreadsheet runs a cell starting
with `=`, a pull-request comment pings `@team` and renders raw HTML, a terminal obeys escape
sequences (window title, clipboard write, screen clear), and RFC 5545 forbids control
characters in a calendar. Each output format has one encoder here, used wherever that format
is written; docs/security.md says what each one does.

Control characters that a format cannot carry are shown rather than dropped where a person
reads the text: C0 controls and DEL as their Unicode Control Pictures (ESC as `␛`, BEL as
`␇`, DEL as `␡`), and a C1 control as its 7-bit form with a visible escape (U+009B, the
one-byte CSI, as `␛[`). So a hostile title stays visible for what it is, one column per
character, and the encoders can run twice without changing anything more.
"""

from __future__ import annotations

import re
from types import MappingProxyType

# C0 (U+0000-U+001F) and DEL as Control Pictures; C1 (U+0080-U+009F) as ESC + its 7-bit char.
_PICTURES = MappingProxyType(
    {
        **{c: chr(0x2400 + c) for c in range(0x20)},
        0x7F: "\u2421",
        **{c: "\u241b" + chr(c - 0x40) for c in range(0x80, 0xA0)},
    }
)


def _keeping(kept: str) -> MappingProxyType[int, str]:
    return MappingProxyType({c: v for c, v in _PICTURES.items() if chr(c) not in kept})


_VISIBLE = _keeping("")
_VISIBLE_TERMINAL_LINE = _keeping("\t")
_VISIBLE_TERMINAL = _keeping("\t\n")
_VISIBLE_CSV = _keeping("\t\n\r")


def _visible(text: str, table: MappingProxyType[int, str]) -> str:
    # Nearly every string is printable: skip the translation for those.
    return text if text.isprintable() else text.translate(table)


def terminal_text(text: str, lines: bool = True) -> str:
    """`text` for a terminal: every C0 and C1 control character shown (ESC as `␛`), so data
    cannot set the window title, write the clipboard or clear the screen. Tabs and, unless
    `lines` is False, newlines are kept (a CRLF line end as a newline: a file saved on
    Windows); textcrm's own colours are added after this."""
    if text.isprintable():
        return text
    if lines:
        return text.replace("\r\n", "\n").translate(_VISIBLE_TERMINAL)
    return text.translate(_VISIBLE_TERMINAL_LINE)


# --- CSV ----------------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)
# A plain decimal (what money.fixed and money.plain write): a spreadsheet reads it as a
# number, never as a formula, so `-5.00` stays a number that sums.
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def csv_cell(value: object) -> str:
    """One CSV cell: None as empty, a list joined with `;`, and a text that a spreadsheet would
    run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) prefixed with `'`.

    A plain decimal number such as `-5.00` is left as it is. Control characters other than
    tab, CR and newline (which CSV quotes) are shown as in a terminal, since CSV is printed
    to one as often as it is saved to a file.
    """
    if isinstance(value, str):
        text = value
    elif value is None:
        return ""
    elif isinstance(value, list | tuple):
        text = ";".join(str(v) for v in value)
    else:
        text = str(value)
    text = _visible(text, _VISIBLE_CSV)
    if text[:1] in _FORMULA_FIRST and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


# --- Markdown (pull-request comments) -----------------------------------------------------

# Joins `@` or `#` to what follows without a visible mark, so GitHub and GitLab neither ping
# `@team` nor link `#123`, and the reader still sees `@team`.
WORD_JOINER = "\u2060"
# Characters that start inline Markdown (code, emphasis, links, images, HTML, entities, GFM
# strikethrough, tables, math): escaped with a backslash, which CommonMark allows before
# any ASCII punctuation.
_MARKDOWN_SPECIAL = frozenset("\\`*_[]<>&!~|$")


def markdown_text(text: str, mentions: bool = True) -> str:
    """`text` as literal inline Markdown: no HTML, link, emphasis or code starts in it, no
    mention or issue reference is made (unless `mentions` is False: where nobody is notified,
    as in an editor's hover), and it stays on its line (newlines are shown as `␊`)."""
    out = []
    for ch in _visible(text, _VISIBLE):
        if ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        elif mentions and ch in "@#":
            out.append(ch + WORD_JOINER)
        else:
            out.append(ch)
    return "".join(out)


def markdown_code(text: str) -> str:
    """`text` as an inline code span whose content is exactly `text` (control characters
    shown as `␛`, `␊`...): the fence is one backtick longer than the longest run inside, and
    a space pads both sides when the text starts or ends with a backtick or with spaces that
    Markdown would strip. An empty text gives an empty string."""
    text = _visible(text, _VISIBLE)
    if not text:
        return ""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    stripped = text[0] == " " and text[-1] == " " and text.strip(" ") != ""
    pad = " " if text[0] == "`" or text[-1] == "`" or stripped else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# --- iCalendar ----------------------------------------------------------------------------

# RFC 5545 section 3.3.11: TEXT excludes every C0 control but HTAB, and DEL; newlines are
# written as `\n` by the icalendar library. C1 controls go too: no calendar shows them.
_ICS_DROP = MappingProxyType(
    dict.fromkeys([*(c for c in range(0x20) if chr(c) not in "\t\n"), 0x7F, *range(0x80, 0xA0)])
)


def ics_text(text: str) -> str:
    """A TEXT value for an .ics file: line ends as `\\n` and the control characters RFC 5545
    forbids (all C0 but tab and newline, DEL, and C1) removed."""
    if text.isprintable():
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_ICS_DROP)


def js_data(name: str, value: object) -> str:
    """A script that sets `window.NAME` to `value` (JSON data): how the site hands data to
    its scripts in a way that also works from file://, where a page may not fetch a file.
    Non-ASCII is escaped, and so is `<`, so no text can end or open a script element."""
    import json

    data = json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    return f"window.{name} = {data.replace('<', chr(92) + 'u003c')};\n"


# --- YAML scalars (record files written by edits and imports) ----------------------------

# A plain scalar cannot start with one of these: YAML reads it as structure (a list item, a
# key, a flow collection, a comment, an anchor, a tag, a block scalar, a quote, a directive).
_YAML_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"
# Plain words YAML 1.1 or 1.2 reads as something other than text (booleans, null, infinity
# and not-a-number, the merge key `<<`, the value key `=`), compared in lower case; none is
# longer than five characters.
_YAML_RESERVED = frozenset(
    {
        "null",
        "~",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        ".inf",
        "-.inf",
        ".nan",
        "+.inf",
        "=",
        "<<",
    }
)
# Text YAML 1.1 or 1.2 could read as a number, a date or a time: integers and floats (with
# `_` or `,` between digits, or after a sign), hex, octal and binary, a date at the start of
# the text (a timestamp), base-60 numbers such as `12:30`. `3m-company`, `006A` or `300 seats`
# cannot, and stay plain.
_YAML_NUMBERISH = re.compile(
    r"^(?:[-+][\d_,]*|\d[\d_,]*)?(\.[\d_]*)?([eE][-+]?\d+)?$|^[-+]?0[xob][0-9a-fA-F_]+$"
    r"|^\d{4}-\d\d?-\d\d?|^[-+]?\d[\d_]*(:[0-5]?\d)+(\.[\d_]*)?$"
)
# What a number, a date or a time can start with: the only texts the pattern above can match.
_YAML_NUMBER_START = frozenset("0123456789+-.eE")
# In a flow collection (`[a, b]`, `{k: v}`) these end a plain scalar; `?` does for PyYAML.
_YAML_FLOW = re.compile(r"[,\[\]{}?]")


def _yaml_plain_ok(text: str, flow: bool, literal: bool) -> bool:
    """True when `text` can be written unquoted and every YAML reader sees the same string.

    `literal` values (dates, amounts, percentages) are meant to look like numbers and dates.
    """
    if not text or text != text.strip() or not text.isprintable():
        return False
    if text[0] in _YAML_INDICATORS:
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and _YAML_FLOW.search(text) is not None:
        return False
    if literal:
        return True
    if len(text) <= 5 and text.lower() in _YAML_RESERVED:
        return False
    return text[0] not in _YAML_NUMBER_START or _YAML_NUMBERISH.match(text) is None


def yaml_scalar(
    text: str, flow: bool = False, literal: bool = False, style: str | None = None
) -> str:
    """`text` as a YAML scalar: plain when every YAML reader (1.1 or 1.2, textcrm's own) reads
    it back as exactly `text`, else double-quoted with escapes.

    `flow` is for a value inside `[...]` or `{...}`; `literal` for a value meant to read as a
    date or a number (`2026-12-01`, `48000`). `style` is the quoting of the value being
    replaced (`'` or `"`), kept when it can hold the new text.
    """
    # The reader's own escaping; imported here, as the terminal and CSV encoders must not load
    # PyYAML (the hook imports this module for a commit with no CRM file).
    from textcrm.yamlnodes import double_quoted

    if style == "'" and text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    if style == '"':
        return double_quoted(text)
    if _yaml_plain_ok(text, flow, literal):
        return text
    return double_quoted(text)
