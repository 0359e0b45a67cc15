"""Time the editing commands on generated corpora: median wall and CPU time over several runs.

Usage::

    python bench/edit.py [--sizes 1000 10000] [--runs 5] [--write docs/performance.md]

Each size gets a corpus from bench/generate.py (no planted problems). Every command runs as
its own `textcrm` process against a fresh copy of one opportunity, so runs do not pile up
activities; `--dry-run` is used for the commands that would otherwise change the corpus.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TODAY = "2026-11-28"


def timed(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # Exit status 1 or 2 is fine here (a refused move, an ambiguous title): the work is the same.
    subprocess.run(args, cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path, help="append the table to this Markdown file")
    opts = parser.parse_args()
    textcrm = [sys.executable, "-m", "textcrm"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in opts.sizes:
            corpus = Path(tmp) / f"c{size}"
            subprocess.run(
                [
                    sys.executable,
                    str(HERE / "generate.py"),
                    str(corpus),
                    "--opportunities",
                    str(size),
                    "--no-planted",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            files = sorted((corpus / "opportunities").iterdir())
            first = files[0]
            opp = first.stem
            original = first.read_bytes()
            # Title words that name exactly one opportunity (generated titles repeat).
            titles = [
                f.read_text().split("title:", 1)[1].split("\n", 1)[0].strip(' "') for f in files
            ]
            lowered = [t.lower() for t in titles]
            words = next(
                t
                for t in titles
                if sum(all(w in other for w in re.findall(r"\w+", t.lower())) for other in lowered)
                == 1
            )
            commands = {
                "log (id)": ["log", opp, "--type", "call", "--summary", "Bench"],
                "set (id prefix)": ["set", opp[:11], "close_date", "2027-06-30"],
                "log --dry-run (title words)": ["log", words, "--type", "note", "--dry-run"],
                "move --dry-run (id)": ["move", opp, "closed-won", "--dry-run"],
                "new account": ["new", "account", "Bench Corp {n}"],
                "check --no-cache (for comparison)": ["check", "--no-cache"],
            }
            for label, args in commands.items():
                walls, cpus = [], []
                for n in range(opts.runs):
                    shutil.rmtree(corpus / ".textcrm-cache", ignore_errors=True)
                    first.write_bytes(original)
                    argv = [a.replace("{n}", str(n)) for a in args]
                    wall, cpu = timed([*textcrm, *argv, "--today", TODAY], corpus)
                    walls.append(wall)
                    cpus.append(cpu)
                rows.append((size, label, statistics.median(walls), statistics.median(cpus)))
                print(
                    f"{size:>6}  {label:<42} wall {rows[-1][2]:.3f}s  cpu {rows[-1][3]:.3f}s",
                    flush=True,
                )
    table = [
        "| opportunities | command | median wall (s) | median CPU (s) |",
        "|---:|---|---:|---:|",
    ]
    table += [f"| {s:,} | `{label}` | {w:.3f} | {c:.3f} |" for s, label, w, c in rows]
    text = "\n".join(table) + "\n"
    print(text)
    if opts.write:
        with open(opts.write, "a", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
