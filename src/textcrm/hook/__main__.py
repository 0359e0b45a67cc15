"""The fast entry point, `python -m textcrm.hook`: what the installed script runs.

`textcrm hook run` without click, whose import would be a fifth of the hook's time on a small
commit. It imports only what judging a commit needs, and that only once the staged paths
show a CRM file (tests/test_hook_imports.py holds the budget).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from textcrm import layout
from textcrm.errors import UsageError
from textcrm.hook.check import run_hook


def main(argv: list[str] | None = None) -> int:
    """`python -m textcrm.hook`: what the installed script runs; `textcrm hook run` without
    click, whose import would be a fifth of the hook's time on a small commit."""
    from datetime import date

    from textcrm import console
    from textcrm.errors import TextcrmError

    args = sys.argv[1:] if argv is None else argv
    if argv is None:
        from textcrm.entry import tune_gc

        tune_gc(args)
    if any(a.startswith("-") for a in args):
        print(
            "usage: python -m textcrm.hook [FILE...]  (options: use `textcrm hook run`)",
            file=sys.stderr,
        )
        return 2
    raw = os.environ.get("TEXTCRM_TODAY")
    try:
        today = date.fromisoformat(raw) if raw else date.today()
    except ValueError:
        print(
            f"textcrm: error: TEXTCRM_TODAY={raw} is not a date; write it as YYYY-MM-DD",
            file=sys.stderr,
        )
        return 2
    root = os.environ.get("TEXTCRM_ROOT")
    try:
        if root and not (Path(root) / layout.CONFIG_FILE).is_file():
            raise UsageError(f"TEXTCRM_ROOT={root}: no textcrm.yaml there")
        outcome = run_hook(
            Path.cwd(), today, Path(root) if root else None, console.use_color(sys.stdout), args
        )
    except TextcrmError as exc:
        from textcrm.encode import terminal_text

        print(f"textcrm: error: {terminal_text(exc.message)}", file=sys.stderr)
        return exc.exit_code
    sys.stdout.write(outcome.text)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
