"""`textcrm import csv`: import records from another CRM's CSV export."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from textcrm.cli import (
    EXIT_OK,
    EXIT_PROBLEMS,
    cli,
    parse_today,
    resolve_root,
    root_option,
    today_option,
)


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
