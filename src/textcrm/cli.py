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
from textcrm.errors import TextcrmError, UsageError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class Group(click.Group):
    """A click group that turns user-facing errors into a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TextcrmError as exc:
            click.echo(f"textcrm: error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)


def parse_today(value: str | None) -> date:
    """`--today` / TEXTCRM_TODAY as a date; the local date when absent."""
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today: `{value}` is not a date; write it as YYYY-MM-DD") from None


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
      textcrm check                       validate the whole repository
      textcrm check --format json         the same, for other tools
      textcrm stages                      show the sales process
      textcrm schema > opportunity.json   JSON Schema for your editor

    Every command finds the repository by walking up from the current directory to the
    folder holding textcrm.yaml, or takes --root DIR. Exit status: 0 when all is well, 1 when
    problems were found, 2 for a usage or configuration error.
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@root_option
@today_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the parse cache.")
def check(
    paths: tuple[str, ...], root: str | None, today: str | None, fmt: str, no_cache: bool
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

    Exit status: 0 when there is no error (warnings allowed), 1 when there is at least one
    error, 2 for a usage error or a broken textcrm.yaml.
    """
    from textcrm import console
    from textcrm.loader import load

    day = parse_today(today)
    crm = resolve_root(root)
    scope = _scope(crm, paths) if paths else None
    result = load(crm, day, paths=scope, use_cache=not no_cache)
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
    import json

    from textcrm import console
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
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
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
            " ".join(s.description.split()),
        )
        for i, s in enumerate(config.stages)
    ]
    headers = ("#", "key", "name", "prob.", "forecast", "requires", "stale", "description")
    click.echo(console.table(headers, rows, right=(0, 3), width=console.terminal_width()), nl=False)


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
def build(
    root: str | None,
    today: str | None,
    output: str | None,
    strict: bool,
    no_cache: bool,
    jobs: int | None,
) -> None:
    """Build the static pipeline site: dashboard, board, every record, pipeline.json.

    The site is plain HTML with its CSS and script inside, using relative links only, so it
    works from disk (file://), on GitHub or GitLab Pages, or under any sub-path. The same
    repository and the same --today give byte-identical output. Files with errors are listed
    on the Problems page and the rest is built. Pages whose inputs did not change are not
    rendered again; files an earlier build made that are no longer part of the site are
    removed. Templates and style.css can be overridden by files of the same name in the CRM
    repository's templates/ folder (see docs/site.md).

    \b
    Examples:
      textcrm build                              into ./_site
      textcrm build -o public --today 2026-11-28
      textcrm build --strict                     for CI: fail when check finds errors

    Exit status: 0 when the site was built (1 with --strict when there are errors), 2 for a
    usage error, a broken textcrm.yaml or an unsafe output folder.
    """
    from textcrm.site import build as build_site

    day = parse_today(today)
    crm = resolve_root(root)
    result = build_site(
        crm, day, Path(output) if output else None, use_cache=not no_cache, jobs=jobs
    )
    click.echo(
        f"built {result.pages} pages into {result.out} ({result.rendered} rendered, "
        f"{result.written} files written, {result.removed} removed); "
        f"{result.errors} errors, {result.warnings} warnings"
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
    and the rest stays served. Ctrl-C stops.

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
def quote(opportunity: str, root: str | None, fmt: str, output: str | None) -> None:
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
    left behind on failure.
    """
    from textcrm.loader import load
    from textcrm.quote import export

    crm = resolve_root(root)
    cwd = Path.cwd()
    result = load(crm, parse_today(None))
    path, view = export(
        result.repository,
        result.diagnostics,
        opportunity,
        fmt,
        Path(output) if output else None,
        cwd,
    )
    shown = path.relative_to(cwd) if path.is_relative_to(cwd) else path
    click.echo(
        f"wrote {shown}: quote {view.number}, {len(view.lines)} lines, total "
        f"{view.totals.total} {view.currency}"
    )


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="textcrm")


if __name__ == "__main__":  # pragma: no cover
    main()
