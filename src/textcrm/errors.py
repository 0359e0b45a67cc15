"""Exceptions for situations where a command cannot continue; each carries its own message."""

from __future__ import annotations

import errno
from pathlib import Path

from textcrm.diagnostics import Diagnostic, format_line


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
        lines = [format_line(d) for d in diagnostics]
        super().__init__("textcrm.yaml cannot be used:\n" + "\n".join(lines))
        self.diagnostics = diagnostics


class GitError(TextcrmError):
    """A git command failed or git is not available (a failure of the environment: exit 2)."""

    exit_code = 2


class EnvironmentFailure(TextcrmError):
    """The system refused what a command needed (permission, a full disk, a path that cannot
    be created); the message says what failed and what was left untouched (exit 2)."""

    exit_code = 2

    def __init__(self, doing: str, exc: OSError, untouched: str) -> None:
        super().__init__(f"{doing}: {os_error_text(exc)}; {untouched}")


# What the usual failures of a file system mean to the person at the keyboard.
_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "it is a folder",
    errno.EEXIST: "it already exists",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EIO: "an input/output error of the device",
}


def os_error_text(exc: OSError) -> str:
    """An OSError in words, with the path it concerns: `permission denied (/x/y)`."""
    reason = _REASONS.get(exc.errno or 0) or exc.strerror or str(exc) or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{reason} ({' -> '.join(paths)})" if paths else reason


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
