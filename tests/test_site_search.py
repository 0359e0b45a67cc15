"""The site's offline search: its index (assets/search-index.js) and the box, in Chromium."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import EXAMPLE, EXAMPLE_TODAY, GOOD_OPPORTUNITY, TODAY


def index_of(site: Path) -> list[dict[str, str]]:
    text = (site / "assets" / "search-index.js").read_text(encoding="ascii")
    prefix = "window.TEXTCRM_SEARCH = "
    assert text.startswith(prefix) and text.endswith(";\n")
    return json.loads(text[len(prefix) : -2])


def build(run, root: Path, out: Path, *extra: str) -> None:
    result = run(["build", "--root", str(root), "--today", TODAY, "-o", str(out), *extra])
    assert result.exit_code == 0, result.output


def test_the_index_holds_every_record_page(make_repo, run, tmp_path) -> None:
    notes = "Walked the floor.\n<!-- template placeholder: not published -->\n" + "x" * 2000
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY.replace("Notes.\n", notes)})
    build(run, root, tmp_path / "site")
    index = index_of(tmp_path / "site")
    assert [(e["k"], e["h"]) for e in index] == [
        ("opportunity", "opportunities/acme.html"),
        ("account", "accounts/acme-corp.html"),
        ("account", "accounts/globex-inc.html"),
        ("contact", "contacts/jane-doe.html"),
        ("contact", "contacts/john-roe.html"),
        ("competitor", "competitors/initech.html"),
    ]
    deal = index[0]
    assert deal["t"] == "Acme Corp - warehouse scanners"
    assert deal["d"] == "Acme Corp · Prospecting · alice"
    assert "Walked the floor." in deal["s"]
    assert "placeholder" not in deal["s"]  # an HTML comment is not published, nor searched
    assert len(deal["s"]) < 1000 + 100  # notes count up to 1,000 characters
    assert index[3]["d"] == "Acme Corp"


def test_hostile_text_cannot_end_the_script(make_repo, run, tmp_path) -> None:
    title = 'Deal </script><script>alert(1)</script> "quoted"'
    text = GOOD_OPPORTUNITY.replace("title: Acme Corp - warehouse scanners", f"title: '{title}'")
    root = make_repo({"opportunities/acme.md": text.replace("Notes.", "Line\u2028separator")})
    build(run, root, tmp_path / "site")
    raw = (tmp_path / "site" / "assets" / "search-index.js").read_bytes()
    assert b"<" not in raw and b"\xe2\x80\xa8" not in raw
    assert index_of(tmp_path / "site")[0]["t"] == title


def test_the_index_follows_an_edit_in_an_incremental_build(make_repo, run, tmp_path) -> None:
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    build(run, root, tmp_path / "site")
    contact = root / "contacts/jane-doe.md"
    contact.write_text(contact.read_text().replace("Jane Doe", "Jane Dough"))
    build(run, root, tmp_path / "site")
    build(run, root, tmp_path / "fresh", "--no-cache")
    assert index_of(tmp_path / "site") == index_of(tmp_path / "fresh")
    contacts = [e["t"] for e in index_of(tmp_path / "site") if e["k"] == "contact"]
    assert contacts == ["Jane Dough", "John Roe"]


@pytest.mark.browser
def test_the_search_box_finds_notes_offline(tmp_path) -> None:
    browser_module = pytest.importorskip("test_site_browser")
    if browser_module.CHROMIUM is None:
        pytest.skip("chromium is not installed")
    from click.testing import CliRunner

    from textcrm.cli import cli

    out = tmp_path / "site"
    result = CliRunner().invoke(
        cli, ["build", "--root", str(EXAMPLE), "--today", EXAMPLE_TODAY, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    browser = browser_module.Browser(tmp_path / "profile")
    try:
        browser.open((out / "board.html").as_uri())
        assert browser.evaluate("document.querySelector('form.search').hidden") is False
        # A word from one deal's notes, typed as a person would.
        browser.evaluate(
            "var q = document.getElementById('search-q'); q.focus(); q.value = 'payback model';"
            "q.dispatchEvent(new Event('input'));"
        )
        deadline = time.monotonic() + 20
        links: list[list[str]] = []
        while time.monotonic() < deadline and not links:
            links = browser.evaluate(
                "Array.from(document.querySelectorAll('#search-results a'))"
                ".map(a => [a.textContent, a.getAttribute('href')])"
            )
            time.sleep(0.1)
        assert links == [
            ["Acme Logistics - Reno AMR fleet", "opportunities/acme-logistics-amr-fleet.html"]
        ]
        assert browser.evaluate("document.getElementById('search-count').textContent") == "1 match"
        assert browser.problems() == []
    finally:
        browser.close()
