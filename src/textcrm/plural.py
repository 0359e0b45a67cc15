"""Counts in English text (`1 deal`, `2 deals`, `1.5 days`): the one helper for plurals."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_IRREGULAR = {"opportunity": "opportunities", "activity": "activities", "company": "companies"}


def plural(word: str) -> str:
    """The plural of a word textcrm counts (`deal` -> `deals`, `opportunity` -> `opportunities`)."""
    return _IRREGULAR.get(word, word + "s")


def counted(n: int | Decimal | str, word: str, many: str | None = None) -> str:
    """`n word`, the word in the plural unless n is exactly one (`1 day`, `1.5 days`, `0 deals`).

    `n` may be text already formatted (`"1.5"`, `"+3"`); `many` overrides the plural.
    """
    text = n if isinstance(n, str) else str(n)
    try:
        one = Decimal(text.lstrip("+").replace(",", "")) in (1, -1)
    except InvalidOperation:
        one = False
    return f"{text} {word if one else (many or plural(word))}"
