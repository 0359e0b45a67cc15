"""Read a CSV export into rows that remember their file and the line each record starts on."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from textcrm.errors import UsageError

# Salesforce descriptions can be long; the csv module's default limit is 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class Row:
    """One record of a CSV file: its values by column and the line where it starts."""

    file: str
    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class CsvFile:
    """A whole CSV export: its name (as shown in reports), its columns and its rows."""

    path: Path
    name: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


def read_csv(path: Path, encoding: str = "utf-8-sig") -> CsvFile:
    """Read the file (BOM, CRLF and multi-line quoted fields handled); line numbers are 1-based
    file lines, the header being line 1."""
    name = path.name
    try:
        with open(path, encoding=encoding, newline="") as f:
            text = f.read()
        if "\x00" in text:
            raise UsageError(
                f"{path}: the file is binary (it contains NUL bytes), not a CSV export"
            )
        return _read(path, name, io.StringIO(text, newline=""))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path}: not {encoding} text (byte 0x{exc.object[exc.start]:02x}); export it as "
            "UTF-8, or give the file's encoding in the mapping file (`encoding: cp1252`)"
        ) from None
    except LookupError:
        raise UsageError(f"the mapping's encoding `{encoding}` is not a known encoding") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: not a readable CSV file: {exc}") from None


def _read(path: Path, name: str, f: object) -> CsvFile:
    reader = csv.reader(f)  # type: ignore[arg-type]
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise UsageError(f"{path}: the file is empty; a CSV export starts with a header line")
    columns = tuple(h.strip() for h in header)
    rows = []
    start = reader.line_num + 1
    for record in reader:
        if any(cell.strip() for cell in record):
            values = dict(zip(columns, (c.strip() for c in record), strict=False))
            rows.append(Row(name, start, values))
        start = reader.line_num + 1
    return CsvFile(path, name, columns, tuple(rows))
