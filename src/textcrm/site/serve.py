"""`textcrm serve`: build, serve on 127.0.0.1, watch the CRM folder and rebuild what changed.

The only importer of watchdog. The watcher is small: file events go into a queue, the main
thread waits until they have been quiet for a moment (debounce), then rebuilds once, in that
thread. The records live in the loader's `Workspace` and the pipeline's figures in a
`pipeline.Running`: when only opportunity files changed, the workspace is given their new bytes
(it re-parses them and re-checks them and the files that depend on them), the running figures
take each changed deal's old contribution out and put its new one in, and only the pages whose
inputs changed are rendered (the opportunity's own page first; the pages that sum up deals
only when a deal changed in more than its notes); any other change loads and rebuilds
everything (still skipping unchanged pages). A failed rebuild is reported (a bug with its
whole traceback) and the last good site stays served. Editors' swap and backup files are
ignored, and a save by rename counts as a change of the target file. Browsers reload by polling
a version number that only the serve mode's HTTP handler knows about: the built files never
carry the script. The server answers only requests whose Host header is 127.0.0.1 or
localhost, so a web page cannot read the site through DNS rebinding.
"""

from __future__ import annotations

import functools
import http.server
import queue
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from textcrm import layout
from textcrm.diagnostics import Diagnostic, sort_key
from textcrm.encode import terminal_text
from textcrm.errors import TextcrmError
from textcrm.loader import DiskReader, Workspace
from textcrm.model import Opportunity
from textcrm.pipeline import Running
from textcrm.plural import counted
from textcrm.repository import LoadResult
from textcrm.site import views
from textcrm.site.build import Builder, BuildResult
from textcrm.site.feeds import feed_paths
from textcrm.site.plan import history_digest, quotable

DEBOUNCE_SECONDS = 0.15
VERSION_PATH = "/__textcrm/version"
RELOAD_SCRIPT = (
    "<script>(function(){var v=null;function poll(){fetch('" + VERSION_PATH + "',"
    "{cache:'no-store'}).then(function(r){return r.text()}).then(function(t){"
    "if(v!==null&&t!==v){location.reload()}v=t}).catch(function(){}).then(function(){"
    "setTimeout(poll,1000)})}poll()})();</script>"
)
# The pages and data files that sum up every deal: rebuilt when a deal changes in what they
# show (pipeline.json stands for the calendar feeds too).
SUMMARY_PAGES = frozenset(
    {
        "index.html",
        "board.html",
        "opportunities.html",
        "accounts.html",
        "contacts.html",
        "competitors.html",
        "products.html",
        "process.html",
        "problems.html",
        "winloss.html",
        "pipeline.json",
    }
)
# What a change of a deal's fields (not only its notes) may change: the summary pages but the
# contacts list (it counts each contact's deals) and the problems page (problems and the
# titles of the deals they are on), which follow their own inputs.
FIGURE_PAGES = SUMMARY_PAGES - {"contacts.html", "problems.html"}
_EDITOR_SUFFIXES = (".swp", ".swo", ".swx", ".swpx", "~", ".tmp", ".bak", ".orig", ".part")


def relevant(relpath: str, output: str | None = None) -> bool:
    """Whether a changed path (relative to the root) can change the site.

    Record files, textcrm.yaml, products.yaml and templates/ count; editors' swap, backup and
    temporary files, hidden files, git's folder, the caches and the output folder do not.
    """
    parts = relpath.split("/")
    name = parts[-1]
    if (
        not name
        or name.startswith((".", "#"))
        or name.endswith(_EDITOR_SUFFIXES)
        or name == "4913"  # vim's probe file
        or parts[0] in {".git", layout.CACHE_DIR}
        or (output is not None and parts[0] == output)
    ):
        return False
    return layout.classify(relpath) is not None or parts[0] == "templates"


@dataclass
class Round:
    """What one rebuild did: its result, how long it took, how long until the first page."""

    result: BuildResult | None
    seconds: float
    first_page_seconds: float | None = None
    incremental: bool = False
    error: str = ""
    changed: tuple[str, ...] = field(default_factory=tuple)


class Session:
    """The state kept between rebuilds: the loader's workspace (the records as last read,
    with their diagnostics), the pipeline's running figures, and the builder."""

    def __init__(
        self,
        root: Path,
        out: Path,
        today: date,
        use_cache: bool = True,
        jobs: int | None = None,
        settled: Callable[[], None] | None = None,
    ) -> None:
        self.root = root
        # Called after each full round: the entry point's settling of the heap, which later
        # rounds then leave alone (`entry.settle_heap`).
        self.settled = settled
        self.out = out
        self.today = today
        self.use_cache = use_cache
        self.jobs = jobs
        self.builder = Builder(root, out, use_cache, jobs)
        self.workspace: Workspace | None = None
        self.problems: dict[str, list[Diagnostic]] = {}
        self.version = 0
        # The pipeline's figures over every deal, updated from each changed deal's old and
        # new figures; built again with the workspace, or when git history changes.
        self.running: Running | None = None
        self.history: Any = None  # the history sections' data the figures were made with
        self.history_digest = ""
        self.quotes: frozenset[str] = frozenset()  # the deals whose quote page exists

    def result(self) -> LoadResult:
        """The workspace's records and diagnostics as a load would give them."""
        assert self.workspace is not None
        found = sorted((d for ds in self.problems.values() for d in ds), key=sort_key)
        checked = dict.fromkeys(("opportunities", "accounts", "contacts", "competitors"), 0)
        for kind, ids in self.workspace.repository.ids.items():
            if kind in layout.KIND_FOLDER:
                checked[layout.KIND_FOLDER[kind]] = len(ids)
        checked["products"] = len(self.workspace.repository.product_list)
        return LoadResult(self.workspace.repository, found, checked)

    def context(self, result: LoadResult) -> views.Context:
        """The views' context of this round, with the running figures (made again when git
        history changed: a deal's creation date may come from it)."""
        repo = result.repository
        history = self.builder.history(self.today)
        digest = "" if history is None else history_digest(history)
        if self.running is None or digest != self.history_digest:
            created = (
                None if history is None else {k: h.created for k, h in history.histories.items()}
            )
            self.running = Running(repo, self.today, created)
            self.history_digest = digest
        self.history = history
        items = self.running.attention()
        return views.Context(repo, self.today, result.diagnostics, items, history, self.running)

    def full(self) -> Round:
        """Load everything and build every page (unchanged pages are skipped)."""
        start = time.perf_counter()
        try:
            self.workspace = Workspace(self.root, self.today, use_cache=self.use_cache)
            self.problems = self.workspace.diagnostics()
            self.running = None
            result = self.result()
            ctx = self.context(result)
            self.quotes = frozenset(quotable(ctx))
            built = self.builder.build(result, self.today, ctx=ctx)
        except TextcrmError as exc:
            self.workspace = None  # the next change loads everything again
            return Round(None, time.perf_counter() - start, error=exc.message)
        self.version += 1
        done = Round(built, time.perf_counter() - start)
        if self.settled is not None:
            self.settled()
        return done

    def apply(self, changed: set[str]) -> Round:
        """Rebuild after `changed` paths changed: incrementally when only opportunities did.

        Anything that fails is reported (a bug with its whole traceback) and the last good
        site stays served."""
        start = time.perf_counter()
        try:
            done = self._apply(changed, start)
        except Exception as exc:  # survive anything: report it, keep the last good site
            self.workspace = None  # the next change rebuilds from scratch
            # The user's problem is one line; a bug keeps its whole traceback, for a report.
            if isinstance(exc, TextcrmError):
                lines = traceback.format_exception_only(type(exc), exc)
            else:
                lines = traceback.format_exception(exc)
            done = Round(None, time.perf_counter() - start, error="".join(lines).strip())
        done.changed = tuple(sorted(changed))
        return done

    def _apply(self, changed: set[str], start: float) -> Round:
        kinds = {layout.classify(p) for p in changed}
        only_opportunities = all(k is not None and k[0] == "opportunity" for k in kinds)
        if self.workspace is None or self.running is None or not only_opportunities:
            if any(p.startswith("templates/") for p in changed):
                self.builder = Builder(self.root, self.out, self.use_cache, self.jobs)
            return self.full()
        feeds = set(feed_paths(self.workspace.repository).values())
        found = self._replace(self.workspace, self.running, changed)
        if found is None:  # a file the loader cannot read as it stands: load everything
            return self.full()
        pages, first, gone, digest = found
        gone |= feeds - set(feed_paths(self.workspace.repository).values())  # an owner left
        result = self.result()
        ctx = self.context(result)
        if self.history_digest != digest:
            # A commit since the last round: git history shows on every page (timelines,
            # stage times), so every page is decided by its inputs, as a second build does.
            self.builder.remove(gone)
            built = self.builder.build(result, self.today, first=first, ctx=ctx)
            self.quotes = frozenset(quotable(ctx))
            return self._incremental(built, start)
        quotes = frozenset(quotable(ctx))
        for opp_id in quotes ^ self.quotes:  # a quote page comes or goes with its deal's problems
            pages.add(views.page_path("opportunity", opp_id))
            (pages if opp_id in quotes else gone).add(views.page_path("quote", opp_id))
        self.quotes = quotes
        pages -= gone
        self.builder.remove(gone)
        built = self.builder.build(result, self.today, only=pages, first=first, ctx=ctx)
        return self._incremental(built, start)

    def _incremental(self, built: BuildResult, start: float) -> Round:
        """The Round of an incremental rebuild started at `start` (perf_counter)."""
        self.version += 1
        first_at = built.first_done_at
        return Round(
            built,
            time.perf_counter() - start,
            None if first_at is None else first_at - start,
            True,
        )

    def _replace(
        self, workspace: Workspace, running: Running, changed: set[str]
    ) -> tuple[set[str], set[str], set[str], str] | None:
        """Give the workspace the changed opportunity files' new bytes (a deleted file: none),
        keep the new diagnostics and update the running figures. Returns the pages to rebuild,
        the pages to write first, the pages to delete and the history digest the figures had;
        None when a file cannot be read (the loader then says why).

        The summary pages (dashboard, board, lists, data files) are rebuilt only when a deal
        changed in what they show (anything but its notes) or the problems changed; the page
        of a deal whose file no longer parses stays as it was until it parses again (a
        half-saved file does not take the page away); its error is on the problems page."""
        reader = DiskReader(self.root)
        pages: set[str] = set()
        first: set[str] = set()
        gone: set[str] = set()
        summary: set[str] = set()
        for rel in sorted(changed):
            opp_id = layout.classify(rel)[1]  # type: ignore[index]
            data: bytes | None = None
            if (self.root / rel).exists():
                read = reader.read(rel)
                if isinstance(read, Diagnostic):
                    return None
                data = read
            before_repo = workspace.repository
            before = before_repo.opportunities.get(opp_id)
            had_problems = bool(self.problems.get(rel))
            found = workspace.replace(rel, data)
            for path, problems in found.items():
                if self.problems.get(path, []) != problems:
                    summary |= {"problems.html", "pipeline.json"}  # they list the problems
                    pages |= record_pages(path)
            self.problems.update(found)
            repo = workspace.repository
            repo.keep_figures(before_repo)
            after = repo.opportunities.get(opp_id)
            if after is None:
                running.remove(opp_id)
            else:
                running.add(repo, after)
            if data is None:
                gone |= {views.page_path("opportunity", opp_id), views.page_path("quote", opp_id)}
            elif after is not None:
                first.add(views.page_path("opportunity", opp_id))
                pages |= {views.page_path("opportunity", opp_id), views.page_path("quote", opp_id)}
            if shown(before) == shown(after):
                continue  # its notes only: no other page shows them (the search index does)
            summary |= FIGURE_PAGES
            if named_contacts(before) != named_contacts(after):
                summary.add("contacts.html")  # it counts each contact's deals
            if had_problems or self.problems.get(rel):
                summary.add("problems.html")  # it links each problem to its deal, by title
            for opp in (before, after):
                if opp is None:
                    continue
                if opp.account:
                    pages.add(views.page_path("account", opp.account))
                pages |= {views.page_path("contact", c.contact) for c in opp.contacts if c.contact}
                pages |= {
                    views.page_path("competitor", c.competitor)
                    for c in opp.competitors
                    if c.competitor
                }
        pages |= summary
        for path in [p for p, found in self.problems.items() if not found]:
            del self.problems[path]
        return pages, first, gone, self.history_digest


def shown(opp: Opportunity | None) -> str:
    """Everything about a deal that a page other than its own may show: all its fields but
    its notes (the dashboard, lists, board, data files and its account's page show its
    figures, dates, stage, people and activities, never its notes)."""
    if opp is None:
        return ""
    return repr([getattr(opp, f.name) for f in fields(opp) if f.name != "body"])


def named_contacts(opp: Opportunity | None) -> list[str]:
    """The contacts a deal names, in order: what the contacts list counts of it."""
    return [] if opp is None else [c.contact for c in opp.contacts if c.contact is not None]


def record_pages(path: str) -> set[str]:
    """The page of the record in `path` (its problems show there), if it is one."""
    kind = layout.classify(path)
    if kind is None or kind[0] not in ("opportunity", "account", "contact", "competitor"):
        return set()
    return {views.page_path(kind[0], kind[1])}


# --- HTTP ---------------------------------------------------------------------------


# The names this server answers to, with any port (a forwarded port keeps working). A page
# elsewhere that rebinds its own name to 127.0.0.1 still sends its own name: it gets a 400.
ALLOWED_HOST = re.compile(r"(?:127\.0\.0\.1|localhost)(?::[0-9]{1,5})?", re.IGNORECASE)


def host_allowed(values: list[str]) -> bool:
    """Whether a request's Host header values name this server (DNS rebinding defence)."""
    return len(values) == 1 and ALLOWED_HOST.fullmatch(values[0].strip()) is not None


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the output folder; adds the reload script to HTML answers (never to files).

    Every request, the reload endpoint's included, must name 127.0.0.1 or localhost in its
    Host header, or it is answered 400 without a look at the site."""

    session: Session

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        self.session = session
        super().__init__(*args, directory=str(session.out), **kwargs)

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if not host_allowed(self.headers.get_all("Host") or []):
            self.send_error(
                400, "Bad Host header", "textcrm serve answers only 127.0.0.1 and localhost"
            )
            return False
        return True

    def do_GET(self) -> None:
        if self.path.split("?")[0] == VERSION_PATH:
            body = str(self.session.version).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            body = path.read_bytes().replace(b"</body>", RELOAD_SCRIPT.encode() + b"</body>", 1)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are not worth a line each


def start_server(session: Session, port: int) -> http.server.ThreadingHTTPServer:
    """Serve the session's output folder on 127.0.0.1 (port 0: any free port)."""
    handler = functools.partial(Handler, session=session)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, name="textcrm-http", daemon=True).start()
    return server


# --- watching -----------------------------------------------------------------------


def watch(root: Path, output: str | None, events: queue.Queue[str]) -> Any:
    """Start a watchdog observer that puts relevant changed paths (relative) in `events`."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    resolved = root.resolve()

    class Changes(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                if not raw:
                    continue
                path = Path(raw if isinstance(raw, str) else raw.decode())
                try:
                    rel = path.resolve().relative_to(resolved).as_posix()
                except (ValueError, OSError):
                    continue
                if relevant(rel, output):
                    events.put(rel)

    observer = Observer()
    observer.schedule(Changes(), str(root), recursive=True)
    observer.start()
    return observer


def collect(
    events: queue.Queue[str], timeout: float, quiet: float = DEBOUNCE_SECONDS, limit: float = 2.0
) -> set[str]:
    """Wait up to `timeout` for a change, then gather more until `quiet` seconds pass without
    one (or `limit` seconds in all): one rebuild for a burst of saves."""
    try:
        changed = {events.get(timeout=timeout)}
    except queue.Empty:
        return set()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            changed.add(events.get(timeout=quiet))
        except queue.Empty:
            break
    return changed


def serve(
    root: Path,
    out: Path,
    today: date,
    port: int,
    use_cache: bool = True,
    jobs: int | None = None,
    echo: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    settled: Callable[[], None] | None = None,
) -> int:
    """Build, serve and rebuild on change until Ctrl-C (or `stop` is set).

    Ctrl-C stops cleanly at any moment, the first build and the start-up included.
    `settled` is called after each full round (the entry point settles the heap there).
    """
    server = None
    observer = None
    try:
        session = Session(root, out, today, use_cache, jobs, settled)
        first = session.full()
        echo(describe(first))
        if first.result is None:
            out.mkdir(parents=True, exist_ok=True)
        server = start_server(session, port)
        bound = server.server_address[1]
        events: queue.Queue[str] = queue.Queue()
        output = out.name if out.parent.resolve() == root.resolve() else None
        observer = watch(root, output, events)
        # Announced once the watcher runs, so no change made after this line is missed.
        echo(f"serving {out} at http://127.0.0.1:{bound}/ (Ctrl-C to stop)")
        while stop is None or not stop.is_set():
            changed = collect(events, timeout=0.5)
            if changed:
                echo(describe(session.apply(changed)))
    except KeyboardInterrupt:
        pass
    finally:
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)
        if server is not None:
            server.shutdown()
            server.server_close()
    echo("stopped")
    return 0


def describe(done: Round) -> str:
    """One line about a rebuild, for the terminal (file names with their control characters
    shown)."""
    what = terminal_text(", ".join(done.changed[:3]), lines=False) + (
        " ..." if len(done.changed) > 3 else ""
    )
    prefix = f"{what}: " if what else ""
    if done.result is None:
        error = terminal_text(done.error)
        return f"{prefix}build failed, still serving the last good site:\n{error}"
    r = done.result
    problems = f"{counted(r.errors, 'error')}, {counted(r.warnings, 'warning')}"
    return (
        f"{prefix}{'updated' if done.incremental else 'built'} {counted(r.rendered, 'page')} "
        f"in {done.seconds:.2f}s; {problems}"
    )
