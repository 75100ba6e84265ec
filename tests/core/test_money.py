"""core.money: one rounding mode (ROUND_HALF_UP), currency-aware, Decimal only; VAT per rule on the
sum of the line nets of that rule (EN 16931 BR-CO-17)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core import money
from core.calculation import (
    FR_VAT_2_1,
    FR_VAT_5_5,
    FR_VAT_10,
    FR_VAT_20,
    FR_VAT_EXEMPT,
    FR_VAT_REVERSE_CHARGE,
)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        # 2 decimals (EUR): half up at the third decimal, including the classic .005 cases
        ("1.005", "EUR", "1.01"),
        ("1.015", "EUR", "1.02"),
        ("2.675", "EUR", "2.68"),  # 2.675 as a float is 2.67499999…: Decimal keeps it exact
        ("0.125", "EUR", "0.13"),
        ("1.0049999", "EUR", "1.00"),
        ("-1.005", "EUR", "-1.01"),  # half up = away from zero, for credit notes too
        ("10", "EUR", "10.00"),
        ("0", "EUR", "0.00"),
        ("1234567.8949", "EUR", "1234567.89"),
        # 0 decimals
        ("0.5", "JPY", "1"),
        ("1.5", "JPY", "2"),
        ("2.5", "JPY", "3"),  # not banker's rounding
        ("2.4999", "JPY", "2"),
        ("-0.5", "XOF", "-1"),
        # 3 decimals
        ("1.0005", "KWD", "1.001"),
        ("1.0004", "KWD", "1.000"),
        ("0.0125", "BHD", "0.013"),
        ("7", "TND", "7.000"),
    ],
)
def test_quantize_rounds_half_up_to_the_currency_minor_unit(amount, currency, expected):
    # given / when
    result = money.quantize(Decimal(amount), currency)

    # then: value and exponent (str keeps the number of decimals)
    assert str(result) == expected


def test_quantize_defaults_to_euro_cents():
    # given / when / then
    assert str(money.quantize(Decimal("3.14159"))) == "3.14"


@pytest.mark.parametrize(
    ("currency", "expected"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("XPF", 0), ("KWD", 3), ("TND", 3)]
)
def test_minor_units_follow_iso_4217(currency, expected):
    # given / when / then
    assert money.minor_units(currency) == expected


@pytest.mark.parametrize(("value", "expected"), [("EUR", True), ("JPY", True), ("eur", False), ("EURO", False),
                                                 ("XXX", False), ("", False), (None, False)])
def test_is_currency(value, expected):
    # given / when / then
    assert money.is_currency(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12.50", Decimal("12.50")), (" 3 ", Decimal(3)), (7, Decimal(7)), (Decimal("0.1"), Decimal("0.1"))],
)
def test_to_decimal_accepts_strings_ints_and_decimals(value, expected):
    # given / when
    result = money.to_decimal(value)

    # then
    assert result == expected
    assert isinstance(result, Decimal)


@pytest.mark.parametrize(
    "call",
    [
        lambda: money.to_decimal(0.1),
        lambda: money.quantize(2.675),
        lambda: money.line_net(19.99, Decimal(1), Decimal(0), Decimal(0)),
        lambda: money.line_net(Decimal("19.99"), Decimal(1), 0.1, Decimal(0)),
        lambda: money.line_net(Decimal("19.99"), Decimal(1), Decimal(0), 0.5),
    ],
    ids=["to_decimal", "quantize", "line_net-unit_price", "line_net-discount", "line_net-deduction"],
)
def test_floats_are_refused(call):
    # given a float amount / when / then
    with pytest.raises(TypeError, match="must not be a float"):
        call()


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", "-Infinity", "1,50"])
def test_to_decimal_refuses_non_numbers(value):
    # given / when / then
    with pytest.raises(ValueError):
        money.to_decimal(value)


@pytest.mark.parametrize(
    ("unit_price", "quantity", "discount", "deduction", "currency", "expected"),
    [
        ("10.00", "3", "0", "0", "EUR", "30.00"),
        ("33.335", "1", "0", "0", "EUR", "33.34"),
        ("0.125", "3", "0", "0", "EUR", "0.38"),  # 0.375: rounded once, on the product
        ("19.99", "3", "0.15", "0", "EUR", "50.97"),  # 59.97 × 0.85 = 50.9745
        ("100.00", "1", "0.125", "0", "EUR", "87.50"),
        # the deduction is subtracted before the single rounding: 9.00 − 1.005 = 7.995 → 8.00
        # (rounding the deduction first would give 7.99)
        ("10.00", "1", "0.1", "1.005", "EUR", "8.00"),
        ("10.00", "2", "0", "2.50", "EUR", "17.50"),
        ("10.00", "1", "0", "12.50", "EUR", "-2.50"),
        ("12.00", "1", "1", "0", "EUR", "0.00"),
        ("2.50", "1.5", "0", "0", "EUR", "3.75"),  # fractional quantity
        ("999", "1", "0.125", "0", "JPY", "874"),  # 874.125
        ("101", "1", "0.5", "0", "JPY", "51"),  # 50.5
        ("1.2345", "2", "0", "0", "KWD", "2.469"),
        ("1.0005", "1", "0", "0", "KWD", "1.001"),
        ("5.000", "3", "0.1", "0.0005", "BHD", "13.500"),  # 13.4995
    ],
)
def test_line_net(unit_price, quantity, discount, deduction, currency, expected):
    # given / when
    result = money.line_net(Decimal(unit_price), Decimal(quantity), Decimal(discount), Decimal(deduction), currency)

    # then
    assert str(result) == expected


def test_line_discount_is_rounded_to_the_currency():
    # given 59.97 × 0.15 = 8.9955 / when / then
    assert str(money.line_discount(Decimal("19.99"), Decimal(3), Decimal("0.15"))) == "9.00"


def test_vat_is_computed_on_the_sum_of_bases_not_per_line():
    # given three 20 % lines of 10.03: per line 2.006 → 2.01, i.e. 6.03 if summed per line
    items = [(FR_VAT_20, Decimal("10.03"))] * 3
    per_line_total = sum(money.quantize(FR_VAT_20.tax_on(base)) for _, base in items)

    # when
    analysis = money.vat_breakdown(items)

    # then: 30.09 × 0.20 = 6.018 → 6.02, one cent less than per-line rounding
    assert per_line_total == Decimal("6.03")
    assert analysis.lines == (
        money.TaxLine(code="FR_VAT_20", label="TVA 20 %", rate=Decimal("0.20"), base=Decimal("30.09"),
                      amount=Decimal("6.02"), category="S"),
    )
    assert str(analysis.total) == "6.02"


def test_vat_breakdown_with_several_rules_and_totals():
    # given lines of four rules, in no particular order
    items = [
        (FR_VAT_5_5, Decimal("0.10")),
        (FR_VAT_20, Decimal("10.03")),
        (FR_VAT_EXEMPT, Decimal("50.00")),
        (FR_VAT_20, Decimal("10.03")),
        (FR_VAT_5_5, Decimal("0.10")),  # per line 0.0055 → 0.01 twice = 0.02; on the sum 0.011 → 0.01
        (FR_VAT_20, Decimal("10.03")),
        (FR_VAT_10, Decimal("19.95")),  # 1.995 → 2.00
        (FR_VAT_REVERSE_CHARGE, Decimal("100.00")),
    ]

    # when
    analysis = money.vat_breakdown(items)

    # then: one line per rule, highest rate first, then by code; totals are sums of rounded parts
    assert analysis.as_json() == {
        "lines": [
            {"code": "FR_VAT_20", "label": "TVA 20 %", "rate": "0.20", "base": "30.09", "amount": "6.02",
             "category": "S"},
            {"code": "FR_VAT_10", "label": "TVA 10 %", "rate": "0.10", "base": "19.95", "amount": "2.00",
             "category": "S"},
            {"code": "FR_VAT_5_5", "label": "TVA 5,5 %", "rate": "0.055", "base": "0.20", "amount": "0.01",
             "category": "S"},
            {"code": "FR_VAT_EXEMPT", "label": "Franchise en base", "rate": "0", "base": "50.00", "amount": "0.00",
             "category": "E", "exemption_reason": "TVA non applicable, art. 293 B du CGI"},
            {"code": "FR_VAT_REVERSE_CHARGE", "label": "Autoliquidation", "rate": "0", "base": "100.00",
             "amount": "0.00", "category": "AE",
             "exemption_reason": "Autoliquidation : TVA due par le preneur (art. 283-2 du CGI)"},
        ],
        "total": "8.03",
    }
    net = sum(line.base for line in analysis.lines)
    assert (net, analysis.total, net + analysis.total) == (Decimal("200.24"), Decimal("8.03"), Decimal("208.27"))


@pytest.mark.parametrize(
    ("currency", "items", "expected_base", "expected_amount"),
    [
        # 0 decimals: per line 33.3 → 33 and 33.4 → 33 (66); on the sum 66.7 → 67
        ("JPY", [(FR_VAT_10, "333"), (FR_VAT_10, "334")], "667", "67"),
        # 3 decimals: per line 0.0021 → 0.002 ×3 (0.006); on the sum 0.0063 → 0.006; 2.1 %
        ("KWD", [(FR_VAT_2_1, "0.100")] * 3, "0.300", "0.006"),
        # 3 decimals: per line 0.0525 → 0.053 (0.106 for two); on the sum 0.105
        ("KWD", [(FR_VAT_5_5, "0.955")] * 2, "1.910", "0.105"),
    ],
)
def test_vat_breakdown_rounds_to_the_currency(currency, items, expected_base, expected_amount):
    # given
    pairs = [(rule, Decimal(base)) for rule, base in items]

    # when
    analysis = money.vat_breakdown(pairs, currency)

    # then
    assert [(str(line.base), str(line.amount)) for line in analysis.lines] == [(expected_base, expected_amount)]
    assert str(analysis.total) == expected_amount


def test_vat_breakdown_of_nothing_is_zero():
    # given / when
    analysis = money.vat_breakdown([])

    # then
    assert analysis.lines == ()
    assert str(analysis.total) == "0.00"
    assert analysis.as_json() == {"lines": [], "total": "0.00"}


def test_vat_breakdown_refuses_float_bases():
    # given / when / then
    with pytest.raises(TypeError, match="must not be a float"):
        money.vat_breakdown([(FR_VAT_20, 10.03)])
