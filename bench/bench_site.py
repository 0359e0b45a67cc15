"""Benchmark `textcrm build` and `serve` against Hugo building the same Markdown files.

Usage::

    apt-get install hugo          # Debian's package (0.111 on bookworm); not needed by CI
    .venv/bin/python bench/bench_site.py --opportunities 10000 --runs 3 [--write]
    .venv/bin/python bench/bench_site.py --opportunities 10000 --profile

For each corpus size (from bench/generate.py, no planted problems) it measures, in the same
run and alternating the two tools so both see the same machine load:

* cold full build: textcrm with no output folder and no caches; Hugo with no public/ folder;
* second build with nothing changed: textcrm with its output and caches; Hugo again;
* serve: one changed opportunity, from the start of the rebuild (after the watcher's
  debounce) until that opportunity's page is on disk, and until the whole round is done.

Hugo builds the same opportunity files (copied into content/opportunities/) with a minimal
layout: a single page showing the front matter's main fields, line items, activities and
the Markdown body, and a list page of every opportunity. Wall-clock medians; the CPU time
(user + system, all processes) is printed too, because a busy machine inflates wall time.
"""

from __future__ import annotations

import argparse
import os
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


def measure_serve(root: Path, runs: int) -> dict[str, object]:
    """One changed opportunity in a serve session (in this process, as `serve` runs it)."""
    from textcrm.site.serve import Session

    session = Session(root, root / "_site", date.fromisoformat(TODAY))
    assert session.full().result is not None
    target = sorted((root / "opportunities").glob("*.md"))[
        len(os.listdir(root / "opportunities")) // 2
    ]
    rel = target.relative_to(root).as_posix()
    original = target.read_text()
    first, total, cpu = [], [], []
    try:
        for i in range(runs):
            target.write_text(original.replace("\n---\n", f"\n---\nEdited in run {i}.\n\n", 1))
            started = cpu_self() + cpu_children()
            done = session.apply({rel})
            cpu.append(cpu_self() + cpu_children() - started)
            assert done.incremental and done.first_page_seconds is not None, done.error
            first.append(done.first_page_seconds)
            total.append(done.seconds)
    finally:
        target.write_text(original)
        session.apply({rel})
    return {
        "serve_first": statistics.median(first),
        "serve_round": statistics.median(total),
        "serve_cpu": statistics.median(cpu),
    }


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
        first, whole, whole_cpu = r["serve_first"], r["serve_round"], r["serve_cpu"]
        assert isinstance(first, float) and isinstance(whole, float)
        assert isinstance(whole_cpu, float)
        lines.append(
            f"| | | serve: one changed opportunity's page on disk | {first:.3f} s "
            f"| | {100 * first / cold[0]:.1f}% of cold | 2% |"
        )
        lines.append(
            f"| | | serve: the whole round (dashboards too) | {whole:.2f} s ({whole_cpu:.1f}) "
            f"| | {100 * whole / cold[0]:.1f}% of cold | 2% |"
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
    args = parser.parse_args()
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
