"""Quotes: the exact quote figures and the frozen view model the quote template lays out.

`build_quote(repo, opp)` turns a loaded opportunity into a `QuoteView`; `render_quote_html`
renders it with `templates/quote.html` (the CRM repository's own copy first); `export` is
what `textcrm quote` runs. Money policy (docs/quotes.md): each line total is quantity x unit
price less its discount, rounded half-up to the currency's minor unit; the subtotal is the
sum of the rounded line totals; the order-level discount and the tax (on the discounted
subtotal) are each rounded the same way; the total is subtotal - discount + tax, so the
printed figures always add up. Importing this module does not import WeasyPrint or Jinja2.
"""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from textcrm import layout
from textcrm.diagnostics import Diagnostic, format_line
from textcrm.errors import EnvironmentFailure, TextcrmError, UsageError
from textcrm.model import Opportunity, price_lines
from textcrm.money import ZERO, Discount, percent_of, round_money, total

if TYPE_CHECKING:
    import jinja2

    from textcrm.repository import Repository

FORMATS = ("html", "pdf")
TEMPLATE = "quote.html"

# Errors that change what a quote would print (a line dropped, a price unknown, a field
# unreadable). Date and process rules (stale, close-date-past, stage-gate) do not.
BLOCKING_RULES = frozenset(
    {
        "yaml-syntax",
        "front-matter-missing",
        "unreadable-file",
        "missing-field",
        "invalid-value",
        "unknown-product",
        "unknown-account",
        "unknown-contact",
        "duplicate-sku",
        "currency-mismatch",
        "quote-without-line-items",
    }
)

_LOGO_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
_ECONOMIC_BUYER = "economic buyer"
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class QuoteError(TextcrmError):
    """The quote cannot be produced as asked (exit 1); the message says what to fix."""


class QuoteTemplateError(QuoteError):
    """The quote template (usually the CRM's own templates/quote.html) failed or was refused
    by the sandbox; the message names its file and line."""


@dataclass(frozen=True, slots=True)
class Party:
    """The seller or the buyer as printed: name, postal address lines and how to reach them."""

    name: str
    address: tuple[str, ...] = ()
    email: str = ""
    phone: str = ""
    website: str = ""
    tax_id: str = ""
    logo: str = ""  # a data: URI, so the HTML needs no other file

    @property
    def website_text(self) -> str:
        """The website as printed: without its scheme (`example.com`, not `https://...`)."""
        return self.website.split("://")[-1]


@dataclass(frozen=True, slots=True)
class Person:
    """A named person on the quote: the buyer's contact, or the seller's salesperson."""

    name: str
    title: str = ""
    role: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """One printed line: catalog data resolved, the line's overrides applied, money exact."""

    position: int
    sku: str
    name: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount: Discount | None
    gross: Decimal
    discount_amount: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    """The quote's figures, each rounded to the minor unit; total = subtotal - discount + tax."""

    currency: str
    subtotal: Decimal
    discount: Discount | None
    discount_amount: Decimal
    taxable: Decimal
    tax_rate: Decimal | None
    tax: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class QuoteView:
    """Everything quote.html prints, computed in Python; the template only lays it out.

    Dates are `date` objects and money is `Decimal` in `currency`; format them with the
    `date`, `money` and `number` filters in `locale`.
    """

    number: str
    date: datetime.date | None
    valid_until: datetime.date | None
    currency: str
    terms: str
    notes: str  # Markdown
    title: str
    opportunity_id: str
    locale: str
    paper: str
    seller: Party
    buyer: Party
    attention: Person | None
    salesperson: Person | None
    lines: tuple[QuoteLine, ...]
    totals: Totals

    @property
    def lang(self) -> str:
        """The page's language: the locale's language code (`de` for `de_DE`)."""
        return self.locale.split("_")[0]

    @property
    def file_stem(self) -> str:
        """The default output file name without extension: the quote number, made safe."""
        return _UNSAFE_FILE_CHARS.sub("-", self.number).strip(".-") or self.opportunity_id


def compute_totals(
    line_totals: Iterable[Decimal],
    discount: Discount | None,
    tax_rate: Decimal | None,
    currency: str,
) -> Totals:
    """Subtotal, order-level discount, tax on the discounted subtotal and total, all exact.

    `line_totals` are the already rounded line totals. The discount (a percentage of the
    subtotal, or an amount, never more than the subtotal) and the tax are rounded half-up
    to the currency's minor unit; the total is the sum of those rounded parts.
    """
    subtotal = round_money(total(line_totals), currency)
    nothing = round_money(ZERO, currency)  # 0 with the currency's decimals: 0.00, 0, 0.000
    off = discount.off(subtotal, currency) if discount is not None else nothing
    taxable = subtotal - off
    tax = round_money(percent_of(taxable, tax_rate), currency) if tax_rate is not None else nothing
    return Totals(
        currency=currency,
        subtotal=subtotal,
        discount=discount,
        discount_amount=off,
        taxable=taxable,
        tax_rate=tax_rate,
        tax=tax,
        total=taxable + tax,
    )


def quote_currency(repo: Repository, opp: Opportunity) -> str:
    """The quote's currency: its own, else the opportunity's, else textcrm.yaml's."""
    if opp.quote is not None and opp.quote.currency:
        return opp.quote.currency
    return opp.currency or repo.config.currency


def check_quotable(repo: Repository, opp: Opportunity) -> None:
    """Raise QuoteError unless `opp` has a quote: section and line items, and textcrm.yaml a
    company: section (the seller)."""
    if opp.quote is None:
        raise QuoteError(
            f"{opp.path} has no quote: section; add one, e.g. quote: {{number: Q-2026-0001, "
            "date: 2026-11-25, valid_until: 2026-12-31, terms: Net 30}"
        )
    if opp.quote.partial:
        raise QuoteError(
            f"{opp.path}:{opp.quote.line}: the quote cannot be issued: "
            f"{_fields(opp.quote.invalid)} missing or invalid (see `textcrm check`)"
        )
    if not opp.line_items:
        raise QuoteError(
            f"{opp.path} has no line items; a quote lists what is sold: add line_items"
        )
    for item in opp.line_items:
        if item.partial:
            raise QuoteError(
                f"{opp.path}:{item.line}: the quote cannot be issued: the line item's "
                f"{_fields(item.invalid)} missing or invalid (see `textcrm check`)"
            )
    if repo.config.company is None:
        raise QuoteError(
            "textcrm.yaml has no company: section; a quote prints the seller from it: add "
            "company: {name: ..., address: ..., email: ..., tax_id: ..., logo: ...}"
        )


def _fields(names: Sequence[str]) -> str:
    listed = ", ".join(f"`{n}`" for n in names)
    return f"{listed} {'is' if len(names) == 1 else 'are'}"


def build_quote(repo: Repository, opp: Opportunity) -> QuoteView:
    """The quote of `opp` as a view model; QuoteError when it cannot be printed.

    Refuses an opportunity without a `quote:` section (a quote needs its number, date and
    validity), without line items, or without `company:` in textcrm.yaml; reads the
    company logo (relative to the CRM root) into a data: URI.
    """
    check_quotable(repo, opp)
    config = repo.config
    assert opp.quote is not None and config.company is not None
    quote = opp.quote
    currency = quote_currency(repo, opp)
    priced = price_lines(opp, repo.products, currency)
    lines = tuple(
        QuoteLine(
            position=i,
            sku=p.item.sku,
            name=p.name,
            description=p.description,
            quantity=p.quantity,
            unit=p.unit,
            unit_price=p.unit_price,
            discount=p.item.discount,
            gross=p.gross,
            discount_amount=p.discount,
            total=p.total,
        )
        for i, p in enumerate(priced, start=1)
    )
    company = config.company
    seller = Party(
        name=company.name,
        address=_address(company.address),
        email=company.email,
        phone=company.phone,
        website=company.website,
        tax_id=company.tax_id,
        logo=_logo_uri(repo.root, company.logo) if company.logo else "",
    )
    account = repo.accounts.get(opp.account)
    buyer = Party(
        name=account.name if account else opp.account,
        address=_address(account.address) if account else (),
        email=account.email if account else "",
        phone=account.phone if account else "",
        website=account.website if account else "",
    )
    owner = config.owner(opp.owner)
    salesperson = (
        Person(name=owner.display, email=owner.email)
        if owner
        else (Person(name=opp.owner) if opp.owner else None)
    )
    return QuoteView(
        number=quote.number or "",
        date=quote.date,
        valid_until=quote.valid_until,
        currency=currency,
        terms=quote.terms,
        notes=quote.notes,
        title=opp.title,
        opportunity_id=opp.id,
        locale=config.locale,
        paper=config.paper,
        seller=seller,
        buyer=buyer,
        attention=_attention(repo, opp),
        salesperson=salesperson,
        lines=lines,
        totals=compute_totals(
            (line.total for line in lines), quote.discount, quote.tax_rate, currency
        ),
    )


def _address(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _attention(repo: Repository, opp: Opportunity) -> Person | None:
    """The primary contact, else the Economic Buyer: who the quote is addressed to."""
    chosen = next((c for c in opp.contacts if c.primary), None) or next(
        (c for c in opp.contacts if c.role.strip().casefold() == _ECONOMIC_BUYER), None
    )
    if chosen is None:
        return None
    contact = repo.contacts.get(chosen.contact) if chosen.contact else None
    if contact is None:
        return Person(name=chosen.contact or "", role=chosen.role)
    return Person(
        name=contact.name,
        title=contact.title,
        role=chosen.role,
        email=contact.email,
        phone=contact.phone,
    )


def _logo_uri(root: Path, logo: str) -> str:
    """The logo file as a data: URI; QuoteError when it is missing, not an image, or leads
    outside the repository (its bytes would be published with every quote)."""
    try:
        path = layout.resolve_inside(root, logo)
    except layout.OutsideRepository as exc:
        raise QuoteError(
            f"textcrm.yaml: company.logo `{logo}` {exc.reason}; it is not read: give the "
            "path of an image inside the repository"
        ) from None
    kind = _LOGO_TYPES.get(Path(logo).suffix.lower())
    if kind is None:
        raise QuoteError(
            f"textcrm.yaml: company.logo `{logo}` is not an image textcrm can embed "
            f"({', '.join(sorted(_LOGO_TYPES))})"
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise QuoteError(
            f"textcrm.yaml: company.logo `{logo}` not found in {root}; fix the path "
            "(relative to the folder of textcrm.yaml) or remove logo"
        ) from None
    except OSError as exc:
        raise QuoteError(
            f"textcrm.yaml: company.logo `{logo}` cannot be read: {exc.strerror or exc}"
        ) from None
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def blocking_problems(
    repo: Repository, opp: Opportunity, diagnostics: Sequence[Diagnostic]
) -> list[Diagnostic]:
    """Errors in the files a quote prints from that would make it wrong or incomplete."""
    files = {
        opp.path,
        layout.CATALOG_FILE,
        layout.CONFIG_FILE,
        layout.record_path("account", opp.account),
    }
    files.update(layout.record_path("contact", c.contact) for c in opp.contacts if c.contact)
    return [
        d
        for d in diagnostics
        if d.severity == "error" and d.code in BLOCKING_RULES and d.path in files
    ]


def render_quote_html(
    view: QuoteView, env: jinja2.Environment | Path | None, root: Path | None = None
) -> str:
    """The quote as one self-contained HTML page (CSS inlined, logo embedded).

    `env` is a template environment from `render.environment(root)`, or the CRM root (or
    None for the shipped templates only) to build one. A broken or refused template is a
    QuoteTemplateError naming the template's file (relative to `root`) and line.
    """
    from textcrm import render

    if env is None or isinstance(env, Path):
        root = root or env
        env = render.environment(env)
    try:
        return render.render(env, TEMPLATE, {"quote": view}, root)
    except render.TemplateFailed as exc:
        raise QuoteTemplateError(exc.message) from None


def output_path(view: QuoteView, fmt: str, output: Path | None, cwd: Path) -> Path:
    """Where to write: `output`, or the quote number with the format's extension in `cwd`
    (or inside `output` when that is an existing folder)."""
    default = f"{view.file_stem}.{fmt}"
    if output is None:
        return cwd / default
    target = output if output.is_absolute() else cwd / output
    if target.is_dir():
        return target / default
    return target


def expiry_warning(repo: Repository, name: str, today: datetime.date) -> str | None:
    """The quote-expired rule's message when OPPORTUNITY's quote has expired as of today."""
    from textcrm.deals import quote_expired, quote_expired_advice
    from textcrm.lookup import find_opportunity

    opp = find_opportunity(repo, name)
    if opp.quote is None or not quote_expired(repo.config, opp, today):
        return None
    return quote_expired_advice(opp.quote, today) + f" (today is {today})"


def export(
    repo: Repository,
    diagnostics: Sequence[Diagnostic],
    name: str,
    fmt: str,
    output: Path | None,
    cwd: Path,
) -> tuple[Path, QuoteView]:
    """Find the opportunity, build its quote, render it and write it atomically.

    Returns the path written and the view. Every failure raises a TextcrmError before any
    file is created, and the write itself goes through a temporary file and a rename.
    """
    from textcrm.fsutil import atomic_write
    from textcrm.lookup import find_opportunity

    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt}: choose html or pdf")
    opp = find_opportunity(repo, name)
    check_quotable(repo, opp)
    problems = blocking_problems(repo, opp, diagnostics)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise QuoteError(
            f"cannot quote {opp.id}: {format_line(first)}{more}; run `textcrm check` and fix "
            "it first"
        )
    view = build_quote(repo, opp)
    target = output_path(view, fmt, output, cwd)
    if not target.parent.is_dir():
        raise QuoteError(f"cannot write {target}: folder {target.parent} does not exist")
    html = render_quote_html(view, repo.root)
    if fmt == "pdf":
        from textcrm.pdf import html_to_pdf

        data = html_to_pdf(html, repo.root)
    else:
        data = html.encode("utf-8")
    try:
        atomic_write(target, data)
    except OSError as exc:
        left = f"{target} was left as it was" if target.exists() else "no file was created"
        raise EnvironmentFailure(f"cannot write {target}", exc, left) from None
    return target, view
