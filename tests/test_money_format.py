"""Money formatting: the fast path always prints what Babel prints."""

from __future__ import annotations

from decimal import Decimal

import pytest

from textcrm.money import _babel_money, _fast_formatter, format_money

CASES = [
    ("USD", "en_US"),
    ("EUR", "de_DE"),
    ("JPY", "ja_JP"),
    ("KWD", "en_US"),
    ("CHF", "de_CH"),
    ("INR", "en_IN"),
    ("EUR", "fr_FR"),
]
VALUES = ["0", "0.005", "1", "-1", "33.335", "1234.5", "-1234.5", "99999999.994", "1e6"]


@pytest.mark.parametrize(("currency", "locale"), CASES)
def test_same_as_babel(currency, locale):
    for text in VALUES:
        value = Decimal(text)
        assert format_money(value, currency, locale) == _babel_money(value, currency, locale)


def test_examples():
    assert format_money(Decimal("1234.56"), "EUR", "de_DE") == "1.234,56\xa0€"
    assert format_money(Decimal("48000"), "USD") == "$48,000.00"


def test_lakh_grouping_keeps_babel():
    assert _fast_formatter("INR", "en_IN") is None


def test_every_figure_that_is_not_money_rounds_halves_away_from_zero() -> None:
    from textcrm import money

    assert money.percentage(1, 8) == Decimal("12.5")
    assert money.percentage(1, 3) == Decimal("33.3")
    assert money.percentage(2, 3) == Decimal("66.7")
    assert money.percentage(1, 0) is None
    assert money.percentage(None, 5) is None
    # A tie goes up, never to the even neighbour (0.25 -> 0.3, not 0.2).
    assert money.average([0, Decimal("0.5")]) == Decimal("0.3")
    assert money.average([10, 13]) == Decimal("11.5")
    assert money.average([]) is None
    assert money.ratio(Decimal("1"), Decimal("8"), 2) == Decimal("0.13")
    assert money.round_figure(Decimal("-2.25")) == Decimal("-2.3")
