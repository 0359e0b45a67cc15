"""The pages of accounts, contacts and competitors, and their indexes, as view models."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote as urlquote

from textcrm import pipeline
from textcrm.site.views.common import (
    Context,
    Field,
    Link,
    OppRow,
    Problem,
    opp_row,
    opp_rows,
    sort_value,
)

_EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")
_HOST = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?([/?#]\S*)?")


def contact_url(label: str, value: str) -> str:
    """The address a website, email or phone field links to (https, mailto or tel), or ""
    when the value is not one: never another scheme, whatever the file says."""
    value = value.strip()
    if label == "Website":
        if re.match(r"https?://\S+$", value, re.I):
            return value
        return "https://" + value if _HOST.fullmatch(value) else ""
    if label == "Email":
        return "mailto:" + urlquote(value, safe="@.+-_") if _EMAIL.fullmatch(value) else ""
    if label == "Phone":
        digits = re.sub(r"[^\d+]", "", value)
        return "tel:" + digits if sum(ch.isdigit() for ch in digits) >= 3 else ""
    return ""


@dataclass(frozen=True, slots=True)
class GroupView:
    """Opportunities of one account, competitor or product by status, with totals."""

    open: tuple[OppRow, ...]
    won: tuple[OppRow, ...]
    lost: tuple[OppRow, ...]
    open_total: str
    won_total: str
    lost_total: str
    win_rate: str


def group_view(ctx: Context, g: pipeline.Group) -> GroupView:
    return GroupView(
        opp_rows(ctx, g.open),
        opp_rows(ctx, g.won),
        opp_rows(ctx, g.lost),
        ctx.fmt.totals(g.open_total),
        ctx.fmt.totals(g.won_total),
        ctx.fmt.totals(g.lost_total),
        pipeline.percent_text(g.win_rate),
    )


@dataclass(frozen=True, slots=True)
class TimelineLine:
    """One activity on an account's timeline, with the deal it belongs to."""

    date: date
    type: str
    deal: Link
    contact: Link
    owner: str
    summary: str


@dataclass(frozen=True, slots=True)
class AccountView:
    """accounts/<id>.html: details, contacts, opportunities by status with totals, the
    timeline of every activity on its opportunities (newest first), notes."""

    id: str
    name: str
    fields: tuple[Field, ...]
    tags: tuple[str, ...]
    contacts: tuple[Link, ...]
    contact_titles: tuple[str, ...]
    deals: GroupView
    body: str
    problems: tuple[Problem, ...]
    timeline: tuple[TimelineLine, ...] = ()


def account_timeline(ctx: Context, group: pipeline.Group) -> tuple[TimelineLine, ...]:
    """Every activity of the account's opportunities, newest first; activities of one day
    in deal id order, then as the file lists them."""
    found = []
    for opp_id in sorted((*group.open, *group.won, *group.lost)):
        opp = ctx.repo.opportunities[opp_id]
        deal = ctx.record_link("opportunity", opp_id)
        for n, a in enumerate(opp.activities):
            if a.date is None:  # a partial activity: its problem is on the Problems page
                continue
            line = TimelineLine(
                a.date,
                a.type,
                deal,
                ctx.record_link("contact", a.contact) if a.contact else Link("", ""),
                ctx.owner_name(a.owner) if a.owner else "",
                a.summary,
            )
            found.append(((-a.date.toordinal(), opp_id, n), line))
    found.sort(key=lambda pair: pair[0])
    return tuple(line for _, line in found)


def account(
    ctx: Context, account_id: str, group: pipeline.Group, contacts: Sequence[str]
) -> AccountView:
    """Build one account page's view model."""
    acc = ctx.repo.accounts[account_id]
    fields = [
        Field(label, value, url=contact_url(label, value))
        for label, value in (
            ("Industry", acc.industry),
            ("Owner", ctx.owner_name(acc.owner) if acc.owner else ""),
            ("Website", acc.website),
            ("Phone", acc.phone),
            ("Email", acc.email),
            ("Address", acc.address.strip()),
            ("Employees", str(acc.employees) if acc.employees is not None else ""),
        )
        if value
    ]
    if acc.parent:
        link = ctx.record_link("account", acc.parent)
        fields.append(Field("Parent account", link.text, link.href))
    people = [ctx.record_link("contact", c) for c in contacts]
    titles = [ctx.repo.contacts[c].title for c in contacts]
    return AccountView(
        acc.id,
        acc.name,
        tuple(fields),
        acc.tags,
        tuple(people),
        tuple(titles),
        group_view(ctx, group),
        acc.body,
        ctx.problems(acc.path),
        account_timeline(ctx, group),
    )


@dataclass(frozen=True, slots=True)
class IndexRow:
    link: Link
    detail: str
    open_count: int
    open_total: str
    open_sort: str
    won_count: int
    won_total: str
    lost_count: int
    win_rate: str


@dataclass(frozen=True, slots=True)
class IndexView:
    """accounts.html / competitors.html: one row per record with its deal totals."""

    kind: str
    title: str
    rows: tuple[IndexRow, ...]
    detail_heading: str  # the heading of the column after the name


def _index_row(ctx: Context, link: Link, detail: str, g: pipeline.Group) -> IndexRow:
    return IndexRow(
        link,
        detail,
        len(g.open),
        ctx.fmt.totals(g.open_total),
        sort_value(g.open_total),
        len(g.won),
        ctx.fmt.totals(g.won_total),
        len(g.lost),
        pipeline.percent_text(g.win_rate),
    )


def accounts_index(ctx: Context, groups: Mapping[str, pipeline.Group]) -> IndexView:
    """Build the accounts index's view model (accounts with a page only)."""
    rows = tuple(
        _index_row(ctx, ctx.record_link("account", a.id), a.industry, groups[a.id])
        for a in sorted(ctx.repo.accounts.values(), key=lambda a: (a.name.lower(), a.id))
    )
    return IndexView("account", "Accounts", rows, "Industry")


@dataclass(frozen=True, slots=True)
class ContactView:
    """contacts/<id>.html: details, account, the opportunities naming them, notes."""

    id: str
    name: str
    fields: tuple[Field, ...]
    tags: tuple[str, ...]
    roles: tuple[tuple[OppRow, str], ...]
    body: str
    problems: tuple[Problem, ...]


def contact(ctx: Context, contact_id: str, roles: Sequence[tuple[str, str]]) -> ContactView:
    """Build one contact page's view model."""
    c = ctx.repo.contacts[contact_id]
    acc = ctx.record_link("account", c.account) if c.account else Link("", "")
    fields = [Field("Account", acc.text, acc.href)] if c.account else []
    fields += [
        Field(label, value, url=contact_url(label, value))
        for label, value in (("Title", c.title), ("Email", c.email), ("Phone", c.phone))
        if value
    ]
    rows = tuple(
        (opp_row(ctx, ctx.repo.opportunities[o]), role)
        for o, role in roles
        if o in ctx.repo.opportunities
    )
    return ContactView(c.id, c.name, tuple(fields), c.tags, rows, c.body, ctx.problems(c.path))


@dataclass(frozen=True, slots=True)
class ContactRow:
    link: Link
    title: str
    account: Link
    email: str
    deals: int


@dataclass(frozen=True, slots=True)
class ContactsIndexView:
    """contacts.html: every contact with title, account and number of deals."""

    rows: tuple[ContactRow, ...]


def contacts_index(
    ctx: Context, roles: Mapping[str, Sequence[tuple[str, str]]]
) -> ContactsIndexView:
    """Build the contacts index's view model."""
    rows = tuple(
        ContactRow(
            ctx.record_link("contact", c.id),
            c.title,
            ctx.record_link("account", c.account) if c.account else Link("", ""),
            c.email,
            len(roles.get(c.id, ())),
        )
        for c in sorted(ctx.repo.contacts.values(), key=lambda c: (c.name.lower(), c.id))
    )
    return ContactsIndexView(rows)


@dataclass(frozen=True, slots=True)
class CompetitorDeal:
    row: OppRow
    status: str
    notes: str


@dataclass(frozen=True, slots=True)
class CompetitorView:
    """competitors/<id>.html: the deals where it appears and our record against it."""

    id: str
    name: str
    website: str
    tags: tuple[str, ...]
    deals: GroupView
    entries: tuple[CompetitorDeal, ...]
    record: str
    body: str
    problems: tuple[Problem, ...]


def competitor(ctx: Context, competitor_id: str, group: pipeline.Group) -> CompetitorView:
    """Build one competitor page's view model."""
    comp = ctx.repo.competitors[competitor_id]
    entries = []
    for opp_id in (*group.open, *group.won, *group.lost):
        opp = ctx.repo.opportunities[opp_id]
        entry = next(e for e in opp.competitors if e.competitor == competitor_id)
        entries.append(CompetitorDeal(opp_row(ctx, opp), entry.status, entry.notes))
    record = f"{len(group.won)} won, {len(group.lost)} lost" + (
        f" ({pipeline.percent_text(group.win_rate)} win rate)" if group.win_rate is not None else ""
    )
    return CompetitorView(
        comp.id,
        comp.name,
        comp.website,
        comp.tags,
        group_view(ctx, group),
        tuple(entries),
        record,
        comp.body,
        ctx.problems(comp.path),
    )


def competitors_index(ctx: Context, groups: Mapping[str, pipeline.Group]) -> IndexView:
    """Build the competitors index's view model."""
    rows = tuple(
        _index_row(ctx, ctx.record_link("competitor", c.id), c.website, groups[c.id])
        for c in sorted(ctx.repo.competitors.values(), key=lambda c: (c.name.lower(), c.id))
    )
    return IndexView("competitor", "Competitors", rows, "Website")
