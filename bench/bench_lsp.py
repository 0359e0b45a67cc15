"""Time `textcrm lsp` as an editor uses it, on a generated repository of 10,000 opportunities.

Usage::

    python bench/bench_lsp.py [--opportunities 10000] [--runs 5] [--edits 60]
                              [--work DIR] [--write]

It generates the corpus (`bench/generate.py OUT --opportunities N --no-planted`) and drives
the real server over stdio with the tests' LSP client (tests/lsp_client.py):

- start to first diagnostics: the server process starts, initializes, an opportunity is
  opened, and its diagnostics arrive; cold (no parse cache) and with the parse cache that a
  `textcrm check` leaves (median of --runs starts each);
- diagnostics after a change: --edits edits of the open opportunity (its close date moved into
  the past and back, so that every other publication carries a problem), each timed from the
  didChange to the diagnostics published for that version; median and 95th percentile;
- completion: account ids (1,250 of them) and stage keys with nothing typed yet after
  `account: ` / `stage: ` (every value offered), --edits requests each; median.

With --write, the `lsp` section of docs/performance.md is replaced (or added).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from common import machine, update_section  # noqa: E402

from lsp_client import LspClient  # noqa: E402

TODAY = "2026-11-28"


def first_opportunity(root: Path) -> str:
    return sorted(p.name for p in (root / "opportunities").glob("*.md"))[0]


def start_to_diagnostics(root: Path, rel: str, cached: bool) -> float:
    cache = root / ".textcrm-cache"
    if not cached:
        shutil.rmtree(cache, ignore_errors=True)
    start = time.perf_counter()
    client = LspClient(root, env={"TEXTCRM_TODAY": TODAY})
    try:
        client.initialize()
        mark = client.mark()
        client.open(rel)
        client.diagnostics(rel, mark, timeout=300)
        return time.perf_counter() - start
    finally:
        client.shutdown()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--opportunities", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--edits", type=int, default=60)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="textcrm-bench-lsp-"))
    root = work / f"crm-{args.opportunities}"
    if not (root / "textcrm.yaml").exists():
        subprocess.run(
            [
                sys.executable,
                str(HERE / "generate.py"),
                str(root),
                "--opportunities",
                str(args.opportunities),
                "--no-planted",
                "--force",
            ],
            check=True,
        )
    rel = f"opportunities/{first_opportunity(root)}"

    cold = [start_to_diagnostics(root, rel, cached=False) for _ in range(args.runs)]
    subprocess.run(
        [sys.executable, "-m", "textcrm", "check", "--root", str(root), "--today", TODAY],
        check=False,
        capture_output=True,
    )
    warm = [start_to_diagnostics(root, rel, cached=True) for _ in range(args.runs)]

    client = LspClient(root, env={"TEXTCRM_TODAY": TODAY})
    try:
        client.initialize()
        mark = client.mark()
        client.open(rel)
        client.diagnostics(rel, mark, timeout=300)
        # Steady state: wait until the whole repository is loaded (a workspace symbol query
        # waits for it) before timing edits.
        client.request("workspace/symbol", {"query": "zzzz"}, timeout=300)
        text = (root / rel).read_text(encoding="utf-8")
        lines = text.split("\n")
        close = next(i for i, line in enumerate(lines) if line.startswith("close_date:"))
        past = "\n".join([*lines[:close], "close_date: 2026-01-02", *lines[close + 1 :]])
        changes = []
        for i in range(args.edits):
            new = past if i % 2 == 0 else text
            mark = client.mark()
            start = time.perf_counter()
            client.change(rel, new)
            client.diagnostics(rel, mark, version=client.versions[client.uri(rel)])
            changes.append(time.perf_counter() - start)
        account = next(i for i, line in enumerate(lines) if line.startswith("account:"))
        stage = next(i for i, line in enumerate(lines) if line.startswith("stage:"))
        completions: dict[str, list[float]] = {"account ids": [], "stage keys": []}
        for _ in range(args.edits):
            for name, line in (("account ids", account), ("stage keys", stage)):
                # Right after `key: `: no prefix typed, every value offered (the worst case).
                position = client.position(rel, line, lines[line].index(":") + 2)
                start = time.perf_counter()
                items = client.request("textDocument/completion", position)["items"]
                completions[name].append(time.perf_counter() - start)
                assert items, name
        accounts = len(list((root / "accounts").glob("*.md")))
    finally:
        client.shutdown()

    def ms(v: float) -> str:
        return f"{v * 1000:.0f} ms"

    def row(name: str, values: list[float], target: str, p95: bool = True) -> str:
        tail = ms(percentile(values, 0.95)) if p95 else ""
        return f"| {name} | {ms(statistics.median(values))} | {tail} | {target} |"

    command = (
        f"python bench/bench_lsp.py --opportunities {args.opportunities} --runs {args.runs} "
        f"--edits {args.edits} --write"
    )
    rows = [
        row("start to first diagnostics, cold (no parse cache)", cold, "3 s", p95=False),
        row("start to first diagnostics, with the parse cache", warm, "1 s", p95=False),
        row("diagnostics after a change (didChange to publish)", changes, "50 ms / 150 ms"),
        row(f"completion of account ids ({accounts:,})", completions["account ids"], "50 ms"),
        row("completion of stage keys", completions["stage keys"], "50 ms"),
    ]
    table = "\n".join(rows)
    body = f"""## lsp

`{command}`
on {machine()}. The real server over stdio, driven by the tests' LSP client
(tests/lsp_client.py); a generated repository of {args.opportunities:,} opportunities and
{accounts:,} accounts (`bench/generate.py --no-planted`).

| measure | median | 95th percentile | target |
|---|---:|---:|---:|
{table}
"""
    print(body)
    if args.write:
        update_section("lsp", body)


if __name__ == "__main__":
    main()
