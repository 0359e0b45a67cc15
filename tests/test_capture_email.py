"""`textcrm log --from-email`: real messages (multipart, RFC 2047, several recipients, threads,
time zones) logged as the exact activity, the rest of the file byte for byte as it was."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import TODAY, git

CONFIG = """\
currency: USD
timezone: Europe/Berlin
owners:
  - {key: alice, name: Alice Smith, email: Alice@Northwind.example}
stages:
  - {key: prospecting, name: Prospecting, probability: 10, forecast: pipeline}
  - {key: proposal,    name: Proposal,    probability: 60, forecast: best_case}
  - {key: closed-won,  name: Closed Won,  probability: 100, forecast: closed, outcome: won}
"""

# A file written by hand: comments, odd spacing and a block list, all to be kept as they are.
OPPORTUNITY = """\
---
title: Acme Corp - warehouse scanners   # the big one
account: acme-corp
owner: alice
stage: prospecting
close_date: 2026-12-19
amount: 48000

activities:
  - date: 2026-11-20
    type: call
    summary: First call
# keep this comment
---
Notes about the deal.
"""
NEW_AT = 12  # the activity goes after the last item's last line (line 12)

FILES = {
    "accounts/acme-corp.md": "---\nname: Acme Corp\nwebsite: https://www.acme.example\n---\n",
    "accounts/globex-inc.md": "---\nname: Globex Inc\n---\n",
    "contacts/jane-doe.md": (
        "---\nname: Jane Doe\naccount: acme-corp\nemail: jane@acme.example\n"
        "emails: [J.Doe@Acme-Group.example]\n---\n"
    ),
    "contacts/jose-muller.md": (
        "---\nname: José Müller\naccount: acme-corp\nemail: jose@acme.example\n---\n"
    ),
    "contacts/john-roe.md": "---\nname: John Roe\naccount: globex-inc\nemail: john@globex.example\n---\n",
    "opportunities/acme-scanners.md": OPPORTUNITY,
    "opportunities/globex-lost.md": (
        "---\ntitle: Globex old deal\naccount: globex-inc\nowner: alice\nstage: closed-won\n"
        "close_date: 2026-10-01\namount: 100\n---\n"
    ),
}


@pytest.fixture
def crm(make_repo) -> Path:
    return make_repo(FILES, config=CONFIG, defaults=False)


def opp(crm: Path) -> Path:
    return crm / "opportunities" / "acme-scanners.md"


def expect_inserted(crm: Path, *lines: str, at: int = NEW_AT, before: str = OPPORTUNITY) -> None:
    """The file is `before` with exactly `lines` inserted after line `at`, nothing else."""
    old = before.splitlines(keepends=True)
    want = "".join([*old[:at], *(ln + "\n" for ln in lines), *old[at:]])
    assert opp(crm).read_bytes().decode() == want


def item(day: str, contact: str, summary: str, message_id: str) -> tuple[str, ...]:
    """The activity as written in the file's block-style list, one line per key."""
    return (
        f"  - date: {day}",
        "    type: email",
        f"    contact: {contact}",
        f"    summary: {summary}",
        f"    message_id: {message_id}",
    )


def message(
    subject: str = "Pricing for 40 scanners",
    sender: Address | None = None,
    to: tuple[Address, ...] = (Address("Alice Smith", "alice", "northwind.example"),),
    cc: tuple[Address, ...] = (),
    date: str = "Wed, 25 Nov 2026 10:15:00 +0100",
    message_id: str = "<CAF-0001@mail.acme.example>",
    body: str = "Hello Alice,\n\nthe numbers look right.\n\nJosé\n",
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender or Address("José Müller", "jose", "acme.example")
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    if date:
        msg["Date"] = date
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg


def log(run, crm: Path, tmp_path: Path, msg: EmailMessage | bytes, *args: str):
    path = tmp_path / "message.eml"
    path.write_bytes(msg if isinstance(msg, bytes) else msg.as_bytes())
    return run(["log", "--from-email", str(path), "--root", str(crm), "--today", TODAY, *args])


def test_multipart_message_with_attachment_logs_subject_date_contact_and_message_id(
    run, crm, tmp_path
):
    msg = message(
        to=(
            Address("Alice Smith", "alice", "northwind.example"),
            Address("Jane Doe", "jane", "acme.example"),
        ),
        cc=(Address("Bob", "bob", "northwind.example"),),
    )
    msg.add_alternative("<p>Hello Alice, the <b>numbers</b> look right.</p>", subtype="html")
    msg.add_attachment(
        b"%PDF-1.4 secret terms", maintype="application", subtype="pdf", filename="terms.pdf"
    )
    assert msg.is_multipart()
    result = log(run, crm, tmp_path, msg)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "opportunities/acme-scanners.md: log email on acme-scanners",
        "addresses that are not contacts (create them with):",
        "  textcrm new contact Bob --email bob@northwind.example",
    ]
    expect_inserted(
        crm,
        *item(
            "2026-11-25", "jose-muller", "Pricing for 40 scanners", "<CAF-0001@mail.acme.example>"
        ),
    )
    text = opp(crm).read_text()
    assert "secret terms" not in text and "numbers" not in text  # no body, no attachment
    check = run(["check", "--root", str(crm), "--today", TODAY])
    assert check.exit_code == 0, check.output


def test_rfc2047_encoded_headers_and_non_ascii_names(run, crm, tmp_path):
    raw = (
        "From: =?iso-8859-1?q?Jos=E9_M=FCller?= <JOSE@ACME.EXAMPLE>\r\n"
        "To: =?utf-8?b?QWxpY2UgU23DrXRo?= <alice@northwind.example>\r\n"
        "Subject: =?utf-8?q?Pr=C3=BCfung_des_Angebots?= =?iso-8859-1?q?_f=FCr_Q1?=\r\n"
        "Date: Wed, 25 Nov 2026 10:15:00 +0100\r\n"
        "Message-ID: <enc-1@acme.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Gr=FC=DFe\r\n"
    ).encode("ascii")
    result = log(run, crm, tmp_path, raw)
    assert result.exit_code == 0, result.output
    expect_inserted(
        crm,
        *item("2026-11-25", "jose-muller", "Prüfung des Angebots für Q1", "<enc-1@acme.example>"),
    )


def test_several_recipients_the_deals_contact_is_named_and_emails_list_matches(run, crm, tmp_path):
    # From: us; To: an unknown person and Jane under her second address, in another case.
    msg = message(
        sender=Address("Alice Smith", "alice", "northwind.example"),
        to=(
            Address("Zoë Quinn", "zoe.quinn", "acme.example"),
            Address("", "j.doe", "ACME-GROUP.example"),
        ),
        cc=(Address("José Müller", "jose", "acme.example"),),
        subject="Re: Pricing",
        message_id="<reply-7@northwind.example>",
    )
    result = log(run, crm, tmp_path, msg)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "addresses that are not contacts (create them with):",
        "  textcrm new contact 'Zoë Quinn' --account acme-corp --email zoe.quinn@acme.example",
    ]
    expect_inserted(
        crm,
        *item("2026-11-25", "jane-doe", '"Re: Pricing"', "<reply-7@northwind.example>"),
    )


def test_a_reply_thread_logs_each_message_once(run, crm, tmp_path):
    first = message()
    assert log(run, crm, tmp_path, first).exit_code == 0
    after_first = opp(crm).read_bytes()
    again = run(
        ["log", "--from-email", "-", "--root", str(crm), "--today", TODAY],
        input=b"From jose@acme.example Wed Nov 25 10:15:00 2026\n" + first.as_bytes(),
    )
    assert again.exit_code == 0, again.output
    assert again.output == (
        "standard input: <CAF-0001@mail.acme.example> is already logged on acme-scanners; "
        "nothing changed\n"
    )
    assert opp(crm).read_bytes() == after_first
    reply = message(
        sender=Address("Alice Smith", "alice", "northwind.example"),
        to=(Address("José Müller", "jose", "acme.example"),),
        subject="Re: Pricing for 40 scanners",
        date="Thu, 26 Nov 2026 08:00:00 +0100",
        message_id="<reply-1@northwind.example>",
    )
    reply["In-Reply-To"] = "<CAF-0001@mail.acme.example>"
    reply["References"] = "<CAF-0001@mail.acme.example>"
    assert log(run, crm, tmp_path, reply).exit_code == 0
    expect_inserted(
        crm,
        *item(
            "2026-11-25", "jose-muller", "Pricing for 40 scanners", "<CAF-0001@mail.acme.example>"
        ),
        *item(
            "2026-11-26",
            "jose-muller",
            '"Re: Pricing for 40 scanners"',
            "<reply-1@northwind.example>",
        ),
    )


@pytest.mark.parametrize(
    ("zone", "date", "day"),
    [
        # 00:30 in Berlin is 23:30 UTC the day before.
        ("Europe/Berlin", "Wed, 25 Nov 2026 00:30:00 +0100", "2026-11-25"),
        ("UTC", "Wed, 25 Nov 2026 00:30:00 +0100", "2026-11-24"),
        # 23:30 in Los Angeles is already the next day in UTC and in Berlin.
        ("America/Los_Angeles", "Tue, 24 Nov 2026 23:30:00 -0800", "2026-11-24"),
        ("Europe/Berlin", "Tue, 24 Nov 2026 23:30:00 -0800", "2026-11-25"),
        # `-0000`: a UTC time whose sender's zone is unknown.
        ("Asia/Tokyo", "Tue, 24 Nov 2026 15:30:00 -0000", "2026-11-25"),
        (None, "Tue, 24 Nov 2026 23:59:59 +0000", "2026-11-24"),
    ],
)
def test_the_date_is_taken_in_the_repositorys_time_zone(run, make_repo, tmp_path, zone, date, day):
    config = CONFIG.replace("timezone: Europe/Berlin\n", f"timezone: {zone}\n" if zone else "")
    crm = make_repo(FILES, config=config, defaults=False)
    result = log(run, crm, tmp_path, message(date=date))
    assert result.exit_code == 0, result.output
    expect_inserted(
        crm,
        *item(day, "jose-muller", "Pricing for 40 scanners", "<CAF-0001@mail.acme.example>"),
    )


def test_an_unknown_sender_alone_is_listed_with_the_command_and_nothing_changes(run, crm, tmp_path):
    msg = message(
        sender=Address("Ängela Nowak", "a.nowak", "initech.example"),
        to=(Address("Alice Smith", "alice", "northwind.example"),),
    )
    result = log(run, crm, tmp_path, msg)
    assert result.exit_code == 2
    assert result.output == (
        "textcrm: error: "
        f"{tmp_path / 'message.eml'} (<CAF-0001@mail.acme.example>): none of its addresses "
        "belongs to a contact, so there is no opportunity to log it on; nothing changed\n"
        "addresses that are not contacts (create them with):\n"
        "  textcrm new contact 'Ängela Nowak' --email a.nowak@initech.example\n"
    )
    assert opp(crm).read_text() == OPPORTUNITY


def test_control_characters_in_a_name_never_reach_the_terminal(run, crm, tmp_path):
    raw = (
        message()
        .as_bytes()
        .replace(
            b"From: =?utf-8?q?Jos=C3=A9_M=C3=BCller?= <jose@acme.example>",
            b"From: =?utf-8?q?Evil=1B]0;owned=07_Name?= <evil@acme.example>",
        )
    )
    assert b"evil@acme.example" in raw
    result = log(run, crm, tmp_path, raw)
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert (
        "  textcrm new contact 'Evil?]0;owned? Name' --account acme-corp --email evil@acme.example"
        in result.output
    )


def test_several_open_opportunities_are_listed_and_opportunity_picks_one(run, make_repo, tmp_path):
    second = OPPORTUNITY.replace("warehouse scanners", "service contract")
    crm = make_repo(
        {**FILES, "opportunities/acme-service.md": second}, config=CONFIG, defaults=False
    )
    result = log(run, crm, tmp_path, message())
    assert result.exit_code == 2
    assert result.output.splitlines()[1:] == [
        "  acme-scanners  Acme Corp - warehouse scanners",
        "  acme-service  Acme Corp - service contract",
    ]
    assert "2 open opportunities fit jose-muller; pass --opportunity ID" in result.output
    assert opp(crm).read_text() == OPPORTUNITY
    picked = log(run, crm, tmp_path, message(), "--opportunity", "acme-scanners")
    assert picked.exit_code == 0, picked.output
    assert (crm / "opportunities" / "acme-service.md").read_text() == second
    expect_inserted(
        crm,
        *item(
            "2026-11-25", "jose-muller", "Pricing for 40 scanners", "<CAF-0001@mail.acme.example>"
        ),
    )


def test_follow_up_and_next_step_as_in_log(run, crm, tmp_path):
    result = log(
        run, crm, tmp_path, message(), "--follow-up", "2026-12-03", "--next-step", "Send quote"
    )
    assert result.exit_code == 0, result.output
    old = OPPORTUNITY.splitlines(keepends=True)
    want = "".join(
        [
            *old[:12],
            *(
                ln + "\n"
                for ln in item(
                    "2026-11-25",
                    "jose-muller",
                    "Pricing for 40 scanners",
                    "<CAF-0001@mail.acme.example>",
                )
            ),
            *old[12:13],
            "follow_up: 2026-12-03\n",
            "next_step: Send quote\n",
            *old[13:],
        ]
    )
    assert opp(crm).read_text() == want


def test_body_is_copied_only_with_body_quoted_as_plain_text(run, crm, tmp_path):
    msg = message(body="Hello Alice,\n\n> earlier text\nthe numbers look right.\n\n\n")
    msg.add_alternative("<p>HTML version</p>", subtype="html")
    msg.add_attachment(b"attached", maintype="text", subtype="csv", filename="prices.csv")
    result = log(run, crm, tmp_path, msg, "--body")
    assert result.exit_code == 0, result.output
    assert opp(crm).read_text() == OPPORTUNITY.replace(
        "    summary: First call\n",
        "    summary: First call\n"
        + "".join(
            ln + "\n"
            for ln in item(
                "2026-11-25",
                "jose-muller",
                "Pricing for 40 scanners",
                "<CAF-0001@mail.acme.example>",
            )
        ),
    ) + (
        "\n"
        "#### Email 2026-11-25: Pricing for 40 scanners\n"
        "\n"
        "> Hello Alice,\n"
        ">\n"
        "> > earlier text\n"
        "> the numbers look right.\n"
    )


def test_a_long_body_is_cut_at_the_cap(run, crm, tmp_path):
    from textcrm.capture.mail import BODY_CAP

    line = "x" * 99  # 100 characters with its newline
    msg = message(body="\n".join([line] * 100) + "\n")
    assert log(run, crm, tmp_path, msg, "--body").exit_code == 0
    tail = opp(crm).read_text().split("#### Email 2026-11-25: Pricing for 40 scanners\n\n")[1]
    assert BODY_CAP == 4000
    assert tail == f"> {line}\n" * 40 + "> [cut at 4,000 characters]\n"


def test_an_html_only_message_copies_no_body_and_says_so(run, crm, tmp_path):
    msg = message()
    msg.set_content("<p>Only HTML</p>", subtype="html")
    result = log(run, crm, tmp_path, msg, "--body")
    assert result.exit_code == 0
    assert "  note: the message has no plain-text part; its body was not copied" in result.output
    assert "Only HTML" not in opp(crm).read_text()


def test_dry_run_shows_the_diff_and_writes_nothing(run, crm, tmp_path):
    result = log(run, crm, tmp_path, message(), "--dry-run")
    assert result.exit_code == 0
    assert (
        "+  - date: 2026-11-25\n+    type: email\n+    contact: jose-muller\n"
        "+    summary: Pricing for 40 scanners\n"
        "+    message_id: <CAF-0001@mail.acme.example>\n" in result.output
    )
    assert opp(crm).read_text() == OPPORTUNITY


def test_commit_commits_just_the_opportunity(run, crm, tmp_path):
    git(crm, "init", "--quiet")
    git(crm, "add", ".")
    git(crm, "commit", "--quiet", "-m", "start")
    result = log(run, crm, tmp_path, message(), "--commit")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].startswith("committed ")
    shown = git(crm, "show", "--stat", "--format=%s", "HEAD").stdout.splitlines()
    assert shown[0] == "log email on acme-scanners"
    assert shown[2].split() == ["opportunities/acme-scanners.md", "|", "5", "+++++"]
    assert git(crm, "status", "--porcelain").stdout == ""


# --- bad input: a clear message, exit 2, nothing changed -------------------------------------


def unchanged(crm: Path) -> None:
    """Every record file is as the fixture wrote it."""
    found = {
        p.relative_to(crm).as_posix(): p.read_text()
        for p in crm.rglob("*.md")
        if ".textcrm-cache" not in p.parts
    }
    assert found == FILES


def test_a_message_with_no_date(run, crm, tmp_path):
    result = log(run, crm, tmp_path, message(date=""))
    assert result.exit_code == 2
    assert result.output == (
        f"textcrm: error: {tmp_path / 'message.eml'} has no Date header, so there is no date "
        "to log it on; nothing changed\n"
    )
    unchanged(crm)


def test_a_message_with_a_broken_date(run, crm, tmp_path):
    raw = message().as_bytes().replace(b"Wed, 25 Nov 2026 10:15:00 +0100", b"next Tuesday")
    result = log(run, crm, tmp_path, raw)
    assert result.exit_code == 2
    assert "the Date header `next Tuesday` is not a date; nothing changed" in result.output
    unchanged(crm)


def test_a_message_with_no_message_id(run, crm, tmp_path):
    result = log(run, crm, tmp_path, message(message_id=""))
    assert result.exit_code == 2
    assert "has no Message-ID header" in result.output
    unchanged(crm)


def test_not_a_message(run, crm, tmp_path):
    result = log(run, crm, tmp_path, b"just some words\nno headers at all\n")
    assert result.exit_code == 2
    unchanged(crm)


def test_a_mailbox_of_several_messages(run, crm, tmp_path):
    one = b"From jose@acme.example Wed Nov 25 10:15:00 2026\n" + message().as_bytes()
    two = (
        b"From jose@acme.example Thu Nov 26 10:15:00 2026\n"
        + message(message_id="<two@acme.example>").as_bytes()
    )
    result = log(run, crm, tmp_path, one + b"\n" + two)
    assert result.exit_code == 2
    assert "is a mailbox of 2 messages; textcrm logs one message at a time" in result.output
    unchanged(crm)


def test_a_50_mb_mbox_is_refused_without_being_parsed(run, crm, tmp_path):
    path = tmp_path / "big.mbox"
    chunk = b"From jose@acme.example Wed Nov 25 10:15:00 2026\n" + message().as_bytes() + b"\n"
    with path.open("wb") as f:
        f.write(chunk)
        filler = b"x" * 1023 + b"\n"
        for _ in range(50 * 1024):
            f.write(filler)
    assert path.stat().st_size > 50 * 1024 * 1024
    result = run(["log", "--from-email", str(path), "--root", str(crm), "--today", TODAY])
    assert result.exit_code == 2
    assert result.output == (
        f"textcrm: error: {path} is larger than 25 MB, the most textcrm reads; save or pipe "
        "the message itself, not the whole mailbox; nothing changed\n"
    )
    unchanged(crm)


def test_options_that_do_not_go_with_from_email(run, crm, tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(message().as_bytes())
    base = ["log", "--from-email", str(path), "--root", str(crm), "--today", TODAY]
    for extra, text in (
        (["acme-scanners"], "OPPORTUNITY (use --opportunity) does not go with --from-email"),
        (["--type", "call"], "--type does not go with"),
        (["--set-follow-up"], "--set-follow-up goes with --from-ics"),
    ):
        result = run([*base, *extra])
        assert result.exit_code == 2, extra
        assert text in result.output
    plain = run(["log", "--root", str(crm), "--today", TODAY, "--type", "call"])
    assert plain.exit_code == 2
    assert "give the OPPORTUNITY to log on, or --from-email / --from-ics" in plain.output
    unchanged(crm)


def test_timezone_must_be_an_iana_name(run, make_repo):
    crm = make_repo(
        FILES, config=CONFIG.replace("Europe/Berlin", "Mars/Olympus_Mons"), defaults=False
    )
    result = run(["check", "--root", str(crm), "--today", TODAY])
    assert result.exit_code == 2
    assert (
        "textcrm.yaml:2:1: error: timezone: `Mars/Olympus_Mons` is not an IANA time zone name "
        "(such as UTC, Europe/Berlin or America/New_York) [invalid-value]" in result.output
    )
