"""Every git subprocess textcrm runs, and the readers that load a CRM from the index or a commit.

A fixed, small number of git processes per command whatever the number of files: one listing
(`git ls-files --stage` or `git ls-tree -r`) and one `git cat-file --batch` for the blobs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from textcrm.diagnostics import Diagnostic, error
from textcrm.errors import GitError

_SYMLINK, _GITLINK = "120000", "160000"


def blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob (so disk and git reads share cache keys)."""
    h = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    h.update(data)
    return h.hexdigest()


def run(args: Sequence[str], cwd: Path, input: bytes | None = None, check: bool = True) -> bytes:
    """Run `git ARGS` in `cwd` and return its standard output; GitError when it fails."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, input=input, capture_output=True, env=env, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])} failed: {message[-1] if message else ''}")
    return proc.stdout


def toplevel(path: Path) -> Path | None:
    """The top of the git work tree containing `path`, or None when it is not in one."""
    try:
        out = run(["rev-parse", "--show-toplevel"], path, check=True)
    except GitError:
        return None
    return Path(out.decode("utf-8", "surrogateescape").strip())


def is_shallow(top: Path) -> bool:
    """True for a shallow clone (CI's default fetch depth of 1)."""
    out = run(["rev-parse", "--is-shallow-repository"], top, check=False)
    return out.strip() == b"true"


def resolve(top: Path, ref: str) -> str | None:
    """The commit id a ref, tag or commit id names, or None."""
    out = run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top, check=False)
    text = out.decode().strip()
    return text or None


@dataclass(frozen=True, slots=True)
class Entry:
    mode: str
    sha: str


def _parse_listing(out: bytes, prefix: str, index: bool) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        parts = meta.split()
        if index:  # <mode> <sha> <stage>
            mode, sha, stage = parts[0].decode(), parts[1].decode(), parts[2]
            if stage not in (b"0", b"2"):  # during a merge conflict, take "ours"
                continue
        else:  # <mode> <type> <sha>
            mode, sha = parts[0].decode(), parts[2].decode()
        if mode == _GITLINK:
            continue
        path = raw_path.decode("utf-8", "surrogateescape")
        if prefix:
            if not path.startswith(prefix):
                continue
            path = path[len(prefix) :]
        entries[path] = Entry(mode, sha)
    return entries


def list_index(top: Path, prefix: str) -> dict[str, Entry]:
    """Files in the index under `prefix` (the CRM folder relative to the top, with a slash)."""
    args = ["ls-files", "--stage", "-z", "--full-name"]
    if prefix:
        args += ["--", prefix]
    return _parse_listing(run(args, top), prefix, index=True)


def list_tree(top: Path, commit: str, prefix: str) -> dict[str, Entry]:
    """Files in a commit under `prefix`."""
    args = ["ls-tree", "-r", "-z", "--full-tree", commit]
    if prefix:
        args += ["--", prefix]
    return _parse_listing(run(args, top), prefix, index=False)


def cat_blobs(top: Path, shas: Iterable[str]) -> dict[str, bytes]:
    """Read many blobs with one `git cat-file --batch`."""
    wanted = list(dict.fromkeys(shas))
    if not wanted:
        return {}
    out = run(["cat-file", "--batch"], top, input=("\n".join(wanted) + "\n").encode())
    blobs: dict[str, bytes] = {}
    pos = 0
    for sha in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        blobs[sha] = out[pos : pos + size]
        pos += size + 1
    return blobs


def crm_prefix(top: Path, root: Path) -> str:
    """The CRM root relative to the git top, as a path prefix ('' or 'sub/dir/')."""
    rel = root.resolve().relative_to(top.resolve()).as_posix()
    return "" if rel == "." else rel + "/"


class GitReader:
    """Reads a CRM repository from the git index (`commit=None`) or from a commit."""

    def __init__(self, root: Path, commit: str | None = None, top: Path | None = None) -> None:
        found = top or toplevel(root)
        if found is None:
            raise GitError(f"{root} is not inside a git repository")
        self.top = found
        self.root = root
        self.commit = commit
        self.prefix = crm_prefix(found, root)
        if commit is None:
            self.entries = list_index(found, self.prefix)
        else:
            self.entries = list_tree(found, commit, self.prefix)
        self._blobs: dict[str, bytes] = {}

    def files(self) -> list[str]:
        from textcrm.layout import classify

        return sorted(p for p in self.entries if classify(p) is not None)

    def blob_id(self, relpath: str) -> str | None:
        entry = self.entries.get(relpath)
        return entry.sha if entry and entry.mode != _SYMLINK else None

    def prefetch(self, relpaths: Iterable[str]) -> None:
        """Fetch the blobs of these files with one git process."""
        shas = [e.sha for p in relpaths if (e := self.entries.get(p)) and e.sha not in self._blobs]
        self._blobs.update(cat_blobs(self.top, shas))

    def read(self, relpath: str) -> bytes | Diagnostic:
        entry = self.entries.get(relpath)
        if entry is None:
            return error(relpath, 1, 1, "unreadable-file", "is not in git")
        if entry.mode == _SYMLINK:
            return error(relpath, 1, 1, "unreadable-file", "is a symlink; not followed")
        if entry.sha not in self._blobs:
            self.prefetch([relpath])
        data = self._blobs.get(entry.sha)
        if data is None:
            return error(relpath, 1, 1, "unreadable-file", "its blob is missing from git")
        return data
