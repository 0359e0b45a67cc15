"""Safe file writing: atomic replace (temp file in the same folder, fsync, rename), mode kept."""

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
    durable: bool = True,
) -> None:
    """Write `data` to `path` so that readers see either the old file or the new one.

    The temporary file lives in the same folder (so the rename is atomic), is flushed and
    fsynced before the rename, and gets the original file's permission bits (or `mode`).
    On any failure the temporary file is removed and the original is untouched.
    `before_replace` runs just before the rename; raising there cancels the write (editors
    use it to refuse when the file changed on disk since they read it).
    `durable=False` skips the two fsyncs (5 ms a file here): for outputs that are rebuilt
    from the records anyway, such as the site's pages, a reader still never sees half a file.
    """
    folder = path.parent
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if not durable:
        return
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
