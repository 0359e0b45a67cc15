"""`textcrm serve`: incremental rebuilds, tolerance to half-saved files, HTTP and live reload."""

from __future__ import annotations

import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from htmltree import parse
from textcrm.site.serve import VERSION_PATH, Session, relevant, serve, start_server

TODAY = date(2026, 11, 28)

FILES = {
    "opportunities/a.md": """\
---
title: Alpha scanners
account: acme-corp
owner: alice
stage: prospecting
close_date: 2026-12-10
amount: 10000
activities:
  - {date: 2026-11-25, type: call, summary: Intro call}
---
""",
    "opportunities/b.md": """\
---
title: Bravo service
account: globex-inc
owner: bob
stage: prospecting
close_date: 2026-12-12
amount: 2000
activities:
  - {date: 2026-11-26, type: call, summary: Intro call}
---
""",
}


def figures(site: Path) -> dict[str, str]:
    doc = parse((site / "index.html").read_text())
    return {
        li.find("span", class_="figure-label").text: li.find("span", class_="figure-value").text
        for li in doc.find_all("li", class_="figure")
    }


@pytest.fixture
def session(make_repo) -> Session:
    root = make_repo(FILES)
    s = Session(root, root / "_site", TODAY, use_cache=False)
    assert s.full().result is not None
    return s


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("opportunities/a.md", True),
        ("textcrm.yaml", True),
        ("products.yaml", True),
        ("templates/board.html", True),
        ("opportunities/.a.md.swp", False),
        ("opportunities/a.md~", False),
        ("opportunities/4913", False),
        ("opportunities/.#a.md", False),
        ("opportunities/a.md.tmp", False),
        ("_site/index.html", False),
        (".textcrm-cache/parse.pickle", False),
        (".git/index", False),
        ("notes.txt", False),
    ],
)
def test_relevant_paths(path, expected):
    assert relevant(path, "_site") is expected


def test_changed_opportunity_rerenders_only_its_pages(session):
    site = session.out
    untouched = site / "opportunities/b.html"
    before = untouched.stat().st_mtime_ns
    path = session.root / "opportunities/a.md"
    path.write_text(path.read_text().replace("amount: 10000", "amount: 12500"))
    done = session.apply({"opportunities/a.md"})
    assert done.incremental and done.error == ""
    assert done.first_page_seconds is not None
    assert figures(site)["Pipeline"] == "$14,500.00"
    page = parse((site / "opportunities/a.html").read_text())
    assert (
        page.find("div", class_="summary").find("span", class_="figure-value").text == "$12,500.00"
    )
    assert untouched.stat().st_mtime_ns == before
    # Planned: its page, its account's page and the eight pages that sum up deals' figures
    # (not the contacts list: it names the same contacts; nor the problems page: none).
    assert done.result.pages == 10


def test_a_notes_only_edit_leaves_the_summary_pages_and_data_files_alone(session):
    site = session.out
    summary = [
        "index.html",
        "board.html",
        "opportunities.html",
        "pipeline.json",
        "calendar/all.ics",
    ]
    summary += ["accounts/acme-corp.html"]
    before = {name: (site / name).stat().st_mtime_ns for name in summary}
    index = site / "assets/search-index.js"
    path = session.root / "opportunities/a.md"
    path.write_text(path.read_text() + "Met the *buyer* about zebras.\n")
    done = session.apply({"opportunities/a.md"})
    assert done.incremental and done.error == ""
    # Planned: the deal's page only (its notes show nowhere else but in the search).
    assert done.result.pages == 1
    assert "zebras" in (site / "opportunities/a.html").read_text()
    assert "zebras" in index.read_text()
    assert {name: (site / name).stat().st_mtime_ns for name in summary} == before
    # An edit of its figures plans the pages that sum them up again.
    path.write_text(path.read_text().replace("amount: 10000", "amount: 10500"))
    done = session.apply({"opportunities/a.md"})
    assert done.result.pages == 10
    assert figures(site)["Pipeline"] == "$12,500.00"


def test_half_saved_file_shows_the_error_and_keeps_the_rest(session):
    site = session.out
    path = session.root / "opportunities/a.md"
    good = path.read_text()
    path.write_text(good.replace("stage: prospecting", "stage: [prospecting"))
    done = session.apply({"opportunities/a.md"})
    assert done.result is not None and done.result.errors >= 1
    problems = parse((site / "problems.html").read_text()).by_id("problems").rows()
    assert [r[0] for r in problems] == ["opportunities/a.md"]
    # The figures are what `build` gives (the deal cannot be read); the deal's last good
    # page stays until its file parses again, and the rest is served.
    assert figures(site)["Pipeline"] == "$2,000.00"
    page = parse((site / "opportunities/a.html").read_text())
    assert page.find("div", class_="summary").find("span", class_="figure-value").text == (
        "$10,000.00"
    )
    path.write_text(good.replace("amount: 10000", "amount: 11000"))
    session.apply({"opportunities/a.md"})
    assert "No problems" in (site / "problems.html").read_text()
    assert figures(site)["Pipeline"] == "$13,000.00"
    page = parse((site / "opportunities/a.html").read_text())
    assert page.find("div", class_="summary").find("span", class_="figure-value").text == (
        "$11,000.00"
    )


def test_deleted_opportunity_page_is_removed(session):
    (session.root / "opportunities/b.md").unlink()
    done = session.apply({"opportunities/b.md"})
    assert done.error == ""
    assert not (session.out / "opportunities/b.html").exists()
    assert figures(session.out)["Open opportunities"] == "1"


def test_broken_config_keeps_the_last_good_site(session):
    config = session.root / "textcrm.yaml"
    good = config.read_text()
    config.write_text("stages: [\n")
    done = session.apply({"textcrm.yaml"})
    assert done.result is None and "textcrm.yaml" in done.error
    assert figures(session.out)["Pipeline"] == "$12,000.00"
    config.write_text(good.replace("probability: 10,", "probability: 50,"))
    done = session.apply({"textcrm.yaml"})
    assert done.error == ""
    assert figures(session.out)["Weighted pipeline"] == "$6,000.00"


def test_template_change_is_picked_up(session):
    (session.root / "templates").mkdir()
    (session.root / "templates/style.css").write_text("body { color: black; }\n")
    assert session.apply({"templates/style.css"}).error == ""
    assert (session.out / "assets/style.css").read_text() == "body { color: black; }\n"


def test_http_adds_the_reload_script_only_when_served(session):
    server = start_server(session, 0)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with urllib.request.urlopen(base + "/board.html") as response:
            served = response.read().decode()
        with urllib.request.urlopen(base + VERSION_PATH) as response:
            version = response.read().decode()
        with urllib.request.urlopen(base + "/assets/style.css") as response:
            assert response.status == 200
    finally:
        server.shutdown()
        server.server_close()
    assert VERSION_PATH in served
    assert version == str(session.version)
    assert VERSION_PATH not in (session.out / "board.html").read_text()


def test_serve_rebuilds_after_a_save_by_rename(make_repo):
    root = make_repo(FILES)
    stop = threading.Event()
    lines: list[str] = []
    thread = threading.Thread(
        target=serve,
        args=(root, root / "_site", TODAY, 0),
        kwargs={"use_cache": False, "echo": lines.append, "stop": stop},
        daemon=True,
    )
    thread.start()
    try:
        page = root / "_site/opportunities/a.html"
        deadline = time.monotonic() + 30
        while not any(line.startswith("serving") for line in lines):
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)
        # An editor's save: write a temporary file, then rename it over the original.
        source = root / "opportunities/a.md"
        tmp = root / "opportunities/.a.md.tmp"
        tmp.write_text(source.read_text().replace("Alpha scanners", "Alpha scanners v2"))
        tmp.replace(source)
        while "Alpha scanners v2" not in page.read_text():
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()
    assert lines[-1] == "stopped"
    assert any("opportunities/a.md: updated" in line for line in lines), lines


def test_ctrl_c_stops_serve_cleanly(make_repo):
    import os
    import signal
    import subprocess
    import sys

    root = make_repo(FILES)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "textcrm",
            "serve",
            "--root",
            str(root),
            "--port",
            "0",
            "--today",
            "2026-11-28",
            "--no-cache",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("built "), first
        serving = proc.stdout.readline()
        assert serving.startswith("serving "), serving
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, rest
    assert rest.strip().splitlines()[-1] == "stopped", rest
    assert "Traceback" not in rest, rest


def test_a_bug_in_a_rebuild_keeps_its_traceback_and_the_site(session, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the build")

    monkeypatch.setattr(session.builder, "build", broken)
    path = session.root / "opportunities/a.md"
    path.write_text(path.read_text().replace("amount: 10000", "amount: 12500"))
    done = session.apply({"opportunities/a.md"})
    assert done.result is None
    assert done.error.startswith("Traceback (most recent call last):")
    assert done.error.endswith("RuntimeError: a bug in the build")
    assert figures(session.out)["Pipeline"] == "$12,000.00"  # the last good site stays


def test_the_heap_is_settled_after_full_rounds_only(make_repo):
    root = make_repo(FILES)
    calls = []
    s = Session(root, root / "_site", TODAY, use_cache=False, settled=lambda: calls.append(1))
    assert s.full().result is not None
    path = root / "opportunities/a.md"
    path.write_text(path.read_text().replace("amount: 10000", "amount: 10100"))
    assert s.apply({"opportunities/a.md"}).incremental
    assert calls == [1]
    (root / "products.yaml").write_text((root / "products.yaml").read_text() + "\n")
    assert not s.apply({"products.yaml"}).incremental
    assert calls == [1, 1]


def test_pipeline_json_spliced_from_kept_entries_is_the_whole_document_encoded(session):
    import json

    from textcrm import jsonout

    path = session.root / "opportunities/a.md"
    path.write_text(path.read_text().replace("amount: 10000", "amount: 10250"))
    assert session.apply({"opportunities/a.md"}).incremental
    text = (session.out / "pipeline.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert [o["expected"] for o in doc["opportunities"]] == ["10250.00", "2000.00"]
    assert list(doc)[-2:] == ["opportunities", "problems"]
    assert jsonout.dumps(doc, compact=True) == text
