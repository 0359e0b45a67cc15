"""Frozen model records: the sales process (config) and every CRM record, each knowing its place.

They are plain frozen dataclasses without __slots__ on purpose: the parse cache unpickles
tens of thousands of them, and a __dict__ restores many times faster than slots do.

Records are built by `parse` and never mutated. Each keeps `lines`: the file line of every key
it was given, so that checks can point at the exact field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from textcrm.money import Discount, line_total, round_money, total, weighted


@dataclass(frozen=True)
class Stage:
    """A stage of the sales process."""

    key: str
    name: str
    probability: Decimal
    forecast: str
    outcome: str | None = None
    requires: tuple[str, ...] = ()
    stale_after_days: int | None = None
    description: str = ""
    line: int = 1

    @property
    def is_open(self) -> bool:
        return self.outcome is None


@dataclass(frozen=True)
class Owner:
    """A member of the sales team."""

    key: str
    name: str = ""
    email: str = ""

    @property
    def display(self) -> str:
        return self.name or self.key


@dataclass(frozen=True)
class Company:
    """The seller, printed on quotes."""

    name: str
    address: str = ""
    email: str = ""
    phone: str = ""
    tax_id: str = ""
    website: str = ""
    logo: str = ""


@dataclass(frozen=True)
class QuotaTargets:
    """The quotas of one period: the team's and each owner's, in the reporting currency."""

    team: Decimal | None = None
    owners: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Quotas:
    """`quotas:` in textcrm.yaml: the usual quotas per month or quarter, and overrides."""

    period: str  # month or quarter
    team: Decimal | None = None
    owners: Mapping[str, Decimal] = field(default_factory=dict)
    periods: Mapping[str, QuotaTargets] = field(default_factory=dict)  # by period key

    def targets(self, period_key: str) -> QuotaTargets:
        """The quotas of one period: its overrides over the usual ones; the team's quota
        defaults to the sum of the owners' when neither names it."""
        override = self.periods.get(period_key, QuotaTargets())
        owners = {**self.owners, **override.owners}
        team = override.team if override.team is not None else self.team
        if team is None and owners:
            team = sum(owners.values(), Decimal(0))
        return QuotaTargets(team, owners)


@dataclass(frozen=True)
class Config:
    """textcrm.yaml: the sales process and the settings that every command uses."""

    stages: tuple[Stage, ...]
    currency: str = "USD"
    locale: str = "en_US"
    stale_after_days: int = 7
    follow_up_horizon_days: int | None = None
    owners: tuple[Owner, ...] | None = None
    rules: Mapping[str, str] = field(default_factory=dict)
    company: Company | None = None
    paper: str = "A4"
    rates: Mapping[str, Decimal] = field(default_factory=dict)
    site: Mapping[str, Any] = field(default_factory=dict)
    timezone: str = "UTC"
    edit_url: str = ""
    quotas: Quotas | None = None

    def __post_init__(self) -> None:
        # A lookup table: stage(key) runs for every opportunity in every check.
        object.__setattr__(self, "_stages_by_key", {s.key: s for s in reversed(self.stages)})

    def stage(self, key: str) -> Stage | None:
        return self._stages_by_key.get(key)  # type: ignore[attr-defined]

    def stage_index(self, key: str) -> int:
        """Position in the pipeline order; unknown stages sort last."""
        for i, s in enumerate(self.stages):
            if s.key == key:
                return i
        return len(self.stages)

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.is_open)

    def owner(self, key: str) -> Owner | None:
        for o in self.owners or ():
            if o.key == key:
                return o
        return None

    def stale_days(self, stage: Stage | None) -> int:
        if stage is not None and stage.stale_after_days is not None:
            return stage.stale_after_days
        return self.stale_after_days


@dataclass(frozen=True)
class Product:
    """A catalog entry."""

    sku: str
    name: str
    unit_price: Decimal
    unit: str = ""
    description: str = ""
    currency: str | None = None
    source_id: str = ""
    line: int = 1


@dataclass(frozen=True)
class Account:
    """A customer or prospect company."""

    id: str
    path: str
    name: str
    industry: str = ""
    website: str = ""
    owner: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    parent: str = ""
    employees: int | None = None
    tags: tuple[str, ...] = ()
    source_id: str = ""
    body: str = ""
    body_line: int = 1
    lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Contact:
    """A person, usually at an account."""

    id: str
    path: str
    name: str
    account: str = ""
    title: str = ""
    email: str = ""
    emails: tuple[str, ...] = ()
    phone: str = ""
    tags: tuple[str, ...] = ()
    source_id: str = ""
    body: str = ""
    body_line: int = 1
    lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Competitor:
    """A competitor, with its battlecard as body."""

    id: str
    path: str
    name: str
    website: str = ""
    tags: tuple[str, ...] = ()
    body: str = ""
    body_line: int = 1
    lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ContactRole:
    """A contact on an opportunity and the role they play in the decision."""

    contact: str | None = None
    role: str = ""
    primary: bool = False
    notes: str = ""
    line: int = 1
    # Fields given with a problem, or required and missing (already reported by `check`):
    # the record is partial, kept so that rules and outputs still see what is valid.
    invalid: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.invalid)


@dataclass(frozen=True)
class CompetitorEntry:
    """A competitor in an opportunity, with its status and what we know."""

    competitor: str | None = None
    status: str = ""
    notes: str = ""
    line: int = 1
    # Fields given with a problem, or required and missing (already reported by `check`):
    # the record is partial, kept so that rules and outputs still see what is valid.
    invalid: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.invalid)


@dataclass(frozen=True)
class DecisionIssue:
    """Something to settle before the customer can decide."""

    issue: str | None = None
    status: str = "open"
    owner: str = ""
    due: dt.date | None = None
    notes: str = ""
    line: int = 1
    # Fields given with a problem, or required and missing (already reported by `check`):
    # the record is partial, kept so that rules and outputs still see what is valid.
    invalid: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.invalid)

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"


@dataclass(frozen=True)
class LineItem:
    """A quote line. `unit_price` is the line's own price; `price` the one in force."""

    quantity: Decimal | None = None
    sku: str = ""
    name: str = ""
    description: str = ""
    unit: str = ""
    unit_price: Decimal | None = None
    discount: Discount | None = None
    line: int = 1
    # Fields given with a problem, or required and missing (already reported by `check`):
    # the record is partial, kept so that rules and outputs still see what is valid.
    invalid: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.invalid)

    @property
    def is_custom(self) -> bool:
        return not self.sku


@dataclass(frozen=True)
class PricedLine:
    """A line item resolved against the catalog, with its exact totals."""

    item: LineItem
    quantity: Decimal
    name: str
    description: str
    unit: str
    unit_price: Decimal
    gross: Decimal
    discount: Decimal
    total: Decimal


@dataclass(frozen=True)
class Activity:
    """Something that happened on the deal: a call, an email, a meeting, ..."""

    date: dt.date | None = None
    type: str = "note"
    contact: str = ""
    summary: str = ""
    owner: str = ""
    message_id: str = ""
    uid: str = ""
    line: int = 1
    # Fields given with a problem, or required and missing (already reported by `check`):
    # the record is partial, kept so that rules and outputs still see what is valid.
    invalid: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.invalid)


@dataclass(frozen=True)
class Quote:
    """The quote sent to the customer."""

    number: str | None = None
    date: dt.date | None = None
    valid_until: dt.date | None = None
    terms: str = ""
    tax_rate: Decimal | None = None
    discount: Discount | None = None
    notes: str = ""
    currency: str | None = None
    line: int = 1
    # Fields given with a problem, or required and missing (already reported by `check`):
    # the record is partial, kept so that rules and outputs still see what is valid.
    invalid: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.invalid)

    @property
    def named(self) -> str:
        """`quote Q-2026-0042` in messages, or `the quote` when its number is missing."""
        return f"quote {self.number}" if self.number else "the quote"


@dataclass(frozen=True)
class Opportunity:
    """One opportunity. Fields the file did not give are None or empty."""

    id: str
    path: str
    title: str = ""
    account: str = ""
    owner: str = ""
    stage: str = ""
    close_date: dt.date | None = None
    probability: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None
    created: dt.date | None = None
    next_step: str = ""
    follow_up: dt.date | None = None
    forecast: str | None = None
    tags: tuple[str, ...] = ()
    contacts: tuple[ContactRole, ...] = ()
    competitors: tuple[CompetitorEntry, ...] = ()
    decision_issues: tuple[DecisionIssue, ...] = ()
    line_items: tuple[LineItem, ...] = ()
    activities: tuple[Activity, ...] = ()
    quote: Quote | None = None
    lost_reason: str = ""
    source_id: str = ""
    body: str = ""
    body_line: int = 1
    lines: Mapping[str, int] = field(default_factory=dict)
    # Fields given with a problem, or required and missing: already reported, so no rule
    # reports their consequences (a gate does not call an invalid quote missing).
    invalid: tuple[str, ...] = ()

    def has(self, name: str) -> bool:
        """True when the file gives the field, even with a value that failed to convert."""
        return name in self.lines

    def line_of(self, name: str) -> int:
        """The line of a field's key, or 1 (the file) when the field is absent."""
        return self.lines.get(name, 1)

    @property
    def last_activity(self) -> dt.date | None:
        return max((a.date for a in self.activities if a.date is not None), default=None)


@dataclass(frozen=True)
class Figures:
    """An opportunity's money as every output uses it (computed once, by `figures`)."""

    currency: str
    lines: tuple[PricedLine, ...]
    line_items_total: Decimal | None
    expected: Decimal
    probability: Decimal
    weighted: Decimal
    forecast: str


R = TypeVar("R")
_REQUIRED = object()  # marks a field without a default in a maker's template


def record_maker(cls: type[R]) -> Callable[[dict[str, Any]], R]:
    """A constructor for a frozen record class that takes a dict: `make(values)` equals
    `cls(**values)`, and raises TypeError as it would for an unknown or a missing field.

    The parser builds hundreds of thousands of records; a frozen dataclass's __init__ sets each
    field through object.__setattr__, which costs more than half again as much as filling the
    new instance's __dict__ in two calls. Not for a class with __post_init__ (it would be
    skipped).
    """
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        raise TypeError(f"record_maker needs a dataclass without __post_init__, not {cls}")
    template: dict[str, Any] = {}
    required: list[str] = []
    factories: list[tuple[str, Callable[[], Any]]] = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            template[f.name] = f.default
        else:
            template[f.name] = _REQUIRED
            if f.default_factory is not dataclasses.MISSING:
                factories.append((f.name, f.default_factory))
            else:
                required.append(f.name)
    size = len(template)
    # Inserted pair by pair, in the class's field order, the instance's __dict__ keeps the keys
    # it shares with every instance of the class (a dict copied at once would get its own keys
    # and take half again as much memory).
    pairs = tuple(template.items())
    new = object.__new__

    def make(values: dict[str, Any]) -> R:
        record = new(cls)
        state = record.__dict__
        state.update(pairs)  # every field, in the class's order
        state.update(values)
        if len(state) != size:
            unknown = sorted(set(values) - set(template))
            raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
        for name, factory in factories:
            if state[name] is _REQUIRED:
                state[name] = factory()
        for name in required:
            if state[name] is _REQUIRED:
                raise TypeError(f"{cls.__name__} needs {name}")
        return record

    return make


def price_lines(
    opp: Opportunity, catalog: Mapping[str, Product], currency: str
) -> tuple[PricedLine, ...]:
    """Resolve each line against the catalog and compute its exact, rounded totals.

    A partial line (one with a problem, reported by `check`) is left out: its total is not
    known until the problem is fixed.
    """
    priced = []
    for item in opp.line_items:
        if item.partial or item.quantity is None:
            continue
        product = catalog.get(item.sku) if item.sku else None
        price = item.unit_price
        if price is None:
            price = product.unit_price if product else Decimal(0)
        gross, off, net = line_total(item.quantity, price, item.discount, currency)
        priced.append(
            PricedLine(
                item=item,
                quantity=item.quantity,
                name=item.name or (product.name if product else item.sku),
                description=item.description or (product.description if product else ""),
                unit=item.unit or (product.unit if product else ""),
                unit_price=price,
                gross=gross,
                discount=off,
                total=net,
            )
        )
    return tuple(priced)


def figures(opp: Opportunity, config: Config, catalog: Mapping[str, Product]) -> Figures:
    """Expected revenue (line items' total, else amount), probability and weighted revenue."""
    currency = opp.currency or config.currency
    stage = config.stage(opp.stage)
    lines = price_lines(opp, catalog, currency)
    items_total = total(p.total for p in lines) if lines else None
    if items_total is not None:
        expected = items_total
    else:
        expected = round_money(opp.amount, currency) if opp.amount is not None else Decimal(0)
    probability = opp.probability
    if probability is None:
        probability = stage.probability if stage else Decimal(0)
    if stage is not None and stage.outcome == "lost" and opp.probability is None:
        probability = Decimal(0)
    forecast = opp.forecast or (stage.forecast if stage else "pipeline")
    return Figures(
        currency=currency,
        lines=lines,
        line_items_total=items_total,
        expected=expected,
        probability=probability,
        weighted=weighted(expected, probability, currency),
        forecast=forecast,
    )
