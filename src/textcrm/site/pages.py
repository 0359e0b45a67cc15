"""Rendering pages: the Jinja2 renderer, each page's digest, and producing pages on forked workers.

A page is rendered only when its digest (templates + view model or inputs) differs from the
previous build's manifest or its file is missing, and written only when its bytes differ.
Many pages are rendered by a pool of forked processes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
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


def produce(job: Job, index: int) -> tuple[str, str, bool] | None:
    """Build page `index`'s view if needed, render it when its digest changed, write it when
    its bytes changed. Returns (path, digest, written), or None when it was up to date."""
    page = job.pages[index]
    view = page.make() if page.inputs is None else None
    digest = job.renderer.digest(page, job.site, job.context, view)
    if job.manifest.get(page.path) == digest and intact(job.out, page.path, job.files):
        return None
    if view is None:
        view = page.make()
    html = job.renderer.page(page, job.site, view)
    written = write_if_changed(job.out, page.path, html, job.checked)
    return page.path, digest, written


T = TypeVar("T")

# Worker state, set once per forked worker by `_init_worker` (never in the parent).
_WORKER: dict[str, Job] = {}


def _init_worker(job: Job) -> None:
    _WORKER["job"] = job
    job.renderer.cache.new = {}


def _produce_range(span: tuple[int, int]) -> tuple[list[tuple[str, str, bool]], dict[str, str]]:
    job = _WORKER["job"]
    done = [r for i in range(*span) if (r := produce(job, i)) is not None]
    new, job.renderer.cache.new = job.renderer.cache.new, {}
    return done, new


def produce_all(
    job: Job, jobs: int | None = None, alongside: Callable[[], T] | None = None
) -> tuple[list[tuple[str, str, bool]], T | None]:
    """Produce every page of `job`; in forked worker processes when there are many. Returns
    what was produced and the result of `alongside`, which the main process runs while the
    workers render (the work of the build that is not pages: its data files)."""
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 4)
    count = len(job.pages)
    if count < PARALLEL_THRESHOLD or workers < 2 or not hasattr(os, "fork"):
        done = [r for i in range(count) if (r := produce(job, i)) is not None]
        return done, alongside() if alongside is not None else None
    import multiprocessing

    # Folders first, so workers never race to create them.
    for folder in sorted({p.path.rpartition("/")[0] for p in job.pages}):
        check_folder(job.out, folder, job.checked)
    step = max(25, count // (workers * 8))
    spans = [(i, min(i + step, count)) for i in range(0, count, step)]
    done = []
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=fork, initializer=_init_worker, initargs=(job,)
    ) as pool:
        results = pool.map(_produce_range, spans)  # every span is submitted now
        extra = alongside() if alongside is not None else None
        for produced, new in results:
            done.extend(produced)
            job.renderer.cache.merge(new)
    return done, extra
