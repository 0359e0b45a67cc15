"""Find a record the user named on the command line: by id, a unique id prefix, or title words."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from textcrm.errors import NotFound, TextcrmError

if TYPE_CHECKING:
    from textcrm.model import Opportunity
    from textcrm.repository import Repository

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


def locate_opportunity(root: Path, today: date, name: str) -> tuple[Repository, Opportunity]:
    """The opportunity `name` designates in the working tree, as find_opportunity reads names,
    with the repository it was loaded from (without checks).

    Only the files that can match are parsed: the ids come from the file names, and a file
    can match title words only if its text holds them all.
    """
    from textcrm import layout
    from textcrm.loader import DiskReader, load

    paths = {
        c[1]: p
        for p in layout.discover(root)
        if (c := layout.classify(p)) and c[0] == "opportunity"
    }
    by_id = ids_by_prefix(paths, name)
    if by_id:
        scope = {paths[i] for i in by_id}
    else:
        words = title_words(name)
        scope = set()
        reader = DiskReader(root)
        for path in paths.values() if words else ():
            data = reader.read(path)
            text = data.decode("utf-8", "replace").casefold() if isinstance(data, bytes) else ""
            if all(w in text for w in words):
                scope.add(path)
    if not scope:
        raise unknown(name, paths)
    repo = load(root, today, paths=scope, use_cache=len(scope) > 200, run_checks=False).repository
    return repo, find_opportunity(repo, name)


def normalized(name: str) -> str:
    """The name as find_opportunity reads it: trimmed, a path reduced to its id."""
    key = name.strip()
    if key.endswith(".md"):
        key = key.rsplit("/", 1)[-1][: -len(".md")]
    return key


def ids_by_prefix(ids: Iterable[str], name: str) -> list[str]:
    """The exact id `name` gives, else the ids it prefixes: what needs no file parsed."""
    key = normalized(name)
    if not key:
        return []
    ids = sorted(ids)
    return [key] if key in ids else [i for i in ids if i.startswith(key)]


def title_words(name: str) -> list[str]:
    """The words find_opportunity looks for in titles (case-folded)."""
    return normalized(name).casefold().split()


def unknown(name: str, ids: Iterable[str]) -> UnknownName:
    """The UnknownName error for `name`, with close ids from `ids`."""
    key = normalized(name)
    return UnknownName(key, difflib.get_close_matches(key, sorted(ids), n=3, cutoff=0.6))
