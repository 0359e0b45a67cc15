"""Find a record the user named on the command line: by id, a unique id prefix, or title words."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from textcrm.errors import NotFound, TextcrmError

if TYPE_CHECKING:
    from textcrm.loader import Repository
    from textcrm.model import Opportunity

# How many candidates an "ambiguous" message lists before it says "and N more".
_SHOWN = 8


class Unreadable(TextcrmError):
    """The record's file exists but has errors that keep it from being read."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} has errors that keep it from being read; run `textcrm check {path}`"
        )


class AmbiguousName(NotFound):
    """The name matches several records; `candidates` are their ids, sorted."""

    def __init__(self, name: str, candidates: list[str]) -> None:
        shown = ", ".join(candidates[:_SHOWN])
        more = f" and {len(candidates) - _SHOWN} more" if len(candidates) > _SHOWN else ""
        super().__init__(
            f"`{name}` matches {len(candidates)} opportunities: {shown}{more}; "
            "name one of these ids"
        )
        self.candidates = candidates


class UnknownName(NotFound):
    """No record matches the name; `candidates` are close ids, best first."""

    def __init__(self, name: str, candidates: list[str]) -> None:
        hint = f"; did you mean `{candidates[0]}`?" if candidates else ""
        super().__init__(f"no opportunity `{name}` in opportunities/{hint}")
        self.candidates = candidates


def find_opportunity(repo: Repository, name: str) -> Opportunity:
    """The opportunity named by its id, a unique prefix of its id, or words of its title.

    In that order: an exact id wins even when it is also the prefix of other ids; a prefix
    that fits several ids is ambiguous (AmbiguousName lists them); otherwise every word
    must occur in the title (case-insensitive), and that must single out one opportunity.
    Raises UnknownName (with a "did you mean") when nothing matches.
    """
    opportunities = repo.opportunities
    key = name.strip()
    if key.endswith(".md"):
        # A path such as opportunities/acme.md, as shells complete it.
        key = key.rsplit("/", 1)[-1][: -len(".md")]
    if key in opportunities:
        return opportunities[key]
    if repo.exists("opportunity", key):
        raise Unreadable(f"opportunities/{key}.md")
    ids = sorted(opportunities)
    if key:
        prefixed = [i for i in ids if i.startswith(key)]
        if len(prefixed) == 1:
            return opportunities[prefixed[0]]
        if prefixed:
            raise AmbiguousName(key, prefixed)
        words = key.casefold().split()
        titled = [i for i in ids if all(w in opportunities[i].title.casefold() for w in words)]
        if len(titled) == 1:
            return opportunities[titled[0]]
        if titled:
            raise AmbiguousName(key, titled)
    raise UnknownName(key, difflib.get_close_matches(key, ids, n=3, cutoff=0.6))
