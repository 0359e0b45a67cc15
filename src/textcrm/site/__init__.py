"""The pipeline site: a static HTML site of the CRM, built into a folder and served while editing.

`plan` lists every page with its view model, `pages` renders them (on forked workers),
`build` runs a build and writes what changed, `output` keeps the output folder safe and
records what a build wrote, `markdown` caches the notes' HTML, `feeds` writes pipeline.json
and the calendar feeds, and `serve` rebuilds on every change (the only watchdog importer).
"""

from __future__ import annotations

from textcrm.site.build import ASSETS, SEARCH_INDEX, Builder, BuildResult, build
from textcrm.site.markdown import MarkdownCache
from textcrm.site.output import (
    DEFAULT_OUTPUT,
    MARKER,
    Manifest,
    UnsafeOutput,
    output_dir,
    read_manifest,
)
from textcrm.site.pages import PARALLEL_THRESHOLD

__all__ = [
    "ASSETS",
    "DEFAULT_OUTPUT",
    "MARKER",
    "PARALLEL_THRESHOLD",
    "SEARCH_INDEX",
    "BuildResult",
    "Builder",
    "Manifest",
    "MarkdownCache",
    "UnsafeOutput",
    "build",
    "output_dir",
    "read_manifest",
]
