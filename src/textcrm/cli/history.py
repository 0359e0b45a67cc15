"""`textcrm history` and `changes`: a deal's history and the pipeline's changes, read from git."""

from __future__ import annotations

from pathlib import Path

import click

from textcrm.cli import (
    cli,
    parse_today,
    report_style,
    resolve_root,
    root_option,
    today_option,
    wide_option,
)


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
    from textcrm.history.output import history_json, render_history

    day = parse_today(today)
    crm = resolve_root(root)
    found = load_history(crm, opportunity, day, use_cache=not no_cache)
    if fmt == "json":
        click.echo(jsonout.dumps(history_json(found, day)), nl=False)
    else:
        click.echo(render_history(found, day, _locale(crm), report_style(wide)), nl=False)


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
    from textcrm.history.output import changes_json, render_changes, render_markdown

    day = parse_today(today)
    crm = resolve_root(root)
    result = compute(crm, since, until, day, owner, use_cache=not no_cache)
    if fmt == "json":
        click.echo(jsonout.dumps(changes_json(result)), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(result, _locale(crm)), nl=False)
    else:
        click.echo(render_changes(result, _locale(crm), report_style(wide)), nl=False)


def _locale(crm: Path) -> str:
    """The repository's locale (textcrm.yaml), in which amounts are written for people."""
    from textcrm.loader import DiskReader, load_config

    return load_config(DiskReader(crm))[0].locale
