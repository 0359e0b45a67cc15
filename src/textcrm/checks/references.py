"""Reference checks: every id, sku, stage and owner named in a record must exist."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from textcrm.diagnostics import Diagnostic
from textcrm.rules import default_severity
from textcrm.suggest import did_you_mean as _did_you_mean

if TYPE_CHECKING:
    from textcrm.repository import Repository


def _d(code: str, path: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, 1, code, default_severity(code), message)


def unknown_stage(repo: Repository, today: date) -> Iterator[Diagnostic]:
    keys = [s.key for s in repo.config.stages]
    for opp in repo.checked_opportunities():
        if opp.stage and repo.config.stage(opp.stage) is None:
            yield _d(
                "unknown-stage",
                opp.path,
                opp.line_of("stage"),
                f"stage `{opp.stage}` is not a stage in textcrm.yaml"
                + _did_you_mean(opp.stage, keys)
                + f" (stages: {', '.join(keys)})",
            )


def unknown_account(repo: Repository, today: date) -> Iterator[Diagnostic]:
    known = repo.ids["account"]
    for opp in repo.checked_opportunities():
        if opp.account and not repo.exists("account", opp.account):
            yield _d(
                "unknown-account",
                opp.path,
                opp.line_of("account"),
                f"account `{opp.account}` does not exist (no accounts/{opp.account}.md)"
                + _did_you_mean(opp.account, known),
            )
    for contact in repo.contacts.values():
        if (
            repo.in_scope(contact.path)
            and contact.account
            and not repo.exists("account", contact.account)
        ):
            yield _d(
                "unknown-account",
                contact.path,
                contact.lines.get("account", 1),
                f"account `{contact.account}` does not exist "
                f"(no accounts/{contact.account}.md)" + _did_you_mean(contact.account, known),
            )
    for account in repo.accounts.values():
        if (
            repo.in_scope(account.path)
            and account.parent
            and not repo.exists("account", account.parent)
        ):
            yield _d(
                "unknown-account",
                account.path,
                account.lines.get("parent", 1),
                f"parent account `{account.parent}` does not exist"
                + _did_you_mean(account.parent, known),
            )


def unknown_contact(repo: Repository, today: date) -> Iterator[Diagnostic]:
    known = repo.ids["contact"]
    for opp in repo.checked_opportunities():
        for role in opp.contacts:
            if role.contact is not None and not repo.exists("contact", role.contact):
                yield _d(
                    "unknown-contact",
                    opp.path,
                    role.line,
                    f"contact `{role.contact}` does not exist "
                    f"(no contacts/{role.contact}.md)" + _did_you_mean(role.contact, known),
                )
        for activity in opp.activities:
            if activity.contact and not repo.exists("contact", activity.contact):
                yield _d(
                    "unknown-contact",
                    opp.path,
                    activity.line,
                    f"activity contact `{activity.contact}` does not exist "
                    f"(no contacts/{activity.contact}.md)" + _did_you_mean(activity.contact, known),
                )


def unknown_competitor(repo: Repository, today: date) -> Iterator[Diagnostic]:
    known = repo.ids["competitor"]
    for opp in repo.checked_opportunities():
        for entry in opp.competitors:
            if entry.competitor is not None and not repo.exists("competitor", entry.competitor):
                yield _d(
                    "unknown-competitor",
                    opp.path,
                    entry.line,
                    f"competitor `{entry.competitor}` does not exist "
                    f"(no competitors/{entry.competitor}.md)"
                    + _did_you_mean(entry.competitor, known),
                )


def unknown_product(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        for item in opp.line_items:
            if item.sku and item.sku not in repo.products:
                yield _d(
                    "unknown-product",
                    opp.path,
                    item.line,
                    f"sku `{item.sku}` is not in products.yaml"
                    + _did_you_mean(item.sku, repo.products)
                    + "; add it to the catalog, or drop the sku and give the line its own "
                    "name and unit_price",
                )


def unknown_owner(repo: Repository, today: date) -> Iterator[Diagnostic]:
    owners = repo.config.owners
    if owners is None:
        return
    keys = [o.key for o in owners]
    listing = ", ".join(keys)
    for opp in repo.checked_opportunities():
        if opp.owner and opp.owner not in keys:
            yield _d(
                "unknown-owner",
                opp.path,
                opp.line_of("owner"),
                f"owner `{opp.owner}` is not in textcrm.yaml's owners ({listing})"
                + _did_you_mean(opp.owner, keys),
            )
    for account in repo.accounts.values():
        if repo.in_scope(account.path) and account.owner and account.owner not in keys:
            yield _d(
                "unknown-owner",
                account.path,
                account.lines.get("owner", 1),
                f"owner `{account.owner}` is not in textcrm.yaml's owners ({listing})"
                + _did_you_mean(account.owner, keys),
            )


def duplicate_sku(repo: Repository, today: date) -> Iterator[Diagnostic]:
    if not repo.in_scope("products.yaml"):
        return
    first: dict[str, int] = {}
    for product in repo.product_list:
        if product.sku in first:
            yield _d(
                "duplicate-sku",
                "products.yaml",
                product.line,
                f"sku `{product.sku}` is already listed on line {first[product.sku]}; "
                "each sku appears once",
            )
        else:
            first[product.sku] = product.line


def duplicate_quote_number(repo: Repository, today: date) -> Iterator[Diagnostic]:
    holders = repo.quote_holders()
    for opp in repo.checked_opportunities():
        if opp.quote is None or opp.quote.number is None:
            continue
        others = sorted(p for p in holders[opp.quote.number] if p != opp.path)
        if others:
            yield _d(
                "duplicate-quote-number",
                opp.path,
                opp.line_of("quote"),
                f"quote number {opp.quote.number} is also used by {', '.join(others)}; "
                "give each quote its own number",
            )


def contact_account_mismatch(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        for role in opp.contacts:
            contact = repo.contacts.get(role.contact) if role.contact else None
            if contact and contact.account and opp.account and contact.account != opp.account:
                yield _d(
                    "contact-account-mismatch",
                    opp.path,
                    role.line,
                    f"contact `{role.contact}` works for `{contact.account}`, not for this "
                    f"opportunity's account `{opp.account}`",
                )
