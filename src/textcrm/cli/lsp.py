"""`textcrm lsp`: run the language server over standard input and output."""

from __future__ import annotations

from datetime import date

import click

from textcrm.cli import (
    cli,
    parse_today,
    today_option,
)


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
