"""Details of the built pages: task lists, unpublished comments, contact links."""

from __future__ import annotations

import re

from conftest import GOOD_OPPORTUNITY

TODAY = "2026-11-28"
NOTES = """\
## Plan

<!-- What the customer wants, and why now. -->

- [ ] Send the proposal
- [x] Site survey
- plain item

<input type="text" name="password" onfocus="alert(1)">
"""
FILES = {
    "opportunities/a.md": GOOD_OPPORTUNITY.replace("Notes.\n", NOTES),
    "accounts/acme-corp.md": """\
---
name: Acme Corp
website: acme.example/about
phone: "+1 (510) 555-0199"
email: sales@acme.example
---
""",
    "accounts/globex-inc.md": """\
---
name: Globex Inc
website: "javascript:alert(1)"
email: "not an address"
---
""",
    "contacts/jane-doe.md": """\
---
name: Jane Doe
account: acme-corp
email: "jane+crm@acme.example"
phone: "0049 30 1234"
---
""",
}


def _build(make_repo, run, tmp_path):
    root = make_repo(FILES)
    out = tmp_path / "site"
    result = run(["build", "--root", str(root), "--today", TODAY, "-o", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    return out


def test_task_lists_are_disabled_checkboxes_and_comments_unpublished(make_repo, run, tmp_path):
    page = (_build(make_repo, run, tmp_path) / "opportunities/a.html").read_text()
    notes = page.split('<div class="prose">')[1].split("</div>")[0]
    assert re.findall(r"<li>(.*?)</li>", notes) == [
        '<label><input type="checkbox" disabled> Send the proposal</label>',
        '<label><input type="checkbox" disabled checked> Site survey</label>',
        "plain item",
    ]
    assert "why now" not in page
    # Any other input a note writes is neutralised to a disabled checkbox.
    assert notes.endswith('<p><label><input type="checkbox" disabled></label></p>')


def test_website_email_and_phone_are_links(make_repo, run, tmp_path):
    site = _build(make_repo, run, tmp_path)

    def links(rel: str) -> list[tuple[str, str]]:
        html = (site / rel).read_text()
        return re.findall(r'<dd><a href="([^"]*)">([^<]*)</a></dd>', html)

    assert links("accounts/acme-corp.html") == [
        ("https://acme.example/about", "acme.example/about"),
        ("tel:+15105550199", "+1 (510) 555-0199"),
        ("mailto:sales@acme.example", "sales@acme.example"),
    ]
    assert links("contacts/jane-doe.html") == [
        ("../accounts/acme-corp.html", "Acme Corp"),
        ("mailto:jane+crm@acme.example", "jane+crm@acme.example"),
        ("tel:0049301234", "0049 30 1234"),
    ]
    # Values that are not addresses are shown as text, never linked.
    assert links("accounts/globex-inc.html") == []
    globex = (site / "accounts/globex-inc.html").read_text()
    assert "<dd>javascript:alert(1)</dd>" in globex
    assert "<dd>not an address</dd>" in globex
