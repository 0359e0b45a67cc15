"""Exceptions for situations where a command cannot continue; each carries its own message."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textcrm.diagnostics import Diagnostic


class TextcrmError(Exception):
    """A problem the user can fix; the CLI prints the message and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(TextcrmError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2


class RootNotFound(UsageError):
    """No textcrm.yaml in the current directory or any parent."""

    def __init__(self, start: Path) -> None:
        super().__init__(
            f"no textcrm.yaml found in {start} or any parent directory; "
            "run the command inside a CRM repository, pass --root DIR, "
            "or create one with `textcrm init`"
        )


class ConfigError(UsageError):
    """textcrm.yaml cannot be used; carries the located problems."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        lines = [
            f"{d.path}:{d.line}:{d.column}: {d.severity}: {d.message} [{d.code}]"
            for d in diagnostics
        ]
        super().__init__("textcrm.yaml cannot be used:\n" + "\n".join(lines))
        self.diagnostics = diagnostics


class GitError(TextcrmError):
    """A git command failed or git is not available."""


class CommitFailed(GitError):
    """`git commit` did not make the commit (usually: a pre-commit hook refused it); carries
    what git and its hooks printed. The index has been put back as it was."""

    def __init__(self, path: str, output: str) -> None:
        super().__init__(
            f"the commit was not made (see above): {path} is written but not committed, and "
            "not staged either (the index is as it was before this command). Fix what the "
            "hook reports, then `git add` and commit it, or run the command again."
        )
        self.path = path
        self.output = output


class NotFound(UsageError):
    """A named record does not exist or the name is ambiguous."""
