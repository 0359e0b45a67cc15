"""`textcrm lsp` driven over stdio as an editor drives it: diagnostics, completion, hover,
definition, references, quick fixes and symbols, on real repositories."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import GOOD_OPPORTUNITY, TODAY
from lsp_client import LspClient

CATALOG = """\
products:
  - {sku: SCN-200, name: Handheld scanner, unit_price: 1100, unit: each}
  - {sku: SVC-DAY, name: Service day, unit_price: 950, unit: day}
"""

PAST = GOOD_OPPORTUNITY.replace("close_date: 2026-12-19", "close_date: 2026-11-01")

PRICED = """\
---
title: Globex - scanners for the cold store
account: globex-inc
owner: bob
stage: proposal
close_date: 2026-12-30
follow_up: 2026-12-01
contacts:
  - {contact: john-roe, role: Economic Buyer}
line_items:
  - {sku: SCN-200, quantity: 3, discount: 5%}
  - {name: Installation, quantity: 2, unit_price: 950.50}
activities:
  - {date: 2026-11-25, type: call, contact: john-roe, summary: Pricing}
---
Notes.
"""


@pytest.fixture
def crm(make_repo) -> Path:
    return make_repo(
        {
            "products.yaml": CATALOG,
            "accounts/acme-corp.md": "---\nname: Acme Corp\nindustry: Logistics\n---\n",
            "contacts/jane-doe.md": (
                "---\nname: Jane Doe\naccount: acme-corp\ntitle: CFO\n"
                "email: jane@acme.example\n---\n"
            ),
            "opportunities/acme.md": PAST,
            "opportunities/globex.md": PRICED,
        }
    )


@pytest.fixture
def client(crm: Path) -> Iterator[LspClient]:
    c = LspClient(crm, env={"TEXTCRM_TODAY": TODAY})
    c.initialize()
    yield c
    c.shutdown()


def check_json(run, root: Path, rel: str) -> list[dict[str, Any]]:
    result = run(["check", "--root", str(root), "--today", TODAY, "--format", "json"])
    return [d for d in json.loads(result.output)["problems"] if d["path"] == rel]


def simple(diagnostics: list[dict[str, Any]]) -> list[tuple[str, int, int, int]]:
    return [
        (
            d["code"],
            d["range"]["start"]["line"] + 1,
            d["range"]["start"]["character"] + 1,
            d["severity"],
        )
        for d in diagnostics
    ]


def apply_edits(text: str, edits: list[dict[str, Any]]) -> str:
    """Apply LSP TextEdits (last first, as editors do)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def at(pos: dict[str, int]) -> int:
        return offsets[pos["line"]] + pos["character"]

    for edit in sorted(edits, key=lambda e: at(e["range"]["start"]), reverse=True):
        text = (
            text[: at(edit["range"]["start"])] + edit["newText"] + text[at(edit["range"]["end"]) :]
        )
    return text


# --- diagnostics --------------------------------------------------------------------------------


def test_diagnostics_on_open_are_exactly_those_of_check(client, crm, run) -> None:
    mark = client.mark()
    client.open("opportunities/acme.md")
    got = client.diagnostics("opportunities/acme.md", mark)
    expected = check_json(run, crm, "opportunities/acme.md")
    assert [(d["code"], d["message"]) for d in got] == [(d["rule"], d["message"]) for d in expected]
    assert simple(got) == [
        (d["rule"], d["line"], d["column"], 1 if d["severity"] == "error" else 2) for d in expected
    ]
    assert [d["code"] for d in got] == ["close-date-past"]
    assert got[0]["range"]["start"] == {"line": 5, "character": 0}


def test_diagnostics_follow_every_change_without_saving(client, crm) -> None:
    rel = "opportunities/acme.md"
    mark = client.mark()
    client.open(rel)
    assert [d["code"] for d in client.diagnostics(rel, mark)] == ["close-date-past"]
    client.settle()
    mark = client.mark()
    client.change(rel, GOOD_OPPORTUNITY)
    assert client.diagnostics(rel, mark, version=2) == []
    mark = client.mark()
    client.change(rel, GOOD_OPPORTUNITY.replace("account: acme-corp", "account: acme-crop"))
    got = client.diagnostics(rel, mark, version=3)
    assert [d["code"] for d in got] == ["unknown-account"]
    assert "did you mean `acme-corp`?" in got[0]["message"]
    # The file on disk was never touched.
    assert (crm / rel).read_text() == PAST


def test_a_deleted_account_flags_the_open_opportunities_naming_it(client, crm) -> None:
    rel = "opportunities/globex.md"
    mark = client.mark()
    client.open(rel)
    assert client.diagnostics(rel, mark) == []
    client.settle()
    (crm / "accounts/globex-inc.md").unlink()
    mark = client.mark()
    client.files_changed([("accounts/globex-inc.md", 3)])
    got = client.diagnostics(rel, mark)
    assert [d["code"] for d in got] == ["unknown-account"]
    assert got[0]["range"]["start"]["line"] == 2


def test_an_unsaved_change_to_one_file_updates_the_other_open_files(client) -> None:
    # Quoted deals carry their line prices (else unpriced-line would speak up too).
    quoted = PRICED.replace("discount: 5%}", "discount: 5%, unit_price: 1100}").replace(
        "activities:",
        "quote: {number: Q-1, date: 2026-11-20, valid_until: 2026-12-31}\nactivities:",
    )
    mark = client.mark()
    client.open("opportunities/globex.md", quoted)
    assert client.diagnostics("opportunities/globex.md", mark) == []
    client.settle()
    other = GOOD_OPPORTUNITY.replace("amount: 48000\n", "").replace(
        "activities:",
        "line_items:\n  - {sku: SVC-DAY, quantity: 1, unit_price: 950}\n"
        "quote: {number: Q-1, date: 2026-11-20, valid_until: 2026-12-31}\nactivities:",
    )
    mark = client.mark()
    client.open("opportunities/acme.md", other)
    assert [d["code"] for d in client.diagnostics("opportunities/acme.md", mark)] == [
        "duplicate-quote-number"
    ]
    got = client.diagnostics("opportunities/globex.md", mark)
    assert [d["code"] for d in got] == ["duplicate-quote-number"]
    assert "opportunities/acme.md" in got[0]["message"]


def test_the_config_is_checked_like_any_file(client) -> None:
    mark = client.mark()
    client.open("textcrm.yaml", "currency: USD\nstale_after_days: 7\nstages: nope\n")
    got = client.diagnostics("textcrm.yaml", mark)
    assert got and got[0]["severity"] == 1


# --- completion ---------------------------------------------------------------------------------


def labels(client: LspClient, rel: str, line: int, character: int) -> dict[str, Any]:
    result = client.request("textDocument/completion", client.position(rel, line, character))
    return {item["label"]: item for item in result["items"]}


def test_completion_of_field_names_stages_owners_and_ids(client) -> None:
    rel = "opportunities/new.md"
    text = "---\ntitle: X\nsta\nowner: \naccount: ac\n---\n"
    client.open(rel, text)
    fields = labels(client, rel, 2, 3)
    assert {"stage", "close_date", "line_items", "account"} <= set(fields)
    assert "A stage key from textcrm.yaml." in fields["stage"]["documentation"]["value"]
    assert set(labels(client, rel, 3, 7)) == {"alice", "bob"}
    accounts = labels(client, rel, 4, 11)
    assert set(accounts) == {"acme-corp"}  # what is typed filters the ids
    assert set(labels(client, rel, 4, 9)) == {"acme-corp", "globex-inc"}
    assert accounts["acme-corp"]["detail"] == "Acme Corp"
    assert accounts["acme-corp"]["textEdit"]["range"]["start"] == {"line": 4, "character": 9}


def test_completion_in_flow_and_block_items(client) -> None:
    rel = "opportunities/new.md"
    text = (
        "---\nstage: \nline_items:\n  - {sku: , quantity: 1}\n  - sku: SC\n"
        "activities:\n  - {date: , type: }\n  - {ty\ncurrency: EU\n---\n"
    )
    client.open(rel, text)
    stages = labels(client, rel, 1, 7)
    assert list(stages)[:2] == ["prospecting", "qualification"]
    assert stages["proposal"]["detail"] == "Proposal · 60% · best_case"
    skus = labels(client, rel, 3, 10)
    assert skus["SCN-200"]["detail"] == "Handheld scanner · $1,100.00"
    assert set(labels(client, rel, 4, 11)) == {"SCN-200"}
    assert set(labels(client, rel, 6, 19)) == {"call", "email", "meeting", "demo", "note", "task"}
    dates = labels(client, rel, 6, 11)
    assert list(dates) == ["2026-11-28", "2026-12-05", "2026-11-30"]
    assert "type" in labels(client, rel, 7, 7)
    currencies = labels(client, rel, 8, 12)
    assert currencies["EUR"]["detail"] == "Euro"


# --- hover, definition, references ---------------------------------------------------------------


def hover(client: LspClient, rel: str, line: int, character: int) -> str:
    result = client.request("textDocument/hover", client.position(rel, line, character))
    return result["contents"]["value"] if result else ""


def test_hover_explains_references_stages_lines_and_revenue(client) -> None:
    client.open("opportunities/acme.md")
    client.open("opportunities/globex.md")
    assert hover(client, "opportunities/acme.md", 2, 12) == "**Acme Corp** (account)  \nLogistics"
    contact = hover(client, "opportunities/acme.md", 8, PAST.split("\n")[8].index("jane-doe") + 2)
    assert contact == "**Jane Doe** (contact)  \nCFO  \njane@acme.example  \nat Acme Corp"
    stage = hover(client, "opportunities/globex.md", 4, 9)
    assert stage.startswith("**Proposal** (`proposal`)  \nprobability 60% · forecast best_case")
    # 3 x 1,100.00 = 3,300.00 less 5% = 3,135.00; 2 x 950.50 = 1,901.00.
    assert hover(client, "opportunities/globex.md", 10, 10) == (
        "**Handheld scanner** (SCN-200)  \n$1,100.00 per each"
    )
    assert hover(client, "opportunities/globex.md", 10, 22) == (
        "**Handheld scanner**: 3 x $1,100.00 less $165.00 = **$3,135.00**"
    )
    assert hover(client, "opportunities/globex.md", 11, 22) == (
        "**Installation**: 2 x $950.50 = **$1,901.00**"
    )
    # 5,036.00 expected at 60%: 3,021.60 weighted.
    assert hover(client, "opportunities/globex.md", 9, 3) == (
        "expected $5,036.00 · probability 60% · weighted **$3,021.60** · forecast best_case"
    )


def test_definition_and_references(client, crm) -> None:
    client.open("opportunities/globex.md")
    found = client.request(
        "textDocument/definition", client.position("opportunities/globex.md", 2, 12)
    )
    assert found["uri"] == client.uri("accounts/globex-inc.md")
    sku = client.request(
        "textDocument/definition", client.position("opportunities/globex.md", 10, 12)
    )
    assert sku["uri"] == client.uri("products.yaml")
    assert sku["range"]["start"]["line"] == 1
    client.open("accounts/acme-corp.md")
    refs = client.request(
        "textDocument/references",
        {
            **client.position("accounts/acme-corp.md", 1, 3),
            "context": {"includeDeclaration": False},
        },
    )
    assert sorted((r["uri"].rsplit("/", 2)[-2:][1], r["range"]["start"]["line"]) for r in refs) == [
        ("acme.md", 2),
        ("jane-doe.md", 2),
    ]


# --- quick fixes ----------------------------------------------------------------------------------


def fixes(client: LspClient, rel: str, diagnostics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": client.uri(rel)},
            "range": diagnostics[0]["range"],
            "context": {"diagnostics": diagnostics},
        },
    )


def test_the_close_date_fix_makes_check_clean_of_it(client, crm, run) -> None:
    rel = "opportunities/acme.md"
    mark = client.mark()
    client.open(rel)
    found = client.diagnostics(rel, mark)
    actions = fixes(client, rel, found)
    assert [a["title"] for a in actions] == ["Set close_date to 2026-12-05"]
    edit = actions[0]["edit"]["changes"][client.uri(rel)]
    fixed = apply_edits(PAST, edit)
    assert fixed == PAST.replace("close_date: 2026-11-01", "close_date: 2026-12-05")
    (crm / rel).write_text(fixed)
    assert "close-date-past" not in [d["rule"] for d in check_json(run, crm, rel)]


def test_unknown_id_fixes_offer_the_candidates_and_a_new_file(client, crm) -> None:
    rel = "opportunities/acme.md"
    text = GOOD_OPPORTUNITY.replace("account: acme-corp", "account: acme-crop")
    mark = client.mark()
    client.open(rel, text)
    found = client.diagnostics(rel, mark)
    actions = fixes(client, rel, found)
    assert [a["title"] for a in actions] == [
        "Change to `acme-corp`",
        "Create accounts/acme-crop.md",
    ]
    assert apply_edits(text, actions[0]["edit"]["changes"][client.uri(rel)]) == GOOD_OPPORTUNITY
    create = actions[1]["edit"]["documentChanges"]
    assert create[0] == {
        "kind": "create",
        "uri": client.uri("accounts/acme-crop.md"),
        "options": {"ignoreIfExists": True},
    }
    assert create[1]["edits"][0]["newText"] == "---\nname: Acme Crop\n---\n"


def test_the_gate_fix_inserts_the_missing_fields(client, crm, run) -> None:
    rel = "opportunities/acme.md"
    text = GOOD_OPPORTUNITY.replace("stage: prospecting", "stage: proposal").replace(
        "amount: 48000\n", ""
    )
    mark = client.mark()
    client.open(rel, text)
    found = [d for d in client.diagnostics(rel, mark) if d["code"] == "stage-gate"]
    actions = fixes(client, rel, found)
    assert [a["title"] for a in actions] == ["Add line_items, contacts"]
    fixed = apply_edits(text, actions[0]["edit"]["changes"][client.uri(rel)])
    assert "line_items:\n  - {sku: , quantity: 1}\ncontacts:\n  - {contact: , role: }\n---" in fixed


# --- symbols --------------------------------------------------------------------------------------


def test_document_and_workspace_symbols(client) -> None:
    client.open("opportunities/globex.md")
    symbols = client.request(
        "textDocument/documentSymbol",
        {"textDocument": {"uri": client.uri("opportunities/globex.md")}},
    )
    assert [s["name"] for s in symbols] == ["Globex - scanners for the cold store"]
    assert symbols[0]["detail"] == "proposal · $5,036.00"
    children = symbols[0]["children"]
    assert [c["name"] for c in children] == ["contacts", "line_items", "activities"]
    assert [(c["name"], c["detail"]) for c in children[1]["children"]] == [
        ("Handheld scanner", "$3,135.00"),
        ("Installation", "$1,901.00"),
    ]
    found = client.request("workspace/symbol", {"query": "cold store"})
    assert [(s["name"], s["location"]["uri"]) for s in found] == [
        ("Globex - scanners for the cold store", client.uri("opportunities/globex.md"))
    ]


def test_files_outside_a_crm_repository_are_left_alone(tmp_path) -> None:
    (tmp_path / "notes.md").write_text("---\ntitle: x\n---\n")
    c = LspClient(tmp_path)
    try:
        c.initialize()
        c.open("notes.md")
        result = c.request("textDocument/completion", c.position("notes.md", 1, 3))
        assert result["items"] == []
    finally:
        c.shutdown()


def test_the_unquoted_comma_fix_quotes_the_text(client, crm, run) -> None:
    rel = "opportunities/acme.md"
    text = GOOD_OPPORTUNITY.replace(
        "summary: Walked through pricing}", "summary: Discussed price, wants 5% off}"
    )
    mark = client.mark()
    client.open(rel, text)
    found = [d for d in client.diagnostics(rel, mark) if d["code"] == "unquoted-comma"]
    assert len(found) == 1
    actions = fixes(client, rel, found)
    assert [a["title"] for a in actions] == [
        'Quote the text: summary: "Discussed price, wants 5% off"'
    ]
    fixed = apply_edits(text, actions[0]["edit"]["changes"][client.uri(rel)])
    assert fixed == GOOD_OPPORTUNITY.replace(
        "summary: Walked through pricing}", 'summary: "Discussed price, wants 5% off"}'
    )
    (crm / rel).write_text(fixed)
    assert check_json(run, crm, rel) == []


def test_the_unpriced_line_fix_pins_the_catalog_price(client, crm, run) -> None:
    rel = "opportunities/globex.md"
    text = PRICED.replace("stage: proposal", "stage: closed-won")
    mark = client.mark()
    client.open(rel, text)
    found = [d for d in client.diagnostics(rel, mark) if d["code"] == "unpriced-line"]
    assert [d["range"]["start"]["line"] for d in found] == [10]
    actions = fixes(client, rel, found)
    assert [a["title"] for a in actions] == ["Write the catalog prices into the lines"]
    fixed = apply_edits(text, actions[0]["edit"]["changes"][client.uri(rel)])
    assert "  - {sku: SCN-200, quantity: 3, discount: 5%, unit_price: 1100}\n" in fixed
    (crm / rel).write_text(fixed)
    assert "unpriced-line" not in [d["rule"] for d in check_json(run, crm, rel)]


def test_hover_shows_hostile_names_as_text(make_repo) -> None:
    name = "[Acme](javascript:alert(1)) <img src=x onerror=alert(2)> *bold*"
    root = make_repo(
        {
            "accounts/acme-corp.md": f"---\nname: '{name}'\n---\n",
            "opportunities/acme.md": GOOD_OPPORTUNITY,
        }
    )
    c = LspClient(root, env={"TEXTCRM_TODAY": TODAY})
    try:
        c.initialize()
        c.open("opportunities/acme.md")
        shown = hover(c, "opportunities/acme.md", 2, 12)
    finally:
        c.shutdown()
    assert shown == (
        "**\\[Acme\\](javascript:alert(1)) \\<img src=x onerror=alert(2)\\> \\*bold\\*** (account)"
    )
