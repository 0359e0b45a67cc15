"""Benchmark a cold `textcrm check` (no results cache) against the naive `yaml.load` loop.

    python bench/bench_cold.py [--sizes 10000] [--runs 5] [--write]

For each size it generates a corpus with bench/generate.py (deterministic), then times, side by
side in interleaved rounds (medians of `--runs`):
  naive          one Python process reading every record file and yaml.load(CSafeLoader) on
                 each front matter (what a hand-rolled validator would do; no checks at all)
  cold check     `textcrm check --no-cache` through the console entry point (gc tuned there)
  cold, gc on    the same command without the entry point's gc tuning (the cyclic collector
                 running as Python sets it)
with the CPU time (user + system, children included) of each. It then times, in one process
on one core, the parts of parsing every file: decode and split, libyaml's compose, the whole
parse into records, the whole results-cache entry (what each process of a cold check computes
per file: the parse, the one-file rules, the references and the range of days), and
yaml.load, per file. With --instructions it also counts the machine
instructions of each part per file with valgrind's callgrind on every 40th file (a count that
other work on the machine cannot disturb). With --write, the figures replace the `cold`
section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import NAIVE, corpus, machine, timed, update_section

TODAY = "2026-11-28"
FOLDERS = ("opportunities", "accounts", "contacts", "competitors")


# The command line without the entry point, so without its gc tuning.
WITHOUT_TUNING = "import sys; from textcrm.cli import main; sys.argv[0] = 'textcrm'; main()"

# What computes a file's results-cache entry in a cold check (parse, one-file rules,
# references, range of days), as each process of `check` runs it.
ENTRY_RULES = r"""
def entry_rules(root):
    from datetime import date
    from pathlib import Path
    from textcrm import results
    from textcrm.loader import DiskReader
    check = results._Check(Path(root), date(2026, 11, 28), DiskReader(Path(root)), None, False)
    return results.FileRules(check.config, check._catalog_products(), check.today,
                             check.config_digest, check.catalog_digest, check.reader, False)
"""

# Parsing every file in one process on one core, by part; best of three passes each.
PARTS = (
    ENTRY_RULES
    + r"""
import gc, os, sys, time, yaml
from textcrm import loader
from textcrm.source import decode, split
from textcrm.yamlnodes import compose
root = sys.argv[1]
gc.disable()  # as the entry point does for a one-shot command
rules = entry_rules(root)
kinds = {"opportunities": "opportunity", "accounts": "account", "contacts": "contact",
         "competitors": "competitor"}
jobs = []
for folder, kind in kinds.items():
    for name in sorted(os.listdir(os.path.join(root, folder))):
        with open(os.path.join(root, folder, name), "rb") as f:
            jobs.append((kind, folder + "/" + name, name[:-3], f.read()))
fronts = []
for _kind, path, _id, data in jobs:
    source, _ = split(path, decode(path, data)[0] or "")
    if source is not None:
        fronts.append(source.front)

def split_all():
    for _kind, path, _id, data in jobs:
        split(path, decode(path, data)[0] or "")

def compose_all():
    for front in fronts:
        compose(front)

def parse_all():
    for job in jobs:
        loader.read_record(*job)

def entry_all():
    rules(jobs)

def naive_all():
    for _kind, _path, _id, data in jobs:
        parts = data.decode("utf-8").split("---\n", 2)
        if len(parts) == 3:
            try:
                yaml.load(parts[1], Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                pass

for name, fn in (("split", split_all), ("compose", compose_all), ("parse", parse_all),
                 ("entry", entry_all), ("naive", naive_all)):
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    print(name, best / len(jobs) * 1e6)
"""
)


# The same parts, one at a time, on every 40th file, for callgrind: `setup` only reads the
# files and warms the imports, so the difference with another part is that part's count.
COUNTED = (
    ENTRY_RULES
    + r"""
import gc, os, sys, yaml
from textcrm import loader
from textcrm.source import decode, split
from textcrm.yamlnodes import compose
root, part = sys.argv[1], sys.argv[2]
gc.disable()
kinds = {"opportunities": "opportunity", "accounts": "account", "contacts": "contact",
         "competitors": "competitor"}
jobs = []
for folder, kind in kinds.items():
    for name in sorted(os.listdir(os.path.join(root, folder)))[::40]:
        with open(os.path.join(root, folder, name), "rb") as f:
            jobs.append((kind, folder + "/" + name, name[:-3], f.read()))
rules = entry_rules(root)
for job in jobs[:20]:
    loader.read_record(*job)
    yaml.load("a: 1", Loader=yaml.CSafeLoader)
rules(jobs[:20])
print(len(jobs), file=sys.stderr)
for kind, path, record_id, data in jobs:
    if part == "compose":
        source, _ = split(path, decode(path, data)[0] or "")
        if source is not None:
            compose(source.front)
    elif part == "parse":
        loader.read_record(kind, path, record_id, data)
    elif part == "naive":
        pieces = data.decode("utf-8").split("---\n", 2)
        if len(pieces) == 3:
            try:
                yaml.load(pieces[1], Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                pass
if part == "entry":
    rules(jobs)
"""
)


def instructions(root: Path) -> dict[str, float]:
    """Instructions per file of each part, counted by callgrind (valgrind)."""

    def count(part: str) -> tuple[int, int]:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                "-c",
                COUNTED,
                str(root),
                part,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        collected = next(line for line in done.stderr.splitlines() if "Collected" in line)
        files = int(next(line for line in done.stderr.splitlines() if line.strip().isdigit()))
        return int(collected.split()[-1]), files

    base, files = count("setup")
    parts = ("compose", "parse", "entry", "naive")
    return {part: (count(part)[0] - base) / files for part in parts}


def bench_size(root: Path, runs: int) -> dict[str, tuple[float, float]]:
    check = ["check", "--root", str(root), "--today", TODAY, "--no-cache"]
    commands = {
        "naive": [sys.executable, "-c", NAIVE, str(root)],
        "cold": [sys.executable, "-m", "textcrm", *check],
        "gc on": [sys.executable, "-c", WITHOUT_TUNING, *check],
    }
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
    for _ in range(runs):
        for name, args in commands.items():
            times[name].append(timed(args))
    return {
        name: (statistics.median(w for w, _ in got), statistics.median(c for _, c in got))
        for name, got in times.items()
    }


def parts(root: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PARTS, str(root)], check=True, capture_output=True, text=True
    ).stdout
    return {name: float(value) for name, value in (line.split() for line in out.splitlines())}


def files_in(root: Path) -> int:
    return sum(len(os.listdir(root / folder)) for folder in FOLDERS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "textcrm-bench")
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    load_before = os.getloadavg()[0]
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        root = corpus(n, args.work)
        r = bench_size(root, args.runs)
        p = parts(root)
        if args.instructions:
            p.update({f"{k} ir": v for k, v in instructions(root).items()})
        rows.append((n, files_in(root), r, p))
        print(
            f"{n:>6}: naive {r['naive'][0]:.2f}s (cpu {r['naive'][1]:.2f}s) "
            f"cold {r['cold'][0]:.2f}s (cpu {r['cold'][1]:.2f}s) "
            f"= {r['cold'][0] / r['naive'][0]:.2f}x naive; gc on {r['gc on'][0]:.2f}s "
            f"(cpu {r['gc on'][1]:.2f}s); per file on one core: "
            + ", ".join(f"{k} {v:.0f} us" for k, v in p.items()),
            flush=True,
        )
    load_after = os.getloadavg()[0]

    lines = [
        "## Cold check",
        "",
        f"Command: `python bench/bench_cold.py --sizes {args.sizes} --runs {args.runs}"
        + (" --instructions" if args.instructions else "")
        + " --write`",
        f"Machine: {machine()}; load average {load_before:.1f} before the run and "
        f"{load_after:.1f} after it.",
        "Medians of interleaved rounds, wall clock and CPU (user + system, the helper process "
        "included); every file in the page cache; `cold` means `--no-cache` (every file's "
        "entry computed, on both cores, no cache read or written).",
        "",
        "| opportunities | files | naive yaml.load | cold check | cold / naive (target <= 0.6, "
        "stretch 0.4) | cold check, gc on | naive CPU | cold CPU | gc on CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, files, r, _p in rows:
        lines.append(
            f"| {n:,} | {files:,} | {r['naive'][0]:.2f} s | {r['cold'][0]:.2f} s | "
            f"{r['cold'][0] / r['naive'][0]:.2f}x | {r['gc on'][0]:.2f} s | "
            f"{r['naive'][1]:.2f} s | {r['cold'][1]:.2f} s | {r['gc on'][1]:.2f} s |"
        )
    lines += [
        "",
        "Per file, in one process on one core (best of three passes over every file, "
        "collector off):",
        "",
        "| opportunities | decode + split | libyaml compose | whole parse into records | "
        "whole entry (parse, one-file rules, references) | yaml.load (CSafeLoader) | "
        "parse / yaml.load | entry / yaml.load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, _files, _r, p in rows:
        lines.append(
            f"| {n:,} | {p['split']:.0f} µs | {p['compose']:.0f} µs | {p['parse']:.0f} µs | "
            f"{p['entry']:.0f} µs | {p['naive']:.0f} µs | {p['parse'] / p['naive']:.2f}x | "
            f"{p['entry'] / p['naive']:.2f}x |"
        )
    if args.instructions:
        lines += [
            "",
            "Machine instructions per file (valgrind's callgrind, every 40th file; other work on "
            "the machine does not change these counts):",
            "",
            "| opportunities | decode + split + compose | whole parse into records | "
            "whole entry | yaml.load (CSafeLoader) | parse / yaml.load | entry / yaml.load |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for n, _files, _r, p in rows:
            lines.append(
                f"| {n:,} | {p['compose ir'] / 1e6:.2f} M | {p['parse ir'] / 1e6:.2f} M | "
                f"{p['entry ir'] / 1e6:.2f} M | {p['naive ir'] / 1e6:.2f} M | "
                f"{p['parse ir'] / p['naive ir']:.2f}x | {p['entry ir'] / p['naive ir']:.2f}x |"
            )
    if args.write:
        update_section("cold", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
