"""The loaded repository: every record by id (`Repository`), and a load's result (`LoadResult`).

Only the loader builds these (`loader.load`, `loader.repository_of`, `Workspace`); checks,
pipeline and outputs read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textcrm import deals, layout
from textcrm.diagnostics import Diagnostic
from textcrm.model import (
    Account,
    Competitor,
    Config,
    Contact,
    Figures,
    Opportunity,
    Product,
    figures,
)


@dataclass(frozen=True)
class Repository:
    """Every record, by id, and the ids of every record file (parsed or not)."""

    root: Path
    config: Config
    opportunities: Mapping[str, Opportunity]
    accounts: Mapping[str, Account]
    contacts: Mapping[str, Contact]
    competitors: Mapping[str, Competitor]
    products: Mapping[str, Product]
    product_list: tuple[Product, ...]
    ids: Mapping[str, frozenset[str]]
    scope: frozenset[str] | None = None
    _figures: dict[str, Figures] = field(default_factory=dict, repr=False, compare=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def exists(self, kind: str, record_id: str) -> bool:
        """True when a file for that record exists, even if it has errors of its own."""
        return record_id in self.ids.get(kind, frozenset())

    def in_scope(self, path: str) -> bool:
        return self.scope is None or path in self.scope

    def checked_opportunities(self) -> Iterable[Opportunity]:
        """The opportunities in scope (computed once: every check asks)."""
        if self.scope is None:
            return self.opportunities.values()
        got = self._memo.get("checked")
        if got is None:
            if len(self.scope) * 4 < len(self.opportunities):
                # A small scope (the hook, an editor): look its files up by id.
                got = []
                for path in sorted(self.scope):
                    kind_id = layout.classify(path)
                    if kind_id is not None and kind_id[0] == "opportunity":
                        opp = self.opportunities.get(kind_id[1])
                        if opp is not None and opp.path == path:
                            got.append(opp)
            else:
                got = [opp for opp in self.opportunities.values() if opp.path in self.scope]
            self._memo["checked"] = got
        return got

    def quote_holders(self) -> Mapping[str, Iterable[str]]:
        """The paths of the opportunities holding each quote number (computed once)."""
        got = self._memo.get("quote_holders")
        if got is None:
            got = {}
            for opp in self.opportunities.values():
                if opp.quote is not None and opp.quote.number is not None:
                    got.setdefault(opp.quote.number, []).append(opp.path)
            self._memo["quote_holders"] = got
        return got

    def figures(self, opp: Opportunity) -> Figures:
        """The opportunity's money, computed once and shared by every output."""
        got = self._figures.get(opp.id)
        if got is None:
            got = figures(opp, self.config, self.products)
            self._figures[opp.id] = got
        return got

    def keep_figures(self, before: Repository) -> None:
        """Take over the figures `before` computed for the opportunities both hold unchanged
        (the same objects), when the config and catalog are the same: serve's next round."""
        if before.config is not self.config or before.product_list != self.product_list:
            return
        mine, theirs = self.opportunities, before.opportunities
        for opp_id, found in before._figures.items():
            opp = mine.get(opp_id)
            if opp is not None and opp is theirs.get(opp_id):
                self._figures.setdefault(opp_id, found)

    def is_open(self, opp: Opportunity) -> bool:
        """The deal is in an open stage (textcrm.deals.is_open)."""
        return deals.is_open(self.config, opp)


@dataclass(frozen=True)
class LoadResult:
    """A loaded repository, its problems, and how many files of each kind were checked."""

    repository: Repository
    diagnostics: list[Diagnostic]
    checked: dict[str, int]

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")
