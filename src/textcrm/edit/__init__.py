"""Round-trip edits of record files that change only the lines they must.

An edit never re-dumps the YAML: ruamel.yaml (round-trip mode) composes the front matter into
nodes whose marks give the exact character span of every key and value, and the new text is
spliced into the original string (`roundtrip`). Comments, key order, quoting, flow or block
style, blank lines, line endings (CRLF stays CRLF), a BOM and the Markdown body are therefore
kept byte for byte. After splicing, ruamel loads the old and the new front matter and the data
must differ by exactly the intended change; then the file is read back and re-checked against
the repository through the loader before it is written atomically (`write`).

`operations` holds the edits of one opportunity (log, set, move, pin-prices), `templates` the
new records (`textcrm new`), `refusals` the exceptions they raise.
"""

from __future__ import annotations

from textcrm.edit.operations import (
    SETTABLE,
    Target,
    catalog_at,
    log_activity,
    move_stage,
    open_opportunity,
    pin_prices,
    pin_targets,
    read_bytes,
    set_value,
)
from textcrm.edit.refusals import CommitRefused, ConcurrentChange, EditRefused
from textcrm.edit.roundtrip import Document
from textcrm.edit.templates import new_id, new_record, template_path
from textcrm.edit.write import Edit, apply, carry_out, check_edit, save

__all__ = [
    "SETTABLE",
    "CommitRefused",
    "ConcurrentChange",
    "Document",
    "Edit",
    "EditRefused",
    "Target",
    "apply",
    "carry_out",
    "catalog_at",
    "check_edit",
    "log_activity",
    "move_stage",
    "new_id",
    "new_record",
    "open_opportunity",
    "pin_prices",
    "pin_targets",
    "read_bytes",
    "save",
    "set_value",
    "template_path",
]
