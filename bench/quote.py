"""Time `textcrm quote` end to end (HTML and PDF) on quotes of growing length.

Usage::

    python bench/quote.py [--runs 5] [--lines 7,50,200]

Copies example-repo into a temporary folder, gives one opportunity N line items (catalog
lines cycling through the example's products, with descriptions, some discounted), and runs
the real `textcrm quote` command as a subprocess several times per format; prints the median
wall time of each as a Markdown table (the numbers in docs/performance.md), after the time
of Python's start-up and of importing WeasyPrint alone, for scale.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
OPP = "opportunities/acme-logistics-amr-fleet.md"
SKUS = ["AMR-100", "AMR-CHG", "LIC-FLEET-1Y", "SUP-PREM-1Y", "SVC-INSTALL-DAY", "SCN-200"]


def with_lines(text: str, count: int) -> str:
    lines = "".join(
        f"  - {{sku: {SKUS[i % len(SKUS)]}, quantity: {i % 9 + 1}"
        + (", discount: 5%}\n" if i % 4 == 0 else "}\n")
        for i in range(count)
    )
    return re.sub(r"line_items:\n(  - .*\n)+", "line_items:\n" + lines, text)


def median_seconds(command: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lines", default="7,50,200")
    args = parser.parse_args()
    textcrm = str(Path(sys.executable).parent / "textcrm")
    python = [sys.executable, "-c"]
    startup = median_seconds([*python, "pass"], ROOT, args.runs)
    weasy = median_seconds([*python, "import weasyprint"], ROOT, args.runs)
    print(f"Python start-up {startup:.2f} s; `import weasyprint` {weasy:.2f} s\n")
    print("| line items | pages (PDF) | HTML | PDF |")
    print("|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for count in (int(n) for n in args.lines.split(",")):
            crm = Path(tmp) / f"crm-{count}"
            shutil.copytree(ROOT / "example-repo", crm)
            path = crm / OPP
            path.write_text(with_lines(path.read_text(encoding="utf-8"), count), encoding="utf-8")
            base = [textcrm, "quote", "--root", str(crm), "acme-logistics-amr-fleet"]
            html = median_seconds([*base, "-o", "q.html"], crm, args.runs)
            pdf = median_seconds([*base, "--format", "pdf", "-o", "q.pdf"], crm, args.runs)
            pages = len(PdfReader(crm / "q.pdf").pages)
            print(f"| {count} | {pages} | {html:.2f} s | {pdf:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
