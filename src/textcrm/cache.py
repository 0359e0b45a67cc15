"""The parse cache: parsed records keyed by a hash of each file's path and bytes.

It lives in `.textcrm-cache/` under the CRM root (with its own `.gitignore`, so git ignores
it), is safe to delete, and can never be stale because the key is the content. The file is a
pickle signed with HMAC-SHA256 under a key kept in the user's cache directory: a cache file
committed to a repository by someone else fails the signature and is ignored, never unpickled.
A corrupt or foreign cache is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
import tempfile
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


class ParseCache:
    """A dict of content key -> parsed result, loaded once and saved if it changed."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.entries: dict[bytes, Any] = {}
        self.used: set[bytes] = set()
        self.changed = False
        self._secret = b""
        if folder is not None:
            self._secret = _secret()
            self.entries = self._load(folder / self._name())

    def _name(self) -> str:
        return f"parse-{_code_fingerprint().hex()[:16]}.pickle"

    def _load(self, file: Path) -> dict[bytes, Any]:
        try:
            blob = file.read_bytes()
        except OSError:
            return {}
        signature, payload = blob[:32], blob[32:]
        expected = hmac.new(self._secret, payload, hashlib.sha256).digest()
        if not hmac.compare_digest(signature, expected):
            return {}
        try:
            entries = pickle.loads(payload)
        except Exception:  # a corrupt cache is rebuilt, whatever broke inside it
            return {}
        return entries if isinstance(entries, dict) else {}

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
        if not self.changed:
            return
        try:
            self.folder.mkdir(exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# textcrm's parse cache: safe to delete\n*\n")
            for old in self.folder.glob("parse-*.pickle"):
                if old.name != self._name():
                    old.unlink(missing_ok=True)
            payload = pickle.dumps(self.entries, protocol=pickle.HIGHEST_PROTOCOL)
            signature = hmac.new(self._secret, payload, hashlib.sha256).digest()
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".parse-", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(signature)
                f.write(payload)
            os.replace(tmp, self.folder / self._name())
        except OSError:
            pass  # a read-only checkout still works, only slower
