"""The command line as a package: one module per command group, each imported only when one of
its commands runs, and every command found by name, in help and in a mistyped name's advice."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

import textcrm.cli
from conftest import EXAMPLE, EXAMPLE_TODAY
from textcrm.cli import COMMAND_MODULES, cli

SRC = textcrm.cli.__path__[0]


def command_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([SRC]))


def test_the_modules_register_exactly_the_commands_the_group_lists() -> None:
    for name in command_modules():
        importlib.import_module(f"textcrm.cli.{name}")
    assert sorted(cli.commands) == sorted(COMMAND_MODULES)
    where = {name: command.callback.__module__ for name, command in cli.commands.items()}
    assert where == {name: f"textcrm.cli.{module}" for name, module in COMMAND_MODULES.items()}
    # Every module holds commands: none is left over from an earlier layout.
    assert sorted(set(COMMAND_MODULES.values())) == command_modules()


PROBE = """
import json, sys
from textcrm.cli import cli
try:
    cli(sys.argv[1:], prog_name="textcrm")
except SystemExit as exc:
    code = exc.code
print(json.dumps([code, sorted(m for m in sys.modules if m.startswith("textcrm.cli"))]))
"""


def cli_modules_after(*args: str) -> tuple[int, list[str], str]:
    """Run the command line in a fresh interpreter: its exit code, the modules of the command
    line it imported, and what it wrote to standard error."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    code, modules = json.loads(proc.stdout.strip().splitlines()[-1])
    return code, modules, proc.stderr


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (("check", "--root", str(EXAMPLE), "--today", EXAMPLE_TODAY, "--no-cache"), "check"),
        (("stages", "--root", str(EXAMPLE)), "check"),
        (("pipeline", "--root", str(EXAMPLE), "--today", EXAMPLE_TODAY), "reports"),
        (("hook", "--help"), "hook"),
        (("import", "csv", "--help"), "importing"),
    ],
)
def test_a_command_imports_only_its_own_module(args: tuple[str, ...], module: str) -> None:
    code, modules, _ = cli_modules_after(*args)
    assert code == 0
    assert modules == ["textcrm.cli", f"textcrm.cli.{module}"]


def test_help_lists_every_command_with_its_summary(run) -> None:
    result = run(["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:\n", 1)[1].splitlines()
    names = [line.split()[0] for line in listed if not line.startswith("   ")]
    assert names == sorted(COMMAND_MODULES)
    assert "  check       Validate every file of the CRM repository, or the given PATHS." in listed
    assert "  pipeline    Deals and revenue by stage." in listed


def test_a_mistyped_command_is_told_the_closest_ones() -> None:
    # A fresh interpreter: the advice must not depend on modules some other test imported.
    code, modules, err = cli_modules_after("chek")
    assert code == 2
    assert "Error: No such command 'chek'. (Did you mean one of: 'check', 'schema'?)" in err
    assert modules == ["textcrm.cli", *(f"textcrm.cli.{name}" for name in command_modules())]
    code, _, err = cli_modules_after("pin-price")
    assert code == 2
    assert "Error: No such command 'pin-price'. Did you mean 'pin-prices'?" in err
