"""The pre-commit hook through real `git commit`: what is staged is what is checked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import DEFAULT_CONFIG, GOOD_OPPORTUNITY, TODAY, commit, git, write_files

REFUSED = (
    "textcrm: commit refused: fix the errors above (each message says how), `git add` the "
    "files and commit again.\n"
    "In an emergency, bypass the check with `git commit --no-verify`.\n"
)
CLOSE_PAST = (
    "{path}:6:1: error: close date 2026-11-01 is in the past (today is 2026-11-28); set "
    "close_date to your best current estimate [close-date-past]\n"
)
BAD_OPPORTUNITY = GOOD_OPPORTUNITY.replace("close_date: 2026-12-19", "close_date: 2026-11-01")
STALE_OPPORTUNITY = GOOD_OPPORTUNITY.replace("date: 2026-11-24", "date: 2026-11-02")
STALE = (
    "{path}:1:1: error: stale: no activity since 2026-11-02 (26 days; stale after 7) and no "
    "follow_up on or after today; log an activity with `textcrm log {id} --type call "
    "--summary ...` or set follow_up to a date on or after 2026-11-28 [stale]\n"
)


@pytest.fixture
def repo(make_repo, run, tmp_path):
    """A git repository with the default CRM and one good opportunity committed, and our
    hook installed by `textcrm hook install`."""

    def build(files: dict[str, str | None] | None = None, sub: str = "") -> Path:
        top = tmp_path / "repo"
        top.mkdir(exist_ok=True)
        git(top, "init", "-q", "-b", "main")
        root = top / sub if sub else top
        make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY, **(files or {})}, root=root)
        result = run(["hook", "install"], cwd=root)
        assert result.exit_code == 0, result.output
        git(top, "add", "-A")
        first = commit(top, message="first")
        assert first.returncode == 0, first.stderr
        return top

    return build


def accepted(proc: subprocess.CompletedProcess[str], hook_output: str = "") -> None:
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == hook_output


def refused(proc: subprocess.CompletedProcess[str], problems: str, summary: str) -> None:
    assert proc.returncode == 1
    assert proc.stderr == problems + f"textcrm: {summary}\n" + REFUSED


def head_paths(top: Path) -> str:
    return git(top, "show", "--name-status", "--format=", "HEAD").stdout


# --- staged content, not the working tree ---


def test_good_staged_with_bad_unstaged_edit_passes(repo):
    top = repo()
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY.replace("Notes.", "Call Jane.")})
    git(top, "add", "opportunities/acme.md")
    write_files(top, {"opportunities/acme.md": BAD_OPPORTUNITY})
    accepted(commit(top), "textcrm: no problems in 1 opportunity\n")
    assert head_paths(top) == "M\topportunities/acme.md\n"


def test_bad_staged_with_good_unstaged_edit_is_refused(repo):
    top = repo()
    write_files(top, {"opportunities/acme.md": BAD_OPPORTUNITY})
    git(top, "add", "opportunities/acme.md")
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY})
    refused(
        commit(top),
        CLOSE_PAST.format(path="opportunities/acme.md"),
        "1 error, 0 warnings in 1 opportunity",
    )


def test_commit_all_checks_the_working_tree_edit(repo):
    top = repo()
    write_files(top, {"opportunities/acme.md": BAD_OPPORTUNITY})
    refused(
        commit(top, "-a"),
        CLOSE_PAST.format(path="opportunities/acme.md"),
        "1 error, 0 warnings in 1 opportunity",
    )
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY + "More notes.\n"})
    accepted(commit(top, "-a"), "textcrm: no problems in 1 opportunity\n")


def test_add_patch_stages_only_the_chosen_hunk(repo):
    body = "".join(f"Line {n} of the notes.\n" for n in range(1, 21))
    top = repo({"opportunities/acme.md": GOOD_OPPORTUNITY + body})
    write_files(
        top,
        {"opportunities/acme.md": BAD_OPPORTUNITY + body.replace("Line 20 of", "Line twenty of")},
    )
    # Two hunks: the close date (bad) and the last note line (harmless). Stage only the second.
    proc = subprocess.run(
        ["git", "add", "-p", "opportunities/acme.md"],
        cwd=top,
        input="n\ny\n",
        text=True,
        capture_output=True,
        env={**os.environ, "HOME": str(top)},
    )
    assert proc.returncode == 0, proc.stderr
    staged = git(top, "diff", "--cached").stdout
    assert "Line twenty" in staged and "2026-11-01" not in staged
    accepted(commit(top), "textcrm: no problems in 1 opportunity\n")
    git(top, "add", "opportunities/acme.md")
    refused(
        commit(top),
        CLOSE_PAST.format(path="opportunities/acme.md"),
        "1 error, 0 warnings in 1 opportunity",
    )


def test_warnings_are_shown_and_do_not_block(repo):
    top = repo()
    overdue = GOOD_OPPORTUNITY.replace("amount: 48000", "amount: 48000\nfollow_up: 2026-11-27")
    write_files(top, {"opportunities/acme.md": overdue})
    git(top, "add", "-A")
    accepted(
        commit(top),
        (
            "opportunities/acme.md:8:1: warning: follow-up 2026-11-27 is overdue (today is "
            "2026-11-28); follow up and log it, or set follow_up to a date on or after "
            "2026-11-28 [follow-up-overdue]\n"
            "textcrm: 0 errors, 1 warning in 1 opportunity\n"
        ),
    )


def test_stale_deal_is_refused_with_the_fix(repo):
    top = repo()
    write_files(top, {"opportunities/quiet.md": STALE_OPPORTUNITY})
    git(top, "add", "-A")
    refused(
        commit(top),
        STALE.format(path="opportunities/quiet.md", id="quiet"),
        "1 error, 0 warnings in 1 opportunity",
    )


def test_commit_without_crm_files_is_silent(repo):
    top = repo()
    write_files(top, {"notes.txt": "hello\n", "opportunities/sub/x.md": "not a record\n"})
    git(top, "add", "-A")
    accepted(commit(top))


def test_the_hook_never_changes_files_or_the_index(repo):
    top = repo()
    write_files(
        top, {"opportunities/acme.md": BAD_OPPORTUNITY, "opportunities/new.md": GOOD_OPPORTUNITY}
    )
    git(top, "add", "opportunities/acme.md")
    before = (
        git(top, "write-tree").stdout,
        git(top, "status", "--porcelain").stdout,
        (top / "opportunities/acme.md").read_bytes(),
    )
    assert commit(top).returncode == 1
    after = (
        git(top, "write-tree").stdout,
        git(top, "status", "--porcelain").stdout,
        (top / "opportunities/acme.md").read_bytes(),
    )
    assert before == after


# --- the commit's shape ---


def test_first_commit_of_a_repository(make_repo, run, tmp_path):
    top = make_repo({"opportunities/acme.md": BAD_OPPORTUNITY}, root=tmp_path / "fresh")
    git(top, "init", "-q")
    assert run(["hook", "install"], cwd=top).exit_code == 0
    git(top, "add", "-A")
    refused(
        commit(top),
        CLOSE_PAST.format(path="opportunities/acme.md"),
        "1 error, 0 warnings in 1 opportunity, 2 accounts, 2 contacts, 1 competitor, 2 products",
    )
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY})
    git(top, "add", "-A")
    accepted(
        commit(top),
        "textcrm: no problems in 1 opportunity, 2 accounts, 2 contacts, 1 competitor, 2 products\n",
    )


def test_renamed_opportunity_is_checked_under_its_new_name(repo):
    top = repo()
    git(top, "mv", "opportunities/acme.md", "opportunities/acme-scanners.md")
    write_files(top, {"opportunities/acme-scanners.md": BAD_OPPORTUNITY})
    git(top, "add", "opportunities/acme-scanners.md")
    refused(
        commit(top),
        CLOSE_PAST.format(path="opportunities/acme-scanners.md"),
        "1 error, 0 warnings in 1 opportunity",
    )


def test_renamed_account_refuses_the_deals_still_pointing_at_the_old_id(repo):
    top = repo()
    git(top, "mv", "accounts/acme-corp.md", "accounts/acme.md")
    refused(
        commit(top),
        (
            "contacts/jane-doe.md:3:1: error: account `acme-corp` does not exist (no "
            "accounts/acme-corp.md); did you mean `acme`? [unknown-account]\n"
            "opportunities/acme.md:3:1: error: account `acme-corp` does not exist (no "
            "accounts/acme-corp.md); did you mean `acme`? [unknown-account]\n"
        ),
        "2 errors, 0 warnings in 1 opportunity, 1 account, 1 contact",
    )


def test_names_with_spaces_and_non_ascii(repo):
    top = repo()
    write_files(top, {"opportunities/café déjà vu.md": BAD_OPPORTUNITY})
    git(top, "add", "-A")
    refused(
        commit(top),
        CLOSE_PAST.format(path="opportunities/café déjà vu.md"),
        "1 error, 0 warnings in 1 opportunity",
    )
    write_files(top, {"opportunities/café déjà vu.md": GOOD_OPPORTUNITY})
    git(top, "add", "-A")
    accepted(commit(top), "textcrm: no problems in 1 opportunity\n")


def test_merge_commit_checks_the_merged_result(repo):
    top = repo()
    git(top, "checkout", "-q", "-b", "feature")
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY.replace("48000", "50000")})
    assert commit(top, "-a").returncode == 0
    git(top, "checkout", "-q", "main")
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY.replace("48000", "47000")})
    assert commit(top, "-a").returncode == 0
    conflict = git(top, "merge", "feature", check=False)
    assert conflict.returncode == 1 and "CONFLICT" in conflict.stdout
    write_files(top, {"opportunities/acme.md": BAD_OPPORTUNITY})
    git(top, "add", "opportunities/acme.md")
    proc = git(
        top, "commit", "-q", "--no-edit", check=False, env={"TEXTCRM_TODAY": TODAY, "NO_COLOR": "1"}
    )
    refused(
        proc,
        CLOSE_PAST.format(path="opportunities/acme.md"),
        "1 error, 0 warnings in 1 opportunity",
    )
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY.replace("48000", "49000")})
    git(top, "add", "opportunities/acme.md")
    proc = git(
        top, "commit", "-q", "--no-edit", check=False, env={"TEXTCRM_TODAY": TODAY, "NO_COLOR": "1"}
    )
    accepted(proc, "textcrm: no problems in 1 opportunity\n")
    assert git(top, "rev-list", "--parents", "-n1", "HEAD").stdout.count(" ") == 2


def test_crm_in_a_sub_folder_of_a_bigger_repository(repo):
    top = repo(sub="sales/crm")
    write_files(
        top, {"README.md": "Company repo\n", "sales/crm/opportunities/acme.md": BAD_OPPORTUNITY}
    )
    git(top, "add", "-A")
    refused(
        commit(top),
        CLOSE_PAST.format(path="sales/crm/opportunities/acme.md"),
        "1 error, 0 warnings in 1 opportunity",
    )
    # Files outside the CRM are not records, even in a folder named opportunities/.
    git(top, "reset", "-q")
    write_files(top, {"opportunities/acme.md": BAD_OPPORTUNITY})
    git(top, "add", "opportunities/acme.md", "README.md")
    accepted(commit(top))


# --- references resolve against the index ---


WITH_JOHN = GOOD_OPPORTUNITY.replace("contact: jane-doe", "contact: john-smith")


def test_contact_added_in_the_same_commit_counts(repo):
    top = repo()
    write_files(
        top,
        {
            "opportunities/acme.md": WITH_JOHN,
            "contacts/john-smith.md": "---\nname: John Smith\naccount: acme-corp\n---\n",
        },
    )
    git(top, "add", "opportunities/acme.md")
    refused(
        commit(top),
        (
            "opportunities/acme.md:9:1: error: activity contact `john-smith` does not exist (no "
            "contacts/john-smith.md) [unknown-contact]\n"
        ),
        "1 error, 0 warnings in 1 opportunity",
    )
    git(top, "add", "contacts/john-smith.md")
    accepted(commit(top), "textcrm: no problems in 1 opportunity, 1 contact\n")


JANE_GONE = (
    "opportunities/acme.md:9:1: error: activity contact `jane-doe` does not exist (no "
    "contacts/jane-doe.md); did you mean `john-roe`? [unknown-contact]\n"
)


def test_deleted_contact_refuses_an_unstaged_opportunity_that_names_it(repo):
    top = repo()
    git(top, "rm", "-q", "contacts/jane-doe.md")
    refused(commit(top), JANE_GONE, "1 error, 0 warnings in 1 opportunity")
    # Fixing the deal in the working tree is not enough: the index still names jane-doe.
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY.replace(", contact: jane-doe", "")})
    refused(commit(top), JANE_GONE, "1 error, 0 warnings in 1 opportunity")
    git(top, "add", "opportunities/acme.md")
    accepted(commit(top), "textcrm: no problems in 1 opportunity\n")
    assert head_paths(top) == "D\tcontacts/jane-doe.md\nM\topportunities/acme.md\n"


def test_deleting_an_opportunity_checks_nothing(repo):
    top = repo()
    git(top, "rm", "-q", "opportunities/acme.md")
    accepted(commit(top))


def test_catalog_change_rechecks_deals_using_the_changed_sku(repo):
    with_lines = GOOD_OPPORTUNITY.replace(
        "amount: 48000\n", "line_items:\n  - {sku: SCN-200, quantity: 2}\n"
    )
    top = repo({"opportunities/lines.md": with_lines})
    write_files(
        top,
        {
            "products.yaml": "products:\n"
            "  - {sku: SVC-DAY, name: Service day, unit_price: 950, unit: day}\n"
        },
    )
    git(top, "add", "products.yaml")
    refused(
        commit(top),
        (
            "opportunities/lines.md:8:1: error: sku `SCN-200` is not in products.yaml; add it to "
            "the catalog, or drop the sku and give the line its own name and unit_price "
            "[unknown-product]\n"
        ),
        "1 error, 0 warnings in 1 opportunity, 1 product",
    )


def test_config_change_rechecks_everything(repo):
    top = repo()
    write_files(
        top, {"textcrm.yaml": DEFAULT_CONFIG.replace("owners: [alice, bob]", "owners: [bob]")}
    )
    git(top, "add", "textcrm.yaml")
    refused(
        commit(top),
        (
            "opportunities/acme.md:4:1: error: owner `alice` is not in textcrm.yaml's owners "
            "(bob) [unknown-owner]\n"
        ),
        "1 error, 0 warnings in 1 opportunity, 2 accounts, 2 contacts, 1 competitor, 2 products",
    )


def test_clean_merge_is_checked_by_the_pre_merge_commit_hook(repo):
    top = repo()
    git(top, "checkout", "-q", "-b", "cleanup")
    git(top, "rm", "-q", "contacts/jane-doe.md")
    write_files(top, {"opportunities/acme.md": GOOD_OPPORTUNITY.replace(", contact: jane-doe", "")})
    accepted(commit(top, "-a"), "textcrm: no problems in 1 opportunity\n")
    git(top, "checkout", "-q", "main")
    write_files(top, {"opportunities/new.md": GOOD_OPPORTUNITY})
    git(top, "add", "-A")
    accepted(commit(top), "textcrm: no problems in 1 opportunity\n")
    merge = git(
        top,
        "merge",
        "--no-edit",
        "cleanup",
        check=False,
        env={"TEXTCRM_TODAY": TODAY, "NO_COLOR": "1"},
    )
    assert merge.returncode == 1
    assert merge.stderr.startswith(
        "opportunities/new.md:9:1: error: activity contact `jane-doe` does not exist (no "
        "contacts/jane-doe.md); did you mean `john-roe`? [unknown-contact]\n"
        "textcrm: 1 error, 0 warnings in 2 opportunities\n" + REFUSED
    )


def test_commit_of_named_files_checks_only_those(repo):
    top = repo()
    write_files(
        top, {"opportunities/acme.md": BAD_OPPORTUNITY, "opportunities/new.md": GOOD_OPPORTUNITY}
    )
    git(top, "add", "-A")
    # `git commit PATH` runs the hook on a temporary index holding just that change.
    accepted(commit(top, "--", "opportunities/new.md"), "textcrm: no problems in 1 opportunity\n")
    assert head_paths(top) == "A\topportunities/new.md\n"
    refused(
        commit(top),
        CLOSE_PAST.format(path="opportunities/acme.md"),
        "1 error, 0 warnings in 1 opportunity",
    )


# --- `--commit` on the editing commands ---


def test_edit_commit_refused_by_the_hook_leaves_the_index_as_it_was(repo, run):
    """The deal already names a contact that does not exist (committed with --no-verify);
    `set ... --commit` writes the edit, the hook refuses the record's error, and the command
    prints the hook's problem as the hook prints it and puts the index back."""
    top = repo()
    ghost = GOOD_OPPORTUNITY.replace("contact: jane-doe", "contact: ghost")
    write_files(top, {"opportunities/acme.md": ghost})
    git(top, "commit", "-q", "-a", "--no-verify", "-m", "emergency")
    # Something else is staged for the file already: it must stay staged as it was.
    staged_version = ghost.replace("Notes.", "Staged notes.")
    write_files(top, {"opportunities/acme.md": staged_version})
    git(top, "add", "opportunities/acme.md")
    index_before = git(top, "ls-files", "--stage").stdout
    head_before = git(top, "rev-parse", "HEAD").stdout

    result = run(
        ["set", "acme", "next_step", "Call Jane", "--commit"],
        cwd=top,
        env={"TEXTCRM_TODAY": TODAY},
    )
    assert result.exit_code == 1
    assert result.output == (
        "opportunities/acme.md: set next_step on acme\n"
        "opportunities/acme.md:9:1: error: activity contact `ghost` does not exist (no "
        "contacts/ghost.md) [unknown-contact]\n"
        "textcrm: 1 error, 0 warnings in 1 opportunity\n" + REFUSED + "textcrm: error: the "
        "commit was not made (see above): opportunities/acme.md is written but not committed, "
        "and not staged either (the index is as it was before this command). Fix what the hook "
        "reports, then `git add` and commit it, or run the command again.\n"
    )
    assert git(top, "rev-parse", "HEAD").stdout == head_before
    assert git(top, "ls-files", "--stage").stdout == index_before
    assert (top / "opportunities/acme.md").read_text() == staged_version.replace(
        "---\nStaged", "next_step: Call Jane\n---\nStaged"
    )
    assert git(top, "status", "--porcelain").stdout == "MM opportunities/acme.md\n"


def test_edit_commit_of_a_new_file_refused_leaves_it_untracked(repo, run):
    """The new deal names a contact whose file exists but was never added to git: `new`
    checks the working tree and writes the deal; the hook checks what would be committed,
    where the contact does not exist, and refuses. The new file stays, untracked."""
    top = repo()
    write_files(top, {"contacts/ann-lee.md": "---\nname: Ann Lee\naccount: acme-corp\n---\n"})
    index_before = git(top, "ls-files", "--stage").stdout
    result = run(
        [
            "new",
            "opportunity",
            "Label printers",
            "--account",
            "acme-corp",
            "--owner",
            "alice",
            "--amount",
            "900",
            "--contact",
            "ann-lee",
            "--commit",
        ],
        cwd=top,
        env={"TEXTCRM_TODAY": TODAY},
    )
    assert result.exit_code == 1
    assert "does not exist (no contacts/ann-lee.md) [unknown-contact]" in result.output
    assert "opportunities/acme-corp-label-printers.md is written but not committed" in (
        result.output
    )
    assert git(top, "ls-files", "--stage").stdout == index_before
    assert git(top, "status", "--porcelain").stdout == (
        "?? contacts/ann-lee.md\n?? opportunities/acme-corp-label-printers.md\n"
    )


# --- file names, as the pre-commit framework passes them ---


def test_named_files_that_are_not_staged_are_checked_in_the_working_tree(repo, run):
    top = repo(sub="crm")
    write_files(top / "crm", {"opportunities/bad.md": BAD_OPPORTUNITY})
    git(top, "add", "-A")
    git(top, "commit", "-q", "--no-verify", "-m", "emergency")
    result = run(
        ["hook", "run", "crm/opportunities/bad.md", "crm/accounts/acme-corp.md"],
        cwd=top,
        env={"TEXTCRM_TODAY": TODAY},
    )
    assert result.exit_code == 1
    assert result.output == (
        CLOSE_PAST.format(path="crm/opportunities/bad.md")
        + "textcrm: 1 error, 0 warnings in 1 opportunity, 1 account\n"
        "textcrm: fix the errors above (each message says how).\n"
    )
    # The same names, staged: a commit in progress, judged on the index against HEAD.
    write_files(top / "crm", {"opportunities/acme.md": GOOD_OPPORTUNITY + "More.\n"})
    git(top, "add", "-A")
    staged = run(
        ["hook", "run", "crm/opportunities/acme.md"], cwd=top, env={"TEXTCRM_TODAY": TODAY}
    )
    assert staged.exit_code == 0, staged.output
    assert staged.output == "textcrm: no problems in 1 opportunity\n"
