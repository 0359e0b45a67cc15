"""Find one record from what a user typed: an id, a unique id prefix, or words of its title."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textcrm.errors import NotFound

if TYPE_CHECKING:
    from textcrm.loader import Repository
    from textcrm.model import Opportunity


def find_opportunity(repo: Repository, name: str) -> Opportunity:
    """The opportunity named by id, unique id prefix, or title words; NotFound otherwise."""
    opps = repo.opportunities
    wanted = name.strip()
    if wanted.endswith(".md"):
        wanted = wanted.rsplit("/", 1)[-1][:-3]
    if wanted in opps:
        return opps[wanted]
    if not wanted:
        raise NotFound("no opportunity named ``; give an id, an id prefix or title words")
    candidates = sorted(i for i in opps if i.startswith(wanted))
    if not candidates:
        words = wanted.casefold().split()
        candidates = sorted(
            i for i, o in opps.items() if all(w in f"{o.title} {o.id}".casefold() for w in words)
        )
    if len(candidates) == 1:
        return opps[candidates[0]]
    if not candidates:
        raise NotFound(f"no opportunity matches `{name}`; `textcrm list` shows every id")
    shown = ", ".join(candidates[:8]) + (", ..." if len(candidates) > 8 else "")
    raise NotFound(
        f"`{name}` matches {len(candidates)} opportunities ({shown}); give more of the id or title"
    )
