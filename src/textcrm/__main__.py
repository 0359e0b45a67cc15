"""Run the command line as `python -m textcrm`."""

from textcrm.entry import main

main()
