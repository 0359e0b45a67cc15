"""The wheel carries the templates and a working `textcrm` entry point, found from an install."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("textcrm-*.whl")
    return found


def test_wheel_contains_every_template_and_the_entry_point(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = [
        p.relative_to(ROOT / "templates").as_posix()
        for p in (ROOT / "templates").rglob("*")
        if p.is_file()
    ]
    assert templates
    for rel in templates:
        assert f"textcrm/templates/{rel}" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "textcrm = textcrm.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_installed_package_runs_and_finds_its_templates(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    env = {
        "PYTHONPATH": str(target),
        "NO_COLOR": "1",
        "PATH": "/usr/bin:/bin",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    probe = "import textcrm.render as r; print(r.__file__); print(r.packaged_templates())"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        text=True,
        capture_output=True,
        check=True,
    ).stdout.split()
    assert out[0].startswith(str(target)) and out[1].startswith(str(target))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "textcrm",
            "check",
            "--root",
            str(EXAMPLE),
            "--today",
            "2026-11-28",
            "--no-cache",
        ],
        cwd=tmp_path,
        env=env,
        text=True,
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no problems in 12 opportunities")
