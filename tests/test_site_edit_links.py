"""Edit links to the forge: "Edit this file" on record pages and "New ..." on index pages for
GitHub, GitLab and Gitea patterns, and `init` writing the pattern from the git remote."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import DEFAULT_CONFIG, GOOD_OPPORTUNITY, TODAY, git
from htmltree import parse

FORGES = {
    "github": "https://github.com/acme/crm/edit/main/{path}",
    "gitlab": "https://gitlab.com/acme/sales/crm/-/edit/main/{path}",
    "gitea": "https://codeberg.org/acme/crm/_edit/main/{path}",
}
# Where each forge's new-file form lives and how its query names the file and its content.
NEW = {
    "github": ("https://github.com/acme/crm/new/main/", "filename", "value"),
    "gitlab": ("https://gitlab.com/acme/sales/crm/-/new/main/", "file_name", "content"),
    "gitea": ("https://codeberg.org/acme/crm/_new/main/", "filename", "value"),
}
RECORD_PAGES = {
    "opportunities/acme-scanners.html": "opportunities/acme-scanners.md",
    "accounts/acme-corp.html": "accounts/acme-corp.md",
    "contacts/jane-doe.html": "contacts/jane-doe.md",
    "contacts/zoë quinn.html": "contacts/zo%C3%AB%20quinn.md",
    "competitors/initech.html": "competitors/initech.md",
}
INDEX_PAGES = {
    "index.html": ["opportunity", "account", "contact"],
    "board.html": ["opportunity", "account", "contact"],
    "opportunities.html": ["opportunity", "account", "contact"],
    "accounts.html": ["opportunity", "account", "contact"],
    "contacts.html": ["opportunity", "account", "contact"],
    "competitors.html": ["opportunity", "account", "contact", "competitor"],
}
FOLDERS = {
    "opportunity": "opportunities",
    "account": "accounts",
    "contact": "contacts",
    "competitor": "competitors",
}
# The new-record templates with their values blank (the first open stage, created today).
TEMPLATES = {
    "opportunity": (
        "---\ntitle: \naccount: \nowner: \nstage: prospecting\nclose_date: \namount: \n"
        f"created: {TODAY}\nnext_step:\n---\n## Situation\n\n<!-- What the customer wants, and "
        "why now. -->\n\n## Plan\n\n- [ ] First step\n"
    ),
    "account": "---\nname: \n---\n## Overview\n\n<!-- Who they are, what they do, and what "
    "they struggle with. -->\n",
    "contact": "---\nname: \n---\n",
    "competitor": "---\nname: \n---\n# \n\n## Strengths\n\n## Weaknesses\n\n## How we win\n",
}


def links(site: Path, rel: str) -> list[tuple[str, str]]:
    found = parse((site / rel).read_text(encoding="utf-8")).find_all("p", class_="edit-links")
    return [(a.text, a.attrs["href"] or "") for p in found for a in p.find_all("a")]


def build(run, make_repo, edit_url: str | None, tmp_path: Path) -> Path:
    config = DEFAULT_CONFIG + (f"edit_url: {edit_url}\n" if edit_url else "")
    crm = make_repo(
        {
            "opportunities/acme-scanners.md": GOOD_OPPORTUNITY,
            "contacts/zoë quinn.md": "---\nname: Zoë Quinn\naccount: acme-corp\n---\n",
        },
        config=config,
    )
    out = tmp_path / "site"
    result = run(["build", "--root", str(crm), "--today", TODAY, "--no-cache", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("forge", list(FORGES))
def test_every_record_page_links_to_its_file_in_the_forges_editor(run, make_repo, tmp_path, forge):
    site = build(run, make_repo, FORGES[forge], tmp_path)
    for page, source in RECORD_PAGES.items():
        want = FORGES[forge].replace("{path}", source)
        assert links(site, page) == [("Edit this file", want)], page


@pytest.mark.parametrize("forge", list(FORGES))
def test_every_index_page_links_to_the_forges_new_file_form_with_the_template(
    run, make_repo, tmp_path, forge
):
    site = build(run, make_repo, FORGES[forge], tmp_path)
    base, name_key, content_key = NEW[forge]
    for page, kinds in INDEX_PAGES.items():
        found = links(site, page)
        assert [text for text, _ in found] == [f"New {k}" for k in kinds], page
        for (_, href), kind in zip(found, kinds, strict=True):
            parts = urlsplit(href)
            assert f"{parts.scheme}://{parts.netloc}{parts.path}" == base + FOLDERS[kind]
            query = parse_qs(parts.query, keep_blank_values=True)
            assert query == {name_key: [f"new-{kind}.md"], content_key: [TEMPLATES[kind]]}
    # The exact bytes of one link: every reserved character of the template percent-encoded.
    assert links(site, "contacts.html")[2][1] == (
        f"{base}contacts?{name_key}=new-contact.md&{content_key}=---%0Aname%3A%20%0A---%0A"
    )
    for page in ("products.html", "process.html", "problems.html"):
        assert links(site, page) == [], page


def test_an_unrecognised_pattern_gives_edit_links_only(run, make_repo, tmp_path):
    site = build(run, make_repo, "https://git.example/crm/src/{path}?mode=edit", tmp_path)
    assert links(site, "accounts/acme-corp.html") == [
        ("Edit this file", "https://git.example/crm/src/accounts/acme-corp.md?mode=edit")
    ]
    assert links(site, "accounts.html") == []


def test_no_edit_url_no_links(run, make_repo, tmp_path):
    site = build(run, make_repo, None, tmp_path)
    assert links(site, "accounts/acme-corp.html") == []
    assert links(site, "index.html") == []
    assert "edit-links" not in (site / "index.html").read_text()


def test_edit_url_must_be_a_url_with_path(run, make_repo):
    crm = make_repo(config=DEFAULT_CONFIG + "edit_url: https://github.com/acme/crm\n")
    result = run(["check", "--root", str(crm), "--today", TODAY])
    assert result.exit_code == 2
    assert "edit_url: `https://github.com/acme/crm` is not a URL pattern" in result.output


# --- init: the pattern from the git remote ------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "branch", "pattern"),
    [
        ("git@github.com:acme/crm.git", "main", "https://github.com/acme/crm/edit/main/{path}"),
        ("https://github.com/acme/crm", "trunk", "https://github.com/acme/crm/edit/trunk/{path}"),
        (
            "ssh://git@gitlab.com/acme/sales/crm.git",
            "main",
            "https://gitlab.com/acme/sales/crm/-/edit/main/{path}",
        ),
        (
            "https://oauth2@gitlab.example.org/sales/crm.git",
            "release/2026",
            "https://gitlab.example.org/sales/crm/-/edit/release/2026/{path}",
        ),
        (
            "ssh://git@gitea.acme.example:2222/sales/crm.git",
            "main",
            "https://gitea.acme.example/sales/crm/_edit/main/{path}",
        ),
        (
            "git@codeberg.org:acme/crm.git",
            "main",
            "https://codeberg.org/acme/crm/_edit/main/{path}",
        ),
        (
            "https://git.gitea.example:3000/sales/crm.git",
            "main",
            "https://git.gitea.example:3000/sales/crm/_edit/main/{path}",
        ),
    ],
)
def test_init_writes_the_forges_pattern_from_the_remote(run, tmp_path, remote, branch, pattern):
    target = tmp_path / "sales"
    target.mkdir()
    git(target, "init", "--quiet", "--initial-branch", branch)
    git(target, "remote", "add", "origin", remote)
    result = run(["init", str(target), "--no-hook"], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert f"  edit_url set from the git remote: {pattern}" in result.output.splitlines()
    config = (target / "textcrm.yaml").read_text()
    assert config.endswith(f"\nedit_url: {pattern}\n")
    check = run(["check", "--root", str(target), "--today", TODAY])
    assert check.exit_code == 0, check.output


def test_init_in_a_subfolder_uses_the_remotes_default_branch(run, tmp_path):
    top = tmp_path / "company"
    top.mkdir()
    git(top, "init", "--quiet", "--initial-branch", "work")
    git(top, "remote", "add", "upstream", "git@github.com:acme/company.git")
    git(top, "symbolic-ref", "refs/remotes/upstream/HEAD", "refs/remotes/upstream/main")
    result = run(["init", str(top / "crm"), "--no-hook"], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (
        (top / "crm" / "textcrm.yaml")
        .read_text()
        .endswith("\nedit_url: https://github.com/acme/company/edit/main/crm/{path}\n")
    )


def test_init_leaves_edit_url_out_for_another_host_or_no_remote(run, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "--quiet")
    git(other, "remote", "add", "origin", "git@bitbucket.org:acme/crm.git")
    assert run(["init", str(other), "--no-hook"], cwd=tmp_path).exit_code == 0
    assert "edit_url" not in (other / "textcrm.yaml").read_text()
    fresh = tmp_path / "fresh"
    assert run(["init", str(fresh), "--no-hook"], cwd=tmp_path).exit_code == 0
    assert "edit_url" not in (fresh / "textcrm.yaml").read_text()
