"""One date format per locale: Babel's medium format wherever people read a date (site pages,
quotes, terminal reports); ISO wherever a program reads one (JSON, CSV, `datetime`
attributes) and in `check` messages, which quote the file's own values."""

from __future__ import annotations

import json
from datetime import date

import pytest

from conftest import DEFAULT_CONFIG
from quote_support import QUOTE_CONFIG, opportunity, quote_files
from textcrm.money import format_date

TODAY = "2026-11-28"
DEAL = """\
---
title: Acme Corp - warehouse scanners
account: acme-corp
owner: alice
stage: proposal
close_date: 2026-12-19
follow_up: 2026-12-02
contacts: [{contact: jane-doe, role: Economic Buyer}]
line_items:
  - {sku: SCN-200, quantity: 10, unit_price: 1100}
activities:
  - {date: 2026-11-24, type: call, contact: jane-doe, summary: Walked through pricing}
quote: {number: Q-7, date: 2026-11-26, valid_until: 2026-12-31}
---
"""
GERMAN = DEFAULT_CONFIG.replace("currency: USD", "currency: EUR\nlocale: de_DE")


@pytest.mark.parametrize(
    "locale,text",
    [
        ("en_US", "Dec 19, 2026"),
        ("de_DE", "19.12.2026"),
        ("en_GB", "19 Dec 2026"),
        ("fr_FR", "19 déc. 2026"),
    ],
)
def test_the_locales_medium_format(locale, text):
    assert format_date(date(2026, 12, 19), locale) == text


def test_german_quote_prints_german_dates(make_repo, run):
    config = QUOTE_CONFIG.replace("currency: USD", "currency: EUR\nlocale: de_DE")
    lines = "  - {name: Beratung, quantity: 1, unit_price: 1234.56}\n"
    root = make_repo(quote_files(opportunity(lines, currency="EUR")), config=config)
    assert run(["quote", "acme-scanners", "--today", TODAY], cwd=root).exit_code == 0
    html = (root / "Q-2026-0042.html").read_text(encoding="utf-8")
    assert "<tr><th>Date</th><td>25.11.2026</td></tr>" in html
    assert "<tr><th>Valid until</th><td>31.12.2026</td></tr>" in html
    assert "2026-11-25" not in html and "2026-12-31" not in html


def test_english_quote_in_the_same_format(make_repo, run):
    lines = "  - {name: Consulting, quantity: 1, unit_price: 1234.56}\n"
    root = make_repo(quote_files(opportunity(lines)), config=QUOTE_CONFIG)
    assert run(["quote", "acme-scanners", "--today", TODAY], cwd=root).exit_code == 0
    html = (root / "Q-2026-0042.html").read_text(encoding="utf-8")
    assert "<tr><th>Date</th><td>Nov 25, 2026</td></tr>" in html
    assert "<tr><th>Valid until</th><td>Dec 31, 2026</td></tr>" in html


@pytest.mark.parametrize(
    "config,close,as_of",
    [(GERMAN, "19.12.2026", "28.11.2026"), (DEFAULT_CONFIG, "Dec 19, 2026", "Nov 28, 2026")],
)
def test_site_pages_write_one_format_and_iso_for_machines(
    make_repo, run, tmp_path, config, close, as_of
):
    root = make_repo({"opportunities/acme-scanners.md": DEAL}, config=config)
    out = tmp_path / "site"
    result = run(["build", "--root", str(root), "--today", TODAY, "--no-cache", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "opportunities" / "acme-scanners.html").read_text(encoding="utf-8")
    assert f'<span class="figure-value date">{close}</span>' in page
    assert f'<time datetime="2026-11-28">{as_of}</time>' in page
    assert (
        f'<time datetime="2026-11-24">{format_date(date(2026, 11, 24), "de_DE" if config is GERMAN else "en_US")}</time>'
        in page
    )
    listing = (out / "opportunities.html").read_text(encoding="utf-8")
    assert 'data-close="2026-12-19"' in listing
    assert (
        f'<td class="date" data-value="2026-12-19" data-label="Close date">{close}</td>' in listing
    )


def test_terminal_reports_in_the_locale_and_json_in_iso(make_repo, run):
    root = make_repo({"opportunities/acme-scanners.md": DEAL}, config=GERMAN)
    args = ["--root", str(root), "--today", TODAY]
    listed = run(["list", *args], env={"COLUMNS": "120"}).output
    assert "19.12.2026" in listed and "2026-12-19" not in listed
    shown = run(["show", "acme-scanners", *args], env={"COLUMNS": "120"}).output
    assert "Close date     19.12.2026 (in 21 days)" in shown
    assert "Follow-up      02.12.2026 (in 4 days)" in shown
    assert "Quote Q-7, dated 26.11.2026, valid until 31.12.2026" in shown
    assert "24.11.2026  call" in shown
    doc = json.loads(run(["list", *args, "--format", "json"]).output)
    assert doc["opportunities"][0]["close_date"] == "2026-12-19"
