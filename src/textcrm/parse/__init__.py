"""YAML nodes to frozen model records, with located diagnostics; driven by `schema`.

Nothing here reads files or prints: callers pass the bytes and receive (record, diagnostics).
The package's modules: `values` converts one scalar's text to a typed value, `records` turns
mappings into model records, `files` takes a record file's bytes to its record.
"""

from textcrm.parse.files import parse_catalog, parse_config, parse_record
from textcrm.parse.records import convert
from textcrm.parse.values import Context, Invalid

__all__ = ["Context", "Invalid", "convert", "parse_catalog", "parse_config", "parse_record"]
