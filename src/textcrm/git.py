"""Every git subprocess textcrm runs, and the readers that load a CRM from the index or a commit.

A fixed, small number of git processes per command whatever the number of files: one listing
(`git ls-files --stage` or `git ls-tree -r`) and one `git cat-file --batch` for the blobs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from textcrm.diagnostics import Diagnostic, error
from textcrm.errors import CommitFailed, GitError

_SYMLINK, _GITLINK = "120000", "160000"


def blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob (so disk and git reads share cache keys)."""
    h = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    h.update(data)
    return h.hexdigest()


def _run(
    args: Sequence[str], cwd: Path, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, input=input, capture_output=True, env=env, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None


def run(args: Sequence[str], cwd: Path, input: bytes | None = None, check: bool = True) -> bytes:
    """Run `git ARGS` in `cwd` and return its standard output; GitError when it fails."""
    proc = _run(args, cwd, input)
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


class Entry(NamedTuple):
    mode: str
    sha: str


def _parse_listing(out: bytes, prefix: str, index: bool) -> dict[str, Entry]:
    # Runs once per file of the repository on every commit (the hook): slicing one decoded
    # string is several times faster than splitting and decoding each record.
    entries: dict[str, Entry] = {}
    cut = len(prefix)
    for record in out.decode("utf-8", "surrogateescape").split("\0"):
        tab = record.find("\t")
        if tab < 0:
            continue
        mode = record[:6]  # git prints modes as six octal digits
        if mode == _GITLINK:
            continue
        if index:  # <mode> <sha> <stage>\t<path>
            if record[tab - 1] not in "02":  # during a merge conflict, take "ours"
                continue
            sha = record[7 : tab - 2]
        else:  # <mode> <type> <sha>\t<path>
            sha = record[record.rfind(" ", 0, tab) + 1 : tab]
        path = record[tab + 1 :]
        if cut:
            if not path.startswith(prefix):
                continue
            path = path[cut:]
        entries[path] = Entry(mode, sha)
    return entries


def list_index(top: Path, prefix: str, only: Sequence[str] | None = None) -> dict[str, Entry]:
    """Files in the index under `prefix` (the CRM folder relative to the top, with a slash);
    with `only`, just those paths or folders (relative to the prefix, taken literally)."""
    args = ["--literal-pathspecs", "ls-files", "--stage", "-z", "--full-name"]
    if only is not None:
        args += ["--", *(prefix + p for p in only)]
    elif prefix:
        args += ["--", prefix]
    return _parse_listing(run(args, top), prefix, index=True)


def list_tree(
    top: Path, commit: str, prefix: str, only: Sequence[str] | None = None, literal: bool = False
) -> dict[str, Entry]:
    """Files in a commit under `prefix`; with `only`, just those paths or folders (relative
    to the prefix, folders ending in a slash; taken literally with `literal`)."""
    args = ["--literal-pathspecs"] if literal else []
    args += ["ls-tree", "-r", "-z", "--full-tree", commit]
    if only is not None:
        args += ["--", *(prefix + p for p in only)]
    elif prefix:
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


class BlobBatch:
    """One `git cat-file --batch` process serving every blob read of a command (the hook reads
    the index, HEAD and an old catalog through it): one git process however many reads.

    Use it as a context manager, or call `close`; the process starts on the first read.
    """

    # Requests are written in chunks that fit a pipe buffer, and each chunk's answers are
    # read before the next is sent: git never waits on a full pipe while we write.
    CHUNK = 1000

    def __init__(self, top: Path) -> None:
        self.top = top
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BlobBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
            try:
                self._proc = subprocess.Popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self.top,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            except FileNotFoundError:
                raise GitError("git is not installed or not on PATH") from None
        return self._proc

    def read(self, shas: Iterable[str]) -> dict[str, bytes]:
        """The blobs with these ids (a missing one is left out)."""
        wanted = list(dict.fromkeys(shas))
        blobs: dict[str, bytes] = {}
        if not wanted:
            return blobs
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        for at in range(0, len(wanted), self.CHUNK):
            chunk = wanted[at : at + self.CHUNK]
            try:
                proc.stdin.write(("\n".join(chunk) + "\n").encode())
                proc.stdin.flush()
            except BrokenPipeError:
                raise GitError("git cat-file --batch stopped unexpectedly") from None
            for sha in chunk:
                header = proc.stdout.readline().split()
                if not header:
                    raise GitError("git cat-file --batch stopped unexpectedly")
                if len(header) < 3 or header[1] == b"missing":
                    continue
                size = int(header[2])
                blobs[sha] = proc.stdout.read(size)
                proc.stdout.read(1)  # the newline after each object
        return blobs

    def close(self) -> None:
        """End the git process (it exits when its input closes)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            assert proc.stdin is not None and proc.stdout is not None
            with contextlib.suppress(BrokenPipeError):  # git has gone (it failed)
                proc.stdin.close()
            proc.stdout.close()
            proc.wait()


def crm_prefix(top: Path, root: Path) -> str:
    """The CRM root relative to the git top, as a path prefix ('' or 'sub/dir/')."""
    rel = root.resolve().relative_to(top.resolve()).as_posix()
    return "" if rel == "." else rel + "/"


class GitReader:
    """Reads a CRM repository from the git index (`commit=None`) or from a commit.

    `only` lists just some paths or folders: the hook lists the folders that references
    point into and the staged files, not every opportunity. `blobs` is a `BlobBatch` shared
    with other readers (one git process for all of them); without it each prefetch runs one.
    """

    def __init__(
        self,
        root: Path,
        commit: str | None = None,
        top: Path | None = None,
        only: Sequence[str] | None = None,
        blobs: BlobBatch | None = None,
    ) -> None:
        found = top or toplevel(root)
        if found is None:
            raise GitError(f"{root} is not inside a git repository")
        self.top = found
        self.root = root
        self.commit = commit
        self.prefix = crm_prefix(found, root)
        if commit is None:
            self.entries = list_index(found, self.prefix, only)
        else:
            self.entries = list_tree(found, commit, self.prefix, only)
        self._batch = blobs
        self._blobs: dict[str, bytes] = {}
        self._files: list[str] | None = None

    def files(self) -> list[str]:
        if self._files is None:  # asked for by both the hook and the loader
            from textcrm.layout import classify

            self._files = sorted(p for p in self.entries if classify(p) is not None)
        return list(self._files)

    def blob_id(self, relpath: str) -> str | None:
        entry = self.entries.get(relpath)
        return entry.sha if entry and entry.mode != _SYMLINK else None

    def prefetch(self, relpaths: Iterable[str]) -> None:
        """Fetch the blobs of these files with one git process."""
        shas = [e.sha for p in relpaths if (e := self.entries.get(p)) and e.sha not in self._blobs]
        if self._batch is not None:
            self._blobs.update(self._batch.read(shas))
        else:
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


def commit_file(root: Path, relpath: str, message: str) -> str:
    """Stage one file and commit just that file; return the new commit's id.

    `git commit -- FILE` commits only that path, whatever else is staged, so an edit never
    sweeps the user's other work into its commit.
    """
    top = toplevel(root)
    if top is None:
        raise GitError(f"--commit: {root} is not inside a git repository")
    full = (root / relpath).resolve()
    rel = full.relative_to(top.resolve()).as_posix()
    staged = run(["--literal-pathspecs", "ls-files", "--stage", "-z", "--", rel], top)
    run(["--literal-pathspecs", "add", "--", rel], top)
    proc = _run(["--literal-pathspecs", "commit", "--quiet", "-m", message, "--", rel], top)
    if proc.returncode != 0:
        # Put the file's index entry back as it was: staged as before, or not at all.
        if staged:
            info = staged.replace(b"\0", b"\n")
            run(["update-index", "--index-info"], top, input=info)
        else:
            run(["--literal-pathspecs", "rm", "--cached", "--quiet", "--", rel], top)
        output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        raise CommitFailed(rel, output)
    return run(["rev-parse", "HEAD"], top).decode().strip()


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file changed by a commit, relative to the CRM folder (None outside it)."""

    status: str  # A, M, D, R (rename), T (type change)
    old_path: str | None
    new_path: str | None
    old_blob: str | None
    new_blob: str | None


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A commit of the first-parent line that touched the CRM folder, with its changes."""

    sha: str
    parents: tuple[str, ...]
    authored: str  # ISO 8601 with the author's offset
    committed: str
    author: str
    subject: str
    changes: tuple[FileChange, ...]


# --- what a commit changes, hooks, init ---


@dataclass(frozen=True, slots=True)
class Change:
    """One changed path between two trees: status letter (A, M, D, R, C, T, U), the path
    before and after (equal unless renamed or copied), the blob ids before and after, and the
    mode after (git's six octal digits)."""

    status: str
    old_path: str
    new_path: str
    old_sha: str
    new_sha: str
    new_mode: str = ""


_NULL_SHA = "0" * 40


def _strip(path: str, prefix: str) -> str | None:
    if not prefix:
        return path
    return path[len(prefix) :] if path.startswith(prefix) else None


def log_raw(top: Path, rev: str, prefix: str, stop: str | None = None) -> list[LogEntry]:
    """The first-parent commits of `rev` (after `stop`) touching `prefix`, oldest first.

    One `git log --raw` process: merges are diffed against their first parent, so the
    changes of consecutive entries compose into the tree of each commit exactly.
    """
    args = [
        "log",
        "--first-parent",
        "-m",
        "--raw",
        "-z",
        "--no-abbrev",
        "-M",
        "--reverse",
        "--format=%x01%H %P%x00%aI%x00%cI%x00%an%x00%s%x00",
        f"{stop}..{rev}" if stop else rev,
        "--",
    ]
    args.append(prefix.rstrip("/") if prefix else ".")
    out = run(args, top)
    entries: list[LogEntry] = []
    for chunk in out.split(b"\x01")[1:]:
        fields = chunk.split(b"\0", 5)
        shas = fields[0].decode().split()
        rest = fields[5] if len(fields) > 5 else b""
        changes: list[FileChange] = []
        for old_mode, new_mode, old_blob, new_blob, status, first, second in _raw_records(rest):
            if _GITLINK in (old_mode, new_mode):
                continue
            old = _strip(first, prefix) if status != "A" else None
            new = _strip(second, prefix) if status != "D" else None
            if status == "C":  # a copy leaves the original in place: an addition
                status, old, old_blob = "A", None, _NULL_SHA
            changes.append(
                FileChange(
                    status,
                    old,
                    new,
                    None if old_blob == _NULL_SHA or old_mode == _SYMLINK else old_blob,
                    None if new_blob == _NULL_SHA or new_mode == _SYMLINK else new_blob,
                )
            )
        entries.append(
            LogEntry(
                sha=shas[0],
                parents=tuple(shas[1:]),
                authored=fields[1].decode(),
                committed=fields[2].decode(),
                author=fields[3].decode("utf-8", "replace"),
                subject=fields[4].decode("utf-8", "replace"),
                changes=tuple(changes),
            )
        )
    return entries


def first_parent_line(top: Path, rev: str) -> list[tuple[str, str]]:
    """(commit id, committer date) of each commit on `rev`'s first-parent line, newest first."""
    out = run(["log", "--first-parent", "--format=%H %cI", rev, "--"], top)
    pairs = []
    for line in out.decode().splitlines():
        sha, _, when = line.partition(" ")
        pairs.append((sha, when))
    return pairs


def merge_base(top: Path, a: str, b: str) -> str | None:
    """The best common ancestor of two commits, or None when they share no history."""
    out = run(["merge-base", a, b], top, check=False).decode().strip()
    return out or None


def commit_date(top: Path, commit: str) -> str:
    """The committer date of a commit, ISO 8601 with its offset."""
    return run(["show", "-s", "--format=%cI", commit], top).decode().strip()


def _raw_records(out: bytes) -> Iterator[tuple[str, str, str, str, str, str, str]]:
    """The records of `--raw -z` output: (old mode, new mode, old blob, new blob, status
    letter, path, path after a rename or copy, else the same path)."""
    fields = out.split(b"\0")
    i = 0
    while i < len(fields):
        meta = fields[i].lstrip(b"\n")
        if not meta.startswith(b":"):
            i += 1
            continue
        old_mode, new_mode, old_sha, new_sha, status = meta[1:].decode().split()[:5]
        first = fields[i + 1].decode("utf-8", "surrogateescape")
        if status[0] in "RC":
            second = fields[i + 2].decode("utf-8", "surrogateescape")
            i += 3
        else:
            second = first
            i += 2
        yield old_mode, new_mode, old_sha, new_sha, status[0], first, second


def _parse_raw_diff(out: bytes) -> list[Change]:
    return [
        Change(status, old_path, new_path, old_sha, new_sha, new_mode)
        for _m, new_mode, old_sha, new_sha, status, old_path, new_path in _raw_records(out)
    ]


_DIFF_RAW = [
    "--raw",
    "-z",
    "-M",
    "--no-abbrev",
    "--no-ext-diff",
    "--no-textconv",
    "--ignore-submodules=all",
]


def staged_changes(top: Path) -> list[Change]:
    """What the commit being made changes: the index against HEAD (against the empty tree
    before the first commit). Paths are relative to the top. One git process."""
    return _parse_raw_diff(run(["diff", "--cached", *_DIFF_RAW], top))


def changes_since(top: Path, ref: str) -> list[Change]:
    """What the working tree changes since the point where HEAD forked from `ref` (what a
    pull request adds). New blob ids of modified files are unknown (all zeros)."""
    if resolve(top, ref) is None:
        hint = (
            " (this is a shallow clone: fetch the history, e.g. `fetch-depth: 0` in GitHub Actions)"
            if is_shallow(top)
            else ""
        )
        raise GitError(f"`{ref}` is not a commit in this repository{hint}")
    proc_out = run(["merge-base", ref, "HEAD"], top, check=False).decode().strip()
    if not proc_out:
        hint = " (shallow clone: fetch the whole history)" if is_shallow(top) else ""
        raise GitError(f"HEAD and `{ref}` have no common ancestor{hint}")
    return _parse_raw_diff(run(["diff", *_DIFF_RAW, proc_out], top))


def files_named(top: Path, name: str) -> list[str]:
    """Paths (relative to the top) of every file in the index called `name`, at any depth."""
    out = run(["ls-files", "-z", "--full-name", "--", f":(glob){name}", f":(glob)**/{name}"], top)
    return sorted({p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p})


def hooks_dir(cwd: Path) -> Path:
    """The folder git runs hooks from: honours core.hooksPath and linked worktrees."""
    top = toplevel(cwd)
    if top is None:
        raise GitError(f"{cwd} is not inside a git repository; run `git init` first")
    out = run(["rev-parse", "--git-path", "hooks"], top).decode("utf-8", "surrogateescape")
    path = Path(out.strip())
    return path if path.is_absolute() else top / path


def init(folder: Path) -> None:
    """`git init` in `folder`."""
    run(["init", "--quiet"], folder)


def remote(top: Path) -> tuple[str, str] | None:
    """(name, URL) of the remote the forge links use: `origin`, else the first one listed."""
    names = run(["remote"], top, check=False).decode("utf-8", "replace").split()
    if not names:
        return None
    name = "origin" if "origin" in names else names[0]
    url = run(["remote", "get-url", name], top, check=False).decode("utf-8", "replace").strip()
    return (name, url) if url else None


def default_branch(top: Path, remote_name: str) -> str:
    """The remote's default branch (its HEAD as last fetched), else the current branch."""
    out = run(
        ["symbolic-ref", "--quiet", "--short", f"refs/remotes/{remote_name}/HEAD"], top, check=False
    ).decode("utf-8", "replace")
    if out.strip():
        return out.strip().removeprefix(f"{remote_name}/")
    head = run(["symbolic-ref", "--quiet", "--short", "HEAD"], top, check=False)
    return head.decode("utf-8", "replace").strip()
