"""Money, in one place: Decimal only, one rounding mode, the EN 16931 VAT rule.

Rules (EN 16931 / French practice), all with ROUND_HALF_UP to the currency's minor unit:
1. A line's net amount = unit_price × quantity × (1 − discount) − deduction, rounded once.
2. VAT is computed per VAT rule (category + rate) on the *sum* of the rounded line nets of that
   rule, then rounded (`vat_breakdown`). It is never the sum of per-line VAT amounts.
3. Invoice totals are sums of already rounded parts: net = Σ line nets, tax = Σ per-rule VAT,
   total = net + tax.
A line's own `tax_analysis` (shown as a tooltip) is its net × rate rounded; it is informative and
may differ by a cent from its share of the invoice's per-rule VAT.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ROUNDING = ROUND_HALF_UP
ZERO = Decimal("0")

# ISO 4217 active codes → minor units (number of decimals).
ISO_4217: dict[str, int] = {
    "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2,
    "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2,
    "BOB": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2,
    "CHF": 2, "CLP": 0, "CNY": 2, "COP": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0,
    "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2,
    "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2,
    "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0,
    "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2, "KRW": 0,
    "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3,
    "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2,
    "MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2,
    "NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2,
    "PYG": 0, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2,
    "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2,
    "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2,
    "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0, "USD": 2, "UYU": 2, "UZS": 2, "VES": 2,
    "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2, "XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2,
    "ZMW": 2, "ZWG": 2,
}


def is_currency(code: str | None) -> bool:
    return isinstance(code, str) and code in ISO_4217


def minor_units(currency: str = "EUR") -> int:
    return ISO_4217.get(currency, 2)


def to_decimal(value) -> Decimal:
    """Parse an amount. Floats are refused: they have already lost cents."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal or a string")
    else:
        try:
            result = Decimal(str(value).strip())
        except (InvalidOperation, ValueError) as exc:
            raise ValueError(f"not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite decimal number: {value!r}")
    return result


def quantize(amount: Decimal, currency: str = "EUR") -> Decimal:
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return to_decimal(amount).quantize(exponent, rounding=ROUNDING)


def line_gross(unit_price: Decimal, quantity: Decimal) -> Decimal:
    return to_decimal(unit_price) * to_decimal(quantity)


def line_discount(unit_price: Decimal, quantity: Decimal, discount: Decimal, currency: str = "EUR") -> Decimal:
    return quantize(line_gross(unit_price, quantity) * to_decimal(discount), currency)


def line_net(unit_price: Decimal, quantity: Decimal, discount: Decimal, deduction: Decimal,
             currency: str = "EUR") -> Decimal:
    """unit_price × quantity × (1 − discount) − deduction, rounded once."""
    gross = line_gross(unit_price, quantity)
    return quantize(gross * (1 - to_decimal(discount)) - to_decimal(deduction), currency)


@dataclass(frozen=True)
class TaxLine:
    code: str
    label: str
    rate: Decimal
    base: Decimal
    amount: Decimal
    category: str = "S"
    exemption_reason: str = ""

    def as_json(self) -> dict:
        data = {
            "code": self.code,
            "label": self.label,
            "rate": str(self.rate),
            "base": str(self.base),
            "amount": str(self.amount),
            "category": self.category,
        }
        if self.exemption_reason:
            data["exemption_reason"] = self.exemption_reason
        return data


@dataclass(frozen=True)
class TaxAnalysis:
    lines: tuple[TaxLine, ...]
    total: Decimal

    def as_json(self) -> dict:
        """The openIMIS shape: {"lines": [{code, label, rate, base, amount}], "total"}."""
        return {"lines": [line.as_json() for line in self.lines], "total": str(self.total)}


def vat_breakdown(items: Iterable[tuple[object, Decimal]], currency: str = "EUR") -> TaxAnalysis:
    """Group (rule, rounded line net) pairs by rule, sum the bases, compute each rule's VAT on its
    summed base and round it (EN 16931 BR-CO-17). `rule` is a core.calculation rule."""
    bases: dict[str, tuple[object, Decimal]] = {}
    for rule, base in items:
        key = str(rule.id)
        previous = bases.get(key, (rule, ZERO))[1]
        bases[key] = (rule, previous + to_decimal(base))
    lines = []
    for rule, base in sorted(bases.values(), key=lambda pair: (-pair[0].rate, pair[0].code)):
        base = quantize(base, currency)
        lines.append(
            TaxLine(
                code=rule.code,
                label=rule.label,
                rate=rule.rate,
                base=base,
                amount=quantize(rule.tax_on(base), currency),
                category=rule.vat_category,
                exemption_reason=rule.exemption_reason,
            )
        )
    total = sum((line.amount for line in lines), ZERO)
    return TaxAnalysis(tuple(lines), quantize(total, currency))
