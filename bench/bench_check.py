"""Benchmark `textcrm check` on generated corpora against the naive approach and raw reading.

    python bench/bench_check.py [--sizes 1000,10000,50000] [--runs 5] [--write]
    python bench/bench_check.py --warm [--sizes 10000,100000] [--runs 5] [--write]

For each size it generates a corpus with bench/generate.py (deterministic), then times, side by
side in the same run and as medians of several runs:
  naive        one Python process reading every file and yaml.load(CSafeLoader) on each
               front matter (what a hand-rolled validator would do; no checks at all)
  read bytes   one Python process merely reading every file's bytes
  cold check   `textcrm check` with no parse cache
  warm check   `textcrm check` again, nothing changed (parse cache in .textcrm-cache/)
and `python -c pass` against `textcrm --version`. With --write, the figures replace the
`check` section of docs/performance.md.

With --warm it measures the results cache instead, each column in turn within every round
(so that a busy machine slows them alike), medians of the rounds:
  read bytes   as above
  warm check   `textcrm check` again, nothing changed
  one changed  `textcrm check` after one opportunity changed (a different one each round)
  next day     `textcrm check --today` the day after, the cache written the day before (the
               first check of a morning): only the files whose findings may change that day
               are parsed again
  cold         `textcrm check --no-cache` (every file parsed), for comparison
with the load average before and after, and writes the `warm-check` section.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import NAIVE, machine, time_command, timed, update_section
from common import corpus as corpus_of

TODAY = "2026-11-28"
TOMORROW = (date.fromisoformat(TODAY) + timedelta(days=1)).isoformat()


READ = r"""
import os, sys
root = sys.argv[1]
for folder in ("opportunities", "accounts", "contacts", "competitors"):
    for name in os.listdir(os.path.join(root, folder)):
        with open(os.path.join(root, folder, name), "rb") as f:
            f.read()
"""


def bench_size(n: int, runs: int, work: Path) -> dict[str, float]:
    corpus = corpus_of(n, work)
    check = [sys.executable, "-m", "textcrm", "check", "--root", str(corpus), "--today", TODAY]
    cache = corpus / ".textcrm-cache"

    def drop_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    result = {
        "naive": time_command([sys.executable, "-c", NAIVE, str(corpus)], runs),
        "read": time_command([sys.executable, "-c", READ, str(corpus)], runs),
        "cold": time_command(check, runs, before=drop_cache),
    }
    subprocess.run(check, stdout=subprocess.DEVNULL, check=False)  # fill the cache
    result["warm"] = time_command(check, runs)
    return result


def bench_warm(n: int, runs: int, work: Path) -> dict[str, float | str]:
    """Read bytes, warm check and check after one changed file, round by round."""
    corpus = corpus_of(n, work)
    check = [sys.executable, "-m", "textcrm", "check", "--root", str(corpus), "--today", TODAY]
    subprocess.run(check, stdout=subprocess.DEVNULL, check=False)  # fill the cache
    subprocess.run(check, stdout=subprocess.DEVNULL, check=False)
    opportunities = corpus / "opportunities"
    victims = sorted(os.listdir(opportunities))[: runs * 2]
    originals = {name: (opportunities / name).read_bytes() for name in victims}
    edits = iter(victims)

    def change_one() -> None:
        name = next(edits)
        (opportunities / name).write_bytes(originals[name] + b"\nEdited for the benchmark.\n")

    next_day = [*check[:-1], TOMORROW]

    def back_to_today() -> None:
        subprocess.run(check, stdout=subprocess.DEVNULL, check=False)

    times: dict[str, list[float]] = {
        "read": [],
        "warm": [],
        "changed": [],
        "next day": [],
        "cold": [],
    }
    cpu: dict[str, list[float]] = {k: [] for k in times}

    def measure(name: str, args: list[str], before: Callable[[], None] | None = None) -> None:
        if before is not None:
            before()
        wall, used = timed(args)
        times[name].append(wall)
        cpu[name].append(used)

    load_before = os.getloadavg()[0]
    try:
        for _ in range(runs):
            measure("read", [sys.executable, "-c", READ, str(corpus)])
            # The previous round ended on the next day: today's check first puts back the
            # entries that one rewrote (an entry's days start where it was computed).
            measure("warm", check, before=back_to_today)
            measure("changed", check, before=change_one)
            measure("next day", next_day, before=back_to_today)
            measure("cold", [*next_day, "--no-cache"])
        back_to_today()
    finally:
        for name, data in originals.items():
            (opportunities / name).write_bytes(data)
    load_after = os.getloadavg()[0]
    result: dict[str, float | str] = {k: statistics.median(v) for k, v in times.items()}
    result.update({f"{k} cpu": statistics.median(v) for k, v in cpu.items()})
    result["load"] = f"{load_before:.1f} / {load_after:.1f}"
    return result


def main_warm(args: argparse.Namespace, sizes: list[int]) -> int:
    rows = []
    for n in sizes:
        r = bench_warm(n, args.runs, args.work)
        read, warm, changed = float(r["read"]), float(r["warm"]), float(r["changed"])
        rows.append((n, r))
        print(
            f"{n:>6}: read {read:.2f}s warm {warm:.2f}s ({warm / read:.2f}x) one changed "
            f"{changed:.2f}s ({changed / read:.2f}x) next day {float(r['next day']):.2f}s "
            f"({float(r['next day']) / read:.2f}x), load average {r['load']}; CPU: read "
            f"{float(r['read cpu']):.2f}s warm {float(r['warm cpu']):.2f}s changed "
            f"{float(r['changed cpu']):.2f}s next day {float(r['next day cpu']):.2f}s; cold "
            f"(--no-cache) {float(r['cold']):.2f}s, CPU {float(r['cold cpu']):.2f}s",
            flush=True,
        )
    lines = [
        "## warm check",
        "",
        f"Command: `python bench/bench_check.py --warm --sizes {args.sizes} --runs {args.runs} "
        "--write`",
        f"Machine: {machine()}.",
        "Medians of the rounds; in each round the columns run one after the other, so a "
        "busy machine slows them alike. Load average (1 minute) before / after each size. "
        f"Next day: `check --today {TOMORROW}` with the cache written by a check of {TODAY}.",
        "",
        "| opportunities | rounds | load average | read bytes | warm check | warm / read "
        "(target <= 5, 100,000: <= 3) | one changed file | changed / read (target <= 6) | "
        "next day | next day / read | cold (`--no-cache`) | CPU: read, warm, changed, next "
        "day, cold |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for n, r in rows:
        read, warm, changed = float(r["read"]), float(r["warm"]), float(r["changed"])
        later = float(r["next day"])
        lines.append(
            f"| {n:,} | {args.runs} | {r['load']} | {read:.2f} s | {warm:.2f} s | "
            f"{warm / read:.2f}x | {changed:.2f} s | {changed / read:.2f}x | {later:.2f} s | "
            f"{later / read:.2f}x | {float(r['cold']):.2f} s | {float(r['read cpu']):.2f}, "
            f"{float(r['warm cpu']):.2f}, {float(r['changed cpu']):.2f}, "
            f"{float(r['next day cpu']):.2f}, {float(r['cold cpu']):.2f} s |"
        )
    if args.write:
        update_section("warm-check", "\n".join(lines))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "textcrm-bench")
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument("--warm", action="store_true", help="measure the results cache")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.warm:
        return main_warm(args, sizes)

    startup_pass = time_command([sys.executable, "-c", "pass"], args.runs * 4)
    startup_version = time_command([sys.executable, "-m", "textcrm", "--version"], args.runs * 4)
    rows = []
    for n in sizes:
        runs = args.runs if n <= 10000 else max(3, args.runs // 2)
        r = bench_size(n, runs, args.work)
        rows.append((n, r, runs))
        print(
            f"{n:>6}: naive {r['naive']:.2f}s read {r['read']:.2f}s cold {r['cold']:.2f}s "
            f"({r['cold'] / r['naive']:.2f}x naive) warm {r['warm']:.2f}s "
            f"({r['warm'] / r['read']:.2f}x read)",
            flush=True,
        )
    print(
        f"python -c pass {startup_pass * 1000:.0f} ms, textcrm --version "
        f"{startup_version * 1000:.0f} ms ({startup_version / startup_pass:.2f}x)"
    )

    lines = [
        "## check",
        "",
        f"Command: `python bench/bench_check.py --sizes {args.sizes} --runs {args.runs} --write`",
        f"Machine: {machine()}.",
        "Medians of the runs given; the corpus files are in the page cache in every column "
        '("cold" means no parse cache).',
        "",
        "| opportunities | runs | naive yaml.load | read bytes | cold check | cold / naive "
        "(target <= 0.4) | warm check | warm / read (target <= 5) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r, runs in rows:
        lines.append(
            f"| {n:,} | {runs} | {r['naive']:.2f} s | {r['read']:.2f} s | {r['cold']:.2f} s | "
            f"{r['cold'] / r['naive']:.2f}x | {r['warm']:.2f} s | {r['warm'] / r['read']:.2f}x |"
        )
    lines += [
        "",
        f"Start-up: `python -c pass` {startup_pass * 1000:.0f} ms, `textcrm --version` "
        f"{startup_version * 1000:.0f} ms: {startup_version / startup_pass:.2f}x (target <= 2x).",
    ]
    if args.write:
        update_section("check", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
