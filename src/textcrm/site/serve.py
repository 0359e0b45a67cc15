"""`textcrm serve`: build, serve on 127.0.0.1, watch the CRM folder and rebuild what changed.

The only importer of watchdog. The watcher is small: file events go into a queue, the main
thread waits until they have been quiet for a moment (debounce), then rebuilds once, in that
thread. When only opportunity files changed, just those files are parsed again and only the
pages that show them are rendered (the opportunity's own page first); any other change
rebuilds everything (still skipping unchanged pages). A failed rebuild is reported and the
last good site stays served. Editors' swap and backup files are ignored, and a save by
rename counts as a change of the target file. Browsers reload by polling a version number
that only the serve mode's HTTP handler knows about: the built files never carry the script.
The server answers only requests whose Host header is 127.0.0.1 or localhost, so a web page
cannot read the site through DNS rebinding.
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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from textcrm import layout
from textcrm.diagnostics import Diagnostic
from textcrm.encode import terminal_text
from textcrm.errors import TextcrmError
from textcrm.plural import counted
from textcrm.repository import LoadResult, Repository
from textcrm.site.build import Builder, BuildResult

DEBOUNCE_SECONDS = 0.15
VERSION_PATH = "/__textcrm/version"
RELOAD_SCRIPT = (
    "<script>(function(){var v=null;function poll(){fetch('" + VERSION_PATH + "',"
    "{cache:'no-store'}).then(function(r){return r.text()}).then(function(t){"
    "if(v!==null&&t!==v){location.reload()}v=t}).catch(function(){}).then(function(){"
    "setTimeout(poll,1000)})}poll()})();</script>"
)
AGGREGATE_PAGES = frozenset(
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
        "pipeline.json",
    }
)
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
    """The state kept between rebuilds: the loaded repository and the builder."""

    def __init__(
        self, root: Path, out: Path, today: date, use_cache: bool = True, jobs: int | None = None
    ) -> None:
        self.root = root
        self.out = out
        self.today = today
        self.use_cache = use_cache
        self.jobs = jobs
        self.builder = Builder(root, out, use_cache, jobs)
        self.result: LoadResult | None = None
        self.version = 0

    def full(self) -> Round:
        """Load everything and build every page (unchanged pages are skipped)."""
        from textcrm.loader import load

        start = time.perf_counter()
        try:
            result = load(self.root, self.today, use_cache=self.use_cache)
            built = self.builder.build(result, self.today)
        except TextcrmError as exc:
            return Round(None, time.perf_counter() - start, error=exc.message)
        self.result = result
        self.version += 1
        return Round(built, time.perf_counter() - start)

    def apply(self, changed: set[str]) -> Round:
        """Rebuild after `changed` paths changed: incrementally when only opportunities did."""
        start = time.perf_counter()
        only_opportunities = all(
            layout.classify(p) is not None and layout.classify(p)[0] == "opportunity"  # type: ignore[index]
            for p in changed
        )
        if self.result is None or not only_opportunities:
            if any(p.startswith("templates/") for p in changed):
                self.builder = Builder(self.root, self.out, self.use_cache, self.jobs)
            done = self.full()
            done.changed = tuple(sorted(changed))
            return done
        try:
            result, pages, first, gone = self._reload(self.result, changed)
            self.builder.remove(gone)
            built = self.builder.build(result, self.today, only=pages, first=first)
        except Exception as exc:  # survive anything: report it, keep the last good site
            self.result = None  # the next change rebuilds from scratch
            # The user's problem is one line; a bug keeps its whole traceback, for a report.
            if isinstance(exc, TextcrmError):
                lines = traceback.format_exception_only(type(exc), exc)
            else:
                lines = traceback.format_exception(exc)
            return Round(
                None,
                time.perf_counter() - start,
                error="".join(lines).strip(),
                changed=tuple(sorted(changed)),
            )
        self.result = result
        self.version += 1
        first_at = built.first_done_at
        return Round(
            built,
            time.perf_counter() - start,
            None if first_at is None else first_at - start,
            True,
            changed=tuple(sorted(changed)),
        )

    def _reload(
        self, old: LoadResult, changed: set[str]
    ) -> tuple[LoadResult, set[str], set[str], set[str]]:
        """Parse the changed opportunity files again; keep the last good record of a file
        that does not parse now (its error is shown). Returns the new result, the pages to
        rebuild, the pages to write first and the pages to delete."""
        from textcrm import checks
        from textcrm.loader import DiskReader, apply_severities
        from textcrm.parse import parse_record
        from textcrm.views import page_path

        repo = old.repository
        opps = dict(repo.opportunities)
        figures = {
            k: v
            for k, v in repo._figures.items()
            if layout.record_path("opportunity", k) not in changed
        }
        ids = set(repo.ids.get("opportunity", frozenset()))
        diagnostics: list[Diagnostic] = [d for d in old.diagnostics if d.path not in changed]
        reader = DiskReader(self.root)
        pages: set[str] = set(AGGREGATE_PAGES)
        first: set[str] = set()
        gone: set[str] = set()
        touched = []
        for rel in sorted(changed):
            opp_id = layout.classify(rel)[1]  # type: ignore[index]
            if opp_id in opps:
                touched.append(opps[opp_id])
            if not (self.root / rel).exists():
                opps.pop(opp_id, None)
                ids.discard(opp_id)
                gone |= {page_path("opportunity", opp_id), page_path("quote", opp_id)}
                continue
            ids.add(opp_id)
            data = reader.read(rel)
            if isinstance(data, Diagnostic):
                diagnostics.append(data)
            else:
                record, found = parse_record("opportunity", rel, opp_id, data)
                diagnostics.extend(found)
                if record is not None:
                    opps[opp_id] = record
                    touched.append(record)
            if opp_id in opps:
                first.add(page_path("opportunity", opp_id))
                pages |= {page_path("opportunity", opp_id), page_path("quote", opp_id)}
        for opp in touched:
            if opp.account:
                pages.add(page_path("account", opp.account))
            pages |= {page_path("contact", c.contact) for c in opp.contacts if c.contact}
            pages |= {
                page_path("competitor", c.competitor) for c in opp.competitors if c.competitor
            }
        new = Repository(
            root=repo.root,
            config=repo.config,
            opportunities=opps,
            accounts=repo.accounts,
            contacts=repo.contacts,
            competitors=repo.competitors,
            products=repo.products,
            product_list=repo.product_list,
            ids={**repo.ids, "opportunity": frozenset(ids)},
            _figures=figures,
        )
        scoped = Repository(
            root=new.root,
            config=new.config,
            opportunities=opps,
            accounts=new.accounts,
            contacts=new.contacts,
            competitors=new.competitors,
            products=new.products,
            product_list=new.product_list,
            ids=new.ids,
            scope=frozenset(changed),
            _figures=figures,
        )
        diagnostics.extend(checks.run(scoped, self.today))
        diagnostics = sorted(
            apply_severities(diagnostics, repo.config.rules),
            key=lambda d: (d.path, d.line, d.column, d.code, d.message),
        )
        return LoadResult(new, diagnostics, old.checked), pages, first, gone


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
) -> int:
    """Build, serve and rebuild on change until Ctrl-C (or `stop` is set).

    Ctrl-C stops cleanly at any moment, the first build and the start-up included.
    """
    server = None
    observer = None
    try:
        session = Session(root, out, today, use_cache, jobs)
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
