"""Hostile and broken files: each is one clear, located problem; never a traceback; the rest of
the repository is still checked."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import GOOD_OPPORTUNITY

TODAY = "2026-11-28"


def check_json(run, root: Path) -> dict:
    result = run(["check", "--format", "json", "--today", TODAY, "--no-cache"], cwd=root)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def rules_by_path(doc: dict) -> dict[str, set[tuple[int, int, str]]]:
    out: dict[str, set[tuple[int, int, str]]] = {}
    for p in doc["problems"]:
        out.setdefault(p["path"], set()).add((p["line"], p["column"], p["rule"]))
    return out


def bomb() -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for i in range(1, 9):
        text += f"l{i}: &l{i} [{','.join(['*' + prev] * 9)}]\n"
        prev = f"l{i}"
    return f"---\n{text}activities: [{','.join(['*' + prev] * 9)}]\n---\n"


HOSTILE: dict[str, str | bytes] = {
    "opportunities/latin1.md": "---\ntitle: Caf\xe9\n---\n".encode("latin-1"),
    "opportunities/binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "opportunities/empty.md": b"",
    "opportunities/only-dashes.md": "---\n",
    "opportunities/list.md": "---\n- a\n- b\n---\n",
    "opportunities/scalar.md": "---\njust words\n---\n",
    "opportunities/python-tag.md": (
        "---\ntitle: !!python/object/apply:os.system ['touch pwned']\n---\n"
    ),
    "opportunities/bomb.md": bomb(),
    "opportunities/recursive.md": "---\nactivities: &b [*b]\n---\n",
    "opportunities/no-close.md": "---\ntitle: x\n\nNotes without a closing line.\n",
    "opportunities/broken-yaml.md": "---\ntitle: ok\n  bad: indent\n---\n",
}


def test_hostile_files_are_reported_and_the_rest_is_checked(make_repo, run, tmp_path):
    files = dict(HOSTILE)
    files["opportunities/good.md"] = GOOD_OPPORTUNITY
    root = make_repo(files)
    doc = check_json(run, root)
    found = rules_by_path(doc)
    assert found["opportunities/latin1.md"] == {(2, 11, "unreadable-file")}
    assert found["opportunities/binary.md"] == {(1, 1, "unreadable-file")}
    assert found["opportunities/empty.md"] == {(1, 1, "front-matter-missing")}
    assert found["opportunities/only-dashes.md"] == {(1, 1, "front-matter-missing")}
    assert found["opportunities/list.md"] == {(1, 1, "front-matter-missing")}
    assert found["opportunities/scalar.md"] == {(1, 1, "front-matter-missing")}
    assert (2, 1, "yaml-syntax") in found["opportunities/python-tag.md"]
    assert not (root / "pwned").exists()
    assert (10, 5, "invalid-value") in found["opportunities/bomb.md"]
    assert (2, 13, "invalid-value") in found["opportunities/recursive.md"]
    assert found["opportunities/no-close.md"] == {(1, 1, "front-matter-missing")}
    assert found["opportunities/broken-yaml.md"] == {(3, 6, "yaml-syntax")}
    assert "opportunities/good.md" not in found
    assert doc["checked"]["opportunities"] == len(files)


def test_messages_are_clear(make_repo, run):
    root = make_repo(dict(HOSTILE))
    messages = {p["path"]: p["message"] for p in check_json(run, root)["problems"]}
    assert messages["opportunities/latin1.md"] == (
        "file is not valid UTF-8 (byte 0xe9 at line 2); save it as UTF-8"
    )
    assert messages["opportunities/binary.md"] == "file is binary (it contains NUL bytes), not text"
    assert messages["opportunities/no-close.md"].startswith(
        "the front matter opened on line 1 is never closed"
    )
    assert (
        "unknown YAML tag `!!python/object/apply:os.system`"
        in (messages["opportunities/python-tag.md"])
    )


def test_fifty_megabyte_file(make_repo, run):
    root = make_repo(
        {
            "opportunities/huge.md": GOOD_OPPORTUNITY + "x" * 50_000_000,
            "opportunities/good.md": GOOD_OPPORTUNITY,
        }
    )
    doc = check_json(run, root)
    assert [(p["path"], p["rule"]) for p in doc["problems"]] == [
        ("opportunities/huge.md", "unreadable-file")
    ]
    assert doc["problems"][0]["message"].startswith("file is 47.7 MB")


def test_symlink_outside_the_repository_is_not_followed(make_repo, run, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text(GOOD_OPPORTUNITY)
    root = make_repo({"opportunities/good.md": GOOD_OPPORTUNITY})
    os.symlink(secret, root / "opportunities" / "outside.md")
    os.symlink(root / "opportunities" / "good.md", root / "opportunities" / "inside.md")
    doc = check_json(run, root)
    assert [(p["path"], p["rule"], p["message"]) for p in doc["problems"]] == [
        (
            "opportunities/outside.md",
            "unreadable-file",
            "symlink points outside the repository; not followed",
        )
    ]


def test_bom_and_crlf_are_read(make_repo, run):
    text = "\ufeff" + GOOD_OPPORTUNITY.replace("\n", "\r\n").replace(
        "close_date: 2026-12-19", "close_date: 2026-11-01"
    )
    root = make_repo({"opportunities/crlf.md": text.encode("utf-8")})
    doc = check_json(run, root)
    assert [(p["line"], p["rule"]) for p in doc["problems"]] == [(6, "close-date-past")]


def test_yaml_11_surprises_stay_text(make_repo, run):
    text = (
        GOOD_OPPORTUNITY.replace("title: Acme Corp - warehouse scanners", "title: NO")
        .replace("Notes.", "Body.")
        .replace("---\nBody", "next_step: 12:30\n---\nBody")
    )
    root = make_repo({"opportunities/no.md": text})
    from datetime import date

    from textcrm.loader import load

    result = load(root, date(2026, 11, 28))
    opp = result.repository.opportunities["no"]
    assert (opp.title, opp.next_step) == ("NO", "12:30")
    assert result.diagnostics == []


def test_money_is_exact(make_repo):
    from datetime import date
    from decimal import Decimal

    from textcrm.loader import load

    text = GOOD_OPPORTUNITY.replace("amount: 48000", "amount: 0.1")
    root = make_repo({"opportunities/a.md": text})
    opp = load(root, date(2026, 11, 28)).repository.opportunities["a"]
    assert opp.amount == Decimal("0.1") and str(opp.amount) == "0.1"


def test_broken_config_is_a_usage_error_with_its_line(make_repo, run):
    root = make_repo(
        config="currency: USD\nstages:\n  - {key: a, name: A, probability: 140, "
        "forecast: pipeline}\n"
    )
    result = run(["check", "--today", TODAY], cwd=root)
    assert result.exit_code == 2
    assert "textcrm.yaml:3:" in result.output
    assert "probability: 140 is outside 0-100 [invalid-value]" in result.output
    assert "Traceback" not in result.output


def test_config_with_yaml_error(make_repo, run):
    root = make_repo(config="stages: [\n")
    result = run(["check", "--today", TODAY], cwd=root)
    assert result.exit_code == 2
    assert "textcrm.yaml:2:1: error: invalid YAML" in result.output


def test_no_repository_is_a_usage_error(run, tmp_path):
    result = run(["check"], cwd=tmp_path)
    assert result.exit_code == 2
    assert "no textcrm.yaml found" in result.output


def test_bad_today_is_a_usage_error(make_repo, run):
    result = run(["check", "--today", "tomorrow"], cwd=make_repo())
    assert result.exit_code == 2
    assert "--today: `tomorrow` is not a date" in result.output
