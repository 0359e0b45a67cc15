"""Caches are only trusted when this user's textcrm wrote them: a cache file committed to the
repository, or signed with an empty or short key, is never unpickled nor put into a page."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
from pathlib import Path

import pytest

from conftest import GOOD_OPPORTUNITY, TODAY, git, write_files
from textcrm import cache, site
from textcrm.cache import KEY_BYTES, ParseCache, write_signed

SCRIPT = "<script>alert(document.cookie)</script>"
NOTES = "---\n" + GOOD_OPPORTUNITY.split("---\n")[1] + "---\nCall **Jane** on Monday.\n"


class RunsOnLoad:
    """Unpickling this runs a shell command: what a forged pickle cache would carry."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own cache-key file (not yet created)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg/textcrm/cache-key"


def forge(folder: Path, name: str, value: object, key: bytes, scheme: str) -> None:
    """Write a cache file signed with `key`: as the current code signs (the file name bound
    in), or as the first release did (the payload only)."""
    payload = pickle.dumps(value)
    if scheme == "current":
        mac = hmac.new(key, b"textcrm cache\0" + name.encode() + b"\0" + payload, hashlib.sha256)
    else:
        mac = hmac.new(key, payload, hashlib.sha256)
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(mac.digest() + payload)


def check(run, root: Path, *extra: str):
    result = run(["check", "--root", str(root), "--today", TODAY, *extra])
    assert "Traceback" not in result.output
    return result


def listing(run, root: Path):
    """A command that loads the repository through the parse cache (check has its own
    results cache, tested in tests/test_results_cache.py)."""
    result = run(["list", "--root", str(root), "--today", TODAY])
    assert "Traceback" not in result.output
    return result


# --- the parse cache and the key ---------------------------------------------------------


def test_a_correctly_signed_cache_is_unpickled(make_repo, run, tmp_path, key_file):
    """The control for the forgeries below: the file name and signature are the real ones."""
    root = make_repo()
    listing(run, root)  # makes the key and the cache
    marker = tmp_path / "pwned"
    write_signed(root / ".textcrm-cache", ParseCache(None)._name(), RunsOnLoad(marker))
    listing(run, root)
    assert marker.exists()


@pytest.mark.parametrize("scheme", ["current", "first-release"])
@pytest.mark.parametrize("left", [b"", b"short"], ids=["empty-key", "short-key"])
def test_a_weak_key_is_never_used(make_repo, run, tmp_path, key_file, left, scheme):
    root = make_repo()
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(left)  # what one failed first write leaves behind
    marker = tmp_path / "pwned"
    name = ParseCache(None)._name()
    forge(root / ".textcrm-cache", name, RunsOnLoad(marker), left, scheme)
    assert listing(run, root).exit_code == 0
    assert not marker.exists()
    key = key_file.read_bytes()
    assert len(key) == KEY_BYTES and key != left
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert not [p.name for p in key_file.parent.iterdir() if p.name != "cache-key"]  # no temp
    # The cache the check wrote is signed with the new key and is read back.
    assert cache.read_signed(root / ".textcrm-cache" / name) is not None


def test_without_a_writable_key_there_is_no_cache(make_repo, run, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    root = make_repo()
    marker = tmp_path / "pwned"
    forge(root / ".textcrm-cache", ParseCache(None)._name(), RunsOnLoad(marker), b"", "current")
    before = sorted(p.name for p in (root / ".textcrm-cache").iterdir())
    result = check(run, root)
    assert result.exit_code == 0
    assert result.output == check(run, root, "--no-cache").output
    assert not marker.exists()
    assert sorted(p.name for p in (root / ".textcrm-cache").iterdir()) == before


def test_a_symlinked_cache_folder_is_neither_read_nor_written(make_repo, run, tmp_path, key_file):
    root = make_repo({"opportunities/acme.md": NOTES})
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "parse-0123456789abcdef.pickle").write_bytes(b"someone else's file")
    (outside / "markdown-0123456789abcdef.json").write_text("{}")
    (root / ".textcrm-cache").symlink_to(outside)
    built = run(["build", "--root", str(root), "--today", TODAY])
    assert built.exit_code == 0, built.output
    assert check(run, root).exit_code == 0
    assert sorted(p.name for p in outside.iterdir()) == [
        "markdown-0123456789abcdef.json",
        "parse-0123456789abcdef.pickle",
    ]
    assert (outside / "parse-0123456789abcdef.pickle").read_bytes() == b"someone else's file"


def test_a_symlinked_cache_file_is_not_followed(make_repo, run, tmp_path, key_file):
    root = make_repo()
    listing(run, root)
    marker = tmp_path / "pwned"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    name = ParseCache(None)._name()
    write_signed(outside, name, RunsOnLoad(marker))  # even a valid signature, out there
    (root / ".textcrm-cache" / name).unlink()
    (root / ".textcrm-cache" / name).symlink_to(outside / name)
    assert listing(run, root).exit_code == 0
    assert not marker.exists()
    assert (outside / name).is_file()


# --- the Markdown cache --------------------------------------------------------------------


def built_notes(run, root: Path) -> str:
    result = run(["build", "--root", str(root), "--today", TODAY])
    assert result.exit_code == 0, result.output
    return (root / "_site/opportunities/acme.html").read_text(encoding="utf-8")


def poisoned(root: Path) -> dict[str, str]:
    """The real Markdown cache's keys, each mapped to a script."""
    folder = root / ".textcrm-cache"
    entries = cache.read_signed(folder / site.MarkdownCache(folder).name)
    assert isinstance(entries, dict) and entries
    return dict.fromkeys(entries, SCRIPT)


def test_markdown_cache_signed_by_textcrm_is_used(make_repo, run, key_file):
    """The control: a cache entry textcrm signed does go into the page as it is."""
    root = make_repo({"opportunities/acme.md": NOTES})
    assert "<strong>Jane</strong>" in built_notes(run, root)
    entries = poisoned(root)
    write_signed(root / ".textcrm-cache", site.MarkdownCache(None).name, entries)
    (root / "_site").rename(root / "_old")
    assert SCRIPT in built_notes(run, root)


@pytest.mark.parametrize("form", ["json-of-the-first-release", "signed-with-an-empty-key"])
def test_committed_markdown_cache_cannot_inject_html(make_repo, run, key_file, form):
    root = make_repo({"opportunities/acme.md": NOTES})
    built_notes(run, root)
    entries = poisoned(root)
    folder = root / ".textcrm-cache"
    for old in folder.iterdir():
        old.unlink()
    (root / "_site").rename(root / "_old")
    key_file.write_bytes(b"")
    if form == "json-of-the-first-release":
        json_name = site.MarkdownCache(None).name.replace(".pickle", ".json")
        (folder / json_name).write_text(json.dumps(entries))
    else:
        forge(folder, site.MarkdownCache(None).name, entries, b"", "current")
    page = built_notes(run, root)
    assert SCRIPT not in page and "<script>alert" not in page
    assert "<strong>Jane</strong>" in page


# --- the history cache ---------------------------------------------------------------------


def test_committed_history_cache_is_not_unpickled(make_repo, run, tmp_path, key_file):
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Start", env={"GIT_COMMITTER_DATE": "2026-11-01T12:00:00"})
    args = ["changes", "--since", "2026-10-01", "--today", TODAY, "--format", "json"]
    first = run(args, cwd=root)
    assert first.exit_code == 0, first.output
    names = [p.name for p in (root / ".textcrm-cache").glob("history-*.pickle")]
    assert names
    marker = tmp_path / "pwned"
    for name in names:  # what a contributor could commit: a forged file under the same name
        forge(root / ".textcrm-cache", name, RunsOnLoad(marker), b"", "current")
    key_file.write_bytes(b"")
    write_files(root, {"notes.txt": "unrelated\n"})
    again = run(args, cwd=root)
    assert not marker.exists()
    assert again.output == first.output
