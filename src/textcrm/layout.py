"""The CRM repository's shape: find the root, list record files, map paths to (kind, id)."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from textcrm.errors import RootNotFound

CONFIG_FILE = "textcrm.yaml"
CATALOG_FILE = "products.yaml"
FOLDERS: dict[str, str] = {
    "opportunities": "opportunity",
    "accounts": "account",
    "contacts": "contact",
    "competitors": "competitor",
}
KIND_FOLDER: dict[str, str] = {kind: folder for folder, kind in FOLDERS.items()}
CACHE_DIR = ".textcrm-cache"


def find_root(start: Path) -> Path:
    """Walk up from `start` to the folder holding textcrm.yaml, like git finds .git."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise RootNotFound(start)


def classify(relpath: str) -> tuple[str, str] | None:
    """(kind, id) for a path relative to the root, or None when it is not a record file.

    `opportunities/acme.md` is ("opportunity", "acme"); `products.yaml` is ("catalog", "");
    `textcrm.yaml` is ("config", ""). Files in sub-folders of the record folders and files
    that do not end in `.md` are not records (READMEs are skipped too).
    """
    if relpath == CONFIG_FILE:
        return ("config", "")
    if relpath == CATALOG_FILE:
        return ("catalog", "")
    folder, sep, name = relpath.partition("/")
    kind = FOLDERS.get(folder)
    if not sep or kind is None or "/" in name or not name.endswith(".md"):
        return None
    stem = name[:-3]
    if not stem or stem.startswith(".") or stem.upper() == "README":
        return None
    return (kind, stem)


_NOT_ID = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """The id a name gives a new record file: ASCII (accents folded), lower case, words joined
    by hyphens (`Gekko & Co` -> `gekko-co`); '' when nothing is left."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_ID.sub("-", folded.lower()).strip("-")


def record_path(kind: str, record_id: str) -> str:
    """The path, relative to the root, of the record file of `kind` named `record_id`."""
    return f"{KIND_FOLDER[kind]}/{record_id}.md"


def discover(root: Path) -> list[str]:
    """Every record file under `root` (relative, forward slashes, sorted), including ones
    that are symlinks, which the reader decides about."""
    found = []
    for name in (CONFIG_FILE, CATALOG_FILE):
        if os.path.lexists(root / name):
            found.append(name)
    for folder in FOLDERS:
        try:
            entries = os.scandir(root / folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with entries:
            for entry in entries:
                rel = f"{folder}/{entry.name}"
                if classify(rel) is not None and not entry.is_dir():
                    found.append(rel)
    return sorted(found)


def relative_display(root: Path, relpath: str, cwd: Path) -> str:
    """A root-relative path as seen from `cwd`, for messages that editors open."""
    try:
        return os.path.relpath(root / relpath, cwd).replace(os.sep, "/")
    except ValueError:  # pragma: no cover - different drives on Windows
        return str(root / relpath)
