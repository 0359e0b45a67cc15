"""The CRM repository's shape: find the root, list record files, map paths to (kind, id)."""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

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
TEMPLATES_DIR = "templates"


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


class OutsideRepository(ValueError):
    """A path named by the repository that leads outside the CRM root (never read)."""

    def __init__(self, relpath: str, reason: str) -> None:
        super().__init__(f"{relpath} {reason}")
        self.relpath = relpath
        self.reason = reason


def resolve_inside(root: Path, relpath: str) -> Path:
    """Resolve a repository-relative path safely: its real path, checked to be inside `root`.

    Every file textcrm reads or writes on behalf of the repository (records, their folders,
    config, catalog, logo, template overrides, import state) goes through here, because any
    file in a repository may come from someone else: an absolute path, a `..` step or a
    symlink (the file itself or any folder on the way) that leads outside the root raises
    OutsideRepository, whose reason completes a sentence about the path. The path need not
    exist.
    """
    pure = PurePosixPath(relpath.replace("\\", "/"))
    if not relpath.strip() or "\0" in relpath:
        raise OutsideRepository(relpath, "is not a file name")
    if pure.is_absolute() or PureWindowsPath(relpath).drive:
        raise OutsideRepository(relpath, "is an absolute path, not one relative to the repository")
    if ".." in pure.parts:
        raise OutsideRepository(relpath, "climbs out of the repository with `..`")
    base = os.path.realpath(root)
    real = os.path.realpath(os.path.join(base, *pure.parts))
    if _is_inside(real, base):
        return Path(real)
    # Name the first symlink on the way that leads out, so the user knows what to fix.
    step = base
    for part in pure.parts:
        step = os.path.join(step, part)
        if os.path.islink(step) and not _is_inside(os.path.realpath(step), base):
            shown = os.path.relpath(step, base).replace(os.sep, "/")
            if shown == pure.as_posix():
                raise OutsideRepository(relpath, "is a symlink leading outside the repository")
            raise OutsideRepository(
                relpath, f"goes through {shown}/, a symlink leading outside the repository"
            )
    raise OutsideRepository(relpath, "leads outside the repository")


def _is_inside(real: str, base: str) -> bool:
    return real == base or real.startswith(os.path.join(base, ""))


def is_record_id(text: str) -> bool:
    """True when `text` can name a record file: one plain file name, no folder, no dot file."""
    return (
        isinstance(text, str)
        and text.strip() == text
        and classify(f"opportunities/{text}.md") == ("opportunity", text)
        and "\\" not in text
        and "\0" not in text
    )


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


@functools.cache
def packaged_templates() -> Path:
    """The default templates: `textcrm/templates` in an installed wheel, else the checkout's."""
    here = Path(__file__).resolve().parent
    if here.is_dir():  # a package on disk: what importlib.resources (7 ms to import) finds
        beside = here / "templates"
        return beside if beside.is_dir() else here.parents[1] / "templates"
    from importlib import resources  # only the site, quotes and cache names need it

    shipped = Path(str(resources.files("textcrm") / "templates"))
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[2] / "templates"
