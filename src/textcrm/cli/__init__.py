"""The `textcrm` command line: the click group, its shared options and helpers, and `main`.

Each command group lives in a module of its own (check, edit, reports, ...) that registers its
commands on `cli`. The group imports a command's module only when that command is run (help
and a mistyped name import them all), and command bodies import the library they call, so that
`textcrm check` and the hook load only what they use (tests/test_imports.py guards this).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from textcrm import __version__
from textcrm.errors import TextcrmError, UsageError, os_error_text

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

# Each command -> the module of this package that defines it (tests/test_cli_package.py
# checks that the modules register exactly these).
COMMAND_MODULES = {
    "attention": "reports",
    "build": "site",
    "calendar": "reports",
    "changes": "history",
    "check": "check",
    "export": "reports",
    "forecast": "reports",
    "history": "history",
    "hook": "hook",
    "import": "importing",
    "init": "init",
    "list": "reports",
    "log": "edit",
    "lsp": "lsp",
    "move": "edit",
    "new": "edit",
    "pin-prices": "edit",
    "pipeline": "reports",
    "quote": "quote",
    "schema": "check",
    "serve": "site",
    "set": "edit",
    "show": "reports",
    "stages": "check",
    "winloss": "reports",
}


class Group(click.Group):
    """A click group that turns user-facing errors into a message and an exit code, and
    imports each command's module when the command is needed."""

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

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            # A name that is no command loads them all, so that click suggests the closest.
            module = COMMAND_MODULES.get(cmd_name)
            for name in [module] if module else sorted(set(COMMAND_MODULES.values())):
                importlib.import_module(f"{__name__}.{name}")
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)


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


def wide_option(f: F) -> F:
    return click.option(
        "--wide",
        is_flag=True,
        help="Show every column in full, wider than the terminal if need be (tables are "
        "otherwise fitted to its width, long text cut with an ellipsis).",
    )(f)


def report_style(wide: bool = False) -> Any:
    """The style reports and history tables are drawn in: this terminal's width and colour."""
    from textcrm import console
    from textcrm.console import Style

    return Style(width=console.terminal_width(), color=console.use_color(sys.stdout), wide=wide)


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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="textcrm")
