"""Peak memory of `textcrm check` and `textcrm build` on generated corpora.

    python bench/bench_memory.py [--sizes 10000,100000] [--commands check,build] [--write]

For each size and command it runs the real command once (a fresh process, cold: no parse
cache) and reports:
  peak RSS        the largest resident set of the command's process or of any helper it
                  started (what `/usr/bin/time -v` reports as "Maximum resident set size")
  peak tree PSS   the largest sum of the proportional set sizes of the process and its
                  helpers alive at the same moment, sampled every 50 ms (parsing and rendering
                  run on every core; PSS counts a page shared by forked helpers once in all,
                  where summing their resident sets would count it in each)
  wall, CPU       the run's wall clock and user + system time, helpers included
With --write, the figures replace the `memory` section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import corpus, machine, update_section

TODAY = "2026-11-28"
GIB = 1024**3


def _pss(pid: int) -> int:
    """Proportional set size of one process in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """The process and its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return found


def measure(args: list[str]) -> dict[str, float]:
    """Run a command; its wall and CPU seconds, peak RSS and peak sampled tree PSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_tree = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.is_set():
            peak_tree = max(peak_tree, sum(_pss(p) for p in _tree(proc.pid)))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped by wait4
    done.set()
    sampler.join()
    return {
        "wall": time.perf_counter() - start,
        "cpu": usage.ru_utime + usage.ru_stime,
        # ru_maxrss is in KiB on Linux: the largest of the process and its reaped helpers.
        "peak": usage.ru_maxrss * 1024,
        "tree": peak_tree,
    }


def command(name: str, root: Path, out: Path) -> list[str]:
    textcrm = [sys.executable, "-m", "textcrm"]
    if name == "check":
        return [*textcrm, "check", "--root", str(root), "--today", TODAY, "--no-cache"]
    return [
        *textcrm,
        "build",
        "--root",
        str(root),
        "--today",
        TODAY,
        "--no-cache",
        "--output",
        str(out),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--commands", default="check,build")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "textcrm-bench")
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        root = corpus(n, args.work)
        for name in args.commands.split(","):
            out = args.work / f"site-{n}"
            shutil.rmtree(out, ignore_errors=True)
            load = os.getloadavg()[0]
            r = measure(command(name, root, out))
            shutil.rmtree(out, ignore_errors=True)
            rows.append((n, name, r, load))
            print(
                f"{n:>7} {name}: peak {r['peak'] / GIB:.2f} GiB, tree {r['tree'] / GIB:.2f} GiB, "
                f"wall {r['wall']:.1f} s, cpu {r['cpu']:.1f} s, load {load:.1f}",
                flush=True,
            )

    lines = [
        "## Memory",
        "",
        f"Command: `python bench/bench_memory.py --sizes {args.sizes} --commands "
        f"{args.commands} --write`",
        f"Machine: {machine()}.",
        "One cold run each (`--no-cache`). Peak RSS: the largest process, as "
        "`/usr/bin/time -v` reports it; tree: the largest sum of the proportional set sizes "
        "of the process and its helpers at one moment, sampled every 50 ms. Target: under "
        "2 GiB at 100,000 opportunities.",
        "",
        "| opportunities | command | peak RSS | peak tree PSS | wall | CPU | load average |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for n, name, r, load in rows:
        lines.append(
            f"| {n:,} | `{name}` | {r['peak'] / GIB:.2f} GiB | {r['tree'] / GIB:.2f} GiB | "
            f"{r['wall']:.1f} s | {r['cpu']:.1f} s | {load:.1f} |"
        )
    if args.write:
        update_section("memory", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
