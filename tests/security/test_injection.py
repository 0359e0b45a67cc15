"""Hostile repositories through the real CLI: text meant to attack the program that reads
textcrm's output (a spreadsheet, a pull-request comment, a terminal, a calendar) arrives inert."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from markdown_it import MarkdownIt

from conftest import DEFAULT_CONFIG, TODAY, git, write_files

FORMULA = '=HYPERLINK("http://x","y")'
# Window title, clipboard write (OSC 52) and screen clear, as YAML double-quoted escapes.
ESCAPES_YAML = r"\e]0;pwned\a \e]52;c;aGk=\a \e[2J"
ESCAPES_SHOWN = "␛]0;pwned␇ ␛]52;c;aGk=␇ ␛[2J"
FORMULA_YAML = "'" + FORMULA + "'"
CONFIG = DEFAULT_CONFIG.replace("owners: [alice, bob]", "owners: [alice, bob, '@team']")


def opportunity(
    title: str = FORMULA_YAML,
    owner: str = "@team",
    extra: str = "",
    body: str = "Notes.\n",
    stage: str = "prospecting",
) -> str:
    return (
        "---\n"
        f"title: {title}\n"
        "account: acme-corp\n"
        f"owner: '{owner}'\n"
        f"stage: {stage}\n"
        "close_date: 2026-12-19\n"
        "amount: 48000\n"
        "activities:\n"
        "  - {date: 2026-11-24, type: call, summary: Called}\n"
        f"{extra}"
        "---\n"
        f"{body}"
    )


def rows(output: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(output, newline="")))


def assert_inert(output: str) -> None:
    """No escape sequence reached the output; the hostile text is there, shown."""
    assert "\x1b" not in output and "\x07" not in output and "\x9b" not in output
    assert ESCAPES_SHOWN in output


# --- CSV --------------------------------------------------------------------------------


def test_report_csv_cells_never_run_as_formulas(make_repo, run):
    root = make_repo({"opportunities/deal.md": opportunity()}, config=CONFIG)
    base = ["--root", str(root), "--today", TODAY, "--format", "csv"]

    listed = rows(run(["list", *base]).stdout)
    header, row = listed[0], listed[1]
    assert row[header.index("title")] == "'" + FORMULA
    assert row[header.index("owner")] == "'@team"
    assert row[header.index("expected")] == "48000.00"

    shown = dict(r for r in rows(run(["show", "deal", *base]).stdout)[1:])
    assert shown["title"] == "'" + FORMULA
    assert shown["owner"] == "'@team"

    (exported,) = rows(run(["export", "--root", str(root), "--today", TODAY, "--no-bom"]).stdout)[
        1:
    ]
    assert exported[1] == "'" + FORMULA and exported[3] == "'@team"


def test_attention_csv_neutralises_the_title_and_owner(make_repo, run):
    stale = opportunity().replace("date: 2026-11-24", "date: 2026-11-01")
    root = make_repo({"opportunities/deal.md": stale}, config=CONFIG)
    out = run(["attention", "--root", str(root), "--today", TODAY, "--format", "csv"]).stdout
    header, *items = rows(out)
    assert [(i[header.index("title")], i[header.index("owner")]) for i in items] == [
        ("'" + FORMULA, "'@team")
    ]


def test_pipeline_and_forecast_csv_neutralise_stage_names(make_repo, run):
    config = CONFIG.replace("name: Prospecting,  ", 'name: "@SUM(1+1)*cmd|calc",')
    root = make_repo({"opportunities/deal.md": opportunity()}, config=config)
    base = ["--root", str(root), "--today", TODAY, "--format", "csv"]
    header, *stages = rows(run(["pipeline", *base]).stdout)
    assert stages[0][header.index("name")] == "'@SUM(1+1)*cmd|calc"
    assert stages[0][header.index("expected")] == "48000.00"
    header, *periods = rows(run(["forecast", *base]).stdout)
    assert {p[header.index("expected")] for p in periods} == {"0.00", "48000.00"}
    assert not any(cell.startswith(("=", "+", "-", "@")) for p in periods for cell in p)


# --- Markdown pull-request comment ------------------------------------------------------


def commit(root: Path, when: str) -> None:
    stamp = f"{when}T12:00:00+00:00"
    git(root, "add", "-A")
    git(
        root,
        "commit",
        "-q",
        "-m",
        "change",
        env={"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp},
    )


def test_changes_markdown_keeps_file_names_in_code_and_html_out(make_repo, run):
    root = make_repo(
        config=CONFIG.replace("'@team'", "'@team', '</details><script>x()</script> #12'")
    )
    git(root, "init", "-q", "-b", "main")
    commit(root, "2026-11-01")
    write_files(
        root,
        {
            "opportunities/a``b`.md": opportunity(owner="@team"),
            "opportunities/c.md": opportunity(owner="</details><script>x()</script> #12"),
        },
    )
    commit(root, "2026-11-10")
    result = run(
        ["changes", "--since", "2026-11-05", "--today", TODAY, "--format", "markdown"], cwd=root
    )
    assert result.exit_code == 0, result.output
    md = result.output
    html = MarkdownIt("commonmark").render(md)
    # The only HTML is textcrm's own fold; the owner's tags are text.
    assert "<script>" not in html and html.count("</details>") == 1
    assert "&lt;/details&gt;&lt;script&gt;x()&lt;/script&gt;" in html
    # The file name is one whole code span: its backticks did not end it.
    codes = [
        t.content
        for block in MarkdownIt("commonmark").parse(md)
        for t in block.children or []
        if t.type == "code_inline"
    ]
    assert "a``b`" in codes
    # Mentions and issue references are written so that they neither ping nor link.
    assert "@team" not in md and "@\u2060team" in md
    assert "#12" not in md and "#\u206012" in md


# --- terminal ---------------------------------------------------------------------------


def test_show_and_list_show_escape_sequences_instead_of_sending_them(make_repo, run):
    title = f'"Scanners {ESCAPES_YAML}"'
    body = "Notes \x1b[2J\x1b]0;pwned\x07 \x9b31m.\r\nSaved on Windows.\r\n"
    root = make_repo(
        {"opportunities/deal.md": opportunity(title=title, body=body, owner="alice")},
        config=CONFIG,
    )
    env = {"NO_COLOR": "", "FORCE_COLOR": "1"}
    shown = run(["show", "deal", "--root", str(root), "--today", TODAY], env=env).output
    assert_inert(shown.replace("\x1b[1m", "").replace("\x1b[0m", ""))
    # textcrm's own styling still reaches the terminal: the title is bold.
    assert shown.startswith(f"\x1b[1mScanners {ESCAPES_SHOWN}\x1b[0m\n")
    assert shown.endswith("\nNotes ␛[2J␛]0;pwned␇ ␛[31m.\nSaved on Windows.\n")
    listed = run(["list", "--root", str(root), "--today", TODAY], env={"COLUMNS": "200"}).output
    assert_inert(listed)


def test_check_and_hook_show_a_hostile_file_name(make_repo, run):
    name = "opportunities/x\x1b]0;pwned\x07 \x1b]52;c;aGk=\x07 \x1b[2J.md"
    late = opportunity(title="Deal", owner="alice").replace("2026-12-19", "2026-11-01")
    root = make_repo({name: late}, config=CONFIG)
    env = {"NO_COLOR": "", "FORCE_COLOR": "1"}
    checked = run(["check", "--root", str(root), "--today", TODAY], env=env)
    assert checked.exit_code == 1
    text = checked.output
    assert "\x1b[1;31merror:\x1b[0m" in text  # our colour, still there
    for ours in ("\x1b[1m", "\x1b[1;31m", "\x1b[0m"):
        text = text.replace(ours, "")
    assert_inert(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    hooked = run(["hook", "run", "--today", TODAY], cwd=root)
    assert hooked.exit_code == 1
    assert_inert(hooked.output)
    assert f"opportunities/x{ESCAPES_SHOWN}.md:6:1: error: close date" in hooked.output


def test_history_and_changes_show_escape_sequences(make_repo, run):
    root = make_repo(config=CONFIG)
    git(root, "init", "-q", "-b", "main")
    commit(root, "2026-11-01")
    write_files(
        root, {"opportunities/deal.md": opportunity(title=f'"T {ESCAPES_YAML}"', owner="alice")}
    )
    commit(root, "2026-11-10")
    history = run(["history", "deal", "--today", TODAY], cwd=root)
    assert history.exit_code == 0, history.output
    assert_inert(history.output)
    assert history.output.startswith(f"deal: T {ESCAPES_SHOWN} (opportunities/deal.md)\n")
    write_files(
        root,
        {"opportunities/deal.md": opportunity(title="T", owner="alice", stage=f'"{ESCAPES_YAML}"')},
    )
    commit(root, "2026-11-12")
    changes = run(["changes", "--since", "2026-11-11", "--today", TODAY], cwd=root)
    assert changes.exit_code == 0, changes.output
    assert "\x1b" not in changes.output and "\x07" not in changes.output


def test_import_report_shows_escape_sequences_from_the_export(make_repo, run, tmp_path):
    root = make_repo()
    accounts = tmp_path / "export" / "Account.csv"
    write_files(
        tmp_path / "export",
        {
            "Account.csv": "Id,Name,ParentId\n001A,Acme,\x1b]0;pwned\x07 \x1b]52;c;aGk=\x07 \x1b[2J\n"
        },
    )
    result = run(
        ["import", "csv", str(accounts), "--from", "salesforce", "--root", str(root), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert_inert(result.output)
    assert f"parent account `{ESCAPES_SHOWN}` not found" in result.output


def test_errors_show_escape_sequences(make_repo, run):
    root = make_repo(config=CONFIG)
    result = run(["show", "x\x1b]0;pwned\x07 \x1b]52;c;aGk=\x07 \x1b[2J", "--root", str(root)])
    assert result.exit_code == 2
    assert_inert(result.output)


# --- calendar ---------------------------------------------------------------------------


def test_calendar_drops_the_control_characters_rfc_5545_forbids(make_repo, run):
    step = r'"call \e]0;pwned\a \x01\x7f\x9b\ttab\rnext"'
    deal = opportunity(title=f'"T {ESCAPES_YAML}"', owner="alice", extra=f"next_step: {step}\n")
    deal = deal.replace("close_date", "follow_up: 2026-12-01\nclose_date")
    root = make_repo({"opportunities/deal.md": deal}, config=CONFIG)
    feed = run(["calendar", "--root", str(root), "--today", TODAY]).stdout_bytes
    lines = feed.decode("utf-8").split("\r\n")
    assert lines[-1] == ""
    forbidden = {chr(c) for c in range(0x20) if c != 0x09} | {"\x7f"}
    assert not [line for line in lines if forbidden & set(line)]
    unfolded = feed.decode("utf-8").replace("\r\n ", "")
    assert (
        "SUMMARY:Follow up: T ]0\\;pwned ]52\\;c\\;aGk= [2J (call ]0\\;pwned \ttab\\nnext)"
        in unfolded
    )


def test_serve_messages_show_escape_sequences_in_file_names_and_errors():
    from textcrm.site.serve import Round, describe

    name = "opportunities/x\x1b]0;pwned\x07 \x1b]52;c;aGk=\x07 \x1b[2J.md"
    failed = Round(None, 0.1, error=f"cannot read {name}", changed=(name,))
    assert describe(failed) == (
        f"opportunities/x{ESCAPES_SHOWN}.md: build failed, still serving the last good site:\n"
        f"cannot read opportunities/x{ESCAPES_SHOWN}.md"
    )


def test_site_calendar_feeds_drop_forbidden_control_characters(make_repo, run, tmp_path):
    config = CONFIG.replace(
        "owners: [alice, bob, '@team']",
        'owners:\n  - alice\n  - {key: bob, name: "Bob \\e]0;pwned\\a\\x01\\x7f"}',
    )
    deal = opportunity(title=f'"T {ESCAPES_YAML}"', owner="bob")
    deal = deal.replace("close_date", "follow_up: 2026-12-01\nclose_date")
    root = make_repo({"opportunities/deal.md": deal}, config=config)
    out = tmp_path / "site"
    result = run(["build", "--root", str(root), "--today", TODAY, "-o", str(out)])
    assert result.exit_code == 0, result.output
    feeds = {p.name: p.read_bytes().decode("utf-8") for p in (out / "calendar").glob("*.ics")}
    assert sorted(feeds) == ["all.ics", "owner-alice.ics", "owner-bob.ics"]
    forbidden = {chr(c) for c in range(0x20) if c != 0x09} | {"\x7f"}
    for feed in feeds.values():
        assert not [line for line in feed.split("\r\n") if forbidden & set(line)]
    unfolded = feeds["owner-bob.ics"].replace("\r\n ", "")
    assert "X-WR-CALNAME:textcrm: Bob ]0;pwned\r\n" in unfolded
    assert "SUMMARY:Close date: T ]0\\;pwned ]52\\;c\\;aGk= [2J\r\n" in unfolded
