"""Take the screenshots of docs/site.md: the two-currency dashboard and a phone view.

Run from the checkout with the test venv (make setup-test):
    .venv/bin/python scripts/site-screenshots.py [docs/images]
It builds the two-currency repository of tests/test_site_a11y.py in a temporary folder and
drives headless Chromium over DevTools, as the browser tests do.
"""

from __future__ import annotations

import base64
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_site_a11y import _build, _two_currency_repo  # noqa: E402
from test_site_browser import Browser  # noqa: E402


def shoot(browser: Browser, url: str, width: int, height: int, mobile: bool, out: Path) -> None:
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=height,
        deviceScaleFactor=1,
        mobile=mobile,
    )
    browser.open(url)
    data = browser.call(
        "Page.captureScreenshot",
        format="png",
        clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    )["data"]
    out.write_bytes(base64.b64decode(data))
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")


def main() -> None:
    images = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        site = _build(_two_currency_repo(work), work / "site")
        (work / "profile").mkdir()
        browser = Browser(work / "profile")
        try:
            index = (site / "index.html").as_uri()
            shoot(browser, index, 1366, 1500, False, images / "site-two-currencies.png")
            deal = (site / "opportunities" / "acme-logistics-amr-fleet.html").as_uri()
            shoot(browser, deal, 390, 844, True, images / "site-phone.png")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
