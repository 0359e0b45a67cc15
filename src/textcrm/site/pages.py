"""Rendering pages: the Jinja2 renderer, each page's digest, and producing pages on forked workers.

A page is rendered only when its digest (templates + view model or inputs) differs from the
previous build's manifest or its file is missing, and written only when its bytes differ.
Many pages are rendered by forked processes, each given a short run of pages
(`produce_all` says why).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from textcrm.cache import code_fingerprint
from textcrm.site import views
from textcrm.site.markdown import MarkdownCache
from textcrm.site.output import check_folder, intact, write_if_changed
from textcrm.site.plan import Page

# Below this many pages to render, forking workers costs more than it saves.
PARALLEL_THRESHOLD = 400


def _root_prefix(path: str) -> str:
    return "../" * path.count("/")


class Renderer:
    """Renders pages with the Jinja2 environment and the Markdown cache."""

    def __init__(self, root: Path, cache: MarkdownCache) -> None:
        from textcrm import render

        self.root = root
        self.env = render.environment(root, notes=cache.html)
        self.cache = cache
        self.fingerprint = self._fingerprint()
        self._bases: dict[tuple[str, views.SiteInfo], Any] = {}

    def _fingerprint(self) -> str:
        """Changes when any template (shipped or overridden) or the rendering code changes."""
        h = hashlib.blake2b(code_fingerprint("site").encode(), digest_size=16)
        for name in sorted(self.env.list_templates()):
            source, filename, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
            h.update(f"\0{name}\0{filename}\0".encode())
            h.update(source.encode())
        return h.hexdigest()

    def digest(self, page: Page, site: views.SiteInfo, context: str, view: Any = None) -> str:
        """The page's digest: templates, the build's context (today, config, catalog), and
        the page's own inputs or else its whole view model."""
        base = self._bases.get((context, site))
        if base is None:  # the part every page of a build shares, hashed once
            base = hashlib.blake2b(self.fingerprint.encode(), digest_size=16)
            base.update(f"{context}\0{site!r}".encode())
            self._bases[(context, site)] = base
        h = base.copy()
        h.update(f"{page.path}\0{page.template}\0{page.title}\0{page.nav}\0".encode())
        h.update((page.inputs if page.inputs is not None else repr(view)).encode())
        return h.hexdigest()

    def page(self, page: Page, site: views.SiteInfo, view: Any) -> bytes:
        from textcrm import render

        if isinstance(view, str):  # a page rendered elsewhere (the quote pages)
            return view.encode("utf-8")
        context = {
            "site": site,
            "root": _root_prefix(page.path),
            "page": view,
            "title": page.title,
            "nav": page.nav,
            "path": page.path,
            "edits": views.page_edits(site, page.path),
        }
        html = render.render(self.env, page.template, context, self.root)
        return render.label_table_cells(html).encode("utf-8")

    def prepare(self, templates: set[str]) -> None:
        """Compile the templates and start the Markdown converter here, once, rather than in
        every worker (what a worker makes is its own, and gone when it exits)."""
        from textcrm import render

        for name in sorted(templates):
            self.env.get_template(name)
        render.section_html("Ready.")

    def asset(self, name: str) -> bytes:
        source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        return source.encode("utf-8")


@dataclass
class Job:
    """Pages to produce in one build, and what deciding and rendering them needs."""

    renderer: Renderer
    pages: Sequence[Page]
    site: views.SiteInfo
    out: Path
    context: str
    manifest: dict[str, str]
    files: dict[str, tuple[int, int]]
    checked: set[str] = field(default_factory=set)  # output folders already checked


def decide(job: Job, index: int) -> tuple[str, Any] | None:
    """Page `index`'s digest and view model, or None when its file is up to date (a page with
    an inputs digest is decided without building its view)."""
    page = job.pages[index]
    view = page.make() if page.inputs is None else None
    digest = job.renderer.digest(page, job.site, job.context, view)
    if job.manifest.get(page.path) == digest and intact(job.out, page.path, job.files):
        return None
    if view is None:
        view = page.make()
    return digest, view


def finish(job: Job, index: int, digest: str, view: Any) -> tuple[str, str, bool]:
    """Render a decided page and write it when its bytes changed: (path, digest, written)."""
    page = job.pages[index]
    html = job.renderer.page(page, job.site, view)
    written = write_if_changed(job.out, page.path, html, job.checked)
    return page.path, digest, written


def produce(job: Job, index: int) -> tuple[str, str, bool] | None:
    """Build page `index`'s view if needed, render it when its digest changed, write it when
    its bytes changed. Returns (path, digest, written), or None when it was up to date."""
    decided = decide(job, index)
    return None if decided is None else finish(job, index, *decided)


T = TypeVar("T")
Produced = list[tuple[str, str, bool]]


def reads_every_record(page: Page) -> bool:
    """The summaries at the top of the site (dashboard, lists, win/loss...) read every record;
    a record's own page, in its folder, reads that record and the few it links to."""
    return "/" not in page.path


def produce_all(
    job: Job, jobs: int | None = None, alongside: Callable[[], T] | None = None
) -> tuple[Produced, T | None]:
    """Produce every page of `job`; in forked worker processes when there are many. Returns
    what was produced and the result of `alongside` (the work of the build that is not pages:
    its data files).

    Memory decides how the work is shared. A forked worker shares the main process's memory
    only until it touches an object (its reference count is written), so a worker that reads
    every record ends up holding a copy of them all. Hence: the main process builds the views
    of the summaries and runs `alongside` (everything that reads every record) before any
    worker starts; then each worker renders one short run of pages, touching only those
    pages' records, sends back (path, digest, written) and exits, which returns its copies.
    """
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 4)
    count = len(job.pages)
    if count < PARALLEL_THRESHOLD or workers < 2 or not hasattr(os, "fork"):
        done = [r for i in range(count) if (r := produce(job, i)) is not None]
        return done, alongside() if alongside is not None else None
    # Folders first, so workers never race to create them.
    for folder in sorted({p.path.rpartition("/")[0] for p in job.pages}):
        check_folder(job.out, folder, job.checked)
    extra = alongside() if alongside is not None else None
    ready: dict[int, tuple[str, Any]] = {}
    todo = []
    for i, page in enumerate(job.pages):
        if not reads_every_record(page):
            todo.append(i)
        elif (decided := decide(job, i)) is not None:
            ready[i] = decided
            todo.append(i)
    job.renderer.prepare({job.pages[i].template for i in todo})
    # Runs short enough that a worker's copies stay small, long enough that starting it is
    # cheap (a fork costs milliseconds; a run of pages, seconds).
    step = min(RUN_PAGES, max(25, len(todo) // (workers * 8)))
    runs = [todo[i : i + step] for i in range(0, len(todo), step)]
    return _in_workers(job, runs, ready, workers), extra


# The most pages one worker renders before it exits (at about 4 ms a page, a few seconds).
RUN_PAGES = 1000


def _in_workers(
    job: Job, runs: list[list[int]], ready: dict[int, tuple[str, Any]], workers: int
) -> Produced:
    """Render each run of pages in its own forked process, `workers` at a time."""
    import multiprocessing
    from multiprocessing.connection import Connection, wait

    fork = multiprocessing.get_context("fork")
    keep_notes = job.renderer.cache.folder is not None  # else nobody saves them
    todo = list(reversed(runs))
    running: dict[Any, Any] = {}
    done: Produced = []
    try:
        while todo or running:
            while todo and len(running) < workers:
                run = todo.pop()
                reader, writer = fork.Pipe(duplex=False)
                mine = {i: ready[i] for i in run if i in ready}
                proc = fork.Process(target=_render_run, args=(job, run, mine, writer), daemon=True)
                proc.start()
                writer.close()
                for i in mine:  # the worker has its own copy now
                    del ready[i]
                del mine
                running[reader] = proc
            for finished in wait(list(running)):
                assert isinstance(finished, Connection)
                proc = running.pop(finished)
                try:
                    status, payload = finished.recv()
                except EOFError:
                    status, payload = "stopped", None
                finished.close()
                proc.join()
                if status == "error":
                    raise payload
                if status != "done":
                    raise RuntimeError(f"a page worker stopped (exit code {proc.exitcode})")
                produced, notes, used = payload
                done.extend(produced)
                if keep_notes:  # what the worker rendered, and what it found in the cache
                    job.renderer.cache.merge(notes)
                    job.renderer.cache.used.update(used)
    finally:
        for reader, proc in running.items():
            proc.terminate()
            proc.join()
            reader.close()
    return done


def _render_run(job: Job, run: list[int], ready: dict[int, tuple[str, Any]], conn: Any) -> None:
    """A worker's whole life: render its run of pages, send back what it did (and, for the
    Markdown cache, the notes it rendered into HTML and the keys of those it found there:
    the main process saves the cache and prunes what no page used), exit."""
    try:
        cache = job.renderer.cache
        cache.new, cache.used = {}, set()
        done = []
        for i in run:
            decided = ready[i] if i in ready else decide(job, i)
            if decided is not None:
                done.append(finish(job, i, *decided))
        kept = (cache.new, cache.used) if cache.folder is not None else ({}, set())
        conn.send(("done", (done, *kept)))
    except BaseException as exc:  # the main process raises it (or says the worker stopped)
        try:
            conn.send(("error", exc))
        except Exception:
            import traceback

            conn.send(("error", RuntimeError("".join(traceback.format_exception(exc)))))
    finally:
        conn.close()
