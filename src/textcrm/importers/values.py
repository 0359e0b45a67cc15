"""Source values to textcrm values: slugs, dates, money, percentages, whole numbers.

Every function either returns the converted value or raises `BadValue` with a message that
says what was expected, so the importer can refuse the row with its file and line.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from textcrm import layout
from textcrm.money import MoneyError, parse_decimal

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
_CURRENCY_SIGNS = "$€£¥"
_MAX_SLUG = 60
_SEPARATORS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\ufeff]")


class BadValue(ValueError):
    """A source value that cannot become the field's type; the message says what was expected."""


def slugify(text: str, fallback: str = "record") -> str:
    """A readable file id: `Gekko & Co` -> `gekko-co`, accents folded, at most 60 characters."""
    # Line and paragraph separators, control and format characters part words, as spaces do.
    slug = layout.slug(_SEPARATORS.sub(" ", text))
    if len(slug) > _MAX_SLUG:
        slug = slug[:_MAX_SLUG].rsplit("-", 1)[0] or slug[:_MAX_SLUG]
    return slug or fallback


def unique_slug(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... : the first one not in `taken` (which it joins)."""
    slug = base
    n = 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    taken.add(slug)
    return slug


def parse_date(text: str, formats: tuple[str, ...]) -> date:
    """A date from ISO text (a timestamp's date part too) or one of the mapping's formats."""
    t = text.strip()
    m = _ISO_DATE.match(t)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise BadValue(f"`{text}` is not a valid date") from None
    for fmt in formats:
        try:
            return datetime.strptime(t, fmt).date()
        except ValueError:
            continue
    expected = " or ".join(["YYYY-MM-DD", *formats])
    raise BadValue(f"`{text}` is not a date (expected {expected})")


def parse_money(text: str) -> Decimal:
    """An exact amount: `48000`, `1,249.99`, `$ 1,249.99`; negative amounts are refused."""
    t = text.strip().strip(_CURRENCY_SIGNS).strip().replace(",", "").replace(" ", "")
    try:
        value = parse_decimal(t)
    except MoneyError:
        raise BadValue(f"`{text}` is not an amount") from None
    if value < 0:
        raise BadValue(f"`{text}` is negative; amounts are 0 or more")
    return value


def parse_percent(text: str) -> Decimal:
    """A probability: `60`, `60%` or `60.5`, between 0 and 100."""
    t = text.strip().rstrip("%").strip()
    try:
        value = parse_decimal(t)
    except MoneyError:
        raise BadValue(f"`{text}` is not a percentage") from None
    if not 0 <= value <= 100:
        raise BadValue(f"`{text}` is outside 0-100")
    return value


def parse_quantity(text: str) -> Decimal:
    """A quantity greater than zero."""
    try:
        value = parse_decimal(text.strip().replace(",", ""))
    except MoneyError:
        raise BadValue(f"`{text}` is not a quantity") from None
    if value <= 0:
        raise BadValue(f"`{text}` is not more than 0")
    return value


def parse_integer(text: str) -> int:
    """A whole number of 0 or more (`2,822` allowed)."""
    t = text.strip().replace(",", "")
    if not t.isdigit():
        raise BadValue(f"`{text}` is not a whole number")
    return int(t)


def parse_tags(text: str) -> list[str]:
    """Tags from a `;`-separated cell (Salesforce and HubSpot multi-selects use `;`)."""
    return [t.strip() for t in text.split(";") if t.strip()]
