"""Safe file writing: atomic replace (temp file in the same folder, fsync, rename), mode kept;
and the same without fsync for rebuilt outputs."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(
    path: Path,
    data: bytes,
    mode: int | None = None,
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Write `data` to `path` so that readers see either the old file or the new one.

    The temporary file lives in the same folder (so the rename is atomic), is flushed and
    fsynced before the rename, and gets the original file's permission bits (or `mode`).
    On any failure the temporary file is removed and the original is untouched.
    `before_replace` runs just before the rename; raising there cancels the write (editors
    use it to refuse when the file changed on disk since they read it).
    """
    folder = path.parent
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        _name_the_target(exc, path)
        raise
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _name_the_target(exc, path)
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - some platforms cannot open folders
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)


def replace_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file beside it and a rename, so a reader
    (or a full disk) never leaves half a file; without fsync, for outputs rebuilt from the
    records anyway (the site's pages: a fsync costs 5 ms a file here, more than the page).
    The file gets the default mode; a symlink at `path` is replaced, never followed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        try:
            f = open(tmp, "xb")  # noqa: SIM115 - closed below
        except FileExistsError:  # left by a build that was killed
            os.unlink(tmp)
            f = open(tmp, "xb")  # noqa: SIM115
        with f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _name_the_target(exc, path)
        raise


def _name_the_target(exc: BaseException, path: Path) -> None:
    """An error about the temporary file names the file being written instead: the
    temporary name means nothing to the person reading the message."""
    if isinstance(exc, OSError) and exc.filename is not None:
        name = os.fsdecode(exc.filename)
        if Path(name).parent == path.parent and Path(name).name.startswith(f".{path.name}."):
            exc.filename = str(path)
