"""Shared fixtures: build CRM repositories inline, run the real CLI, script real git."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from textcrm.cli import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SOURCE = ROOT / "example-repo"


def _example_copy() -> Path:
    """A private copy of the bundled example CRM, so that no test writes into the checkout
    (a check or a build leaves a cache beside the files it reads)."""
    where = Path(tempfile.mkdtemp(prefix="textcrm-example-")) / "example-repo"
    shutil.copytree(EXAMPLE_SOURCE, where, ignore=shutil.ignore_patterns(".textcrm-cache", "_site"))
    atexit.register(shutil.rmtree, where.parent, True)
    return where


EXAMPLE = _example_copy()
# Screenshots and PDF pages for people to look at: where TEXTCRM_TEST_ARTIFACTS says, else in
# the temporary folder, never in the checkout.
ARTIFACTS = Path(
    os.environ.get("TEXTCRM_TEST_ARTIFACTS")
    or Path(tempfile.gettempdir()) / "textcrm-test-artifacts"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
EXAMPLE_TODAY = "2026-11-28"
TODAY = "2026-11-28"

DEFAULT_CONFIG = """\
currency: USD
stale_after_days: 7
owners: [alice, bob]
stages:
  - {key: prospecting,   name: Prospecting,   probability: 10,  forecast: pipeline}
  - {key: qualification, name: Qualification, probability: 25,  forecast: pipeline}
  - {key: proposal,      name: Proposal,      probability: 60,  forecast: best_case, requires: [line_items, contacts]}
  - {key: negotiation,   name: Negotiation,   probability: 80,  forecast: commit,    requires: [quote], stale_after_days: 14}
  - {key: closed-won,    name: Closed Won,    probability: 100, forecast: closed,  outcome: won}
  - {key: closed-lost,   name: Closed Lost,   probability: 0,   forecast: omitted, outcome: lost, requires: [lost_reason]}
"""

DEFAULT_FILES = {
    "products.yaml": """\
products:
  - {sku: SCN-200, name: Handheld scanner, unit_price: 1100, unit: each}
  - {sku: SVC-DAY, name: Service day, unit_price: 950, unit: day}
""",
    "accounts/acme-corp.md": "---\nname: Acme Corp\n---\nNotes.\n",
    "accounts/globex-inc.md": "---\nname: Globex Inc\n---\n",
    "contacts/jane-doe.md": "---\nname: Jane Doe\naccount: acme-corp\n---\n",
    "contacts/john-roe.md": "---\nname: John Roe\naccount: globex-inc\n---\n",
    "competitors/initech.md": "---\nname: Initech\n---\n",
}

GOOD_OPPORTUNITY = """\
---
title: Acme Corp - warehouse scanners
account: acme-corp
owner: alice
stage: prospecting
close_date: 2026-12-19
amount: 48000
activities:
  - {date: 2026-11-24, type: call, contact: jane-doe, summary: Walked through pricing}
---
Notes.
"""


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(
                textwrap.dedent(content) if content.startswith("\n") else content,
                encoding="utf-8",
                newline="",
            )


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Build a CRM repository: default config, catalog, accounts and contacts, plus `files`.

    A value of None removes a default file.
    """

    def make(
        files: dict[str, str | bytes | None] | None = None,
        config: str | None = None,
        defaults: bool = True,
        root: Path | None = None,
    ) -> Path:
        where = root or tmp_path / "crm"
        where.mkdir(parents=True, exist_ok=True)
        merged: dict[str, str | bytes | None] = {"textcrm.yaml": config or DEFAULT_CONFIG}
        if defaults:
            merged.update(DEFAULT_FILES)
        merged.update(files or {})
        write_files(where, {k: v for k, v in merged.items() if v is not None})
        return where

    return make


@pytest.fixture
def run() -> Callable[..., Result]:
    """Run the real CLI in-process through click's CliRunner, in `cwd`."""

    def invoke(
        args: list[str],
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        input: str | None = None,
    ) -> Result:
        runner = CliRunner()
        old = Path.cwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            return runner.invoke(
                cli, args, env={"NO_COLOR": "1", **(env or {})}, input=input, catch_exceptions=False
            )
        finally:
            os.chdir(old)

    return invoke


def git(
    cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run real git with a fixed identity and dates."""
    full_env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Alice",
        "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Alice",
        "GIT_COMMITTER_EMAIL": "alice@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(cwd),
        **(env or {}),
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=full_env, text=True, capture_output=True, check=check
    )


def commit(top: Path, *args: str, message: str = "change") -> subprocess.CompletedProcess[str]:
    """A real `git commit -q` through the hooks, as of TODAY, without colour."""
    return git(
        top,
        "commit",
        "-q",
        "-m",
        message,
        *args,
        check=False,
        env={"TEXTCRM_TODAY": TODAY, "NO_COLOR": "1"},
    )


@pytest.fixture(autouse=True)
def _isolated_cache_key(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep the parse cache's signing key out of the real home folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


# --- reports: golden files -----------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ files from the current output.",
    )


def update_golden(config: pytest.Config) -> bool:
    """Whether this run rewrites golden files: only by the explicit `--update-golden` switch
    (`make update-golden`), and never in CI, where a golden file is evidence, not output."""
    update = bool(config.getoption("--update-golden"))
    if update and IN_CI:
        raise pytest.UsageError("--update-golden is refused under CI=true")
    return update


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with tests/golden/NAME; rewrite it with --update-golden."""
    update = update_golden(request.config)

    def check(name: str, text: str) -> None:
        path = ROOT / "tests" / "golden" / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
            return
        assert path.exists(), f"missing golden file {path}; run pytest --update-golden"
        assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"

    return check


# --- CI: a skip is a failure ----------------------------------------------------------------
# Under CI=true every test must run: a browser, a PDF tool, a package or a data set that is
# missing there is a broken set-up (scripts/setup-test.sh installs them), not a reason to pass.


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {report.longrepr}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped:
        report.outcome = "failed"
        report.longrepr = (
            f"module skipped under CI=true, which must run every test: {report.longrepr}"
        )
