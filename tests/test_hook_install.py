"""Installing and removing the hook script; `hook run` by hand; `check --changed-since`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import textcrm
from conftest import GOOD_OPPORTUNITY, TODAY, git, write_files
from textcrm.hook import MARKER, hook_script

BAD = GOOD_OPPORTUNITY.replace("close_date: 2026-12-19", "close_date: 2026-11-01")
CLOSE_PAST = (
    "{path}:6:1: error: close date 2026-11-01 is in the past (today is 2026-11-28); set "
    "close_date to your best current estimate [close-date-past]\n"
)


def crm_repo(make_repo, tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    top = make_repo(
        {"opportunities/acme.md": GOOD_OPPORTUNITY, **(files or {})}, root=tmp_path / "repo"
    )
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "first")
    return top


def test_install_writes_our_marked_script_and_is_idempotent(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    hook = top / ".git/hooks/pre-commit"
    first = run(["hook", "install"], cwd=top)
    assert first.exit_code == 0
    assert first.output == (
        f"textcrm: pre-commit hook installed at {hook} (also run for merges as "
        "pre-merge-commit)\n"
        "Every commit now checks the CRM files it changes; bypass once with "
        "`git commit --no-verify`.\n"
    )
    script = hook.read_text()
    assert script == hook_script(sys.executable, str(Path(textcrm.__file__).resolve()))
    assert script.splitlines()[1] == MARKER
    assert f"exec {sys.executable} -m textcrm.hook\n" in script
    assert "exec textcrm hook run" in script  # the fallback on PATH
    assert hook.stat().st_mode & 0o111
    assert (top / ".git/hooks/pre-merge-commit").read_text() == script
    again = run(["hook", "install"], cwd=top / "opportunities")
    assert again.output == (
        f"textcrm: the pre-commit hook is already installed at {hook}; nothing changed\n"
    )


def test_hook_falls_back_to_textcrm_on_path(make_repo, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    hook = top / ".git/hooks/pre-commit"
    hook.write_text(hook_script("/nonexistent/python", "/nonexistent/textcrm/__init__.py"))
    hook.chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "textcrm").write_text(f'#!/bin/sh\nexec {sys.executable} -m textcrm "$@"\n')
    (bin_dir / "textcrm").chmod(0o755)
    write_files(top, {"opportunities/acme.md": BAD})
    git(top, "add", "-A")
    proc = git(
        top,
        "commit",
        "-q",
        "-m",
        "x",
        check=False,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "TEXTCRM_TODAY": TODAY, "NO_COLOR": "1"},
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(CLOSE_PAST.format(path="opportunities/acme.md"))
    missing = git(
        top,
        "commit",
        "-q",
        "-m",
        "x",
        check=False,
        env={"PATH": "/usr/bin:/bin", "TEXTCRM_TODAY": TODAY},
    )
    assert missing.returncode == 1
    assert "the pre-commit hook cannot find textcrm" in missing.stderr
    assert "`git commit --no-verify`" in missing.stderr


def test_foreign_hook_is_left_alone_without_force(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    hook = top / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho linting\n")
    hook.chmod(0o755)
    refused = run(["hook", "install"], cwd=top)
    assert refused.exit_code == 1
    assert refused.output == (
        f"textcrm: a pre-commit hook from someone else is already at {hook}; left it alone.\n"
        "To run both, add this line to that hook (before any final `exit`):\n"
        f"  {sys.executable} -m textcrm hook run || exit 1\n"
        "Or replace it with `textcrm hook install --force` (the old hook is kept as "
        "pre-commit.before-textcrm).\n"
    )
    assert hook.read_text() == "#!/bin/sh\necho linting\n"
    not_ours = run(["hook", "uninstall"], cwd=top)
    assert not_ours.exit_code == 1
    assert not_ours.output == (
        f"textcrm: the pre-commit hook at {hook} is not textcrm's; left it alone\n"
    )
    forced = run(["hook", "install", "--force"], cwd=top)
    assert forced.exit_code == 0
    backup = top / ".git/hooks/pre-commit.before-textcrm"
    assert f"the previous hook is kept as {backup}" in forced.output
    assert MARKER in hook.read_text()
    assert backup.read_text() == "#!/bin/sh\necho linting\n"
    removed = run(["hook", "uninstall"], cwd=top)
    assert removed.output == (
        f"textcrm: removed the pre-commit hook; restored the previous one from {backup}\n"
    )
    assert hook.read_text() == "#!/bin/sh\necho linting\n"
    assert not backup.exists()


def test_uninstall_removes_only_our_hook(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    hook = top / ".git/hooks/pre-commit"
    assert run(["hook", "uninstall"], cwd=top).output == (
        f"textcrm: no pre-commit hook at {hook}; nothing to remove\n"
    )
    run(["hook", "install"], cwd=top)
    result = run(["hook", "uninstall"], cwd=top)
    assert result.exit_code == 0
    assert result.output == f"textcrm: removed the pre-commit hook at {hook}\n"
    assert not hook.exists()
    assert not (top / ".git/hooks/pre-merge-commit").exists()


def test_a_foreign_pre_merge_commit_hook_is_left_alone(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    merge = top / ".git/hooks/pre-merge-commit"
    merge.write_text("#!/bin/sh\nexit 0\n")
    result = run(["hook", "install"], cwd=top)
    assert result.exit_code == 0
    assert (
        "; left the existing pre-merge-commit hook alone, so merges that need no conflict "
        "resolution are not checked\n" in result.output
    )
    run(["hook", "uninstall"], cwd=top)
    assert merge.read_text() == "#!/bin/sh\nexit 0\n"


def test_install_honours_core_hooks_path(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    git(top, "config", "core.hooksPath", ".githooks")
    result = run(["hook", "install"], cwd=top / "contacts")
    assert result.exit_code == 0, result.output
    assert (top / ".githooks/pre-commit").is_file()
    assert not (top / ".git/hooks/pre-commit").exists()
    write_files(top, {"opportunities/acme.md": BAD})
    git(top, "add", "-A")
    proc = git(
        top, "commit", "-q", "-m", "x", check=False, env={"TEXTCRM_TODAY": TODAY, "NO_COLOR": "1"}
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(CLOSE_PAST.format(path="opportunities/acme.md"))


def test_install_from_a_linked_worktree_guards_its_commits(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    other = tmp_path / "other"
    git(top, "worktree", "add", "-q", "-b", "side", str(other))
    result = run(["hook", "install"], cwd=other)
    assert result.exit_code == 0, result.output
    assert (top / ".git/hooks/pre-commit").is_file()  # hooks are shared by worktrees
    write_files(other, {"opportunities/acme.md": BAD})
    git(other, "add", "-A")
    proc = git(
        other, "commit", "-q", "-m", "x", check=False, env={"TEXTCRM_TODAY": TODAY, "NO_COLOR": "1"}
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(CLOSE_PAST.format(path="opportunities/acme.md"))


def test_install_outside_git_is_a_clear_error(run, tmp_path):
    result = run(["hook", "install"], cwd=tmp_path)
    assert result.exit_code == 2
    assert result.output == (
        f"textcrm: error: {tmp_path} is not inside a git repository; run `git init` first\n"
    )


def test_hook_run_by_hand(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    assert run(["hook", "run"], cwd=top).output == ""
    write_files(top, {"opportunities/acme.md": BAD})
    git(top, "add", "-A")
    result = run(["hook", "run", "--today", TODAY], cwd=top / "opportunities")
    assert result.exit_code == 1
    assert result.output.startswith(CLOSE_PAST.format(path="opportunities/acme.md"))
    assert git(top, "status", "--porcelain").stdout == "M  opportunities/acme.md\n"


def test_hook_run_outside_git(run, tmp_path):
    result = run(["hook", "run"], cwd=tmp_path)
    assert result.exit_code == 2
    assert result.output == f"textcrm: error: {tmp_path} is not inside a git repository\n"


def test_hook_run_with_a_broken_config_in_the_index(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    write_files(top, {"textcrm.yaml": "stages: [\n"})
    git(top, "add", "-A")
    result = run(["hook", "run", "--today", TODAY], cwd=top)
    assert result.exit_code == 2
    assert result.output.startswith("textcrm: error: textcrm.yaml cannot be used:\ntextcrm.yaml:")


# --- check --changed-since ---


def test_changed_since_checks_only_the_branch_changes(make_repo, run, tmp_path):
    stale = GOOD_OPPORTUNITY.replace("date: 2026-11-24", "date: 2026-11-02")
    top = crm_repo(make_repo, tmp_path, {"opportunities/old.md": stale})
    git(top, "checkout", "-q", "-b", "feature")
    write_files(top, {"opportunities/acme.md": BAD, "opportunities/new deal.md": WITH_ROE})
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "feature")
    git(top, "checkout", "-q", "main")
    git(top, "commit", "-q", "--allow-empty", "-m", "main moves on")
    git(top, "checkout", "-q", "feature")
    result = run(["check", "--changed-since", "main", "--today", TODAY], cwd=top)
    assert result.exit_code == 1
    assert result.output == (
        CLOSE_PAST.format(path="opportunities/acme.md") + "1 error, 0 warnings in 2 opportunities\n"
    )
    github = run(
        ["check", "--changed-since", "main", "--today", TODAY, "--format", "github"], cwd=top
    )
    assert github.output.startswith(
        "::error file=opportunities/acme.md,line=6,col=1,"
        "title=close-date-past::close date 2026-11-01"
    )
    # The whole repository has the old stale deal too.
    assert (
        "opportunities/old.md:1:1: error: stale" in run(["check", "--today", TODAY], cwd=top).output
    )


WITH_ROE = GOOD_OPPORTUNITY.replace("jane-doe", "john-roe").replace("acme-corp", "globex-inc")


def test_changed_since_a_deleted_account(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    git(top, "checkout", "-q", "-b", "cleanup")
    git(top, "rm", "-q", "accounts/globex-inc.md")
    git(top, "commit", "-q", "-m", "drop globex")
    result = run(["check", "--changed-since", "main", "--today", TODAY], cwd=top)
    assert result.exit_code == 1
    assert result.output == (
        "contacts/john-roe.md:3:1: error: account `globex-inc` does not exist (no "
        "accounts/globex-inc.md) [unknown-account]\n"
        "1 error, 0 warnings in 1 contact\n"
    )


def test_changed_since_with_nothing_changed(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    result = run(["check", "--changed-since", "main"], cwd=top)
    assert result.exit_code == 0
    assert result.output == "nothing to check: no CRM file changed since main\n"


def test_changed_since_an_unknown_ref(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    result = run(["check", "--changed-since", "origin/nope"], cwd=top)
    assert result.exit_code == 2
    assert result.output == ("textcrm: error: `origin/nope` is not a commit in this repository\n")


def test_changed_since_in_a_shallow_clone_says_to_fetch_history(make_repo, run, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY + "x\n"})
    git(top, "commit", "-q", "-am", "second")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{top}", str(clone)], check=True)
    result = run(["check", "--changed-since", "HEAD~1"], cwd=clone)
    assert result.exit_code == 2
    assert "shallow clone" in result.output and "fetch-depth: 0" in result.output


HOOK_PROBE = """
import json, sys
from textcrm.hook.__main__ import main
code = main([])
print(json.dumps([code, sorted(sys.modules)]), file=sys.stderr)
"""


def test_installed_hook_entry_imports_nothing_heavy(make_repo, tmp_path):
    top = crm_repo(make_repo, tmp_path)
    write_files(top, {"opportunities/acme.md": BAD})
    git(top, "add", "-A")
    proc = subprocess.run(
        [sys.executable, "-c", HOOK_PROBE],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
        env={
            "NO_COLOR": "1",
            "PATH": "/usr/bin:/bin",
            "TEXTCRM_TODAY": TODAY,
            "HOME": str(top),
            "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        },
    )
    assert proc.stdout.startswith(CLOSE_PAST.format(path="opportunities/acme.md"))
    code, modules = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 1
    heavy = (
        "jinja2",
        "markdown",
        "watchdog",
        "ruamel",
        "babel",
        "nh3",
        "icalendar",
        "weasyprint",
        "click",
        "concurrent",
    )
    assert sorted(m for m in modules if m.split(".")[0] in heavy) == []
