"""'Did you mean' suggestions for misspelt names, fast even against thousands of ids."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable

# difflib compares pairwise; against thousands of ids, only plausible candidates are compared.
_SMALL = 200
_MAX_CANDIDATES = 400


@functools.lru_cache(maxsize=16)
def _index(known: frozenset[str]) -> tuple[dict[str, list[str]], dict[int, list[str]]]:
    """Known names by their first three characters and by length (built once per set)."""
    by_head: dict[str, list[str]] = {}
    by_length: dict[int, list[str]] = {}
    for k in sorted(known):
        by_head.setdefault(k[:3], []).append(k)
        by_length.setdefault(len(k), []).append(k)
    return by_head, by_length


def close_names(name: str, known: Iterable[str], n: int = 1) -> list[str]:
    """Up to `n` known names closest to `name`, closest first; [] when none is close."""
    if not name:
        return []
    names = known if isinstance(known, frozenset) else frozenset(known)
    if len(names) <= _SMALL:
        candidates = sorted(names)
    else:
        by_head, by_length = _index(names)
        found = set(by_head.get(name[:3], ()) if len(name) >= 3 else ())
        for length in range(len(name) - 2, len(name) + 3):
            found.update(by_length.get(length, ()))
        candidates = sorted(found)
        if len(candidates) > _MAX_CANDIDATES:
            prefix = name[: max(3, len(name) // 2)]
            candidates = [k for k in candidates if k.startswith(prefix)][:_MAX_CANDIDATES]
    return difflib.get_close_matches(name, candidates, n=n, cutoff=0.6)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`; did you mean `x`?` for the closest known name, or '' when none is close."""
    close = close_names(name, known)
    return f"; did you mean `{close[0]}`?" if close else ""
