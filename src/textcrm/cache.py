"""The caches' signed files, and the parse cache: parsed records keyed by each file's bytes.

Every cache (parsed records here, rendered Markdown in `site`, the history timeline in
`history`) lives in `.textcrm-cache/` under the CRM root (with its own `.gitignore`, so git
ignores it), is safe to delete, and is written and read only through `write_signed` and
`read_signed`: a pickle signed with HMAC-SHA256 under a key of at least 32 random bytes kept
in the user's cache directory, outside any repository. A cache file committed to a repository
by someone else fails the signature and is ignored, never unpickled; so does a corrupt one.
The parse cache can never be stale because its key is the content.

pickle, hmac, secrets and tempfile are imported where used: the pre-commit hook, which skips
the cache for a small commit, imports this module on every commit.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from textcrm import __version__

_FORMAT = 3


def content_key(kind: str, path: str, blob: str) -> bytes:
    """The cache key of one file: its kind, path and content (git's blob id of its bytes)."""
    h = hashlib.blake2b(blob.encode(), digest_size=20)
    h.update(b"\0" + kind.encode() + b"\0" + path.encode("utf-8", "surrogateescape"))
    return h.digest()


@functools.cache
def _code_fingerprint() -> bytes:
    """The one fingerprint of textcrm's code, naming every cache: the version, and the size
    and modification time of every module and packaged template.

    Any change to the code (an upgrade, an edit in a checkout) names new cache files, so no
    cache written by other code is ever read. Stat only: about a hundred files, a millisecond.
    """
    from textcrm.layout import packaged_templates

    h = hashlib.blake2b(f"{_FORMAT}:{__version__}".encode(), digest_size=16)
    here = Path(__file__).parent
    files = sorted(here.rglob("*.py")) + sorted(packaged_templates().rglob("*"))
    for file in files:
        try:
            st = file.stat()
            h.update(f"{file.name}:{st.st_size}:{st.st_mtime_ns}\0".encode())
        except OSError:
            h.update(file.name.encode())
    return h.digest()


KEY_BYTES = 32  # the shortest key that signs or verifies anything


def _key_file() -> Path | None:
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except (RuntimeError, KeyError):  # no home folder at all
        return None
    return base / "textcrm" / "cache-key"


def _read_key(key_file: Path) -> bytes | None:
    try:
        key = key_file.read_bytes()
    except OSError:
        return None
    return key if len(key) >= KEY_BYTES else None


def signing_key() -> bytes | None:
    """The user's cache key (at least KEY_BYTES random bytes), made on first use; None when
    no good key can be kept, and then no cache is read or written.

    A missing, empty or short key file (one failed first write leaves an empty one) is
    replaced atomically: a new key goes to a temporary file, is flushed to disk, and is
    renamed over the old one, so no reader ever sees a partial key. When two processes do it
    at once the last rename wins and both use the key on disk; the loser's cache misses once.
    """
    key_file = _key_file()
    if key_file is None:
        return None
    key = _read_key(key_file)
    if key is not None:
        return key
    import secrets  # only to make a key (the hook reads one on every commit)
    import tempfile

    try:
        key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=key_file.parent, prefix=".cache-key-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(KEY_BYTES))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, key_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return None  # no writable cache folder: work without caches, never with a weak key
    return _read_key(key_file)


def _signature(key: bytes, name: str, payload: bytes) -> bytes:
    """HMAC-SHA256 of a cache file's payload, bound to its file name (a parse cache cannot
    be passed off as a history cache, nor one history delta as another)."""
    import hmac

    mac = hmac.new(key, b"textcrm cache\0" + name.encode() + b"\0", hashlib.sha256)
    mac.update(payload)
    return mac.digest()


def _real_folder(folder: Path) -> bool:
    """Whether `folder` is a folder itself, not a symlink (a committed `.textcrm-cache`
    symlink must not make textcrm write or delete files elsewhere)."""
    try:
        return stat.S_ISDIR(os.lstat(folder).st_mode)
    except OSError:
        return False


def user_cache_dir() -> Path:
    """textcrm's folder in the user's cache directory (XDG_CACHE_HOME, else ~/.cache): the
    signing key, and what textcrm keeps about the output folders it built for this user."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "textcrm"


def sign(data: bytes) -> str | None:
    """HMAC-SHA256 of `data` under the user's key, in hex: what textcrm wrote for this user
    (a site manifest) can be told from a file someone else committed or forged. None when no
    good key can be kept: then nothing is signed, and nothing is trusted."""
    import hmac

    key = signing_key()
    if key is None:
        return None
    return hmac.new(key, data, hashlib.sha256).hexdigest()


class ParseCache:
    """A dict of content key -> parsed result, loaded once and saved if it changed."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.entries: dict[bytes, Any] = {}
        self.used: set[bytes] = set()
        self.changed = False
        if folder is not None:
            entries = read_signed(folder / self._name())
            self.entries = entries if isinstance(entries, dict) else {}

    def _name(self) -> str:
        return f"parse-{_code_fingerprint().hex()[:16]}.pickle"

    def get(self, key: bytes) -> Any:
        value = self.entries.get(key)
        if value is not None:
            self.used.add(key)
        return value

    def put(self, key: bytes, value: Any) -> None:
        self.entries[key] = value
        self.used.add(key)
        self.changed = True

    def save(self, prune: bool) -> None:
        """Write the cache atomically; with `prune`, drop entries this run did not use."""
        if self.folder is None:
            return
        if prune and len(self.used) != len(self.entries):
            self.entries = {k: v for k, v in self.entries.items() if k in self.used}
            self.changed = True
        if self.changed:
            write_signed(self.folder, self._name(), self.entries, stale_glob="parse-*.pickle")


def code_fingerprint(*extra: str) -> str:
    """A short hex fingerprint of textcrm's code (and `extra`), to name a cache file."""
    h = hashlib.blake2b(_code_fingerprint(), digest_size=8)
    for item in extra:
        h.update(item.encode())
    return h.hexdigest()


def read_signed(file: Path) -> Any:
    """Unpickle a file written by `write_signed`, or None when missing, corrupt or foreign.

    Only a regular file in a real cache folder is read (not a symlink, which could point at
    a device or a huge file), and nothing is unpickled before its signature is checked.
    """
    import hmac
    import pickle

    key = signing_key()
    if key is None or not _real_folder(file.parent):
        return None
    try:
        fd = os.open(
            file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            blob = f.read()
    except OSError:
        return None
    signature, payload = blob[:32], blob[32:]
    if not hmac.compare_digest(signature, _signature(key, file.name, payload)):
        return None
    # The records hold no reference cycles; pausing the cyclic collector while a large cache
    # is unpickled (a million small objects) makes loading it about three times faster.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(payload)
    except Exception:  # a corrupt cache is rebuilt, whatever broke inside it
        return None
    finally:
        if enabled:
            gc.enable()


def write_signed(folder: Path, name: str, value: Any, stale_glob: str = "") -> None:
    """Pickle `value` to folder/name atomically and signed; drop others matching `stale_glob`.

    Nothing is written without a good key, nor into a `folder` that is a symlink.
    """
    import pickle
    import tempfile

    key = signing_key()
    if key is None:
        return
    try:
        folder.mkdir(exist_ok=True)
        if not _real_folder(folder):
            return
        ignore = folder / ".gitignore"
        if not os.path.lexists(ignore):
            fd = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "w") as f:
                f.write("# textcrm's caches: safe to delete\n*\n")
        if stale_glob:
            for old in folder.glob(stale_glob):
                if old.name != name:
                    old.unlink(missing_ok=True)
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        signature = _signature(key, name, payload)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(signature)
            f.write(payload)
        os.replace(tmp, folder / name)
    except OSError:
        pass  # a read-only checkout still works, only slower
