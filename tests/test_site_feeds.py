"""The site publishes a calendar feed for everyone and one per owner, linked from the dashboard."""

from __future__ import annotations

import re

import icalendar

from conftest import EXAMPLE, EXAMPLE_TODAY


def test_feeds_are_published_and_linked(run, tmp_path):
    out = tmp_path / "site"
    result = run(["build", "--root", str(EXAMPLE), "--today", EXAMPLE_TODAY, "-o", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (out / "calendar").iterdir())
    assert names == ["all.ics", "owner-alice.ics", "owner-bob.ics", "owner-carol.ics"]
    dashboard = (out / "index.html").read_text()
    links = re.findall(r'<a href="(calendar/[^"]+)" type="text/calendar">([^<]+)</a>', dashboard)
    assert links == [
        ("calendar/all.ics", "Everyone"),
        ("calendar/owner-alice.ics", "Alice Moreau"),
        ("calendar/owner-bob.ics", "Bob Okafor"),
        ("calendar/owner-carol.ics", "Carol Lindqvist"),
    ]
    uids = {}
    for name in names:
        cal = icalendar.Calendar.from_ical((out / "calendar" / name).read_bytes())
        uids[name] = {str(e["UID"]) for e in cal.walk("VEVENT")}
    owners = uids["owner-alice.ics"] | uids["owner-bob.ics"] | uids["owner-carol.ics"]
    assert uids["all.ics"] == owners
    assert not uids["owner-alice.ics"] & uids["owner-bob.ics"]
    # The same feed as `textcrm calendar --owner`, byte for byte.
    cli = run(
        [
            "calendar",
            "--root",
            str(EXAMPLE),
            "--today",
            EXAMPLE_TODAY,
            "--owner",
            "bob",
            "-o",
            str(tmp_path / "bob.ics"),
        ]
    )
    assert cli.exit_code == 0, cli.output
    assert (tmp_path / "bob.ics").read_bytes() == (out / "calendar" / "owner-bob.ics").read_bytes()
