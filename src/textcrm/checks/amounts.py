"""Money checks: amount against line items, quotes need lines, one currency per quote, and
promised prices written into the deal."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING

from textcrm.diagnostics import Diagnostic
from textcrm.money import plain, round_money
from textcrm.rules import default_severity

if TYPE_CHECKING:
    from textcrm.model import LineItem, Opportunity, Product
    from textcrm.repository import Repository


def amount_mismatch(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        if opp.amount is None or not opp.line_items or any(i.partial for i in opp.line_items):
            continue  # a partial line's total is unknown: its own problem is reported
        fig = repo.figures(opp)
        if fig.line_items_total is None:
            continue
        if round_money(opp.amount, fig.currency) != fig.line_items_total:
            yield Diagnostic(
                opp.path,
                opp.line_of("amount"),
                1,
                "amount-mismatch",
                default_severity("amount-mismatch"),
                f"amount {plain(opp.amount)} differs from the line items' total "
                f"{fig.line_items_total} {fig.currency}; the line items count as expected "
                "revenue: remove amount or make them agree",
            )


def quote_without_line_items(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        if opp.has("quote") and not opp.has("line_items"):
            yield Diagnostic(
                opp.path,
                opp.line_of("quote"),
                1,
                "quote-without-line-items",
                default_severity("quote-without-line-items"),
                "the opportunity has a quote but no line items; a quote lists what is sold: "
                "add line_items or remove the quote",
            )


def currency_mismatch(repo: Repository, today: date) -> Iterator[Diagnostic]:
    default = repo.config.currency
    for opp in repo.checked_opportunities():
        if "currency" in opp.invalid or (opp.quote and "currency" in opp.quote.invalid):
            continue  # the currency's own problem is reported; it is not known yet
        currency = (opp.quote.currency if opp.quote and opp.quote.currency else None) or (
            opp.currency or default
        )
        for item in opp.line_items:
            product = repo.products.get(item.sku) if item.sku else None
            if product is None or item.unit_price is not None or item.partial:
                continue  # a partial line is not priced until its problem is fixed
            product_currency = product.currency or default
            if product_currency != currency:
                yield Diagnostic(
                    opp.path,
                    item.line,
                    1,
                    "currency-mismatch",
                    default_severity("currency-mismatch"),
                    f"sku `{item.sku}` is priced in {product_currency} in the catalog but this "
                    f"opportunity is in {currency}; give the line its own unit_price in "
                    f"{currency}",
                )


def price_promised(repo: Repository, opp: Opportunity) -> bool:
    """True when the deal's prices have been promised: it has a quote, or it is closed."""
    return opp.quote is not None or not repo.is_open(opp)


def unpriced_lines(
    repo: Repository, opp: Opportunity, products: Mapping[str, Product] | None = None
) -> list[tuple[LineItem, Product]]:
    """The catalog lines of `opp` that give no unit_price of their own, with their product
    (from `products`, else the repository's catalog); lines whose sku is unknown or priced
    in another currency are left out (unknown-product and currency-mismatch cover them)."""
    catalog = repo.products if products is None else products
    currency = (opp.quote.currency if opp.quote and opp.quote.currency else None) or (
        opp.currency or repo.config.currency
    )
    found = []
    for item in opp.line_items:
        product = catalog.get(item.sku) if item.sku else None
        if product is None or item.unit_price is not None or item.partial:
            continue  # a partial line is not priced until its problem is fixed
        if (product.currency or repo.config.currency) == currency:
            found.append((item, product))
    return found


def unpriced_line(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        if not price_promised(repo, opp):
            continue
        why = (
            f"{opp.quote.named} has been issued"
            if opp.quote is not None
            else f"the deal is {opp.stage}"
        )
        for item, product in unpriced_lines(repo, opp):
            yield Diagnostic(
                opp.path,
                item.line,
                1,
                "unpriced-line",
                default_severity("unpriced-line"),
                f"sku `{item.sku}` takes its price from the catalog "
                f"({plain(product.unit_price)}) although {why}, so a catalog change would "
                f"re-price the deal; write it into the line: `textcrm pin-prices {opp.id}`",
            )
