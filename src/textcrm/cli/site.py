"""The pipeline site: `textcrm build` writes it, `serve` serves it and rebuilds it on change."""

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
from textcrm.errors import UsageError


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
    from textcrm.entry import settle_heap
    from textcrm.site import output_dir
    from textcrm.site.serve import serve as serve_site

    day = parse_today(today)
    crm = resolve_root(root)
    target = output_dir(crm, Path(output) if output else None)
    try:
        code = serve_site(
            crm, target, day, port, use_cache=not no_cache, echo=click.echo, settled=settle_heap
        )
    except OSError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    sys.exit(code)
