"""`textcrm init`: a new repository that passes check, guarded by the hook, with CI files."""

from __future__ import annotations

import yaml

from conftest import GOOD_OPPORTUNITY, TODAY, git, write_files
from textcrm.hook import MARKER
from textcrm.init import templates_dir

CREATED = [
    "created textcrm.yaml",
    "created products.yaml",
    "created .gitignore",
    "created opportunities/README.md",
    "created accounts/README.md",
    "created contacts/README.md",
    "created competitors/README.md",
]


def test_init_creates_a_repository_that_passes_check(run, tmp_path):
    target = tmp_path / "sales"
    result = run(["init", str(target)], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    root = target.resolve()
    assert result.output.splitlines() == [
        f"textcrm: set up a CRM repository in {root}:",
        "  git init",
        *[f"  {line}" for line in CREATED],
        "  created .github/workflows/textcrm.yml",
        "  installed the pre-commit hook (.git/hooks/pre-commit)",
        "Next: add accounts/ and opportunities/ files, run `textcrm check`, and commit.",
    ]
    assert MARKER in (root / ".git/hooks/pre-commit").read_text()
    assert (root / ".gitignore").read_text().splitlines()[1:] == ["_site/", ".textcrm-cache/"]
    check = run(["check", "--today", TODAY], cwd=root)
    assert check.exit_code == 0
    assert check.output == "no problems (no records yet)\n"
    stages = run(["stages", "--format", "json"], cwd=root)
    keys = [s["key"] for s in yaml.safe_load(stages.output)["stages"]]
    assert keys == [
        "prospecting",
        "qualification",
        "proposal",
        "negotiation",
        "closed-won",
        "closed-lost",
    ]
    assert all(s["description"] for s in yaml.safe_load(stages.output)["stages"])

    # The first commit goes through the installed hook, and so does a first deal.
    git(root, "add", "-A")
    first = git(root, "commit", "-q", "-m", "init", check=False, env={"TEXTCRM_TODAY": TODAY})
    assert first.returncode == 0, first.stderr
    assert first.stderr == "textcrm: no problems (no records yet)\n"
    write_files(
        root,
        {
            "accounts/acme-corp.md": "---\nname: Acme Corp\n---\n",
            "contacts/jane-doe.md": "---\nname: Jane\naccount: acme-corp\n---\n",
            "opportunities/acme.md": GOOD_OPPORTUNITY.replace("owner: alice", "owner: dana"),
        },
    )
    git(root, "add", "-A")
    deal = git(root, "commit", "-q", "-m", "deal", check=False, env={"TEXTCRM_TODAY": TODAY})
    assert deal.returncode == 0, deal.stderr
    # The folder READMEs are not records.
    assert deal.stderr == "textcrm: no problems in 1 opportunity, 1 account, 1 contact\n"


def test_init_twice_changes_nothing(run, tmp_path):
    target = tmp_path / "sales"
    run(["init", str(target)], cwd=tmp_path)
    before = {
        p: p.read_bytes() for p in target.rglob("*") if p.is_file() and ".git/" not in p.as_posix()
    }
    again = run(["init", str(target)], cwd=tmp_path)
    assert again.exit_code == 0
    assert again.output == f"textcrm: {target.resolve()} is already set up; nothing changed\n"
    after = {
        p: p.read_bytes() for p in target.rglob("*") if p.is_file() and ".git/" not in p.as_posix()
    }
    assert before == after


def test_init_keeps_existing_files_and_adds_the_missing_ones(run, tmp_path):
    target = tmp_path / "sales"
    write_files(
        target,
        {
            "textcrm.yaml": "currency: EUR\nstages: [{key: open, name: Open, "
            "probability: 50, forecast: pipeline}]\n"
        },
    )
    result = run(["init", str(target), "--no-hook", "--ci", "none"], cwd=tmp_path)
    assert result.exit_code == 0
    assert "created textcrm.yaml" not in result.output
    assert "  created products.yaml" in result.output
    assert (target / "textcrm.yaml").read_text().startswith("currency: EUR")
    assert not (target / ".git/hooks/pre-commit").exists()
    assert not (target / ".github").exists() and not (target / ".gitlab-ci.yml").exists()


def test_init_in_a_sub_folder_of_a_git_repository_with_gitlab(run, tmp_path):
    git(tmp_path, "init", "-q")
    result = run(["init", "sales/crm", "--ci", "gitlab"], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "git init" not in result.output
    assert f"  created {tmp_path / '.gitlab-ci.yml'}" in result.output
    assert (tmp_path / ".git/hooks/pre-commit").is_file()
    ci = yaml.safe_load((tmp_path / ".gitlab-ci.yml").read_text())
    assert ci["variables"]["CRM_DIR"] == "sales/crm"
    assert ci["variables"]["GIT_DEPTH"] == "0"
    assert ci["check"]["script"] == ["textcrm check"]
    assert ci["pages"]["artifacts"]["paths"] == ["public"]
    assert "textcrm build" in ci["pages"]["script"]
    mr = ci["check-merge-request"]
    assert mr["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert (
        'textcrm changes --since "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" --format markdown'
    ) in mr["script"]
    # A commit in the bigger repository is checked with paths from its top.
    write_files(tmp_path, {"sales/crm/accounts/x.md": "---\nindustry: none\n---\n"})
    git(tmp_path, "add", "-A")
    proc = git(
        tmp_path,
        "commit",
        "-q",
        "-m",
        "x",
        check=False,
        env={"TEXTCRM_TODAY": TODAY, "NO_COLOR": "1"},
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("sales/crm/accounts/x.md:")


def test_github_workflow_checks_builds_deploys_and_comments(run, tmp_path):
    run(["init", str(tmp_path / "crm"), "--no-hook"], cwd=tmp_path)
    text = (tmp_path / "crm/.github/workflows/textcrm.yml").read_text()
    flow = yaml.safe_load(text)
    assert flow[True]["pull_request"] is None  # YAML 1.1 reads the key `on` as true
    assert flow["defaults"]["run"]["working-directory"] == "."
    check = flow["jobs"]["check"]
    assert check["steps"][0] == {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}
    runs = [s.get("run", "") for s in check["steps"]]
    assert 'textcrm check --changed-since "origin/${{ github.base_ref }}" --format github' in runs
    assert "textcrm check --format github" in runs
    assert any("textcrm changes --since" in r and "gh pr comment" in r for r in runs)
    site = flow["jobs"]["site"]
    assert site["steps"][0]["with"] == {"fetch-depth": 0}
    assert {"name": "Build the pipeline site", "run": "textcrm build"} in site["steps"]
    assert {"uses": "actions/upload-pages-artifact@v3", "with": {"path": "./_site"}} in site[
        "steps"
    ]
    deploy = flow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["steps"] == [{"id": "deployment", "uses": "actions/deploy-pages@v4"}]


def test_templates_ship_with_the_package():
    found = templates_dir()
    assert (found / "textcrm.yaml").is_file()
    assert sorted(p.name for p in (found / "ci").iterdir()) == ["github.yml", "gitlab.yml"]
