"""Clean as you code: split a commit's problems into those it brings and those already at HEAD.

The hook loads the affected records twice through the loader, as committed (HEAD) and as
staged (the index), and compares. A problem in a record the commit does not change blocks it
only when the commit brings it (a catalog or textcrm.yaml change that breaks another deal).
A record the commit changes answers for its problems, except a date problem (a past close
date, a stale deal) that was already there and that the change does not make worse: the
person reassigning a colleague's stale deal is not the one who can log its next call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from textcrm.deals import last_touch
from textcrm.diagnostics import Diagnostic
from textcrm.model import Opportunity
from textcrm.repository import LoadResult, Repository


def _close_date(opp: Opportunity, today: date) -> Any:
    return opp.close_date


def _follow_up(opp: Opportunity, today: date) -> Any:
    return opp.follow_up


def _valid_until(opp: Opportunity, today: date) -> Any:
    return opp.quote.valid_until if opp.quote else None


def _touch(opp: Opportunity, today: date) -> Any:
    return last_touch(opp, today) or date.min


# What each date rule reads, and whether the staged value is no worse than the committed one.
_DATE_RULES: dict[str, tuple[Callable[[Opportunity, date], Any], Callable[[Any, Any], bool]]] = {
    "close-date-past": (_close_date, lambda old, new: new == old),
    "stale": (_touch, lambda old, new: new >= old),
    "follow-up-overdue": (_follow_up, lambda old, new: new == old),
    "quote-expired": (_valid_until, lambda old, new: new == old),
}


@dataclass(frozen=True)
class Judged:
    """A commit's problems, judged against HEAD."""

    blocking: list[Diagnostic]  # the commit's own problems: shown, and errors refuse it
    kept: list[Diagnostic]  # date problems of changed records, already there, not made worse
    earlier: list[Diagnostic]  # problems already at HEAD in records the commit does not change

    @property
    def errors(self) -> int:
        return sum(1 for d in self.blocking if d.severity == "error")


def judge(
    after: LoadResult,
    before: LoadResult | None,
    changed: Iterable[str],
    old_path: Mapping[str, str],
    today: date,
) -> Judged:
    """Sort the staged problems (`after`) by what HEAD (`before`, None before the first
    commit) already had. `changed` are the paths the commit adds or modifies; `old_path`
    maps a renamed record's new path to its path at HEAD."""
    edited = set(changed)
    earlier_by_path: dict[str, list[Diagnostic]] = {}
    for d in before.diagnostics if before is not None else ():
        earlier_by_path.setdefault(d.path, []).append(d)
    blocking: list[Diagnostic] = []
    kept: list[Diagnostic] = []
    earlier: list[Diagnostic] = []
    by_path: dict[str, list[Diagnostic]] = {}
    for d in after.diagnostics:
        by_path.setdefault(d.path, []).append(d)
    for path, found in by_path.items():
        was = earlier_by_path.get(old_path.get(path, path), [])
        old = _already(found, was)
        for d, pre in zip(found, old, strict=True):
            if path not in edited:
                (earlier if pre else blocking).append(d)
            elif pre and _no_worse(d, path, after, before, old_path, today):
                kept.append(d)
            else:
                blocking.append(d)
    return Judged(blocking, kept, earlier)


def _already(found: list[Diagnostic], was: list[Diagnostic]) -> list[bool]:
    """For each problem of a file, whether the file had it at HEAD: the same rule with the
    same message, else the same rule as often as before (its message may hold a threshold
    that a textcrm.yaml change moved). Lines are not compared: edits above move them."""
    same = Counter((d.code, d.message) for d in was)
    codes = Counter(d.code for d in was)
    marks: list[bool | None] = []
    for d in found:
        if same[(d.code, d.message)] > 0:
            same[(d.code, d.message)] -= 1
            codes[d.code] -= 1
            marks.append(True)
        else:
            marks.append(None)
    out = []
    for d, mark in zip(found, marks, strict=True):
        if mark is None:
            mark = codes[d.code] > 0
            if mark:
                codes[d.code] -= 1
        out.append(bool(mark))
    return out


def _opportunity(repo: Repository, path: str) -> Opportunity | None:
    return next((o for o in repo.opportunities.values() if o.path == path), None)


def _no_worse(
    d: Diagnostic,
    path: str,
    after: LoadResult,
    before: LoadResult | None,
    old_path: Mapping[str, str],
    today: date,
) -> bool:
    if before is None or d.code not in _DATE_RULES:
        return False
    new = _opportunity(after.repository, path)
    old = _opportunity(before.repository, old_path.get(path, path))
    if new is None or old is None:
        return False
    read, fine = _DATE_RULES[d.code]
    try:
        return bool(fine(read(old, today), read(new, today)))
    except TypeError:  # a date against None: the field appeared or vanished
        return False


def earlier_summary(earlier: list[Diagnostic]) -> str:
    """One line about the problems already at HEAD: how many, of which rules, in how many files."""
    codes = Counter(d.code for d in earlier)
    files = len({d.path for d in earlier})
    problems = "problem was" if len(earlier) == 1 else "problems were"
    which = ", ".join(
        f"{n} {code}" for code, n in sorted(codes.items(), key=lambda c: (-c[1], c[0]))
    )
    where = "record" if files == 1 else "records"
    return (
        f"{len(earlier)} {problems} already there before this commit, in {files} {where} it "
        f"does not change ({which}); they do not block it. `textcrm check` lists them."
    )


def kept_message(d: Diagnostic) -> str:
    """The note for a date problem that a changed record already had, not made worse."""
    return (
        f"already there before this commit, which does not make it worse, so it does not "
        f"block it; still to fix: {d.message}"
    )
