"""`textcrm new`, opportunity look-up by name, and YAML quoting of the values edits write."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import GOOD_OPPORTUNITY, TODAY


def new(run, crm: Path, *args: str, code: int = 0) -> str:
    result = run(["new", args[0], "--root", str(crm), "--today", TODAY, *args[1:]])
    assert result.exit_code == code, result.output
    return result.output


def check_clean(run, crm: Path) -> None:
    result = run(["check", "--root", str(crm), "--today", TODAY])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


def test_new_opportunity(run, make_repo) -> None:
    crm = make_repo()
    out = new(
        run,
        crm,
        "opportunity",
        "Acme Corp - warehouse scanners",
        "--account",
        "acme-corp",
        "--owner",
        "alice",
        "--close-date",
        "2026-12-19",
        "--amount",
        "48000",
    )
    assert out == (
        "opportunities/acme-corp-warehouse-scanners.md: new opportunity "
        "acme-corp-warehouse-scanners\n"
    )
    assert (crm / "opportunities/acme-corp-warehouse-scanners.md").read_text() == (
        "---\n"
        "title: Acme Corp - warehouse scanners\n"
        "account: acme-corp\n"
        "owner: alice\n"
        "stage: prospecting\n"
        "close_date: 2026-12-19\n"
        "amount: 48000\n"
        "created: 2026-11-28\n"
        "next_step:\n"
        "---\n"
        "## Situation\n\n<!-- What the customer wants, and why now. -->\n\n## Plan\n\n- [ ] First step\n"
    )
    check_clean(run, crm)


def test_new_opportunity_id_starts_with_the_account_and_close_date_defaults(run, make_repo) -> None:
    crm = make_repo()
    out = new(
        run,
        crm,
        "opportunity",
        "Yard trucks: phase #2, yes",
        "--account",
        "globex-inc",
        "--owner",
        "bob",
        "--stage",
        "qualification",
        "--amount",
        "1200.50",
        "--contact",
        "john-roe",
    )
    assert out == (
        "opportunities/globex-inc-yard-trucks-phase-2-yes.md: new opportunity "
        "globex-inc-yard-trucks-phase-2-yes\n"
        "  note: close_date set to 2027-02-26 (90 days from today); change it with "
        "`textcrm set`\n"
    )
    text = (crm / "opportunities/globex-inc-yard-trucks-phase-2-yes.md").read_text()
    assert text.startswith('---\ntitle: "Yard trucks: phase #2, yes"\n')
    assert "stage: qualification\nclose_date: 2027-02-26\namount: 1200.50\n" in text
    assert "contacts:\n  - {contact: john-roe, primary: true}\n---\n" in text
    check_clean(run, crm)


def test_new_account_contact_competitor(run, make_repo) -> None:
    crm = make_repo()
    new(run, crm, "account", "Zeta: Holdings", "--industry", "no", "--owner", "bob")
    assert (crm / "accounts/zeta-holdings.md").read_text() == (
        '---\nname: "Zeta: Holdings"\nindustry: "no"\nowner: bob\n---\n## Overview\n\n'
        "<!-- Who they are, what they do, and what they struggle with. -->\n"
    )
    new(
        run,
        crm,
        "contact",
        "José Núñez",
        "--account",
        "zeta-holdings",
        "--title",
        "VP, Operations",
        "--email",
        "jose@zeta.example",
        "--phone",
        "+1 555 0100",
    )
    assert (crm / "contacts/jose-nunez.md").read_text() == (
        "---\nname: José Núñez\naccount: zeta-holdings\ntitle: VP, Operations\n"
        "email: jose@zeta.example\nphone: +1 555 0100\n---\n"
    )
    new(run, crm, "competitor", "Umbrella", "--website", "https://umbrella.example")
    assert (
        (crm / "competitors/umbrella.md")
        .read_text()
        .startswith("---\nname: Umbrella\nwebsite: https://umbrella.example\n---\n# Umbrella\n")
    )
    check_clean(run, crm)


def test_repository_templates_override_the_defaults(run, make_repo) -> None:
    crm = make_repo(
        {
            "templates/new/competitor.md": (
                "---\nname: {{ name }}\ntags: [watch]\n---\nBattlecard for {{ raw.name }}.\n"
            )
        }
    )
    new(run, crm, "competitor", "Hooli, Inc.")
    assert (crm / "competitors/hooli-inc.md").read_text() == (
        "---\nname: Hooli, Inc.\ntags: [watch]\n---\nBattlecard for Hooli, Inc..\n"
    )


def test_new_refusals_leave_no_file(run, make_repo) -> None:
    crm = make_repo()
    listing = sorted(p.relative_to(crm) for p in crm.rglob("*"))
    assert new(run, crm, "contact", "Jane Doe", code=1) == (
        "textcrm: error: contacts/jane-doe.md already exists; not overwritten (pass --id to "
        "choose another id)\n"
    )
    assert new(
        run,
        crm,
        "opportunity",
        "Robots",
        "--account",
        "acme",
        "--owner",
        "alice",
        "--amount",
        "5",
        code=1,
    ) == (
        "textcrm: error: --account acme: no such account (no accounts/acme.md); did you mean "
        "`acme-corp`?\n"
    )
    assert new(
        run,
        crm,
        "opportunity",
        "Robots",
        "--account",
        "acme-corp",
        "--owner",
        "alicia",
        "--amount",
        "5",
        code=1,
    ) == (
        "textcrm: error: --owner alicia: not one of textcrm.yaml's owners (alice, bob); "
        "did you mean `alice`?\n"
    )
    assert new(
        run,
        crm,
        "opportunity",
        "Robots",
        "--account",
        "acme-corp",
        "--owner",
        "alice",
        "--amount",
        "5",
        "--contact",
        "jane",
        code=1,
    ) == (
        "textcrm: error: --contact jane: no such contact (no contacts/jane.md); did you mean "
        "`jane-doe`?\n"
    )
    assert "needs an estimate: pass --amount" in new(
        run, crm, "opportunity", "Robots", "--account", "acme-corp", "--owner", "alice", code=2
    )
    assert new(
        run,
        crm,
        "opportunity",
        "Robots",
        "--account",
        "acme-corp",
        "--owner",
        "alice",
        "--amount",
        "5",
        "--close-date",
        "2026-13-01",
        code=1,
    ) == ("textcrm: error: close_date: `2026-13-01` is not a real date\n")
    assert new(
        run,
        crm,
        "opportunity",
        "Robots",
        "--account",
        "acme-corp",
        "--owner",
        "alice",
        "--amount",
        "5",
        "--close-date",
        "2026-11-01",
        code=1,
    ) == (
        "textcrm: error: refused: the new file opportunities/acme-corp-robots.md would have "
        "this error; nothing written:\n"
        "  opportunities/acme-corp-robots.md:6:1: error: close date 2026-11-01 is in the past "
        "(today is 2026-11-28); set close_date to your best current estimate "
        "[close-date-past]\n"
    )
    assert "stage proposal requires `line_items`, `contacts`" in new(
        run,
        crm,
        "opportunity",
        "Robots",
        "--account",
        "acme-corp",
        "--owner",
        "alice",
        "--amount",
        "5",
        "--stage",
        "proposal",
        code=1,
    )
    assert "--stage won: not a stage in textcrm.yaml" in new(
        run,
        crm,
        "opportunity",
        "Robots",
        "--account",
        "acme-corp",
        "--owner",
        "alice",
        "--amount",
        "5",
        "--stage",
        "won",
        code=2,
    )
    assert "does not make a usable id; pass --id" in new(run, crm, "competitor", "!!!", code=2)
    assert (
        sorted(p.relative_to(crm) for p in crm.rglob("*") if ".textcrm-cache" not in p.parts)
        == listing
    )


# --- look-up by name -----------------------------------------------------------------------


@pytest.fixture
def repo(make_repo):
    from textcrm.loader import load

    crm = make_repo(
        {
            "opportunities/acme.md": GOOD_OPPORTUNITY.replace("warehouse scanners", "robots"),
            "opportunities/acme-scanners.md": GOOD_OPPORTUNITY,
            "opportunities/acme-scanners-2.md": GOOD_OPPORTUNITY.replace("warehouse", "store"),
            "opportunities/globex.md": GOOD_OPPORTUNITY.replace(
                "Acme Corp - warehouse scanners", "Globex - AMR fleet"
            ),
        }
    )
    from datetime import date

    return load(crm, date(2026, 11, 28), run_checks=False).repository


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("acme", "acme"),  # an exact id wins over the ids it prefixes
        ("acme-scanners", "acme-scanners"),
        ("acme-scanners-", "acme-scanners-2"),  # a unique prefix
        ("opportunities/globex.md", "globex"),  # a path works too
        ("GLOBEX amr", "globex"),  # title words, any case
        ("store scanners", "acme-scanners-2"),
    ],
)
def test_find_opportunity(repo, name: str, found: str) -> None:
    from textcrm.lookup import find_opportunity

    assert find_opportunity(repo, name).id == found


def test_ambiguous_and_unknown_names(repo) -> None:
    from textcrm.lookup import AmbiguousName, UnknownName, find_opportunity

    with pytest.raises(AmbiguousName) as exc:
        find_opportunity(repo, "acme-sc")
    assert exc.value.candidates == ["acme-scanners", "acme-scanners-2"]
    with pytest.raises(AmbiguousName) as exc:
        find_opportunity(repo, "acme corp scanners")
    assert exc.value.candidates == ["acme-scanners", "acme-scanners-2"]
    with pytest.raises(UnknownName, match="no opportunity `initech`"):
        find_opportunity(repo, "initech")


# --- quoting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "flow", "written"),
    [
        ("Walked through pricing", False, "Walked through pricing"),
        ("Walked through pricing; CFO", True, "Walked through pricing; CFO"),
        ("Dock walk; three doors, heated", True, '"Dock walk; three doors, heated"'),
        ("Dock walk; three doors, heated", False, "Dock walk; three doors, heated"),
        ("Note: call back", False, '"Note: call back"'),
        ("Ticket#4", False, "Ticket#4"),
        ("Ticket #4", False, '"Ticket #4"'),
        ("Call back # later", False, '"Call back # later"'),
        ("*bold*", False, '"*bold*"'),
        ("&anchor", False, '"&anchor"'),
        ("!tag", False, '"!tag"'),
        ("%done", False, '"%done"'),
        ("@alice", False, '"@alice"'),
        ("yes", False, '"yes"'),
        ("Off", False, '"Off"'),
        ("~", False, '"~"'),
        ("=", False, '"="'),
        ("<<", False, '"<<"'),
        ("null", False, '"null"'),
        ("12:30", False, '"12:30"'),
        ("1e3", False, '"1e3"'),
        ("2026-12-01", False, '"2026-12-01"'),
        ("0x1F", False, '"0x1F"'),
        ("- item", False, '"- item"'),
        ("  padded ", False, '"  padded "'),
        ("two\nlines", False, '"two\\nlines"'),
        ('say "hi" \\o/', False, 'say "hi" \\o/'),
        ("", False, '""'),
    ],
)
def test_scalar_quoting(text: str, flow: bool, written: str) -> None:
    from textcrm.encode import yaml_scalar as scalar

    assert scalar(text, flow=flow) == written


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), st.booleans())
def test_every_text_reads_back_as_itself(text: str, flow: bool) -> None:
    from textcrm.encode import yaml_scalar as scalar
    from textcrm.yamlnodes import compose

    written = scalar(text, flow=flow)
    node, problem = compose("[" + written + "]" if flow else "v: " + written)
    assert problem is None, written
    value = node.value[0] if flow else node.value[0][1]
    assert value.value == text, written
    assert "\n" not in written


def test_broken_repository_template_is_refused(run, make_repo) -> None:
    crm = make_repo(
        {
            "templates/new/account.md": "name: {{ name }}\n",
            "templates/new/competitor.md": "---\nname: Always the same\n---\n",
        }
    )
    out = new(run, crm, "account", "Acme Two", code=1)
    assert out == (
        "textcrm: error: refused: the new file accounts/acme-two.md would have this error; "
        "nothing written:\n"
        "  accounts/acme-two.md:1:1: error: file does not start with `---`; a record file starts "
        "with a `---` line, its YAML fields, and a closing `---` line, followed by the Markdown "
        "notes [front-matter-missing]\n"
    )
    out = new(run, crm, "competitor", "Hooli", code=1)
    assert out == (
        "textcrm: error: the new file competitors/hooli.md is not right: the name does not read "
        "back as written; check templates/new/competitor.md\n"
    )
    assert not (crm / "accounts/acme-two.md").exists()
    assert not (crm / "competitors/hooli.md").exists()


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30),
    st.sampled_from(["flow", "block", "none"]),
)
def test_any_text_survives_the_whole_edit(text: str, shape: str) -> None:
    """Spliced, verified by ruamel, read by the loader: the value comes back unchanged."""
    from textcrm.edit import Document
    from textcrm.loader import read_record

    activities = {
        "flow": "activities:\n  - {date: 2026-11-20, type: call}\n",
        "block": "activities:\n  - date: 2026-11-20\n    type: call\n",
        "none": "",
    }[shape]
    data = (
        "---\ntitle: T\naccount: a\nowner: o\nstage: s\nclose_date: 2026-12-19\n"
        f"next_step: old   # keep\n{activities}---\nBody\n"
    ).encode()
    doc = Document("opportunities/x.md", data)
    doc.set_scalar("next_step", text)
    doc.append_item(
        "activities",
        [("date", "2026-11-28", True), ("type", "call", True), ("summary", text, False)],
    )
    doc.verify()
    opp, _ = read_record("opportunity", "opportunities/x.md", "x", doc.to_bytes())
    assert opp.next_step == (text.strip() or "")
    assert opp.activities[-1].summary == text.strip("\n")
    assert doc.to_bytes().endswith(b"---\nBody\n")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "---\nname: {{ name \n---\n",
            "textcrm: error: templates/new/account.md:3: template syntax error: unexpected 'end of "
            "template'\n",
        ),
        (
            "---\nname: {{ nme }}\n---\n",
            "textcrm: error: templates/new/account.md:2: template error: 'nme' is undefined\n",
        ),
    ],
)
def test_template_errors_are_messages(run, make_repo, template: str, message: str) -> None:
    crm = make_repo({"templates/new/account.md": template})
    assert new(run, crm, "account", "Foo", code=1) == message
    assert not (crm / "accounts/foo.md").exists()
