"""'Did you mean' suggestions for misspelt names, fast even against thousands of ids."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# difflib compares pairwise; against thousands of ids, first keep plausible candidates only.
_MAX_CANDIDATES = 400


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`; did you mean `x`?` for the closest known name, or '' when none is close."""
    if not name:
        return ""
    head = name[:3]
    candidates = [
        k for k in known if abs(len(k) - len(name)) <= 2 or (len(head) == 3 and k.startswith(head))
    ]
    if len(candidates) > _MAX_CANDIDATES:
        prefix = name[: max(3, len(name) // 2)]
        candidates = [k for k in candidates if k.startswith(prefix)][:_MAX_CANDIDATES]
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""
