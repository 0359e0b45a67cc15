"""The pre-commit integration: judge a commit (check), install the script (install).

`scope` works out what a change set makes us check, `baseline` splits a commit's problems
into those it brings and those already at HEAD, `fast` passes a commit whose staged blobs are
already known clean (textcrm.verdicts) without the parser, and `__main__` is the installed
script's fast entry point (`python -m textcrm.hook`). Importing this package loads none of the
loader, parser or checks: they are imported once a commit turns out to need them.
"""

from __future__ import annotations

from textcrm.hook.check import BYPASS, Outcome, check_files, crm_roots, judge_commit, run_hook
from textcrm.hook.install import (
    HOOK_FILE,
    MARKER,
    MERGE_HOOK_FILE,
    hook_path,
    hook_script,
    install,
    is_current,
    is_ours,
    uninstall,
)
from textcrm.hook.scope import Plan, changed_since, check_changes, plan

__all__ = [
    "BYPASS",
    "HOOK_FILE",
    "MARKER",
    "MERGE_HOOK_FILE",
    "Outcome",
    "Plan",
    "changed_since",
    "check_changes",
    "check_files",
    "crm_roots",
    "hook_path",
    "hook_script",
    "install",
    "is_current",
    "is_ours",
    "judge_commit",
    "plan",
    "run_hook",
    "uninstall",
]
