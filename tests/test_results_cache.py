"""The results cache: a warm `check` equals a cold one after every kind of change, recomputes
only what changed, trusts stats only when it may, and ignores a forged or corrupt cache."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from conftest import TODAY
from textcrm import console, layout, loader, results
from textcrm.cache import read_signed, write_signed
from textcrm.diagnostics import Diagnostic
from textcrm.loader import DiskReader

CONFIG = """\
currency: USD
stale_after_days: 7
follow_up_horizon_days: 30
owners: [alice, bob]
stages:
  - {key: prospecting,   name: Prospecting,   probability: 10,  forecast: pipeline}
  - {key: proposal,      name: Proposal,      probability: 60,  forecast: best_case, requires: [line_items, contacts]}
  - {key: negotiation,   name: Negotiation,   probability: 80,  forecast: commit,    requires: [quote], stale_after_days: 14}
  - {key: closed-won,    name: Closed Won,    probability: 100, forecast: closed,  outcome: won}
  - {key: closed-lost,   name: Closed Lost,   probability: 0,   forecast: omitted, outcome: lost}
"""

CATALOG = """\
products:
  - {sku: SCN-200, name: Handheld scanner, unit_price: 1100, unit: each}
  - {sku: SVC-DAY, name: Service day, unit_price: 950, unit: day}
"""

SCANNERS = """\
---
title: Acme Corp - warehouse scanners
account: acme-corp
owner: alice
stage: negotiation
close_date: 2026-12-10
created: 2026-09-01
follow_up: 2026-12-01
contacts:
  - {contact: jane-doe, role: Economic Buyer}
competitors:
  - {competitor: initech, status: incumbent}
line_items:
  - {sku: SCN-200, quantity: 10, unit_price: 1000}
  - {sku: SVC-DAY, quantity: 2}
activities:
  - {date: 2026-11-24, type: call, contact: jane-doe, summary: Walked through pricing}
quote: {number: Q-1, date: 2026-11-20, valid_until: 2026-12-05}
---
Notes.
"""

ROBOTS = """\
---
title: Globex - robots
account: globex-inc
owner: bob
stage: prospecting
close_date: 2026-12-03
created: 2026-11-01
amount: 90000
contacts:
  - {contact: john-roe, role: Champion}
activities:
  - {date: 2026-11-25, type: meeting, contact: john-roe, summary: Site visit}
---
"""

FILES: dict[str, str | bytes | None] = {
    "textcrm.yaml": CONFIG,
    "products.yaml": CATALOG,
    "accounts/acme-corp.md": "---\nname: Acme Corp\nowner: alice\n---\nNotes.\n",
    "accounts/globex-inc.md": "---\nname: Globex Inc\nparent: acme-corp\n---\n",
    "contacts/jane-doe.md": "---\nname: Jane Doe\naccount: acme-corp\n---\n",
    "contacts/john-roe.md": "---\nname: John Roe\naccount: globex-inc\n---\n",
    "competitors/initech.md": "---\nname: Initech\n---\n",
    "opportunities/acme-scanners.md": SCANNERS,
    "opportunities/globex-robots.md": ROBOTS,
    "opportunities/acme-renewal.md": """\
---
title: Acme Corp - support renewal
account: acme-corp
owner: bob
stage: closed-won
close_date: 2026-10-30
created: 2026-10-01
line_items:
  - {sku: SVC-DAY, quantity: 3}
---
""",
}

Run = Callable[..., Result]


def rendered(
    result: results.CheckResult | loader.LoadResult, fmt: str, root: Path, today: str
) -> str:
    """The library's answer rendered as `textcrm check` renders it (from the root)."""
    if fmt == "json":
        return console.render_json(result.diagnostics, result.checked, today, str(root))
    return console.render_text(result.diagnostics, result.checked, lambda p: p, False)


def assert_warm_equals_cold(
    run: Run, root: Path, scope: list[str] | None = None, today: str = TODAY
) -> str:
    """`check` through the results cache (the library, and the command) prints exactly what
    a full load (`loader.load`) gives, and what `check --no-cache` (every entry computed)
    prints, as text and as JSON; returns the text."""
    args = ["check", "--today", today, *(scope or [])]
    day = date.fromisoformat(today)
    full = loader.load(root, day, paths=scope, use_cache=False)
    texts = []
    for fmt in ("text", "json"):
        cold = run([*args, "--no-cache", "--format", fmt], cwd=root)
        command = run([*args, "--format", fmt], cwd=root)
        warm = results.check(root, day, paths=scope)
        assert cold.output == rendered(full, fmt, root, today)
        assert rendered(warm, fmt, root, today) == cold.output
        assert command.output == cold.output
        assert command.exit_code == cold.exit_code == (1 if warm.errors else 0)
        texts.append(cold.output)
    return texts[0]


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths whose entries a check through the results cache computes (parses), in
    order; the runs of `check --no-cache`, which compute every entry, are not counted."""
    seen: list[str] = []
    cached = [False]
    resolve, compute = results._Check._resolve, results.on_every_core

    def resolving(check: results._Check, paths: list[str]) -> None:
        cached[0] = check.store.folder is not None
        try:
            resolve(check, paths)
        finally:
            cached[0] = False

    def counting(work: Any, jobs: list[results.Job]) -> list[results.Entry]:
        if cached[0]:
            seen.extend(job[1] for job in jobs)
        return compute(work, jobs)

    monkeypatch.setattr(results._Check, "_resolve", resolving)
    monkeypatch.setattr(results, "on_every_core", counting)
    return seen


def warm_repo(make_repo: Callable[..., Path], run: Run) -> Path:
    root = make_repo(FILES, defaults=False)
    assert_warm_equals_cold(run, root)
    return root


def edit(root: Path, rel: str, text: str | None) -> None:
    path = root / rel
    if text is None:
        path.unlink()
    else:
        path.write_text(text, encoding="utf-8")


def test_nothing_changed_parses_nothing(
    make_repo: Callable[..., Path], run: Run, parsed: list[str]
):
    root = warm_repo(make_repo, run)
    parsed.clear()
    text = assert_warm_equals_cold(run, root)
    assert parsed == []
    assert "0 errors, 2 warnings in 3 opportunities" in text
    assert "[quote-expired]" not in text


@pytest.mark.parametrize(
    ("change", "expected_parsed", "expected"),
    [
        (
            {"opportunities/globex-robots.md": ROBOTS.replace("prospecting", "prospectin")},
            ["opportunities/globex-robots.md"],
            "stage `prospectin` is not a stage in textcrm.yaml; did you mean `prospecting`?",
        ),
        (
            {"opportunities/new-deal.md": ROBOTS.replace("Q-", "").replace("john-roe", "jon-roe")},
            ["opportunities/new-deal.md"],
            "contact `jon-roe` does not exist (no contacts/jon-roe.md); did you mean `john-roe`?",
        ),
        ({"opportunities/globex-robots.md": None}, [], "0 errors, 2 warnings in 2 opportunities"),
        (
            {"opportunities/acme-scanners.md": None, "opportunities/acme-scan.md": SCANNERS},
            ["opportunities/acme-scan.md"],
            "opportunities/acme-scan.md:15:1: warning: sku `SVC-DAY`",
        ),
        (
            {"opportunities/globex-robots.md": ROBOTS.replace("owner: bob", "owner: [bob")},
            ["opportunities/globex-robots.md"],
            "[yaml-syntax]",
        ),
        (
            {"accounts/globex-inc.md": None},
            [],
            "account `globex-inc` does not exist (no accounts/globex-inc.md)",
        ),
        (
            {"contacts/john-roe.md": "---\nname: John Roe\naccount: acme-corp\n---\n"},
            ["contacts/john-roe.md"],
            "contact `john-roe` works for `acme-corp`, not for this opportunity's account "
            "`globex-inc` [contact-account-mismatch]",
        ),
        (
            {
                "opportunities/globex-robots.md": ROBOTS.replace(
                    "amount: 90000\n", "amount: 90000\nquote: {number: Q-1, date: 2026-11-20}\n"
                )
            },
            ["opportunities/globex-robots.md"],
            "quote number Q-1 is also used by opportunities/acme-scanners.md",
        ),
        (
            {
                "products.yaml": CATALOG.replace(
                    "unit_price: 950, unit: day", "unit_price: 9, unit: day, currency: EUR"
                )
            },
            ["products.yaml", "opportunities/acme-scanners.md", "opportunities/acme-renewal.md"],
            "sku `SVC-DAY` is priced in EUR in the catalog but this opportunity is in USD",
        ),
        (
            {"products.yaml": CATALOG + "  - {sku: SCN-200, name: Again, unit_price: 1}\n"},
            ["products.yaml", "opportunities/acme-scanners.md", "opportunities/acme-renewal.md"],
            "sku `SCN-200` is already listed on line 2",
        ),
        (
            {"textcrm.yaml": CONFIG.replace("stale_after_days: 7", "stale_after_days: 2")},
            [
                "accounts/acme-corp.md",
                "accounts/globex-inc.md",
                "opportunities/acme-renewal.md",
                "opportunities/acme-scanners.md",
                "opportunities/globex-robots.md",
            ],
            "no activity since 2026-11-25 (3 days; stale after 2)",
        ),
        (
            {"textcrm.yaml": CONFIG.replace("owners: [alice, bob]", "owners: [alice]")},
            None,
            "owner `bob` is not in textcrm.yaml's owners (alice)",
        ),
        (
            {
                "textcrm.yaml": CONFIG
                + "rules:\n  close-date-past: error\n  created-after-close: off\n"
            },
            None,
            "error: close date 2026-12-03 is in the past",
        ),
    ],
    ids=[
        "edit",
        "add",
        "delete",
        "rename",
        "stops-parsing",
        "account-deleted",
        "contact-moves",
        "duplicate-quote",
        "catalog-currency",
        "catalog-duplicate-sku",
        "stale-days",
        "owners",
        "rules-overrides",
    ],
)
def test_warm_equals_cold_after_a_change(
    make_repo: Callable[..., Path],
    run: Run,
    parsed: list[str],
    change: dict[str, str | None],
    expected_parsed: list[str] | None,
    expected: str,
) -> None:
    root = warm_repo(make_repo, run)
    for rel, text in change.items():
        edit(root, rel, text)
    parsed.clear()
    today = "2026-12-04" if "rules" in change.get("textcrm.yaml", "") else TODAY
    text = assert_warm_equals_cold(run, root, today=today)
    assert expected in text
    if expected_parsed is not None:
        # The library's run parses these; the command's run after it, nothing.
        assert sorted(parsed) == sorted(expected_parsed)
    parsed.clear()
    assert_warm_equals_cold(run, root, today=today)
    assert parsed == []


def test_a_file_that_parses_again(make_repo: Callable[..., Path], run: Run) -> None:
    root = warm_repo(make_repo, run)
    edit(root, "opportunities/acme-scanners.md", SCANNERS.replace("stage: negotiation", "stage: ["))
    assert "[yaml-syntax]" in assert_warm_equals_cold(run, root)
    edit(root, "opportunities/acme-scanners.md", SCANNERS)
    assert "[yaml-syntax]" not in assert_warm_equals_cold(run, root)


@pytest.mark.parametrize(
    ("today", "expected", "expected_parsed"),
    [
        (
            "2026-12-02",
            "follow-up 2026-12-01 is overdue (today is 2026-12-02)",
            ["opportunities/acme-scanners.md", "opportunities/globex-robots.md"],
        ),
        (
            "2026-12-04",
            "close date 2026-12-03 is in the past (today is 2026-12-04)",
            ["opportunities/acme-scanners.md", "opportunities/globex-robots.md"],
        ),
        (
            "2026-12-06",
            "quote Q-1 expired on 2026-12-05",
            ["opportunities/acme-scanners.md", "opportunities/globex-robots.md"],
        ),
        (
            "2026-12-20",
            "[stale]",
            ["opportunities/acme-scanners.md", "opportunities/globex-robots.md"],
        ),
        (
            "2026-11-20",
            "activity dated 2026-11-24 is after today (2026-11-20)",
            [
                "opportunities/acme-renewal.md",
                "opportunities/acme-scanners.md",
                "opportunities/globex-robots.md",
            ],
        ),
    ],
)
def test_warm_equals_cold_across_days(
    make_repo: Callable[..., Path],
    run: Run,
    parsed: list[str],
    today: str,
    expected: str,
    expected_parsed: list[str],
) -> None:
    root = warm_repo(make_repo, run)
    parsed.clear()
    text = assert_warm_equals_cold(run, root, today=today)
    assert expected in text
    # Only the opportunities whose date findings may have changed since the first day
    # (globex-robots turns stale on 2026-12-02, acme-scanners' follow-up lapses then), and
    # every one on an earlier day; the closed deal's findings hold from the first day on,
    # and the other records' findings do not read today.
    assert sorted(parsed) == expected_parsed
    # And back: the findings of the first day are computed again, equal to a cold check.
    parsed.clear()
    assert "[stale]" not in assert_warm_equals_cold(run, root)
    assert sorted(parsed) == ["opportunities/acme-scanners.md", "opportunities/globex-robots.md"]


@pytest.mark.parametrize(
    "scope",
    [
        ["opportunities/globex-robots.md"],
        ["opportunities/acme-scanners.md", "products.yaml"],
        ["contacts/john-roe.md", "accounts/globex-inc.md"],
        ["opportunities"],
        ["textcrm.yaml"],
    ],
)
def test_scoped_checks_equal_cold_ones(
    make_repo: Callable[..., Path], run: Run, scope: list[str]
) -> None:
    root = warm_repo(make_repo, run)
    expanded = sorted(p for p in layout.discover(root) if any(p.startswith(s) for s in scope))
    assert_warm_equals_cold(run, root, scope=expanded)
    # A change outside the scope that shows inside it (a deleted account, a shared quote).
    edit(root, "accounts/globex-inc.md", None)
    edit(root, "contacts/john-roe.md", "---\nname: John Roe\naccount: acme-corp\n---\n")
    edit(
        root,
        "opportunities/other.md",
        ROBOTS.replace("amount: 90000\n", "amount: 1\nquote: {number: Q-1, date: 2026-11-20}\n"),
    )
    expanded = sorted(p for p in layout.discover(root) if any(p.startswith(s) for s in scope))
    assert_warm_equals_cold(run, root, scope=expanded)
    assert_warm_equals_cold(run, root)


class CountingReader(DiskReader):
    """A DiskReader that counts the files it reads."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: list[str] = []

    def read(self, relpath: str) -> bytes | Any:
        self.reads.append(relpath)
        return super().read(relpath)


def backdate(root: Path) -> None:
    """Give every file an old modification time (not racily clean against a new cache)."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(folder, name), ns=(1_700_000_000 * 10**9,) * 2)


def test_unchanged_stats_are_not_read(make_repo: Callable[..., Path], run: Run) -> None:
    root = make_repo(FILES, defaults=False)
    backdate(root)
    day = date.fromisoformat(TODAY)
    first = CountingReader(root)
    results.check(root, day, reader=first)
    assert "opportunities/acme-scanners.md" in first.reads
    second = CountingReader(root)
    warm = results.check(root, day, reader=second)
    assert second.reads == ["textcrm.yaml"]
    # A changed file is read (its stat changed), and only it.
    edit(root, "opportunities/globex-robots.md", ROBOTS.replace("Site visit", "Site tour"))
    third = CountingReader(root)
    assert results.check(root, day, reader=third).diagnostics == warm.diagnostics
    assert third.reads == ["textcrm.yaml", "opportunities/globex-robots.md"]
    assert_warm_equals_cold(run, root)


def test_a_racily_clean_file_is_read_again(make_repo: Callable[..., Path]) -> None:
    """A file modified at or after the moment the cache was written may change again within
    the same clock tick without changing its stat: it is read again, not trusted."""
    root = make_repo(FILES, defaults=False)
    backdate(root)
    day = date.fromisoformat(TODAY)
    results.check(root, day)
    (cache,) = (root / layout.CACHE_DIR).glob("results-*.pickle")
    late = cache.stat().st_mtime_ns + 3600 * 10**9
    os.utime(root / "opportunities/globex-robots.md", ns=(late, late))
    results.check(root, day)
    reader = CountingReader(root)
    results.check(root, day, reader=reader)
    assert reader.reads == ["textcrm.yaml", "opportunities/globex-robots.md"]


FORGED = Diagnostic("opportunities/globex-robots.md", 1, 1, "stale", "warning", "forged finding")


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "forged", "other-key"])
def test_a_forged_or_corrupt_cache_is_ignored(
    make_repo: Callable[..., Path],
    run: Run,
    parsed: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    damage: str,
) -> None:
    import pickle

    root = warm_repo(make_repo, run)
    (cache,) = (root / layout.CACHE_DIR).glob("results-*.pickle")
    blob = cache.read_bytes()

    def forge(entries: dict[str, results.Entry]) -> dict[str, results.Entry]:
        """Entries that hide every problem and report a made-up one."""
        return {
            path: entry._replace(found=(FORGED,), references=None)
            for path, entry in entries.items()
        }

    if damage == "corrupt":
        cache.write_bytes(blob[:32] + b"\x80\x05garbage")
    elif damage == "truncated":
        cache.write_bytes(blob[: len(blob) // 2])
    elif damage == "forged":
        cache.write_bytes(blob[:32] + pickle.dumps(forge(pickle.loads(blob[32:]))))
    else:
        # Signed, but under another user's key (a cache committed to the repository).
        mine = os.environ["XDG_CACHE_HOME"]
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
        results.check(root, date.fromisoformat(TODAY))
        write_signed(cache.parent, cache.name, forge(read_signed(cache)))
        monkeypatch.setenv("XDG_CACHE_HOME", mine)
    parsed.clear()
    text = assert_warm_equals_cold(run, root)
    assert "forged finding" not in text
    assert "opportunities/globex-robots.md" in parsed  # nothing in that cache was used


def test_a_new_day_parses_only_the_files_whose_findings_may_change(
    make_repo: Callable[..., Path], run: Run, parsed: list[str]
) -> None:
    """Each opportunity's findings hold until its next date threshold: globex-robots' quiet
    days reach the stage's 7 on 2026-12-02 and acme-scanners' follow-up lapses then; the
    closed deal's findings never change; the other records do not read today."""
    root = warm_repo(make_repo, run)
    for today in ("2026-11-29", "2026-11-30", "2026-12-01"):
        parsed.clear()
        assert_warm_equals_cold(run, root, today=today)
        assert parsed == []
    parsed.clear()
    assert "[stale]" in assert_warm_equals_cold(run, root, today="2026-12-02")
    assert sorted(parsed) == ["opportunities/acme-scanners.md", "opportunities/globex-robots.md"]
    # Both have findings that name today now: they are computed again the next day.
    parsed.clear()
    assert_warm_equals_cold(run, root, today="2026-12-03")
    assert sorted(parsed) == ["opportunities/acme-scanners.md", "opportunities/globex-robots.md"]


def test_consecutive_days_equal_a_full_load(
    make_repo: Callable[..., Path], parsed: list[str]
) -> None:
    """Day after day across every threshold of every date rule, the cached check equals a
    full load; and it parses a file again only on a day its findings may change."""
    files = dict(FILES)
    files.update(
        {
            "opportunities/created-late.md": "---\ntitle: Late\naccount: acme-corp\n"
            "stage: prospecting\nclose_date: 2026-11-25\ncreated: 2026-11-27\namount: 1\n---\n",
            "opportunities/never-touched.md": "---\ntitle: Quiet\naccount: acme-corp\n"
            "stage: prospecting\namount: 1\nfollow_up: 2026-12-15\n---\n",
            "opportunities/ahead.md": "---\ntitle: Ahead\naccount: acme-corp\nstage: prospecting\n"
            "close_date: 2027-01-20\ncreated: 2026-11-01\namount: 1\nactivities:\n"
            "  - {date: 2026-12-03, type: meeting, summary: Planned}\n---\n",
            "opportunities/bad-date.md": "---\ntitle: Typo\naccount: acme-corp\n"
            "stage: prospecting\nclose_date: 2026-12-28\ncreated: 2026-11-01\n"
            "follow_up: 2026-12-06\namount: 1\nactivities:\n"
            "  - {date: 2026-13-01, type: call, summary: Typo}\n---\n",
        }
    )
    root = make_repo(files, defaults=False)
    day = date(2026, 11, 20)
    codes: set[str] = set()
    while day <= date(2027, 1, 25):
        parsed.clear()
        warm = results.check(root, day)
        full = loader.load(root, day, use_cache=False)
        assert warm.diagnostics == full.diagnostics, day
        assert warm.checked == full.checked
        codes.update(d.code for d in warm.diagnostics)
        if day == date(2026, 11, 29):
            # The files with a finding that names today (a future activity, a close date
            # passed) hold for one day; every other file's findings of the 28th hold.
            assert sorted(parsed) == ["opportunities/ahead.md", "opportunities/created-late.md"]
        if day == date(2026, 12, 16):
            # never-touched's follow-up lapsed (it was its last firm day): stale now.
            assert "opportunities/never-touched.md" in parsed
        day += timedelta(days=1)
    assert {
        "close-date-past",
        "created-after-close",
        "stale",
        "follow-up-overdue",
        "activity-in-future",
        "quote-expired",
    } <= codes


class HelperFirst:
    """FileRules whose runs in the main process wait until a helper process has computed
    a chunk (so a small repository's work is certainly shared), noting each run's process."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.main = os.getpid()
        self.real = results.FileRules.__call__

    def run(self, rules: results.FileRules, jobs: list[results.Job]) -> list[Any]:
        mine = os.getpid()
        if mine == self.main and multiprocessing.active_children():  # the work is shared
            deadline = time.monotonic() + 60
            while not any(self.folder.glob("helper-*")) and time.monotonic() < deadline:
                time.sleep(0.01)
        got = self.real(rules, jobs)
        role = "main" if mine == self.main else "helper"
        (self.folder / f"{role}-{mine}-{jobs[0][1].replace('/', '_')}").touch()
        return got

    def roles(self) -> set[str]:
        return {p.name.partition("-")[0] for p in self.folder.iterdir()}


@pytest.mark.parametrize(
    "scope",
    [None, ["opportunities/globex-robots.md", "opportunities/broken.md"], ["products.yaml"]],
)
def test_the_work_shared_between_processes_equals_a_full_load(
    make_repo: Callable[..., Path],
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    scope: list[str] | None,
) -> None:
    """A cold check split between the main process and a helper, one file per chunk: the
    same text and JSON as a full load, files that do not parse and the catalog included."""
    files = dict(FILES)
    files["opportunities/broken.md"] = ROBOTS.replace("owner: bob", "owner: [bob")
    files["opportunities/no-front-matter.md"] = "Just notes.\n"
    files["products.yaml"] = CATALOG + "  - {sku: SCN-200, name: Again, unit_price: 1}\n"
    root = make_repo(files, defaults=False)
    marks = tmp_path / "marks"
    marks.mkdir()
    helper_first = HelperFirst(marks)
    monkeypatch.setattr(
        results.FileRules, "__call__", lambda rules, jobs: helper_first.run(rules, jobs)
    )
    monkeypatch.setattr(loader, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setattr(loader, "CHUNK", 1)
    monkeypatch.setattr(loader.os, "cpu_count", lambda: 2)
    text = assert_warm_equals_cold(run, root, scope=scope)
    if scope is None:
        assert helper_first.roles() == {"main", "helper"}
        assert "[yaml-syntax]" in text
        assert "sku `SCN-200` is already listed on line 2" in text
    # And warm, after it: nothing more to compute, the same answer.
    assert assert_warm_equals_cold(run, root, scope=scope) == text
