"""Addresses to contacts, and contacts to the one open opportunity an activity belongs to."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textcrm.errors import UsageError

if TYPE_CHECKING:
    from textcrm.model import Contact, Opportunity
    from textcrm.repository import Repository


@dataclass(frozen=True)
class Person:
    """Someone named in a message or an event: a display name (may be empty) and an address."""

    name: str
    address: str


@dataclass(frozen=True)
class Match:
    """The people of a message or event: those who are contacts (in order) and those who are
    not (our own team, textcrm.yaml's owners and company, is neither)."""

    known: tuple[tuple[Person, Contact], ...]
    unknown: tuple[Person, ...]

    @property
    def contacts(self) -> tuple[Contact, ...]:
        seen: dict[str, Contact] = {}
        for _person, contact in self.known:
            seen.setdefault(contact.id, contact)
        return tuple(seen.values())


class Undecided(UsageError):
    """No single opportunity to log on; the message lists the candidates (exit 2)."""


def bare(text: str) -> str:
    """An address as written, without `mailto:` (any case), angle brackets and spaces."""
    text = text.strip()
    if text[:7].casefold() == "mailto:":
        text = text[7:]
    return text.strip().strip("<>").strip()


def address(text: str) -> str:
    """An address as compared: bare, in lower case."""
    return bare(text).casefold()


def contact_addresses(contact: Contact) -> set[str]:
    """Every address of a contact: `email` and the `emails` list."""
    found = {address(a) for a in (contact.email, *contact.emails) if a and a.strip()}
    return {a for a in found if a}


def directory(repo: Repository) -> dict[str, list[Contact]]:
    """Address -> the contacts that list it (usually one), in id order."""
    out: dict[str, list[Contact]] = {}
    for contact_id in sorted(repo.contacts):
        contact = repo.contacts[contact_id]
        for a in sorted(contact_addresses(contact)):
            out.setdefault(a, []).append(contact)
    return out


def our_addresses(repo: Repository) -> set[str]:
    """The team's own addresses (owners, the company): never contacts, never 'unknown'."""
    config = repo.config
    found = {address(o.email) for o in config.owners or () if getattr(o, "email", "")}
    if config.company is not None and config.company.email:
        found.add(address(config.company.email))
    return {a for a in found if a}


def match_people(repo: Repository, people: Iterable[Person]) -> Match:
    """Split `people` into known contacts and unknown addresses, each address once."""
    book = directory(repo)
    ours = our_addresses(repo)
    known: list[tuple[Person, Contact]] = []
    unknown: list[Person] = []
    seen: set[str] = set()
    for person in people:
        key = address(person.address)
        if not key or key in seen or key in ours:
            continue
        seen.add(key)
        found = book.get(key)
        if found:
            known.extend((person, c) for c in found)
        else:
            unknown.append(person)
    return Match(tuple(known), tuple(unknown))


def candidates(repo: Repository, contacts: Sequence[Contact]) -> list[Opportunity]:
    """Open opportunities of the contacts' accounts, or that name one of them in `contacts:`."""
    accounts = {c.account for c in contacts if c.account}
    ids = {c.id for c in contacts}
    return [
        opp
        for _, opp in sorted(repo.opportunities.items())
        if repo.is_open(opp)
        and (opp.account in accounts or any(role.contact in ids for role in opp.contacts))
    ]


def pick(repo: Repository, match: Match, named: str | None, what: str) -> Opportunity:
    """The opportunity to log `what` on: `named` (--opportunity), else the only candidate.

    Raises Undecided, listing the candidates, when there is none or more than one.
    """
    if named:
        from textcrm.lookup import find_opportunity

        return find_opportunity(repo, named)
    found = candidates(repo, match.contacts)
    if len(found) == 1:
        return found[0]
    who = ", ".join(c.id for c in match.contacts)
    if not match.contacts:
        raise Undecided(
            f"{what}: none of its addresses belongs to a contact, so there is no opportunity "
            "to log it on; nothing changed" + unknown_listing(repo, match.unknown)
        )
    if not found:
        raise Undecided(
            f"{what}: no open opportunity of {who} (their accounts' or naming them in "
            "`contacts:`); pass --opportunity ID; nothing changed"
        )
    listing = "".join(f"\n  {o.id}  {o.title}" for o in found)
    raise Undecided(
        f"{what}: {len(found)} open opportunities fit {who}; pass --opportunity ID with "
        f"one of them; nothing changed:{listing}"
    )


def choose_contact(opp: Opportunity, match: Match) -> str:
    """The contact the activity names: the first known person who belongs to the deal (its
    account or its `contacts:`), else the first known person; '' when nobody is known."""
    roles = {role.contact for role in opp.contacts}
    for _person, contact in match.known:
        if contact.id in roles or (contact.account and contact.account == opp.account):
            return contact.id
    return match.known[0][1].id if match.known else ""


def shown(text: str) -> str:
    """Text from a message or an event as printed to a terminal: control characters (an
    escape sequence in a display name) become `?`, runs of spaces one space."""
    return " ".join("".join(c if c.isprintable() else "?" for c in text).split())


def display_name(person: Person) -> str:
    """The person's name, or one made from the address (`jane.doe@x` -> `Jane Doe`)."""
    if person.name.strip():
        return shown(person.name)
    local = bare(person.address).split("@", 1)[0]
    words = local.replace(".", " ").replace("_", " ").replace("-", " ").split()
    return " ".join(w.capitalize() for w in words) or person.address


def _domain(text: str) -> str:
    text = address(text)
    if "@" in text:
        return text.rsplit("@", 1)[1]
    host = text.split("://", 1)[-1].split("/", 1)[0]
    return host.removeprefix("www.")


def guess_account(repo: Repository, person: Person) -> str:
    """The account whose people or website share the address's domain, when only one does."""
    domain = _domain(person.address)
    if not domain:
        return ""
    found = set()
    for contact in repo.contacts.values():
        if contact.account and any(_domain(a) == domain for a in contact_addresses(contact)):
            found.add(contact.account)
    for account in repo.accounts.values():
        if (account.email and _domain(account.email) == domain) or (
            account.website and _domain(account.website) == domain
        ):
            found.add(account.id)
    return found.pop() if len(found) == 1 else ""


def new_contact_command(repo: Repository, person: Person) -> str:
    """The `textcrm new contact` command that would make `person` a contact."""
    words = ["textcrm", "new", "contact", display_name(person)]
    account = guess_account(repo, person)
    if account:
        words += ["--account", account]
    words += ["--email", shown(bare(person.address))]
    return " ".join(shlex.quote(w) for w in words)


def unknown_listing(repo: Repository, people: Sequence[Person]) -> str:
    """Lines listing unknown addresses, each with the command that would create the contact."""
    if not people:
        return ""
    lines = ["", "addresses that are not contacts (create them with):"]
    lines += [f"  {new_contact_command(repo, p)}" for p in people]
    return "\n".join(lines)
