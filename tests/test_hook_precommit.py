"""Our .pre-commit-hooks.yaml, as shipped, through the real pre-commit framework, offline.

The framework installs `language: python` hooks with pip into a fresh virtualenv. To keep
that offline, a session fixture first builds a wheelhouse of this checkout, its dependencies
and its build backend (`pip wheel`, served from pip's cache or the configured index), then
the framework runs with PIP_NO_INDEX=1 and PIP_FIND_LINKS pointing at it. The hook comes from
a git repository of this checkout's files at a rev, exactly as users reference it. When the
wheelhouse cannot be built the tests skip, saying why; under CI=true they fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GOOD_OPPORTUNITY, ROOT, TODAY, git, write_files

pytestmark = pytest.mark.slow

BAD = GOOD_OPPORTUNITY.replace("close_date: 2026-12-19", "close_date: 2026-11-01")
PROBLEM = (
    "opportunities/acme.md:6:1: error: close date 2026-11-01 is in the past (today is "
    "2026-11-28); set close_date to your best current estimate [close-date-past]\n"
    "textcrm: 1 error, 0 warnings in 1 opportunity\n"
    "textcrm: commit refused: fix the errors above (each message says how), `git add` the "
    "files and commit again.\n"
    "In an emergency, bypass the check with `git commit --no-verify`.\n"
)
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _hook_repo(dest: Path) -> str:
    """This checkout's current files as a git repository of their own; returns its commit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for raw in filter(None, listed.split(b"\0")):
        rel = raw.decode()
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--no-verify", "-m", "snapshot")
    return git(dest, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture(scope="session")
def framework(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The hook repository, a shared PRE_COMMIT_HOME, and the offline pip settings."""
    base = tmp_path_factory.mktemp("pre-commit")
    hook_repo = base / "textcrm"
    hook_repo.mkdir()
    rev = _hook_repo(hook_repo)
    wheels = base / "wheels"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            str(hook_repo),
            "hatchling",
            "-w",
            str(wheels),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    env = {
        "PRE_COMMIT_HOME": str(base / "home"),
        "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
        "VIRTUALENV_NO_DOWNLOAD": "1",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
        "PIP_CONFIG_FILE": os.devnull,
        "TEXTCRM_TODAY": TODAY,
        "NO_COLOR": "1",
    }
    if built.returncode != 0:
        why = (
            "cannot build the offline wheelhouse the pre-commit framework installs the hook "
            f"from (`pip wheel` failed: {built.stderr.strip().splitlines()[-1:]})"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    return {"repo": hook_repo, "rev": rev, "env": env}


def _config(framework: dict[str, object]) -> str:
    """The hook as users reference it: the repository at a rev, the manifest as shipped."""
    return (
        f"repos:\n  - repo: {framework['repo']}\n    rev: {framework['rev']}\n"
        "    hooks:\n      - id: textcrm-check\n"
    )


def _pre_commit(
    top: Path, framework: dict[str, object], *args: str
) -> subprocess.CompletedProcess[str]:
    env = framework["env"]
    assert isinstance(env, dict)
    return subprocess.run(
        [*PRE_COMMIT, *args],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )


@pytest.fixture
def crm_repo(make_repo, tmp_path, framework):
    """A CRM in git with the framework's config committed; `files` are committed with it,
    around any hook."""

    def build(files: dict[str, str]) -> Path:
        top = make_repo(
            {**files, ".pre-commit-config.yaml": _config(framework)}, root=tmp_path / "crm"
        )
        git(top, "init", "-q")
        git(top, "add", "-A")
        git(top, "commit", "-q", "--no-verify", "-m", "first")
        return top

    return build


def test_manifest_is_valid_for_pre_commit():
    proc = subprocess.run(
        [*PRE_COMMIT, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_commits_through_the_pre_commit_framework(make_repo, run, tmp_path, framework):
    top = make_repo(
        {"opportunities/acme.md": GOOD_OPPORTUNITY, ".pre-commit-config.yaml": _config(framework)},
        root=tmp_path / "crm",
    )
    env = framework["env"]
    assert isinstance(env, dict)
    git(top, "init", "-q")
    installed = subprocess.run(
        [*PRE_COMMIT, "install"],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # Our installer recognises the framework's hook and leaves it alone.
    ours = run(["hook", "install"], cwd=top)
    assert ours.exit_code == 1
    assert "a pre-commit hook from the pre-commit framework is already at" in ours.output
    assert "id: textcrm-check" in ours.output

    git(top, "add", "-A")
    first = git(top, "commit", "-q", "-m", "first", env=env, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "textcrm check" in first.stdout + first.stderr

    # A bad deal is refused with our exact problem list; an unstaged fix does not help.
    write_files(top, {"opportunities/acme.md": BAD})
    git(top, "add", "opportunities/acme.md")
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY})
    refused = git(top, "commit", "-q", "-m", "bad", env=env, check=False)
    assert refused.returncode == 1
    assert PROBLEM in refused.stdout + refused.stderr
    assert (top / "opportunities/acme.md").read_text() == GOOD_OPPORTUNITY

    # Deleting a contact that the (unstaged) deal names is refused too.
    git(top, "add", "opportunities/acme.md")
    git(top, "rm", "-q", "contacts/jane-doe.md")
    git(top, "reset", "-q", "opportunities/acme.md")
    gone = git(top, "commit", "-q", "-m", "gone", env=env, check=False)
    assert gone.returncode == 1
    assert (
        "opportunities/acme.md:9:1: error: activity contact `jane-doe` does not exist"
        in gone.stdout + gone.stderr
    )

    git(top, "reset", "-q", "--hard")
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY + "More notes.\n"})
    git(top, "add", "-A")
    good = git(top, "commit", "-q", "-m", "good", env=env, check=False)
    assert good.returncode == 0, good.stdout + good.stderr


def test_run_all_files_fails_on_a_broken_repository(crm_repo, framework):
    top = crm_repo({"opportunities/acme.md": BAD, "opportunities/good.md": GOOD_OPPORTUNITY})
    ran = _pre_commit(top, framework, "run", "--all-files")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert (
        "opportunities/acme.md:6:1: error: close date 2026-11-01 is in the past (today is "
        "2026-11-28); set close_date to your best current estimate [close-date-past]\n"
        "textcrm: 1 error, 0 warnings in 2 opportunities, 2 accounts, 2 contacts, 1 competitor, "
        "2 products\n"
        "textcrm: fix the errors above (each message says how).\n"
    ) in ran.stdout


def test_run_all_files_passes_on_a_clean_repository(crm_repo, framework):
    top = crm_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    ran = _pre_commit(top, framework, "run", "--all-files")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "textcrm check" in ran.stdout and "Passed" in ran.stdout


def test_run_from_ref_to_ref_checks_the_files_changed_between(crm_repo, framework):
    top = crm_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    write_files(top, {"opportunities/later.md": BAD})
    git(top, "add", "-A")
    git(top, "commit", "-q", "--no-verify", "-m", "a bad deal, around the hook")
    ran = _pre_commit(top, framework, "run", "--from-ref", "HEAD~1", "--to-ref", "HEAD")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "opportunities/later.md:6:1: error: close date 2026-11-01 is in the past" in ran.stdout
    assert "opportunities/acme.md" not in ran.stdout
    assert "textcrm: 1 error, 0 warnings in 1 opportunity\n" in ran.stdout
