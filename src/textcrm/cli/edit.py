"""Editing records, checked before they are written: `textcrm new`, `log`, `move`, `set` and
`pin-prices`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from textcrm.cli import (
    F,
    cli,
    parse_today,
    resolve_root,
    root_option,
    today_option,
)
from textcrm.errors import UsageError

# schema.ACTIVITY_TYPES, spelt out so that `textcrm --version` imports nothing more
# (tests/test_edit_write.py checks that the two agree).
ACTIVITY_TYPES = ("call", "email", "meeting", "demo", "note", "task")


def edit_options(f: F) -> F:
    """--root, --today, --dry-run and --commit, shared by the editing commands."""
    f = click.option(
        "--commit",
        is_flag=True,
        help="Commit just this file with git, with a message saying what changed.",
    )(f)
    f = click.option("--dry-run", is_flag=True, help="Print the diff; write nothing.")(f)
    return root_option(today_option(f))


def _edit(
    root: str | None,
    today: str | None,
    dry_run: bool,
    commit: bool,
    build: Callable[[Path, date], Any],
) -> None:
    """Build an edit with `build(root, today)`, then check it and write or show it."""
    from textcrm import edit
    from textcrm.encode import terminal_text

    if dry_run and commit:
        raise UsageError("--dry-run and --commit cannot be combined")
    crm = resolve_root(root)
    day = parse_today(today)
    try:
        report = edit.apply(crm, day, build(crm, day), dry_run=dry_run, commit=commit)
    except edit.CommitRefused as exc:
        click.echo(terminal_text(exc.report), nl=False)
        raise
    click.echo(terminal_text(report), nl=False)


@cli.group()
def new() -> None:
    """Create an opportunity, account, contact or competitor from a template.

    The file is made from templates/new/KIND.md (the CRM repository's own templates/new/
    overrides the default one), its id is the slug of the name, and it must pass
    `textcrm check` before it is written. An existing file is never overwritten, and every
    reference (--account, --owner, --contact) must exist.

    \b
    Examples:
      textcrm new opportunity "Warehouse scanners" --account acme-corp --owner alice --amount 48000
      textcrm new account "Acme Corp" --industry Logistics
      textcrm new contact "Jane Doe" --account acme-corp --title CFO
      textcrm new competitor "Globex" --website https://globex.example
    """


def _new(
    kind: str,
    name: str,
    record_id: str | None,
    root: str | None,
    today: str | None,
    dry_run: bool,
    commit: bool,
    options: dict[str, str | None],
) -> None:
    from textcrm import edit

    _edit(
        root,
        today,
        dry_run,
        commit,
        lambda crm, day: edit.new_record(crm, day, kind, name, options, record_id),
    )


@new.command("opportunity")
@click.argument("title")
@click.option("--account", required=True, metavar="ID", help="The account's id (accounts/ID.md).")
@click.option("--owner", required=True, metavar="KEY", help="Who owns the deal.")
@click.option("--stage", metavar="KEY", help="Stage key. Default: the first stage.")
@click.option(
    "--close-date",
    metavar="YYYY-MM-DD",
    help="Best estimate of the close date. Default: 90 days from today.",
)
@click.option("--amount", metavar="AMOUNT", help="Estimated revenue (required for an open stage).")
@click.option(
    "--created",
    metavar="YYYY-MM-DD",
    help="The day the deal was opened. Default: today, or the close date when it is past.",
)
@click.option("--contact", metavar="ID", help="The primary contact's id (contacts/ID.md).")
@click.option(
    "--id",
    "record_id",
    metavar="ID",
    help="The file's id. Default: the title's slug, starting with the account id.",
)
@edit_options
def new_opportunity(
    title: str,
    record_id: str | None,
    root: str | None,
    today: str | None,
    dry_run: bool,
    commit: bool,
    **options: str | None,
) -> None:
    """Create opportunities/ID.md with created set to today.

    A deal entered after the fact (a closed stage with a past --close-date) gets the close
    date as `created` unless --created is given, so its sales cycle is never negative.

    \b
    Examples:
      textcrm new opportunity "Acme Corp - warehouse scanners" --account acme-corp \\
          --owner alice --close-date 2026-12-19 --amount 48000
      -> opportunities/acme-corp-warehouse-scanners.md
      textcrm new opportunity "Acme Corp - pilot" --account acme-corp --owner alice \\
          --stage closed-won --close-date 2026-06-30 --created 2026-03-02 --amount 9000
    """
    _new("opportunity", title, record_id, root, today, dry_run, commit, options)


@new.command("account")
@click.argument("name")
@click.option("--industry", help="Industry or sector.")
@click.option("--website", help="Web address.")
@click.option("--owner", metavar="KEY", help="The account owner.")
@click.option("--id", "record_id", metavar="ID", help="The file's id. Default: the name's slug.")
@edit_options
def new_account(
    name: str,
    record_id: str | None,
    root: str | None,
    today: str | None,
    dry_run: bool,
    commit: bool,
    **options: str | None,
) -> None:
    """Create accounts/ID.md.

    \b
    Example:
      textcrm new account "Acme Corp" --industry Logistics   -> accounts/acme-corp.md
    """
    _new("account", name, record_id, root, today, dry_run, commit, options)


@new.command("contact")
@click.argument("name")
@click.option("--account", metavar="ID", help="The account the contact works for.")
@click.option("--title", "job_title", help="Job title.")
@click.option("--email", help="Email address.")
@click.option("--phone", help="Phone number.")
@click.option("--id", "record_id", metavar="ID", help="The file's id. Default: the name's slug.")
@edit_options
def new_contact(
    name: str,
    record_id: str | None,
    root: str | None,
    today: str | None,
    dry_run: bool,
    commit: bool,
    **options: str | None,
) -> None:
    """Create contacts/ID.md.

    \b
    Example:
      textcrm new contact "Jane Doe" --account acme-corp --title CFO   -> contacts/jane-doe.md
    """
    options["title"] = options.pop("job_title")
    _new("contact", name, record_id, root, today, dry_run, commit, options)


@new.command("competitor")
@click.argument("name")
@click.option("--website", help="Web address.")
@click.option("--id", "record_id", metavar="ID", help="The file's id. Default: the name's slug.")
@edit_options
def new_competitor(
    name: str,
    record_id: str | None,
    root: str | None,
    today: str | None,
    dry_run: bool,
    commit: bool,
    **options: str | None,
) -> None:
    """Create competitors/ID.md; its body is the battlecard.

    \b
    Example:
      textcrm new competitor Globex --website https://globex.example
    """
    _new("competitor", name, record_id, root, today, dry_run, commit, options)


@cli.command("log")
@click.argument("opportunity", required=False)
@click.option(
    "--type",
    "type_",
    type=click.Choice(ACTIVITY_TYPES),
    help="What kind of activity (required unless --from-email or --from-ics).",
)
@click.option("--summary", help="What happened and what was agreed.")
@click.option("--contact", metavar="ID", help="Who we talked to (contacts/ID.md).")
@click.option("--date", "when", metavar="YYYY-MM-DD", help="When it happened. Default: today.")
@click.option("--follow-up", metavar="YYYY-MM-DD", help="Also set the firm follow-up date.")
@click.option("--next-step", metavar="TEXT", help="Also set the next step.")
@click.option(
    "--from-email",
    "from_email",
    type=click.File("rb"),
    metavar="FILE|-",
    help="Log one email message (.eml or mbox; - reads standard input) as an `email` activity.",
)
@click.option(
    "--from-ics",
    "from_ics",
    type=click.File("rb"),
    metavar="FILE",
    help="Log the meetings of a calendar export (.ics) as `meeting` activities.",
)
@click.option(
    "--opportunity",
    "named",
    metavar="ID",
    help="With --from-email/--from-ics: log on this opportunity when the contacts fit several.",
)
@click.option(
    "--body",
    is_flag=True,
    help="With --from-email: also copy the message's plain text, quoted, into the file's body "
    "(at most 4,000 characters).",
)
@click.option(
    "--set-follow-up",
    is_flag=True,
    help="With --from-ics: the next future meeting becomes the opportunity's follow_up.",
)
@edit_options
def log_command(
    opportunity: str | None,
    type_: str | None,
    summary: str | None,
    contact: str | None,
    when: str | None,
    follow_up: str | None,
    next_step: str | None,
    from_email: Any,
    from_ics: Any,
    named: str | None,
    body: bool,
    set_follow_up: bool,
    root: str | None,
    today: str | None,
    dry_run: bool,
    commit: bool,
) -> None:
    """Record an activity on an opportunity (appended to `activities`).

    OPPORTUNITY is an id, a unique prefix of one, or words of the title. Everything else in
    the file stays byte for byte as it was.

    With --from-email, the activity comes from an email message: its Date (in textcrm.yaml's
    `timezone`), Subject and Message-ID; the contacts are found by their addresses (From, To,
    Cc) and the opportunity is their only open one (else --opportunity). With --from-ics,
    each past meeting of a calendar export whose attendees are contacts is logged. A message
    or event already logged is not logged again. See docs/capture.md.

    \b
    Examples:
      textcrm log acme-scanners --type call --summary "Walked through pricing"
      textcrm log "acme scanners" --type email --contact jane-doe --follow-up 2026-12-04 \\
          --next-step "Send revised quote" --commit
      textcrm log --from-email message.eml
      textcrm log --from-email - --opportunity acme-scanners < message.eml
      textcrm log --from-ics calendar.ics --set-follow-up
    """
    from textcrm import edit

    if from_email is not None or from_ics is not None:
        for value, option in (
            (opportunity, "OPPORTUNITY (use --opportunity)"),
            (type_, "--type"),
            (summary, "--summary"),
            (contact, "--contact"),
            (when, "--date"),
        ):
            if value:
                raise UsageError(f"{option} does not go with --from-email or --from-ics")
        _capture(
            from_email,
            from_ics,
            named,
            follow_up,
            next_step,
            body,
            set_follow_up,
            root,
            today,
            dry_run,
            commit,
        )
        return
    for given, option in (
        (named, "--opportunity"),
        (body, "--body"),
        (set_follow_up, "--set-follow-up"),
    ):
        if given:
            raise UsageError(f"{option} goes with --from-email or --from-ics")
    if not opportunity:
        raise UsageError("give the OPPORTUNITY to log on, or --from-email / --from-ics")
    if not type_:
        raise UsageError("give the activity's --type (" + ", ".join(ACTIVITY_TYPES) + ")")
    _edit(
        root,
        today,
        dry_run,
        commit,
        lambda crm, day: edit.log_activity(
            edit.open_opportunity(crm, day, opportunity),
            type_,
            summary,
            when or day,
            contact,
            follow_up,
            next_step,
        ),
    )


def _capture(
    email: Any,
    ics: Any,
    named: str | None,
    follow_up: str | None,
    next_step: str | None,
    body: bool,
    set_follow_up: bool,
    root: str | None,
    today: str | None,
    dry_run: bool,
    commit: bool,
) -> None:
    """`log --from-email` / `log --from-ics`: capture, check, then write or show."""
    if email is not None and ics is not None:
        raise UsageError("--from-email and --from-ics cannot be combined")
    if email is not None and set_follow_up:
        raise UsageError("--set-follow-up goes with --from-ics (use --follow-up DATE)")
    if ics is not None and (body or follow_up or next_step):
        raise UsageError("--body, --follow-up and --next-step go with --from-email")
    if dry_run and commit:
        raise UsageError("--dry-run and --commit cannot be combined")
    from textcrm.capture import mail, meetings
    from textcrm.capture.write import apply_all, read_capped

    crm = resolve_root(root)
    day = parse_today(today)
    stream = email if email is not None else ics
    name = str(getattr(stream, "name", "-"))
    label = "standard input" if name in ("-", "<stdin>") else name
    if email is not None:
        hint = "save or pipe the message itself, not the whole mailbox"
        data = read_capped(stream, label, mail.MAX_MESSAGE_BYTES, hint)
        capture = mail.log_email(crm, day, data, label, named, follow_up, next_step, body)
    else:
        hint = "export a shorter period"
        data = read_capped(stream, label, meetings.MAX_CALENDAR_BYTES, hint)
        capture = meetings.log_meetings(crm, day, data, label, named, set_follow_up)
    click.echo(apply_all(crm, day, capture, dry_run=dry_run, commit=commit), nl=False)


@cli.command("move")
@click.argument("opportunity")
@click.argument("stage")
@click.option("--lost-reason", metavar="TEXT", help="Why the deal was lost (lost stages).")
@click.option(
    "--close-date",
    metavar="YYYY-MM-DD",
    help="The close date to record. Default when closing: today.",
)
@click.option(
    "--keep-probability",
    is_flag=True,
    help="Keep the file's own probability instead of the new stage's default.",
)
@edit_options
def move_command(
    opportunity: str,
    stage: str,
    lost_reason: str | None,
    close_date: str | None,
    keep_probability: bool,
    root: str | None,
    today: str | None,
    dry_run: bool,
    commit: bool,
) -> None:
    """Move an opportunity to another STAGE, enforcing that stage's gate.

    The move is refused, listing what is missing, when the opportunity lacks a field the
    stage requires. A probability written in the file is reset to the new stage's default
    unless --keep-probability is given. Closing (a won or lost stage) sets close_date to
    today unless --close-date is given.

    \b
    Examples:
      textcrm move acme-scanners negotiation
      textcrm move acme-scanners closed-lost --lost-reason "Went with the incumbent"
    """
    from textcrm import edit

    _edit(
        root,
        today,
        dry_run,
        commit,
        lambda crm, day: edit.move_stage(
            edit.open_opportunity(crm, day, opportunity),
            stage,
            day,
            lost_reason,
            close_date,
            keep_probability,
        ),
    )


@cli.command("set")
@click.argument("opportunity")
@click.argument("field")
@click.argument("value")
@edit_options
def set_command(
    opportunity: str,
    field: str,
    value: str,
    root: str | None,
    today: str | None,
    dry_run: bool,
    commit: bool,
) -> None:
    """Set one field of an opportunity to VALUE, validated as the format requires.

    FIELD is a single-value field: close_date, amount, probability, owner, next_step,
    follow_up, currency, created, forecast, title, account, lost_reason, source_id. The
    stage changes with `textcrm move`; lists are edited by hand.

    \b
    Examples:
      textcrm set acme-scanners close_date 2027-01-15
      textcrm set acme-scanners next_step "Send the revised quote" --commit
    """
    from textcrm import edit

    _edit(
        root,
        today,
        dry_run,
        commit,
        lambda crm, day: edit.set_value(edit.open_opportunity(crm, day, opportunity), field, value),
    )


@cli.command("pin-prices")
@click.argument("opportunities", nargs=-1)
@click.option(
    "--prices-at",
    metavar="REF",
    help="Write the catalog prices as they were at this commit (e.g. HEAD, before a price "
    "change you are making). Default: products.yaml as it is now.",
)
@click.option("--dry-run", is_flag=True, help="Print the diffs; write nothing.")
@root_option
@today_option
def pin_prices_command(
    opportunities: tuple[str, ...],
    prices_at: str | None,
    dry_run: bool,
    root: str | None,
    today: str | None,
) -> None:
    """Write the catalog price into each line that still takes it from the catalog.

    A line with a `sku` and no `unit_price` follows products.yaml. Once a deal has a quote
    or is closed, its prices have been promised: this writes them into the file as
    `unit_price`, so that a later catalog change leaves the deal alone. Without
    OPPORTUNITIES, every quoted or closed deal with such lines; each OPPORTUNITY is an id,
    a unique prefix of one, or words of its title. Open, unquoted deals keep following the
    catalog unless named.

    \b
    Examples:
      textcrm pin-prices                      every quoted or closed deal
      textcrm pin-prices acme-scanners --dry-run
      textcrm pin-prices --prices-at HEAD     the prices before an uncommitted catalog change
    """
    from textcrm import edit

    crm = resolve_root(root)
    day = parse_today(today)
    products = edit.catalog_at(crm, day, prices_at) if prices_at else None
    targets = edit.pin_targets(crm, day, opportunities)
    if not targets:
        click.echo("no quoted or closed deal takes a price from the catalog; nothing changed")
        return
    for target in targets:
        click.echo(
            edit.apply(crm, day, edit.pin_prices(target, products), dry_run=dry_run), nl=False
        )
