"""Quote totals computed by hand, from the file's text to the printed figures, to the minor unit.

Each case is a real opportunity file (so amounts go from YAML text to Decimal without float),
loaded and turned into a quote. Policy: each line total = quantity x unit price less its
discount, rounded half-up once; subtotal = sum of rounded line totals; order discount and tax
(on subtotal - discount) each rounded half-up; total = subtotal - discount + tax.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from quote_support import QUOTE_CONFIG, opportunity, quote_files, view_of
from textcrm.money import parse_discount
from textcrm.quote import compute_totals

Q = "{number: Q-2026-0042, date: 2026-11-25, valid_until: 2026-12-31"


def custom(qty: str, price: str, discount: str = "") -> str:
    disc = f", discount: {discount}" if discount else ""
    return f"  - {{name: Item, quantity: {qty}, unit_price: {price}{disc}}}\n"


# (id, currency, line_items YAML, quote's extra fields, line totals, subtotal, discount, tax,
#  total); every figure worked out by hand in the comment beside it.
CASES = [
    (
        # 2.5 x 19.99 = 49.975 -> 49.98; 0.333 x 150 = 49.95; 99.93 x 8.25% = 8.244225 -> 8.24
        "fractional-quantities",
        "USD",
        custom("2.5", "19.99") + custom("0.333", "150"),
        ", tax_rate: 8.25%",
        ["49.98", "49.95"],
        "99.93",
        "0.00",
        "8.24",
        "108.17",
    ),
    (
        # catalog SCN-200 at 1100: 40 x 1100 less 5% = 41800; 3 x 19.99 = 59.97 less 15% =
        # 50.9745 -> 50.97; 41850.97 x 8.25% = 3452.705025 -> 3452.71
        "percent-line-discounts",
        "USD",
        "  - {sku: SCN-200, quantity: 40, discount: 5%}\n" + custom("3", "19.99", "15%"),
        ", tax_rate: 8.25%",
        ["41800.00", "50.97"],
        "41850.97",
        "0.00",
        "3452.71",
        "45303.68",
    ),
    (
        # 10 x 99.99 = 999.90 less 50 = 949.90; order 10% = 94.99; 854.91 x 8.25% =
        # 70.530075 -> 70.53
        "absolute-line-discount-and-order-percent",
        "USD",
        custom("10", "99.99", "50"),
        ", tax_rate: 8.25%, discount: 10%",
        ["949.90"],
        "949.90",
        "94.99",
        "70.53",
        "925.44",
    ),
    (
        # 10 x 1249.99 = 12499.90; order discount 2500 -> 9999.90; x 6% = 599.994 -> 599.99
        "absolute-order-discount",
        "USD",
        custom("10", "1249.99"),
        ", tax_rate: 6%, discount: 2500",
        ["12499.90"],
        "12499.90",
        "2500.00",
        "599.99",
        "10599.89",
    ),
    (
        # 5 x 200 less 100% = 0; 300; 300 x 8.25% = 24.75
        "line-discount-100-percent",
        "USD",
        custom("5", "200", "100%") + custom("1", "300"),
        ", tax_rate: 8.25%",
        ["0.00", "300.00"],
        "300.00",
        "0.00",
        "24.75",
        "324.75",
    ),
    (
        # the whole order free: discount = subtotal, no tax left
        "order-discount-100-percent",
        "USD",
        custom("4", "250"),
        ", tax_rate: 8.25%, discount: 100%",
        ["1000.00"],
        "1000.00",
        "1000.00",
        "0.00",
        "0.00",
    ),
    (
        # an absolute discount larger than the line takes it to zero, never below
        "absolute-discount-above-line",
        "USD",
        custom("1", "40", "50") + custom("1", "60"),
        "",
        ["0.00", "60.00"],
        "60.00",
        "0.00",
        "0.00",
        "60.00",
    ),
    (
        # 0.1 + 0.2 is exactly 0.3 (a float sum is 0.30000000000000004); 0.3 x 8.25% =
        # 0.02475 -> 0.02
        "point-one-plus-point-two",
        "USD",
        custom("1", "0.1") + custom("1", "0.2"),
        ", tax_rate: 8.25%",
        ["0.10", "0.20"],
        "0.30",
        "0.00",
        "0.02",
        "0.32",
    ),
    (
        # 33.335 -> 33.34 half-up (as a float it is 33.33499... and would round down);
        # 33.335 less 10% = 30.0015 -> 30.00 (not 33.34 - 3.33 = 30.01);
        # 63.34 x 8.25% = 5.22555 -> 5.23
        "thirty-three-point-three-three-five",
        "USD",
        custom("1", "33.335") + custom("1", "33.335", "10%"),
        ", tax_rate: 8.25%",
        ["33.34", "30.00"],
        "63.34",
        "0.00",
        "5.23",
        "68.57",
    ),
    (
        # half-up, not banker's rounding: 0.125 -> 0.13; 0.05 x 10% = 0.005 -> 0.01 on 0.05
        "half-up-not-half-even",
        "USD",
        custom("1", "0.125") + custom("1", "0.125", "60%"),
        ", tax_rate: 10%",
        ["0.13", "0.05"],
        "0.18",
        "0.00",
        "0.02",
        "0.20",
    ),
    (
        # JPY has no minor unit: 3 x 1234.5 = 3703.5 -> 3704; 2 x 999 = 1998 less 7.5% =
        # 1848.15 -> 1848; order 3% of 5552 = 166.56 -> 167; 5385 x 10% = 538.5 -> 539
        "jpy-no-minor-unit",
        "JPY",
        custom("3", "1234.5") + custom("2", "999", "7.5%"),
        ", tax_rate: 10%, discount: 3%",
        ["3704", "1848"],
        "5552",
        "167",
        "539",
        "5924",
    ),
    (
        # KWD has three decimals: 2 x 12.3455 = 24.691; 0.0005 -> 0.001; 24.692 x 5% =
        # 1.2346 -> 1.235
        "kwd-three-decimals",
        "KWD",
        custom("2", "12.3455") + custom("1", "0.0005"),
        ", tax_rate: 5%",
        ["24.691", "0.001"],
        "24.692",
        "0.000",
        "1.235",
        "25.927",
    ),
    (
        # 200 lines of 3 x 33.335 = 100.005 -> 100.01 each: 20002.00 (rounding the exact sum
        # would give 20001.00; the printed lines must add up); 20002 x 8.25% = 1650.165 ->
        # 1650.17
        "two-hundred-lines",
        "USD",
        custom("3", "33.335") * 200,
        ", tax_rate: 8.25%",
        ["100.01"] * 200,
        "20002.00",
        "0.00",
        "1650.17",
        "21652.17",
    ),
]


@pytest.mark.parametrize(
    ("currency", "lines", "quote_extra", "line_totals", "subtotal", "discount", "tax", "total"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_quote_totals_by_hand(
    make_repo, currency, lines, quote_extra, line_totals, subtotal, discount, tax, total
):
    opp = opportunity(lines, quote=Q + quote_extra + "}", currency=currency)
    root = make_repo(quote_files(opp), config=QUOTE_CONFIG)
    view = view_of(root)
    assert view.currency == currency
    assert [str(line.total) for line in view.lines] == line_totals
    t = view.totals
    assert (str(t.subtotal), str(t.discount_amount), str(t.tax), str(t.total)) == (
        subtotal,
        discount,
        tax,
        total,
    )
    # The printed parts always add up: lines to the subtotal, parts to the total.
    assert sum((line.total for line in view.lines), Decimal(0)) == t.subtotal
    assert t.subtotal - t.discount_amount + t.tax == t.total
    for line in view.lines:
        assert line.gross - line.discount_amount == line.total


def test_compute_totals_without_tax_or_discount():
    t = compute_totals([Decimal("10.00"), Decimal("0.01")], None, None, "EUR")
    assert (t.subtotal, t.discount_amount, t.taxable, t.tax, t.total) == (
        Decimal("10.01"),
        Decimal(0),
        Decimal("10.01"),
        Decimal(0),
        Decimal("10.01"),
    )


def test_compute_totals_rounds_discount_and_tax_half_up():
    # 0.15 x 10% = 0.015 -> 0.02 off; 0.13 x 50% = 0.065 -> 0.07 tax
    t = compute_totals([Decimal("0.15")], parse_discount("10%"), Decimal(50), "USD")
    assert (str(t.discount_amount), str(t.taxable), str(t.tax), str(t.total)) == (
        "0.02",
        "0.13",
        "0.07",
        "0.20",
    )
