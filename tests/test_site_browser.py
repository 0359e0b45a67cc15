"""End to end: the built example site in headless Chromium, from file://, over DevTools.

Chromium is Debian's `chromium` (scripts/setup-test.sh installs it); the test talks to it
through the DevTools protocol with websocket-client and skips when either is missing.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import ARTIFACTS, EXAMPLE, EXAMPLE_TODAY

websocket = pytest.importorskip("websocket", reason="websocket-client is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "about:blank",
]


class Browser:
    """One headless Chromium page driven over the DevTools protocol."""

    def __init__(self, profile: Path) -> None:
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS[:-1], f"--user-data-dir={profile}", FLAGS[-1]],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
            targets = json.load(response)
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str) -> None:
        while not any(e.get("method") == event for e in self.events):
            self.events.append(json.loads(self.ws.recv()))

    def open(self, url: str) -> None:
        self.events = []
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, failed requests, requests to other hosts."""
        found = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append(f"console: {params['args']}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"log: {params['entry']['text']}")
            elif method == "Network.loadingFailed":
                found.append(f"failed request: {params}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file://", "data:", "about:")):
                    found.append(f"request to another host: {url}")
        return found

    def screenshot(self, name: str) -> Path:
        height = self.evaluate("Math.ceil(document.documentElement.scrollHeight)")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=min(height, 2400),
            deviceScaleFactor=1,
            mobile=False,
        )
        data = self.call("Page.captureScreenshot", format="png")["data"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        path.write_bytes(base64.b64decode(data))
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        return path

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the browser may already be gone
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from textcrm.cli import cli

    out = tmp_path_factory.mktemp("example-site")
    result = CliRunner().invoke(
        cli,
        ["build", "--root", str(EXAMPLE), "--today", EXAMPLE_TODAY, "-o", str(out), "--no-cache"],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


def test_dashboard_has_charts_and_no_errors(browser, example_site):
    browser.open((example_site / "index.html").as_uri())
    assert browser.problems() == []
    # Stage and forecast charts; the example sits in textcrm's own git repository, so the
    # history section (one waterfall chart per currency) is there when that history is.
    charts = "document.querySelectorAll('svg.chart').length"
    history = "document.querySelectorAll('#changes svg.chart').length"
    assert browser.evaluate(f"{charts} - {history}") == 2
    assert browser.evaluate("document.querySelectorAll('svg.chart rect').length") > 8
    assert (
        browser.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 249)"
    )
    assert browser.screenshot("site-dashboard.png").stat().st_size > 10_000


def test_board_shows_a_column_per_open_stage(browser, example_site):
    browser.open((example_site / "board.html").as_uri())
    assert browser.problems() == []
    names = browser.evaluate(
        "[...document.querySelectorAll('.column h2')].map(h => h.firstChild.textContent.trim())"
    )
    assert names == ["Prospecting", "Qualification", "Proposal", "Negotiation"]
    assert browser.evaluate("document.querySelectorAll('.column .deal').length") == 9
    browser.screenshot("site-board.png")


def test_opportunities_filter_and_sort_script(browser, example_site):
    browser.open((example_site / "opportunities.html").as_uri())
    assert browser.problems() == []
    assert browser.evaluate("document.getElementById('filters').hidden") is False
    shown = browser.evaluate("""(() => {
        const select = document.querySelector('[data-filter=owner]');
        select.value = 'bob';
        select.dispatchEvent(new Event('change', {bubbles: true}));
        return [...document.querySelectorAll('#opportunities tbody tr')]
            .filter(r => !r.hidden).length;
    })()""")
    assert shown == 4
    first = browser.evaluate("""(() => {
        const th = document.querySelectorAll('#opportunities th[data-sort] button')[5];
        th.click(); th.click();
        return document.querySelector('#opportunities tbody tr th').textContent.trim();
    })()""")
    assert first.startswith("Acme Logistics - Reno AMR fleet")
    assert browser.problems() == []


def test_opportunity_page(browser, example_site):
    browser.open((example_site / "opportunities/acme-logistics-amr-fleet.html").as_uri())
    assert browser.problems() == []
    assert (
        browser.evaluate("document.querySelector('h1').textContent.trim()")
        == "Acme Logistics - Reno AMR fleet"
    )
    assert browser.evaluate("document.querySelectorAll('#line-items tbody tr').length") == 7
    browser.screenshot("site-opportunity.png")


def test_quote_page_is_self_contained(browser, example_site):
    browser.open((example_site / "opportunities/acme-logistics-amr-fleet.html").as_uri())
    href = browser.evaluate("document.querySelector('a[href*=\"quotes/\"]').href")
    browser.open(href)
    assert browser.problems() == []
    assert "Q-2026-0038" in browser.evaluate("document.body.textContent")


def test_win_loss_page_tables_fit_their_cards(browser, example_site):
    browser.open((example_site / "winloss.html").as_uri())
    assert browser.problems() == []
    tables = browser.evaluate("document.querySelectorAll('table[id^=winloss-]').length")
    assert tables == 4
    # No table sticks out of its card at desktop width (the cards scroll otherwise).
    overflowing = browser.evaluate("""[...document.querySelectorAll('section.card')]
        .filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.id)""")
    assert overflowing == []
    assert browser.screenshot("site-winloss.png").stat().st_size > 10_000
