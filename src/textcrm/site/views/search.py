"""The site's offline search index: one entry per record page, with the text it is found by."""

from __future__ import annotations

import re

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
    out: list[dict[str, str]] = []
    for opp in sorted(repo.opportunities.values(), key=lambda o: o.id):
        account = ctx.record_link("account", opp.account).text if opp.account else ""
        detail = " · ".join(
            p for p in (account, ctx.stage_name(opp.stage), ctx.owner_name(opp.owner)) if p
        )
        out.append(
            {
                "k": "opportunity",
                "t": opp.title or opp.id,
                "d": detail,
                "h": href("opportunity", opp.id),
                "s": _search_text(opp.title, opp.id, account, opp.next_step, _notes(opp.body)),
            }
        )
    for acc in sorted(repo.accounts.values(), key=lambda a: a.id):
        out.append(
            {
                "k": "account",
                "t": acc.name or acc.id,
                "d": acc.industry,
                "h": href("account", acc.id),
                "s": _search_text(acc.name, acc.id, acc.industry, acc.website, _notes(acc.body)),
            }
        )
    for person in sorted(repo.contacts.values(), key=lambda c: c.id):
        account = ctx.record_link("account", person.account).text if person.account else ""
        out.append(
            {
                "k": "contact",
                "t": person.name or person.id,
                "d": " · ".join(p for p in (person.title, account) if p),
                "h": href("contact", person.id),
                "s": _search_text(
                    person.name, person.id, person.title, person.email, account, _notes(person.body)
                ),
            }
        )
    for comp in sorted(repo.competitors.values(), key=lambda c: c.id):
        out.append(
            {
                "k": "competitor",
                "t": comp.name or comp.id,
                "d": "",
                "h": href("competitor", comp.id),
                "s": _search_text(comp.name, comp.id, comp.website, _notes(comp.body)),
            }
        )
    return out
