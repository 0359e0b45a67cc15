"""The site's offline search index: one entry per record page, with the text it is found by."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from textcrm.model import Account, Competitor, Contact, Opportunity
from textcrm.site.views.common import Context, href

# Each record's notes count towards the search up to this many characters: the index is one
# file the browser loads whole, and 10,000 deals must stay a few megabytes.
SEARCH_NOTES_CHARS = 1000
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _search_text(*parts: str) -> str:
    return " ".join(" ".join(p.split()) for p in parts if p)


def _notes(body: str) -> str:
    """A record's notes as searchable text: comments (unpublished) left out, capped."""
    return " ".join(_COMMENT.sub(" ", body).split())[:SEARCH_NOTES_CHARS]


def search_index(ctx: Context) -> list[dict[str, str]]:
    """The site's offline search: one entry per record page, with the text it is found by
    (`t`: title or name, `k`: kind, `d`: what is shown under it, `s`: everything searched,
    `h`: the page, relative to the site's root)."""
    repo = ctx.repo
    out = [_opportunity_entry(ctx, o) for o in sorted(repo.opportunities.values(), key=_id)]
    out += [_account_entry(a) for a in sorted(repo.accounts.values(), key=_id)]
    out += [_contact_entry(ctx, c) for c in sorted(repo.contacts.values(), key=_id)]
    out += [_competitor_entry(c) for c in sorted(repo.competitors.values(), key=_id)]
    return out


def _id(record: Opportunity | Account | Contact | Competitor) -> str:
    return record.id


def _opportunity_entry(ctx: Context, opp: Opportunity) -> dict[str, str]:
    account = ctx.record_link("account", opp.account).text if opp.account else ""
    detail = " · ".join(
        p for p in (account, ctx.stage_name(opp.stage), ctx.owner_name(opp.owner)) if p
    )
    return {
        "k": "opportunity",
        "t": opp.title or opp.id,
        "d": detail,
        "h": href("opportunity", opp.id),
        "s": _search_text(opp.title, opp.id, account, opp.next_step, _notes(opp.body)),
    }


def _account_entry(acc: Account) -> dict[str, str]:
    return {
        "k": "account",
        "t": acc.name or acc.id,
        "d": acc.industry,
        "h": href("account", acc.id),
        "s": _search_text(acc.name, acc.id, acc.industry, acc.website, _notes(acc.body)),
    }


def _contact_entry(ctx: Context, person: Contact) -> dict[str, str]:
    account = ctx.record_link("account", person.account).text if person.account else ""
    return {
        "k": "contact",
        "t": person.name or person.id,
        "d": " · ".join(p for p in (person.title, account) if p),
        "h": href("contact", person.id),
        "s": _search_text(
            person.name, person.id, person.title, person.email, account, _notes(person.body)
        ),
    }


def _competitor_entry(comp: Competitor) -> dict[str, str]:
    return {
        "k": "competitor",
        "t": comp.name or comp.id,
        "d": "",
        "h": href("competitor", comp.id),
        "s": _search_text(comp.name, comp.id, comp.website, _notes(comp.body)),
    }


def search_script(ctx: Context, memo: dict[int, tuple[object, object, str]] | None = None) -> bytes:
    """assets/search-index.js: `search_index` as the script `encode.js_data` writes, with each
    entry encoded once. `memo` (kept by serve between rounds) holds each record's encoded
    entry with what it was made from; it is left holding this index's entries only."""
    from textcrm.encode import js_data

    if memo is None:
        return js_data(SEARCH_VARIABLE, search_index(ctx)).encode("ascii")
    repo = ctx.repo
    kept = dict(memo)
    memo.clear()
    parts: list[str] = []

    def entry(record: object, extra: object, make: Callable[[], dict[str, str]]) -> None:
        # A record object is the same one from round to round while its file is unchanged.
        got = kept.get(id(record))
        if got is None or got[0] is not record or got[1] != extra:
            got = (record, extra, _encoded(make()))
        memo[id(record)] = got
        parts.append(got[2])

    for opp in sorted(repo.opportunities.values(), key=_id):
        shown = (
            ctx.record_link("account", opp.account).text if opp.account else "",
            ctx.stage_name(opp.stage),
            ctx.owner_name(opp.owner),
        )
        entry(opp, shown, partial(_opportunity_entry, ctx, opp))
    for acc in sorted(repo.accounts.values(), key=_id):
        entry(acc, None, partial(_account_entry, acc))
    for person in sorted(repo.contacts.values(), key=_id):
        employer = ctx.record_link("account", person.account).text if person.account else ""
        entry(person, employer, partial(_contact_entry, ctx, person))
    for comp in sorted(repo.competitors.values(), key=_id):
        entry(comp, None, partial(_competitor_entry, comp))
    head, tail = js_data(SEARCH_VARIABLE, []).split("[]")
    return (head + "[" + ",".join(parts) + "]" + tail).encode("ascii")


SEARCH_VARIABLE = "TEXTCRM_SEARCH"


def _encoded(entry: dict[str, str]) -> str:
    """One entry as `encode.js_data` writes it inside its list."""
    from textcrm.encode import js_data

    text = js_data("X", entry)
    return text[len("window.X = ") : -len(";\n")]
