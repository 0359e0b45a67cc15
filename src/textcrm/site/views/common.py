"""What every page's view model shares: the context of a build, links, badges, rows, money."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote as urlquote

from textcrm import pipeline
from textcrm.diagnostics import Diagnostic
from textcrm.model import Opportunity
from textcrm.money import format_date, format_money, plain
from textcrm.pipeline import CATEGORY_NAMES, Totals
from textcrm.repository import Repository

if TYPE_CHECKING:
    from textcrm.history import SiteHistory


ATTENTION_LABELS = dict(pipeline.ATTENTION_KINDS)
# Card badges: which attention kinds show on the board, and their short text.
BADGES = {
    "stale": "Stale",
    "close-date-past": "Past due",
    "quote-expired": "Quote expired",
    "follow-up-overdue": "Follow-up overdue",
    "decision-overdue": "Decision overdue",
}


# --- shared pieces --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    href: str
    label: str


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """What every page shows: the site's name, the as-of date, navigation, problem count.

    `edit_url` is textcrm.yaml's forge pattern ('' for none) and `new_links` the forge's
    new-file links by record kind; `page_edits` turns them into a page's edit links.
    """

    name: str
    as_of: date
    lang: str
    nav: tuple[NavItem, ...]
    edit_url: str = ""
    new_links: tuple[tuple[str, Link], ...] = ()
    locale: str = "en_US"  # textcrm.yaml's: the `date` filter writes dates in it


@dataclass(frozen=True, slots=True)
class Link:
    """A link to a page of the site (`href` empty when the target has no page)."""

    href: str
    text: str


@dataclass(frozen=True, slots=True)
class Badge:
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Problem:
    """One check problem as a row: where, what, and the page it belongs to."""

    path: str
    line: int
    column: int
    severity: str
    code: str
    message: str
    page: Link


class Formatter:
    """Formats money and totals in the configured locale (money.format_money, memoized)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._memo: dict[tuple[Decimal, str], str] = {}

    def money(self, value: Decimal, currency: str) -> str:
        key = (value, currency)
        got = self._memo.get(key)
        if got is None:
            got = format_money(value, currency, self.locale)
            if len(self._memo) < 100_000:
                self._memo[key] = got
        return got

    def date(self, day: date) -> str:
        """A date for people, in the locale's one format (`Dec 10, 2026`, `10.12.2026`)."""
        return format_date(day, self.locale)

    def totals(self, t: Totals) -> str:
        """One currency: `$1,200.00`; several: each, then the converted sum when known."""
        text = " + ".join(self.money(v, c) for c, v in t.amounts)
        if t.multi_currency and t.converted is not None:
            text += f" (≈ {self.money(t.converted, t.reporting)})"
        return text


def sort_value(t: Totals) -> str:
    """A plain number to sort a Totals column by (converted, else reporting currency)."""
    return plain(t.converted if t.converted is not None else t.get(t.reporting))


NEW_LINK_KINDS: dict[str, tuple[str, ...]] = {
    "index.html": ("opportunity", "account", "contact"),
    "board.html": ("opportunity", "account", "contact"),
    "opportunities.html": ("opportunity", "account", "contact"),
    "accounts.html": ("opportunity", "account", "contact"),
    "contacts.html": ("opportunity", "account", "contact"),
    "competitors.html": ("opportunity", "account", "contact", "competitor"),
}


def new_links(edit_url: str, templates: Mapping[str, str]) -> tuple[tuple[str, Link], ...]:
    """The forge's "New opportunity / account / contact / competitor" links: its new-file
    page in the kind's folder with `new-KIND.md` and the new-record template prefilled
    (`templates` maps kinds to that text). None when the forge is not recognised."""
    from textcrm import forge
    from textcrm.layout import KIND_FOLDER

    found = []
    for kind, folder in KIND_FOLDER.items():
        url = forge.new_file_link(edit_url, folder, f"new-{kind}.md", templates.get(kind, ""))
        if url is not None:
            found.append((kind, Link(url, f"New {kind}")))
    return tuple(found)


def page_edits(site: SiteInfo, path: str) -> tuple[Link, ...]:
    """A page's links to the forge: "Edit this file" on a record's page, "New ..." on an
    index page; none without `edit_url`."""
    if not site.edit_url:
        return ()
    folder, sep, name = path.partition("/")
    if sep and folder in _RECORD_FOLDERS and name.endswith(".html") and "/" not in name:
        from textcrm.forge import edit_link

        source = f"{folder}/{name[: -len('.html')]}.md"
        return (Link(edit_link(site.edit_url, source), "Edit this file"),)
    kinds = NEW_LINK_KINDS.get(path, ())
    return tuple(link for kind, link in site.new_links if kind in kinds)


_RECORD_FOLDERS = frozenset({"opportunities", "accounts", "contacts", "competitors"})


def page_path(kind: str, record_id: str) -> str:
    """The output path of a record's page, relative to the site's top folder."""
    folder = {
        "opportunity": "opportunities",
        "account": "accounts",
        "contact": "contacts",
        "competitor": "competitors",
        "quote": "quotes",
    }[kind]
    return f"{folder}/{record_id}.html"


_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]+$")


def href(kind: str, record_id: str) -> str:
    """The URL (percent-encoded) of a record's page."""
    path = page_path(kind, record_id)
    return path if _SAFE_ID.match(record_id) else urlquote(path)


class Context:
    """What view builders share: the repository, today, formatter, flags and problems."""

    def __init__(
        self,
        repo: Repository,
        today: date,
        diagnostics: Sequence[Diagnostic],
        items: Sequence[pipeline.AttentionItem],
        history: SiteHistory | None = None,
        running: pipeline.Running | None = None,
    ) -> None:
        self.repo = repo
        # The pipeline's figures kept between serve rounds (None: computed here, once).
        self.running = running
        self._figures: dict[tuple[object, ...], object] = {}
        # The git history sections' data; None when the CRM has no usable git history.
        self.history = history
        self.today = today
        self.config = repo.config
        self.fmt = Formatter(repo.config.locale)
        self.attention = items
        self.flags = pipeline.flags(items)
        self.attention_of: dict[str, list[pipeline.AttentionItem]] = {}
        for item in items:
            self.attention_of.setdefault(item.opportunity, []).append(item)
        self.rows: dict[str, OppRow] = {}
        self.links: dict[tuple[str, str], Link] = {}
        self.diagnostics = diagnostics
        self.by_path: dict[str, list[Diagnostic]] = {}
        for d in diagnostics:
            self.by_path.setdefault(d.path, []).append(d)

    def key_figures(self, owner: str | None = None, history: bool = True) -> pipeline.KeyFigures:
        """The key figures (with the creation dates git history gives, unless `history` is
        False), computed once per build."""
        key = ("key_figures", owner, history)
        got = self._figures.get(key)
        if got is None:
            if self.running is not None:
                got = self.running.key_figures(owner, history)
            else:
                created = None
                if history and self.history is not None:
                    created = {k: h.created for k, h in self.history.histories.items()}
                got = pipeline.key_figures(self.repo, self.today, owner, created)
            self._figures[key] = got
        return got  # type: ignore[return-value]

    def stage_summary(self) -> pipeline.StageSummary:
        """The pipeline by stage, computed once per build."""
        got = self._figures.get(("stage_summary",))
        if got is None:
            got = self._figures[("stage_summary",)] = (
                self.running.stage_summary()
                if self.running is not None
                else pipeline.stage_summary(self.repo)
            )
        return got  # type: ignore[return-value]

    def forecast(self) -> pipeline.Forecast:
        """The forecast by month, computed once per build."""
        got = self._figures.get(("forecast",))
        if got is None:
            got = self._figures[("forecast",)] = (
                self.running.forecast()
                if self.running is not None
                else pipeline.forecast(self.repo, self.today)
            )
        return got  # type: ignore[return-value]

    def owner_name(self, key: str) -> str:
        owner = self.config.owner(key)
        return owner.display if owner else key

    def stage_name(self, key: str) -> str:
        stage = self.config.stage(key)
        return stage.name if stage else key

    def record_link(self, kind: str, record_id: str) -> Link:
        """A link to a record's page, or plain text when the record is missing or broken."""
        got = self.links.get((kind, record_id))
        if got is None:
            got = self.links[(kind, record_id)] = self._record_link(kind, record_id)
        return got

    def _record_link(self, kind: str, record_id: str) -> Link:
        table: Mapping[str, object] = {
            "opportunity": self.repo.opportunities,
            "account": self.repo.accounts,
            "contact": self.repo.contacts,
            "competitor": self.repo.competitors,
        }[kind]
        record = table.get(record_id)
        if record is None:
            return Link("", record_id)
        attr = "title" if kind == "opportunity" else "name"
        text = getattr(record, attr, "") or record_id
        return Link(href(kind, record_id), text)

    def badges(self, opp_id: str) -> tuple[Badge, ...]:
        return tuple(Badge(k, BADGES[k]) for k in self.flags.get(opp_id, ()) if k in BADGES)

    def problems(self, path: str) -> tuple[Problem, ...]:
        return tuple(self.problem(d) for d in self.by_path.get(path, ()))

    def problem(self, d: Diagnostic) -> Problem:
        from textcrm.layout import classify

        page = Link("", d.path)
        kind = classify(d.path)
        if kind is not None and kind[0] in ("opportunity", "account", "contact", "competitor"):
            link = self.record_link(kind[0], kind[1])
            if link.href:
                page = link
        return Problem(d.path, d.line, d.column, d.severity, d.code, d.message, page)


# --- opportunity rows (shared by lists and tables) ------------------------------------


@dataclass(frozen=True, slots=True)
class OppRow:
    """An opportunity as one row of a table or a card on the board."""

    id: str
    href: str
    title: str
    account: Link
    owner: str
    owner_key: str
    stage: str
    stage_key: str
    stage_order: int
    status: str
    close_date: date | None
    expected: str
    expected_sort: str
    weighted: str
    weighted_sort: str
    probability: str
    forecast: str
    badges: tuple[Badge, ...]
    currency: str = ""


def opp_row(ctx: Context, opp: Opportunity) -> OppRow:
    """An opportunity's row (built once per build and shared by every page listing it)."""
    got = ctx.rows.get(opp.id)
    if got is None:
        got = ctx.rows[opp.id] = _opp_row(ctx, opp)
    return got


def _opp_row(ctx: Context, opp: Opportunity) -> OppRow:
    fig = ctx.repo.figures(opp)
    return OppRow(
        id=opp.id,
        href=href("opportunity", opp.id),
        title=opp.title or opp.id,
        account=ctx.record_link("account", opp.account) if opp.account else Link("", ""),
        owner=ctx.owner_name(opp.owner),
        owner_key=opp.owner,
        stage=ctx.stage_name(opp.stage),
        stage_key=opp.stage,
        stage_order=ctx.config.stage_index(opp.stage),
        status=pipeline.status(ctx.repo, opp),
        close_date=opp.close_date,
        expected=ctx.fmt.money(fig.expected, fig.currency),
        expected_sort=plain(fig.expected),
        weighted=ctx.fmt.money(fig.weighted, fig.currency),
        weighted_sort=plain(fig.weighted),
        probability=f"{plain(fig.probability)}%",
        forecast=CATEGORY_NAMES.get(fig.forecast, fig.forecast),
        badges=ctx.badges(opp.id),
        currency=fig.currency,
    )


def opp_rows(ctx: Context, ids: Iterable[str]) -> tuple[OppRow, ...]:
    return tuple(opp_row(ctx, ctx.repo.opportunities[i]) for i in ids)


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value; `link` is a page of the site, `url` an address outside it."""

    label: str
    value: str
    link: str = ""
    url: str = ""
