"""The `textcrm` command line: parse options, call one library function, map it to an exit code.

Heavy modules are imported inside command bodies so that `textcrm check` and the hook load
only what they use (tests/test_imports.py guards this).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from textcrm import __version__
from textcrm.errors import EnvironmentFailure, TextcrmError, UsageError, os_error_text

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class Group(click.Group):
    """A click group that turns user-facing errors into a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from textcrm.money import exact

        try:
            # Every figure of every command is computed in the one Decimal context that holds
            # the values `check` accepts (docs/format.md, "Limits").
            with exact():
                return super().invoke(ctx)
        except TextcrmError as exc:
            from textcrm.encode import terminal_text

            # Messages quote names and values from the repository: shown, never obeyed.
            click.echo(f"textcrm: error: {terminal_text(exc.message)}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            raise  # the reader went away (`| head`): nothing to tell it
        except OSError as exc:
            # The system refused something no command foresaw: say what, not a traceback.
            # (Writers that know what they leave untouched raise EnvironmentFailure instead.)
            click.echo(
                f"textcrm: error: {os_error_text(exc)}; the command stopped there "
                "(files are written whole or not at all)",
                err=True,
            )
            ctx.exit(EXIT_USAGE)


def parse_today(value: str | None) -> date:
    """`--today` / TEXTCRM_TODAY as a date; the local date when absent."""
    from textcrm.schema import EARLIEST_DATE, LATEST_DATE

    if not value:
        return date.today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today: `{value}` is not a date; write it as YYYY-MM-DD") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise UsageError(f"--today: {value} is outside {EARLIEST_DATE} to {LATEST_DATE}")
    return day


def resolve_root(root: str | None) -> Path:
    from textcrm.layout import find_root

    if root:
        path = Path(root)
        if not (path / "textcrm.yaml").is_file():
            raise UsageError(f"--root {root}: no textcrm.yaml there")
        return path.resolve()
    return find_root(Path.cwd())


def root_option(f: F) -> F:
    return click.option(
        "--root",
        metavar="DIR",
        envvar="TEXTCRM_ROOT",
        help="The CRM repository (the folder with textcrm.yaml). Default: found by walking up "
        "from the current directory.",
    )(f)


def today_option(f: F) -> F:
    return click.option(
        "--today",
        metavar="YYYY-MM-DD",
        envvar="TEXTCRM_TODAY",
        help="The date the rules are applied as of (env TEXTCRM_TODAY). Default: the local date.",
    )(f)


def at_option(f: F) -> F:
    """`--at DATE|REF`: read the repository as of a commit, from git objects."""
    return click.option(
        "--at",
        metavar="DATE|REF",
        help="Read the repository as it was at a commit (a ref, or the last commit on or before "
        "YYYY-MM-DD on the current branch), from git objects; the working tree is not touched. "
        "--today then defaults to that date.",
    )(f)


def display_path(root: Path) -> Callable[[str], str]:
    """Root-relative paths shown relative to the current directory, as compilers do."""
    from textcrm.layout import relative_display

    cwd = Path.cwd()
    return lambda rel: relative_display(root, rel, cwd)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="textcrm")
def cli() -> None:
    """textcrm: a plain-text, git-backed CRM.

    Your pipeline is a folder of Markdown files with YAML front matter: opportunities,
    accounts, contacts, competitors, and a products.yaml catalog, with the sales process in
    textcrm.yaml. textcrm validates it, guards commits, renders a pipeline site and quotes,
    and reads the deal history out of git.

    \b
    Examples:
      textcrm init my-crm                 start a CRM repository
      textcrm check                       validate the whole repository
      textcrm log acme --type call --summary "Walked through pricing"
      textcrm move acme negotiation       advance a deal through its gate
      textcrm pipeline                    the pipeline by stage
      textcrm build                       the pipeline site, in _site/
      textcrm quote acme --format pdf     the customer quote
      textcrm changes --since origin/main what a branch does to the pipeline

    Every command finds the repository by walking up from the current directory to the
    folder holding textcrm.yaml, or takes --root DIR. Exit status: 0 when all is well, 1 when
    problems were found, 2 for a usage or configuration error.
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@root_option
@today_option
@at_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the parse cache.")
@click.option(
    "--changed-since",
    "since",
    metavar="REF",
    help="Check only the files changed since the point where HEAD forked from the git ref "
    "REF (a pull request's changes), e.g. origin/main.",
)
def check(
    paths: tuple[str, ...],
    root: str | None,
    today: str | None,
    at: str | None,
    fmt: str,
    no_cache: bool,
    since: str | None,
) -> None:
    """Validate every file of the CRM repository, or the given PATHS.

    References (accounts, contacts, products, ...) always resolve against the whole
    repository, even when only some files are checked. Problems are printed as
    `path:line:col: severity: message [rule]`, which editors and CI understand; the rule codes
    are documented in docs/rules.md.

    \b
    Examples:
      textcrm check
      textcrm check opportunities/acme-scanners.md --today 2026-11-28
      textcrm check --format github        annotations on a pull request
      textcrm check --changed-since origin/main
      textcrm check --at 2026-10-31        the repository as it was on that day

    Exit status: 0 when there is no error (warnings allowed), 1 when there is at least one
    error, 2 for a usage error or a broken textcrm.yaml.
    """
    from textcrm import console
    from textcrm.loader import load

    day = parse_today(today)
    crm = resolve_root(root)
    reader = None
    if at:
        from textcrm.history import point_day, reader_at

        if since is not None:
            raise UsageError("give either --at or --changed-since, not both")
        reader = reader_at(crm, at, day)
        day = day if today else point_day(reader, day)
    if since is not None:
        from textcrm.hook import changed_since

        if paths:
            raise UsageError("give either PATHS or --changed-since, not both")
        changed = changed_since(crm, day, since)
        if changed is None:
            if fmt == "json":
                kinds = ("opportunities", "accounts", "contacts", "competitors", "products")
                out = console.render_json([], dict.fromkeys(kinds, 0), day.isoformat(), str(crm))
                click.echo(out, nl=False)
            elif fmt == "text":
                click.echo(f"nothing to check: no CRM file changed since {since}")
            sys.exit(EXIT_OK)
        result = changed
    else:
        scope = _scope(crm, paths) if paths else None
        result = load(crm, day, reader=reader, paths=scope, use_cache=not no_cache)
    show = display_path(crm)
    color = False
    if fmt == "json":
        out = console.render_json(result.diagnostics, result.checked, day.isoformat(), str(crm))
    elif fmt == "github":
        out = console.render_github(result.diagnostics, show)
    else:
        color = console.use_color(sys.stdout)
        out = console.render_text(result.diagnostics, result.checked, show, color)
    # click strips ANSI codes off a non-terminal unless told: our own decision stands.
    click.echo(out, nl=False, color=color)
    sys.exit(EXIT_PROBLEMS if result.errors else EXIT_OK)


def _scope(root: Path, paths: tuple[str, ...]) -> set[str]:
    """PATH arguments (files or folders, relative to the current directory) as root-relative
    record paths."""
    from textcrm.layout import classify, discover

    every = discover(root)
    scope: set[str] = set()
    for raw in paths:
        full = Path(raw).resolve() if not Path(raw).is_symlink() else Path(raw).absolute()
        try:
            rel = full.relative_to(root).as_posix()
        except ValueError:
            raise UsageError(f"{raw} is outside the CRM repository {root}") from None
        if full.is_dir():
            prefix = "" if rel == "." else rel + "/"
            scope.update(p for p in every if p.startswith(prefix))
        elif not full.exists() and not full.is_symlink():
            raise UsageError(f"{raw}: no such file")
        elif classify(rel) is None:
            raise UsageError(
                f"{raw} is not a record file textcrm reads "
                "(opportunities/, accounts/, contacts/, competitors/ *.md, "
                "products.yaml, textcrm.yaml)"
            )
        else:
            scope.add(rel)
    return scope


@cli.command()
@root_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
def stages(root: str | None, fmt: str) -> None:
    """Show the sales process: the stages from textcrm.yaml, in pipeline order.

    For each stage: its order, key, name, default probability, forecast category, the gate's
    requirements (fields an opportunity must have at that stage), the stale threshold and its
    description.

    \b
    Example:
      textcrm stages --format json
    """
    import textwrap

    from textcrm import console, jsonout
    from textcrm.encode import terminal_text
    from textcrm.layout import CONFIG_FILE
    from textcrm.loader import DiskReader, load_config
    from textcrm.money import plain

    crm = resolve_root(root)
    config, _ = load_config(DiskReader(crm))
    if fmt == "json":
        doc = {
            "version": 1,
            "config": CONFIG_FILE,
            "stages": [
                {
                    "order": i + 1,
                    "key": s.key,
                    "name": s.name,
                    "probability": plain(s.probability),
                    "forecast": s.forecast,
                    "outcome": s.outcome,
                    "requires": list(s.requires),
                    "stale_after_days": config.stale_days(s) if s.is_open else None,
                    "description": s.description,
                }
                for i, s in enumerate(config.stages)
            ],
        }
        click.echo(jsonout.dumps(doc), nl=False)
        return
    rows = [
        (
            i + 1,
            s.key,
            s.name,
            f"{plain(s.probability)}%",
            s.forecast + (f" ({s.outcome})" if s.outcome else ""),
            ", ".join(s.requires) or "-",
            f"{config.stale_days(s)}d" if s.is_open else "-",
        )
        for i, s in enumerate(config.stages)
    ]
    headers = ("#", "key", "name", "prob.", "forecast", "requires", "stale")
    click.echo(console.table(headers, rows, right=(0, 3)), nl=False)
    # Descriptions are prose: each under its stage, wrapped to the terminal.
    width = min(console.terminal_width(), 100)
    for i, s in enumerate(config.stages):
        if s.description.strip():
            click.echo()
            click.echo(terminal_text(f"{i + 1}. {s.name} ({s.key})", lines=False))
            click.echo(
                textwrap.fill(
                    terminal_text(" ".join(s.description.split())),
                    width,
                    initial_indent="   ",
                    subsequent_indent="   ",
                )
            )


@cli.command()
@root_option
@click.option(
    "--kind",
    type=click.Choice(["opportunity", "account", "contact", "competitor", "catalog", "config"]),
    default="opportunity",
    show_default=True,
    help="Which file's schema.",
)
def schema(root: str | None, kind: str) -> None:
    """Print the JSON Schema (draft 2020-12) of a record's front matter.

    It is generated from the same field definitions the validator uses. Inside a CRM
    repository, the configured stage keys and owners become enums, so the editor completes
    them. Point your editor's YAML support at the file (see the README).

    \b
    Examples:
      textcrm schema > .schemas/opportunity.json
      textcrm schema --kind config > .schemas/textcrm.json
    """
    import json

    from textcrm.layout import find_root
    from textcrm.loader import DiskReader, load_config
    from textcrm.schema import to_json_schema

    config = None
    try:
        crm = resolve_root(root) if root else find_root(Path.cwd())
        config = load_config(DiskReader(crm))[0]
    except TextcrmError:
        if root:
            raise
    click.echo(json.dumps(to_json_schema(kind, config), indent=2, ensure_ascii=False))


@cli.command()
@today_option
@click.option("--no-cache", is_flag=True, help="Do not read or write the parse cache.")
@click.option(
    "--stdio", is_flag=True, help="Talk LSP over standard input and output (the default)."
)
def lsp(today: str | None, no_cache: bool, stdio: bool) -> None:
    """Run the language server: textcrm's checks, completion and fixes in your editor.

    It speaks the Language Server Protocol over standard input and output, for every file of
    a CRM repository (opportunities, accounts, contacts, competitors, textcrm.yaml and
    products.yaml): diagnostics as you type with the exact rules of `textcrm check`,
    completion of fields, stages, owners, ids, skus and dates, hover, go to definition, find
    references, quick fixes and symbols. Editors start it themselves: see docs/editors.md.

    \b
    Examples (what an editor runs):
      textcrm lsp
      TEXTCRM_TODAY=2026-11-28 textcrm lsp
    """
    from textcrm.lsp.server import serve_stdio

    fixed = parse_today(today) if today else None
    serve_stdio(lambda: fixed or date.today(), use_cache=not no_cache)


# --- edit commands ---

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


# --- site commands ---


@cli.command()
@root_option
@today_option
@click.option(
    "-o",
    "--output",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Where to write the site. Default: _site/ under the CRM root.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit with status 1 when the repository has errors (the site is built anyway).",
)
@click.option(
    "--no-cache", is_flag=True, help="Do not read or write the parse and Markdown caches."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    metavar="N",
    help="Processes rendering pages. Default: the number of CPUs (at most 4).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Build into a non-empty folder that no earlier build of yours made (its files stay).",
)
def build(
    root: str | None,
    today: str | None,
    output: str | None,
    strict: bool,
    no_cache: bool,
    jobs: int | None,
    force: bool,
) -> None:
    """Build the static pipeline site: dashboard, board, every record, pipeline.json.

    The site is plain HTML with its CSS and script inside, using relative links only, so it
    works from disk (file://), on GitHub or GitLab Pages, or under any sub-path. The same
    repository and the same --today give byte-identical output. Files with errors are listed
    on the Problems page and the rest is built. Pages whose inputs did not change are not
    rendered again; files an earlier build wrote that are no longer part of the site are
    removed, and nothing else (a CNAME or .git/ in the folder stays). A non-empty folder
    that no build of yours made is refused unless --force. Templates and style.css can be
    overridden by files of the same name in the CRM repository's templates/ folder (see
    docs/site.md).

    \b
    Examples:
      textcrm build                              into ./_site
      textcrm build -o public --today 2026-11-28
      textcrm build --strict                     for CI: fail when check finds errors

    Exit status: 0 when the site was built (1 with --strict when there are errors), 2 for a
    usage error, a broken textcrm.yaml, a broken or refused template, or an unsafe output
    folder. Templates render sandboxed: they lay out data and cannot run code.
    """
    from textcrm.site import build as build_site

    day = parse_today(today)
    crm = resolve_root(root)
    result = build_site(
        crm, day, Path(output) if output else None, use_cache=not no_cache, jobs=jobs, force=force
    )
    from textcrm.plural import counted

    click.echo(
        f"built {counted(result.pages, 'page')} into {result.out} ({result.rendered} rendered, "
        f"{counted(result.written, 'file')} written, {result.removed} removed); "
        f"{counted(result.errors, 'error')}, {counted(result.warnings, 'warning')}"
    )
    sys.exit(EXIT_PROBLEMS if strict and result.errors else EXIT_OK)


@cli.command()
@root_option
@today_option
@click.option(
    "-o",
    "--output",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Where to write the site. Default: _site/ under the CRM root.",
)
@click.option(
    "-p",
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--no-cache", is_flag=True, help="Do not read or write the parse and Markdown caches."
)
def serve(
    root: str | None, today: str | None, output: str | None, port: int, no_cache: bool
) -> None:
    """Build the site, serve it on 127.0.0.1 and rebuild it when files change.

    The CRM folder is watched; after a burst of saves settles, the pages showing the changed
    files are rendered again (an edited opportunity's own page first) and open browser tabs
    reload by themselves. A file saved half-way with an error is listed on the Problems page
    and the rest stays served. Only requests addressed to 127.0.0.1 or localhost are
    answered (others get 400), so a web page cannot read the site. Ctrl-C stops.

    \b
    Examples:
      textcrm serve
      textcrm serve --port 8080 --today 2026-11-28
    """
    from textcrm.site import output_dir
    from textcrm.watch import serve as serve_site

    day = parse_today(today)
    crm = resolve_root(root)
    target = output_dir(crm, Path(output) if output else None)
    try:
        code = serve_site(crm, target, day, port, use_cache=not no_cache, echo=click.echo)
    except OSError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    sys.exit(code)


# --- quote commands ---


@cli.command()
@click.argument("opportunity")
@root_option
@today_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf"]),
    default="html",
    show_default=True,
    help="HTML (one self-contained file) or PDF (needs the "
    "`pdf` extra: pip install 'textcrm[pdf]').",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    type=click.Path(dir_okay=True),
    help="Where to write. Default: the quote number, e.g. Q-2026-0042.html, in the "
    "current directory; a folder: that name inside it.",
)
def quote(
    opportunity: str, root: str | None, today: str | None, fmt: str, output: str | None
) -> None:
    """Write the customer quote of OPPORTUNITY as HTML or PDF.

    OPPORTUNITY is an opportunity's id (its file name without .md), a unique prefix of it,
    or words of its title. The quote prints the seller from textcrm.yaml's `company:`
    (with its logo), the buyer (account and primary contact or Economic Buyer), the
    opportunity's `quote:` section (number, date, valid until, terms, tax rate, discount,
    notes) and its line items, with exact totals: each line and the tax are rounded
    half-up to the currency's minor unit and the total is the sum of the rounded parts.
    The layout is templates/quote.html, which the CRM repository may override.

    \b
    Examples:
      textcrm quote acme-logistics-amr-fleet           writes Q-2026-0038.html
      textcrm quote acme-logistics-amr --format pdf    a unique prefix is enough
      textcrm quote acme-logistics-amr-fleet -o out/quote.pdf --format pdf

    Exit status: 0 when the quote was written, 1 when it cannot be produced (no line items,
    no quote section, a missing logo, errors in the opportunity, an unwritable path), 2 for
    an unknown or ambiguous OPPORTUNITY or when PDF support is not installed. Nothing is
    left behind on failure. An open deal's quote whose valid_until is before --today is
    written with a warning.
    """
    from textcrm.loader import load
    from textcrm.quote import expiry_warning, export

    crm = resolve_root(root)
    cwd = Path.cwd()
    day = parse_today(today)
    result = load(crm, day)
    path, view = export(
        result.repository,
        result.diagnostics,
        opportunity,
        fmt,
        Path(output) if output else None,
        cwd,
    )
    from textcrm.encode import terminal_text

    shown = path.relative_to(cwd) if path.is_relative_to(cwd) else path
    from textcrm.money import format_money
    from textcrm.plural import counted

    total = format_money(view.totals.total, view.currency, result.repository.config.locale)
    said = f"wrote {shown}: quote {view.number}, {counted(len(view.lines), 'line')}, total {total}"
    click.echo(terminal_text(said, lines=False))
    expired = expiry_warning(result.repository, opportunity, day)
    if expired:
        click.echo(f"textcrm: warning: {terminal_text(expired, lines=False)}", err=True)


# --- reports commands ---


def format_option(choices: tuple[str, ...] = ("table", "json", "csv")) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format (JSON shape: docs/reports.md).",
    )


def owner_option(f: F) -> F:
    return click.option("--owner", metavar="OWNER", help="Only this owner's opportunities.")(f)


def wide_option(f: F) -> F:
    return click.option(
        "--wide",
        is_flag=True,
        help="Show every column in full, wider than the terminal if need be (tables are "
        "otherwise fitted to its width, long text cut with an ellipsis).",
    )(f)


def _report_repo(root: str | None, today: str | None, run_checks: bool = False) -> Any:
    """(LoadResult, today) for a report; checks run only when the report shows problems."""
    from textcrm.loader import load
    from textcrm.plural import counted

    day = parse_today(today)
    result = load(resolve_root(root), day, run_checks=run_checks)
    if result.errors and not run_checks:
        # Reports still answer, but the user must know the answer may be incomplete.
        click.echo(
            f"textcrm: warning: {counted(result.errors, 'error')} reading the repository; "
            "what could not be read is left out (run `textcrm check`)",
            err=True,
        )
    return result, day


def _report_style(wide: bool = False) -> Any:
    from textcrm import console
    from textcrm.console import Style

    return Style(width=console.terminal_width(), color=console.use_color(sys.stdout), wide=wide)


def _echo_report(render: Callable[[Any], str], wide: bool = False) -> None:
    """Print a report drawn with this terminal's style; colour codes only when it says so
    (click strips them otherwise)."""
    style = _report_style(wide)
    click.echo(render(style), nl=False, color=style.color)


def _known(kind: str, value: str | None, known: list[str]) -> None:
    """Refuse an unknown id given to --KIND, with the closest known one."""
    from textcrm.suggest import did_you_mean

    if value is not None and value not in known:
        shown = ", ".join(known[:20]) + (f" and {len(known) - 20} more" if len(known) > 20 else "")
        raise UsageError(
            f"--{kind} {value}: no such {kind}"
            + did_you_mean(value, known)
            + f"; known: {shown or 'none'}"
        )


@cli.command(name="list", short_help="List opportunities, filtered and sorted.")
@root_option
@today_option
@format_option()
@click.option("--stage", metavar="STAGE", help="Only this stage (a key from textcrm.yaml).")
@owner_option
@click.option("--account", metavar="ACCOUNT", help="Only this account id.")
@click.option("--open", "state", flag_value="open", help="Only open opportunities.")
@click.option("--won", "state", flag_value="won", help="Only won opportunities.")
@click.option("--lost", "state", flag_value="lost", help="Only lost opportunities.")
@click.option("--closing-before", metavar="YYYY-MM-DD", help="Close date before this day.")
@click.option("--closing-after", metavar="YYYY-MM-DD", help="Close date after this day.")
@click.option("--tag", metavar="TAG", help="Only opportunities with this tag.")
@click.option(
    "--sort",
    type=click.Choice(["close_date", "amount", "weighted", "stage", "updated"]),
    default="close_date",
    show_default=True,
    help="close_date: soonest first; amount, weighted: largest "
    "first; stage: pipeline order; updated: latest activity first.",
)
@wide_option
def list_command(
    root: str | None,
    today: str | None,
    fmt: str,
    stage: str | None,
    owner: str | None,
    account: str | None,
    state: str | None,
    closing_before: str | None,
    closing_after: str | None,
    tag: str | None,
    sort: str,
    wide: bool,
) -> None:
    """List opportunities, one line each, with the totals of what is listed.

    Filters combine (all must match); the date bounds are exclusive. `--sort updated` orders
    by the latest activity date (else `created`), most recent first.

    \b
    Examples:
      textcrm list --open --sort weighted
      textcrm list --owner alice --closing-before 2027-01-01
      textcrm list --tag scanners --format csv > scanners.csv
    """
    from textcrm import pipeline, reports

    result, day = _report_repo(root, today)
    repo = result.repository
    _known("stage", stage, [s.key for s in repo.config.stages])
    _known("owner", owner, pipeline.owners(repo))
    _known(
        "account",
        account,
        sorted(set(repo.accounts) | {o.account for o in repo.opportunities.values()}),
    )
    criteria = pipeline.Criteria(
        stage=stage,
        owner=owner,
        account=account,
        state=state,
        closing_before=_option_date("--closing-before", closing_before),
        closing_after=_option_date("--closing-after", closing_after),
        tag=tag,
    )
    opps = pipeline.opportunity_list(repo, criteria, sort)
    filters = {
        "stage": stage,
        "owner": owner,
        "account": account,
        "status": state,
        "closing_before": closing_before,
        "closing_after": closing_after,
        "tag": tag,
    }
    _echo_report(
        lambda style: reports.list_report(repo, opps, day, fmt, style, filters, sort), wide
    )


def _option_date(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name}: `{value}` is not a date; write it as YYYY-MM-DD") from None


@cli.command(short_help="Everything about one opportunity.")
@click.argument("opportunity")
@root_option
@today_option
@format_option()
@wide_option
def show(opportunity: str, root: str | None, today: str | None, fmt: str, wide: bool) -> None:
    """Show everything about one OPPORTUNITY: facts, totals, line items, quote, contacts,
    competitors, decision issues, activities, next step and its problems.

    OPPORTUNITY is an id (the file name without .md), a unique prefix of one, or words of
    its title.

    \b
    Examples:
      textcrm show acme-logistics-amr-fleet
      textcrm show "reno fleet"
      textcrm show pinecrest-grocers-dc --format json
    """
    from textcrm import reports
    from textcrm.lookup import find_opportunity

    result, day = _report_repo(root, today, run_checks=True)
    opp = find_opportunity(result.repository, opportunity)
    problems = [d for d in result.diagnostics if d.path == opp.path]
    _echo_report(
        lambda style: reports.show_report(result.repository, opp, day, problems, fmt, style),
        wide,
    )


@cli.command(name="pipeline", short_help="Deals and revenue by stage.")
@root_option
@today_option
@format_option()
@owner_option
@wide_option
def pipeline_command(
    root: str | None, today: str | None, fmt: str, owner: str | None, wide: bool
) -> None:
    """The pipeline by stage, in order: deals, expected and weighted revenue, and the open
    totals.

    Money is totalled per currency; with `rates:` in textcrm.yaml the totals are also
    converted to the reporting currency, and the output says so.

    \b
    Examples:
      textcrm pipeline
      textcrm pipeline --owner bob --format json
    """
    from textcrm import pipeline, reports

    result, day = _report_repo(root, today)
    _known("owner", owner, pipeline.owners(result.repository))
    _echo_report(
        lambda style: reports.pipeline_report(result.repository, day, owner, fmt, style), wide
    )


@cli.command(short_help="Revenue by close period and forecast category.")
@root_option
@today_option
@format_option()
@click.option(
    "--by",
    type=click.Choice(["month", "quarter"]),
    default="month",
    show_default=True,
    help="The period length.",
)
@click.option(
    "--periods",
    type=click.IntRange(1, 60),
    metavar="N",
    help="How many periods from the current one. Default: 6 months or 4 quarters.",
)
@owner_option
@click.option(
    "--quotas",
    "quotas_only",
    is_flag=True,
    help="Show only quota attainment and coverage (from `quotas:` in textcrm.yaml).",
)
@click.option(
    "--quota-period",
    metavar="PERIOD",
    help="The quota period to report, 2026-Q3 or 2026-09 (default: the one containing today).",
)
@wide_option
def forecast(
    root: str | None,
    today: str | None,
    fmt: str,
    by: str,
    periods: int | None,
    owner: str | None,
    quotas_only: bool,
    quota_period: str | None,
    wide: bool,
) -> None:
    """Expected and weighted revenue by close period and forecast category (commit, best
    case, pipeline), and closed won to date in each period.

    Open deals closing before the first period are shown as past due, after the last one as
    later; deals in the `omitted` category are left out. With `quotas:` in textcrm.yaml, the
    quota period's attainment (closed won / quota) and coverage (open pipeline closing in the
    rest of the period / remaining quota) per owner and for the team follow.

    \b
    Examples:
      textcrm forecast
      textcrm forecast --by quarter --periods 2 --format csv
      textcrm forecast --quotas --quota-period 2026-Q3 --format csv
    """
    from textcrm import pipeline, reports

    result, day = _report_repo(root, today)
    repo = result.repository
    _known("owner", owner, pipeline.owners(repo))
    quotas = repo.config.quotas
    if (quotas_only or quota_period) and quotas is None:
        raise click.UsageError(
            "textcrm.yaml sets no quotas; add `quotas:` (docs/format.md) to report attainment"
        )
    chosen = None
    if quota_period is not None:
        assert quotas is not None
        chosen = pipeline.period_from_key(quota_period.strip(), quotas.period)
        if chosen is None:
            example = "2026-Q3" if quotas.period == "quarter" else "2026-09"
            raise click.BadParameter(
                f"`{quota_period}` is not a {quotas.period}; quotas are per {quotas.period}, "
                f"write it as {example}",
                param_hint="--quota-period",
            )
    count = periods or (6 if by == "month" else 4)
    _echo_report(
        lambda style: reports.forecast_report(
            repo, day, by, count, owner, fmt, style, chosen, quotas_only
        ),
        wide,
    )


@cli.command()
@root_option
@today_option
@format_option()
@owner_option
@wide_option
def attention(root: str | None, today: str | None, fmt: str, owner: str | None, wide: bool) -> None:
    """What needs doing today, most urgent first.

    Past close dates, stale deals, overdue follow-ups and follow-ups due today, expired
    quotes and quotes expiring within 7 days, decision issues past due or due within 7 days.

    \b
    Examples:
      textcrm attention --owner alice
      textcrm attention --format json
    """
    from textcrm import pipeline, reports

    result, day = _report_repo(root, today)
    _known("owner", owner, pipeline.owners(result.repository))
    _echo_report(
        lambda style: reports.attention_report(result.repository, day, owner, fmt, style), wide
    )


@cli.command(short_help="Won and lost deals and win rates, by reason, competitor, owner, stage.")
@root_option
@today_option
@format_option()
@click.option("--since", metavar="YYYY-MM-DD", help="Only deals closed on or after this day.")
@click.option(
    "--by",
    type=click.Choice(["reason", "competitor", "owner", "stage"]),
    default="reason",
    show_default=True,
    help="reason: lost reason; competitor: each competitor named on a deal; owner: the "
    "deal's owner; stage: the stage a deal was closed from (git history).",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the history cache.")
@wide_option
def winloss(
    root: str | None,
    today: str | None,
    fmt: str,
    since: str | None,
    by: str,
    no_cache: bool,
    wide: bool,
) -> None:
    """Won and lost deals: counts, amounts and win rates (won / (won + lost), by count and
    by amount), grouped by lost reason, competitor, owner or the stage a deal was closed
    from.

    A deal counts when its stage is won or lost and, with --since, its close_date is on or
    after that day. With --by competitor a deal counts for every competitor named on it,
    with the competitor's status on the deal. --by stage reads git history; without it the
    stage is "unknown". docs/reports.md explains every figure.

    \b
    Examples:
      textcrm winloss
      textcrm winloss --by competitor --since 2026-01-01
      textcrm winloss --by stage --format csv > winloss.csv
    """
    from textcrm import winloss as analysis
    from textcrm.winloss_output import winloss_report

    result, day = _report_repo(root, today)
    repo = result.repository
    first = _option_date("--since", since)
    closed_from = None
    if by == "stage":
        from textcrm.history import histories_if_any

        found = histories_if_any(repo.root, use_cache=not no_cache)
        if found is not None:
            closed_from = analysis.stages_closed_from(found, repo.config)
    figures = analysis.win_loss(repo, by, first, closed_from)
    _echo_report(lambda style: winloss_report(repo, figures, day, fmt, style), wide)


@cli.command(short_help="Export records as CSV or JSON.")
@root_option
@today_option
@format_option(("csv", "json"))
@click.option(
    "--kind",
    type=click.Choice(["opportunities", "accounts", "contacts", "line-items", "activities"]),
    default="opportunities",
    show_default=True,
    help="Which records.",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Write to FILE instead of standard output.",
)
@click.option(
    "--bom/--no-bom",
    default=True,
    show_default=True,
    help="Start CSV with a UTF-8 byte-order mark, so spreadsheets read accents.",
)
def export(
    root: str | None, today: str | None, fmt: str, kind: str, output: str | None, bom: bool
) -> None:
    """Export every record of one kind as CSV or JSON, one row per record.

    Columns are stable (documented in docs/reports.md; new ones are only added at the end),
    dates are ISO, money is a plain decimal with the currency's minor units, lists are joined
    with `;`. The CSV opens as is in a spreadsheet.

    \b
    Examples:
      textcrm export > opportunities.csv
      textcrm export --kind line-items --format json -o lines.json
    """
    from textcrm import export as exporter

    result, _day = _report_repo(root, today)
    repo = result.repository
    data = exporter.to_csv(repo, kind, bom) if fmt == "csv" else exporter.to_json(repo, kind)
    _emit(data, output)


def _emit(data: bytes, output: str | None) -> None:
    """Write bytes to FILE (atomically) or standard output."""
    if output is None or output == "-":
        click.echo(data, nl=False)
        return
    from textcrm.fsutil import atomic_write

    path = Path(output)
    if not path.parent.is_dir():
        raise UsageError(f"-o {output}: the folder {path.parent} does not exist")
    try:
        atomic_write(path, data)
    except OSError as exc:
        left = f"{output} was left as it was" if path.exists() else "no file was created"
        raise EnvironmentFailure(f"-o {output}: cannot write", exc, left) from None
    click.echo(f"wrote {output}", err=True)


@cli.command(short_help="An iCalendar feed of deals' dates.")
@root_option
@today_option
@owner_option
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Write the .ics file to FILE instead of standard output.",
)
def calendar(root: str | None, today: str | None, owner: str | None, output: str | None) -> None:
    """An iCalendar (.ics) feed of open deals' dates: follow-ups, close dates, quote expiries
    and decision issues due, as all-day events.

    Each event keeps its UID when its date changes, so a calendar subscribed to the feed moves
    the event instead of adding a second one. The output depends only on the repository and
    --today, never on the clock.

    \b
    Examples:
      textcrm calendar -o pipeline.ics
      textcrm calendar --owner alice -o alice.ics
    """
    from textcrm import pipeline
    from textcrm.calendar import calendar_feed

    result, day = _report_repo(root, today)
    _known("owner", owner, pipeline.owners(result.repository))
    _emit(calendar_feed(result.repository, day, owner), output)


# --- hook and init commands ---


@cli.group()
def hook() -> None:
    """The git pre-commit hook that keeps the shared pipeline honest.

    Once installed, every `git commit` checks the CRM files it changes, as staged (not as
    they are in the working tree), and refuses the commit on any error it brings: a close
    date in the past, a stale deal, a reference to a contact deleted in the same commit, a
    catalog price change that would re-price a closed deal or an issued quote, ... Problems
    that were already there in records the commit does not change (and old date problems
    that a change does not make worse) are summarised and do not block. Warnings are shown
    and do not block. In an emergency: `git commit --no-verify`.

    \b
    Examples:
      textcrm hook install        write .git/hooks/pre-commit (honours core.hooksPath)
      textcrm hook run            check what is staged now, as the hook does
      textcrm hook uninstall      remove it again

    Teams using the pre-commit framework add the hook id `textcrm-check` instead
    (docs/hook.md).
    """


@hook.command("install")
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing hook that is not textcrm's (it is kept as "
    "pre-commit.before-textcrm).",
)
def hook_install(force: bool) -> None:
    """Install the pre-commit hook in the current git repository.

    The hook runs this Python's textcrm (falling back to `textcrm` on PATH), so it works from
    a virtual environment. An existing hook that is not textcrm's is left alone unless
    --force; the message says how to run both.

    \b
    Example:
      textcrm hook install
    """
    from textcrm.hook import install

    outcome = install(Path.cwd(), force=force)
    click.echo(outcome.text, nl=False)
    sys.exit(outcome.exit_code)


@hook.command("uninstall")
def hook_uninstall() -> None:
    """Remove textcrm's pre-commit hook (never another one).

    A hook that `install --force` replaced is put back.

    \b
    Example:
      textcrm hook uninstall
    """
    from textcrm.hook import uninstall

    outcome = uninstall(Path.cwd())
    click.echo(outcome.text, nl=False)
    sys.exit(outcome.exit_code)


@hook.command("run")
@click.argument("files", nargs=-1, metavar="[FILE]...")
@root_option
@today_option
def hook_run(files: tuple[str, ...], root: str | None, today: str | None) -> None:
    """Check what is being committed: the staged content of the CRM files.

    Staged opportunities get every rule; staged accounts, contacts, competitors and the
    catalog get theirs; references resolve against the index, so an opportunity that still
    points at a contact deleted in this commit is refused even if it is not staged itself. A
    change to textcrm.yaml re-checks everything. Problems that were already there before the
    commit, in records it does not change, do not refuse it (docs/hook.md). Without --root,
    every CRM repository in the git repository (every textcrm.yaml in the index) is checked.
    Never changes a file.

    FILE names (as the pre-commit framework passes them) that are not all staged are checked
    as they are in the working tree, every problem counting: what `pre-commit run
    --all-files` and `pre-commit run --from-ref A --to-ref B` do.

    \b
    Examples:
      git add opportunities/acme-scanners.md && textcrm hook run
      textcrm hook run opportunities/*.md

    Exit status: 0 when the commit may go ahead (warnings allowed), 1 when it must not.
    """
    from textcrm import console
    from textcrm.hook import run_hook

    crm = resolve_root(root) if root else None
    color = console.use_color(sys.stdout)
    outcome = run_hook(Path.cwd(), parse_today(today), crm, color, files)
    click.echo(outcome.text, nl=False, color=color)
    sys.exit(outcome.exit_code)


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option(
    "--ci",
    type=click.Choice(["github", "gitlab", "none"]),
    default="github",
    show_default=True,
    help="Which CI workflow file to write.",
)
@click.option("--no-hook", is_flag=True, help="Do not install the pre-commit hook.")
def init(directory: str, ci: str, no_hook: bool) -> None:
    """Create a new CRM repository in DIRECTORY (default: here).

    Writes textcrm.yaml with a documented default sales process, the record folders with a
    short README each, a products.yaml skeleton, a .gitignore, and a CI workflow that checks
    the repository and publishes the pipeline site (GitHub Actions with Pages, or GitLab CI
    with a pages job). Runs `git init` when DIRECTORY is not in a git repository yet, and
    installs the pre-commit hook. When the git remote is on GitHub, GitLab or Gitea,
    textcrm.yaml gets the forge's `edit_url`, for the site's edit links (docs/capture.md).
    Existing files are never overwritten: running it twice
    changes nothing.

    \b
    Examples:
      textcrm init sales-crm
      textcrm init --ci gitlab --no-hook
    """
    from textcrm.init import init_repository

    outcome = init_repository(Path(directory), ci=ci, hook=not no_hook)
    click.echo(outcome.text, nl=False)
    sys.exit(outcome.exit_code)


# --- history commands ---


@cli.command()
@click.argument("opportunity")
@root_option
@today_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the history cache.")
@wide_option
def history(
    opportunity: str, root: str | None, today: str | None, fmt: str, no_cache: bool, wide: bool
) -> None:
    """Show how one OPPORTUNITY moved: every commit that changed its stage, close date,
    expected revenue, probability, owner or forecast category (renames followed).

    OPPORTUNITY is an id (the file name without `.md`, or its path), a unique prefix of one,
    or words of its title; a deleted opportunity is named by its id. History is read along the
    current branch's first-parent line; a change made on a branch shows at its merge. The
    summary gives the days in the current and past stages, how often the close date moved
    and the deal's age. docs/history.md explains every figure.

    \b
    Examples:
      textcrm history acme-scanners
      textcrm history "acme scanners"
      textcrm history opportunities/acme-scanners.md --format json

    Exit status: 0, or 2 when the opportunity is unknown, this is not a git repository, or
    the clone is shallow (history needs the full history: use fetch-depth: 0).
    """
    from textcrm import jsonout
    from textcrm.history import load_history
    from textcrm.history_output import history_json, render_history

    day = parse_today(today)
    crm = resolve_root(root)
    found = load_history(crm, opportunity, day, use_cache=not no_cache)
    if fmt == "json":
        click.echo(jsonout.dumps(history_json(found, day)), nl=False)
    else:
        click.echo(render_history(found, day, _locale(crm), _report_style(wide)), nl=False)


@cli.command()
@click.option(
    "--since",
    required=True,
    metavar="DATE|REF",
    help="Start: a date (the pipeline at the start of that day) or a ref (compared "
    "from its merge base, like `git diff REF...HEAD`).",
)
@click.option(
    "--until",
    metavar="DATE|REF",
    help="End: a date (end of that day) or a ref. "
    "Default: HEAD (the last commit; uncommitted edits are not included).",
)
@click.option("--owner", metavar="OWNER", help="Only opportunities of this owner (at the end).")
@root_option
@today_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
    help="Output format; markdown is a short pull-request comment.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the history cache.")
@wide_option
def changes(
    since: str,
    until: str | None,
    owner: str | None,
    root: str | None,
    today: str | None,
    fmt: str,
    no_cache: bool,
    wide: bool,
) -> None:
    """What happened to the pipeline between two points: new opportunities, stage advances
    and regressions, won, lost, close dates pushed out or pulled in, amount changes, deleted
    opportunities, deals that became stale, and a waterfall per currency that reconciles
    exactly: open pipeline at start + new + increases - decreases - won - lost - removed =
    open pipeline at end.

    \b
    Examples:
      textcrm changes --since 2026-11-01
      textcrm changes --since 2026-10-01 --until 2026-10-31 --owner alice
      textcrm changes --since origin/main --format markdown   a pull-request comment

    Exit status: 0, or 2 for a bad date or ref, outside git, or in a shallow clone.
    """
    from textcrm import jsonout
    from textcrm.history import changes as compute
    from textcrm.history_output import changes_json, render_changes, render_markdown

    day = parse_today(today)
    crm = resolve_root(root)
    result = compute(crm, since, until, day, owner, use_cache=not no_cache)
    if fmt == "json":
        click.echo(jsonout.dumps(changes_json(result)), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(result, _locale(crm)), nl=False)
    else:
        click.echo(render_changes(result, _locale(crm), _report_style(wide)), nl=False)


def _locale(crm: Path) -> str:
    """The repository's locale (textcrm.yaml), in which amounts are written for people."""
    from textcrm.loader import DiskReader, load_config

    return load_config(DiskReader(crm))[0].locale


# --- import commands ---
@cli.group("import")
def import_group() -> None:
    """Import records from another CRM's CSV export.

    \b
    Examples:
      textcrm import csv Account.csv Contact.csv Opportunity.csv --from salesforce
      textcrm import csv deals.csv --from hubspot --mapping hubspot-mapping.yaml --dry-run
      textcrm import csv sales_pipeline.csv accounts.csv products.csv --from generic \\
          --mapping maven-mapping.yaml

    See docs/import.md for each source's columns and the mapping file.
    """


@import_group.command("csv")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Choice(["salesforce", "hubspot", "pipedrive", "generic"]),
    help="The CRM the files were exported from (generic: any spreadsheet).",
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="A mapping file (YAML): columns, stage and owner values, defaults, aliases.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would be created, updated and refused; write nothing.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace fields you edited since the last import with the export's values.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@root_option
@today_option
def import_csv_command(
    files: tuple[Path, ...],
    source: str,
    mapping_file: Path | None,
    dry_run: bool,
    overwrite: bool,
    fmt: str,
    root: str | None,
    today: str | None,
) -> None:
    """Create or update accounts, contacts, opportunities and products from CSV FILES.

    Each file is recognised by its columns (or by the mapping file's `file:`), so the files
    may be given in any order. Every record keeps the source's record id as `source_id`:
    importing again updates the same files, and never replaces a field you edited since the
    last import unless --overwrite is given. Stages (and owners, when textcrm.yaml lists them)
    must map onto the repository's; an unmapped value stops the import with a mapping
    snippet to paste. Bad rows are refused with their file and line; the rest is imported.
    Files are written to a staging folder, validated, then moved in: an import that fails
    leaves the repository as it was.

    \b
    Examples:
      textcrm import csv Opportunity.csv Account.csv --from salesforce --dry-run
      textcrm import csv deals.csv organizations.csv --from pipedrive

    Exit status: 0 when every row was imported, 1 when rows were refused (the others were
    imported) or the import failed, 2 for a usage error (unknown file, bad mapping file,
    unmapped stage or owner values).
    """
    from textcrm import jsonout
    from textcrm.importers import import_csv
    from textcrm.importers.report import render_text

    crm = resolve_root(root)
    report = import_csv(
        crm,
        list(files),
        source,
        mapping_file,
        parse_today(today),
        dry_run=dry_run,
        overwrite=overwrite,
    )
    if fmt == "json":
        click.echo(jsonout.dumps(report.to_json()), nl=False)
    else:
        click.echo(render_text(report), nl=False)
    sys.exit(EXIT_PROBLEMS if report.refused else EXIT_OK)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="textcrm")


if __name__ == "__main__":  # pragma: no cover
    main()
