"""Benchmark `textcrm build` and `serve` against Hugo building the same Markdown files.

Usage::

    apt-get install hugo          # Debian's package (0.111 on bookworm); not needed by CI
    .venv/bin/python bench/bench_site.py --opportunities 10000 --runs 3 [--write]
    .venv/bin/python bench/bench_site.py --opportunities 10000 --profile
    .venv/bin/python bench/bench_site.py --opportunities 10000 --runs 1 --serve-only

For each corpus size (from bench/generate.py, no planted problems) it measures, in the same
run and alternating the two tools so both see the same machine load:

* cold full build: textcrm with no output folder and no caches; Hugo with no public/ folder;
* second build with nothing changed: textcrm with its output and caches; Hugo again;
* serve: one changed opportunity (its notes only, then its amount), from the start of the
  rebuild (after the watcher's debounce) until that opportunity's page is on disk, and
  until the whole round is done (the dashboards and data files too).

Hugo builds the same opportunity files (copied into content/opportunities/) with a minimal
layout: a single page showing the front matter's main fields, line items, activities and
the Markdown body, and a list page of every opportunity. Wall-clock medians; the CPU time
(user + system, all processes) is printed too, because a busy machine inflates wall time.
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
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, update_section

TODAY = "2026-11-28"
HUGO_CONFIG = """\
baseURL = "http://example.org/"
title = "Pipeline"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""
HUGO_SINGLE = """\
<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1>
<dl><dt>Account</dt><dd>{{ .Params.account }}</dd><dt>Owner</dt><dd>{{ .Params.owner }}</dd>
<dt>Stage</dt><dd>{{ .Params.stage }}</dd><dt>Close date</dt><dd>{{ .Params.close_date }}</dd>
<dt>Amount</dt><dd>{{ .Params.amount }}</dd></dl>
{{ with .Params.line_items }}<table>{{ range . }}<tr><td>{{ .sku }}</td><td>{{ .quantity }}</td>
</tr>{{ end }}</table>{{ end }}
{{ with .Params.activities }}<ol>{{ range . }}<li>{{ .date }} {{ .type }} {{ .summary }}</li>
{{ end }}</ol>{{ end }}
{{ .Content }}</body></html>
"""
HUGO_LIST = """\
<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1><table>{{ range .Pages }}<tr><td><a href="{{ .RelPermalink }}">
{{ .Title }}</a></td><td>{{ .Params.account }}</td><td>{{ .Params.stage }}</td>
<td>{{ .Params.amount }}</td></tr>{{ end }}</table></body></html>
"""


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], before: Callable[[], None] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of a command; it must succeed."""
    if before is not None:
        before()
    cpu = cpu_children()
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start, cpu_children() - cpu


def corpus(work: Path, size: int) -> Path:
    root = work / f"crm-{size}"
    if not (root / "textcrm.yaml").is_file():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate.py"),
                str(root),
                "--opportunities",
                str(size),
                "--no-planted",
                "--force",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return root


def hugo_site(work: Path, root: Path, size: int) -> Path:
    site = work / f"hugo-{size}"
    if not (site / "content" / "opportunities").is_dir():
        (site / "layouts" / "_default").mkdir(parents=True, exist_ok=True)
        (site / "hugo.toml").write_text(HUGO_CONFIG)
        (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
        (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
        shutil.copytree(root / "opportunities", site / "content" / "opportunities")
    return site


def median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs))


def measure(work: Path, size: int, runs: int) -> dict[str, object]:
    root = corpus(work, size)
    hugo = hugo_site(work, root, size)
    textcrm = [sys.executable, "-m", "textcrm", "build", "--root", str(root), "--today", TODAY]
    hugo_cmd = ["hugo", "--quiet", "-s", str(hugo), "-d", str(hugo / "public")]

    def clean_textcrm() -> None:
        shutil.rmtree(root / "_site", ignore_errors=True)
        shutil.rmtree(root / ".textcrm-cache", ignore_errors=True)

    def clean_hugo() -> None:
        for name in ("public", "resources"):
            shutil.rmtree(hugo / name, ignore_errors=True)

    cold_t, cold_h, warm_t, warm_h = [], [], [], []
    for _ in range(runs):
        cold_h.append(timed(hugo_cmd, clean_hugo))
        cold_t.append(timed(textcrm, clean_textcrm))
        warm_h.append(timed(hugo_cmd))
        warm_t.append(timed(textcrm))
    serve = measure_serve(root, runs)
    pages = sum(1 for p in (root / "_site").rglob("*.html"))
    hugo_pages = sum(1 for p in (hugo / "public").rglob("*.html"))
    return {
        "size": size,
        "pages": pages,
        "hugo_pages": hugo_pages,
        "cold": median(cold_t),
        "cold_hugo": median(cold_h),
        "warm": median(warm_t),
        "warm_hugo": median(warm_h),
        **serve,
    }


def serve_only(work: Path, size: int, runs: int, load: str) -> str:
    """The serve rows alone, against a cold textcrm build measured in the same run (no Hugo):
    for a quicker look at serve, not for the table of record."""
    root = corpus(work, size)
    textcrm = [sys.executable, "-m", "textcrm", "build", "--root", str(root), "--today", TODAY]

    def clean() -> None:
        shutil.rmtree(root / "_site", ignore_errors=True)
        shutil.rmtree(root / ".textcrm-cache", ignore_errors=True)

    cold = median([timed(textcrm, clean) for _ in range(runs)])
    found = measure_serve(root, runs)
    lines = [
        f"serve at {size} opportunities; load average at the start {load}; cold build "
        f"{cold[0]:.1f} s ({cold[1]:.1f} s CPU), median of {runs}",
        "| round | its page on disk | whole round | CPU | share of the cold build |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in ("notes", "amount"):
        first, whole = found[f"serve_{kind}_first"], found[f"serve_{kind}_round"]
        cpu = found[f"serve_{kind}_cpu"]
        assert isinstance(first, float) and isinstance(whole, float) and isinstance(cpu, float)
        lines.append(
            f"| {kind} changed | {first:.3f} s | {whole:.3f} s | {cpu:.3f} s "
            f"| {100 * whole / cold[0]:.1f}% wall, {100 * cpu / cold[1]:.1f}% CPU |"
        )
    return "\n".join(lines) + "\n"


def amount_edit(text: str, number: int) -> str:
    """The deal's amount (or its first line item's quantity) raised by `number` + 1."""
    for field in ("amount", "quantity"):
        found = re.search(rf"(?m)^(\s*-?\s*{field}: )(\d+)", text)
        if found is None:
            found = re.search(rf"({field}: )(\d+)", text)
        if found is not None:
            raised = int(found.group(2)) + number + 1
            return text[: found.start(2)] + str(raised) + text[found.end(2) :]
    raise ValueError("no amount or quantity to change")


def measure_serve(root: Path, runs: int) -> dict[str, object]:
    """Rounds of a serve session after one changed opportunity (in this process, as `serve`
    runs them, the heap settled by the entry point after the full build): an edit of its
    notes only, and an edit of its amount, alternating."""
    from textcrm.entry import settle_heap
    from textcrm.site.serve import Session

    session = Session(root, root / "_site", date.fromisoformat(TODAY), settled=settle_heap)
    assert session.full().result is not None
    target = sorted((root / "opportunities").glob("*.md"))[
        len(os.listdir(root / "opportunities")) // 2
    ]
    rel = target.relative_to(root).as_posix()
    original = target.read_text()
    edits = {
        "notes": lambda i: original.replace("\n---\n", f"\n---\nEdited in run {i}.\n\n", 1),
        "amount": lambda i: amount_edit(original, i),
    }
    found: dict[str, list[tuple[float, float, float]]] = {kind: [] for kind in edits}
    try:
        # All the notes edits first (each changes the notes only), then the amount edits.
        for kind, edit in edits.items():
            for i in range(max(runs, 5)):
                target.write_text(edit(i))
                started = cpu_self() + cpu_children()
                done = session.apply({rel})
                cpu = cpu_self() + cpu_children() - started
                assert done.incremental and done.first_page_seconds is not None, done.error
                found[kind].append((done.first_page_seconds, done.seconds, cpu))
    finally:
        target.write_text(original)
        session.apply({rel})
    result: dict[str, object] = {}
    for kind, rounds in found.items():
        result[f"serve_{kind}_first"] = statistics.median(r[0] for r in rounds)
        result[f"serve_{kind}_round"] = statistics.median(r[1] for r in rounds)
        result[f"serve_{kind}_cpu"] = statistics.median(r[2] for r in rounds)
    return result


def report(rows: list[dict[str, object]], runs: int, load: str) -> str:
    lines = [
        "## site",
        "",
        f"Machine: {machine()}. Hugo {hugo_version()}.",
        "",
        "```sh",
        "apt-get install hugo   # for the comparison only",
        f".venv/bin/python bench/bench_site.py --opportunities "
        f"{','.join(str(r['size']) for r in rows)} --runs {runs} --write",
        "```",
        "",
        f"Medians of {runs} runs, wall clock (CPU seconds of all processes in brackets); the "
        f"two tools alternate run by run. Load average when the run started: {load}.",
        "",
        "| opportunities | pages (textcrm / Hugo) | | textcrm | Hugo | ratio | target |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        cold, cold_h = r["cold"], r["cold_hugo"]
        warm, warm_h = r["warm"], r["warm_hugo"]
        assert isinstance(cold, tuple) and isinstance(cold_h, tuple)
        assert isinstance(warm, tuple) and isinstance(warm_h, tuple)
        pages = f"{r['pages']} / {r['hugo_pages']}"
        lines.append(
            f"| {r['size']} | {pages} | cold full build | {cold[0]:.1f} s "
            f"({cold[1]:.1f}) | {cold_h[0]:.1f} s ({cold_h[1]:.1f}) | "
            f"{cold[0] / cold_h[0]:.2f}x | 1.5x |"
        )
        lines.append(
            f"| | | second build, nothing changed | {warm[0]:.1f} s ({warm[1]:.1f}) "
            f"| {warm_h[0]:.1f} s ({warm_h[1]:.1f}) | {warm[0] / warm_h[0]:.2f}x "
            "| 0.5x |"
        )
        for kind, what in (("notes", "notes"), ("amount", "amount")):
            first, whole = r[f"serve_{kind}_first"], r[f"serve_{kind}_round"]
            whole_cpu = r[f"serve_{kind}_cpu"]
            assert isinstance(first, float) and isinstance(whole, float)
            assert isinstance(whole_cpu, float)
            lines.append(
                f"| | | serve, one opportunity's {what} changed: its page on disk "
                f"| {first:.3f} s | | {100 * first / cold[0]:.1f}% of cold | 2% |"
            )
            lines.append(
                f"| | | serve, one opportunity's {what} changed: the whole round "
                f"| {whole:.2f} s ({whole_cpu:.2f}) | | {100 * whole / cold[0]:.1f}% of cold | 2% |"
            )
    return "\n".join(lines) + "\n"


# Where a cold build's time goes: (label, file suffix, function name) of cProfile's entries.
PROFILE_PARTS = (
    ("load: read, parse, check", "textcrm/loader.py", "load"),
    ("plan: pages and inputs digests", "site/plan.py", "plan"),
    ("pages: views, templates, Markdown, writes", "site/pages.py", "produce"),
    ("of which: templates (Jinja2), Markdown included", "textcrm/render.py", "render"),
    ("of which: Markdown notes (Python-Markdown, nh3)", "site/markdown.py", "html"),
    ("of which: table cell labels", "textcrm/render.py", "label_table_cells"),
    ("of which: writing files", "site/output.py", "write_if_changed"),
    ("data files: pipeline.json, calendar feeds", "site/feeds.py", "data_files"),
    ("of which: calendar feeds", "textcrm/calendar.py", "calendar_feeds"),
    ("search index", "textcrm/site/views/search.py", "search_index"),
)


def profile(work: Path, size: int) -> str:
    """cProfile of one cold build in one process (jobs=1): each part's share of the build."""
    import cProfile
    import pstats

    from textcrm.site import build

    root = corpus(work, size)
    shutil.rmtree(root / "_site", ignore_errors=True)
    shutil.rmtree(root / ".textcrm-cache", ignore_errors=True)
    profiler = cProfile.Profile()
    profiler.enable()
    build(root, date.fromisoformat(TODAY), use_cache=True, jobs=1)
    profiler.disable()
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(suffix: str, name: str) -> float:
        found = [v[3] for (f, _, n), v in stats.items() if f.endswith(suffix) and n == name]
        return max(found, default=0.0)

    total = cumulative("site/build.py", "build")
    lines = [f"| part of a cold build ({size} opportunities, one process) | share |", "|---|---:|"]
    for label, suffix, name in PROFILE_PARTS:
        lines.append(f"| {label} | {100 * cumulative(suffix, name) / total:.0f}% |")
    return "\n".join(lines) + "\n"


def hugo_version() -> str:
    out = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout
    return out.split()[1] if out else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--opportunities", default="10000", help="comma-separated corpus sizes (default 10000)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "textcrm-bench-site"
    )
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument(
        "--profile", action="store_true", help="profile one cold build instead (no Hugo)"
    )
    parser.add_argument(
        "--serve-only", action="store_true", help="measure serve rounds and a cold build (no Hugo)"
    )
    args = parser.parse_args()
    if args.serve_only:
        args.work.mkdir(parents=True, exist_ok=True)
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        for n in args.opportunities.split(","):
            print(serve_only(args.work, int(n), args.runs, load))
        return 0
    if args.profile:
        args.work.mkdir(parents=True, exist_ok=True)
        print(profile(args.work, int(args.opportunities.split(",")[0])))
        return 0
    if shutil.which("hugo") is None:
        print("bench_site: hugo is not installed (Debian: apt-get install hugo)", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    rows = [measure(args.work, int(n), args.runs) for n in args.opportunities.split(",")]
    text = report(rows, args.runs, load)
    print(text)
    if args.write:
        update_section("site", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
