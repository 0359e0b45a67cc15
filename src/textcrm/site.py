"""The pipeline site: plan every page, render the changed ones, write them safely, remove stale.

A build loads the repository (or is given a LoadResult), builds one frozen view model per page
(`views`), and renders each page through Jinja2 (`render`). A page is rendered only when its
digest (templates + view model) differs from the previous build's manifest or its file is
missing, and written only when its bytes differ. Many pages are rendered by a pool of forked
processes. Markdown is rendered once per distinct text and cached by content hash.

Safety: the output folder is never the CRM root or one of its parents, and every write is
checked to land inside it. A non-empty folder is only reused (unless forced) when the user's
own record of an earlier build into it is found: a manifest kept in the user's cache folder and
signed with their key (`cache.sign`), never the folder's `.textcrm-site`, which anyone could
commit. It lists every file the build wrote with its size and modification time: a build
removes only those files, and only while unchanged, and skips a page only while its file is
still the one written (a file changed by anything else is rendered again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from textcrm import __version__, jsonout, layout, pipeline, schema, views
from textcrm.cache import code_fingerprint, read_signed, write_signed
from textcrm.diagnostics import Diagnostic
from textcrm.errors import EnvironmentFailure, TextcrmError
from textcrm.layout import CACHE_DIR
from textcrm.money import plain
from textcrm.repository import LoadResult, Repository

MARKER = ".textcrm-site"
DEFAULT_OUTPUT = "_site"
# Below this many pages to render, forking workers costs more than it saves.
PARALLEL_THRESHOLD = 400
ASSETS = (("style.css", "assets/style.css"), ("site.js", "assets/site.js"))
# The offline search's data, loaded by site.js when the search box is first used.
SEARCH_INDEX = "assets/search-index.js"


class UnsafeOutput(TextcrmError):
    """The output folder could overwrite something that is not a previous site."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Page:
    """One HTML page to produce: where, with which template, and how to get its view model.

    `inputs`, when given, stands for everything the page shows (the record file's content
    hash and the names it links to), so an unchanged page is skipped without building its
    view; otherwise the digest is taken over the view model itself.
    """

    path: str
    template: str
    title: str
    nav: str
    make: Callable[[], Any]
    inputs: str | None = None


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


# --- output folder safety -------------------------------------------------------------


def output_dir(root: Path, out: Path | None, force: bool = False) -> Path:
    """The output folder (default `_site/` under the root), checked to be safe to write.

    Refused: the CRM root itself or any folder containing it, and (unless `force`) an
    existing non-empty folder that holds no build of this user's (`read_manifest`).
    """
    target = (out if out is not None else root / DEFAULT_OUTPUT).absolute()
    resolved, root_resolved = target.resolve(), root.resolve()
    if root_resolved == resolved or root_resolved.is_relative_to(resolved):
        raise UnsafeOutput(
            f"output folder {target} is the CRM repository or contains it; "
            "choose a folder of its own, such as _site"
        )
    if resolved.exists() and not resolved.is_dir():
        raise UnsafeOutput(f"output {target} exists and is not a folder")
    if resolved.is_dir() and not force and read_manifest(resolved) is None:
        names = sorted(
            entry.name + ("/" if entry.is_dir(follow_symlinks=False) else "")
            for entry in os.scandir(resolved)
        )
        if names:
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            raise UnsafeOutput(
                f"output folder {target} is not empty and was not made by `textcrm build` "
                f"for you (no record of an earlier build of yours into it; it holds {shown}); "
                "refusing to build into it: choose another folder, empty it, or pass --force "
                "(the build then writes its own files there, and removes nothing it did not "
                "write)"
            )
    return resolved


# --- the manifest: what a build wrote -------------------------------------------------


@dataclass
class Manifest:
    """What the build in a folder wrote: each page's render digest, and every file's size
    and modification time (ns) just after it was written or checked."""

    pages: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[int, int]] = field(default_factory=dict)


def _record_file(out: Path) -> Path:
    """Where the signed manifest of the build in `out` is kept: in the user's cache folder,
    not in `out`, so that the site stays byte-identical and a committed or copied folder
    carries no trust with it."""
    from textcrm.cache import user_cache_dir

    where = os.path.realpath(out).encode("utf-8", "surrogateescape")
    name = hashlib.blake2b(where, digest_size=12).hexdigest()
    return user_cache_dir() / "sites" / f"{name}.json"


def _signed_body(where: str, pages: Mapping[str, Any], files: Mapping[str, Any]) -> bytes:
    body = {"format": 1, "out": where, "files": files, "pages": pages}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def read_manifest(out: Path) -> Manifest | None:
    """The manifest of this user's last build into `out`, or None when there is none (the
    folder was made elsewhere, copied, or its `.textcrm-site` forged) or it fails its
    signature: then nothing in the folder is taken on trust."""
    import hmac

    from textcrm.cache import sign

    if not (out / MARKER).is_file():
        return None
    try:
        data = json.loads(_record_file(out).read_text(encoding="utf-8"))
    except (OSError, ValueError, RuntimeError):
        return None
    if not isinstance(data, dict):
        return None
    pages, files, signature = data.get("pages"), data.get("files"), data.get("signature")
    if not (isinstance(pages, dict) and isinstance(files, dict) and isinstance(signature, str)):
        return None
    expected = sign(_signed_body(os.path.realpath(out), pages, files))
    if expected is None or not hmac.compare_digest(signature, expected):
        return None
    try:
        return Manifest(
            {str(k): str(v) for k, v in pages.items()},
            {str(k): (int(v[0]), int(v[1])) for k, v in files.items()},
        )
    except (TypeError, ValueError, IndexError, KeyError):
        return None


def write_marker(out: Path, pages: Mapping[str, str]) -> bool:
    """Write `out/.textcrm-site`: what the build made (the same bytes for the same site),
    for people and tools; textcrm itself never trusts it."""
    doc = {
        "generator": f"textcrm {__version__}",
        "note": "made by `textcrm build`, which removes only the files it wrote here",
        "pages": dict(sorted(pages.items())),
    }
    # One line: Python's fast JSON encoder only runs without indentation.
    text = json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"
    return write_if_changed(out, MARKER, text.encode())


def write_manifest(out: Path, manifest: Manifest) -> None:
    """Write the signed record of every file the build in `out` wrote, kept in the user's
    cache folder (`read_manifest` reads it back)."""
    import tempfile

    from textcrm.cache import sign

    pages = dict(sorted(manifest.pages.items()))
    where = os.path.realpath(out)
    files = {k: list(v) for k, v in sorted(manifest.files.items())}
    signature = sign(_signed_body(where, pages, files))
    if signature is None:  # no key to sign with: the next build will not trust the folder
        return
    record = {"out": where, "pages": pages, "files": files, "signature": signature}
    try:
        target = _record_file(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(record, separators=(",", ":")))
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except (OSError, RuntimeError):
        pass  # no writable cache folder: the next build into `out` then needs --force


def _file_stamp(full: Path | str) -> tuple[int, int] | None:
    """(size, mtime_ns) of a regular file, not following a symlink; None otherwise."""
    try:
        st = os.lstat(full)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if stat.S_ISREG(st.st_mode) else None


def intact(out: Path, rel: str, files: Mapping[str, tuple[int, int]]) -> bool:
    """True when `out/rel` is still the file a build wrote: same size and modification time
    as its manifest records. (`unlinked` first drops files behind a symlinked folder.)"""
    want = files.get(rel)
    # os.path, not pathlib: this runs once per page of every build.
    return want is not None and _file_stamp(os.path.join(out, rel)) == want


def _through_symlink(out: Path, rel: str) -> bool:
    folder = rel.rpartition("/")[0]
    while folder:
        if os.path.islink(out / folder):
            return True
        folder = folder.rpartition("/")[0]
    return False


def unlinked(out: Path, files: Mapping[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """`files` without those whose folder in `out` was replaced by a symlink since (their
    stamps would be read elsewhere); each folder is looked at once."""
    folders = {rel.rpartition("/")[0] for rel in files}
    linked = {folder for folder in folders if folder and _through_symlink(out, folder + "/x")}
    if not linked:
        return dict(files)
    return {rel: v for rel, v in files.items() if rel.rpartition("/")[0] not in linked}


def _check_folder(out: Path, folder: str, checked: set[str] | None) -> None:
    """Create `out/folder` and check that it resolves inside `out` (once per build when the
    caller keeps a `checked` set). A folder that leads elsewhere (a symlink) is refused."""
    if checked is not None and folder in checked:
        return
    if ".." in Path(folder).parts or Path(folder).is_absolute():
        raise UnsafeOutput(f"refusing to write into {folder}: outside the output folder {out}")
    where = out / folder
    where.mkdir(parents=True, exist_ok=True)
    if not where.resolve().is_relative_to(out):
        raise UnsafeOutput(f"refusing to write into {folder}: it leads outside {out}")
    if checked is not None:
        checked.add(folder)


def write_if_changed(out: Path, rel: str, data: bytes, checked: set[str] | None = None) -> bool:
    """Write `data` to `out/rel` unless the file already holds exactly these bytes.

    An existing file is replaced atomically (a browser never sees half a page); a symlink
    in its place is replaced, never followed.
    """
    from textcrm.fsutil import replace_file

    folder = rel.rpartition("/")[0]
    _check_folder(out, folder, checked)
    full = out / rel
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        pass
    else:
        if stat.S_ISREG(st.st_mode) and st.st_size == len(data) and full.read_bytes() == data:
            return False
    # A new page too goes through a temporary file: a full disk never leaves half a page.
    replace_file(full, data)
    return True


def remove_stale(out: Path, files: Mapping[str, tuple[int, int]], keep: set[str]) -> int:
    """Delete the files an earlier build wrote (listed in `files`, its manifest, and unchanged
    since) that are not in `keep`, then the folders that leaves empty. Nothing else is
    touched: a CNAME, a .git/ folder, or a file someone edited stays."""
    removed = 0
    folders: set[Path] = set()
    for rel in sorted(set(files) - keep):
        parts = Path(rel).parts
        if rel == MARKER or ".." in parts or Path(rel).is_absolute():
            continue
        if intact(out, rel, files) and not _through_symlink(out, rel):
            (out / rel).unlink()
            removed += 1
            folders.update(p for p in (out / rel).parents if p != out and p.is_relative_to(out))
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty: something else lives there
            folder.rmdir()
    return removed


# --- markdown cache -------------------------------------------------------------------


class MarkdownCache:
    """Sanitized HTML of Markdown texts by content hash, kept signed (`cache.write_signed`).

    The HTML goes into pages as it is, so a cache file is only trusted when textcrm wrote it
    on this machine: one committed to the repository fails the signature and is ignored.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.name = f"markdown-{code_fingerprint('markdown')}.pickle"
        self.entries: dict[str, str] = {}
        self.new: dict[str, str] = {}
        self.used: set[str] = set()
        if folder is not None:
            data = read_signed(folder / self.name)
            if isinstance(data, dict):
                self.entries = data

    def html(self, text: str) -> str:
        from textcrm.render import markdown_to_html

        if not text.strip():
            return ""
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        self.used.add(key)
        got = self.entries.get(key)
        if got is None:
            # Table headers of a note get a scope (they head columns), like the site's own.
            got = _TH_TAG.sub('<th scope="col"', demote_headings(markdown_to_html(text)))
            self.entries[key] = got
            self.new[key] = got
        return got

    def merge(self, entries: dict[str, str]) -> None:
        self.entries.update(entries)
        self.used.update(entries)
        self.new.update(entries)

    def save(self, prune: bool) -> None:
        if self.folder is None or (not self.new and not prune):
            return
        keep = {k: v for k, v in self.entries.items() if not prune or k in self.used}
        if not self.new and len(keep) == len(self.entries):
            return
        # A read-only checkout still builds, only slower; the older JSON caches go too.
        write_signed(self.folder, self.name, keep, stale_glob="markdown-*")
        self.new = {}


_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")
_TH_TAG = re.compile(r"<th(?=[\s>])")


def demote_headings(html: str) -> str:
    """Shift a note's headings down so that its top level is h3, under the page's h1 and
    the section's h2, keeping the page's heading order. The input is sanitized HTML: a
    literal `<h1` in the text is escaped, so only real tags match."""
    levels = [int(m[2]) for m in _HEADING_TAG.finditer(html)]
    shift = 3 - min(levels) if levels else 0
    if shift <= 0:
        return html
    return _HEADING_TAG.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + shift, 6)}", html)


# --- the plan: every page and its view model ------------------------------------------


def _nav() -> tuple[views.NavItem, ...]:
    return tuple(
        views.NavItem(k, h, t)
        for k, h, t in (
            ("dashboard", "index.html", "Dashboard"),
            ("board", "board.html", "Board"),
            ("opportunities", "opportunities.html", "Opportunities"),
            ("accounts", "accounts.html", "Accounts"),
            ("contacts", "contacts.html", "Contacts"),
            ("competitors", "competitors.html", "Competitors"),
            ("winloss", "winloss.html", "Win/loss"),
            ("products", "products.html", "Products"),
            ("process", "process.html", "Process"),
            ("problems", "problems.html", "Problems"),
        )
    )


def site_info(repo: Repository, today: date) -> views.SiteInfo:
    config = repo.config
    name = str(config.site.get("title") or "") or (
        config.company.name if config.company else "Pipeline"
    )
    lang = config.locale.replace("_", "-").split("-")[0] or "en"
    if not config.edit_url:
        return views.SiteInfo(name, today, lang, _nav(), locale=config.locale)
    templates = {kind: new_record_text(repo, today, kind) for kind in layout.KIND_FOLDER}
    return views.SiteInfo(
        name,
        today,
        lang,
        _nav(),
        config.edit_url,
        views.new_links(config.edit_url, templates),
        config.locale,
    )


def new_record_text(repo: Repository, today: date, kind: str) -> str:
    """The new-record template (templates/new/KIND.md) with its values left blank, for the
    forge's new-file form; '' when the CRM's own template cannot be rendered."""
    from textcrm.render import TemplateFailed, override, packaged_templates, render_string

    stage = repo.config.open_stages[0].key if repo.config.open_stages else ""
    values = {"title": "", "name": "", "stage": stage, "created": today.isoformat()}
    name = f"new/{kind}.md"
    path = override(repo.root, name) or packaged_templates() / name
    if not path.is_file():
        return ""
    try:
        source = path.read_text(encoding="utf-8")
        context = {**_BLANK_TEMPLATE_VALUES, **values, "raw": dict(values), "id": ""}
        return render_string(source, context, f"templates/{name}")
    except (OSError, UnicodeDecodeError, TemplateFailed):
        return ""


_BLANK_TEMPLATE_VALUES = dict.fromkeys(
    sorted({key for keys in schema.NEW_RECORD_VALUES.values() for key in keys}), ""
)


def quotable(ctx: views.Context) -> dict[str, str]:
    """Opportunity id -> href of its quote page, for every opportunity whose quote can be
    printed: a quote: section, line items, a company in textcrm.yaml, and no error that would
    make the quote wrong in the files it prints from (the rules of `textcrm quote`)."""
    from textcrm import quote

    repo = ctx.repo
    if repo.config.company is None:
        return {}
    blocked = {
        path
        for path, found in ctx.by_path.items()
        if any(d.severity == "error" and d.code in quote.BLOCKING_RULES for d in found)
    }
    if blocked & {layout.CATALOG_FILE, layout.CONFIG_FILE}:
        return {}
    found = {}
    for opp in repo.opportunities.values():
        if opp.quote is None or not opp.line_items or opp.path in blocked:
            continue
        files = {layout.record_path("account", opp.account)}
        files |= {layout.record_path("contact", c.contact) for c in opp.contacts if c.contact}
        if not files & blocked:
            found[opp.id] = views.href("quote", opp.id)
    return found


def quote_page(renderer: Renderer, repo: Repository, opp: Any) -> str:
    """The opportunity's quote as one self-contained page (textcrm.quote's HTML: CSS inlined,
    logo embedded), rendered with the site's templates so an override applies to both."""
    from textcrm import quote
    from textcrm.render import TemplateFailed

    try:
        return quote.render_quote_html(quote.build_quote(repo, opp), renderer.env, renderer.root)
    except quote.QuoteTemplateError as exc:  # a broken override breaks the build, as others do
        raise TemplateFailed(exc.message) from None
    except quote.QuoteError as exc:
        return f'<!DOCTYPE html><html lang="en"><title>Quote</title><p>{_escape(exc.message)}'


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def source_digest(root: Path, relpath: str) -> str:
    """A hash of a record file's bytes (empty when it cannot be read). Records come from the
    loader, which read them inside the root: they are not resolved again, once per page."""
    try:
        data = (root / relpath).read_bytes()
    except OSError:
        return ""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def named_digest(root: Path, relpath: str) -> str:
    """`source_digest` of a file the repository names (config, catalog, logo): empty when the
    path leads outside the repository (`layout.resolve_inside`), which is never read."""
    try:
        layout.resolve_inside(root, relpath)
    except layout.OutsideRepository:
        return ""
    return source_digest(root, relpath)


def quote_inputs(ctx: views.Context, opp: Any) -> str:
    """A quote page's inputs: its opportunity's, and the files of the buyer and of the
    contacts it may address (their address, email, phone: the quote prints them). The
    company, logo and catalog are in every page's context."""
    repo = ctx.repo
    records = [("account", opp.account)] if opp.account else []
    records += [("contact", c.contact) for c in opp.contacts]
    tables: dict[str, Mapping[str, Any]] = {"account": repo.accounts, "contact": repo.contacts}
    found = []
    for kind, record_id in records:
        record = tables[kind].get(record_id)
        name = record.path if record is not None else layout.record_path(kind, record_id)
        found.append((name, source_digest(repo.root, name)))
    return "quote:" + opportunity_inputs(ctx, opp, "") + repr(found)


def opportunity_inputs(ctx: views.Context, opp: Any, quote_href: str) -> str:
    """Everything an opportunity page shows, in few bytes: its file's content hash, its
    problems, and the names of the records it links to (the rest comes from the config,
    catalog, templates and today, which are part of every page's digest)."""
    repo = ctx.repo
    refs = (
        ctx.record_link("account", opp.account) if opp.account else None,
        [
            (
                ctx.record_link("contact", c.contact),
                repo.contacts[c.contact].title if c.contact in repo.contacts else "",
            )
            for c in opp.contacts
        ],
        [ctx.record_link("contact", a.contact) for a in opp.activities if a.contact],
        [ctx.record_link("competitor", c.competitor) for c in opp.competitors],
        ctx.by_path.get(opp.path),
        quote_href,
    )
    found = source_digest(repo.root, opp.path) + repr(refs)
    if ctx.history is not None:  # its timeline changes with commits, not with its file
        found += repr(ctx.history.histories.get(opp.id))
    return found


def plan(
    ctx: views.Context,
    only: set[str] | None = None,
    quotes: dict[str, str] | None = None,
    renderer: Renderer | None = None,
) -> list[Page]:
    """Every page of the site, each with a builder of its view model (with `only`, just
    those paths). Opportunity pages carry their inputs digest."""
    repo = ctx.repo
    pages: list[Page] = []
    quotes = quotes or {}

    def add(
        path: str,
        template: str,
        title: str,
        nav: str,
        make: Callable[[], Any],
        inputs: Callable[[], str | None] | None = None,
    ) -> None:
        if only is None or path in only:
            pages.append(
                Page(path, template, title, nav, make, inputs() if inputs is not None else None)
            )

    # Inputs digests of the other pages: their own file, and the inputs of every
    # opportunity they list (an opportunity's inputs cover everything its row shows).
    opp_inputs: dict[str, str] = {}

    def of(opp_id: str) -> str:
        got = opp_inputs.get(opp_id)
        if got is None:
            got = opp_inputs[opp_id] = opportunity_inputs(
                ctx, repo.opportunities[opp_id], quotes.get(opp_id, "")
            )
        return got

    deals_of: dict[tuple[str, str], list[str]] = {}
    for opp_id in sorted(repo.opportunities):
        opp = repo.opportunities[opp_id]
        deals_of.setdefault(("account", opp.account), []).append(opp_id)
        for c in {c.competitor for c in opp.competitors if c.competitor}:
            deals_of.setdefault(("competitor", c), []).append(opp_id)

    def record_inputs(kind: str, record: Any, extra: object = None) -> str:
        deals = [of(o) for o in deals_of.get((kind, record.id), ())]
        return source_digest(repo.root, record.path) + repr(
            (ctx.by_path.get(record.path), extra, deals)
        )

    every: list[str] = []

    def everything() -> str | None:
        # What the summary pages show depends on every record: all inputs, all problems.
        # (A partial build, serve's, compares their views instead: cheaper than reading
        # every file, and they change with nearly every edit anyway.)
        if only is not None:
            return None
        if not every:
            h = hashlib.blake2b(digest_size=16)
            for opp_id in sorted(repo.opportunities):
                h.update(of(opp_id).encode())
            tables: tuple[Mapping[str, Any], ...] = (repo.accounts, repo.contacts, repo.competitors)
            for table in tables:
                for record in sorted(table.values(), key=lambda r: str(r.id)):
                    h.update(source_digest(repo.root, record.path).encode())
            h.update(repr(ctx.diagnostics).encode())
            if ctx.history is not None:
                h.update(history_digest(ctx.history).encode())
            every.append(h.hexdigest())
        return every[0]

    add(
        "index.html",
        "dashboard.html",
        "Dashboard",
        "dashboard",
        lambda: views.dashboard(ctx),
        everything,
    )
    add("board.html", "board.html", "Board", "board", lambda: views.board(ctx), everything)
    add(
        "opportunities.html",
        "opportunities.html",
        "Opportunities",
        "opportunities",
        lambda: views.opportunities(ctx),
        everything,
    )
    for opp_id in sorted(repo.opportunities):
        opp = repo.opportunities[opp_id]
        add(
            views.page_path("opportunity", opp_id),
            "opportunity.html",
            opp.title or opp_id,
            "opportunities",
            partial(views.opportunity, ctx, opp, quotes.get(opp.id, "")),
            partial(of, opp.id),
        )
        if opp_id in quotes and renderer is not None and opp.quote is not None:
            add(
                views.page_path("quote", opp_id),
                "quote.html",
                f"Quote {opp.quote.number or ''}".rstrip(),
                "opportunities",
                partial(quote_page, renderer, repo, opp),
                partial(quote_inputs, ctx, opp),
            )
    groups: dict[str, dict[str, pipeline.Group]] = {}

    def group(kind: str) -> dict[str, pipeline.Group]:
        # Computed once per build, on first use (in a worker, once per worker).
        if kind not in groups:
            groups[kind] = (
                pipeline.by_account(repo) if kind == "account" else pipeline.by_competitor(repo)
            )
        return groups[kind]

    roles = pipeline.by_contact(repo)
    contacts_of: dict[str, list[str]] = {}
    for person in sorted(repo.contacts.values(), key=lambda c: (c.name.lower(), c.id)):
        contacts_of.setdefault(person.account, []).append(person.id)

    def account_view(acc_id: str) -> Any:
        return views.account(ctx, acc_id, group("account")[acc_id], contacts_of.get(acc_id, []))

    def account_inputs(acc: Any) -> str:
        people = [
            (ctx.record_link("contact", c), repo.contacts[c].title)
            for c in contacts_of.get(acc.id, [])
        ]
        parent = ctx.record_link("account", acc.parent) if acc.parent else None
        return record_inputs("account", acc, (people, parent))

    def contact_inputs(person: Any) -> str:
        employer = ctx.record_link("account", person.account) if person.account else None
        return record_inputs(
            "contact", person, (employer, [(of(o), role) for o, role in roles.get(person.id, ())])
        )

    def competitor_view(comp_id: str) -> Any:
        return views.competitor(ctx, comp_id, group("competitor")[comp_id])

    for acc_id in sorted(repo.accounts):
        acc = repo.accounts[acc_id]
        add(
            views.page_path("account", acc_id),
            "account.html",
            acc.name,
            "accounts",
            partial(account_view, acc_id),
            partial(account_inputs, acc),
        )
    add(
        "accounts.html",
        "index.html",
        "Accounts",
        "accounts",
        lambda: views.accounts_index(ctx, group("account")),
        everything,
    )
    for contact_id in sorted(repo.contacts):
        person = repo.contacts[contact_id]
        add(
            views.page_path("contact", contact_id),
            "contact.html",
            person.name,
            "contacts",
            partial(views.contact, ctx, contact_id, roles.get(contact_id, ())),
            partial(contact_inputs, person),
        )
    add(
        "contacts.html",
        "contacts.html",
        "Contacts",
        "contacts",
        lambda: views.contacts_index(ctx, roles),
        everything,
    )
    for comp_id in sorted(repo.competitors):
        comp = repo.competitors[comp_id]
        add(
            views.page_path("competitor", comp_id),
            "competitor.html",
            comp.name,
            "competitors",
            partial(competitor_view, comp_id),
            partial(record_inputs, "competitor", comp),
        )
    add(
        "competitors.html",
        "index.html",
        "Competitors",
        "competitors",
        lambda: views.competitors_index(ctx, group("competitor")),
        everything,
    )

    def winloss_inputs() -> str | None:
        # The page shows deals' own fields, competitors' names and the stages git history
        # gives: an edit to an account or a contact leaves it as it is.
        if only is not None:
            return None
        h = hashlib.blake2b(digest_size=16)
        files = sorted(
            [o.path for o in repo.opportunities.values()]
            + [c.path for c in repo.competitors.values()]
        )
        for name in files:
            h.update(f"{name}\0{source_digest(repo.root, name)}\0".encode())
        if ctx.history is not None:
            h.update(history_digest(ctx.history).encode())
        return h.hexdigest()

    add(
        "winloss.html",
        "winloss.html",
        "Win/loss",
        "winloss",
        lambda: views.winloss_page(ctx),
        winloss_inputs,
    )
    add(
        "products.html",
        "products.html",
        "Products",
        "products",
        lambda: views.products(ctx),
        everything,
    )
    add(
        "process.html",
        "process.html",
        "Sales process",
        "process",
        lambda: views.process(ctx),
        everything,
    )
    add(
        "problems.html",
        "problems.html",
        "Problems",
        "problems",
        lambda: views.problems(ctx),
        everything,
    )
    return pages


def history_digest(found: Any) -> str:
    """A hash of everything the history sections show (the changes and every timeline)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((found.since, found.changes, sorted(found.histories.items()))).encode())
    return h.hexdigest()


def pipeline_json(ctx: views.Context) -> bytes:
    """pipeline.json: the computed figures, for other tools (amounts as exact strings)."""
    repo, today = ctx.repo, ctx.today
    kf = pipeline.key_figures(repo, today, created=views.created_fallback(ctx))
    summary = pipeline.stage_summary(repo)
    fc = pipeline.forecast(repo, today)

    def cell(c: pipeline.ForecastCell) -> dict[str, Any]:
        return {
            "count": c.count,
            "expected": jsonout.totals(c.expected),
            "weighted": jsonout.totals(c.weighted),
        }

    doc = {
        "version": 1,
        "as_of": today.isoformat(),
        "currency": repo.config.currency,
        "key_figures": {
            "open_count": kf.open_count,
            "pipeline": jsonout.totals(kf.pipeline),
            "weighted": jsonout.totals(kf.weighted),
            "quarter": kf.quarter.key,
            "won_count": kf.won_count,
            "won": jsonout.totals(kf.won),
            "lost_count": kf.lost_count,
            "lost": jsonout.totals(kf.lost),
            "win_rate": None if kf.win_rate is None else plain(kf.win_rate),
            "average_deal": jsonout.totals(kf.average_deal),
            "average_cycle_days": (
                None if kf.average_cycle_days is None else plain(kf.average_cycle_days)
            ),
        },
        "stages": [
            {
                "key": r.key,
                "name": r.name,
                "open": r.is_open,
                "probability": plain(r.probability),
                "count": r.count,
                "expected": jsonout.totals(r.expected),
                "weighted": jsonout.totals(r.weighted),
            }
            for r in summary.rows
        ],
        "forecast": {
            "by": fc.by,
            "periods": [
                {
                    "period": row.period.key,
                    "start": row.period.start.isoformat(),
                    "end": row.period.end.isoformat(),
                    **{c: cell(row.cell(c)) for c in pipeline.CATEGORIES},
                    "total": cell(row.total),
                    "closed_won": cell(row.closed_won),
                }
                for row in fc.rows
            ],
            "past_due": cell(fc.past_due),
            "later": cell(fc.later),
        },
        "quotas": jsonout.quotas(pipeline.quota_report(repo, today), repo.config.currency),
        "attention": [
            {
                "kind": a.kind,
                "opportunity": a.opportunity,
                "owner": a.owner,
                "date": a.date.isoformat() if a.date else None,
                "message": a.message,
            }
            for a in ctx.attention
        ],
        "opportunities": [
            {
                "id": o.id,
                "path": o.path,
                "title": o.title,
                "account": o.account,
                "owner": o.owner,
                "stage": o.stage,
                "status": pipeline.status(repo, o),
                "close_date": o.close_date.isoformat() if o.close_date else None,
                "currency": (f := repo.figures(o)).currency,
                "expected": jsonout.money(f.expected, f.currency),
                "probability": plain(f.probability),
                "weighted": jsonout.money(f.weighted, f.currency),
                "forecast": f.forecast,
                "flags": list(ctx.flags.get(o.id, ())),
            }
            for o in pipeline.select(repo)
        ],
        "problems": [d.to_json() for d in ctx.diagnostics],
    }
    return jsonout.dumps(doc, compact=True).encode()


# --- rendering ------------------------------------------------------------------------


def _root_prefix(path: str) -> str:
    return "../" * path.count("/")


class Renderer:
    """Renders pages with the Jinja2 environment and the Markdown cache."""

    def __init__(self, root: Path, cache: MarkdownCache) -> None:
        from textcrm import render

        self.root = root
        self.env = render.environment(root)
        self.cache = cache
        markup = render.markup
        self.env.filters["markdown"] = lambda text: markup(cache.html(text))
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


def produce_all(job: Job, jobs: int | None = None) -> list[tuple[str, str, bool]]:
    """Produce every page of `job`; in forked worker processes when there are many."""
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 4)
    count = len(job.pages)
    if count < PARALLEL_THRESHOLD or workers < 2 or not hasattr(os, "fork"):
        return [r for i in range(count) if (r := produce(job, i)) is not None]
    import multiprocessing

    # Folders first, so workers never race to create them.
    for folder in sorted({p.path.rpartition("/")[0] for p in job.pages}):
        _check_folder(job.out, folder, job.checked)
    step = max(25, count // (workers * 8))
    spans = [(i, min(i + step, count)) for i in range(0, count, step)]
    done: list[tuple[str, str, bool]] = []
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=fork, initializer=_init_worker, initargs=(job,)
    ) as pool:
        for results, new in pool.map(_produce_range, spans):
            done.extend(results)
            job.renderer.cache.merge(new)
    return done


# --- the build ------------------------------------------------------------------------


class Builder:
    """Builds the site of one repository into one folder; keeps what the next build reuses."""

    def __init__(
        self, root: Path, out: Path, use_cache: bool = True, jobs: int | None = None
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
    ) -> BuildResult:
        """Build every page (or only the paths in `only`), skipping unchanged ones.

        Pages named in `first` are rendered and written before the others (serve writes the
        edited opportunity's page before the dashboards). When the system refuses a write
        (permission, a full disk), EnvironmentFailure says so; every page is whole.
        """
        try:
            return self._build(result, today, only, first)
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
    ) -> BuildResult:
        self.out.mkdir(parents=True, exist_ok=True)
        if not self.trusted:  # ours from now on, even if this build stops half-way
            self._write_manifest()
            self.trusted = True
        self.files = unlinked(self.out, self.files)
        repo = result.repository
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
        firsts = set(first)
        done = []
        for batch in (
            [p for p in todo if p.path in firsts],
            [p for p in todo if p.path not in firsts],
        ):
            job = Job(self.renderer, batch, site, self.out, context, self.manifest, self.files)
            done += produce_all(job, self.jobs)
            if firsts and outcome.first_done_at is None:
                outcome.first_done_at = time.perf_counter()
        for path, digest, written in done:
            self.manifest[path] = digest
            outcome.written += written
        outcome.rendered = len(done)
        produced = {p.path for p in pages}
        # Files just written or compared; the other pages were found intact (stamps kept).
        checked = {path for path, _, _ in done}
        for name, path in ASSETS:
            outcome.written += write_if_changed(self.out, path, self.renderer.asset(name))
            produced.add(path)
            checked.add(path)
        # The search index follows the records: rebuilt when a page was, or when it is gone.
        if done or not intact(self.out, SEARCH_INDEX, self.files):
            from textcrm.encode import js_data

            index = js_data("TEXTCRM_SEARCH", views.search_index(ctx)).encode("ascii")
            outcome.written += write_if_changed(self.out, SEARCH_INDEX, index)
            checked.add(SEARCH_INDEX)
        produced.add(SEARCH_INDEX)
        # pipeline.json shows what the dashboard shows: it changes only when index.html does.
        rendered = {path for path, _, _ in done}
        feeds = {owner: views.feed_path(owner) for owner in [None, *pipeline.owners(repo)]}
        stale_json = "index.html" in rendered or not all(
            intact(self.out, path, self.files) for path in ("pipeline.json", *feeds.values())
        )
        if (only is None or "pipeline.json" in only) and stale_json:
            outcome.written += write_if_changed(self.out, "pipeline.json", pipeline_json(ctx))
            # The calendar feeds, like pipeline.json, follow the dashboard.
            from textcrm.calendar import calendar_feeds

            for owner, data in calendar_feeds(repo, today, feeds).items():
                outcome.written += write_if_changed(self.out, feeds[owner], data)
            checked.update(("pipeline.json", *feeds.values()))
        produced.add("pipeline.json")
        produced.update(feeds.values())
        for path in checked:
            stamp = _file_stamp(self.out / path)
            if stamp is not None:
                self.files[path] = stamp
        if only is None:
            self.manifest = {k: v for k, v in self.manifest.items() if k in produced}
            outcome.removed = remove_stale(self.out, self.files, produced)
            self.files = {k: v for k, v in self.files.items() if k in produced}
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
    return Builder(root, target, use_cache, jobs).build(result, today)
