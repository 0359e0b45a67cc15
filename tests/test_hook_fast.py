"""The hook's fast route: blobs already judged clean pass without the parser, and every verdict
and output equals the full hook's.

Each test builds a real git repository, runs the real hook entry point in a fresh interpreter
(`python -m textcrm.hook`, as the installed script does) and lists the modules it imported: the
fast route ran when neither the loader nor PyYAML was imported. The full hook's answer is the
same run with the verdict store deleted.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import DEFAULT_CONFIG, GOOD_OPPORTUNITY, TODAY, git, write_files
from test_hook_imports import PROBE
from textcrm import git as git_module
from textcrm.checks.references import FORMS
from textcrm.hook import fast
from textcrm.hook.fast import FORM_KIND
from textcrm.hook.scope import plan
from textcrm.verdicts import RECENT_CAP, Known, Store, Verdict, record

BAD = GOOD_OPPORTUNITY.replace("close_date: 2026-12-19", "close_date: 2026-11-01")
EDITED = GOOD_OPPORTUNITY + "More notes.\n"
REFUSED = (
    "textcrm: commit refused: fix the errors above (each message says how), `git add` the "
    "files and commit again.\n"
    "In an emergency, bypass the check with `git commit --no-verify`.\n"
)
CLOSE_PAST = (
    "opportunities/acme.md:6:1: error: close date 2026-11-01 is in the past (today is "
    "2026-11-28); set close_date to your best current estimate [close-date-past]\n"
)


def env(tmp_path: Path, today: str = TODAY) -> dict[str, str]:
    return {
        "NO_COLOR": "1",
        "PATH": "/usr/bin:/bin",
        "TEXTCRM_TODAY": today,
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def hook(top: Path, tmp_path: Path, today: str = TODAY) -> tuple[str, int, bool]:
    """(standard output, exit status, whether the fast route answered) of one hook run."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
        env=env(tmp_path, today),
    )
    code, modules = json.loads(proc.stderr.strip().splitlines()[-1])
    fast = "textcrm.loader" not in modules and "yaml" not in modules
    return proc.stdout, code, fast


def check(top: Path, tmp_path: Path, today: str = TODAY) -> None:
    """`textcrm check` in the working tree: what writes the verdict store."""
    subprocess.run(
        [sys.executable, "-m", "textcrm", "check"],
        cwd=top,
        capture_output=True,
        check=False,
        env=env(tmp_path, today),
    )


def verdict_files(top: Path) -> list[Path]:
    return sorted((top / ".textcrm-cache").glob("verdicts-*.pickle"))


def full(top: Path, tmp_path: Path, today: str = TODAY) -> tuple[str, int]:
    """The full hook's answer: the same run without any verdict (the store is put back)."""
    keep = tmp_path / "kept-verdicts"
    keep.mkdir(exist_ok=True)
    saved = []
    for f in verdict_files(top):
        saved.append(shutil.move(f, keep / f.name))
    out, code, fast = hook(top, tmp_path, today)
    assert not fast
    for f in verdict_files(top):  # what the full run recorded goes: the test sets the store
        f.unlink()
    for s in saved:
        shutil.move(s, top / ".textcrm-cache" / Path(s).name)
    return out, code


@pytest.fixture
def repo(make_repo, tmp_path):
    """A git repository with the default CRM and one good opportunity committed."""

    def build(files: dict[str, str | None] | None = None) -> Path:
        top = make_repo(
            {"opportunities/acme.md": GOOD_OPPORTUNITY, **(files or {})}, root=tmp_path / "repo"
        )
        git(top, "init", "-q", "-b", "main")
        git(top, "add", "-A")
        git(top, "commit", "-q", "--no-verify", "-m", "first")
        return top

    return build


def staged_then_checked(top: Path, tmp_path: Path, files: dict[str, str]) -> None:
    """Edit, `textcrm check`, stage: the usual way a blob reaches the verdict store."""
    write_files(top, files)
    check(top, tmp_path)
    git(top, "add", "-A")


def test_a_clean_commit_of_a_checked_blob_passes_by_the_fast_route(repo, tmp_path):
    top = repo()
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": EDITED})
    assert hook(top, tmp_path) == ("textcrm: no problems in 1 opportunity\n", 0, True)
    assert full(top, tmp_path) == ("textcrm: no problems in 1 opportunity\n", 0)


def test_several_kinds_staged_count_as_the_full_hook_counts(repo, tmp_path):
    top = repo()
    staged_then_checked(
        top,
        tmp_path,
        {
            "opportunities/acme.md": EDITED,
            "opportunities/globex.md": GOOD_OPPORTUNITY.replace("acme-corp", "globex-inc")
            .replace("jane-doe", "john-roe")
            .replace("Acme", "Globex"),
            "contacts/jane-doe.md": "---\nname: Jane Doe\naccount: acme-corp\n---\nHi.\n",
            "accounts/acme-corp.md": "---\nname: Acme Corp\n---\nMore.\n",
        },
    )
    expected = "textcrm: no problems in 2 opportunities, 1 account, 1 contact\n"
    assert hook(top, tmp_path) == (expected, 0, True)
    assert full(top, tmp_path) == (expected, 0)


def test_a_past_close_date_is_refused_as_the_full_hook_refuses_it(repo, tmp_path):
    top = repo()
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": BAD})
    expected = (
        CLOSE_PAST + "textcrm: 1 error, 0 warnings in 1 opportunity\n" + REFUSED,
        1,
    )
    assert hook(top, tmp_path) == (*expected, False)
    assert full(top, tmp_path) == expected


def test_a_stale_deal_is_refused_as_the_full_hook_refuses_it(repo, tmp_path):
    top = repo()
    stale = GOOD_OPPORTUNITY.replace("date: 2026-11-24", "date: 2026-11-02")
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": stale})
    out, code, fast = hook(top, tmp_path)
    assert (code, fast) == (1, False)
    assert out.startswith("opportunities/acme.md:1:1: error: stale: no activity since 2026-11-02")
    assert full(top, tmp_path) == (out, code)


def test_a_problem_head_already_had_is_judged_by_the_full_hook(repo, tmp_path):
    top = repo({"opportunities/acme.md": BAD})
    staged_then_checked(
        top, tmp_path, {"opportunities/acme.md": BAD.replace("owner: alice", "owner: bob")}
    )
    out, code, fast = hook(top, tmp_path)
    assert (code, fast) == (0, False)
    assert out == (
        "opportunities/acme.md:6:1: note: already there before this commit, which does not "
        "make it worse, so it does not block it; still to fix: close date 2026-11-01 is in the "
        "past (today is 2026-11-28); set close_date to your best current estimate "
        "[close-date-past]\n"
        "textcrm: no problems in 1 opportunity\n"
    )
    assert full(top, tmp_path) == (out, code)


def test_a_reference_to_a_missing_record_is_refused(repo, tmp_path):
    top = repo()
    staged_then_checked(
        top, tmp_path, {"opportunities/acme.md": GOOD_OPPORTUNITY.replace("jane-doe", "nobody")}
    )
    out, code, fast = hook(top, tmp_path)
    assert (code, fast) == (1, False)
    assert "activity contact `nobody` does not exist" in out
    assert full(top, tmp_path) == (out, code)


def test_a_contact_removed_from_the_index_only_is_seen(repo, tmp_path):
    # The working tree still has the contact (check saw it), the commit removes it.
    top = repo()
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": EDITED})
    git(top, "rm", "-q", "--cached", "contacts/jane-doe.md")
    out, code, fast = hook(top, tmp_path)
    assert (code, fast) == (1, False)
    assert "activity contact `jane-doe` does not exist" in out
    assert full(top, tmp_path) == (out, code)


def test_a_contact_of_another_account_is_refused(repo, tmp_path):
    top = repo()
    with_role = EDITED.replace(
        "amount: 48000\n", "amount: 48000\ncontacts:\n  - {contact: john-roe, role: champion}\n"
    )
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": with_role})
    out, code, fast = hook(top, tmp_path)
    assert fast is False
    assert "contact `john-roe` works for `globex-inc`" in out
    assert full(top, tmp_path) == (out, code)


def test_two_staged_deals_with_one_quote_number_are_refused(repo, tmp_path):
    top = repo()
    quote = "quote: {number: Q-1, issued: 2026-11-20, valid_until: 2026-12-20}\n"
    deal = EDITED.replace("amount: 48000\n", "amount: 48000\n" + quote)
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": deal, "opportunities/b.md": deal})
    out, code, fast = hook(top, tmp_path)
    assert fast is False
    assert "[duplicate-quote-number]" in out
    assert full(top, tmp_path) == (out, code)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("textcrm.yaml", DEFAULT_CONFIG.replace("stale_after_days: 7", "stale_after_days: 8")),
        ("products.yaml", "products:\n  - {sku: SCN-200, name: Scanner, unit_price: 1100}\n"),
    ],
)
def test_a_staged_config_or_catalog_goes_to_the_full_hook(repo, tmp_path, name, content):
    top = repo()
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": EDITED, name: content})
    out, code, fast = hook(top, tmp_path)
    assert fast is False
    assert full(top, tmp_path) == (out, code)


def test_another_day_than_the_check_goes_to_the_full_hook(repo, tmp_path):
    top = repo()
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": EDITED})
    later = "2026-12-24"  # past the close date, which HEAD had too: a note, not a refusal
    out, code, fast = hook(top, tmp_path, later)
    assert (code, fast) == (0, False)
    assert "still to fix: close date 2026-12-19 is in the past (today is 2026-12-24)" in out
    assert full(top, tmp_path, later) == (out, code)
    # Days before the deal's next date: the check's verdict holds over them, as its findings do.
    clean = ("textcrm: no problems in 1 opportunity\n", 0)
    assert hook(top, tmp_path, "2026-11-29") == (*clean, True)
    assert hook(top, tmp_path, "2026-11-30") == (*clean, True)


def test_the_hook_records_what_it_judged(repo, tmp_path):
    # No `textcrm check`: the first run parses, the second passes the same blob fast.
    top = repo()
    write_files(top, {"opportunities/acme.md": EDITED})
    git(top, "add", "-A")
    assert verdict_files(top) == []
    assert hook(top, tmp_path) == ("textcrm: no problems in 1 opportunity\n", 0, False)
    assert [f.name.split("-")[1] for f in verdict_files(top)] == ["recent"]  # no check ran
    assert hook(top, tmp_path) == ("textcrm: no problems in 1 opportunity\n", 0, True)


def test_a_refused_blob_is_not_recorded_clean(repo, tmp_path):
    top = repo()
    write_files(top, {"opportunities/acme.md": BAD})
    git(top, "add", "-A")
    first = hook(top, tmp_path)
    assert first[1:] == (1, False)
    assert hook(top, tmp_path) == first


def test_the_staged_blob_is_judged_not_the_working_tree(repo, tmp_path):
    top = repo()
    write_files(top, {"opportunities/acme.md": BAD})
    git(top, "add", "-A")
    write_files(top, {"opportunities/acme.md": EDITED})  # fixed, not staged
    check(top, tmp_path)  # the store knows the working tree's blob is clean
    expected = (CLOSE_PAST + "textcrm: 1 error, 0 warnings in 1 opportunity\n" + REFUSED, 1)
    assert hook(top, tmp_path) == (*expected, False)
    assert full(top, tmp_path) == expected


@pytest.mark.parametrize("damage", ["forged", "truncated", "garbage"])
def test_a_damaged_store_is_ignored(repo, tmp_path, damage):
    top = repo()
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": EDITED})
    parts = verdict_files(top)
    assert len(parts) == 16  # one per first hex digit of the blob ids
    for part in parts:
        data = part.read_bytes()
        if damage == "forged":  # the same payload under another signature
            part.write_bytes(bytes(32) + data[32:])
        elif damage == "truncated":
            part.write_bytes(data[: len(data) // 2])
        else:
            part.write_bytes(b"not a cache at all")
    assert hook(top, tmp_path) == ("textcrm: no problems in 1 opportunity\n", 0, False)


def test_a_store_of_another_code_version_is_not_read(repo, tmp_path):
    top = repo()
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": EDITED})
    parts = verdict_files(top)
    others = [p.with_name(re.sub(r"-[0-9a-f]{16}-", "-0123456789abcdef-", p.name)) for p in parts]
    for part, other in zip(parts, others, strict=True):
        part.rename(other)
    assert hook(top, tmp_path) == ("textcrm: no problems in 1 opportunity\n", 0, False)
    for f in verdict_files(top):  # what that run recorded
        if f not in others:
            f.unlink()
    for part, other in zip(parts, others, strict=True):
        other.rename(part)
    assert hook(top, tmp_path)[2] is True  # the genuine files, back under their own names


def test_a_store_signed_under_another_name_is_refused(repo, tmp_path):
    top = repo()
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": EDITED})
    parts = verdict_files(top)
    contents = [p.read_bytes() for p in parts]
    for part, content in zip(parts, contents[1:] + contents[:1], strict=True):
        part.write_bytes(content)  # each a valid signature, but for another part's name
    assert hook(top, tmp_path) == ("textcrm: no problems in 1 opportunity\n", 0, False)


def test_a_symlinked_staged_file_goes_to_the_full_hook(repo, tmp_path):
    top = repo()
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": EDITED})
    (top / "opportunities/link.md").symlink_to("acme.md")
    git(top, "add", "-A")
    out, code, fast = hook(top, tmp_path)
    assert fast is False
    assert full(top, tmp_path) == (out, code)


def test_the_forms_of_naming_agree_with_the_cross_file_rules():
    assert dict(FORM_KIND) == {form: kind for form, (kind, _rule) in FORMS.items()}


def test_the_recent_store_is_capped_and_drops_verdicts_past_their_days(tmp_path):
    folder = tmp_path / ".textcrm-cache"
    folder.mkdir()
    a, b, c, d = ("a" * 40, "b" * 40, "c" * 40, "d" * 40)
    nov27, nov28 = date(2026, 11, 27).toordinal(), date(2026, 11, 28).toordinal()

    def v(days: tuple[int, int] | None) -> Verdict:
        return Verdict((c, None, days), True, "opportunity", "", ("account", "x"), "Q-1")

    record(folder, c, True, [Known("a.md", a, v((nov27, nov28)))], nov27)
    record(folder, c, True, [Known("e.md", a, v((nov27, nov28 + 3)))], nov27)
    record(folder, c, True, [Known("b.md", b, v(None))], nov28)
    store = Store(folder)
    assert store.get("a.md", a, (c, "", nov27)) is None  # its days are over: dropped
    assert store.get("e.md", a, (c, "", nov28 + 2)) == v((nov27, nov28 + 3))  # still holds
    assert store.get("e.md", a, (c, "", nov28 + 3)) is None  # the day after its last
    assert store.get("e.md", a, (c, "", nov27 - 1)) is None  # before its first
    assert store.get("b.md", b, (c, "", nov28)) == v(None)
    assert store.get("b.md", b, (d, "", nov28)) is None  # another textcrm.yaml
    assert store.get("b.md", a, (c, "", nov28)) is None  # another blob
    many = [Known(f"{i}.md", a, v((nov28, nov28 + 1))) for i in range(RECENT_CAP + 5)]
    record(folder, c, True, many, nov28)
    store = Store(folder)
    assert store.get("5.md", a, (c, "", nov28)) is None
    assert store.get("6.md", a, (c, "", nov28)) is not None
    assert store.get("b.md", b, (c, "", nov28)) is None
    assert store.config_clean(c) is True
    assert store.config_clean(d) is False


def test_an_id_no_file_can_have_goes_to_the_full_hook(repo, tmp_path):
    top = repo()
    odd = GOOD_OPPORTUNITY.replace("account: acme-corp", 'account: "../acme-corp"')
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": odd})
    out, code, fast = hook(top, tmp_path)
    assert (code, fast) == (1, False)
    assert "account `../acme-corp` does not exist" in out
    assert full(top, tmp_path) == (out, code)


def test_many_staged_files_pass_fast(repo, tmp_path):
    top = repo()
    deals = {f"opportunities/deal-{i:02}.md": EDITED for i in range(70)}
    staged_then_checked(top, tmp_path, deals)
    expected = ("textcrm: no problems in 70 opportunities\n", 0)
    assert hook(top, tmp_path) == (*expected, True)
    assert full(top, tmp_path) == expected


@pytest.mark.parametrize("named", ["jane-doe", "nobody"])
def test_the_folder_listing_answers_as_the_exact_paths_do(repo, tmp_path, monkeypatch, named):
    # Past _EXACT_PATHS ids to look up, HEAD's referenced folders are listed instead.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # the key check signed with
    top = repo()
    deal = EDITED.replace("jane-doe", named)
    staged_then_checked(top, tmp_path, {"opportunities/acme.md": deal, "opportunities/b.md": deal})
    changes = git_module.staged_changes(top)
    the_plan = plan(changes, "")
    today = date.fromisoformat(TODAY)
    exact = fast.answer(top, top, "", the_plan, changes, today)
    monkeypatch.setattr(fast, "_EXACT_PATHS", 1)
    folders = fast.answer(top, top, "", the_plan, changes, today)
    assert exact == folders
    if named == "jane-doe":
        assert exact is not None and exact.checked is not None
        assert exact.checked["opportunities"] == 2
    else:
        assert exact is None  # an unknown contact: the full hook reports it


def test_a_renamed_opportunity_passes_fast_under_its_new_name(repo, tmp_path):
    top = repo()
    git(top, "mv", "opportunities/acme.md", "opportunities/acme-scanners.md")
    check(top, tmp_path)
    expected = ("textcrm: no problems in 1 opportunity\n", 0)
    assert hook(top, tmp_path) == (*expected, True)
    assert full(top, tmp_path) == expected


def test_a_deleted_opportunity_alone_prints_nothing(repo, tmp_path):
    top = repo()
    check(top, tmp_path)
    git(top, "rm", "-q", "opportunities/acme.md")
    # As the full hook (test_hook.py): nothing to check, nothing printed; no store needed.
    assert hook(top, tmp_path) == ("", 0, True)


def test_an_edit_command_records_the_verdict_of_what_it_wrote(repo, tmp_path):
    # `textcrm log` checks the file it writes: committing it takes the fast route, without
    # a `textcrm check` in between.
    top = repo()
    logged = subprocess.run(
        [sys.executable, "-m", "textcrm", "log", "acme", "--type", "call", "--summary", "Hi"],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
        env=env(tmp_path),
    )
    assert logged.returncode == 0, logged.stderr
    git(top, "add", "-A")
    expected = ("textcrm: no problems in 1 opportunity\n", 0)
    assert hook(top, tmp_path) == (*expected, True)
    assert full(top, tmp_path) == expected


def test_a_dry_run_records_no_verdict(repo, tmp_path):
    top = repo()
    args = ["log", "acme", "--type", "call", "--summary", "Hi", "--dry-run"]
    shown = subprocess.run(
        [sys.executable, "-m", "textcrm", *args],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
        env=env(tmp_path),
    )
    assert shown.returncode == 0, shown.stderr
    assert "nothing written" in shown.stdout
    assert verdict_files(top) == []


def store_contents(top: Path) -> dict[str, tuple[str, Verdict]]:
    """Every verdict check keeps, by path, decoded from its 16 parts."""
    from textcrm.cache import read_signed
    from textcrm.verdicts import _decode, _valid

    found = {}
    for part in verdict_files(top):
        if "-recent-" in part.name:
            continue
        saved = _valid(read_signed(part))
        for path in saved["entries"]:
            got = _decode(saved, path)
            assert got is not None
            found[path] = got
    return found


def test_check_updates_the_store_part_by_part_as_a_full_rewrite_would(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # the key the runs sign with
    top = repo({f"opportunities/deal-{i:02}.md": EDITED for i in range(40)})
    check(top, tmp_path)
    write_files(top, {"opportunities/deal-03.md": BAD, "opportunities/new.md": EDITED})
    (top / "opportunities/deal-07.md").unlink()
    check(top, tmp_path)  # a few files changed: only their parts are rewritten
    updated = store_contents(top)
    assert updated["opportunities/deal-03.md"][1].clean is False
    assert updated["opportunities/new.md"][1].clean is True
    assert "opportunities/deal-07.md" not in updated
    for part in verdict_files(top):
        part.unlink()
    check(top, tmp_path)  # nothing changed, parts missing: all written from scratch
    assert store_contents(top) == updated


def test_a_crm_in_a_sub_folder_passes_fast(make_repo, tmp_path):
    top = tmp_path / "big"
    crm = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY}, root=top / "sales" / "crm")
    write_files(top, {"README.md": "The company's repository.\n"})
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-q", "--no-verify", "-m", "first")
    write_files(crm, {"opportunities/acme.md": EDITED})
    check(crm, tmp_path)
    git(top, "add", "-A")
    expected = ("textcrm: no problems in 1 opportunity\n", 0)
    assert hook(top, tmp_path) == (*expected, True)
    assert full(crm, tmp_path) == expected


def test_the_first_commit_goes_to_the_full_hook(make_repo, tmp_path):
    # Every file is staged, textcrm.yaml with them: everything is checked, as always.
    top = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY}, root=tmp_path / "fresh")
    git(top, "init", "-q", "-b", "main")
    check(top, tmp_path)
    git(top, "add", "-A")
    out, code, fast_route = hook(top, tmp_path)
    assert (code, fast_route) == (0, False)
    assert full(top, tmp_path) == (out, code)
