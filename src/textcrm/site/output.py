"""The output folder: where a build may write, the signed record of what it wrote, safe writes.

Safety: the output folder is never the CRM root or one of its parents, and every write is
checked to land inside it. A non-empty folder is only reused (unless forced) when the user's
own record of an earlier build into it is found: a manifest kept in the user's cache folder and
signed with their key (`cache.sign`), never the folder's `.textcrm-site`, which anyone could
commit. It lists every file the build wrote with its size and modification time: a build
removes only those files, and only while unchanged, and skips a page only while its file is
still the one written (a file changed by anything else is rendered again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textcrm import __version__
from textcrm.errors import TextcrmError

MARKER = ".textcrm-site"
DEFAULT_OUTPUT = "_site"


class UnsafeOutput(TextcrmError):
    """The output folder could overwrite something that is not a previous site."""

    exit_code = 2


# --- output folder safety -------------------------------------------------------------


def output_dir(root: Path, out: Path | None, force: bool = False) -> Path:
    """The output folder (default `_site/` under the root), checked to be safe to write.

    Refused: the CRM root itself or any folder containing it, and (unless `force`) an
    existing non-empty folder that holds no build of this user's (`read_manifest`).
    """
    target = (out if out is not None else root / DEFAULT_OUTPUT).absolute()
    resolved, root_resolved = target.resolve(), root.resolve()
    if root_resolved == resolved or root_resolved.is_relative_to(resolved):
        raise UnsafeOutput(
            f"output folder {target} is the CRM repository or contains it; "
            "choose a folder of its own, such as _site"
        )
    if resolved.exists() and not resolved.is_dir():
        raise UnsafeOutput(f"output {target} exists and is not a folder")
    if resolved.is_dir() and not force and read_manifest(resolved) is None:
        names = sorted(
            entry.name + ("/" if entry.is_dir(follow_symlinks=False) else "")
            for entry in os.scandir(resolved)
        )
        if names:
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            raise UnsafeOutput(
                f"output folder {target} is not empty and was not made by `textcrm build` "
                f"for you (no record of an earlier build of yours into it; it holds {shown}); "
                "refusing to build into it: choose another folder, empty it, or pass --force "
                "(the build then writes its own files there, and removes nothing it did not "
                "write)"
            )
    return resolved


# --- the manifest: what a build wrote -------------------------------------------------


@dataclass
class Manifest:
    """What the build in a folder wrote: each page's render digest, and every file's size
    and modification time (ns) just after it was written or checked."""

    pages: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[int, int]] = field(default_factory=dict)


def _record_file(out: Path) -> Path:
    """Where the signed manifest of the build in `out` is kept: in the user's cache folder,
    not in `out`, so that the site stays byte-identical and a committed or copied folder
    carries no trust with it."""
    from textcrm.cache import user_cache_dir

    where = os.path.realpath(out).encode("utf-8", "surrogateescape")
    name = hashlib.blake2b(where, digest_size=12).hexdigest()
    return user_cache_dir() / "sites" / f"{name}.json"


def _signed_body(where: str, pages: Mapping[str, Any], files: Mapping[str, Any]) -> bytes:
    body = {"format": 1, "out": where, "files": files, "pages": pages}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def read_manifest(out: Path) -> Manifest | None:
    """The manifest of this user's last build into `out`, or None when there is none (the
    folder was made elsewhere, copied, or its `.textcrm-site` forged) or it fails its
    signature: then nothing in the folder is taken on trust."""
    import hmac

    from textcrm.cache import sign

    if not (out / MARKER).is_file():
        return None
    try:
        data = json.loads(_record_file(out).read_text(encoding="utf-8"))
    except (OSError, ValueError, RuntimeError):
        return None
    if not isinstance(data, dict):
        return None
    pages, files, signature = data.get("pages"), data.get("files"), data.get("signature")
    if not (isinstance(pages, dict) and isinstance(files, dict) and isinstance(signature, str)):
        return None
    expected = sign(_signed_body(os.path.realpath(out), pages, files))
    if expected is None or not hmac.compare_digest(signature, expected):
        return None
    try:
        return Manifest(
            {str(k): str(v) for k, v in pages.items()},
            {str(k): (int(v[0]), int(v[1])) for k, v in files.items()},
        )
    except (TypeError, ValueError, IndexError, KeyError):
        return None


def write_marker(out: Path, pages: Iterable[str]) -> bool:
    """Write `out/.textcrm-site`: the pages the build made (the same bytes for the same site,
    however it was built: a serve round writes what a cold build writes), for people and
    tools; textcrm itself never trusts it."""
    doc = {
        "generator": f"textcrm {__version__}",
        "note": "made by `textcrm build`, which removes only the files it wrote here",
        "pages": sorted(pages),
    }
    # One line: Python's fast JSON encoder only runs without indentation.
    text = json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"
    return write_if_changed(out, MARKER, text.encode())


def write_manifest(out: Path, manifest: Manifest) -> None:
    """Write the signed record of every file the build in `out` wrote, kept in the user's
    cache folder (`read_manifest` reads it back)."""
    import tempfile

    from textcrm.cache import sign

    pages = dict(sorted(manifest.pages.items()))
    where = os.path.realpath(out)
    files = {k: list(v) for k, v in sorted(manifest.files.items())}
    signature = sign(_signed_body(where, pages, files))
    if signature is None:  # no key to sign with: the next build will not trust the folder
        return
    record = {"out": where, "pages": pages, "files": files, "signature": signature}
    try:
        target = _record_file(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(record, separators=(",", ":")))
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except (OSError, RuntimeError):
        pass  # no writable cache folder: the next build into `out` then needs --force


def file_stamp(full: Path | str) -> tuple[int, int] | None:
    """(size, mtime_ns) of a regular file, not following a symlink; None otherwise."""
    try:
        st = os.lstat(full)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if stat.S_ISREG(st.st_mode) else None


def intact(out: Path, rel: str, files: Mapping[str, tuple[int, int]]) -> bool:
    """True when `out/rel` is still the file a build wrote: same size and modification time
    as its manifest records. (`unlinked` first drops files behind a symlinked folder.)"""
    want = files.get(rel)
    # os.path, not pathlib: this runs once per page of every build.
    return want is not None and file_stamp(os.path.join(out, rel)) == want


def _through_symlink(out: Path, rel: str) -> bool:
    folder = rel.rpartition("/")[0]
    while folder:
        if os.path.islink(out / folder):
            return True
        folder = folder.rpartition("/")[0]
    return False


def unlinked(out: Path, files: Mapping[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """`files` without those whose folder in `out` was replaced by a symlink since (their
    stamps would be read elsewhere); each folder is looked at once."""
    folders = {rel.rpartition("/")[0] for rel in files}
    linked = {folder for folder in folders if folder and _through_symlink(out, folder + "/x")}
    if not linked:
        return dict(files)
    return {rel: v for rel, v in files.items() if rel.rpartition("/")[0] not in linked}


def check_folder(out: Path, folder: str, checked: set[str] | None) -> None:
    """Create `out/folder` and check that it resolves inside `out` (once per build when the
    caller keeps a `checked` set). A folder that leads elsewhere (a symlink) is refused."""
    if checked is not None and folder in checked:
        return
    if ".." in Path(folder).parts or Path(folder).is_absolute():
        raise UnsafeOutput(f"refusing to write into {folder}: outside the output folder {out}")
    where = out / folder
    where.mkdir(parents=True, exist_ok=True)
    if not where.resolve().is_relative_to(out):
        raise UnsafeOutput(f"refusing to write into {folder}: it leads outside {out}")
    if checked is not None:
        checked.add(folder)


def write_if_changed(out: Path, rel: str, data: bytes, checked: set[str] | None = None) -> bool:
    """Write `data` to `out/rel` unless the file already holds exactly these bytes.

    An existing file is replaced atomically (a browser never sees half a page); a symlink
    in its place is replaced, never followed.
    """
    from textcrm.fsutil import replace_file

    folder = rel.rpartition("/")[0]
    check_folder(out, folder, checked)
    full = out / rel
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        pass
    else:
        if stat.S_ISREG(st.st_mode) and st.st_size == len(data) and full.read_bytes() == data:
            return False
    # A new page too goes through a temporary file: a full disk never leaves half a page.
    replace_file(full, data)
    return True


def remove_stale(out: Path, files: Mapping[str, tuple[int, int]], keep: set[str]) -> int:
    """Delete the files an earlier build wrote (listed in `files`, its manifest, and unchanged
    since) that are not in `keep`, then the folders that leaves empty. Nothing else is
    touched: a CNAME, a .git/ folder, or a file someone edited stays."""
    removed = 0
    folders: set[Path] = set()
    for rel in sorted(set(files) - keep):
        parts = Path(rel).parts
        if rel == MARKER or ".." in parts or Path(rel).is_absolute():
            continue
        if intact(out, rel, files) and not _through_symlink(out, rel):
            (out / rel).unlink()
            removed += 1
            folders.update(p for p in (out / rel).parents if p != out and p.is_relative_to(out))
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty: something else lives there
            folder.rmdir()
    return removed
