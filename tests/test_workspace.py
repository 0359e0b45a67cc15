"""The loader's Workspace: after any replacement, its diagnostics equal a full load's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import GOOD_OPPORTUNITY, TODAY
from textcrm.loader import Workspace, load

DAY = date.fromisoformat(TODAY)

QUOTED = """\
---
title: Globex - cold store
account: globex-inc
owner: bob
stage: negotiation
close_date: 2026-12-30
follow_up: 2026-12-01
contacts:
  - {contact: john-roe, role: Economic Buyer}
line_items:
  - {sku: SCN-200, quantity: 3}
quote: {number: Q-7, date: 2026-11-20, valid_until: 2026-12-31}
activities:
  - {date: 2026-11-25, type: call, contact: john-roe, summary: Pricing}
---
"""

# Each step: (path, new text or None to delete). Applied in order to the disk and to the
# workspace; after each, the two must agree on every diagnostic.
STEPS: list[tuple[str, str | None]] = [
    ("opportunities/acme.md", GOOD_OPPORTUNITY.replace("2026-12-19", "2026-11-01")),
    ("opportunities/globex.md", QUOTED),
    ("opportunities/copy.md", QUOTED.replace("Globex - cold store", "Copy")),
    ("accounts/globex-inc.md", None),
    ("accounts/globex-inc.md", "---\nname: Globex Inc\n---\n"),
    ("contacts/john-roe.md", "---\nname: John Roe\naccount: acme-corp\n---\n"),
    ("products.yaml", "products:\n  - {sku: SVC-DAY, name: Service day, unit_price: 950}\n"),
    ("opportunities/copy.md", None),
    (
        "textcrm.yaml",
        "currency: USD\nstale_after_days: 2\nowners: [alice]\nstages:\n"
        "  - {key: prospecting, name: P, probability: 10, forecast: pipeline}\n"
        "  - {key: negotiation, name: N, probability: 80, forecast: commit, requires: [quote]}\n",
    ),
    ("textcrm.yaml", "stages: [oops\n"),
    ("textcrm.yaml", None),  # put back as it was before the broken edit (see the test)
    ("opportunities/acme.md", "---\ntitle: [broken\n---\n"),
    ("competitors/initech.md", None),
    (
        "opportunities/globex.md",
        QUOTED.replace("line_items:", "competitors:\n  - {competitor: initech}\nline_items:"),
    ),
]


def flat(found: dict[str, list]) -> list:
    return sorted(d for ds in found.values() for d in ds)


def test_workspace_equals_a_full_load_after_each_step(make_repo) -> None:
    root: Path = make_repo()
    ws = Workspace(root, DAY, use_cache=False)
    assert flat(ws.diagnostics()) == sorted(load(root, DAY, use_cache=False).diagnostics)
    last_config = None
    for step, (path, text) in enumerate(STEPS):
        if path == "textcrm.yaml" and text is None:
            text = last_config
        elif path == "textcrm.yaml" and "oops" not in text:  # type: ignore[operator]
            last_config = text
        before = ws.diagnostics()
        changed = ws.replace(path, None if text is None else text.encode())
        if text is None:
            (root / path).unlink()
        else:
            (root / path).parent.mkdir(exist_ok=True)
            (root / path).write_text(text)
        if path == "textcrm.yaml" and "oops" in text:  # type: ignore[operator]
            continue  # a full load refuses an unusable config; the workspace keeps the last
        expected = load(root, DAY, use_cache=False).diagnostics
        assert flat(ws.diagnostics()) == sorted(expected), (step, path)
        # What replace() returned is exactly the new state of the files it named, and every
        # file it did not name kept its diagnostics.
        for each in {d.path for d in expected} | set(before) | set(changed):
            now = [d for d in expected if d.path == each]
            if each in changed:
                assert changed[each] == now, (step, each)
            else:
                assert before.get(each, []) == now, (step, each)


def test_an_unusable_config_is_reported_and_the_last_good_one_kept(make_repo) -> None:
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    ws = Workspace(root, DAY, use_cache=False)
    found = ws.replace("textcrm.yaml", b"stages: [oops\n")
    assert [d.code for d in found["textcrm.yaml"]] == ["yaml-syntax"]
    assert found["opportunities/acme.md"] == []
    assert ws.config.stage("prospecting") is not None


def test_replace_reports_the_dependants_of_an_account(make_repo) -> None:
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY})
    ws = Workspace(root, DAY, use_cache=False)
    found = ws.replace("accounts/acme-corp.md", None)
    assert set(found) == {"accounts/acme-corp.md", "opportunities/acme.md", "contacts/jane-doe.md"}
    assert [d.code for d in found["opportunities/acme.md"]] == ["unknown-account"]
    assert [d.code for d in found["contacts/jane-doe.md"]] == ["unknown-account"]
