"""The Markdown cache: each distinct note rendered once (`render.section_html`), kept signed.

Notes are rendered by `render.section_html` through render's one Markdown filter; the cache
only remembers its answers by content hash, between builds and across the forked workers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from textcrm.cache import code_fingerprint, read_signed, write_signed


class MarkdownCache:
    """Sanitized HTML of Markdown texts by content hash, kept signed (`cache.write_signed`).

    The HTML goes into pages as it is, so a cache file is only trusted when textcrm wrote it
    on this machine: one committed to the repository fails the signature and is ignored.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.name = f"markdown-{code_fingerprint('markdown')}.pickle"
        self.entries: dict[str, str] = {}
        self.new: dict[str, str] = {}
        self.used: set[str] = set()
        if folder is not None:
            data = read_signed(folder / self.name)
            if isinstance(data, dict):
                self.entries = data

    def html(self, text: str) -> str:
        from textcrm.render import section_html

        if not text.strip():
            return ""
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        self.used.add(key)
        got = self.entries.get(key)
        if got is None:
            got = section_html(text)
            self.entries[key] = got
            self.new[key] = got
        return got

    def merge(self, entries: dict[str, str]) -> None:
        self.entries.update(entries)
        self.used.update(entries)
        self.new.update(entries)

    def save(self, prune: bool) -> None:
        if self.folder is None or (not self.new and not prune):
            return
        keep = {k: v for k, v in self.entries.items() if not prune or k in self.used}
        if not self.new and len(keep) == len(self.entries):
            return
        # A read-only checkout still builds, only slower; the older JSON caches go too.
        write_signed(self.folder, self.name, keep, stale_glob="markdown-*")
        self.new = {}
