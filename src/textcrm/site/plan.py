"""The plan of the site: every page, its template, its view model and its inputs digest."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textcrm import layout, pipeline, schema
from textcrm.repository import Repository
from textcrm.site import views

if TYPE_CHECKING:
    from textcrm.site.pages import Renderer


@dataclass(frozen=True, slots=True)
class Page:
    """One HTML page to produce: where, with which template, and how to get its view model.

    `inputs`, when given, is a hash of everything the page shows (the record file's content
    hash and the names it links to), so an unchanged page is skipped without building its
    view; otherwise the digest is taken over the view model itself.
    """

    path: str
    template: str
    title: str
    nav: str
    make: Callable[[], Any]
    inputs: str | None = None


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
            # Kept as a hash: an account's or a competitor's inputs hold each of its deals'.
            found = inputs() if inputs is not None else None
            digest = None if found is None else hashlib.blake2b(found.encode()).hexdigest()
            pages.append(Page(path, template, title, nav, make, digest))

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

    # A partial build (serve's) plans only the pages it names: what the record pages share
    # is computed on first use, and only the records named are visited.
    named: dict[str, set[str]] = {}
    for path in only or ():
        folder, _, name = path.partition("/")
        if name.endswith(".html") and "/" not in name:
            named.setdefault(folder, set()).add(name[: -len(".html")])

    def ids(table: Mapping[str, Any], *folders: str) -> list[str]:
        if only is None:
            return sorted(table)
        return sorted({i for f in folders for i in named.get(f, ()) if i in table})

    @cache
    def deals_of() -> dict[tuple[str, str], list[str]]:
        found: dict[tuple[str, str], list[str]] = {}
        for opp_id in sorted(repo.opportunities):
            opp = repo.opportunities[opp_id]
            found.setdefault(("account", opp.account), []).append(opp_id)
            for c in {c.competitor for c in opp.competitors if c.competitor}:
                found.setdefault(("competitor", c), []).append(opp_id)
        return found

    def record_inputs(kind: str, record: Any, extra: object = None) -> str:
        deals = [of(o) for o in deals_of().get((kind, record.id), ())]
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
    for opp_id in ids(repo.opportunities, "opportunities", "quotes"):
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

    @cache
    def roles() -> dict[str, tuple[tuple[str, str], ...]]:
        return pipeline.by_contact(repo)

    @cache
    def contacts_of() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for person in sorted(repo.contacts.values(), key=lambda c: (c.name.lower(), c.id)):
            found.setdefault(person.account, []).append(person.id)
        return found

    def account_view(acc_id: str) -> Any:
        return views.account(ctx, acc_id, group("account")[acc_id], contacts_of().get(acc_id, []))

    def account_inputs(acc: Any) -> str:
        people = [
            (ctx.record_link("contact", c), repo.contacts[c].title)
            for c in contacts_of().get(acc.id, [])
        ]
        parent = ctx.record_link("account", acc.parent) if acc.parent else None
        return record_inputs("account", acc, (people, parent))

    def contact_inputs(person: Any) -> str:
        employer = ctx.record_link("account", person.account) if person.account else None
        return record_inputs(
            "contact", person, (employer, [(of(o), role) for o, role in roles().get(person.id, ())])
        )

    def competitor_view(comp_id: str) -> Any:
        return views.competitor(ctx, comp_id, group("competitor")[comp_id])

    for acc_id in ids(repo.accounts, "accounts"):
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
    for contact_id in ids(repo.contacts, "contacts"):
        person = repo.contacts[contact_id]
        add(
            views.page_path("contact", contact_id),
            "contact.html",
            person.name,
            "contacts",
            partial(views.contact, ctx, contact_id, roles().get(contact_id, ())),
            partial(contact_inputs, person),
        )
    add(
        "contacts.html",
        "contacts.html",
        "Contacts",
        "contacts",
        lambda: views.contacts_index(ctx, roles()),
        everything,
    )
    for comp_id in ids(repo.competitors, "competitors"):
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
