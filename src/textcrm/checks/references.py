"""Reference checks: every id, sku, stage and owner named in a record must exist.

The rules that read other files (unknown-account, -contact, -competitor, duplicate-quote-number,
contact-account-mismatch) work on each file's `References`, so the results cache can run them
without the records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from sys import intern
from typing import TYPE_CHECKING, Any, NamedTuple

from textcrm import layout
from textcrm.diagnostics import Diagnostic
from textcrm.rules import default_severity
from textcrm.suggest import did_you_mean as _did_you_mean

if TYPE_CHECKING:
    from textcrm.model import Contact, Opportunity
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
    yield from unresolved(checked_references(repo), repo.ids, "unknown-account")


def unknown_contact(repo: Repository, today: date) -> Iterator[Diagnostic]:
    yield from unresolved(checked_references(repo), repo.ids, "unknown-contact")


def unknown_competitor(repo: Repository, today: date) -> Iterator[Diagnostic]:
    yield from unresolved(checked_references(repo), repo.ids, "unknown-competitor")


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
    yield from duplicate_quotes(checked_references(repo), repo.quote_holders())


def contact_account_mismatch(repo: Repository, today: date) -> Iterator[Diagnostic]:
    contacts = repo.contacts
    accounts = {name: contacts[name].account for name in _named_contacts(repo, contacts)}
    yield from account_mismatches(checked_references(repo), accounts)


def _named_contacts(repo: Repository, contacts: Mapping[str, Contact]) -> Iterator[str]:
    """The parsed contacts named by the checked opportunities' contact roles."""
    for opp in repo.checked_opportunities():
        for role in opp.contacts:
            if role.contact is not None and role.contact in contacts:
                yield role.contact


# --- the cross-file rules, on each file's References (shared with the results cache) -------


class References(NamedTuple):
    """What the cross-file rules read of one record file: the ids it names (with the form of
    the naming, which words the message, and its line), its account and its quote number.

    `names` is flat, (form, id, line) after (form, id, line), and the ids are interned: the
    results cache keeps one per file of a large repository, and loads them on every check.
    """

    kind: str
    account: str
    names: tuple[str | int, ...]
    quote: tuple[str, int] | None

    def named(self) -> Iterator[tuple[str, str, int]]:
        """(form, id, line) for each id the file names."""
        it = iter(self.names)
        return zip(it, it, it, strict=True)  # type: ignore[arg-type]


# form of a naming -> (the kind of record named, the rule that reports it when missing)
FORMS: Mapping[str, tuple[str, str]] = {
    "account": ("account", "unknown-account"),
    "parent": ("account", "unknown-account"),
    "contact": ("contact", "unknown-contact"),
    "activity": ("contact", "unknown-contact"),
    "competitor": ("competitor", "unknown-competitor"),
}


def references_of(kind: str, record: Any) -> References:
    """The References of one parsed record."""
    names: list[str | int] = []
    if kind == "opportunity":
        opp: Opportunity = record
        if opp.account:
            names += ("account", intern(opp.account), opp.line_of("account"))
        for role in opp.contacts:
            if role.contact is not None:
                names += ("contact", intern(role.contact), role.line)
        for activity in opp.activities:
            if activity.contact:
                names += ("activity", intern(activity.contact), activity.line)
        for entry in opp.competitors:
            if entry.competitor is not None:
                names += ("competitor", intern(entry.competitor), entry.line)
        quote = None
        if opp.quote is not None and opp.quote.number is not None:
            quote = (opp.quote.number, opp.line_of("quote"))
        return References(kind, intern(opp.account), tuple(names), quote)
    if kind == "contact" and record.account:
        names += ("account", intern(record.account), record.lines.get("account", 1))
        return References(kind, intern(record.account), tuple(names), None)
    if kind == "account" and record.parent:
        names += ("parent", intern(record.parent), record.lines.get("parent", 1))
    return References(kind, "", tuple(names), None)


def checked_references(repo: Repository) -> Mapping[str, References]:
    """The References of the records in scope, by path (computed once: three rules ask)."""
    got = repo._memo.get("references")
    if got is None:
        got = {opp.path: references_of("opportunity", opp) for opp in repo.checked_opportunities()}
        for kind, table in (("contact", repo.contacts), ("account", repo.accounts)):
            for record in table.values():
                if repo.in_scope(record.path):
                    got[record.path] = references_of(kind, record)
        repo._memo["references"] = got
    return got


def unresolved(
    checked: Mapping[str, References], ids: Mapping[str, frozenset[str]], code: str | None = None
) -> Iterator[Diagnostic]:
    """`code` (unknown-account, -contact or -competitor; all three when None) for the checked
    files: each id they name of a record that has no file."""
    known = {form: ids.get(kind, frozenset()) for form, (kind, _rule) in FORMS.items()}
    for path, refs in checked.items():
        for form, name, line in refs.named():
            if name in known[form]:
                continue
            kind, rule = FORMS[form]
            if code is not None and rule != code:
                continue
            if form == "parent":
                message = f"parent account `{name}` does not exist"
            else:
                named = "activity contact" if form == "activity" else kind
                message = (
                    f"{named} `{name}` does not exist (no {layout.KIND_FOLDER[kind]}/{name}.md)"
                )
            yield _d(rule, path, line, message + _did_you_mean(name, known[form]))


def duplicate_quotes(
    checked: Mapping[str, References], holders: Mapping[str, Iterable[str]]
) -> Iterator[Diagnostic]:
    """duplicate-quote-number: the checked opportunities whose quote number other opportunities
    (`holders`: number -> paths of the opportunities loaded) also use."""
    for path, refs in checked.items():
        if refs.quote is None:
            continue
        number, line = refs.quote
        others = sorted(p for p in holders[number] if p != path)
        if others:
            yield _d(
                "duplicate-quote-number",
                path,
                line,
                f"quote number {number} is also used by {', '.join(others)}; "
                "give each quote its own number",
            )


def account_mismatches(
    checked: Mapping[str, References], accounts: Mapping[str, str]
) -> Iterator[Diagnostic]:
    """contact-account-mismatch: a checked opportunity's contact (`accounts`: contact id ->
    its account, for the contacts that parse) who works for another account."""
    for path, refs in checked.items():
        if refs.kind != "opportunity" or not refs.account:
            continue
        for form, contact, line in refs.named():
            works_for = accounts.get(contact) if form == "contact" else None
            if works_for and works_for != refs.account:
                yield _d(
                    "contact-account-mismatch",
                    path,
                    line,
                    f"contact `{contact}` works for `{works_for}`, not for this "
                    f"opportunity's account `{refs.account}`",
                )
