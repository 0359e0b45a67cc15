"""Time the report commands on generated corpora: median wall time over several runs.

Usage::

    python bench/reports.py [--sizes 1000,10000] [--runs 3] [--work /tmp/textcrm-bench]

Each corpus comes from bench/generate.py (deterministic, no planted problems). The parse cache
is warmed once, so the figures are for the usual case: a second command on an unchanged
repository. Every command runs as a real `textcrm` process; its output goes to /dev/null.
Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TODAY = "2026-11-28"
COMMANDS = [
    ["pipeline"],
    ["forecast"],
    ["attention"],
    ["list", "--sort", "weighted"],
    ["list", "--format", "json"],
    ["export", "--kind", "line-items"],
    ["calendar"],
]


def textcrm() -> list[str]:
    return [sys.executable, "-m", "textcrm"]


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        args,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        check=True,
        env={"TEXTCRM_TODAY": TODAY, "COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )
    return time.perf_counter() - start


def in_process(corpus: Path, runs: int) -> dict[str, float]:
    """Where the time goes: loading (warm cache) versus each report's own work, in-process."""
    from datetime import date

    from textcrm import export, pipeline, reports
    from textcrm.calendar import calendar_feed
    from textcrm.console import Style
    from textcrm.loader import load

    day = date.fromisoformat(TODAY)
    style = Style()
    loads = []
    for _ in range(runs):
        start = time.perf_counter()
        repo = load(corpus, day, run_checks=False).repository
        loads.append(time.perf_counter() - start)
    jobs = {
        "(in-process) load, warm cache": None,
        "(in-process) pipeline table": lambda: reports.pipeline_report(
            repo, day, None, "table", style
        ),
        "(in-process) forecast table": lambda: reports.forecast_report(
            repo, day, "month", 6, None, "table", style
        ),
        "(in-process) attention table": lambda: reports.attention_report(
            repo, day, None, "table", style
        ),
        "(in-process) list table": lambda: reports.list_report(
            repo, pipeline.opportunity_list(repo), day, "table", style, {}, "close_date"
        ),
        "(in-process) export line-items csv": lambda: export.to_csv(repo, "line-items"),
        "(in-process) calendar feed": lambda: calendar_feed(repo, day),
    }
    result = {"(in-process) load, warm cache": statistics.median(loads)}
    for name, job in jobs.items():
        if job is None:
            continue
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            job()
            times.append(time.perf_counter() - start)
        result[name] = statistics.median(times)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/textcrm-bench-reports"))
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(",")]
    rows: dict[str, dict[int, float]] = {}
    for n in sizes:
        corpus = opts.work / f"corpus-{n}"
        if not (corpus / "textcrm.yaml").exists():
            subprocess.run(
                [
                    sys.executable,
                    str(HERE / "generate.py"),
                    str(corpus),
                    "--opportunities",
                    str(n),
                    "--no-planted",
                    "--force",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        timed([*textcrm(), "pipeline"], corpus)  # warm the parse cache
        for command in [["--version"], *COMMANDS]:
            name = "textcrm " + " ".join(command)
            runs = [timed([*textcrm(), *command], corpus) for _ in range(opts.runs)]
            rows.setdefault(name, {})[n] = statistics.median(runs)
            print(f"{name} n={n}: {rows[name][n]:.2f} s", file=sys.stderr)
    print("| command | " + " | ".join(f"{n:,} opportunities" for n in sizes) + " |")
    for n in sizes:
        corpus = opts.work / f"corpus-{n}"
        for name, seconds in in_process(corpus, opts.runs).items():
            rows.setdefault(name, {})[n] = seconds
    print("|---|" + "---:|" * len(sizes))
    for name, by_size in rows.items():
        print(f"| `{name}` | " + " | ".join(f"{by_size[n]:.2f} s" for n in sizes) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
