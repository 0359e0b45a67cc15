"""`textcrm init`: create a new CRM repository."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from textcrm.cli import (
    cli,
)


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
