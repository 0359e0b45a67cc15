"""`textcrm stages`: the sales process of textcrm.yaml as a terminal table or as JSON."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from textcrm import console, jsonout
from textcrm.encode import terminal_text
from textcrm.layout import CONFIG_FILE
from textcrm.money import plain

if TYPE_CHECKING:
    from textcrm.model import Config


def stages_json(config: Config) -> str:
    """The stages in pipeline order, with their gates and stale thresholds, as JSON."""
    doc = {
        "version": 1,
        "config": CONFIG_FILE,
        "stages": [
            {
                "order": i + 1,
                "key": s.key,
                "name": s.name,
                "probability": plain(s.probability),
                "forecast": s.forecast,
                "outcome": s.outcome,
                "requires": list(s.requires),
                "stale_after_days": config.stale_days(s) if s.is_open else None,
                "description": s.description,
            }
            for i, s in enumerate(config.stages)
        ],
    }
    return jsonout.dumps(doc)


def render_stages(config: Config, width: int) -> str:
    """The stages as a table, then each stage's description under its name, wrapped to width."""
    rows = [
        (
            i + 1,
            s.key,
            s.name,
            f"{plain(s.probability)}%",
            s.forecast + (f" ({s.outcome})" if s.outcome else ""),
            ", ".join(s.requires) or "-",
            f"{config.stale_days(s)}d" if s.is_open else "-",
        )
        for i, s in enumerate(config.stages)
    ]
    headers = ("#", "key", "name", "prob.", "forecast", "requires", "stale")
    out = [console.table(headers, rows, right=(0, 3))]
    # Descriptions are prose: each under its stage, wrapped to the terminal.
    for i, s in enumerate(config.stages):
        if s.description.strip():
            out.append("\n")
            out.append(terminal_text(f"{i + 1}. {s.name} ({s.key})", lines=False) + "\n")
            description = terminal_text(" ".join(s.description.split()))
            out.append(
                textwrap.fill(description, width, initial_indent="   ", subsequent_indent="   ")
                + "\n"
            )
    return "".join(out)
