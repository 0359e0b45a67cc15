"""Pages rendered by short-lived forked workers (each given a short run of pages, the summaries'
views built by the main process) equal pages rendered in one process, byte for byte."""

from __future__ import annotations

import pickle
import shutil
from datetime import date
from pathlib import Path

import pytest

from conftest import EXAMPLE
from textcrm.layout import CACHE_DIR
from textcrm.loader import load
from textcrm.render import TemplateFailed
from textcrm.site import build, pages
from textcrm.site.build import Builder
from textcrm.site.markdown import MarkdownCache

TODAY = date(2026, 11, 28)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "crm"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".textcrm-cache", "_site"))
    return root


@pytest.fixture
def tiny_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers even for a small site, each given two pages: many workers, every kind of page
    (summaries included) rendered by one of them."""
    monkeypatch.setattr(pages, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(pages, "RUN_PAGES", 2)


def test_a_site_rendered_by_workers_equals_one_rendered_in_one_process(
    example: Path, tmp_path: Path, tiny_runs: None
) -> None:
    serial = build(example, TODAY, tmp_path / "serial", use_cache=False, jobs=1)
    parallel = build(example, TODAY, tmp_path / "parallel", use_cache=False, jobs=2)
    assert parallel.pages == serial.pages > 20
    assert parallel.rendered == serial.rendered == serial.pages
    assert parallel.written == serial.written
    got, expected = tree(tmp_path / "parallel"), tree(tmp_path / "serial")
    assert sorted(got) == sorted(expected)
    assert [rel for rel in expected if got[rel] != expected[rel]] == []
    assert (
        "pipeline.json" in got
        and "index.html" in got
        and "quotes" in {rel.partition("/")[0] for rel in got}
    )

    # Built again by workers, nothing changed: every page is decided up to date, none written.
    again = build(example, TODAY, tmp_path / "parallel", use_cache=False, jobs=2)
    assert (again.rendered, again.written) == (0, 0)
    assert tree(tmp_path / "parallel") == got

    # One deal edited: workers render its page and the summaries again, the same bytes as a
    # build in one process of the new state.
    deal = sorted((example / "opportunities").glob("*.md"))[0]
    deal.write_text(deal.read_text().replace("\n---\n", "\n---\nEdited.\n\n", 1))
    edited = build(example, TODAY, tmp_path / "parallel", use_cache=False, jobs=2)
    assert 0 < edited.rendered < edited.pages
    build(example, TODAY, tmp_path / "fresh", use_cache=False, jobs=1)
    assert tree(tmp_path / "parallel") == tree(tmp_path / "fresh")


def test_notes_rendered_by_workers_reach_the_markdown_cache(
    example: Path, tmp_path: Path, tiny_runs: None
) -> None:
    # The workers' Markdown is kept by the main process: its cache holds, after a build by
    # workers, what it holds after a build in one process, and saves it for the next build.
    loaded = load(example, TODAY, use_cache=False)
    in_one = Builder(example, tmp_path / "serial", use_cache=True, jobs=1)
    in_one.build(loaded, TODAY)
    (example / CACHE_DIR).rename(tmp_path / "serial-cache")
    cold = Builder(example, tmp_path / "cold", use_cache=True, jobs=2)
    cold.build(loaded, TODAY)
    assert len(cold.cache.entries) > 10
    assert cold.cache.entries == in_one.cache.entries
    assert cold.cache.used == in_one.cache.used == set(in_one.cache.entries)
    assert tree(tmp_path / "cold") == tree(tmp_path / "serial")

    # A second build by workers finds every note in the saved cache: the notes they found
    # are reported as used, so the saved cache keeps them all (none is pruned).
    warm = Builder(example, tmp_path / "warm", use_cache=True, jobs=2)
    assert warm.cache.entries == cold.cache.entries
    warm.build(loaded, TODAY)
    assert warm.cache.used == set(cold.cache.entries)
    assert MarkdownCache(example / CACHE_DIR).entries == cold.cache.entries
    assert tree(tmp_path / "warm") == tree(tmp_path / "serial")


def test_a_template_failing_in_a_worker_stops_the_build_with_its_message(
    example: Path, tmp_path: Path, tiny_runs: None
) -> None:
    broken = example / "templates" / "contact.html"
    broken.parent.mkdir(exist_ok=True)
    broken.write_text(
        '{% extends "base.html" %}{% block main %}{{ page.name.nope() }}{% endblock %}'
    )
    with pytest.raises(TemplateFailed) as in_one:
        build(example, TODAY, tmp_path / "serial", use_cache=False, jobs=1)
    with pytest.raises(TemplateFailed) as in_worker:
        build(example, TODAY, tmp_path / "parallel", use_cache=False, jobs=2)
    assert "templates/contact.html:1" in in_one.value.message
    assert in_worker.value.message == in_one.value.message


def test_a_worker_sends_back_only_what_the_main_process_keeps(
    example: Path, tmp_path: Path, tiny_runs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (path, digest, written) per page, and the notes only when there is a cache to keep them:
    # never the rendered pages.
    sent: list[bytes] = []
    real = pages._render_run

    def spy(job: pages.Job, run: list[int], ready: dict, conn: object) -> None:
        class Recorder:
            def send(self, message: object) -> None:
                data = pickle.dumps(message)
                sent.append(data)
                conn.send(message)  # type: ignore[attr-defined]

            def close(self) -> None:
                conn.close()  # type: ignore[attr-defined]

        real(job, run, ready, Recorder())
        path = tmp_path / f"sent-{run[0]}.pickle"
        path.write_bytes(b"".join(sent))

    monkeypatch.setattr(pages, "_render_run", spy)
    result = build(example, TODAY, tmp_path / "parallel", use_cache=False, jobs=2)
    messages = [pickle.loads(p.read_bytes()) for p in sorted(tmp_path.glob("sent-*.pickle"))]
    assert messages and all(status == "done" for status, _ in messages)
    produced = [row for _, (done, _notes, _used) in messages for row in done]
    assert len(produced) == result.rendered
    assert all(len(row) == 3 and len(row[1]) == 32 and row[2] is True for row in produced)
    assert all(notes == {} and used == set() for _, (_done, notes, used) in messages)
