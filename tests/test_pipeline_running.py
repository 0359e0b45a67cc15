"""The running pipeline figures (serve keeps them between rounds) equal the ones computed from
scratch after any sequence of edits: random edits from a seeded generator, each applied to the
loader's workspace and to the running figures, then compared with key_figures, stage_summary,
forecast and attention over the whole repository, for the team and for each owner."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import DEFAULT_CONFIG, TODAY
from textcrm import pipeline
from textcrm.loader import Workspace
from textcrm.pipeline.running import RunningTally
from textcrm.repository import Repository

CONFIG = DEFAULT_CONFIG.replace("currency: USD\n", "currency: USD\nrates: {EUR: 1.1}\n")
OWNERS = ["alice", "bob", "carol", ""]
STAGES = [
    "prospecting",
    "qualification",
    "proposal",
    "negotiation",
    "closed-won",
    "closed-lost",
    "paused",
]
DAY = date.fromisoformat(TODAY)
# Creation dates from git history, for deals whose file has none.
CREATED = {f"deal-{n}": DAY - timedelta(days=50 + 7 * n) for n in range(0, 16, 2)}


def deal(rng: random.Random, number: int) -> str:
    """A random opportunity file: any stage (an unknown one too), owner, close date, money."""

    def some_day(low: int, high: int) -> str:
        return (DAY + timedelta(days=rng.randint(low, high))).isoformat()

    lines = [f"title: Deal {number}", "account: acme-corp"]
    owner = rng.choice(OWNERS)
    if owner:
        lines.append(f"owner: {owner}")
    lines.append(f"stage: {rng.choice(STAGES)}")
    if rng.random() < 0.9:
        lines.append(f"close_date: {some_day(-200, 300)}")
    if rng.random() < 0.5:
        lines.append(f"created: {some_day(-400, -1)}")
    if rng.random() < 0.3:
        lines.append("currency: EUR")
    amount = rng.choice(["48000", "1250.5", "0.10", "7", "999.99", "12000.00", "3"])
    lines.append(f"amount: {amount}")
    if rng.random() < 0.2:
        lines.append(f"probability: {rng.choice(['5', '33.5', '90'])}")
    if rng.random() < 0.2:
        lines.append(f"forecast: {rng.choice(['commit', 'best_case', 'pipeline', 'omitted'])}")
    if rng.random() < 0.3:
        lines.append(f"follow_up: {some_day(-10, 10)}")
    if rng.random() < 0.5:
        lines.append(f"activities: [{{date: {some_day(-40, 0)}, type: call, summary: Call}}]")
    if rng.random() < 0.2:
        lines.append(f"lost_reason: {rng.choice(['Price', 'Timing'])}")
    notes = rng.choice(["", "Notes.\n", f"Met on {number}.\n"])
    return "---\n" + "\n".join(lines) + "\n---\n" + notes


def assert_same(running: pipeline.Running, repo: Repository) -> None:
    for owner in [None, *pipeline.owners(repo), ""]:
        scratch = pipeline.key_figures(repo, DAY, owner=owner, created=CREATED)
        assert running.key_figures(owner) == scratch, owner
        # repr tells Decimal("2.50") from Decimal("2.5"): the pages would show them apart.
        assert repr(running.key_figures(owner)) == repr(scratch), owner
        without = pipeline.key_figures(repo, DAY, owner=owner)
        assert repr(running.key_figures(owner, history=False)) == repr(without), owner
        assert repr(running.stage_summary(owner)) == repr(pipeline.stage_summary(repo, owner))
        assert repr(running.forecast(owner)) == repr(pipeline.forecast(repo, DAY, owner=owner))
    assert running.attention() == pipeline.attention(repo, DAY)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_running_figures_equal_the_figures_from_scratch_after_random_edits(
    make_repo, seed: int
) -> None:
    rng = random.Random(seed)
    root: Path = make_repo({}, config=CONFIG)
    for number in range(12):
        (root / f"opportunities/deal-{number}.md").parent.mkdir(exist_ok=True)
        (root / f"opportunities/deal-{number}.md").write_text(deal(rng, number))
    workspace = Workspace(root, DAY, use_cache=False)
    running = pipeline.Running(workspace.repository, DAY, CREATED)
    assert_same(running, workspace.repository)
    for step in range(60):
        number = rng.randrange(16)
        rel = f"opportunities/deal-{number}.md"
        data = None if rng.random() < 0.15 else deal(rng, number + step).encode()
        workspace.replace(rel, data)
        repo = workspace.repository
        opp_id = f"deal-{number}"
        if opp_id in repo.opportunities:
            running.add(repo, repo.opportunities[opp_id])
        else:
            running.remove(opp_id)
        assert_same(running, repo)


def test_a_running_tally_gives_the_decimal_form_of_a_fresh_one() -> None:
    running = RunningTally()
    for value in ("1.50", "1", "2.125"):
        running.add("USD", Decimal(value))
    running.add("USD", Decimal("2.125"), -1)
    assert repr(running.tally().sums["USD"]) == "Decimal('2.50')"
    running.add("USD", Decimal("1.50"), -1)
    assert repr(running.tally().sums["USD"]) == "Decimal('1')"
    running.add("EUR", Decimal("4.0"))
    running.add("EUR", Decimal("4.0"), -1)
    assert running.tally().sums == {"USD": Decimal("1")}
    assert running.tally().counts == {"USD": 1}
