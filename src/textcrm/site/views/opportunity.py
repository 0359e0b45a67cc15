"""The opportunities list and each opportunity's page as view models."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from datetime import date

from textcrm import deals, pipeline
from textcrm.model import Opportunity
from textcrm.money import plain
from textcrm.site.views.common import Context, Field, Link, OppRow, Problem, opp_row
from textcrm.site.views.history import OpportunityHistoryView, opportunity_history


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    text: str


@dataclass(frozen=True, slots=True)
class OpportunitiesView:
    """opportunities.html: every opportunity, open first by close date; filter choices."""

    rows: tuple[OppRow, ...]
    owners: tuple[Option, ...]
    stages: tuple[Option, ...]
    accounts: tuple[Option, ...]
    total: str
    # For the filter script's total of the rows shown: the reporting currency, its locale,
    # and the rates of textcrm.yaml as JSON ({"USD": "0.92"}).
    currency: str = ""
    locale: str = ""
    rates: str = ""


def opportunities(ctx: Context) -> OpportunitiesView:
    """Build the opportunities list's view model."""
    repo = ctx.repo
    opps = sorted(
        repo.opportunities.values(),
        key=lambda o: (
            pipeline.status(repo, o) != "open",
            o.close_date is None,
            o.close_date or date.min,
            o.id,
        ),
    )
    rows = tuple(opp_row(ctx, o) for o in opps)
    owners = tuple(Option(o, ctx.owner_name(o)) for o in pipeline.owners(repo))
    stages = tuple(Option(s.key, s.name) for s in ctx.config.stages)
    accounts = tuple(
        sorted(
            {Option(r.account.text, r.account.text) for r in rows if r.account.text},
            key=lambda o: (o.text.lower(), o.value),
        )
    )
    tally = pipeline.Tally()
    for o in opps:
        if pipeline.status(repo, o) == "open":
            fig = repo.figures(o)
            tally.add(fig.currency, fig.expected)
    return OpportunitiesView(
        rows,
        owners,
        stages,
        accounts,
        ctx.fmt.totals(tally.totals(ctx.config)),
        ctx.config.currency,
        ctx.config.locale.replace("_", "-"),
        json.dumps({c: plain(r) for c, r in sorted(ctx.config.rates.items())}),
    )


@dataclass(frozen=True, slots=True)
class ContactLine:
    contact: Link
    title: str
    role: str
    primary: bool
    notes: str


@dataclass(frozen=True, slots=True)
class PricedLineView:
    sku: str
    name: str
    description: str
    quantity: str
    unit: str
    unit_price: str
    discount: str
    total: str


@dataclass(frozen=True, slots=True)
class CompetitorLine:
    competitor: Link
    status: str
    notes: str


@dataclass(frozen=True, slots=True)
class IssueLine:
    issue: str
    status: str
    is_open: bool
    owner: str
    due: date | None
    overdue: bool
    notes: str


@dataclass(frozen=True, slots=True)
class ActivityLine:
    date: date
    type: str
    contact: Link
    owner: str
    summary: str


@dataclass(frozen=True, slots=True)
class QuoteInfo:
    number: str
    date: datetime.date | None
    valid_until: datetime.date | None
    expired: bool
    terms: str
    page: str  # href of the quote page, empty when none is built


@dataclass(frozen=True, slots=True)
class OpportunityView:
    """opportunities/<id>.html: every field, people, lines, competitors, issues, activity.

    `sections` is where later features (the stage history) add blocks: (heading, html) pairs
    rendered after the notes, already escaped by their producer.
    """

    id: str
    path: str
    title: str
    row: OppRow
    fields: tuple[Field, ...]
    tags: tuple[str, ...]
    contacts: tuple[ContactLine, ...]
    lines: tuple[PricedLineView, ...]
    lines_total: str
    competitors: tuple[CompetitorLine, ...]
    issues: tuple[IssueLine, ...]
    activities: tuple[ActivityLine, ...]
    next_step: str
    follow_up: date | None
    quote: QuoteInfo | None
    body: str
    problems: tuple[Problem, ...]
    attention: tuple[str, ...]
    sections: tuple[tuple[str, str], ...] = ()
    history: OpportunityHistoryView | None = None


def opportunity(ctx: Context, opp: Opportunity, quote_href: str = "") -> OpportunityView:
    """Build one opportunity page's view model."""
    repo, fmt = ctx.repo, ctx.fmt
    fig = repo.figures(opp)
    row = opp_row(ctx, opp)
    money = fmt.money
    fields = [
        Field("Account", row.account.text, row.account.href),
        Field("Owner", row.owner),
        Field("Stage", row.stage),
        Field("Status", row.status.capitalize()),
        Field("Close date", fmt.date(opp.close_date) if opp.close_date else "–"),
        Field("Expected revenue", row.expected),
        Field(
            "Probability",
            row.probability + ("" if opp.probability is not None else " (stage default)"),
        ),
        Field("Weighted revenue", row.weighted),
        Field("Forecast category", row.forecast),
        Field("Currency", fig.currency),
    ]
    if opp.amount is not None:
        fields.append(Field("Amount", money(opp.amount, fig.currency)))
    if opp.created is not None:
        fields.append(Field("Created", fmt.date(opp.created)))
    if opp.lost_reason:
        fields.append(Field("Lost reason", opp.lost_reason))
    if opp.source_id:
        fields.append(Field("Source id", opp.source_id))
    fields.append(Field("File", opp.path))
    contacts = []
    for role in opp.contacts:
        if role.contact is None:  # a partial entry: its problem is on the Problems page
            continue
        person = repo.contacts.get(role.contact)
        contacts.append(
            ContactLine(
                ctx.record_link("contact", role.contact),
                person.title if person else "",
                role.role,
                role.primary,
                role.notes,
            )
        )
    lines = tuple(
        PricedLineView(
            p.item.sku,
            p.name,
            p.description,
            plain(p.quantity),
            p.unit,
            money(p.unit_price, fig.currency),
            (f"{p.item.discount} (−{money(p.discount, fig.currency)})" if p.item.discount else ""),
            money(p.total, fig.currency),
        )
        for p in fig.lines
    )
    competitors = tuple(
        CompetitorLine(ctx.record_link("competitor", c.competitor), c.status, c.notes)
        for c in opp.competitors
        if c.competitor is not None
    )
    issues = tuple(
        IssueLine(
            i.issue or "",
            i.status,
            i.is_open,
            ctx.owner_name(i.owner) if i.owner else "",
            i.due,
            deals.decision_overdue(i, ctx.today),
            i.notes,
        )
        for i in opp.decision_issues
    )
    # A partial activity without its date is left out (its problem is on the Problems page).
    dated = [(a.date, a) for a in opp.activities if a.date is not None]
    activities = tuple(
        ActivityLine(
            day,
            a.type,
            ctx.record_link("contact", a.contact) if a.contact else Link("", ""),
            ctx.owner_name(a.owner) if a.owner else "",
            a.summary,
        )
        for day, a in sorted(dated, key=lambda pair: pair[0], reverse=True)
    )
    quote = None
    if opp.quote is not None:
        q = opp.quote
        quote = QuoteInfo(
            q.number or "",
            q.date,
            q.valid_until,
            deals.quote_expired(ctx.config, opp, ctx.today),
            q.terms,
            quote_href,
        )
    attention = tuple(
        a.message[:1].upper() + a.message[1:] for a in ctx.attention_of.get(opp.id, ())
    )
    return OpportunityView(
        opp.id,
        opp.path,
        row.title,
        row,
        tuple(fields),
        opp.tags,
        tuple(contacts),
        lines,
        money(fig.line_items_total, fig.currency) if fig.line_items_total is not None else "",
        competitors,
        issues,
        activities,
        opp.next_step,
        opp.follow_up,
        quote,
        opp.body,
        ctx.problems(opp.path),
        attention,
        history=_history_of(ctx, opp.id),
    )


def _history_of(ctx: Context, opp_id: str) -> OpportunityHistoryView | None:
    if ctx.history is None or opp_id not in ctx.history.histories:
        return None
    return opportunity_history(ctx, ctx.history.histories[opp_id])
