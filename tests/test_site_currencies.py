"""Charts of a site in two currencies: never one scale for both unless converted, and say so."""

from __future__ import annotations

import re

import pytest

from conftest import DEFAULT_CONFIG

TODAY = "2026-11-28"
EUR_CONFIG = DEFAULT_CONFIG.replace("currency: USD\n", "currency: EUR\n")
DEALS = {
    "opportunities/eur.md": """\
---
title: Euro deal
account: acme-corp
owner: alice
stage: negotiation
close_date: 2026-12-10
amount: 20000
quote: {number: Q-1, date: 2026-11-20, valid_until: 2026-12-31}
activities:
  - {date: 2026-11-25, type: call, summary: Call}
---
""",
    "opportunities/usd.md": """\
---
title: Dollar deal
account: globex-inc
owner: bob
stage: prospecting
close_date: 2026-12-12
amount: 987654321098.76
currency: USD
activities:
  - {date: 2026-11-25, type: call, summary: Call}
---
""",
}


def _dashboard(make_repo, run, tmp_path, config: str) -> str:
    root = make_repo(DEALS, config=config)
    out = tmp_path / "site"
    result = run(["build", "--root", str(root), "--today", TODAY, "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    return (out / "index.html").read_text(encoding="utf-8")


def _values(html: str, chart: str) -> list[str]:
    """The amounts printed beside the bars of one chart, top to bottom."""
    svg = re.search(rf'<svg[^>]*aria-labelledby="{chart}-title.*?</svg>', html, re.S)
    assert svg is not None, chart
    return re.findall(r'class="value">([^<]*)<', svg[0])


def _headings(html: str) -> list[str]:
    return re.findall(r'<text x="0" y="15" class="heading">([^<]*)</text>', html)


def test_without_rates_each_currency_has_its_own_charts(make_repo, run, tmp_path):
    html = _dashboard(make_repo, run, tmp_path, EUR_CONFIG)
    ids = re.findall(r'<title id="([a-z-]+)-title">', html)
    assert ids == ["stage-chart-eur", "stage-chart-usd", "forecast-chart-eur", "forecast-chart-usd"]
    assert _headings(html) == ["EUR", "USD", "EUR", "USD"]
    # Each stage chart prints its own currency's amounts only, per open stage
    # (prospecting, qualification, proposal, negotiation).
    assert _values(html, "stage-chart-eur") == ["€0.00", "€0.00", "€0.00", "€20,000.00"]
    assert _values(html, "stage-chart-usd") == ["$987,654,321,098.76", "$0.00", "$0.00", "$0.00"]
    assert "<figcaption" not in html


def test_with_rates_one_chart_converted_and_captioned(make_repo, run, tmp_path):
    config = EUR_CONFIG.replace("currency: EUR\n", "currency: EUR\nrates: {USD: 0.5}\n")
    html = _dashboard(make_repo, run, tmp_path, config)
    ids = re.findall(r'<title id="([a-z-]+)-title">', html)
    assert ids == ["stage-chart", "forecast-chart"]
    assert _headings(html) == ["≈ converted to EUR", "≈ converted to EUR"]
    # 987,654,321,098.76 USD at 0.5 is 493,827,160,549.38 EUR.
    assert _values(html, "stage-chart") == [
        "≈ €493,827,160,549.38",
        "≈ €0.00",
        "≈ €0.00",
        "≈ €20,000.00",
    ]
    captions = re.findall(r'<figcaption class="muted small">([^<]*)</figcaption>', html)
    assert (
        captions
        == [
            "Amounts in other currencies converted to EUR at the rates in textcrm.yaml: "
            "1 USD = 0.5 EUR."
        ]
        * 2
    )


@pytest.mark.parametrize("config", [DEFAULT_CONFIG])
def test_one_currency_keeps_one_unheaded_chart(make_repo, run, tmp_path, config):
    root = make_repo({"opportunities/eur.md": DEALS["opportunities/eur.md"]}, config=config)
    out = tmp_path / "site"
    result = run(["build", "--root", str(root), "--today", TODAY, "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<title id="([a-z-]+)-title">', html) == ["stage-chart", "forecast-chart"]
    assert _headings(html) == []
