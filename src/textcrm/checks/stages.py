"""Sales-process checks: each stage's gate, and what an open opportunity must carry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from textcrm.diagnostics import Diagnostic
from textcrm.rules import default_severity

if TYPE_CHECKING:
    from textcrm.model import Opportunity
    from textcrm.repository import Repository


def is_empty(value: object) -> bool:
    """A gate field counts only when it is present and non-empty."""
    return value is None or value == "" or value == ()


def missing_for_gate(opp: Opportunity, requires: tuple[str, ...]) -> list[str]:
    """The fields a stage requires that the opportunity lacks (shared with `textcrm move`)."""
    return [name for name in requires if is_empty(getattr(opp, name, None))]


def amount_or_line_items(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        if not repo.is_open(opp) or (opp.has("amount") or opp.has("line_items")):
            continue
        yield Diagnostic(
            opp.path,
            1,
            1,
            "missing-field",
            default_severity("missing-field"),
            "open opportunity has neither `amount` nor `line_items`; give the estimated "
            "revenue as amount, or list the products as line_items",
        )


def stage_gate(repo: Repository, today: date) -> Iterator[Diagnostic]:
    for opp in repo.checked_opportunities():
        stage = repo.config.stage(opp.stage)
        if stage is None or not stage.requires:
            continue
        # A field given with a problem is already reported: not "missing" too.
        missing = [m for m in missing_for_gate(opp, stage.requires) if m not in opp.invalid]
        if missing:
            fields = ", ".join(f"`{m}`" for m in missing)
            yield Diagnostic(
                opp.path,
                opp.line_of("stage"),
                1,
                "stage-gate",
                default_severity("stage-gate"),
                f"stage {stage.key} requires {fields}, missing or empty here; fill "
                f"{'it' if len(missing) == 1 else 'them'} in or move the deal back to a stage "
                f"that does not require {'it' if len(missing) == 1 else 'them'}",
            )
