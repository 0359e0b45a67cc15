"""model.record_maker builds exactly what the record class's own constructor builds."""

from __future__ import annotations

import dataclasses
import pickle
import sys
from datetime import date
from decimal import Decimal

import pytest

from textcrm.model import (
    Account,
    Activity,
    Config,
    ContactRole,
    LineItem,
    Opportunity,
    Quote,
    Stage,
    record_maker,
)


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (ContactRole, {"contact": "jane-doe", "role": "Champion", "line": 12}),
        (LineItem, {"quantity": Decimal("2.5"), "sku": "SCN-200", "invalid": ("unit_price",)}),
        (Activity, {"date": date(2026, 11, 2), "type": "call", "line": 30}),
        (Quote, {}),
        (Account, {"id": "acme", "path": "accounts/acme.md", "name": "Acme", "lines": {"name": 2}}),
        (
            Opportunity,
            {
                "id": "big-deal",
                "path": "opportunities/big-deal.md",
                "title": "Big deal",
                "amount": Decimal("48000"),
                "contacts": (ContactRole(contact="jane-doe"),),
                "lines": {"title": 2, "amount": 3},
            },
        ),
    ],
)
def test_a_made_record_equals_the_constructed_one(cls: type, values: dict) -> None:
    made = record_maker(cls)(dict(values))
    built = cls(**values)
    assert made == built
    try:
        expected = hash(built)
    except TypeError:  # a record with its key lines (a dict) is not hashable, made or built
        with pytest.raises(TypeError):
            hash(made)
    else:
        assert hash(made) == expected
    assert repr(made) == repr(built)
    assert list(vars(made)) == [f.name for f in dataclasses.fields(cls)]
    # The made record shares its key table with the class's other instances, as a constructed
    # one does: a table of its own would take about half as much memory again per record.
    assert sys.getsizeof(vars(made)) == sys.getsizeof(vars(built))
    assert pickle.loads(pickle.dumps(made)) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.line = 5  # type: ignore[misc]


def test_a_default_factory_gives_each_record_its_own_value() -> None:
    make = record_maker(Account)
    first = make({"id": "a", "path": "accounts/a.md", "name": "A"})
    second = make({"id": "b", "path": "accounts/b.md", "name": "B"})
    assert first.lines == {} == second.lines
    assert first.lines is not second.lines


def test_unknown_and_missing_fields_are_refused_as_the_constructor_does() -> None:
    make = record_maker(Account)
    with pytest.raises(TypeError, match="Account has no field colour"):
        make({"id": "a", "path": "accounts/a.md", "name": "A", "colour": "red"})
    with pytest.raises(TypeError, match="Account needs name"):
        make({"id": "a", "path": "accounts/a.md"})


def test_a_class_with_post_init_is_refused() -> None:
    # Config builds a lookup table in __post_init__, which a maker would skip.
    with pytest.raises(TypeError):
        record_maker(Config)
    assert record_maker(Stage)({"key": "x", "name": "X", "probability": 1, "forecast": "f"})
