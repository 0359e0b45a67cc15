"""Find an opportunity from what a user types: its id, a unique prefix of it, or title words."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textcrm import layout
from textcrm.errors import NotFound

if TYPE_CHECKING:
    from textcrm.loader import Repository
    from textcrm.model import Opportunity

_WORD = re.compile(r"\w+")


class Ambiguous(NotFound):
    """The name matches more than one opportunity; `candidates` are their ids."""

    def __init__(self, name: str, candidates: list[str], titles: dict[str, str]) -> None:
        listing = "\n".join(f"  {c}  ({titles.get(c, '')})" for c in candidates)
        super().__init__(
            f"`{name}` matches {len(candidates)} opportunities; nothing changed. "
            f"Name one of them by its id:\n{listing}"
        )
        self.candidates = candidates


def _bare(name: str) -> str:
    name = name.strip()
    if name.startswith(layout.KIND_FOLDER["opportunity"] + "/"):
        name = name.split("/", 1)[1]
    return name.removesuffix(".md")


def matching_id_prefix(ids: Iterable[str], name: str) -> list[str]:
    """The exact id `name` gives, else the ids it prefixes; needs no file to be parsed."""
    ids = sorted(ids)
    name = _bare(name)
    if not name:
        return []
    if name in ids:
        return [name]
    return [i for i in ids if i.startswith(name)]


def title_words(name: str) -> list[str]:
    """The lower-case words of a name, as matched against titles."""
    return [w.lower() for w in _WORD.findall(_bare(name))]


def matching_ids(repo: Repository, name: str) -> list[str]:
    """The ids `name` designates: the exact id, else ids it prefixes, else titles holding
    all its words (case-insensitive)."""
    ids = sorted(repo.ids.get("opportunity", frozenset()))
    by_id = matching_id_prefix(ids, name)
    if by_id:
        return by_id
    words = title_words(name)
    if not words:
        return []
    found = []
    for opp_id in ids:
        opp = repo.opportunities.get(opp_id)
        title = (opp.title if opp else "").lower()
        if all(w in title for w in words):
            found.append(opp_id)
    return found


def find_opportunity(repo: Repository, name: str) -> Opportunity:
    """The one opportunity `name` designates; NotFound (with candidates) otherwise."""
    found = matching_ids(repo, name)
    titles = {i: o.title for i, o in repo.opportunities.items()}
    if len(found) > 1:
        raise Ambiguous(name, found, titles)
    if not found:
        ids = sorted(repo.ids.get("opportunity", frozenset()))
        close = difflib.get_close_matches(name, ids, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
        raise NotFound(f"no opportunity matches `{name}` (by id, id prefix or title words){hint}")
    opp = repo.opportunities.get(found[0])
    if opp is None:
        path = layout.record_path("opportunity", found[0])
        raise NotFound(
            f"{path} cannot be read as an opportunity; run `textcrm check {path}` and fix it"
        )
    return opp
