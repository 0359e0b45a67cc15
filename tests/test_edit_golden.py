"""Golden diff tests: each editing command changes exactly the lines it must, nothing else."""

from __future__ import annotations

import difflib
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE, TODAY
from textcrm.money import plain

EXAMPLE_IDS = sorted(p.stem for p in (EXAMPLE / "opportunities").glob("*.md"))
CATALOG = {
    p["sku"]: p["unit_price"]
    for p in yaml.safe_load((EXAMPLE / "products.yaml").read_text(encoding="utf-8"))["products"]
}


def changes(before: bytes, after: bytes) -> list[str]:
    """The unified diff without context: hunk headers and changed lines only."""
    old = before.decode("utf-8").splitlines(keepends=True)
    new = after.decode("utf-8").splitlines(keepends=True)
    return [ln.rstrip("\n") for ln in difflib.unified_diff(old, new, n=0)][2:]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root)
    return root


def edit(run, root: Path, *args: str) -> str:
    result = run([*args, "--root", str(root), "--today", TODAY])
    assert result.exit_code == 0, result.output
    return result.output


def front_end(lines: list[str]) -> int:
    """Index of the closing `---` line."""
    return next(i for i in range(1, len(lines)) if lines[i].rstrip() == "---")


# --- every example opportunity ---------------------------------------------------------------


@pytest.mark.parametrize("opp", EXAMPLE_IDS)
def test_log_appends_one_item_in_the_lists_style(run, example: Path, opp: str) -> None:
    path = example / "opportunities" / f"{opp}.md"
    before = path.read_bytes()
    edit(
        run,
        example,
        "log",
        opp,
        "--type",
        "call",
        "--contact",
        "dana-whitfield",
        "--summary",
        "Walked through pricing; needs CFO sign-off, maybe",
    )
    lines = before.decode().splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.startswith("activities:"))
    last = start
    for i in range(start + 1, front_end(lines)):
        if lines[i].startswith("  ") and not lines[i].lstrip().startswith("#"):
            last = i
        elif lines[i].strip() and not lines[i].startswith(" "):
            break
    if lines[start + 1].startswith("  - date:"):  # block mappings; the others are flow
        added = [
            "  - date: 2026-11-28\n",
            "    type: call\n",
            "    contact: dana-whitfield\n",
            "    summary: Walked through pricing; needs CFO sign-off, maybe\n",
        ]
    else:
        added = [
            "  - {date: 2026-11-28, type: call, contact: dana-whitfield, "
            'summary: "Walked through pricing; needs CFO sign-off, maybe"}\n'
        ]
    expected = "".join(lines[: last + 1] + added + lines[last + 1 :]).encode()
    assert path.read_bytes() == expected


@pytest.mark.parametrize("opp", EXAMPLE_IDS)
def test_set_close_date_changes_one_line(run, example: Path, opp: str) -> None:
    path = example / "opportunities" / f"{opp}.md"
    before = path.read_bytes()
    edit(run, example, "set", opp, "close_date", "2027-05-14")
    lines = before.decode().splitlines()
    n = next(i for i, ln in enumerate(lines) if ln.startswith("close_date:")) + 1
    old = lines[n - 1]
    new = re.sub(r"^close_date: \S+", "close_date: 2027-05-14", old)
    assert changes(before, path.read_bytes()) == [f"@@ -{n} +{n} @@", f"-{old}", f"+{new}"]


@pytest.mark.parametrize("opp", EXAMPLE_IDS)
def test_set_next_step_replaces_or_adds_at_the_end(run, example: Path, opp: str) -> None:
    path = example / "opportunities" / f"{opp}.md"
    before = path.read_bytes()
    edit(run, example, "set", opp, "next_step", "Call Dana: confirm scope, then quote")
    lines = before.decode().splitlines()
    new = 'next_step: "Call Dana: confirm scope, then quote"'
    found = [i for i, ln in enumerate(lines) if ln.startswith("next_step:")]
    if found:
        n = found[0] + 1
        assert changes(before, path.read_bytes()) == [
            f"@@ -{n} +{n} @@",
            f"-{lines[n - 1]}",
            f"+{new}",
        ]
    else:
        end = front_end(lines)
        assert changes(before, path.read_bytes()) == [f"@@ -{end},0 +{end + 1} @@", f"+{new}"]


OPEN_EXAMPLES = [
    o
    for o in EXAMPLE_IDS
    if o
    not in {
        "coastal-cold-chain-dock-scanning",
        "coastal-cold-chain-freezer-amr",
        "pinecrest-grocers-scanner-rollout",
    }
]


@pytest.mark.parametrize("opp", OPEN_EXAMPLES)
def test_move_to_closed_lost(run, example: Path, opp: str) -> None:
    path = example / "opportunities" / f"{opp}.md"
    before = path.read_bytes()
    out = edit(run, example, "move", opp, "closed-lost", "--lost-reason", "Budget frozen")
    assert f"opportunities/{opp}.md: move {opp} to closed-lost" in out
    lines = before.decode().splitlines(keepends=True)
    expected = []
    for ln in lines:
        if ln.startswith("stage:"):
            ln = "stage: closed-lost\n"
        elif ln.startswith("close_date:"):
            ln = re.sub(r"^close_date: \S+", "close_date: 2026-11-28", ln)
        elif ln.startswith("probability:"):
            ln = re.sub(r"^probability: \S+", "probability: 0", ln)
        elif (item := re.match(r"^  - \{sku: ([^,]+),.*?(\})", ln)) and "unit_price" not in ln:
            # Closing writes the catalog price into each line that took it from the catalog.
            price = plain(Decimal(str(CATALOG[item.group(1)])))
            ln = ln[: item.start(2)] + f", unit_price: {price}" + ln[item.start(2) :]
        expected.append(ln)
    end = front_end(lines)
    expected.insert(end, "lost_reason: Budget frozen\n")
    assert path.read_bytes() == "".join(expected).encode()


# --- hand-written files full of comments and odd styles --------------------------------------

ODD = """\
---
# A comment before everything
title:   "Odd deal: quoted, spaced"      # trailing comment
account: acme-corp
owner: alice   # owner comment
stage: prospecting
close_date: '2026-12-19'   # single-quoted date

amount: 48_000
tags: [a,   b]            # odd spacing in a flow list
next_step:     # to be decided
lost_reason: |
    two
    lines

activities: [
    {date: 2026-11-20, type: call},
    {date: 2026-11-21, type: email, summary: "x, y"}
]
# trailing comment in the front matter
---
Body with --- inside and trailing spaces
""".replace("spaces\n", "spaces   \n")

BLOCK = """\
---
title: Block deal
account: acme-corp
owner: alice
stage: qualification
close_date: 2026-12-19
amount: 100
contacts:
    - contact: jane-doe
activities:
    -   date: 2026-11-20     # first call
        type: call
        summary: >
          folded
          summary

    # a comment after the list
follow_up: 2026-12-01
---
Notes.
"""


def repo_with(make_repo, name: str, text: str | bytes) -> tuple[Path, Path]:
    root = make_repo({f"opportunities/{name}.md": text})
    return root, root / "opportunities" / f"{name}.md"


def test_odd_file_log_set_and_move(make_repo, run) -> None:
    root, path = repo_with(make_repo, "odd", ODD)
    before = path.read_bytes()
    edit(run, root, "log", "odd", "--type", "note", "--summary", "yes")
    assert changes(before, path.read_bytes()) == [
        "@@ -18 +18,2 @@",
        '-    {date: 2026-11-21, type: email, summary: "x, y"}',
        '+    {date: 2026-11-21, type: email, summary: "x, y"},',
        '+    {date: 2026-11-28, type: note, summary: "yes"}',
    ]
    step = path.read_bytes()
    edit(run, root, "set", "odd", "next_step", "Send #2 quote")
    assert changes(step, path.read_bytes()) == [
        "@@ -11 +11 @@",
        "-next_step:     # to be decided",
        '+next_step: "Send #2 quote"     # to be decided',
    ]
    step = path.read_bytes()
    edit(run, root, "set", "odd", "close_date", "2027-01-15")
    assert changes(step, path.read_bytes()) == [
        "@@ -7 +7 @@",
        "-close_date: '2026-12-19'   # single-quoted date",
        "+close_date: '2027-01-15'   # single-quoted date",
    ]
    step = path.read_bytes()
    edit(run, root, "set", "odd", "lost_reason", "It's one line now")
    assert changes(step, path.read_bytes()) == [
        "@@ -12,3 +12 @@",
        "-lost_reason: |",
        "-    two",
        "-    lines",
        "+lost_reason: It's one line now",
    ]
    step = path.read_bytes()
    edit(run, root, "set", "odd", "title", "Plain title now")
    assert changes(step, path.read_bytes()) == [
        "@@ -3 +3 @@",
        '-title:   "Odd deal: quoted, spaced"      # trailing comment',
        '+title:   "Plain title now"      # trailing comment',
    ]
    step = path.read_bytes()
    edit(run, root, "move", "odd", "qualification")
    assert changes(step, path.read_bytes()) == [
        "@@ -6 +6 @@",
        "-stage: prospecting",
        "+stage: qualification",
    ]


def test_block_activities_keep_their_layout(make_repo, run) -> None:
    root, path = repo_with(make_repo, "block", BLOCK)
    before = path.read_bytes()
    edit(
        run,
        root,
        "log",
        "block",
        "--type",
        "meeting",
        "--contact",
        "jane-doe",
        "--summary",
        "Met: on site",
        "--date",
        "2026-11-27",
        "--follow-up",
        "2026-12-04",
    )
    assert changes(before, path.read_bytes()) == [
        "@@ -15,0 +16,4 @@",
        "+    -   date: 2026-11-27",
        "+        type: meeting",
        "+        contact: jane-doe",
        '+        summary: "Met: on site"',
        "@@ -18 +22 @@",
        "-follow_up: 2026-12-01",
        "+follow_up: 2026-12-04",
    ]


@pytest.mark.parametrize(
    ("activities", "expected"),
    [
        (
            "",
            [
                "@@ -7,0 +8,2 @@",
                "+activities:",
                "+  - {date: 2026-11-28, type: call, summary: Hello}",
            ],
        ),
        ("activities:\n", ["@@ -8,0 +9 @@", "+  - {date: 2026-11-28, type: call, summary: Hello}"]),
        (
            "activities: ~   # none yet\n",
            [
                "@@ -8 +8,2 @@",
                "-activities: ~   # none yet",
                "+activities:   # none yet",
                "+  - {date: 2026-11-28, type: call, summary: Hello}",
            ],
        ),
        (
            "activities: []   # none yet\n",
            [
                "@@ -8 +8 @@",
                "-activities: []   # none yet",
                "+activities: [{date: 2026-11-28, type: call, summary: Hello}]   # none yet",
            ],
        ),
        (
            "activities: [{date: 2026-11-20, type: call}]\n",
            [
                "@@ -8 +8 @@",
                "-activities: [{date: 2026-11-20, type: call}]",
                "+activities: [{date: 2026-11-20, type: call}, "
                "{date: 2026-11-28, type: call, summary: Hello}]",
            ],
        ),
        (
            "activities:\n- {date: 2026-11-20, type: call}\n",
            ["@@ -9,0 +10 @@", "+- {date: 2026-11-28, type: call, summary: Hello}"],
        ),
    ],
)
def test_log_into_every_list_shape(make_repo, run, activities: str, expected: list[str]) -> None:
    text = (
        "---\ntitle: Shapes\naccount: acme-corp\nowner: alice\nstage: prospecting\n"
        "close_date: 2026-12-19\namount: 1\n" + activities + "---\nBody\n"
    )
    root, path = repo_with(make_repo, "shapes", text)
    before = path.read_bytes()
    edit(run, root, "log", "shapes", "--type", "call", "--summary", "Hello")
    assert changes(before, path.read_bytes()) == expected


def test_crlf_and_bom_survive(make_repo, run) -> None:
    text = (
        "\ufeff---\r\ntitle: CRLF deal  # c\r\naccount: acme-corp\r\nowner: alice\r\n"
        "stage: prospecting\r\nclose_date: 2026-12-19\r\namount: 1\r\n"
        "activities:\r\n  - {date: 2026-11-20, type: call}\r\n---\r\nBody\r\n"
    )
    root, path = repo_with(make_repo, "crlf", text.encode("utf-8"))
    edit(run, root, "log", "crlf", "--type", "email", "--summary", "Sent: deck")
    edit(run, root, "set", "crlf", "amount", "2500.50")
    edit(run, root, "set", "crlf", "follow_up", "2026-12-02")
    assert path.read_bytes() == (
        "\ufeff---\r\ntitle: CRLF deal  # c\r\naccount: acme-corp\r\nowner: alice\r\n"
        "stage: prospecting\r\nclose_date: 2026-12-19\r\namount: 2500.50\r\n"
        "activities:\r\n  - {date: 2026-11-20, type: call}\r\n"
        '  - {date: 2026-11-28, type: email, summary: "Sent: deck"}\r\n'
        "follow_up: 2026-12-02\r\n---\r\nBody\r\n"
    ).encode("utf-8")


def test_file_without_trailing_newline_and_unicode(make_repo, run) -> None:
    text = (
        "---\ntitle: Kühlhaus – Tür 4\naccount: acme-corp\nowner: alice\n"
        "stage: prospecting\nclose_date: 2026-12-19\namount: 1\n---\nNo newline at end"
    )
    root, path = repo_with(make_repo, "kuehl", text)
    edit(run, root, "log", "Kühlhaus tür", "--type", "note", "--summary", "-30 °C rated")
    assert path.read_text(encoding="utf-8") == text.replace(
        "amount: 1\n",
        'amount: 1\nactivities:\n  - {date: 2026-11-28, type: note, summary: "-30 °C rated"}\n',
    )


PROBABLE = """\
---
title: Probable deal
account: acme-corp
owner: alice
stage: qualification
close_date: 2026-12-19
probability: 35   # our own estimate
amount: 100
contacts: [{contact: jane-doe}]
quote: {number: Q-1, date: 2026-11-20, valid_until: 2026-12-31}
line_items: [{sku: SCN-200, quantity: 1}]
---
"""


def test_move_keeps_or_resets_an_own_probability(make_repo, run) -> None:
    root, path = repo_with(make_repo, "probable", PROBABLE)
    before = path.read_bytes()
    out = edit(run, root, "move", "probable", "negotiation", "--keep-probability")
    assert out == "opportunities/probable.md: move probable to negotiation\n"
    assert changes(before, path.read_bytes()) == [
        "@@ -5 +5 @@",
        "-stage: qualification",
        "+stage: negotiation",
    ]
    step = path.read_bytes()
    out = edit(run, root, "move", "probable", "closed-won", "--close-date", "2026-11-27")
    assert out == (
        "opportunities/probable.md: move probable to closed-won\n"
        "  note: probability set to the stage's 100% (--keep-probability keeps your own)\n"
        "  note: unit_price written into 1 line from the catalog: the deal keeps these prices "
        "when the catalog changes\n"
    )
    assert changes(step, path.read_bytes()) == [
        "@@ -5,3 +5,3 @@",
        "-stage: negotiation",
        "-close_date: 2026-12-19",
        "-probability: 35   # our own estimate",
        "+stage: closed-won",
        "+close_date: 2026-11-27",
        "+probability: 100   # our own estimate",
        "@@ -11 +11 @@",
        "-line_items: [{sku: SCN-200, quantity: 1}]",
        "+line_items: [{sku: SCN-200, quantity: 1, unit_price: 1100}]",
    ]


def test_move_without_own_probability_writes_none(make_repo, run) -> None:
    root, path = repo_with(
        make_repo, "probable", PROBABLE.replace("probability: 35   # our own estimate\n", "")
    )
    before = path.read_bytes()
    edit(run, root, "move", "probable", "proposal")
    assert changes(before, path.read_bytes()) == [
        "@@ -5 +5 @@",
        "-stage: qualification",
        "+stage: proposal",
    ]


def test_setting_the_same_value_changes_nothing(make_repo, run) -> None:
    root, path = repo_with(make_repo, "probable", PROBABLE)
    before = path.read_bytes()
    out = edit(run, root, "set", "probable", "close_date", "2026-12-19")
    assert out == "opportunities/probable.md: already so; nothing changed\n"
    assert path.read_bytes() == before


def test_summary_is_trimmed_and_line_breaks_escaped(make_repo, run) -> None:
    root, path = repo_with(make_repo, "probable", PROBABLE)
    before = path.read_bytes()
    edit(run, root, "log", "probable", "--type", "call", "--summary", "  two\nlines  \n")
    assert changes(before, path.read_bytes()) == [
        "@@ -11,0 +12,2 @@",
        "+activities:",
        '+  - {date: 2026-11-28, type: call, summary: "two\\nlines"}',
    ]
