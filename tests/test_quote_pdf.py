"""PDF quotes through WeasyPrint: the text read back with pypdf, page 1 as a PNG, many pages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ARTIFACTS, EXAMPLE
from quote_support import QUOTE_CONFIG, opportunity, quote_files

pytest.importorskip("weasyprint", reason="the pdf extra is not installed")
from pypdf import PdfReader

# The example's Q-2026-0038, worked out by hand: (position, sku, name, quantity, unit price,
# line total). 12 x 28,500 less 5% = 324,900; subtotal 407,437.96; 8.265% tax =
# 33,674.747394 -> 33,674.75; total 441,112.71.
EXAMPLE_LINES = [
    ("1", "AMR-100", "NW-100 Autonomous Mobile Robot", "12 each", "$28,500.00", "$324,900.00"),
    ("2", "AMR-CHG", "Autonomous Docking & Charging Station", "4 each", "$3,249.99", "$12,999.96"),
    (
        "3",
        "LIC-FLEET-1Y",
        "Fleet Manager Licence (per robot, 1 year)",
        "12 year",
        "$2,400.00",
        "$28,800.00",
    ),
    ("4", "LIC-WMS-CONN", "WMS Connector Licence (1 year)", "1 year", "$6,500.00", "$6,500.00"),
    (
        "5",
        "SUP-PREM-1Y",
        "Premium Support (per device, 1 year)",
        "12 year",
        "$1,899.00",
        "$22,788.00",
    ),
    ("6", "SVC-INSTALL-DAY", "On-site Installation Engineer", "6 day", "$1,450.00", "$8,700.00"),
    ("7", "—", "Wi-Fi site survey (subcontracted)", "1 each", "$2,750.00", "$2,750.00"),
]


def pdf_text(path: Path) -> list[str]:
    """The text of each page, whitespace runs collapsed."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def require(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{program} is missing; scripts/setup-test.sh installs poppler-utils")
        pytest.skip(f"{program} (poppler-utils) is not installed")
    return found


def test_example_quote_pdf(run, tmp_path):
    result = run(
        [
            "quote",
            "--root",
            str(EXAMPLE),
            "acme-logistics-amr-fleet",
            "--format",
            "pdf",
        ],
        cwd=tmp_path,
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "wrote Q-2026-0038.pdf: quote Q-2026-0038, 7 lines, total $441,112.71\n"
    )
    pdf = tmp_path / "Q-2026-0038.pdf"
    pages = pdf_text(pdf)
    text = " ".join(pages)
    assert "QUOTE Q-2026-0038" in text
    assert (
        "Quote no. Q-2026-0038 Date Nov 25, 2026 Valid until Dec 31, 2026 "
        "Currency USD Terms Net 30" in text
    )
    for pos, sku, name, qty, price, amount in EXAMPLE_LINES:
        assert f"{pos} {sku} {name}" in text, name
        assert re.search(
            rf"{qty} {re.escape(price)} (— |5% −\$17,100\.00 ){re.escape(amount)}", text
        ), name
    assert "Subtotal $407,437.96 Tax (8.265%) $33,674.75 Total USD $441,112.71" in text
    assert "Acme Logistics Attn. Dana Whitfield, VP Operations" in text
    assert "Prices valid for orders placed before December 31, 2026." in text
    assert pages[-1].endswith(f"Page {len(pages)} of {len(pages)}")
    assert PdfReader(pdf).metadata.title == "Quote Q-2026-0038 – Northwind Robotics Inc."
    # Tagged for assistive technology (PDF/UA-1): structure tree, language, title shown.
    catalog = PdfReader(pdf).trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "en"
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])

    # Page 1 as a PNG for people to look at (CI keeps test-artifacts/).
    pdftoppm = require("pdftoppm")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = ARTIFACTS / "quote-page1"
    subprocess.run(
        [pdftoppm, "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png)],
        check=True,
    )
    data = png.with_suffix(".png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (850, 1100)  # US Letter at 100 dpi, from textcrm.yaml's paper


def test_pdftotext_reads_the_same_total(run, tmp_path):
    pdftotext = require("pdftotext")
    result = run(
        [
            "quote",
            "--root",
            str(EXAMPLE),
            "pinecrest-grocers-dc",
            "--format",
            "pdf",
            "-o",
            "q.pdf",
        ],
        cwd=tmp_path,
    )
    assert result.exit_code == 0, result.output
    out = subprocess.run(
        [pdftotext, "-layout", str(tmp_path / "q.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"Total USD\s+\$197,028\.90", out)
    assert "Q-2026-0041" in out


@pytest.mark.slow
def test_two_hundred_lines_span_pages_with_headers_repeated(make_repo, run):
    # Line i: i x 1.01 -> subtotal 1.01 x (1 + ... + 200) = 1.01 x 20100 = 20301.00.
    lines = "".join(
        f"  - {{name: Part {i:03d}, quantity: {i}, unit: each, unit_price: 1.01}}\n"
        for i in range(1, 201)
    )
    root = make_repo(quote_files(opportunity(lines)), config=QUOTE_CONFIG)
    result = run(["quote", "acme-scanners", "--format", "pdf"], cwd=root)
    assert result.exit_code == 0, result.output
    pages = pdf_text(root / "Q-2026-0042.pdf")
    count = len(pages)
    assert count >= 4
    header = "# SKU DESCRIPTION QTY UNIT UNIT PRICE DISCOUNT AMOUNT"
    for number, page in enumerate(pages, start=1):
        assert page.endswith(f"Page {number} of {count}"), number
        assert "Quote Q-2026-0042" in page
        if number < count or "Part 200" in page:
            assert header in page, f"no table header on page {number}"
    text = " ".join(pages)
    for i in range(1, 201):
        amount = f"${i * 101 // 100:,}.{i * 101 % 100:02d}"
        assert f"{i} — Part {i:03d} {i} each $1.01 — {amount}" in text, i
    assert "Subtotal $20,301.00 Total USD $20,301.00" in text
    # Every row is printed once (a repeated header is not a repeated row).
    rows_per_page = [len(re.findall(r"— Part \d{3}", page)) for page in pages]
    assert sum(rows_per_page) == 200
