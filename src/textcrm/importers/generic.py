"""Generic: any spreadsheet, driven entirely by a mapping file (see docs/import.md)."""

from __future__ import annotations

from typing import Any

NAME = "generic"

STAGES: dict[str, str] = {}

# Nothing is assumed: the mapping file names the files, columns and stages.
MAPPING: dict[str, Any] = {}
