"""Under CI=true a skipped test fails, so CI cannot pass without running every test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

SKIPPING = """\
import pytest

def test_needs_a_browser():
    pytest.skip("chromium is not installed")
"""

SKIPPING_MODULE = """\
import pytest

pytest.importorskip("a_package_nobody_has")

def test_never_collected():
    pass
"""


# A conftest for the inner run that takes its hooks and fixtures from the real one.
SHIM = f"""\
import importlib.util

_spec = importlib.util.spec_from_file_location("real_conftest", {str(ROOT / "tests" / "conftest.py")!r})
_real = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_real)
pytest_runtest_makereport = _real.pytest_runtest_makereport
pytest_make_collect_report = _real.pytest_make_collect_report
pytest_addoption = _real.pytest_addoption
golden = _real.golden
"""


def run_pytest(folder: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("body", [SKIPPING, SKIPPING_MODULE], ids=["test", "module"])
def test_a_skip_fails_under_ci_and_skips_elsewhere(tmp_path: Path, body: str) -> None:
    (tmp_path / "conftest.py").write_text(SHIM, encoding="utf-8")
    (tmp_path / "test_skipping.py").write_text(body, encoding="utf-8")
    outside = run_pytest(tmp_path, None)
    assert outside.returncode in (0, 5), outside.stdout  # 5: a skipped module ran no test
    assert "1 skipped" in outside.stdout
    inside = run_pytest(tmp_path, "true")
    assert inside.returncode in (1, 2), inside.stdout  # 2: the module failed collection
    assert "must run every test" in inside.stdout


def test_golden_files_are_never_rewritten_under_ci(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(SHIM, encoding="utf-8")
    (tmp_path / "test_golden.py").write_text(
        "def test_g(golden):\n    golden('x.txt', 'text')\n", encoding="utf-8"
    )
    env = {**os.environ, "CI": "true"}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--update-golden"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "--update-golden is refused under CI=true" in out.stderr + out.stdout
