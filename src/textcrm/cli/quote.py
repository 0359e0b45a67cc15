"""`textcrm quote`: write an opportunity's customer quote as HTML or PDF."""

from __future__ import annotations

from pathlib import Path

import click

from textcrm.cli import (
    cli,
    parse_today,
    resolve_root,
    root_option,
    today_option,
)


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
