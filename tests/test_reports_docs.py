"""docs/reports.md's examples are real: each `console` block's output is what the command prints.

Rewrite them with `make update-golden`.
"""

from __future__ import annotations

import re
import shlex

from conftest import EXAMPLE, EXAMPLE_TODAY, ROOT, update_golden

DOC = ROOT / "docs" / "reports.md"
BLOCK = re.compile(r"```console\n\$ (textcrm [^\n]*)\n(.*?)```", re.S)


def output_of(run, command: str) -> str:
    pipe = command.split(" | head -n ")
    args = shlex.split(pipe[0])[1:]
    result = run(args, cwd=EXAMPLE, env={"COLUMNS": "100", "TEXTCRM_TODAY": EXAMPLE_TODAY})
    assert result.exit_code == 0, (command, result.output)
    text = result.stdout_bytes.decode("utf-8-sig").replace("\r\n", "\n")
    if len(pipe) == 2:
        text = "".join(text.splitlines(keepends=True)[: int(pipe[1])])
    return text


def test_examples_in_reports_doc_match_real_output(run, request):
    doc = DOC.read_text(encoding="utf-8")
    blocks = BLOCK.findall(doc)
    assert len(blocks) >= 10
    update = update_golden(request.config)
    if update:
        new = BLOCK.sub(lambda m: f"```console\n$ {m[1]}\n{output_of(run, m[1])}```", doc)
        DOC.write_text(new, encoding="utf-8")
        return
    for command, shown in blocks:
        assert shown == output_of(run, command), command


def test_every_report_command_is_documented():
    doc = DOC.read_text(encoding="utf-8")
    for command in (
        "list",
        "show",
        "pipeline",
        "forecast",
        "attention",
        "winloss",
        "export",
        "calendar",
    ):
        assert f"## textcrm {command}" in doc
        assert f"$ textcrm {command}" in doc
