"""Writing edits: atomic replace under injected failures, mode kept, --dry-run, --commit in git."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import GOOD_OPPORTUNITY, TODAY, git

DAY = date(2026, 11, 28)


@pytest.fixture
def crm(make_repo) -> Path:
    return make_repo({"opportunities/acme-scanners.md": GOOD_OPPORTUNITY})


def opp_path(crm: Path) -> Path:
    return crm / "opportunities" / "acme-scanners.md"


@pytest.mark.parametrize("step", ["write", "fsync", "chmod", "replace"])
def test_interrupted_write_leaves_the_old_file(
    crm: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    from textcrm import edit
    from textcrm.errors import EnvironmentFailure

    path = opp_path(crm)
    before = path.read_bytes()
    change = edit.set_value(edit.open_opportunity(crm, DAY, "acme-scanners"), "amount", "5")

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(f"injected failure at {step}")

    if step == "write":
        real_fdopen = os.fdopen

        class Broken:
            def __init__(self, fd: int, mode: str) -> None:
                self.f = real_fdopen(fd, mode)

            def __enter__(self) -> Broken:
                return self

            def __exit__(self, *exc: object) -> None:
                self.f.close()

            def write(self, data: bytes) -> None:
                self.f.write(data[: len(data) // 2])  # a torn write, then the crash
                raise OSError("injected failure at write")

        monkeypatch.setattr(os, "fdopen", Broken)
    else:
        monkeypatch.setattr(os, step, boom)
    with pytest.raises(EnvironmentFailure, match="injected failure") as failed:
        edit.save(crm, change)
    assert failed.value.message.endswith("; opportunities/acme-scanners.md is unchanged")
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["acme-scanners.md"]


def test_write_keeps_the_mode_and_replaces_atomically(crm: Path) -> None:
    from textcrm import edit

    path = opp_path(crm)
    path.chmod(0o640)
    inode = path.stat().st_ino
    change = edit.set_value(edit.open_opportunity(crm, DAY, "acme-scanners"), "amount", "5")
    edit.save(crm, change)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_ino != inode  # a new file renamed over the old one
    assert b"amount: 5\n" in path.read_bytes()


def test_dry_run_prints_the_diff_and_writes_nothing(run, crm: Path) -> None:
    path = opp_path(crm)
    before = path.read_bytes()
    result = run(
        [
            "log",
            "acme-scanners",
            "--type",
            "email",
            "--summary",
            "Sent deck",
            "--next-step",
            "Call back",
            "--dry-run",
            "--root",
            str(crm),
            "--today",
            TODAY,
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "--- a/opportunities/acme-scanners.md\n"
        "+++ b/opportunities/acme-scanners.md\n"
        "@@ -7,5 +7,7 @@\n"
        " amount: 48000\n"
        " activities:\n"
        "   - {date: 2026-11-24, type: call, contact: jane-doe, summary: Walked through pricing}\n"
        "+  - {date: 2026-11-28, type: email, summary: Sent deck}\n"
        "+next_step: Call back\n"
        " ---\n"
        " Notes.\n"
        "dry run: log email on acme-scanners; nothing written\n"
    )
    assert path.read_bytes() == before


def test_new_record_dry_run(run, crm: Path) -> None:
    result = run(
        ["new", "competitor", "Globex Corp", "--dry-run", "--root", str(crm), "--today", TODAY]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("--- /dev/null\n+++ b/competitors/globex-corp.md\n")
    assert not (crm / "competitors" / "globex-corp.md").exists()


def test_warnings_are_reported_but_do_not_block(run, crm: Path) -> None:
    result = run(
        [
            "log",
            "acme-scanners",
            "--type",
            "call",
            "--date",
            "2026-12-01",
            "--root",
            str(crm),
            "--today",
            TODAY,
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "opportunities/acme-scanners.md: log call on acme-scanners\n"
        "  opportunities/acme-scanners.md:10:1: warning: activity dated 2026-12-01 is after "
        "today (2026-11-28); activities record what happened: plan future work with "
        "follow_up or next_step [activity-in-future]\n"
    )
    assert "  - {date: 2026-12-01, type: call}\n" in opp_path(crm).read_text()


def test_today_from_the_environment(run, crm: Path) -> None:
    result = run(
        ["log", "acme-scanners", "--type", "note", "--root", str(crm)],
        env={"TEXTCRM_TODAY": "2026-11-27"},
    )
    assert result.exit_code == 0, result.output
    assert "  - {date: 2026-11-27, type: note}\n" in opp_path(crm).read_text()


def test_commit_commits_just_that_file(run, make_repo, tmp_path: Path) -> None:
    top = tmp_path / "git"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    crm = make_repo({"opportunities/acme-scanners.md": GOOD_OPPORTUNITY}, root=top / "crm")
    git(top, "add", ".")
    git(top, "commit", "-q", "-m", "start")
    # Unrelated work in progress, staged and unstaged, must stay out of the commit.
    (crm / "accounts" / "acme-corp.md").write_text("---\nname: Acme Corporation\n---\n")
    git(top, "add", "crm/accounts/acme-corp.md")
    (crm / "contacts" / "jane-doe.md").write_text("---\nname: Jane D.\n---\n")
    env = {k: v for k, v in os.environ.items() if k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="Alice",
        GIT_AUTHOR_EMAIL="alice@example.com",
        GIT_COMMITTER_NAME="Alice",
        GIT_COMMITTER_EMAIL="alice@example.com",
        HOME=str(top),
        GIT_CONFIG_NOSYSTEM="1",
    )
    result = run(
        [
            "log",
            "acme-scanners",
            "--type",
            "call",
            "--summary",
            "Pricing",
            "--commit",
            "--root",
            str(crm),
            "--today",
            TODAY,
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "opportunities/acme-scanners.md: log call on acme-scanners\ncommitted "
    )
    log = git(top, "log", "-1", "--format=%s", "--name-only").stdout.split()
    assert log == ["log", "call", "on", "acme-scanners", "crm/opportunities/acme-scanners.md"]
    status = git(top, "status", "--porcelain").stdout.splitlines()
    assert status == ["M  crm/accounts/acme-corp.md", " M crm/contacts/jane-doe.md"]

    result = run(
        [
            "new",
            "contact",
            "John Smith",
            "--account",
            "acme-corp",
            "--commit",
            "--root",
            str(crm),
            "--today",
            TODAY,
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert git(top, "log", "-1", "--format=%s").stdout == "new contact john-smith\n"
    assert git(top, "status", "--porcelain").stdout.splitlines() == status


def test_commit_outside_git_is_a_clear_error(run, crm: Path) -> None:
    result = run(
        ["set", "acme-scanners", "amount", "5", "--commit", "--root", str(crm), "--today", TODAY],
        env={"GIT_CEILING_DIRECTORIES": str(crm.parent)},
    )
    assert result.exit_code == 2
    assert "opportunities/acme-scanners.md was written (" in result.output
    assert "but not committed: --commit:" in result.output
    assert "is not inside a git repository" in result.output


def test_check_path_does_not_import_ruamel() -> None:
    code = (
        "import sys; from textcrm import cli, loader, checks; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ruamel', 'jinja2') "
        "or m == 'textcrm.edit' or m.startswith('textcrm.edit.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_log_offers_exactly_the_activity_types() -> None:
    from textcrm import schema
    from textcrm.cli.edit import ACTIVITY_TYPES

    assert ACTIVITY_TYPES == schema.ACTIVITY_TYPES
