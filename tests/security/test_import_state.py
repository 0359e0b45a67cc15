"""Import state is repository content: an id in .textcrm-import/state.json never becomes a path
outside the CRM root, and a bad state file is a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import TODAY, write_files

CONFIG = """\
currency: USD
stages:
  - {key: prospecting, name: Prospecting, probability: 10, forecast: pipeline}
  - {key: negotiation, name: Negotiation, probability: 80, forecast: commit}
  - {key: closed-won,  name: Closed Won,  probability: 100, forecast: closed, outcome: won}
"""
ACCOUNTS = "\ufeffId,IsDeleted,Name\n001A,,Acme Corp\n"
OPPORTUNITIES = (
    "\ufeffId,IsDeleted,AccountId,Name,StageName,Amount,CloseDate,OwnerId\n"
    "006A,,001A,Warehouse scanners,Negotiation/Review,48000,2026-12-19,005X\n"
)


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def import_salesforce(run, make_repo, tmp_path: Path, state: object):
    root = make_repo(
        {".textcrm-import/state.json": json.dumps(state)}, config=CONFIG, defaults=False
    )
    where = tmp_path / "export"
    write_files(where, {"Account.csv": ACCOUNTS, "Opportunity.csv": OPPORTUNITIES})
    before = files_under(tmp_path)
    result = run(
        [
            "import",
            "csv",
            str(where / "Account.csv"),
            str(where / "Opportunity.csv"),
            "--from",
            "salesforce",
            "--root",
            str(root),
            "--today",
            TODAY,
        ]
    )
    return root, result, before


@pytest.mark.parametrize(
    "hostile_id", ["../../x", "../x", "/tmp/x", "sub/x", ".hidden", "..", "a\\..\\..\\x"]
)
def test_an_id_in_the_state_never_becomes_a_path(run, make_repo, tmp_path, hostile_id):
    state = {
        "version": 1,
        "records": {"opportunity": {"006A": {"id": hostile_id, "fields": {}}}},
    }
    _root, result, before = import_salesforce(run, make_repo, tmp_path, state)
    assert result.exit_code == 1
    assert result.output.startswith(
        f"textcrm: error: .textcrm-import/state.json cannot be used: "
        f"`records.opportunity.006A` has the id `{hostile_id}`, which is not a record file name"
    ), result.output
    assert "Traceback" not in result.output
    # Nothing was written anywhere: not outside the root, not inside it.
    assert files_under(tmp_path) == before
    assert not (tmp_path / "x.md").exists()


def test_a_good_state_id_is_kept(run, make_repo, tmp_path):
    """The validation refuses only what is not a record file name: a real earlier id is used."""
    state = {"version": 1, "records": {"opportunity": {"006A": {"id": "acme-deal", "fields": {}}}}}
    root, result, _before = import_salesforce(run, make_repo, tmp_path, state)
    assert result.exit_code == 0, result.output
    assert (root / "opportunities/acme-deal.md").is_file()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[1, 2]", "it is not a JSON object"),
        ('{"records": []}', "`records` is not an object"),
        ('{"records": {"secrets": {}}}', "`records` has an unknown kind `secrets`"),
        ('{"records": {"account": {"001A": "acme"}}}', "`records.account.001A` is not an object"),
        (
            '{"records": {"account": {"001A": {"fields": {}}}}}',
            "`records.account.001A` has no `id`",
        ),
        ('{"version": "x", "records": {}}', "`version` is not a whole number"),
        ('{"records": ', "is not valid JSON"),
    ],
)
def test_a_bad_state_file_is_a_clear_message(run, make_repo, tmp_path, text, problem):
    root = make_repo({".textcrm-import/state.json": text}, config=CONFIG, defaults=False)
    where = tmp_path / "export"
    write_files(where, {"Account.csv": ACCOUNTS})
    result = run(
        ["import", "csv", str(where / "Account.csv"), "--from", "salesforce", "--root", str(root)]
    )
    assert result.exit_code == 1
    assert f".textcrm-import/state.json cannot be used: {problem}" in result.output
    assert "delete it to start over" in result.output
    assert not (root / "accounts").exists()


def test_a_state_folder_symlinked_outside_is_neither_read_nor_written(run, make_repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "state.json").write_text('{"records": {}}')
    root = make_repo(config=CONFIG, defaults=False)
    (root / ".textcrm-import").symlink_to(outside, target_is_directory=True)
    where = tmp_path / "export"
    write_files(where, {"Account.csv": ACCOUNTS})
    result = run(
        ["import", "csv", str(where / "Account.csv"), "--from", "salesforce", "--root", str(root)]
    )
    assert result.exit_code == 1
    assert (
        ".textcrm-import/state.json cannot be used: goes through .textcrm-import/, a symlink "
        "leading outside the repository" in result.output
    )
    assert sorted(p.name for p in outside.iterdir()) == ["state.json"]
    assert (outside / "state.json").read_text() == '{"records": {}}'
