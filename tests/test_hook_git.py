"""The hook's git reads: one `git cat-file --batch` for every blob, narrow listings of HEAD."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GOOD_OPPORTUNITY, git, write_files
from textcrm import git as textcrm_git
from textcrm.errors import GitError


def test_one_batch_reads_many_blobs_in_chunks_and_leaves_missing_ones_out(tmp_path):
    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q")
    contents = {f"notes/n{i}.txt": f"note {i}\n" * (i % 7 + 1) for i in range(2500)}
    write_files(top, dict(contents))
    git(top, "add", "-A")
    listed = textcrm_git.list_index(top, "")
    shas = [listed[p].sha for p in contents]
    missing = "0123456789abcdef0123456789abcdef01234567"
    with textcrm_git.BlobBatch(top) as batch:
        first = batch.read(shas[:3])
        rest = batch.read([*shas, missing])  # more than two chunks, through the same process
    assert first == {shas[i]: contents[f"notes/n{i}.txt"].encode() for i in range(3)}
    assert len(rest) == 2500 and missing not in rest
    assert all(rest[listed[p].sha] == text.encode() for p, text in contents.items())


def test_a_batch_outside_git_is_a_git_error(tmp_path):
    with textcrm_git.BlobBatch(tmp_path) as batch, pytest.raises(GitError) as failure:
        batch.read(["0123456789abcdef0123456789abcdef01234567"])
    assert failure.value.message == "git cat-file --batch stopped unexpectedly"


def test_a_commit_reader_lists_only_the_paths_asked_for(make_repo, tmp_path):
    top = make_repo(
        {"opportunities/acme.md": GOOD_OPPORTUNITY, "opportunities/globex.md": GOOD_OPPORTUNITY},
        root=tmp_path / "repo",
    )
    git(top, "init", "-q")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "first")
    head = textcrm_git.resolve(top, "HEAD")
    only = ["textcrm.yaml", "contacts/", "opportunities/acme.md", "opportunities/gone.md"]
    with textcrm_git.BlobBatch(top) as batch:
        reader = textcrm_git.GitReader(top, commit=head, top=top, only=only, blobs=batch)
        assert reader.files() == [
            "contacts/jane-doe.md",
            "contacts/john-roe.md",
            "opportunities/acme.md",
            "textcrm.yaml",
        ]
        assert reader.read("opportunities/acme.md") == GOOD_OPPORTUNITY.encode()


def test_a_crm_in_a_subfolder_is_listed_under_its_prefix(make_repo, tmp_path):
    top = tmp_path / "top"
    crm = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY}, root=top / "sales crm")
    write_files(top, {"README.md": "code\n"})
    git(top, "init", "-q")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "first")
    head = textcrm_git.resolve(top, "HEAD")
    reader = textcrm_git.GitReader(
        Path(crm), commit=head, top=top, only=["accounts/", "opportunities/acme.md"]
    )
    assert reader.files() == [
        "accounts/acme-corp.md",
        "accounts/globex-inc.md",
        "opportunities/acme.md",
    ]
