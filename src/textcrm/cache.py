"""The parse cache: parsed records keyed by a hash of each file's path and bytes.

It lives in `.textcrm-cache/` under the CRM root (with its own `.gitignore`, so git ignores
it), is safe to delete, and can never be stale because the key is the content. The file is a
pickle signed with HMAC-SHA256 under a key kept in the user's cache directory: a cache file
committed to a repository by someone else fails the signature and is ignored, never unpickled.
A corrupt or foreign cache is ignored and rebuilt.

pickle, hmac, secrets and tempfile are imported where used: the pre-commit hook, which skips
the cache for a small commit, imports this module on every commit.
"""

from __future__ import annotations

import gc
import hashlib
import os
from pathlib import Path
from typing import Any

from textcrm import __version__

_FORMAT = 1
_CODE_MODULES = ("parse.py", "schema.py", "model.py", "money.py", "source.py", "yamlnodes.py")


def content_key(kind: str, path: str, blob: str) -> bytes:
    """The cache key of one file: its kind, path and content (git's blob id of its bytes)."""
    h = hashlib.blake2b(blob.encode(), digest_size=20)
    h.update(b"\0" + kind.encode() + b"\0" + path.encode("utf-8", "surrogateescape"))
    return h.digest()


def _code_fingerprint() -> bytes:
    here = Path(__file__).parent
    h = hashlib.blake2b(f"{_FORMAT}:{__version__}".encode(), digest_size=16)
    for name in _CODE_MODULES:
        try:
            st = (here / name).stat()
            h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            h.update(name.encode())
    return h.digest()


def _secret() -> bytes:
    import secrets

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "textcrm"
    key_file = base / "cache-key"
    try:
        key = key_file.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        base.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
    except FileExistsError:
        return key_file.read_bytes()
    except OSError:
        pass  # no writable home: the cache then lasts this process only
    return key


def user_cache_dir() -> Path:
    """textcrm's folder in the user's cache directory (XDG_CACHE_HOME, else ~/.cache): the
    signing key, and what textcrm keeps about the output folders it built for this user."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "textcrm"


def sign(data: bytes) -> str:
    """HMAC-SHA256 of `data` under the user's key, in hex: what textcrm wrote for this user
    (a site manifest) can be told from a file someone else committed or forged."""
    import hmac

    return hmac.new(_secret(), data, hashlib.sha256).hexdigest()


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
    """A short hex fingerprint of the parsing code (and `extra`), to name derived caches."""
    h = hashlib.blake2b(_code_fingerprint(), digest_size=8)
    for item in extra:
        h.update(item.encode())
    return h.hexdigest()


def read_signed(file: Path) -> Any:
    """Unpickle a file written by `write_signed`, or None when missing, corrupt or foreign."""
    import hmac
    import pickle

    try:
        blob = file.read_bytes()
    except OSError:
        return None
    signature, payload = blob[:32], blob[32:]
    expected = hmac.new(_secret(), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
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
    """Pickle `value` to folder/name atomically and signed; drop others matching `stale_glob`."""
    import hmac
    import pickle
    import tempfile

    try:
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# textcrm's parse cache: safe to delete\n*\n")
        if stale_glob:
            for old in folder.glob(stale_glob):
                if old.name != name:
                    old.unlink(missing_ok=True)
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        signature = hmac.new(_secret(), payload, hashlib.sha256).digest()
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(signature)
            f.write(payload)
        os.replace(tmp, folder / name)
    except OSError:
        pass  # a read-only checkout still works, only slower
