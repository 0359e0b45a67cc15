"""`textcrm history`, `changes` and `check --at` on real git repositories with dated commits."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import git, write_files
from textcrm import history, loader
from textcrm.history import Amount, output, timeline
from textcrm.history import cache as history_cache


def opp(stage: str, close: str, amount: str, owner: str, extra: str = "") -> str:
    return (
        f"---\ntitle: Deal\naccount: acme-corp\nowner: {owner}\nstage: {stage}\n"
        f"close_date: {close}\namount: {amount}\n{extra}---\nNotes.\n"
    )


def commit(root: Path, when: str, message: str, author: str = "Alice") -> None:
    stamp = f"{when}T12:00:00+00:00"
    env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": author}
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, env=env)


@pytest.fixture
def pipeline(make_repo) -> Path:
    """A CRM with nine commits: a rename, a briefly invalid file, a branch merged, a deletion.

    C1 2026-10-01 add a (prospecting 10000), b (qualification 20000.50), c (negotiation 5000),
       d (proposal EUR 7000)
    C2 2026-10-10 b -> proposal, close 2026-12-15 -> 2026-12-29, amount 25000.25 (by Bob)
    C3 2026-10-20 rename a -> a2 and move it to qualification
    C4 2026-10-25 c broken (invalid YAML)
    C5 2026-10-26 c fixed, close 2026-11-30 -> 2027-01-15
    C6 2026-11-05 on branch `feature`: c won at 5200, e added (prospecting 3000)
    C7 2026-11-06 on main: d deleted, b close pulled in to 2026-12-20
    C8 2026-11-07 merge `feature` (by Carol)
    C9 2026-11-10 a2 amount 8000 and forecast best_case
    """
    root = make_repo(
        {
            "opportunities/a.md": opp("prospecting", "2026-12-01", "10000", "alice"),
            "opportunities/b.md": opp("qualification", "2026-12-15", "20000.50", "bob"),
            "opportunities/c.md": opp("negotiation", "2026-11-30", "5000", "alice"),
            "opportunities/d.md": opp("proposal", "2026-12-20", "7000", "bob", "currency: EUR\n"),
        }
    )
    git(root, "init", "-q", "-b", "main")
    commit(root, "2026-10-01", "Start the pipeline")
    write_files(root, {"opportunities/b.md": opp("proposal", "2026-12-29", "25000.25", "bob")})
    commit(root, "2026-10-10", "b: proposal sent", author="Bob")
    git(root, "mv", "opportunities/a.md", "opportunities/a2.md")
    write_files(root, {"opportunities/a2.md": opp("qualification", "2026-12-01", "10000", "alice")})
    commit(root, "2026-10-20", "a: qualified, renamed")
    write_files(root, {"opportunities/c.md": "---\ntitle: [broken\n---\n"})
    commit(root, "2026-10-25", "c: oops")
    write_files(root, {"opportunities/c.md": opp("negotiation", "2027-01-15", "5000", "alice")})
    commit(root, "2026-10-26", "c: fixed")
    git(root, "checkout", "-q", "-b", "feature")
    write_files(
        root,
        {
            "opportunities/c.md": opp("closed-won", "2027-01-15", "5200", "alice"),
            "opportunities/e.md": opp("prospecting", "2027-02-01", "3000", "alice"),
        },
    )
    commit(root, "2026-11-05", "c won; e found", author="Bob")
    git(root, "checkout", "-q", "main")
    (root / "opportunities/d.md").unlink()
    write_files(root, {"opportunities/b.md": opp("proposal", "2026-12-20", "25000.25", "bob")})
    commit(root, "2026-11-06", "d dropped; b pulled in")
    stamp = "2026-11-07T12:00:00+00:00"
    git(
        root,
        "merge",
        "-q",
        "--no-ff",
        "feature",
        "-m",
        "Merge feature",
        env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": "Carol"},
    )
    write_files(
        root,
        {
            "opportunities/a2.md": opp(
                "qualification", "2026-12-01", "8000", "alice", "forecast: best_case\n"
            )
        },
    )
    commit(root, "2026-11-10", "a2: smaller, best case")
    return root


def test_history_follows_renames_and_counts_stages(pipeline, run):
    result = run(["history", "a2", "--wide", "--today", "2026-11-28"], cwd=pipeline)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "a2: Deal (opportunities/a2.md)"
    # Dates in the locale's one format (en_US: `Oct 1, 2026`), the change as recorded.
    body = [" ".join(line.split()[:5]) + " | " + " ".join(line.split()[5:]) for line in lines[4:7]]
    assert body == [
        "Oct 1, 2026 Alice " + body[0].split()[4] + " | created: stage prospecting, close_date "
        "2026-12-01, expected $10,000.00, probability 10%, owner alice, forecast pipeline",
        "Oct 20, 2026 Alice " + body[1].split()[4] + " | stage: prospecting -> qualification; "
        "probability: 10% -> 25%; renamed from opportunities/a.md",
        "Nov 10, 2026 Alice " + body[2].split()[4] + " | expected: $10,000.00 -> $8,000.00; "
        "forecast: pipeline -> best_case",
    ]
    assert lines[8:] == [
        "days in current stage (qualification): 39",
        "days in past stages: prospecting 19",
        "close date moved 0 times: 0 pushed out by 0 days in all, 0 pulled in by 0 days in all",
        "age: 58 days (created Oct 1, 2026)",
    ]


def test_history_of_slips_and_invalid_version_and_merge(pipeline, run):
    b = run(["history", "b", "--today", "2026-11-28", "--format", "json"], cwd=pipeline)
    doc = json.loads(b.output)
    assert [
        (e["date"], e["author"], [(c["field"], c["old"], c["new"]) for c in e["changes"]])
        for e in doc["events"][1:]
    ] == [
        (
            "2026-10-10",
            "Bob",
            [
                ("stage", "qualification", "proposal"),
                ("close_date", "2026-12-15", "2026-12-29"),
                (
                    "expected",
                    {"amount": "20000.50", "currency": "USD"},
                    {"amount": "25000.25", "currency": "USD"},
                ),
                ("probability", "25%", "60%"),
                ("forecast", "pipeline", "best_case"),
            ],
        ),
        ("2026-11-06", "Alice", [("close_date", "2026-12-29", "2026-12-20")]),
    ]
    assert doc["close_date_moves"] == [
        {"date": "2026-10-10", "old": "2026-12-15", "new": "2026-12-29", "days": 14},
        {"date": "2026-11-06", "old": "2026-12-29", "new": "2026-12-20", "days": -9},
    ]
    assert doc["slips"] == 1
    assert doc["days_in_stages"] == {"qualification": 9, "proposal": 49}

    c = run(["history", "c", "--wide", "--today", "2026-11-28"], cwd=pipeline)
    rows = [line.split(None, 5) for line in c.output.splitlines()[4:8]]
    assert [(" ".join(r[:3]), r[3], r[5]) for r in rows] == [
        (
            "Oct 1, 2026",
            "Alice",
            "created: stage negotiation, close_date 2026-11-30, expected "
            "$5,000.00, probability 80%, owner alice, forecast commit",
        ),
        (
            "Oct 25, 2026",
            "Alice",
            "front matter invalid in this commit: not read (values carried over)",
        ),
        ("Oct 26, 2026", "Alice", "close_date: 2026-11-30 -> 2027-01-15"),
        (
            "Nov 7, 2026",
            "Carol",
            "stage: negotiation -> closed-won; expected: $5,000.00 -> "
            "$5,200.00; probability: 80% -> 100%; forecast: commit -> closed",
        ),
    ]
    assert "sales cycle: 37 days (created Oct 1, 2026, closed Nov 7, 2026)" in c.output


def test_history_of_deleted_opportunity_and_unknown(pipeline, run):
    d = run(["history", "opportunities/d.md", "--today", "2026-11-28"], cwd=pipeline)
    assert d.exit_code == 0
    assert d.output.splitlines()[0] == "d: Deal (opportunities/d.md) [deleted]"
    assert "Nov 6, 2026  Alice " in d.output and "deleted" in d.output
    assert "days in past stages: proposal 36" in d.output
    missing = run(["history", "zzz"], cwd=pipeline)
    assert missing.exit_code == 2
    assert "no opportunity `zzz` in the git history of this CRM" in missing.output


def test_changes_waterfall_reconciles_to_the_cent(pipeline, run):
    result = run(
        ["changes", "--since", "2026-11-01", "--today", "2026-11-28", "--format", "json"],
        cwd=pipeline,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["waterfall"] == {
        "EUR": {
            "start": "7000.00",
            "new": "0.00",
            "increases": "0.00",
            "decreases": "0.00",
            "won": "0.00",
            "lost": "0.00",
            "removed": "7000.00",
            "end": "0.00",
        },
        "USD": {
            "start": "40000.25",
            "new": "3000.00",
            "increases": "200.00",
            "decreases": "2000.00",
            "won": "5200.00",
            "lost": "0.00",
            "removed": "0.00",
            "end": "36000.25",
        },
    }
    assert doc["reconciles"] is True
    summary = {
        k: [(i["id"], i["amount"], i["detail"]) for i in doc[k]] for k in history.LISTS if doc[k]
    }
    assert summary == {
        "new": [("e", "3000.00", "in prospecting")],
        "won": [("c", "5200.00", "negotiation -> closed-won")],
        "pulled_in": [("b", "25000.25", "2026-12-29 -> 2026-12-20 (-9 days)")],
        "increased": [("c", "200.00", "5000.00 USD -> 5200.00 USD")],
        "decreased": [("a2", "2000.00", "10000.00 USD -> 8000.00 USD")],
        "deleted": [("d", "7000.00", "was proposal")],
        "stale": [("e", "3000.00", "stale as of 2026-11-28")],
    }
    assert doc["forecast_moves"] == [
        {"from": "pipeline", "to": "best_case", "currency": "USD", "amount": "8000.00"}
    ]


def test_changes_markdown_summary(pipeline, run):
    result = run(
        ["changes", "--since", "2026-11-01", "--today", "2026-11-28", "--format", "markdown"],
        cwd=pipeline,
    )
    lines = result.output.splitlines()
    # `$` is escaped: two of them on a line would start GitHub's math rendering.
    assert lines[2] == (
        "Moves \\$8,000.00 from pipeline to best case, adds 1 opportunity (\\$3,000.00), "
        "pulls 1 close date in, raises 1 amount (+\\$200.00), lowers 1 amount "
        "(-\\$2,000.00), closes 1 won (\\$5,200.00), deletes 1, adds 1 stale deal."
    )
    assert lines[4:14] == [
        "| | EUR | USD |",
        "|---|---:|---:|",
        "| **open pipeline at start** | €7,000.00 | $40,000.25 |",
        "| + new | €0.00 | $3,000.00 |",
        "| + increases | €0.00 | $200.00 |",
        "| - decreases | €0.00 | $2,000.00 |",
        "| - won | €0.00 | $5,200.00 |",
        "| - lost | €0.00 | $0.00 |",
        "| - removed | €7,000.00 | $0.00 |",
        "| **open pipeline at end** | €0.00 | $36,000.25 |",
    ]


def test_changes_between_dates_with_owner_and_invalid_endpoint(pipeline, run):
    # Until 2026-10-25: c is invalid in that commit, so its last valid version counts.
    result = run(
        [
            "changes",
            "--since",
            "2026-10-02",
            "--until",
            "2026-10-25",
            "--owner",
            "bob",
            "--format",
            "json",
        ],
        cwd=pipeline,
    )
    doc = json.loads(result.output)
    assert doc["waterfall"]["USD"] == {
        "start": "20000.50",
        "new": "0.00",
        "increases": "4999.75",
        "decreases": "0.00",
        "won": "0.00",
        "lost": "0.00",
        "removed": "0.00",
        "end": "25000.25",
    }
    assert [i["id"] for i in doc["advanced"]] == ["b"]
    assert [i["detail"] for i in doc["slipped"]] == ["2026-12-15 -> 2026-12-29 (+14 days)"]
    everyone = json.loads(
        run(
            ["changes", "--since", "2026-10-02", "--until", "2026-10-25", "--format", "json"],
            cwd=pipeline,
        ).output
    )
    assert everyone["waterfall"]["USD"]["end"] == "40000.25"  # a2 10000 + b + c 5000
    assert everyone["advanced"][0]["id"] == "a2"  # the renamed file is the same deal


def test_changes_since_a_ref_uses_the_merge_base(pipeline, run):
    git(pipeline, "checkout", "-q", "-b", "topic", "HEAD~1")
    write_files(
        pipeline, {"opportunities/b.md": opp("negotiation", "2027-01-10", "25000.25", "bob")}
    )
    commit(pipeline, "2026-11-12", "b: negotiating")
    result = run(
        ["changes", "--since", "main", "--format", "markdown", "--today", "2026-11-28"],
        cwd=pipeline,
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2] == (
        "Moves \\$25,000.25 from best case to commit, advances 1, pushes 1 close date out."
    )


def test_cache_reads_only_new_commits(pipeline, run, monkeypatch):
    first = run(["changes", "--since", "2026-11-01", "--format", "json"], cwd=pipeline).output
    assert list((pipeline / ".textcrm-cache").glob("history-*.pickle"))
    assert (pipeline / ".textcrm-cache/.gitignore").read_text().endswith("*\n")
    write_files(
        pipeline, {"opportunities/e.md": opp("qualification", "2027-02-01", "3500", "alice")}
    )
    commit(pipeline, "2026-11-20", "e qualified")
    calls = []
    real = timeline.git.log_raw

    def spy(top, rev, prefix, stop=None):
        entries = real(top, rev, prefix, stop)
        calls.append((stop, len(entries)))
        return entries

    monkeypatch.setattr(timeline.git, "log_raw", spy)
    cached = run(["changes", "--since", "2026-11-01", "--format", "json"], cwd=pipeline).output
    assert len(calls) == 1 and calls[0][0] is not None and calls[0][1] == 1
    fresh = run(
        ["changes", "--since", "2026-11-01", "--format", "json", "--no-cache"], cwd=pipeline
    ).output
    assert cached == fresh != first
    assert json.loads(fresh)["waterfall"]["USD"]["end"] == "36500.25"


def test_created_dates_fall_back_to_the_adding_commit(pipeline):
    dates = history.created_dates(pipeline)
    assert {k: v.isoformat() for k, v in dates.items()} == {
        "a2": "2026-10-01",
        "b": "2026-10-01",
        "c": "2026-10-01",
        "e": "2026-11-07",
    }


def test_check_at_reads_the_past_without_touching_the_tree(pipeline, run):
    result = run(["check", "--at", "2026-10-05"], cwd=pipeline)
    assert "in 4 opportunities" in result.output
    assert (pipeline / "opportunities/a2.md").exists()
    at_ref = run(["check", "--at", "HEAD~1", "--format", "json"], cwd=pipeline)
    assert json.loads(at_ref.output)["checked"]["opportunities"] == 4
    bad = run(["check", "--at", "2020-01-01"], cwd=pipeline)
    assert bad.exit_code == 2
    assert "no commit on or before that date" in bad.output


def test_not_a_git_repository(make_repo, run):
    root = make_repo({})
    for args in (["history", "x"], ["changes", "--since", "2026-11-01"], ["check", "--at", "HEAD"]):
        result = run(args, cwd=root)
        assert result.exit_code == 2
        assert "is not in a git repository" in result.output


def test_shallow_clone_is_said_plainly(pipeline, run, tmp_path):
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{pipeline}", str(clone))
    result = run(["changes", "--since", "2026-11-01"], cwd=clone)
    assert result.exit_code == 2
    assert "history needs the full history: use fetch-depth: 0" in result.output
    shutil.rmtree(clone)


def test_reopened_currency_change_lost_and_catalog_price(make_repo, run):
    items = "line_items:\n  - {sku: SCN-200, quantity: 2}\n"
    root = make_repo(
        {
            "opportunities/x.md": opp("proposal", "2026-12-01", "1000", "alice"),
            "opportunities/y.md": opp(
                "closed-lost", "2026-10-01", "500", "bob", "lost_reason: price\n"
            ),
            "opportunities/z.md": opp("qualification", "2026-12-01", "700", "bob"),
            "opportunities/w.md": opp("proposal", "2026-12-01", "0", "alice", items),
        }
    )
    git(root, "init", "-q", "-b", "main")
    commit(root, "2026-10-01", "Start")
    write_files(
        root,
        {
            "opportunities/x.md": opp("proposal", "2026-12-01", "900", "alice", "currency: EUR\n"),
            "opportunities/y.md": opp("proposal", "2026-12-10", "600", "bob"),
            "opportunities/z.md": opp(
                "closed-lost", "2026-12-01", "700", "bob", "lost_reason: timing\n"
            ),
        },
    )
    commit(root, "2026-10-05", "x in euros, y back, z lost")
    products = (root / "products.yaml").read_text().replace("unit_price: 1100", "unit_price: 1200")
    write_files(root, {"products.yaml": products})
    commit(root, "2026-10-06", "Scanner price up")
    doc = json.loads(run(["changes", "--since", "2026-10-02", "--format", "json"], cwd=root).output)
    assert doc["waterfall"] == {
        "EUR": {
            "start": "0.00",
            "new": "0.00",
            "increases": "900.00",
            "decreases": "0.00",
            "won": "0.00",
            "lost": "0.00",
            "removed": "0.00",
            "end": "900.00",
        },
        "USD": {
            "start": "3900.00",
            "new": "600.00",
            "increases": "200.00",
            "decreases": "1000.00",
            "won": "0.00",
            "lost": "700.00",
            "removed": "0.00",
            "end": "3000.00",
        },
    }
    assert [i["id"] for i in doc["reopened"]] == ["y"]
    assert [i["id"] for i in doc["lost"]] == ["z"]
    assert [(i["id"], i["currency"], i["detail"]) for i in doc["decreased"]] == [
        ("x", "USD", "currency USD -> EUR")
    ]
    w = run(["history", "w", "--wide", "--today", "2026-11-28"], cwd=root).output.splitlines()
    assert w[5].split(None, 5)[5] == (
        "expected: $2,200.00 -> $2,400.00; textcrm.yaml or products.yaml changed"
    )


def test_crm_in_a_sub_folder_of_the_git_repository(make_repo, run, tmp_path):
    top = tmp_path / "mono"
    root = make_repo(
        {"opportunities/x.md": opp("prospecting", "2026-12-01", "1000", "alice")},
        root=top / "sales" / "crm",
    )
    write_files(top, {"README.md": "other things\n", "sales/opportunities/y.md": "not ours\n"})
    git(top, "init", "-q", "-b", "main")
    commit(top, "2026-10-01", "Start")
    write_files(root, {"opportunities/x.md": opp("qualification", "2026-12-08", "1000", "alice")})
    commit(top, "2026-10-03", "x qualified")
    result = run(["history", "x", "--wide", "--today", "2026-10-10"], cwd=root)
    assert [line.split(None, 5)[5] for line in result.output.splitlines()[4:6]][1] == (
        "stage: prospecting -> qualification; close_date: 2026-12-01 -> 2026-12-08; "
        "probability: 10% -> 25%"
    )
    doc = json.loads(run(["changes", "--since", "2026-10-02", "--format", "json"], cwd=root).output)
    assert [i["detail"] for i in doc["slipped"]] == ["2026-12-01 -> 2026-12-08 (+7 days)"]


def test_cache_appends_deltas_then_compacts(pipeline, run, monkeypatch):
    monkeypatch.setattr(history_cache, "MAX_DELTAS", 2)
    cache = pipeline / ".textcrm-cache"
    args = ["changes", "--since", "2026-10-02", "--format", "json", "--today", "2026-11-28"]
    run(args, cwd=pipeline)
    assert len(list(cache.glob("history-*.pickle"))) == 1
    for n, amount in enumerate(("3100", "3200", "3300")):
        write_files(
            pipeline, {"opportunities/e.md": opp("prospecting", "2027-02-01", amount, "alice")}
        )
        commit(pipeline, f"2026-11-2{n}", f"e at {amount}")
        cached = run(args, cwd=pipeline).output
        fresh = run([*args, "--no-cache"], cwd=pipeline).output
        assert cached == fresh
        deltas = sorted(p.name.split(".")[1] for p in cache.glob("history-*.d*.pickle"))
        # One delta per run, until MAX_DELTAS of them are folded into a new base.
        assert deltas == [["d0"], ["d0", "d1"], []][n]
    assert json.loads(cached)["waterfall"]["USD"]["end"] == "36300.25"


def test_check_without_at_never_loads_history():
    from conftest import EXAMPLE
    from test_imports import imported_by

    modules = imported_by("check", "--root", str(EXAMPLE), "--today", "2026-11-28", "--no-cache")
    assert "textcrm.loader" in modules
    assert "textcrm.history" not in modules  # check never runs git log, with or without git


def test_changes_since_before_the_first_commit_counts_everything_new(pipeline, run):
    doc = json.loads(
        run(
            ["changes", "--since", "2026-01-01", "--until", "2026-10-01", "--format", "json"],
            cwd=pipeline,
        ).output
    )
    assert [i["id"] for i in doc["new"]] == ["a", "b", "c", "d"]
    assert doc["waterfall"]["USD"]["start"] == "0.00"
    assert doc["waterfall"]["USD"]["new"] == doc["waterfall"]["USD"]["end"] == "35000.50"
    bad = run(["changes", "--since", "not-a-ref"], cwd=pipeline)
    assert bad.exit_code == 2
    assert "`not-a-ref` is neither a date (YYYY-MM-DD) nor a commit git knows" in bad.output


def test_notes_only_edits_are_not_listed_and_parse_once(pipeline, run, monkeypatch):
    calls = []
    real = timeline.parse_opportunity

    def spy(front):
        calls.append(front)
        return real(front)

    monkeypatch.setattr(timeline, "parse_opportunity", spy)
    text = (pipeline / "opportunities/b.md").read_text()
    write_files(pipeline, {"opportunities/b.md": text + "More notes after the call.\n"})
    commit(pipeline, "2026-11-12", "b: notes")
    result = run(["history", "b", "--no-cache", "--today", "2026-11-28"], cwd=pipeline)
    assert "2026-11-12" not in result.output  # no tracked figure changed
    assert len(calls) == len(set(calls))  # the same front matter is parsed once


def usd(value: str) -> Amount:
    return Amount(Decimal(value), "USD")


def test_changes_items_carry_values_and_the_output_writes_them(pipeline):
    found = history.changes(pipeline, "2026-11-01", None, date(2026, 11, 28))
    assert {k: [(i.id, i.old, i.new) for i in v] for k, v in found.lists.items() if v} == {
        "new": [("e", None, "prospecting")],
        "won": [("c", "negotiation", "closed-won")],
        "pulled_in": [("b", date(2026, 12, 29), date(2026, 12, 20))],
        "increased": [("c", usd("5000"), usd("5200"))],
        "decreased": [("a2", usd("10000"), usd("8000"))],
        "deleted": [("d", "proposal", None)],
        "stale": [("e", None, date(2026, 11, 28))],
    }
    details = {k: [output.item_detail(k, i) for i in v] for k, v in found.lists.items() if v}
    assert details["won"] == ["negotiation -> closed-won"]
    assert details["pulled_in"] == ["2026-12-29 -> 2026-12-20 (-9 days)"]
    assert details["decreased"] == ["10000.00 USD -> 8000.00 USD"]
    german = output.money_format("de_DE")
    assert output.item_detail("increased", found.lists["increased"][0], german) == (
        "5.000,00\xa0$ -> 5.200,00\xa0$"
    )


def test_history_events_carry_values_and_the_output_writes_them(pipeline, run):
    b = history.load_history(pipeline, "b", date(2026, 11, 28))
    created, proposal = b.events[0], b.events[1]
    assert created.kind == "created"
    assert [(c.field, c.old) for c in created.changes] == [
        (f, None) for f in ("stage", "close_date", "expected", "probability", "owner", "forecast")
    ]
    assert [(c.field, c.old, c.new) for c in proposal.changes] == [
        ("stage", "qualification", "proposal"),
        ("close_date", date(2026, 12, 15), date(2026, 12, 29)),
        ("expected", usd("20000.50"), usd("25000.25")),
        ("probability", Decimal(25), Decimal(60)),
        ("forecast", "pipeline", "best_case"),
    ]
    assert output.event_text(proposal) == (
        "stage: qualification -> proposal; close_date: 2026-12-15 -> 2026-12-29; "
        "expected: 20000.50 USD -> 25000.25 USD; probability: 25% -> 60%; "
        "forecast: pipeline -> best_case"
    )
    renamed = history.load_history(pipeline, "a2", date(2026, 11, 28)).events[1]
    assert (renamed.renamed_from, renamed.settings_changed) == ("opportunities/a.md", False)
    doc = json.loads(
        run(["history", "a2", "--today", "2026-11-28", "--format", "json"], cwd=pipeline).output
    )
    assert doc["events"][0]["changes"][0] == {"field": "stage", "old": None, "new": "prospecting"}
    assert doc["events"][0]["note"] is None  # JSON writes an empty text as null
    assert doc["events"][1]["note"] == "renamed from opportunities/a.md"


def test_a_config_change_is_noted_on_the_deals_it_revalues(pipeline):
    config = (pipeline / "textcrm.yaml").read_text()
    assert config.count("probability: 25,") == 1
    write_files(pipeline, {"textcrm.yaml": config.replace("probability: 25,", "probability: 30,")})
    commit(pipeline, "2026-11-12", "qualification is likelier")
    last = history.load_history(pipeline, "a2", date(2026, 11, 28)).events[-1]
    assert (last.kind, last.settings_changed, last.renamed_from) == ("changed", True, "")
    assert [(c.field, c.old, c.new) for c in last.changes] == [
        ("probability", Decimal(25), Decimal(30))
    ]
    assert output.event_text(last) == (
        "probability: 25% -> 30%; textcrm.yaml or products.yaml changed"
    )


OPPORTUNITY = opp("proposal", "2026-12-20", "25000.25", "bob")


@pytest.mark.parametrize(
    "data",
    [
        OPPORTUNITY.encode(),
        OPPORTUNITY.replace("\n", "\r\n").encode(),
        ("\ufeff" + OPPORTUNITY).encode(),
        OPPORTUNITY.replace("---\nNotes", "... \t\nNotes").encode(),
        OPPORTUNITY.replace("---\nNotes", "---\t \nNotes").encode() + b"---\nmore notes\n",
        OPPORTUNITY.removesuffix("Notes.\n").removesuffix("\n").encode(),
        OPPORTUNITY.replace("---\nNotes.\n", "").encode(),  # never closed: a problem either way
    ],
)
def test_a_past_version_reads_the_same_from_its_front_matter(data):
    cut = loader.front_matter(data)
    assert data.startswith(cut)
    assert b"Notes" not in cut
    whole, whole_problems = loader.read_record("opportunity", "opportunities/x.md", "x", data)
    part, part_problems = loader.read_record("opportunity", "opportunities/x.md", "x", cut)
    assert part_problems == whole_problems
    if whole is None:
        assert part is None and whole_problems
    else:
        assert dataclasses.replace(part, body="", body_line=0) == dataclasses.replace(
            whole, body="", body_line=0
        )


def test_notes_a_file_cannot_hold_do_not_hide_a_past_version():
    data = OPPORTUNITY.encode() + b"\x00\xff binary notes"
    assert loader.read_record("opportunity", "opportunities/x.md", "x", data)[0] is None
    snapshot = timeline.parse_opportunity(loader.front_matter(data))
    assert snapshot is not None and (snapshot.stage, snapshot.amount) == ("proposal", "25000.25")
