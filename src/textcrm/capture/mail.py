"""One email message (.eml or a one-message mbox) logged as an `email` activity.

The message is read with the standard library's email parser and its modern policy (RFC 2047
encoded words, non-ASCII names, folded headers). Only the Date, Subject, Message-ID and the
From, To and Cc addresses are used; the body is copied only when asked (`--body`), as quoted
plain text of at most BODY_CAP characters, and attachments never are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, tzinfo
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

from textcrm.capture.match import (
    Person,
    choose_contact,
    match_people,
    pick,
    shown,
    unknown_listing,
)
from textcrm.capture.write import Capture
from textcrm.errors import UsageError

# The largest message read (attachments included): more is refused before parsing.
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
# The most characters of a body copied with --body; a longer one is cut at a line end.
BODY_CAP = 4000


class BadMessage(UsageError):
    """The message cannot be logged as it is (exit 2); nothing changed."""


@dataclass(frozen=True)
class Message:
    """What an email activity is made of."""

    message_id: str
    day: date
    subject: str
    people: tuple[Person, ...]  # From, then To, then Cc, in header order
    body: str | None  # the text/plain part, when there is one


_MBOX_SEPARATOR = re.compile(rb"\r?\n\r?\nFrom [^\r\n]*\r?\n")


def one_message(data: bytes, label: str) -> bytes:
    """The message's bytes: a leading mbox `From ` line removed; several messages refused."""
    if data.startswith(b"From "):
        end = data.find(b"\n")
        data = data[end + 1 :] if end >= 0 else b""
        found = len(_MBOX_SEPARATOR.findall(data))
        if found:
            raise BadMessage(
                f"{label} is a mailbox of {found + 1} messages; textcrm logs one message at "
                "a time (pipe or save a single message); nothing changed"
            )
    return data


def _addresses(msg: EmailMessage, name: str) -> list[Person]:
    found: list[Person] = []
    for header in msg.get_all(name, []):
        try:
            pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
        except (AttributeError, TypeError, ValueError, IndexError):  # a malformed header
            pairs = getaddresses([str(header)])
        found.extend(Person(n, a) for n, a in pairs if a and "@" in a)
    return found


def _plain_body(msg: EmailMessage) -> str | None:
    part = msg.get_body(preferencelist=("plain",))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset or encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else None


def parse_message(data: bytes, zone: tzinfo, label: str) -> Message:
    """Read one message; BadMessage when it has no Date or Message-ID, or is not a message."""
    msg = BytesParser(policy=policy.default).parsebytes(one_message(data, label))
    assert isinstance(msg, EmailMessage)
    if not msg.keys():
        raise BadMessage(f"{label} is not an email message (no headers); nothing changed")
    raw_date = msg.get("Date")
    if raw_date is None:
        raise BadMessage(
            f"{label} has no Date header, so there is no date to log it on; nothing changed"
        )
    when = getattr(raw_date, "datetime", None)
    if when is None:
        raise BadMessage(
            f"{label}: the Date header `{' '.join(str(raw_date).split())}` is not a date; "
            "nothing changed"
        )
    if when.tzinfo is None:  # `-0000`: the time is UTC with no knowledge of the sender's zone
        when = when.replace(tzinfo=UTC)
    message_id = " ".join(str(msg.get("Message-ID") or "").split())
    if not message_id:
        raise BadMessage(
            f"{label} has no Message-ID header, so logging it twice could not be noticed; "
            "log it with `textcrm log OPPORTUNITY --type email`; nothing changed"
        )
    people = [*_addresses(msg, "From"), *_addresses(msg, "To"), *_addresses(msg, "Cc")]
    return Message(
        message_id=message_id,
        day=when.astimezone(zone).date(),
        subject=" ".join(str(msg.get("Subject") or "").split()),
        people=tuple(people),
        body=_plain_body(msg),
    )


def quoted(text: str, cap: int = BODY_CAP) -> str:
    """Plain text as a Markdown quote, cut at a line end after at most `cap` characters."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    kept: list[str] = []
    size = 0
    cut = False
    for line in lines:
        if size + len(line) + 1 > cap:
            if not kept:  # one very long first line: cut inside it
                kept.append(line[:cap])
            cut = True
            break
        kept.append(line)
        size += len(line) + 1
    out = [f"> {ln}" if ln else ">" for ln in kept]
    if cut:
        out.append(f"> [cut at {cap:,} characters]")
    return "\n".join(out) + "\n"


def _body_block(message: Message) -> str:
    title = message.subject or "(no subject)"
    return f"#### Email {message.day.isoformat()}: {title}\n\n" + quoted(message.body or "")


def log_email(
    root: Path,
    today: date,
    data: bytes,
    label: str,
    opportunity: str | None = None,
    follow_up: str | None = None,
    next_step: str | None = None,
    with_body: bool = False,
) -> Capture:
    """The edit that logs the message on its opportunity, or nothing when it is logged."""
    from textcrm import edit
    from textcrm.capture.meetings import zone_of
    from textcrm.loader import load

    repo = load(root, today, run_checks=False).repository
    message = parse_message(data, zone_of(repo.config), label)
    for opp_id in sorted(repo.opportunities):
        if any(a.message_id == message.message_id for a in repo.opportunities[opp_id].activities):
            return Capture(
                lines=[
                    f"{label}: {message.message_id} is already logged on {opp_id}; nothing changed"
                ]
            )
    match = match_people(repo, message.people)
    opp = pick(repo, match, opportunity, f"{label} ({shown(message.message_id)})")
    notes: list[str] = []
    body = None
    if with_body:
        if message.body is None:
            notes.append("the message has no plain-text part; its body was not copied")
        else:
            body = _body_block(message)
    change = edit.log_activity(
        edit.Target(repo, opp, edit.read_bytes(root, opp.path)),
        "email",
        message.subject,
        message.day,
        choose_contact(opp, match) or None,
        follow_up,
        next_step,
        message_id=message.message_id,
        quoted_body=body,
    )
    change = replace(change, summary=f"log email on {opp.id}", notes=(*change.notes, *notes))
    listing = unknown_listing(repo, match.unknown)
    return Capture([change], listing.splitlines()[1:] if listing else [])
