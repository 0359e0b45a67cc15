"""The editor set-ups in docs/editors.md, run or parsed as each editor would."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT

DOC = ROOT / "docs" / "editors.md"


def snippet(language: str) -> str:
    """The one ```language block of docs/editors.md."""
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, language
    return blocks[0]


PROBE = """\
local out = os.getenv("TEXTCRM_NVIM_OUT")
local deadline = vim.loop.now() + 60000
local function poll()
  local diags = vim.diagnostic.get(0)
  if #diags > 0 or vim.loop.now() > deadline then
    local lines = {}
    for _, d in ipairs(diags) do
      local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or ""
      table.insert(lines, string.format("%d:%d:%d:%s:%s", d.lnum + 1, d.col + 1, d.severity, code, d.message))
    end
    vim.fn.writefile(lines, out)
    vim.cmd("qall!")
  else
    vim.defer_fn(poll, 100)
  end
end
vim.defer_fn(poll, 100)
"""


def editor_setup(tmp_path: Path, program: str, package: str, files: dict[str, str]) -> str:
    """The editor's executable, after copying the example CRM to tmp_path/crm and writing the
    editor's configuration files beside it."""
    found = shutil.which(program)
    if found is None:
        pytest.skip(f"{program} is not installed (scripts/setup-test.sh installs {package})")
    shutil.copytree(EXAMPLE, tmp_path / "crm", ignore=shutil.ignore_patterns(".textcrm-cache"))
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return found


def editor_env(**extra: str) -> dict[str, str]:
    """The environment an editor runs in: the documented command is `textcrm`, the one
    installed beside this Python, and the rules apply as of a fixed day."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "TEXTCRM_TODAY": "2026-12-21", **extra}


@pytest.mark.slow
def test_neovim_with_the_documented_configuration_shows_the_diagnostics(tmp_path: Path) -> None:
    files = {"init.lua": snippet("lua"), "probe.lua": PROBE}
    nvim = editor_setup(tmp_path, "nvim", "Debian's neovim", files)
    crm = tmp_path / "crm"
    out = tmp_path / "diagnostics.txt"
    env = editor_env(
        TEXTCRM_NVIM_OUT=str(out),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    subprocess.run(
        [
            nvim,
            "--headless",
            "-n",
            "-i",
            "NONE",
            "-u",
            str(tmp_path / "init.lua"),
            "-c",
            f"luafile {tmp_path / 'probe.lua'}",
            "opportunities/acme-logistics-amr-fleet.md",
        ],
        cwd=crm,
        env=env,
        timeout=120,
        check=True,
        capture_output=True,
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    assert (
        "6:1:1:close-date-past:close date 2026-12-19 is in the past (today is 2026-12-21); "
        "set close_date to your best current estimate" in lines
    )


def test_the_helix_set_up_starts_textcrm_lsp() -> None:
    config = tomllib.loads(snippet("toml"))
    assert config["language-server"]["textcrm"] == {"command": "textcrm", "args": ["lsp"]}
    assert {lang["name"] for lang in config["language"]} == {"markdown", "yaml"}
    assert all("textcrm" in lang["language-servers"] for lang in config["language"])


def test_the_vscode_set_up_starts_textcrm_lsp() -> None:
    settings = json.loads(snippet("json"))
    assert [settings["glspc.server.command"], *settings["glspc.server.commandArguments"]] == [
        "textcrm",
        "lsp",
    ]


EMACS_PROBE = """\
(package-initialize)
(require 'eglot)
(load (expand-file-name "setup.el" (getenv "TEXTCRM_EMACS_DIR")))
(find-file "opportunities/acme-logistics-amr-fleet.md")
;; eglot-ensure connects after the command that visited the file: run that hook by hand.
(run-hooks 'post-command-hook)
(let ((deadline (+ (float-time) 60)) (found nil))
  (while (and (not found) (< (float-time) deadline))
    (accept-process-output nil 0.2)
    (when (bound-and-true-p flymake-mode) (flymake-start))
    (setq found (flymake-diagnostics)))
  ;; Lines are counted in the file's buffer, before the output buffer becomes current.
  (let ((lines (mapcar (lambda (d)
                         (format "%d:%s\n" (line-number-at-pos (flymake-diagnostic-beg d))
                                 (flymake-diagnostic-text d)))
                       found)))
    (with-temp-file (getenv "TEXTCRM_EMACS_OUT")
      (dolist (line lines) (insert line)))))
(kill-emacs 0)
"""


@pytest.mark.slow
def test_emacs_eglot_with_the_documented_set_up_shows_the_diagnostics(tmp_path: Path) -> None:
    files = {"setup.el": snippet("elisp"), "probe.el": EMACS_PROBE}
    emacs = editor_setup(tmp_path, "emacs", "Debian's emacs-nox", files)
    crm = tmp_path / "crm"
    out = tmp_path / "diagnostics.txt"
    env = editor_env(
        HOME=str(tmp_path), TEXTCRM_EMACS_DIR=str(tmp_path), TEXTCRM_EMACS_OUT=str(out)
    )
    subprocess.run(
        [emacs, "--batch", "-l", str(tmp_path / "probe.el")],
        cwd=crm,
        env=env,
        timeout=180,
        check=True,
        capture_output=True,
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    # eglot shows the source and the rule code before the message.
    assert (
        "6:textcrm [close-date-past]: close date 2026-12-19 is in the past (today is "
        "2026-12-21); set close_date to your best current estimate" in lines
    )
