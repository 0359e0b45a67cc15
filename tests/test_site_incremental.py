"""The incremental build equals a `--no-cache` build, byte for byte, after every kind of change.

A page is skipped when its digest is unchanged, so the digest must cover everything the page
shows: a quote page shows the buyer's address and the addressee's email, an account page its
people, a contact page its employer, the summary pages everything. Each step below changes one
kind of input in a real git repository, commits it, builds incrementally into `_site/` (with
every cache) and from scratch into another folder, and compares the two trees.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import TODAY, git
from quote_support import LOGO, QUOTE_CONFIG

OPPORTUNITY = """\
---
title: Acme Corp - warehouse scanners
account: acme-corp
owner: alice
stage: proposal
close_date: 2026-12-19
contacts: [{contact: jane-doe, role: Economic Buyer, primary: true}]
competitors: [{competitor: initech, status: active}]
activities: [{date: 2026-11-24, type: call, contact: jane-doe, summary: Pricing call}]
line_items:
  - {sku: SCN-200, quantity: 10}
  - {sku: SVC-DAY, quantity: 2}
quote: {number: Q-2026-0042, date: 2026-11-25, valid_until: 2026-12-31, terms: Net 30}
---
Notes about *Acme*.
"""

FILES = {
    "logo.svg": LOGO,
    "accounts/acme-corp.md": "---\nname: Acme Corp\naddress: |\n  1 Main Street\n"
    "  Springfield\n---\nA customer.\n",
    "accounts/acme-west.md": "---\nname: Acme West\nparent: acme-corp\n---\n",
    "contacts/jane-doe.md": "---\nname: Jane Doe\naccount: acme-corp\ntitle: CFO\n"
    "email: jane@acme.example\n---\n",
    "opportunities/acme-scanners.md": OPPORTUNITY,
    "opportunities/globex-pilot.md": "---\ntitle: Globex pilot\naccount: globex-inc\n"
    "owner: bob\nstage: prospecting\nclose_date: 2026-12-20\namount: 5000\n"
    "contacts: [{contact: john-roe}]\n"
    "activities: [{date: 2026-11-26, type: email, summary: Intro}]\n---\n",
}


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")


STEPS: list[tuple[str, Callable[[Path], None]]] = [
    ("nothing", lambda root: None),
    (
        "record: an opportunity's amount and stage",
        lambda root: edit(
            root,
            "opportunities/globex-pilot.md",
            "stage: prospecting\nclose_date: 2026-12-20\namount: 5000",
            "stage: qualification\nclose_date: 2026-12-20\namount: 7000",
        ),
    ),
    (
        "account: the buyer's address",
        lambda root: edit(root, "accounts/acme-corp.md", "1 Main Street", "9 Harbour Road"),
    ),
    (
        "account: the parent's name",
        lambda root: edit(root, "accounts/acme-corp.md", "name: Acme Corp", "name: Acme Group"),
    ),
    (
        "account: the child's name",
        lambda root: edit(root, "accounts/acme-west.md", "name: Acme West", "name: Acme Pacific"),
    ),
    (
        "contact: the addressee's email",
        lambda root: edit(
            root, "contacts/jane-doe.md", "jane@acme.example", "jane.doe@acme.example"
        ),
    ),
    (
        "contact: name and title",
        lambda root: edit(
            root,
            "contacts/jane-doe.md",
            "name: Jane Doe\naccount: acme-corp\ntitle: CFO",
            "name: Jane Smith\naccount: acme-corp\ntitle: CEO",
        ),
    ),
    (
        "contact: a phone number",
        lambda root: edit(
            root,
            "contacts/john-roe.md",
            "account: globex-inc\n",
            "account: globex-inc\nphone: +1 555 0100\n",
        ),
    ),
    (
        "competitor: its name and battlecard",
        lambda root: write(root, "competitors/initech.md", "---\nname: Initech Ltd\n---\nCheap.\n"),
    ),
    (
        "catalog: a product's name and price",
        lambda root: edit(
            root,
            "products.yaml",
            "name: Handheld scanner, unit_price: 1100",
            "name: Rugged scanner, unit_price: 1150",
        ),
    ),
    (
        "config: the seller's address and a stage's name",
        lambda root: (
            edit(root, "textcrm.yaml", "name: Proposal,", "name: Proposal sent,")
            or edit(root, "textcrm.yaml", "1200 Harbor Way", "1300 Harbor Way")
        ),
    ),
    ("logo", lambda root: write(root, "logo.svg", LOGO.replace("#1f4e79", "#aa0000"))),
    (
        "template override: the quote's stylesheet",
        lambda root: write(root, "templates/quote.css", "body { color: #123456; }\n"),
    ),
    (
        "template override: the site's base template changed",
        lambda root: write(
            root,
            "templates/base.html",
            (Path(__file__).resolve().parents[1] / "templates" / "base.html")
            .read_text(encoding="utf-8")
            .replace("</body>", "<footer>our site</footer></body>"),
        ),
    ),
    (
        "record: a contact deleted (the deal now names nobody)",
        lambda root: (root / "contacts/john-roe.md").unlink(),
    ),
    (
        "record: a new opportunity for the child account",
        lambda root: write(
            root,
            "opportunities/acme-west-rollout.md",
            "---\ntitle: Acme West rollout\naccount: acme-west\nowner: alice\n"
            "stage: prospecting\nclose_date: 2026-12-22\namount: 900\n"
            "competitors: [{competitor: initech}]\n"
            "activities: [{date: 2026-11-27, type: meeting, summary: Kick-off}]\n---\n",
        ),
    ),
]


@pytest.fixture
def crm(make_repo) -> Path:
    root = make_repo(FILES, config=QUOTE_CONFIG)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start", env={"GIT_AUTHOR_DATE": "2026-11-20T10:00:00"})
    return root


def test_incremental_build_equals_a_full_build_after_every_kind_of_change(
    run, crm: Path, tmp_path: Path
) -> None:
    build = ["build", "--root", str(crm), "--today", TODAY]
    assert run(build).exit_code == 0
    for number, (what, change) in enumerate(STEPS):
        change(crm)
        git(crm, "add", "-A")
        git(crm, "commit", "-q", "--allow-empty", "-m", what)
        incremental = run(build)
        assert incremental.exit_code == 0, (what, incremental.output)
        fresh = tmp_path / f"fresh-{number}"
        full = run([*build, "--no-cache", "-o", str(fresh)])
        assert full.exit_code == 0, (what, full.output)
        got, expected = tree(crm / "_site"), tree(fresh)
        assert sorted(got) == sorted(expected), what
        stale = [rel for rel in expected if got[rel] != expected[rel]]
        assert stale == [], f"after a change of {what}: stale {stale}"


def test_a_quote_page_follows_the_buyer_and_the_addressee(run, crm: Path) -> None:
    build = ["build", "--root", str(crm), "--today", TODAY]
    assert run(build).exit_code == 0
    quote = crm / "_site" / "quotes" / "acme-scanners.html"
    page = quote.read_text(encoding="utf-8")
    assert "1 Main Street" in page and "jane@acme.example" in page
    edit(crm, "accounts/acme-corp.md", "1 Main Street", "9 Harbour Road")
    edit(crm, "contacts/jane-doe.md", "jane@acme.example", "jane.doe@acme.example")
    assert run(build).exit_code == 0
    page = quote.read_text(encoding="utf-8")
    assert "9 Harbour Road" in page and "1 Main Street" not in page
    assert "jane.doe@acme.example" in page


def test_a_deleted_feed_is_written_again_though_the_dashboard_is_unchanged(run, crm: Path) -> None:
    build = ["build", "--root", str(crm), "--today", TODAY]
    assert run(build).exit_code == 0
    feed = crm / "_site" / "calendar" / "owner-bob.ics"
    before = feed.read_bytes()
    feed.unlink()
    again = run(build)
    assert again.exit_code == 0
    assert "(0 rendered," in again.output
    assert feed.read_bytes() == before


def rename(root: Path, old: str, new: str) -> None:
    (root / old).rename(root / new)


GLOBEX = (
    "---\ntitle: Globex pilot again\naccount: globex-inc\nowner: bob\n"
    "stage: proposal\nclose_date: 2027-01-20\namount: 4000\n---\n"
)

# Each step: what it changes, the paths serve is told about, the change, and whether the
# round is incremental (a change to anything but opportunities loads everything again).
SERVE_STEPS: list[tuple[str, set[str], Callable[[Path], None], bool]] = [
    (
        "an opportunity's notes only",
        {"opportunities/acme-scanners.md"},
        lambda root: edit(
            root,
            "opportunities/acme-scanners.md",
            "Notes about *Acme*.",
            "Notes about *Acme*, again.",
        ),
        True,
    ),
    (
        "an opportunity's amount",
        {"opportunities/globex-pilot.md"},
        lambda root: edit(root, "opportunities/globex-pilot.md", "amount: 5000", "amount: 7250"),
        True,
    ),
    (
        "an opportunity moved to another stage",
        {"opportunities/globex-pilot.md"},
        lambda root: edit(
            root, "opportunities/globex-pilot.md", "stage: prospecting", "stage: qualification"
        ),
        True,
    ),
    (
        "an opportunity's close date moved into the past",
        {"opportunities/globex-pilot.md"},
        lambda root: edit(
            root,
            "opportunities/globex-pilot.md",
            "close_date: 2026-12-20",
            "close_date: 2026-11-02",
        ),
        True,
    ),
    (
        "an opportunity won",
        {"opportunities/acme-scanners.md"},
        lambda root: edit(
            root, "opportunities/acme-scanners.md", "stage: proposal", "stage: closed-won"
        ),
        True,
    ),
    (
        "an opportunity lost",
        {"opportunities/globex-pilot.md"},
        lambda root: edit(
            root,
            "opportunities/globex-pilot.md",
            "stage: qualification\n",
            "stage: closed-lost\nlost_reason: Went with a competitor\n",
        ),
        True,
    ),
    (
        "an opportunity added",
        {"opportunities/acme-west-rollout.md"},
        lambda root: write(
            root,
            "opportunities/acme-west-rollout.md",
            "---\ntitle: Acme West rollout\naccount: acme-west\nowner: carol\n"
            "stage: prospecting\nclose_date: 2026-12-22\namount: 900\n"
            "competitors: [{competitor: initech}]\n"
            "activities: [{date: 2026-11-27, type: meeting, summary: Kick-off}]\n---\n"
            "# Plan\n\nA *pilot*.\n",
        ),
        True,
    ),
    (
        "an opportunity given to another owner",
        {"opportunities/acme-west-rollout.md"},
        lambda root: edit(root, "opportunities/acme-west-rollout.md", "owner: carol", "owner: bob"),
        True,
    ),
    (
        "an opportunity moved to another account",
        {"opportunities/acme-west-rollout.md"},
        lambda root: edit(
            root,
            "opportunities/acme-west-rollout.md",
            "account: acme-west\n",
            "account: acme-corp\n",
        ),
        True,
    ),
    (
        "an opportunity renamed (its file moved)",
        {"opportunities/acme-west-rollout.md", "opportunities/acme-rollout.md"},
        lambda root: rename(
            root, "opportunities/acme-west-rollout.md", "opportunities/acme-rollout.md"
        ),
        True,
    ),
    (
        "a second deal with the same quote number (a problem on the first one too)",
        {"opportunities/acme-copy.md"},
        lambda root: write(
            root,
            "opportunities/acme-copy.md",
            (root / "opportunities/acme-scanners.md")
            .read_text(encoding="utf-8")
            .replace("stage: closed-won", "stage: proposal"),
        ),
        True,
    ),
    (
        "the copy deleted",
        {"opportunities/acme-copy.md"},
        lambda root: (root / "opportunities/acme-copy.md").unlink(),
        True,
    ),
    (
        "an opportunity deleted",
        {"opportunities/globex-pilot.md"},
        lambda root: (root / "opportunities/globex-pilot.md").unlink(),
        True,
    ),
    (
        "two opportunities at once, one of them new",
        {"opportunities/acme-rollout.md", "opportunities/globex-pilot.md"},
        lambda root: (
            edit(root, "opportunities/acme-rollout.md", "amount: 900", "amount: 1900")
            or write(root, "opportunities/globex-pilot.md", GLOBEX)
        ),
        True,
    ),
    (
        "an opportunity's file made invalid (half saved)",
        {"opportunities/globex-pilot.md"},
        lambda root: edit(root, "opportunities/globex-pilot.md", "stage: proposal", "stage: [pro"),
        True,
    ),
    (
        "the file valid again, with another amount",
        {"opportunities/globex-pilot.md"},
        lambda root: write(root, "opportunities/globex-pilot.md", GLOBEX.replace("4000", "4100")),
        True,
    ),
    (
        "a contact's name and title",
        {"contacts/jane-doe.md"},
        lambda root: edit(
            root,
            "contacts/jane-doe.md",
            "name: Jane Doe\naccount: acme-corp\ntitle: CFO",
            "name: Jane Smith\naccount: acme-corp\ntitle: CEO",
        ),
        False,
    ),
    (
        "an account's name",
        {"accounts/acme-corp.md"},
        lambda root: edit(root, "accounts/acme-corp.md", "name: Acme Corp", "name: Acme Group"),
        False,
    ),
    (
        "an opportunity's amount after a full round",
        {"opportunities/globex-pilot.md"},
        lambda root: edit(root, "opportunities/globex-pilot.md", "amount: 4100", "amount: 4200"),
        True,
    ),
    (
        "the catalog: a product's price",
        {"products.yaml"},
        lambda root: edit(root, "products.yaml", "unit_price: 1100", "unit_price: 1150"),
        False,
    ),
    (
        "the config: a stage's name and probability",
        {"textcrm.yaml"},
        lambda root: edit(
            root,
            "textcrm.yaml",
            "name: Proposal,      probability: 60",
            "name: Proposal sent, probability: 55",
        ),
        False,
    ),
    (
        "an opportunity's notes after the config changed",
        {"opportunities/acme-rollout.md"},
        lambda root: edit(root, "opportunities/acme-rollout.md", "A *pilot*.", "A *big* pilot."),
        True,
    ),
]


def test_serve_equals_a_full_build_after_every_kind_of_change(
    run, crm: Path, tmp_path: Path
) -> None:
    """serve's rounds (incremental for opportunities: the changed deal's pages first, then
    the pages whose inputs changed) leave the same files, byte for byte, as a cold build of
    the same files, after each step of a sequence of edits. The one difference, by design:
    while a deal's file does not parse, serve keeps the deal's last good page."""
    from datetime import date

    from textcrm.site.serve import Session

    session = Session(crm, crm / "_site", date.fromisoformat(TODAY), use_cache=False)
    assert session.full().error == ""
    for number, (what, changed, change, incremental) in enumerate(SERVE_STEPS):
        change(crm)
        done = session.apply(changed)
        assert done.error == "", (what, done.error)
        assert done.incremental is incremental, what
        fresh = tmp_path / f"fresh-{number}"
        full = run(["build", "--root", str(crm), "--today", TODAY, "--no-cache", "-o", str(fresh)])
        assert full.exit_code == 0, (what, full.output)
        got, expected = tree(crm / "_site"), tree(fresh)
        if "invalid" in what:
            kept = {"opportunities/globex-pilot.html", "quotes/globex-pilot.html"}
            assert "opportunities/globex-pilot.html" in got
            got = {k: v for k, v in got.items() if k not in kept}
            got[".textcrm-site"] = expected[".textcrm-site"]  # it lists the kept page
        assert sorted(got) == sorted(expected), what
        stale = [rel for rel in expected if got[rel] != expected[rel]]
        assert stale == [], f"after {what}: stale {stale}"
