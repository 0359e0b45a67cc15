"""Accessibility and layout of the built site in headless Chromium: axe-core and geometry.

axe-core (npm) is installed beside the venv by scripts/setup-test.sh (`.venv/axe/`), or
wherever TEXTCRM_AXE_CORE points; it is injected into the page over DevTools, never part of
the product. Every page type is checked at desktop (1366x900) and phone (390x844) width on
the bundled example and on a two-currency repository (EUR, with USD deals and `rates:`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLE, EXAMPLE_TODAY, git
from test_site_browser import CHROMIUM, Browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]

AXE = Path(
    os.environ.get("TEXTCRM_AXE_CORE")
    or Path(sys.prefix) / "axe" / "node_modules" / "axe-core" / "axe.min.js"
)
WIDTHS = {"desktop": (1366, 900, False), "phone": (390, 844, True)}
NARROWEST = {"narrowest": (360, 740, True)}  # layout only: tables and cards fit from here up
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# Best-practice rules held to as strictly as serious WCAG failures: every page has one main
# landmark, all its content inside landmarks, and a first-level heading.
STRUCTURE_RULES = ["region", "landmark-one-main", "page-has-heading-one", "heading-order"]

# One page of each kind the site builds (the example's names; the two-currency repository
# is a copy of it).
PAGE_TYPES = [
    "index.html",
    "board.html",
    "opportunities.html",
    "opportunities/acme-logistics-amr-fleet.html",
    "accounts.html",
    "accounts/acme-logistics.html",
    "contacts.html",
    "contacts/dana-whitfield.html",
    "competitors.html",
    "competitors/globex.html",
    "products.html",
    "process.html",
    "problems.html",
    "winloss.html",
    "quotes/acme-logistics-amr-fleet.html",
]

LONG_TITLE = (
    "Coastal Cold Chain - Northern Europe multi-site frozen goods automated mobile robot "
    "fleet expansion with WMS integration"
)
LONG_ID = "coastal-cold-chain-northern-europe-multi-site-frozen-goods-amr-fleet-expansion"
USD_DEAL = f"""\
---
title: {LONG_TITLE}
account: coastal-cold-chain
owner: carol
stage: negotiation
close_date: 2026-12-18
created: 2026-11-02
amount: 987654321098.76
currency: USD
next_step: Send the revised master services agreement
follow_up: 2026-12-01
activities:
  - {{date: 2026-11-26, type: call, summary: Agreed the rollout plan}}
---
Signed-off scope:

- [x] Site survey
- [ ] Legal review
"""


def _two_currency_repo(where: Path) -> Path:
    """A copy of the example reporting in EUR, with USD deals (one of 12 digits and a long
    title and id), `rates:`, and git history so that the last 7 days have changes in both."""
    root = where / "two-currency"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".textcrm-cache", "_site"))
    config = root / "textcrm.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("currency: USD\n", "currency: EUR\nrates: {USD: 0.92}\n", 1)
    config.write_text(text, encoding="utf-8")
    usd = root / "opportunities" / "acme-logistics-handheld-scanners.md"
    usd.write_text(
        usd.read_text(encoding="utf-8").replace(
            "amount: 38000\n", "amount: 38000\ncurrency: USD\n"
        ),
        encoding="utf-8",
    )
    dates = {"GIT_AUTHOR_DATE": "2026-11-10T12:00:00", "GIT_COMMITTER_DATE": "2026-11-10T12:00:00"}
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Pipeline", env=dates)
    (root / "opportunities" / f"{LONG_ID}.md").write_text(USD_DEAL, encoding="utf-8")
    usd.write_text(
        usd.read_text(encoding="utf-8").replace("amount: 38000\n", "amount: 52000\n"),
        encoding="utf-8",
    )
    freezer = root / "opportunities" / "coastal-cold-chain-freezer-amr.md"
    freezer.write_text(
        freezer.read_text(encoding="utf-8").replace("amount: 186000", "amount: 199000"),
        encoding="utf-8",
    )
    dates = {"GIT_AUTHOR_DATE": "2026-11-25T12:00:00", "GIT_COMMITTER_DATE": "2026-11-25T12:00:00"}
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Week's changes", env=dates)
    return root


def _build(root: Path, out: Path) -> Path:
    from click.testing import CliRunner

    from textcrm.cli import cli

    result = CliRunner().invoke(
        cli, ["build", "--root", str(root), "--today", EXAMPLE_TODAY, "-o", str(out), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    two = _two_currency_repo(tmp_path_factory.mktemp("two-currency-repo"))
    return {
        "example": _build(EXAMPLE, tmp_path_factory.mktemp("example-site")),
        "two-currency": _build(two, tmp_path_factory.mktemp("two-currency-site")),
    }


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed at {AXE} (run make setup-test)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


def _viewport(browser: Browser, width: str) -> None:
    w, h, mobile = {**WIDTHS, **NARROWEST}[width]
    browser.call(
        "Emulation.setDeviceMetricsOverride", width=w, height=h, deviceScaleFactor=1, mobile=mobile
    )


def _axe(browser: Browser, source: str) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the open page, and those of the
    structure rules, with their targets."""
    browser.call("Runtime.evaluate", expression=source)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    result = browser.call(
        "Runtime.evaluate",
        expression=f"axe.run(document, {json.dumps(options)})"
        ".then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical'"
        f" || {json.dumps(STRUCTURE_RULES)}.includes(v.id))"
        ".map(v => ({id: v.id, impact: v.impact,"
        " targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))",
        awaitPromise=True,
        returnByValue=True,
    )
    assert "exceptionDetails" not in result, result
    return result["result"]["value"]


# Every element that sticks out of the card, figure box or section around it, or out of
# the page; and every date whose text is laid out on more than one line.
GEOMETRY = r"""(() => {
  const out = [];
  const page = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > page + 1) {
    out.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + page);
  }
  const boxes = document.querySelectorAll(
    '.card, .figure, .summary > div, .deal, .column, main > section, .prose, .banner, .notice');
  for (const box of boxes) {
    const b = box.getBoundingClientRect();
    for (const el of box.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const hidden = el.closest('.visually-hidden, thead');
      if (hidden && getComputedStyle(hidden).clip !== 'auto') continue;  // read aloud only
      const style = getComputedStyle(el);
      if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && style.overflowX === 'visible'
          && el.tagName !== 'TABLE' && !el.closest('svg')) {
        out.push('text sticks out of ' + el.tagName + '.' + el.className + ' "'
          + el.textContent.trim().slice(0, 40) + '": ' + el.scrollWidth + ' > ' + el.clientWidth);
        break;
      }
      if (r.right > b.right + 1 || r.left < b.left - 1) {
        out.push('overflows ' + (box.id || box.className || box.tagName) + ': ' + el.tagName
          + '.' + el.className + ' "' + el.textContent.trim().slice(0, 40) + '" '
          + Math.round(r.left) + '..' + Math.round(r.right) + ' outside '
          + Math.round(b.left) + '..' + Math.round(b.right));
        break;
      }
    }
  }
  for (const el of document.querySelectorAll('time, .date')) {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (tops.size > 1) out.push('date on ' + tops.size + ' lines: ' + el.textContent.trim());
  }
  return out;
})()"""


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("site", ["example", "two-currency"])
def test_no_serious_axe_violations(browser, sites, axe_source, site, width):
    _viewport(browser, width)
    found: list[str] = []
    for page in PAGE_TYPES:
        path = sites[site] / page
        assert path.is_file(), page
        browser.open(path.as_uri())
        for v in _axe(browser, axe_source):
            found.append(f"{page}: {v['id']} ({v['impact']}) at {', '.join(v['targets'])}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("width", [*WIDTHS, *NARROWEST])
@pytest.mark.parametrize("site", ["example", "two-currency"])
def test_nothing_overflows_and_dates_stay_whole(browser, sites, site, width):
    _viewport(browser, width)
    found: list[str] = []
    for page in [*PAGE_TYPES, f"opportunities/{LONG_ID}.html"]:
        path = sites[site] / page
        if not path.is_file():  # the long deal is only in the two-currency repository
            assert site == "example", page
            continue
        browser.open(path.as_uri())
        found.extend(f"{page}: {p}" for p in browser.evaluate(GEOMETRY))
    assert not found, "\n".join(found)


def test_two_currencies_are_charted_apart_and_labelled(browser, sites):
    _viewport(browser, "desktop")
    browser.open((sites["two-currency"] / "index.html").as_uri())
    assert browser.problems() == []
    headings = browser.evaluate(
        "[...document.querySelectorAll('svg.chart')].map(svg => [svg.querySelector('title').id,"
        " svg.querySelector('text.heading')?.textContent])"
    )
    assert headings == [
        ["stage-chart-title", "≈ converted to EUR"],
        ["forecast-chart-title", "≈ converted to EUR"],
        ["waterfall-eur-title", "EUR"],
        ["waterfall-usd-title", "USD"],
    ]
    captions = browser.evaluate(
        "[...document.querySelectorAll('figcaption')].map(f => f.textContent.trim())"
    )
    note = "Amounts in other currencies converted to EUR at the rates in textcrm.yaml: "
    assert captions == [note + "1 USD = 0.92 EUR."] * 2


def _filter(browser: Browser, name: str, value: str) -> str:
    return browser.evaluate(f"""(() => {{
        const select = document.querySelector('[data-filter={name}]');
        select.value = {json.dumps(value)};
        select.dispatchEvent(new Event('change', {{bubbles: true}}));
        return document.getElementById('shown').textContent;
    }})()""")


def test_filtering_updates_the_open_total(browser, sites):
    _viewport(browser, "desktop")
    browser.open((sites["example"] / "opportunities.html").as_uri())
    assert browser.evaluate("document.getElementById('shown').textContent") == (
        "12 of 12 shown; open pipeline $1,292,805.91"
    )
    # Bob's three open deals: 181,176.00 + 207,651.98 + 38,000.00 (his won deal is shown,
    # not counted).
    assert _filter(browser, "owner", "bob") == "4 of 12 shown; open pipeline $426,827.98"
    browser.open((sites["two-currency"] / "opportunities.html").as_uri())
    # Carol (one of her five deals closed): EUR 31,500.00 + 107,048.00 + 14,400.00 = 152,948.00, and the 12-digit USD deal;
    # 987,654,321,098.76 x 0.92 = 908,641,975,410.86, + 152,948.00 = 908,642,128,358.86.
    assert _filter(browser, "owner", "carol") == (
        "5 of 13 shown; open pipeline €152,948.00 + $987,654,321,098.76 (≈ €908,642,128,358.86)"
    )
    assert browser.problems() == []
