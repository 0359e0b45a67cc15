"""`textcrm hook install`, `uninstall` and `run`: the git pre-commit hook."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from textcrm.cli import (
    cli,
    parse_today,
    resolve_root,
    root_option,
    today_option,
)


@cli.group()
def hook() -> None:
    """The git pre-commit hook that keeps the shared pipeline honest.

    Once installed, every `git commit` checks the CRM files it changes, as staged (not as
    they are in the working tree), and refuses the commit on any error it brings: a close
    date in the past, a stale deal, a reference to a contact deleted in the same commit, a
    catalog price change that would re-price a closed deal or an issued quote, ... Problems
    that were already there in records the commit does not change (and old date problems
    that a change does not make worse) are summarised and do not block. Warnings are shown
    and do not block. In an emergency: `git commit --no-verify`.

    \b
    Examples:
      textcrm hook install        write .git/hooks/pre-commit (honours core.hooksPath)
      textcrm hook run            check what is staged now, as the hook does
      textcrm hook uninstall      remove it again

    Teams using the pre-commit framework add the hook id `textcrm-check` instead
    (docs/hook.md).
    """


@hook.command("install")
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing hook that is not textcrm's (it is kept as "
    "pre-commit.before-textcrm).",
)
def hook_install(force: bool) -> None:
    """Install the pre-commit hook in the current git repository.

    The hook runs this Python's textcrm (falling back to `textcrm` on PATH), so it works from
    a virtual environment. An existing hook that is not textcrm's is left alone unless
    --force; the message says how to run both.

    \b
    Example:
      textcrm hook install
    """
    from textcrm.hook import install

    outcome = install(Path.cwd(), force=force)
    click.echo(outcome.text, nl=False)
    sys.exit(outcome.exit_code)


@hook.command("uninstall")
def hook_uninstall() -> None:
    """Remove textcrm's pre-commit hook (never another one).

    A hook that `install --force` replaced is put back.

    \b
    Example:
      textcrm hook uninstall
    """
    from textcrm.hook import uninstall

    outcome = uninstall(Path.cwd())
    click.echo(outcome.text, nl=False)
    sys.exit(outcome.exit_code)


@hook.command("run")
@click.argument("files", nargs=-1, metavar="[FILE]...")
@root_option
@today_option
def hook_run(files: tuple[str, ...], root: str | None, today: str | None) -> None:
    """Check what is being committed: the staged content of the CRM files.

    Staged opportunities get every rule; staged accounts, contacts, competitors and the
    catalog get theirs; references resolve against the index, so an opportunity that still
    points at a contact deleted in this commit is refused even if it is not staged itself. A
    change to textcrm.yaml re-checks everything. Problems that were already there before the
    commit, in records it does not change, do not refuse it (docs/hook.md). Without --root,
    every CRM repository in the git repository (every textcrm.yaml in the index) is checked.
    Never changes a file.

    FILE names (as the pre-commit framework passes them) that are not all staged are checked
    as they are in the working tree, every problem counting: what `pre-commit run
    --all-files` and `pre-commit run --from-ref A --to-ref B` do.

    \b
    Examples:
      git add opportunities/acme-scanners.md && textcrm hook run
      textcrm hook run opportunities/*.md

    Exit status: 0 when the commit may go ahead (warnings allowed), 1 when it must not.
    """
    from textcrm import console
    from textcrm.hook import run_hook

    crm = resolve_root(root) if root else None
    color = console.use_color(sys.stdout)
    outcome = run_hook(Path.cwd(), parse_today(today), crm, color, files)
    click.echo(outcome.text, nl=False, color=color)
    sys.exit(outcome.exit_code)
