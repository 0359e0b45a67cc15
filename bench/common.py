"""Shared benchmark helpers: timing commands (medians), machine description, docs updates."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERFORMANCE_MD = ROOT / "docs" / "performance.md"


def time_command(
    args: Sequence[str],
    runs: int,
    cwd: Path | None = None,
    before: Callable[[], None] | None = None,
    env: dict[str, str] | None = None,
) -> float:
    """Median wall-clock seconds of `runs` runs of a command (`before` runs untimed first)."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        subprocess.run(
            args,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            check=False,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> str:
    """One line describing the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def update_section(name: str, body: str) -> None:
    """Replace the block between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in
    docs/performance.md (appending it when missing)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    text = PERFORMANCE_MD.read_text() if PERFORMANCE_MD.exists() else "# Performance\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _m: block, text)
        if pattern.search(text)
        else (text.rstrip() + "\n\n" + block + "\n")
    )
    PERFORMANCE_MD.write_text(text)


def textcrm_command() -> list[str]:
    return [sys.executable, "-m", "textcrm"]


# The naive loop a cold check is measured against: yaml.load of every front matter.
NAIVE = r"""
import os, sys, yaml
root = sys.argv[1]
for folder in ("opportunities", "accounts", "contacts", "competitors"):
    for name in os.listdir(os.path.join(root, folder)):
        with open(os.path.join(root, folder, name), "rb") as f:
            text = f.read().decode("utf-8")
        parts = text.split("---\n", 2)
        if len(parts) == 3:
            try:
                yaml.load(parts[1], Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                pass
"""
