"""Checking: `textcrm check` validates the repository, `stages` shows its sales process and
`schema` prints the JSON Schema of its records."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from textcrm.cli import (
    EXIT_OK,
    EXIT_PROBLEMS,
    at_option,
    cli,
    display_path,
    parse_today,
    resolve_root,
    root_option,
    today_option,
)
from textcrm.errors import TextcrmError, UsageError


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
@click.option("--no-cache", is_flag=True, help="Do not read or write the results cache.")
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
    from textcrm.results import CheckResult
    from textcrm.results import check as check_files

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
        from textcrm.hook.scope import changed_since

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
        result = CheckResult(changed.diagnostics, changed.checked)
    else:
        scope = _scope(crm, paths) if paths else None
        result = check_files(crm, day, reader=reader, paths=scope, use_cache=not no_cache)
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
    from textcrm import console
    from textcrm.loader import DiskReader, load_config
    from textcrm.stages_output import render_stages, stages_json

    crm = resolve_root(root)
    config, _ = load_config(DiskReader(crm))
    if fmt == "json":
        click.echo(stages_json(config), nl=False)
        return
    click.echo(render_stages(config, min(console.terminal_width(), 100)), nl=False)


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
