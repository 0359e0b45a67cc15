"""The console-script entry point: answers `--version` before loading the command line.

`textcrm --version` is what scripts and editors call to probe for the tool; it should cost
no more than starting Python. Everything else goes to the click command line in `cli`.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run textcrm."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from textcrm import __version__

        sys.stdout.write(f"textcrm, version {__version__}\n")
        return
    from textcrm.cli import main as cli_main

    cli_main()
