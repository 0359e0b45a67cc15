"""Shared benchmark helpers: timing commands, generated corpora, the machine, docs updates."""

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
GENERATE = ROOT / "bench" / "generate.py"


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


def timed(args: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, children included) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = 0  # reaped by wait4
    return wall, usage.ru_utime + usage.ru_stime


def corpus(n: int, work: Path) -> Path:
    """`work/crm-N`: a corpus of N opportunities from bench/generate.py, made when missing."""
    root = work / f"crm-{n}"
    if not root.exists():
        subprocess.run(
            [sys.executable, str(GENERATE), str(root), "--opportunities", str(n)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return root


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
