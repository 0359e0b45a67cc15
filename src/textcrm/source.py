"""A file's text split into front matter and body with exact line offsets.

Front matter is split here by hand rather than with python-frontmatter, because a validator
must never accept a file it did not understand: python-frontmatter silently drops front
matter without a closing `---`, hides it behind a BOM, and loses line numbers. This module
handles BOM, CRLF, a missing closing delimiter, non-UTF-8 bytes and binary files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from textcrm.diagnostics import Diagnostic, error

MAX_FILE_BYTES = 5 * 1024 * 1024
_DELIMITERS = ("---",)
_CLOSERS = ("---", "...")
# A line that closes the front matter, as `split` sees it, found in the bytes.
_CLOSING_LINE = re.compile(
    rb"\n(?:" + b"|".join(re.escape(c.encode()) for c in _CLOSERS) + rb")[ \t]*\r?(?:\n|$)"
)


@dataclass(frozen=True, slots=True)
class Source:
    """A Markdown record file split in two: the YAML text and the body.

    `front_line` is the 1-based file line of the first line of `front` (2, after the opening
    `---`); `body_line` the line where the body starts.
    """

    path: str
    front: str
    front_line: int
    body: str
    body_line: int


def decode(path: str, data: bytes) -> tuple[str | None, Diagnostic | None]:
    """Decode bytes as UTF-8 (a BOM is allowed), or explain why the file cannot be read."""
    if len(data) > MAX_FILE_BYTES:
        size = len(data) / (1024 * 1024)
        return None, error(
            path,
            1,
            1,
            "unreadable-file",
            f"file is {size:.1f} MB; textcrm reads record files up to "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB (move large notes or attachments elsewhere)",
        )
    if b"\x00" in data:
        return None, error(
            path, 1, 1, "unreadable-file", "file is binary (it contains NUL bytes), not text"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, error(
            path,
            line,
            col,
            "unreadable-file",
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {line}); "
            "save it as UTF-8",
        )
    return text, None


def split(path: str, text: str) -> tuple[Source | None, Diagnostic | None]:
    """Split a record file into front matter and body; line 1 must be `---`."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() not in _DELIMITERS:
        what = "file is empty" if not text.strip() else "file does not start with `---`"
        return None, error(
            path,
            1,
            1,
            "front-matter-missing",
            f"{what}; a record file starts with a `---` line, its YAML fields, and a closing "
            "`---` line, followed by the Markdown notes",
        )
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in _CLOSERS:
            front = "".join(lines[1:i])
            body = "".join(lines[i + 1 :])
            return Source(path, front, 2, body, i + 2), None
    return None, error(
        path,
        1,
        1,
        "front-matter-missing",
        "the front matter opened on line 1 is never closed; add a `---` line after the last field",
    )


def front_matter_bytes(data: bytes) -> bytes:
    """A record file cut after the line that closes its front matter (whole when none does),
    without decoding it: `split` reads the same front matter from the cut as from the file,
    and the notes (and whatever bytes they hold) are left out."""
    found = _CLOSING_LINE.search(data, 3)
    return data[: found.end()] if found else data
