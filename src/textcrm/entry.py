"""The console-script entry point: answers `--version` before loading the command line.

`textcrm --version` is what scripts and editors call to probe for the tool; it should cost
no more than starting Python. Everything else goes to the click command line in `cli`.
"""

from __future__ import annotations

import gc
import sys

# Commands that keep running (a server, an editor's language server, the watcher) keep the
# collector as Python sets it: they make and drop objects for hours.
LONG_RUNNING = frozenset({"serve", "lsp"})


def tune_gc(argv: list[str]) -> None:
    """Pause the cyclic collector for a one-shot command.

    A load builds up to a million small acyclic objects (records, YAML nodes); the collector
    would rescan them again and again for nothing (about a fifth of a 10,000-deal check).
    Reference counting still frees everything acyclic; a one-shot command then exits. This is
    a process-wide setting, so it belongs here, at the entry point, and not in the library.
    """
    if not LONG_RUNNING.intersection(argv):
        gc.disable()


def settle_heap() -> None:
    """After a long-running command loaded everything (serve's full rounds): collect once,
    then leave what survived out of the collector's later scans (`gc.freeze`).

    A serve round makes few objects, but each full collection would rescan the million
    long-lived ones the records are made of (a third of a round's CPU at 10,000 deals).
    Unfreezing first lets the next settle collect what the previous load left behind."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def main() -> None:
    """Run textcrm."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from textcrm import __version__

        sys.stdout.write(f"textcrm, version {__version__}\n")
        return
    tune_gc(sys.argv[1:])
    from textcrm.cli import main as cli_main

    cli_main()
