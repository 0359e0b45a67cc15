"""The reports: `textcrm list`, `show`, `pipeline`, `forecast`, `attention`, `winloss`,
`export` and `calendar`."""

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
    report_style,
    resolve_root,
    root_option,
    today_option,
    wide_option,
)
from textcrm.errors import EnvironmentFailure, UsageError


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


def _echo_report(render: Callable[[Any], str], wide: bool = False) -> None:
    """Print a report drawn with this terminal's style; colour codes only when it says so
    (click strips them otherwise)."""
    style = report_style(wide)
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
    figures = analysis.analyse(repo, by, _option_date("--since", since), not no_cache)
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
