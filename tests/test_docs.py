"""The docs match the code: every rule is documented, the field reference is generated, every
command has help with an example."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest

from conftest import ROOT
from textcrm.cli import cli
from textcrm.rules import RULES


def test_every_rule_is_documented_with_a_bad_example_and_a_fix():
    text = (ROOT / "docs" / "rules.md").read_text()
    sections = dict(re.findall(r"^## `([a-z-]+)`\n(.*?)(?=^## |\Z)", text, re.S | re.M))
    assert set(sections) == set(RULES)
    for code, body in sections.items():
        assert RULES[code].severity.capitalize() in body, code
        assert "Bad" in body and "Fix" in body, code


def test_format_field_reference_is_current():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "update-docs.py"), "--check"])
    assert result.returncode == 0, "run scripts/update-docs.py"


def commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    # Through list_commands and get_command, as help does: the group loads its commands'
    # modules when asked.
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        out.append((prefix + name, cmd))
        if isinstance(cmd, click.Group):
            out.extend(commands(cmd, prefix + name + " "))
    return out


@pytest.mark.parametrize(("name", "command"), commands(cli), ids=lambda v: getattr(v, "name", v))
def test_every_command_has_help_with_an_example(name, command, run):
    result = run([*name.split(), "--help"])
    assert result.exit_code == 0
    assert command.help, name
    assert "Example" in result.output, name


def test_readme_mentions_every_command():
    readme = (ROOT / "README.md").read_text()
    for name, command in commands(cli):
        if not isinstance(command, click.Group):
            assert f"textcrm {name}" in readme, name
