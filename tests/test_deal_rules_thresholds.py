"""Each deal rule that reads today says when its answer next changes, and it is right.

For every rule in `textcrm.deals` with a `*_changes` threshold, and for every day of a window
that crosses each date the sample deals carry: the rule gives today's answer on every day
before the threshold, and (for the rules that test one date) a different one on the
threshold. Then the same for a file's whole set of one-file findings, message text included
(`checks.findings_change`), which the results cache keeps until that day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from textcrm import checks, deals, loader
from textcrm.model import Config, Opportunity
from textcrm.repository import Repository

CONFIG = """\
currency: USD
stale_after_days: 7
follow_up_horizon_days: 10
stages:
  - {key: prospecting, name: Prospecting, probability: 10, forecast: pipeline}
  - {key: negotiation, name: Negotiation, probability: 80, forecast: commit, stale_after_days: 14}
  - {key: closed-won, name: Closed Won, probability: 100, forecast: closed, outcome: won}
"""

# Every date below falls inside the window, so each threshold is crossed.
DEALS = {
    "everything": """\
---
title: Every date
account: acme-corp
stage: negotiation
close_date: 2026-12-10
created: 2026-10-01
follow_up: 2026-12-01
amount: 1000
activities:
  - {date: 2026-11-10, type: call, summary: Call}
  - {date: 2026-11-24, type: call, summary: Call}
quote: {number: Q-1, date: 2026-11-20, valid_until: 2026-12-05}
decision_issues:
  - {issue: Budget, status: open, due: 2026-12-08}
  - {issue: Legal, status: resolved, due: 2026-11-15}
---
""",
    "created-after-close": """\
---
title: Created after its close date
account: acme-corp
stage: prospecting
close_date: 2026-11-25
created: 2026-11-27
amount: 1000
---
""",
    "never-touched": """\
---
title: No activity, no created date
account: acme-corp
stage: prospecting
amount: 1000
follow_up: 2026-12-15
---
""",
    "future-activity": """\
---
title: An activity logged ahead of time
account: acme-corp
stage: prospecting
close_date: 2027-01-20
created: 2026-11-01
amount: 1000
activities:
  - {date: 2026-12-03, type: meeting, summary: Planned}
---
""",
    "closed": """\
---
title: Won, with a quote that ran out and an activity ahead
account: acme-corp
stage: closed-won
close_date: 2026-11-20
created: 2026-10-01
amount: 1000
activities:
  - {date: 2026-12-12, type: call, summary: Kick-off}
quote: {number: Q-2, date: 2026-11-01, valid_until: 2026-11-25}
---
""",
    "touch-unknown": """\
---
title: An activity with a bad date
account: acme-corp
stage: prospecting
close_date: 2026-12-28
created: 2026-11-01
follow_up: 2026-12-06
amount: 1000
activities:
  - {date: 2026-13-01, type: call, summary: Typo}
---
""",
    "unknown-stage": """\
---
title: A stage the config does not know (counts as open)
account: acme-corp
stage: negotiaton
close_date: 2026-12-18
created: 2026-11-20
amount: 1000
---
""",
}

FIRST, LAST = date(2026, 11, 1), date(2027, 1, 31)
DAYS = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]


def _config(text: str = CONFIG) -> Config:
    config, found = loader.read_config(text.encode())
    assert config is not None, found
    return config


def _deal(name: str) -> Opportunity:
    record, _found = loader.read_record(
        "opportunity", f"opportunities/{name}.md", name, DEALS[name].encode()
    )
    assert isinstance(record, Opportunity)
    return record


CONFIGS = {
    "horizon": _config(),
    "no-horizon": _config(CONFIG.replace("follow_up_horizon_days: 10\n", "")),
}

# rule name -> (the rule, its threshold, whether the answer must change at the threshold)
Rule = Callable[[Config, Opportunity, date], Any]
RULES: dict[str, tuple[Rule, Rule, bool]] = {
    "close_date_past": (deals.close_date_past, deals.close_date_past_changes, True),
    "last_touch": (
        lambda c, o, t: deals.last_touch(o, t),
        lambda c, o, t: deals.last_touch_changes(o, t),
        True,
    ),
    "has_firm_follow_up": (
        lambda c, o, t: deals.has_firm_follow_up(o, t, c.follow_up_horizon_days),
        lambda c, o, t: deals.has_firm_follow_up_changes(o, t, c.follow_up_horizon_days),
        True,
    ),
    "stale": (lambda c, o, t: deals.staleness(c, o, t).stale, deals.staleness_changes, False),
    "follow_up_overdue": (deals.follow_up_overdue, deals.follow_up_overdue_changes, False),
    "quote_expired": (deals.quote_expired, deals.quote_expired_changes, True),
    "quote_expiring": (
        lambda c, o, t: deals.quote_expiring(c, o, t, 7),
        lambda c, o, t: deals.quote_expiring_changes(c, o, t, 7),
        True,
    ),
    "decision_overdue": (
        lambda c, o, t: tuple(deals.decision_overdue(i, t) for i in o.decision_issues),
        lambda c, o, t: min(
            (d for i in o.decision_issues if (d := deals.decision_overdue_changes(i, t))),
            default=None,
        ),
        True,
    ),
}


@pytest.mark.parametrize("config_name", sorted(CONFIGS))
@pytest.mark.parametrize("deal", sorted(DEALS))
@pytest.mark.parametrize("rule", sorted(RULES))
def test_a_rule_changes_only_at_its_threshold(rule: str, deal: str, config_name: str) -> None:
    answer, changes, exact = RULES[rule]
    config, opp = CONFIGS[config_name], _deal(deal)
    answers = {day: answer(config, opp, day) for day in DAYS}
    crossed = 0
    for day in DAYS:
        until = changes(config, opp, day)
        assert until is None or until > day
        for later in DAYS:
            if day <= later and (until is None or later < until):
                assert answers[later] == answers[day], (day, later, until)
        if until is not None and until <= LAST:
            crossed += 1
            if exact:
                assert answers[until] != answers[day], (day, until)
    if rule in ("close_date_past", "quote_expired") and deal == "everything":
        assert crossed > 0  # the window does cross the threshold


def _findings(config: Config, opp: Opportunity, today: date) -> list[Any]:
    repo = Repository(
        root=Path("."),
        config=config,
        opportunities={opp.id: opp},
        accounts={},
        contacts={},
        competitors={},
        products={},
        product_list=(),
        ids={},
    )
    return checks.run_one_file_rules(repo, today)


@pytest.mark.parametrize("config_name", sorted(CONFIGS))
@pytest.mark.parametrize("deal", sorted(DEALS))
def test_a_files_findings_hold_until_they_may_change(deal: str, config_name: str) -> None:
    """Every one-file finding, message text included, is the same on every day from a day to
    the day `checks.findings_change` names; and a file with a finding that names today holds
    for that day only."""
    config, opp = CONFIGS[config_name], _deal(deal)
    found = {day: _findings(config, opp, day) for day in DAYS}
    dated = {"close-date-past", "stale", "follow-up-overdue", "activity-in-future", "quote-expired"}
    for day in DAYS:
        until = checks.findings_change("opportunity", config, opp, day)
        for later in DAYS:
            if day <= later and (until is None or later < until):
                assert found[later] == found[day], (day, later, until)
        if any(d.code in dated for d in found[day]):
            assert until == day + timedelta(days=1)
    assert len({tuple(f) for f in found.values()}) > 1  # the window crosses some threshold


def test_records_that_never_read_today() -> None:
    config = CONFIGS["horizon"]
    account, _found = loader.read_record(
        "account", "accounts/acme-corp.md", "acme-corp", b"---\nname: Acme Corp\n---\n"
    )
    assert checks.findings_change("account", config, account, FIRST) is None
    # A closed deal with nothing ahead of today: its findings never change again.
    closed = _deal("closed")
    assert checks.findings_change("opportunity", config, closed, date(2026, 12, 12)) is None
    assert checks.findings_change("opportunity", config, closed, date(2026, 12, 11)) == date(
        2026, 12, 12
    )


def test_thresholds_at_the_ends_of_the_calendar() -> None:
    """A date at the calendar's end (which a record file cannot give: the parser refuses
    such years) gives no threshold beyond it rather than an error."""
    config = CONFIGS["horizon"]
    opp = _deal("everything")
    assert opp.quote is not None
    far = replace(
        opp,
        close_date=date.max,
        follow_up=date(1, 1, 5),
        quote=replace(opp.quote, valid_until=date.max),
    )
    today = date(2026, 11, 1)
    assert deals.close_date_past_changes(config, far, today) is None
    assert deals.quote_expired_changes(config, far, today) is None
    assert deals.quote_expiring_changes(config, far, today, 7) == date(9999, 12, 24)
    assert deals.has_firm_follow_up_changes(far, today, 10) is None
    assert deals.has_firm_follow_up_changes(replace(far, follow_up=date.max), today, 10) == date(
        9999, 12, 21
    )
    assert checks.findings_change("opportunity", config, opp, date.max) is None
