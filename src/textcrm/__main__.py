"""Run the command line as `python -m textcrm`."""

from textcrm.cli import main

main()
