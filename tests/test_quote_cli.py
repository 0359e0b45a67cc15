"""`textcrm quote`: the HTML it writes (parsed), naming the opportunity, and every bad input."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import EXAMPLE
from quote_support import (
    QUOTE_CONFIG,
    line_rows,
    opportunity,
    quote_files,
    read_tables,
    total_rows,
    view_of,
)
from textcrm.loader import load

LINES = (
    "  - {sku: SCN-200, quantity: 40, discount: 5%}\n"
    "  - {sku: SVC-DAY, quantity: 2.5, description: Go-live support}\n"
    "  - {name: Holster kit, quantity: 40, unit: each, unit_price: 12.35, discount: 20}\n"
)
QUOTE = (
    "{number: Q-2026-0042, date: 2026-11-25, valid_until: 2026-12-31, terms: Net 30, "
    'tax_rate: 8.25%, discount: 2%, notes: "Prices include **delivery**."}'
)


def files(**overrides: str | bytes | None) -> dict[str, str | bytes | None]:
    base = quote_files(opportunity(LINES, QUOTE))
    base.update(overrides)
    return base


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_html_quote_lines_and_totals(make_repo, run):
    root = make_repo(files(), config=QUOTE_CONFIG)
    result = run(["quote", "acme-scanners"], cwd=root)
    assert result.exit_code == 0, result.output
    # 40 x 1100 less 5% = 41800; 2.5 x 950 = 2375; 40 x 12.35 = 494 less 20 = 474;
    # subtotal 44649; 2% = 892.98; 43756.02 x 8.25% = 3609.871650 -> 3609.87
    assert result.stdout == (
        "wrote Q-2026-0042.html: quote Q-2026-0042, 3 lines, total $47,365.89\n"
    )
    html = (root / "Q-2026-0042.html").read_text(encoding="utf-8")
    assert line_rows(html) == [
        {
            "pos": "1",
            "sku": "SCN-200",
            "item": "Handheld scanner",
            "qty": "40",
            "unit": "each",
            "price": "$1,100.00",
            "disc": "5% −$2,200.00",
            "amount": "$41,800.00",
        },
        {
            "pos": "2",
            "sku": "SVC-DAY",
            "item": "Service day Go-live support",
            "qty": "2.5",
            "unit": "day",
            "price": "$950.00",
            "disc": "—",
            "amount": "$2,375.00",
        },
        {
            "pos": "3",
            "sku": "—",
            "item": "Holster kit",
            "qty": "40",
            "unit": "each",
            "price": "$12.35",
            "disc": "−$20.00",
            "amount": "$474.00",
        },
    ]
    assert total_rows(html) == {
        "subtotal": "$44,649.00",
        "order-discount": "−$892.98",
        "taxable": "$43,756.02",
        "tax": "$3,609.87",
        "grand-total": "$47,365.89",
    }
    meta = {row["th"]: row["td"] for _cls, row in read_tables(html)["meta"]}
    assert meta == {
        "Quote no.": "Q-2026-0042",
        "Date": "Nov 25, 2026",
        "Valid until": "Dec 31, 2026",
        "Currency": "USD",
        "Terms": "Net 30",
        "Contact": "alice",
    }
    assert "<th>Discount (2%)</th>" in html
    assert "<th>Tax (8.25%)</th>" in html
    assert "Prices include <strong>delivery</strong>." in html
    # Seller with tax id, buyer with address, addressed to the Economic Buyer.
    assert "Northwind Robotics Inc." in html and "US 94-1234567" in html
    assert "Acme Corp" in html and "1 Main Street<br>Springfield<br>" in html
    assert '<span class="label">Attn.</span> Jane Doe' in html


def test_html_is_self_contained(make_repo, run):
    root = make_repo(files(), config=QUOTE_CONFIG)
    assert run(["quote", "acme-scanners"], cwd=root).exit_code == 0
    html = (root / "Q-2026-0042.html").read_text(encoding="utf-8")
    assert '<img class="logo" src="data:image/svg+xml;base64,' in html
    assert "<link" not in html and 'src="http' not in html
    # Print CSS: paper size from textcrm.yaml (default A4), page numbers, repeated headers.
    assert "size: A4;" in html
    assert 'content: "Page " counter(page) " of " counter(pages);' in html
    assert ".lines thead { display: table-header-group; }" in html


def test_paper_letter_and_german_locale(make_repo, run):
    config = QUOTE_CONFIG.replace("currency: USD", "currency: EUR\nlocale: de_DE\npaper: Letter")
    lines = "  - {name: Beratung, quantity: 1, unit_price: 1234.56}\n"
    root = make_repo(quote_files(opportunity(lines, currency="EUR")), config=config)
    assert run(["quote", "acme-scanners"], cwd=root).exit_code == 0
    html = (root / "Q-2026-0042.html").read_text(encoding="utf-8")
    assert "size: Letter;" in html
    assert total_rows(html)["grand-total"] == "1.234,56 €"
    assert '<html lang="de">' in html


def test_output_file_and_folder(make_repo, run, tmp_path):
    root = make_repo(files(), config=QUOTE_CONFIG)
    out = tmp_path / "out"
    out.mkdir()
    result = run(["quote", "acme-scanners", "-o", str(out / "quote.html")], cwd=root)
    assert result.exit_code == 0, result.output
    assert listing(out) == ["quote.html"]
    result = run(["quote", "acme-scanners", "-o", str(out)], cwd=root)
    assert result.exit_code == 0, result.output
    assert listing(out) == ["Q-2026-0042.html", "quote.html"]


def test_unsafe_quote_number_makes_a_safe_file_name(make_repo, run):
    opp = opportunity(LINES, "{number: Q/2026/42, date: 2026-11-25, valid_until: 2026-12-31}")
    root = make_repo(quote_files(opp), config=QUOTE_CONFIG)
    result = run(["quote", "acme-scanners"], cwd=root)
    assert result.exit_code == 0, result.output
    assert (root / "Q-2026-42.html").is_file()


def test_named_by_prefix_or_title_words(make_repo, run):
    root = make_repo(files(), config=QUOTE_CONFIG)
    assert run(["quote", "acme-sc"], cwd=root).exit_code == 0
    assert run(["quote", "Warehouse Scanners"], cwd=root).exit_code == 0
    assert run(["quote", "opportunities/acme-scanners.md"], cwd=root).exit_code == 0


def test_ambiguous_prefix_lists_candidates(make_repo, run):
    root = make_repo(
        {**files(), "opportunities/acme-service.md": opportunity(LINES)}, config=QUOTE_CONFIG
    )
    result = run(["quote", "acme"], cwd=root)
    assert result.exit_code == 2
    assert result.stderr == (
        "textcrm: error: `acme` matches 2 opportunities: acme-scanners, acme-service; "
        "name one of these ids\n"
    )
    assert listing(root) == [
        "accounts",
        "competitors",
        "contacts",
        "logo.svg",
        "opportunities",
        "products.yaml",
        "textcrm.yaml",
    ]


def test_unknown_id_suggests(make_repo, run):
    root = make_repo(files(), config=QUOTE_CONFIG)
    result = run(["quote", "acme-scaners"], cwd=root)
    assert result.exit_code == 2
    assert result.stderr == (
        "textcrm: error: no opportunity `acme-scaners` in opportunities/; "
        "did you mean `acme-scanners`?\n"
    )


def test_exact_id_wins_over_prefix(make_repo, run):
    other = opportunity(LINES, "{number: Q-2026-0099, date: 2026-11-25, valid_until: 2027-01-31}")
    root = make_repo({**files(), "opportunities/acme-scanners-2.md": other}, config=QUOTE_CONFIG)
    result = run(["quote", "acme-scanners"], cwd=root)
    assert result.exit_code == 0, result.output
    assert (root / "Q-2026-0042.html").is_file()


@pytest.mark.parametrize(
    ("opp", "message"),
    [
        (
            opportunity("", QUOTE, extra="amount: 1000\n"),
            "opportunities/acme-scanners.md has no line items; a quote lists what is sold: "
            "add line_items",
        ),
        (
            opportunity(LINES, None),
            "opportunities/acme-scanners.md has no quote: section; add one, e.g. quote: "
            "{number: Q-2026-0001, date: 2026-11-25, valid_until: 2026-12-31, terms: Net 30}",
        ),
        (
            opportunity(LINES + "  - {sku: NOPE-1, quantity: 1}\n", QUOTE),
            "cannot quote acme-scanners: opportunities/acme-scanners.md:14:1: error: sku `NOPE-1` is not "
            "in products.yaml",
        ),
    ],
    ids=["no-line-items", "no-quote-section", "unknown-product"],
)
def test_cannot_quote(make_repo, run, opp, message):
    root = make_repo(quote_files(opp), config=QUOTE_CONFIG)
    result = run(["quote", "acme-scanners"], cwd=root)
    assert result.exit_code == 1
    assert result.stderr.startswith("textcrm: error: " + message)
    assert result.stderr.count("\n") == 1
    assert not list(root.glob("Q-*"))


def test_missing_logo(make_repo, run):
    root = make_repo(files(**{"logo.svg": None}), config=QUOTE_CONFIG)
    result = run(["quote", "acme-scanners"], cwd=root)
    assert result.exit_code == 1
    assert result.stderr == (
        f"textcrm: error: textcrm.yaml: company.logo `logo.svg` not found in {root}; fix the "
        "path (relative to the folder of textcrm.yaml) or remove logo\n"
    )
    assert not list(root.glob("Q-*"))


def test_no_company_section(make_repo, run):
    root = make_repo(files(), config=QUOTE_CONFIG.split("company:")[0])
    result = run(["quote", "acme-scanners"], cwd=root)
    assert result.exit_code == 1
    assert result.stderr.startswith("textcrm: error: textcrm.yaml has no company: section")


def test_output_folder_missing(make_repo, run):
    root = make_repo(files(), config=QUOTE_CONFIG)
    result = run(["quote", "acme-scanners", "-o", "products.yaml/q.html"], cwd=root)
    assert result.exit_code == 1
    assert result.stderr == (
        f"textcrm: error: cannot write {root}/products.yaml/q.html: folder "
        f"{root}/products.yaml does not exist\n"
    )


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_unwritable_output(make_repo, run):
    # /proc refuses new files even to root, where chmod would not stop a write.
    root = make_repo(files(), config=QUOTE_CONFIG)
    result = run(["quote", "acme-scanners", "-o", "/proc/q.html"], cwd=root)
    assert result.exit_code == 2
    assert result.stderr.startswith("textcrm: error: cannot write /proc/q.html: ")
    assert result.stderr.endswith("; no file was created\n")
    assert result.stderr.count("\n") == 1


def test_pdf_without_weasyprint(make_repo, run, monkeypatch):
    root = make_repo(files(), config=QUOTE_CONFIG)
    (root / "Q-2026-0042.pdf").write_bytes(b"an older quote")
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails
    result = run(["quote", "acme-scanners", "--format", "pdf"], cwd=root)
    assert result.exit_code == 2
    assert result.stderr == (
        "textcrm: error: PDF output needs WeasyPrint: pip install 'textcrm[pdf]'\n"
    )
    # The older file is untouched and no temporary file is left behind.
    assert (root / "Q-2026-0042.pdf").read_bytes() == b"an older quote"
    assert [p.name for p in root.iterdir() if p.name.startswith((".Q", "Q"))] == ["Q-2026-0042.pdf"]


def test_repository_template_overrides_the_shipped_one(make_repo, run):
    override = "<p>{{ quote.number }} {{ quote.totals.total|money(quote.currency) }}</p>\n"
    root = make_repo(files(**{"templates/quote.html": override}), config=QUOTE_CONFIG)
    assert run(["quote", "acme-scanners"], cwd=root).exit_code == 0
    assert (root / "Q-2026-0042.html").read_text() == "<p>Q-2026-0042 $47,365.89</p>\n"


def test_example_repository_quotes(run, tmp_path):
    root = EXAMPLE
    result = run(["quote", "--root", str(root), "pinecrest-grocers-dc"], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "wrote Q-2026-0041.html: quote Q-2026-0041, 6 lines, total $197,028.90\n"
    )
    html = (tmp_path / "Q-2026-0041.html").read_text(encoding="utf-8")
    assert total_rows(html)["grand-total"] == "$197,028.90"


def test_importing_quote_loads_neither_jinja_nor_weasyprint():
    code = (
        "import sys, textcrm.quote, textcrm.lookup; "
        "print(sorted(m for m in ('jinja2', 'weasyprint', 'babel') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"


def _amount(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", "").replace("−", "-"))


@pytest.mark.parametrize(
    "opp_id",
    sorted(
        p.stem
        for p in (EXAMPLE / "opportunities").glob("*.md")
        if "\nquote:" in p.read_text(encoding="utf-8")
    ),
)
def test_every_example_quote_adds_up(run, tmp_path, opp_id):
    result = run(["quote", "--root", str(EXAMPLE), opp_id, "-o", "q.html"], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    html = (tmp_path / "q.html").read_text(encoding="utf-8")
    amounts = [_amount(row["amount"]) for row in line_rows(html)]
    totals = {k: _amount(v) for k, v in total_rows(html).items()}
    assert sum(amounts, Decimal(0)) == totals["subtotal"]
    assert (
        totals["subtotal"]
        + totals.get("order-discount", Decimal(0))
        + totals.get("tax", Decimal(0))
    ) == totals["grand-total"]


def test_opportunity_that_cannot_be_read(make_repo, run):
    root = make_repo(
        files(**{"opportunities/acme-scanners.md": "---\ntitle: [unclosed\n---\n"}),
        config=QUOTE_CONFIG,
    )
    result = run(["quote", "opportunities/acme-scanners.md"], cwd=root)
    assert result.exit_code == 1
    assert result.stderr == (
        "textcrm: error: opportunities/acme-scanners.md has errors that keep it from being "
        "read; run `textcrm check opportunities/acme-scanners.md`\n"
    )


def test_ambiguous_title_words(make_repo, run):
    other = opportunity(LINES).replace("warehouse scanners", "warehouse robots")
    root = make_repo({**files(), "opportunities/globex-robots.md": other}, config=QUOTE_CONFIG)
    result = run(["quote", "warehouse"], cwd=root)
    assert result.exit_code == 2
    assert result.stderr == (
        "textcrm: error: `warehouse` matches 2 opportunities: acme-scanners, globex-robots; "
        "name one of these ids\n"
    )
    assert run(["quote", "WAREHOUSE robots"], cwd=root).exit_code == 0


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "<p>{{ quote.nope }}</p>\n",
            "templates/quote.html:1: template error: 'textcrm.quote.QuoteView object' has no "
            "attribute 'nope'",
        ),
        (
            "<p>{% if %}</p>\n",
            "templates/quote.html:1: template syntax error: Expected an "
            "expression, got 'end of statement block'",
        ),
    ],
    ids=["undefined", "syntax"],
)
def test_broken_template_override(make_repo, run, template, message):
    root = make_repo(files(**{"templates/quote.html": template}), config=QUOTE_CONFIG)
    result = run(["quote", "acme-scanners"], cwd=root)
    assert result.exit_code == 1
    assert result.stderr.replace(str(root) + "/", "") == f"textcrm: error: {message}\n"
    assert not list(root.glob("Q-*"))


def test_python_api_for_the_site(make_repo):
    from textcrm import render
    from textcrm.quote import QuoteError, build_quote, render_quote_html

    root = make_repo(
        {**files(), "opportunities/no-quote.md": opportunity(LINES, None)}, config=QUOTE_CONFIG
    )
    view = view_of(root)
    assert (view.number, view.file_stem, view.totals.total) == (
        "Q-2026-0042",
        "Q-2026-0042",
        Decimal("47365.89"),
    )
    html = render_quote_html(view, render.environment(root))
    assert html == render_quote_html(view, root)
    assert total_rows(html)["grand-total"] == "$47,365.89"
    repo = load(root, date(2026, 11, 28), use_cache=False).repository
    with pytest.raises(QuoteError, match="has no quote: section"):
        build_quote(repo, repo.opportunities["no-quote"])


def test_html_quote_does_not_import_weasyprint(tmp_path):
    code = (
        "import sys\nfrom textcrm.cli import cli\n"
        "try:\n    cli(sys.argv[1:], prog_name='textcrm')\nexcept SystemExit:\n    pass\n"
        "print('weasyprint' in sys.modules, 'textcrm.pdf' in sys.modules)\n"
    )
    args = ["quote", "--root", str(EXAMPLE), "acme-logistics-amr-fleet"]
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.splitlines()[-1] == "False False"
    assert (tmp_path / "Q-2026-0038.html").is_file()
