"""Benchmark `textcrm changes --since` (a month back) on 2,000 opportunities and 5,000 commits.

Usage::

    python bench/bench_history.py [--runs 5] [--work /tmp/textcrm-bench-history]
                                  [--opportunities 2000] [--commits 5000]

Builds the repository with bench/history_repo.py (deterministic, `git fast-import`), then
times the real command in a fresh process:

- cold: no history cache (`.textcrm-cache/` removed before each run);
- cached: the cache is warm at the tip, one more commit is made (one opportunity edited),
  and `changes` runs again, reading only that commit.

Prints the median and every run of each, and the machine, as Markdown for
docs/performance.md. Wall-clock times; the load average is printed because other work on
the machine changes them.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from history_repo import build  # noqa: E402

SINCE = "2026-10-28"
TODAY = "2026-11-28"


def _textcrm() -> list[str]:
    exe = Path(sys.executable).parent / "textcrm"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "textcrm"]


CPU: list[float] = []  # CPU seconds (user + sys) of each timed run, its children included


def _time(cmd: list[str], cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def _git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "b@example.com",
        "GIT_AUTHOR_DATE": "2026-11-28T10:00:00+00:00",
        "GIT_COMMITTER_DATE": "2026-11-28T10:00:00+00:00",
    }
    subprocess.run(["git", *args], cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/textcrm-bench-history"))
    # A smaller repository for a quick before/after comparison; --work must then differ.
    parser.add_argument("--opportunities", type=int, default=2000)
    parser.add_argument("--commits", type=int, default=5000)
    args = parser.parse_args(argv)
    repo = args.work
    if not (repo / ".git").exists():
        shutil.rmtree(repo, ignore_errors=True)
        t = time.perf_counter()
        build(repo, args.opportunities, args.commits, 1, __import__("datetime").date(2026, 11, 28))
        print(f"built the repository in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    _git(repo, "reset", "-q", "--hard", "main")
    _git(repo, "clean", "-fdq")
    base = subprocess.run(
        ["git", "rev-parse", "main"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    cmd = [*_textcrm(), "changes", "--since", SINCE, "--today", TODAY]
    cache = repo / ".textcrm-cache"

    cold = []
    for _ in range(args.runs):
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(_time(cmd, repo))
    cold_cpu = CPU[:]

    cached = []
    target = sorted((repo / "opportunities").iterdir())[0]
    for n in range(args.runs):
        _git(repo, "reset", "-q", "--hard", base)
        _time(cmd, repo)  # warm the cache at the base tip (not timed)
        CPU.pop()
        text = target.read_text(encoding="utf-8")
        target.write_text(
            text.replace("\n---\n", f"\nnext_step: call back {n}\n---\n", 1)
            if "next_step:" not in text.split("\n---\n", 1)[0]
            else text.replace("next_step:", f"next_step: ({n})", 1),
            encoding="utf-8",
        )
        _git(repo, "commit", "-q", "-am", f"bench edit {n}")
        cached.append(_time(cmd, repo))
    cached_cpu = CPU[len(cold_cpu) :]
    _git(repo, "reset", "-q", "--hard", base)

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    load = os.getloadavg()
    size = ""
    if (args.opportunities, args.commits) != (2000, 5000):
        size = f" --opportunities {args.opportunities} --commits {args.commits}"
    print(
        f"Command: `python bench/bench_history.py --runs {args.runs}{size}` "
        f"(`textcrm changes --since {SINCE} --today {TODAY}` on {args.opportunities:,} "
        f"opportunities and {args.commits:,} commits built by bench/history_repo.py)\n"
    )
    print(
        f"Machine: {os.cpu_count()} CPUs, {cpu}, Python {platform.python_version()}, "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n"
    )
    print("| run | median wall | wall of each run | median CPU (user+sys, git included) | target |")
    print("|---|---:|---|---:|---:|")
    for label, walls, cpus, target in (
        ("cold (no cache)", cold, cold_cpu, "< 10 s"),
        ("cached, after one more commit", cached, cached_cpu, "< 0.5 s"),
    ):
        print(
            f"| {label} | {statistics.median(walls):.2f} s | "
            f"{', '.join(f'{t:.2f}' for t in walls)} | {statistics.median(cpus):.2f} s | {target} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
