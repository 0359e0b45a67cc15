"""The check registry: an explicit, ordered list of named rules, each a function of one signature.

A check receives the loaded Repository and today's date and yields Diagnostics for the records
in the repository's scope. Checks never read files and never print. Their names are the public
rule codes (docs/rules.md).

Most rules read one record file (with textcrm.yaml, products.yaml and today, as FILE_INPUTS
says); the CROSS_FILE rules read what other files name and hold, through each file's
`references.References`. The results cache (textcrm.results) keeps the first kind per file and
re-runs the second from the References.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from textcrm.checks import amounts, dates, notes, references, stages

if TYPE_CHECKING:
    from textcrm.diagnostics import Diagnostic
    from textcrm.model import Config
    from textcrm.repository import Repository

Check = Callable[["Repository", date], Iterable["Diagnostic"]]

REGISTRY: tuple[tuple[str, Check], ...] = (
    ("unknown-stage", references.unknown_stage),
    ("unknown-account", references.unknown_account),
    ("unknown-contact", references.unknown_contact),
    ("unknown-competitor", references.unknown_competitor),
    ("unknown-product", references.unknown_product),
    ("unknown-owner", references.unknown_owner),
    ("duplicate-sku", references.duplicate_sku),
    ("duplicate-quote-number", references.duplicate_quote_number),
    ("contact-account-mismatch", references.contact_account_mismatch),
    ("missing-field", stages.amount_or_line_items),
    ("stage-gate", stages.stage_gate),
    ("amount-mismatch", amounts.amount_mismatch),
    ("quote-without-line-items", amounts.quote_without_line_items),
    ("currency-mismatch", amounts.currency_mismatch),
    ("unpriced-line", amounts.unpriced_line),
    ("close-date-past", dates.close_date_past),
    ("created-after-close", dates.created_after_close_date),
    ("stale", dates.stale),
    ("follow-up-overdue", dates.follow_up_overdue),
    ("activity-in-future", dates.activity_in_future),
    ("quote-expired", dates.quote_expired),
    ("notes-too-complex", notes.notes_too_complex),
)


# The rules whose findings in one file depend on other files.
CROSS_FILE = frozenset(
    {
        "unknown-account",
        "unknown-contact",
        "unknown-competitor",
        "duplicate-quote-number",
        "contact-account-mismatch",
    }
)

# What the other rules read besides the file they report on, by kind of file: "config"
# (textcrm.yaml), "catalog" (products.yaml; an opportunity reads it only through its line
# items) and "today" (the date rules, whose findings stay the same until the day
# `findings_change` names). A rule that starts reading more must say so here: the results
# cache keeps each file's findings for as long as these inputs stay the same.
FILE_INPUTS: Mapping[str, frozenset[str]] = {
    "opportunity": frozenset({"config", "catalog", "today"}),
    "account": frozenset({"config"}),
    "contact": frozenset(),
    "competitor": frozenset(),
    "catalog": frozenset(),
}


def findings_change(kind: str, config: Config, record: Any, today: date) -> date | None:
    """The first day after today on which the one-file rules' findings in a parsed file of
    `kind` may differ from today's (None: never), everything else staying the same. Only the
    date rules (`dates`) read today; the results cache keeps a file's findings until then."""
    if "today" not in FILE_INPUTS[kind]:
        return None
    return dates.findings_change(config, record, today)


def run(repo: Repository, today: date) -> list[Diagnostic]:
    """Run every registered check in order and collect what they find."""
    found: list[Diagnostic] = []
    for _code, check in REGISTRY:
        found.extend(check(repo, today))
    return found


def run_one_file_rules(repo: Repository, today: date) -> list[Diagnostic]:
    """Run the rules that read one record file only (every rule not in CROSS_FILE)."""
    found: list[Diagnostic] = []
    for code, check in REGISTRY:
        if code not in CROSS_FILE:
            found.extend(check(repo, today))
    return found
