"""The check path and `--version` stay light: heavy libraries are imported only where used."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import EXAMPLE

HEAVY = (
    "jinja2",
    "markdown",
    "watchdog",
    "ruamel",
    "babel",
    "nh3",
    "icalendar",
    "weasyprint",
    "textcrm.render",
    "textcrm.edit",
)

PROBE = """
import json, sys
from textcrm.cli import cli
try:
    cli(sys.argv[1:], prog_name="textcrm")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def imported_by(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY)


def test_check_imports_nothing_heavy():
    modules = imported_by("check", "--root", str(EXAMPLE), "--today", "2026-11-28", "--no-cache")
    assert "textcrm.loader" in modules  # the probe really ran the check
    assert heavy_in(modules) == []


def test_version_imports_only_the_cli():
    modules = imported_by("--version")
    assert heavy_in(modules) == []
    assert "yaml" not in modules
    assert "textcrm.loader" not in modules
