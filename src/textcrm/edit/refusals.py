"""Why an edit was not made, or not committed: the exceptions every edit raises."""

from __future__ import annotations

from textcrm.errors import TextcrmError


class EditRefused(TextcrmError):
    """An edit that was not made; the file is untouched (exit 1)."""


class CommitRefused(TextcrmError):
    """The edit was written but `--commit` did not commit it; `report` is what to print first
    (the edit, then what git and the hook said)."""

    def __init__(self, report: str, message: str) -> None:
        super().__init__(message)
        self.report = report


class ConcurrentChange(EditRefused):
    """The file changed on disk after it was read."""
