"""The build: load, plan, render the changed pages, write the data files, remove stale ones.

A build loads the repository (or is given a LoadResult), builds one frozen view model per page
(`views`), and renders each page through Jinja2 (`render`), skipping pages whose digest is
unchanged (`pages`). Markdown is rendered once per distinct text and cached by content hash
(`markdown`). The output folder's safety rules and record are `output`'s.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from textcrm import pipeline
from textcrm.diagnostics import Diagnostic
from textcrm.errors import EnvironmentFailure, TextcrmError
from textcrm.layout import CACHE_DIR
from textcrm.repository import LoadResult, Repository
from textcrm.site import views
from textcrm.site.feeds import data_files, feed_paths
from textcrm.site.markdown import MarkdownCache
from textcrm.site.output import (
    Manifest,
    file_stamp,
    intact,
    output_dir,
    read_manifest,
    remove_stale,
    unlinked,
    write_if_changed,
    write_manifest,
    write_marker,
)
from textcrm.site.pages import Job, Renderer, produce_all
from textcrm.site.plan import named_digest, plan, quotable, site_info

ASSETS = (("style.css", "assets/style.css"), ("site.js", "assets/site.js"))
# The offline search's data, loaded by site.js when the search box is first used.
SEARCH_INDEX = "assets/search-index.js"


@dataclass
class BuildResult:
    """What a build did, and the problems of the repository it built."""

    out: Path
    pages: int = 0
    rendered: int = 0
    written: int = 0
    removed: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    first_done_at: float | None = None  # perf_counter() when the `first` pages were on disk

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors


class Builder:
    """Builds the site of one repository into one folder; keeps what the next build reuses."""

    def __init__(
        self,
        root: Path,
        out: Path,
        use_cache: bool = True,
        jobs: int | None = None,
        keep_events: bool = True,
    ) -> None:
        self.root = root
        self.out = out
        self.jobs = jobs
        self.use_cache = use_cache
        self.cache = MarkdownCache(root / CACHE_DIR if use_cache else None)
        self.renderer = Renderer(root, self.cache)
        found = read_manifest(out)
        self.trusted = found is not None  # else every page is rendered and nothing removed
        found = found or Manifest()
        self.manifest = found.pages
        self.files = found.files
        self._saved = (dict(self.manifest), dict(self.files))  # what the record holds
        # False once the CRM was found outside git: serve's rebuilds do not ask again.
        self.in_git = True
        # The calendar feeds' events of the last build, serialized (serve's rounds reuse them;
        # a one-shot build does not keep them).
        self.keep_events = keep_events
        self.events: dict[Any, bytes] = {}
        # The search index's entries of the last build, encoded (serve's rounds reuse them).
        self.search: dict[int, tuple[object, object, str]] = {}
        self.deals: dict[str, tuple[Any, ...]] = {}  # pipeline.json's deals, encoded

    def history(self, today: date) -> Any:
        """The history sections' data (`history.site_history`), or None. The build never
        fails because of history: without a usable git history the site has no such sections.
        """
        if not self.in_git:
            return None
        from textcrm import git, history

        top = git.toplevel(self.root)  # one git process tells a folder outside git
        if top is None:
            self.in_git = False
            return None
        try:
            return history.site_history(self.root, today, top, use_cache=self.use_cache)
        except (TextcrmError, OSError):
            # A git failure or an unreadable past is the repository's state, not a bug: the
            # pages build without the history sections. Anything else is a bug, and says so.
            return None

    def _write_manifest(self) -> None:
        write_marker(self.out, self.manifest)
        if self.trusted and self._saved == (self.manifest, self.files):
            return  # the signed record already says so
        write_manifest(self.out, Manifest(self.manifest, self.files))
        self._saved = (dict(self.manifest), dict(self.files))

    def build(
        self,
        result: LoadResult,
        today: date,
        only: set[str] | None = None,
        first: Iterable[str] = (),
        ctx: views.Context | None = None,
    ) -> BuildResult:
        """Build every page (or only the paths in `only`), skipping unchanged ones.

        `ctx`: the views' context when the caller has it (serve, with its running figures).

        Pages named in `first` are rendered and written before the others (serve writes the
        edited opportunity's page before the dashboards). When the system refuses a write
        (permission, a full disk), EnvironmentFailure says so; every page is whole.
        """
        try:
            return self._build(result, today, only, first, ctx)
        except OSError as exc:
            left = (
                "the build stopped there: each page in it is whole, either the previous "
                "build's or this one's; the records were not touched. Build again once fixed"
                if self.out.is_dir()
                else "nothing was written"
            )
            raise EnvironmentFailure(f"cannot write the site into {self.out}", exc, left) from None

    def _build(
        self,
        result: LoadResult,
        today: date,
        only: set[str] | None,
        first: Iterable[str],
        ctx: views.Context | None = None,
    ) -> BuildResult:
        self.out.mkdir(parents=True, exist_ok=True)
        if not self.trusted:  # ours from now on, even if this build stops half-way
            self._write_manifest()
            self.trusted = True
        self.files = unlinked(self.out, self.files)
        repo = result.repository
        if ctx is None:
            items = pipeline.attention(repo, today)
            ctx = views.Context(repo, today, result.diagnostics, items, self.history(today))
        site = site_info(repo, today)
        quotes = quotable(ctx)
        pages = plan(ctx, only, quotes, self.renderer)
        outcome = BuildResult(self.out, pages=len(pages), diagnostics=list(result.diagnostics))
        context = self._context(repo, today)
        todo = []
        for page in pages:
            # Pages with an inputs digest are decided here, without building their view.
            unchanged = (
                page.inputs is not None
                and self.manifest.get(page.path) == self.renderer.digest(page, site, context)
                and intact(self.out, page.path, self.files)
            )
            if not unchanged:
                todo.append(page)
        # pipeline.json and the calendar feeds show what the dashboard shows: in a full build
        # they change only when index.html does (whose inputs cover every record). A partial
        # build (serve's) decides the dashboard by its view, which leaves out fields the data
        # files have (an account): it writes them again. They are made while pages render.
        feeds = feed_paths(repo)
        stale_json = (
            only is not None
            or any(p.path == "index.html" for p in todo)
            or not all(
                intact(self.out, path, self.files) for path in ("pipeline.json", *feeds.values())
            )
        )
        wanted = (only is None or "pipeline.json" in only) and stale_json

        def write_data() -> list[tuple[str, bool]]:
            # Written as soon as made: their bytes are not kept while the pages render.
            if not wanted:
                return []
            serve = self.keep_events  # serve keeps the events and deals between rounds
            files = data_files(
                ctx, feeds, self.events if serve else None, self.deals if serve else None
            )
            return [
                (path, write_if_changed(self.out, path, files.pop(path))) for path in list(files)
            ]

        data: list[tuple[str, bool]] = []

        firsts = set(first)
        done = []
        for batch, alongside in (
            ([p for p in todo if p.path in firsts], None),
            ([p for p in todo if p.path not in firsts], write_data),
        ):
            job = Job(self.renderer, batch, site, self.out, context, self.manifest, self.files)
            produced, extra = produce_all(job, self.jobs, alongside)
            done += produced
            data = extra if extra is not None else data
            if firsts and outcome.first_done_at is None:
                outcome.first_done_at = time.perf_counter()
        for path, digest, written in done:
            self.manifest[path] = digest
            outcome.written += written
        outcome.rendered = len(done)
        produced_paths = {p.path for p in pages}
        # Files just written or compared; the other pages were found intact (stamps kept).
        checked = {path for path, _, _ in done}
        for name, path in ASSETS:
            outcome.written += write_if_changed(self.out, path, self.renderer.asset(name))
            produced_paths.add(path)
            checked.add(path)
        # The search index follows the records: rebuilt when a page was, or when it is gone.
        if done or not intact(self.out, SEARCH_INDEX, self.files):
            index = views.search_script(ctx, self.search)
            outcome.written += write_if_changed(self.out, SEARCH_INDEX, index)
            checked.add(SEARCH_INDEX)
        produced_paths.add(SEARCH_INDEX)
        for path, written in data:
            outcome.written += written
            checked.add(path)
        produced_paths.add("pipeline.json")
        produced_paths.update(feeds.values())
        for path in checked:
            stamp = file_stamp(self.out / path)
            if stamp is not None:
                self.files[path] = stamp
        if only is None:
            self.manifest = {k: v for k, v in self.manifest.items() if k in produced_paths}
            outcome.removed = remove_stale(self.out, self.files, produced_paths)
            self.files = {k: v for k, v in self.files.items() if k in produced_paths}
        self._write_manifest()
        self.cache.save(prune=only is None)
        return outcome

    def _context(self, repo: Repository, today: date) -> str:
        """What every page depends on besides its own inputs: today, config and catalog."""
        from textcrm.layout import CATALOG_FILE, CONFIG_FILE

        parts = [today.isoformat()]
        parts += [named_digest(repo.root, name) for name in (CONFIG_FILE, CATALOG_FILE)]
        company = repo.config.company
        if company is not None and company.logo:  # embedded in the quote pages
            parts.append(named_digest(repo.root, company.logo))
        return "\0".join(parts)

    def remove(self, paths: Iterable[str]) -> int:
        """Delete pages of records that no longer exist (serve, after a file was deleted):
        only pages this build wrote and nobody changed since."""
        gone = set(paths)
        removed = remove_stale(self.out, {k: v for k, v in self.files.items() if k in gone}, set())
        for rel in gone:
            self.manifest.pop(rel, None)
            self.files.pop(rel, None)
        return removed


def build(
    root: Path,
    today: date,
    out: Path | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
    force: bool = False,
) -> BuildResult:
    """Load the repository at `root` as of `today` and build its site into `out` (`force`:
    even when it is a non-empty folder that no build of this user made)."""
    from textcrm.loader import load

    target = output_dir(root, out, force)
    result = load(root, today, use_cache=use_cache)
    return Builder(root, target, use_cache, jobs, keep_events=False).build(result, today)
