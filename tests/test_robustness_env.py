"""When the system refuses (a full disk, permission denied, a path that cannot be created, a
failing git), every command says what failed and what it left untouched, exits 2, and never
leaves half a file; and import reads any Unicode in a cell as data.

Failures are injected in-process (tests may run as root, where a read-only folder does not
stop a write): the temporary file's writer fails with ENOSPC, or creating it with EACCES.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import GOOD_OPPORTUNITY, TODAY, git
from quote_support import LOGO, QUOTE_CONFIG

ENOSPC = "no space left on the device"


class _FullDisk:
    """A file object whose writes stop half-way with ENOSPC, as a full disk does."""

    def __init__(self, fd: int, mode: str = "wb", *args: Any, **kwargs: Any) -> None:
        self.f = open(fd, mode, *args, **kwargs)  # noqa: SIM115 - closed by __exit__

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.f.close()

    def write(self, data: bytes) -> int:
        self.f.write(data[: len(data) // 2])
        self.f.flush()
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Any:
    """From now on, every atomic write runs out of space half-way through its data."""

    def on() -> None:
        from textcrm import fsutil

        def opening(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            return _FullDisk(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), mode)

        monkeypatch.setattr(os, "fdopen", _FullDisk)  # atomic_write's writer
        monkeypatch.setattr(fsutil, "open", opening, raising=False)  # replace_file's

    return on


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> Any:
    """From now on, creating a file in a folder is refused, as in a read-only folder."""

    def on() -> None:
        def refuse(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))

        monkeypatch.setattr(tempfile, "mkstemp", refuse)

    return on


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root but the caches (which only speed up reads)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".textcrm-cache" not in p.parts and ".git" not in p.parts
    }


def no_traceback(result: Any) -> None:
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


@pytest.fixture
def crm(make_repo) -> Path:
    return make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})


EDITS = {
    "log": (["log", "acme", "--type", "call", "--summary", "Demo"], "opportunities/acme.md"),
    "set": (["set", "acme", "amount", "5000"], "opportunities/acme.md"),
    "move": (["move", "acme", "qualification"], "opportunities/acme.md"),
    "new": (
        ["new", "account", "Initrode", "--industry", "Software"],
        "accounts/initrode.md",
    ),
}


@pytest.mark.parametrize("command", sorted(EDITS))
def test_edit_on_a_full_disk_says_so_and_leaves_the_file(run, crm, full_disk, command) -> None:
    args, rel = EDITS[command]
    before = snapshot(crm)
    full_disk()
    result = run([*args, "--root", str(crm), "--today", TODAY])
    no_traceback(result)
    assert result.exit_code == 2
    left = f"{rel} was not created" if command == "new" else f"{rel} is unchanged"
    assert result.output == f"textcrm: error: cannot write {rel}: {ENOSPC}; {left}\n"
    assert snapshot(crm) == before  # no half file, no temporary file left behind


@pytest.mark.parametrize("command", sorted(EDITS))
def test_edit_in_a_read_only_folder_says_so(run, crm, read_only, command) -> None:
    args, rel = EDITS[command]
    before = snapshot(crm)
    read_only()
    result = run([*args, "--root", str(crm), "--today", TODAY])
    no_traceback(result)
    assert result.exit_code == 2
    folder = (crm / rel).parent
    assert result.output.startswith(
        f"textcrm: error: cannot write {rel}: permission denied ({folder}); "
    )
    assert snapshot(crm) == before


def test_commit_refused_by_git_says_the_file_was_written(run, make_repo) -> None:
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    git(root, "init", "-q", "-b", "main")
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'commits are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = run(
        ["set", "acme", "amount", "5000", "--commit", "--root", str(root), "--today", TODAY],
        env={
            "HOME": str(root),
            **{
                f"GIT_{who}_{what}": value
                for who in ("AUTHOR", "COMMITTER")
                for what, value in (("NAME", "Alice"), ("EMAIL", "alice@example.com"))
            },
        },
    )
    no_traceback(result)
    # A hook's refusal is the user's problem to fix (exit 1): what was written, what the hook
    # said, and the state the file and the index were left in.
    assert result.exit_code == 1
    assert result.output == (
        "opportunities/acme.md: set amount on acme\n"
        "commits are frozen\n"
        "textcrm: error: the commit was not made (see above): opportunities/acme.md is written "
        "but not committed, and not staged either (the index is as it was before this "
        "command). Fix what the hook reports, then `git add` and commit it, or run the "
        "command again.\n"
    )
    assert "amount: 5000\n" in (root / "opportunities/acme.md").read_text()


# --- outputs: -o FILE, the site -------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--format", "csv", "-o", "out.csv"],
        ["calendar", "-o", "out.csv"],
        ["quote", "acme", "-o", "out.csv"],
    ],
    ids=["export", "calendar", "quote"],
)
def test_output_file_on_a_full_disk_keeps_the_old_file(run, make_repo, full_disk, args) -> None:
    opp = GOOD_OPPORTUNITY.replace(
        "amount: 48000\n",
        "line_items: [{sku: SCN-200, quantity: 2}]\n"
        "quote: {number: Q-1, date: 2026-11-25, valid_until: 2026-12-31}\n",
    )
    root = make_repo({"opportunities/acme.md": opp, "logo.svg": LOGO}, config=QUOTE_CONFIG)
    (root / "out.csv").write_bytes(b"the previous output")
    before = snapshot(root)
    full_disk()
    today = [] if args[0] == "quote" else ["--today", TODAY]
    result = run([*args, "--root", str(root), *today], cwd=root)
    no_traceback(result)
    assert result.exit_code == 2
    shown = "out.csv" if args[0] != "quote" else str(root / "out.csv")
    prefix = "-o out.csv: cannot write" if args[0] != "quote" else f"cannot write {shown}"
    assert result.output == f"textcrm: error: {prefix}: {ENOSPC}; {shown} was left as it was\n"
    assert snapshot(root) == before


def test_site_on_a_full_disk_keeps_every_page_whole(run, crm, monkeypatch) -> None:
    build = ["build", "--root", str(crm), "--today", TODAY, "--no-cache", "--jobs", "1"]
    assert run(build).exit_code == 0
    site = crm / "_site"
    old = snapshot(site)
    (crm / "opportunities/acme.md").write_text(
        GOOD_OPPORTUNITY.replace("amount: 48000", "amount: 52000"), encoding="utf-8"
    )
    # The disk fills up after a few pages are written.
    from textcrm import fsutil

    calls = {"n": 0}

    def filling(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        return open(fd, mode) if calls["n"] <= 3 else _FullDisk(fd, mode)

    monkeypatch.setattr(fsutil, "open", filling, raising=False)
    result = run(build)
    no_traceback(result)
    assert result.exit_code == 2
    assert result.output.startswith(
        f"textcrm: error: cannot write the site into {site}: {ENOSPC}; the build stopped there: "
        "each page in it is whole, either the previous build's or this one's"
    )
    monkeypatch.delattr(fsutil, "open")
    fresh = crm.parent / "fresh"
    assert run([*build, "-o", str(fresh)]).exit_code == 0
    new = snapshot(fresh)
    now = snapshot(site)
    assert sorted(now) == sorted(old)  # no temporary file left
    written = [rel for rel in now if now[rel] != old[rel]]
    assert 1 <= len(written) <= 3
    assert all(now[rel] in (old[rel], new[rel]) for rel in now)
    # And the next build, with room again, finishes the job.
    assert run(build).exit_code == 0
    assert snapshot(site) == new


def test_first_site_build_on_a_full_disk_leaves_no_half_page(run, crm, full_disk) -> None:
    full_disk()
    result = run(["build", "--root", str(crm), "--today", TODAY, "--no-cache", "--jobs", "1"])
    no_traceback(result)
    assert result.exit_code == 2
    site = crm / "_site"
    assert [p.name for p in site.rglob("*") if p.is_file()] == []


# --- init, hook install, import -------------------------------------------------------


@pytest.mark.skipif(sys.platform != "linux", reason="needs Linux /proc, where nothing is created")
def test_init_where_no_folder_can_be_created(run) -> None:
    result = run(["init", "/proc/textcrm-crm", "--no-hook"])
    no_traceback(result)
    assert result.exit_code == 2
    assert result.output == (
        "textcrm: error: cannot set up a CRM repository in /proc/textcrm-crm: no such file or "
        "folder (/proc/textcrm-crm); nothing was changed\n"
    )


def test_init_on_a_full_disk_says_what_it_had_done(run, tmp_path, full_disk) -> None:
    target = tmp_path / "crm"
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    full_disk()
    result = run(["init", str(target), "--no-hook"])
    no_traceback(result)
    assert result.exit_code == 2
    assert result.output == (
        f"textcrm: error: cannot set up a CRM repository in {target}: {ENOSPC}; "
        "nothing was changed\n"
    )
    assert sorted(p.name for p in target.iterdir()) == [".git"]


def test_hook_install_refused_puts_the_foreign_hook_back(run, crm, read_only) -> None:
    git(crm, "init", "-q", "-b", "main")
    hook = crm / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho theirs\n")
    read_only()
    result = run(["hook", "install", "--force"], cwd=crm)
    no_traceback(result)
    assert result.exit_code == 2
    assert result.output == (
        f"textcrm: error: cannot write {hook}: permission denied ({hook.parent}); "
        "the hooks there are as they were\n"
    )
    assert hook.read_text() == "#!/bin/sh\necho theirs\n"
    assert sorted(p.name for p in hook.parent.iterdir() if "textcrm" in p.name) == []


SF_HEADER = (
    "Id,IsDeleted,AccountId,Name,Description,StageName,Amount,Probability,ExpectedRevenue,"
    "CloseDate,Type,NextStep,OwnerId,CreatedDate,LastActivityDate"
)


def _sf_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SF_HEADER.split(","))
    writer.writerows(rows)
    return out.getvalue()


def _sf_row(sid: str, name: str, description: str = "", next_step: str = "") -> list[str]:
    return [
        sid, "", "001A", name, description, "Prospecting", "48000", "10", "", "2026-12-19",
        "", next_step, "005X", "2026-11-02T09:00:00.000+0000", "2026-11-27",
    ]  # fmt: skip


IMPORT_CONFIG = """\
currency: USD
stages:
  - {key: prospecting, name: Prospecting, probability: 10, forecast: pipeline}
  - {key: closed-won,  name: Closed Won,  probability: 100, forecast: closed, outcome: won}
"""


def _import(run, root: Path, tmp_path: Path, text: str) -> Any:
    (tmp_path / "Opportunity.csv").write_text(text, encoding="utf-8", newline="")
    (tmp_path / "Account.csv").write_text(
        "Id,IsDeleted,Name\n001A,,Acme\u2028Corp\n", encoding="utf-8", newline=""
    )
    (tmp_path / "mapping.yaml").write_text("owners: {005X: alice}\n", encoding="utf-8")
    return run(
        [
            "import", "csv", str(tmp_path / "Opportunity.csv"), str(tmp_path / "Account.csv"),
            "--from", "salesforce", "--mapping", str(tmp_path / "mapping.yaml"),
            "--root", str(root), "--today", TODAY,
        ]
    )  # fmt: skip


def test_import_on_a_full_disk_changes_nothing(run, make_repo, tmp_path, monkeypatch) -> None:
    from textcrm.importers import apply

    root = make_repo(config=IMPORT_CONFIG, defaults=False)
    before = snapshot(root)

    def full(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        return _FullDisk(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644), "wb")

    monkeypatch.setattr(apply, "open", full, raising=False)  # the staging folder's writer
    result = _import(run, root, tmp_path, _sf_csv([_sf_row("006A", "Scanners")]))
    no_traceback(result)
    assert result.exit_code == 2
    assert result.output == (
        f"textcrm: error: the import was not applied: {ENOSPC}; nothing was changed in the "
        "repository\n"
    )
    assert snapshot(root) == before


UNICODE = [
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\x85",  # NEL
    "\x0b",  # vertical tab
    "\x0c",  # form feed
    "\x1c",  # file separator (a line break to str.splitlines)
    "\x1b[31m",  # a terminal escape
    "\x7f",  # DEL
    "\x9b",  # a C1 control
    "\ufeff",  # a byte order mark in the middle
    "\u200b",  # zero-width space
    "\ufffe",  # a non-character
    "\U0001f600",  # outside the BMP
]


def test_import_keeps_any_unicode_in_a_cell_and_check_accepts_it(run, make_repo, tmp_path):
    root = make_repo(config=IMPORT_CONFIG, defaults=False)
    rows = [
        _sf_row(f"006{i:02d}", f"Deal{ch}one", f"Line{ch}two\nthree{ch}four", f"Call{ch}back")
        for i, ch in enumerate(UNICODE)
    ]
    rows.append([*_sf_row("006ZZ", "Bad date")[:9], "2026-13-45", *_sf_row("", "")[10:]])
    result = _import(run, root, tmp_path, _sf_csv(rows))
    no_traceback(result)
    assert result.exit_code == 1, result.output
    refused = [line for line in result.output.splitlines() if "refused" in line]
    line = 2 + 2 * len(UNICODE)  # each description above spans two lines
    assert refused[0] == (
        f"Opportunity.csv:{line}: refused: `CloseDate`: `2026-13-45` is not a valid date"
    )
    assert len(refused) == 2  # that row, and the summary line
    from textcrm.loader import load

    loaded = load(root, date.fromisoformat(TODAY), use_cache=False)
    assert [d for d in loaded.diagnostics if d.severity == "error"] == []
    repo = loaded.repository
    assert repo.accounts["acme-corp"].name == "Acme\u2028Corp"
    by_source = {o.source_id: o for o in repo.opportunities.values()}
    for i, ch in enumerate(UNICODE):
        opp = by_source[f"006{i:02d}"]
        assert opp.title == f"Deal{ch}one"
        assert opp.next_step == f"Call{ch}back"
        assert opp.body == f"Line{ch}two\nthree{ch}four\n"
    checked = run(["check", "--root", str(root), "--today", TODAY])
    assert checked.exit_code == 0, checked.output
    again = _import(run, root, tmp_path, _sf_csv(rows[:-1]))
    assert again.exit_code == 0, again.output
    assert f"opportunities: 0 created, 0 updated, {len(UNICODE)} unchanged" in again.output


@pytest.mark.parametrize("ch", [*UNICODE, "\x00", "\x01\x02"])
def test_emitted_yaml_holds_any_character(ch: str) -> None:
    from textcrm.importers.emit import field_text, node_to_raw
    from textcrm.yamlnodes import compose

    text = f"a{ch}b"
    emitted = field_text("name", text) + field_text("tags", [text, f"{ch}"])
    # No raw line break but the field ends, no character YAML refuses to read.
    assert emitted.count("\n") == 2 and not set(emitted) & set(UNICODE[:10]), repr(emitted)
    node, problem = compose(emitted)
    assert problem is None
    assert node_to_raw(node) == {"name": text, "tags": [text, ch]}
