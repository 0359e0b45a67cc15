"""Exact money: Decimal amounts, percentages, rounding to minor units, line and quote totals;
and every locale formatting for people (money, numbers, dates): the only Babel importer.

No float anywhere: amounts are parsed from the YAML scalar's own text, so `0.1` stays `0.1`.
Rounding policy (documented in docs/format.md and docs/quotes.md): each line total, each
discount and the tax are rounded half-up to the currency's minor unit; every total is the sum
of rounded parts, so printed lines always add up to the printed total.
"""

from __future__ import annotations

import datetime
import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from importlib.util import find_spec

# ISO 4217 active codes and their minor units (exponent). Codes not listed here have 2.
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR "
    "FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR "
    "KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR "
    "MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK "
    "SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN "
    "UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)
MINOR_UNITS: dict[str, int] = {
    **{c: 2 for c in _TWO.split()},
    **{c: 0 for c in _ZERO.split()},
    **{c: 3 for c in _THREE.split()},
    **{c: 4 for c in _FOUR.split()},
}
CURRENCIES: frozenset[str] = frozenset(MINOR_UNITS)

_NUMBER = re.compile(r"^[+-]?(\d+(_\d+)*)?(\.\d+)?([eE][+-]?\d+)?$")
_HUNDRED = Decimal(100)
ZERO = Decimal(0)

# The limits `check` enforces on every number a file gives (amounts, prices, quantities,
# percentages, discounts, rates), documented in docs/format.md. They keep every figure
# computed from accepted values exact within CONTEXT: the largest exact product, a quantity
# times a unit price less a percentage, has (15 + 15 + 3) integer and (10 + 10 + 10) decimal
# digits, 63 in all; sums over a million lines add 6; a rate conversion multiplies by one more
# accepted number. 100 significant digits hold all of that with room to spare.
MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 10
PRECISION = 100
CONTEXT = Context(
    prec=PRECISION,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


def exact() -> AbstractContextManager[Context]:
    """CONTEXT as the current Decimal context, for a `with` block.

    The command line enters it once for the whole command, for the arithmetic done outside
    this module; the functions here compute in CONTEXT explicitly, so a library caller gets
    the same figures.
    """
    return localcontext(CONTEXT)


def digits_problem(value: Decimal) -> str | None:
    """Why `value` is outside the documented limits (MAX_*_DIGITS), or None when it fits."""
    _sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return "is not a finite number"
    coefficient = list(digits)
    while exponent < 0 and len(coefficient) > 1 and coefficient[-1] == 0:
        coefficient.pop()
        exponent += 1
    fraction = max(0, -exponent)
    integer = max(0, len(coefficient) + exponent) if any(coefficient) else 0
    if integer > MAX_INTEGER_DIGITS:
        return f"has {integer} digits before the point; at most {MAX_INTEGER_DIGITS} are allowed"
    if fraction > MAX_FRACTION_DIGITS:
        return f"has {fraction} decimals; at most {MAX_FRACTION_DIGITS} are allowed"
    return None


class MoneyError(ValueError):
    """A text that is not an exact decimal amount or percentage."""


def parse_decimal(text: str) -> Decimal:
    """Parse a decimal number written in YAML (`48000`, `1249.99`, `1_000`, `2.2e4`) exactly.

    An exponent is read as the number it writes (`2.2e4` is 22000): every YAML reader, and
    so every editor, sees a number there."""
    t = text.strip()
    if not t or not _NUMBER.match(t) or t.lstrip("+-").startswith(("e", "E", ".e", ".E")):
        raise MoneyError(f"{text!r} is not a number")
    if t.lstrip("+-") in ("", "."):
        raise MoneyError(f"{text!r} is not a number")
    try:
        value = Decimal(t.replace("_", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise MoneyError(f"{text!r} is not a number") from exc
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0 and value.adjusted() <= MAX_INTEGER_DIGITS:
        # Written out (22000, not 2.2E+4); a longer one is refused by the digit limits.
        value = value.quantize(Decimal(1), context=CONTEXT)
    return value


def parse_percent(text: str) -> Decimal:
    """Parse `5%`, `8.25 %` or a bare number meaning percent, to a Decimal percent."""
    t = text.strip()
    if t.endswith("%"):
        t = t[:-1].rstrip()
    return parse_decimal(t)


@dataclass(frozen=True)
class Discount:
    """A discount: either a percentage of the amount or an absolute amount off it."""

    percent: Decimal | None = None
    amount: Decimal | None = None

    def exact(self, gross: Decimal) -> Decimal:
        """The discount's exact value on `gross`, never more than `gross` itself."""
        if self.percent is not None:
            return percent_of(gross, self.percent)
        return min(self.amount or ZERO, gross)

    def off(self, gross: Decimal, currency: str) -> Decimal:
        """The discount's value on `gross`, rounded to the currency's minor unit."""
        return round_money(self.exact(gross), currency)

    def __str__(self) -> str:
        if self.percent is not None:
            return f"{plain(self.percent)}%"
        return plain(self.amount or ZERO)


def parse_discount(text: str) -> Discount:
    """`5%` is a percentage; a bare number is an absolute amount off."""
    t = text.strip()
    if t.endswith("%"):
        return Discount(percent=parse_percent(t))
    return Discount(amount=parse_decimal(t))


def minor_units(currency: str) -> int:
    """The number of decimals of the currency's minor unit (2 when unknown)."""
    return MINOR_UNITS.get(currency, 2)


def round_money(value: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return value.quantize(
        Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP, context=CONTEXT
    )


def plain(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros after the point (`1.5`, `40`)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def fixed(value: Decimal, currency: str) -> str:
    """A Decimal with exactly the currency's minor units, for CSV and JSON (`48000.00`)."""
    return format(round_money(value, currency), "f")


def line_total(
    quantity: Decimal, unit_price: Decimal, discount: Discount | None, currency: str
) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, discount, net) of one line, each rounded; net = gross - discount.

    The net (the line total) is quantity x unit price less the exact discount, rounded once:
    1 x 33.335 less 10% is 30.0015, so 30.00 (rounding gross and discount first would give
    33.34 - 3.33 = 30.01). The discount shown is gross - net, so the row still adds up.
    """
    product = CONTEXT.multiply(quantity, unit_price)
    gross = round_money(product, currency)
    if discount is None:
        return gross, CONTEXT.subtract(gross, gross), gross  # 0 with the currency's decimals
    net = round_money(CONTEXT.subtract(product, discount.exact(product)), currency)
    return gross, CONTEXT.subtract(gross, net), net


def total(values: Iterable[Decimal]) -> Decimal:
    """Sum exactly (start from Decimal zero, never int or float)."""
    result = ZERO
    for v in values:
        result = CONTEXT.add(result, v)
    return result


def weighted(expected: Decimal, probability: Decimal, currency: str) -> Decimal:
    """Expected revenue times probability percent, rounded like every other figure."""
    return round_money(percent_of(expected, probability), currency)


def percent_of(value: Decimal, percent: Decimal) -> Decimal:
    """`percent`% of `value`, exactly (a tax or a discount before rounding)."""
    return CONTEXT.divide(CONTEXT.multiply(value, percent), _HUNDRED)


def exchange(value: Decimal, rate: Decimal, currency: str) -> Decimal:
    """`value` times an exchange rate, rounded to the target currency's minor unit."""
    return round_money(CONTEXT.multiply(value, rate), currency)


def at_exponent(value: Decimal, exponent: int) -> Decimal:
    """`value` written down to the digit at 10**`exponent` (`2.50` at -1 is `2.5`): only
    for a value with no non-zero digit below it, so nothing is rounded (a running sum
    given the form a fresh sum of the same amounts has)."""
    return value.quantize(Decimal(1).scaleb(exponent), context=CONTEXT)


def mean(value: Decimal, count: int, currency: str) -> Decimal:
    """`value` / `count`, rounded to the currency's minor unit."""
    return round_money(CONTEXT.divide(value, Decimal(count)), currency)


# --- figures that are not money: percentages, rates, averages --------------------------
# One rounding rule for every such figure textcrm shows or writes: to `places` decimals,
# halves away from zero (12.25 % shows as 12.3 %), as for money.


def round_figure(value: Decimal, places: int = 1) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=CONTEXT)


def ratio(part: Decimal | int | None, whole: Decimal | int | None, places: int) -> Decimal | None:
    """part / whole rounded to `places` decimals; None when either is missing or whole is 0."""
    if part is None or whole is None or whole == 0:
        return None
    return round_figure(CONTEXT.divide(Decimal(part), Decimal(whole)), places)


def percentage(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """part as a percentage of whole, to one decimal (a win rate, an attainment)."""
    if part is None:
        return None
    return ratio(CONTEXT.multiply(Decimal(part), Decimal(100)), whole, 1)


def average(values: Iterable[int | Decimal], places: int = 1) -> Decimal | None:
    """The mean of `values` to `places` decimals (days in a stage, a sales cycle); None if empty."""
    items = [Decimal(v) for v in values]
    return ratio(sum(items, Decimal(0)), len(items), places) if items else None


def format_money(value: Decimal, currency: str, locale: str = "en_US") -> str:
    """`$48,000.00`, `1.234,56 €`: Babel's CLDR formatting of the exactly rounded amount.

    The printed digits are always the ISO 4217 minor units that every total is rounded to,
    even where CLDR's display digits differ. Babel is slow for the tens of thousands of
    amounts of a big site or report, so each currency's pattern is learned once from Babel's
    own output and checked against it (see `_fast_formatter`).
    """
    fast = _fast_formatter(currency, locale)
    return fast(value) if fast is not None else _babel_money(value, currency, locale)


def _babel_money(value: Decimal, currency: str, locale: str) -> str:
    """Babel's formatting, the reference. Babel is imported here, lazily, so the check path
    never pays for it."""
    from babel.numbers import format_currency, get_currency_precision

    digits = minor_units(currency)
    amount = round_money(value, currency)
    if get_currency_precision(currency) == digits:
        return str(format_currency(amount, currency, locale=locale))
    from babel import Locale

    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    fraction = "." + "0" * digits if digits else ""
    pattern = re.sub(r"[#0,]*0(\.0+)?", "#,##0" + fraction, pattern, count=1)
    return str(
        format_currency(amount, currency, locale=locale, format=pattern, currency_digits=False)
    )


_PROBES = ("0", "7", "12.5", "999.99", "1000", "-1234.5", "1234567.891", "-98765432.1")
_SHAPE = re.compile(r"^(.*?)1(\D?)234(\D?)567(?:(\D)(\d+))?(.*)$", re.S)


@functools.lru_cache(maxsize=64)
def _fast_formatter(currency: str, locale: str) -> Callable[[Decimal], str] | None:
    """A formatter reproducing Babel's output for one currency and locale (prefix,
    separators, suffix), or None when its output cannot be reproduced that way (such as
    lakh grouping): it must agree with Babel on every probe amount to be used."""
    digits = minor_units(currency)
    pos = _SHAPE.match(_babel_money(Decimal("1234567.891"), currency, locale))
    neg = _SHAPE.match(_babel_money(Decimal("-1234567.891"), currency, locale))
    if pos is None or neg is None or pos.group(2) != pos.group(3):
        return None
    table = str.maketrans({",": pos.group(2), ".": pos.group(4) or "."})
    before, after = (pos.group(1), pos.group(6)), (neg.group(1), neg.group(6))

    def fast(value: Decimal) -> str:
        amount = round_money(value, currency)
        body = format(abs(amount), f",.{digits}f").translate(table)
        prefix, suffix = after if amount < 0 else before
        return prefix + body + suffix

    for probe in _PROBES:
        if fast(Decimal(probe)) != _babel_money(Decimal(probe), currency, locale):
            return None
    return fast


def locale_name(text: str) -> str | None:
    """The locale `text` names, spelled as Babel's CLDR data does (`en-US` and `en_us` give
    `en_US`), or None when Babel has no data for it.

    This looks at the names of Babel's locale data files without importing Babel, so that
    `check` stays light.
    """
    wanted = text.strip().replace("-", "_").casefold()
    return _locale_names().get(wanted) if wanted else None


@functools.lru_cache(maxsize=1)
def _locale_names() -> dict[str, str]:
    spec = find_spec("babel")
    if spec is None or spec.origin is None:  # pragma: no cover - babel is a dependency
        return {}
    folder = os.path.join(os.path.dirname(spec.origin), "locale-data")
    return {name[:-4].casefold(): name[:-4] for name in os.listdir(folder) if name.endswith(".dat")}


def format_number(value: Decimal, locale: str = "en_US") -> str:
    """A plain localized number (`1,234.5`), for quantities."""
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=locale, decimal_quantization=False))


def currency_codes(locale: str = "en_US") -> list[tuple[str, str]]:
    """Every currency code textcrm accepts, with its name in `locale` (for completion)."""
    from babel import Locale, UnknownLocaleError

    names: Mapping[str, str]
    try:
        names = Locale.parse(locale).currencies
    except (ValueError, UnknownLocaleError):
        names = {}
    return [(code, names.get(code, "")) for code in sorted(CURRENCIES)]


@functools.lru_cache(maxsize=4096)
def format_date(day: datetime.date, locale: str = "en_US") -> str:
    """A date as every human-readable output writes it (site pages, quotes, terminal reports):
    Babel's medium format of the locale (`Dec 10, 2026`, `10.12.2026`, `10 Dec 2026`).

    Machine outputs (JSON, CSV, .ics, file names, `datetime` attributes) and `check`
    messages, which quote the file's own values, stay ISO (`day.isoformat()`)."""
    from babel.dates import format_date as babel_date

    return str(babel_date(day, "medium", locale=locale))
