"""Line and invoice amounts: net per line rounded once (ROUND_HALF_UP), VAT per rule on the summed
bases of that rule, totals as sums of rounded parts; details stored as JSON."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.calculation import FR_VAT_5_5, FR_VAT_10, FR_VAT_20, FR_VAT_DEBOURS
from core.models import CalculationRuleSetting
from invoice.calculation import compute_line, compute_totals
from invoice.models import Invoice, InvoiceLineItem
from invoice.services.invoices import invoice_update
from invoice.services.lines import line_add, wrap_details
from tests.invoice.helpers import make_draft

D = Decimal


def vat20(base: str, amount: str) -> dict:
    return {"code": "FR_VAT_20", "label": "TVA 20 %", "rate": "0.20", "base": base, "amount": amount, "category": "S"}


@pytest.mark.parametrize(
    ("unit_price", "quantity", "discount", "deduction", "expected_net"),
    [
        ("10.00", "3", "0", "0", "30.00"),
        ("0.125", "1", "0", "0", "0.13"),  # half-up, not half-even (0.12)
        ("2.675", "1", "0", "0", "2.68"),
        ("0.005", "1", "0", "0", "0.01"),
        ("19.99", "3", "0.15", "5", "45.97"),  # 59.97 × 0.85 − 5 = 45.9745
        ("33.33", "3", "0.3333", "0", "66.66"),  # 99.99 × 0.6667 = 66.663333
        ("12.50", "0.5", "0", "0.25", "6.00"),
        ("100", "1", "1", "0", "0.00"),
        ("100", "2", "0.5", "100", "0.00"),
    ],
)
def test_line_net_is_price_times_quantity_less_discount_and_deduction_rounded_half_up(
    unit_price, quantity, discount, deduction, expected_net
):
    # given
    line = InvoiceLineItem(unit_price=D(unit_price), quantity=D(quantity), discount=D(discount), deduction=D(deduction))

    # when
    compute_line(line, FR_VAT_20, "EUR")

    # then
    net = D(expected_net)
    tax = (net * D("0.20")).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert line.amount_net == net
    assert str(line.amount_net) == expected_net
    assert line.tax_analysis == {"lines": [vat20(expected_net, str(tax))], "total": str(tax)}
    assert line.amount_total == net + tax


def test_line_without_rule_has_no_tax():
    # given
    line = InvoiceLineItem(unit_price=D("10"), quantity=D("2"), discount=D("0"), deduction=D("0"))

    # when
    compute_line(line, None, "EUR")

    # then
    assert line.amount_net == D("20.00")
    assert line.tax_analysis == {"lines": [], "total": "0.00"}
    assert line.amount_total == D("20.00")


def test_line_amounts_follow_the_currency_minor_unit():
    # given
    line = InvoiceLineItem(unit_price=D("100.5"), quantity=D("1"), discount=D("0"), deduction=D("0"))

    # when
    compute_line(line, FR_VAT_20, "JPY")

    # then
    assert str(line.amount_net) == "101"
    assert line.tax_analysis["total"] == "20"
    assert line.amount_total == D("121")


def test_invoice_vat_is_computed_per_rule_on_summed_bases_not_summed_per_line():
    # given: three lines of 10.03 at 20 %: per line 2.006 → 2.01 (Σ 6.03), per rule 30.09 × 0.2 = 6.018 → 6.02
    lines = [
        InvoiceLineItem(unit_price=D("10.03"), quantity=D("1"), discount=D("0"), deduction=D("0"), tax_rate=FR_VAT_20.id)
        for _ in range(3)
    ]
    for line in lines:
        compute_line(line, FR_VAT_20, "EUR")
    invoice = Invoice(currency_code="EUR")

    # when
    compute_totals(invoice, lines, {FR_VAT_20.id: FR_VAT_20})

    # then
    assert [line.tax_analysis["total"] for line in lines] == ["2.01", "2.01", "2.01"]
    assert invoice.tax_analysis == {"lines": [vat20("30.09", "6.02")], "total": "6.02"}
    assert invoice.amount_net == D("30.09")
    assert invoice.amount_total == D("36.11")
    assert invoice.amount_discount == D("0.00")


def test_invoice_totals_through_the_services(user_a, org_a):
    # given / when
    invoice = make_draft(actor=user_a, organization=org_a, lines=[
        {"unit_price": "10.03", "quantity": "1", "tax_rate": FR_VAT_20.id},
        {"unit_price": "10.03", "quantity": "1", "tax_rate": FR_VAT_20.id},
        {"unit_price": "10.03", "quantity": "1", "tax_rate": FR_VAT_20.id},
        {"unit_price": "19.99", "quantity": "3", "discount": "0.15", "deduction": "5", "tax_rate": FR_VAT_5_5.id},
        {"unit_price": "7", "quantity": "1", "tax_rate": FR_VAT_DEBOURS.id},
    ])

    # then: 20 %: 30.09 → 6.018 → 6.02; 5.5 %: 45.97 → 2.528… → 2.53; débours: 7.00 → 0.00
    assert invoice.tax_analysis == {
        "lines": [
            vat20("30.09", "6.02"),
            {"code": "FR_VAT_5_5", "label": "TVA 5,5 %", "rate": "0.055", "base": "45.97", "amount": "2.53", "category": "S"},
            {"code": "FR_VAT_DEBOURS", "label": "Débours", "rate": "0", "base": "7.00", "amount": "0.00",
             "category": "E", "exemption_reason": FR_VAT_DEBOURS.exemption_reason},
        ],
        "total": "8.55",
    }
    assert invoice.amount_net == D("83.06")
    assert invoice.amount_discount == D("14.00")  # 59.97 − 45.97: discount and deduction
    assert invoice.amount_total == D("91.61")


def test_default_lines_give_exact_totals(draft_invoice):
    # then
    assert draft_invoice.amount_net == D("245.00")
    assert draft_invoice.amount_discount == D("5.00")
    assert draft_invoice.amount_total == D("289.50")
    assert draft_invoice.tax_analysis == {
        "lines": [
            vat20("200.00", "40.00"),
            {"code": "FR_VAT_10", "label": "TVA 10 %", "rate": "0.10", "base": "45.00", "amount": "4.50", "category": "S"},
        ],
        "total": "44.50",
    }
    lines = list(draft_invoice.line_items.order_by("code"))
    assert [(line.code, line.amount_net, line.amount_total) for line in lines] == [
        ("L1", D("200.00"), D("240.00")),
        ("L2", D("45.00"), D("49.50")),
    ]


def test_line_without_tax_rate_takes_the_organisation_default_then_vat_20(user_a, org_a, empty_draft):
    # given
    first = line_add(actor=user_a, invoice=empty_draft, data={"unit_price": "10"})
    org_a.default_tax_rule = FR_VAT_10.id
    org_a.save()

    # when
    second = line_add(actor=user_a, invoice=empty_draft, data={"unit_price": "10"})

    # then
    assert first.tax_rate == FR_VAT_20.id
    assert second.tax_rate == FR_VAT_10.id
    assert Invoice.objects.get(pk=empty_draft.pk).amount_total == D("23.00")


def test_an_organisation_rule_is_applied_like_a_builtin_one(user_a, org_a, empty_draft):
    # given
    rule = CalculationRuleSetting.objects.create(organization=org_a, code="TVA_8_5", label="TVA DOM 8,5 %", rate=D("0.085"))

    # when
    line = line_add(actor=user_a, invoice=empty_draft, data={"unit_price": "100", "tax_rate": str(rule.id)})

    # then
    assert line.tax_rate == rule.id
    assert line.tax_analysis == {
        "lines": [{"code": "TVA_8_5", "label": "TVA DOM 8,5 %", "rate": "0.0850", "base": "100.00", "amount": "8.50",
                   "category": "S"}],
        "total": "8.50",
    }
    assert Invoice.objects.get(pk=empty_draft.pk).amount_total == D("108.50")


def test_currency_change_on_a_draft_recomputes_lines_and_totals(user_a, org_a):
    # given
    invoice = make_draft(actor=user_a, organization=org_a, lines=[{"unit_price": "100.50", "quantity": "1"}])

    # when
    invoice = invoice_update(actor=user_a, invoice=invoice, changes={"currency_code": "JPY"})

    # then
    line = invoice.line_items.get()
    assert (line.amount_net, line.amount_total) == (D("101"), D("121"))
    invoice.refresh_from_db()
    assert (invoice.currency_code, invoice.amount_net, invoice.amount_total) == ("JPY", D("101"), D("121"))
    assert invoice.tax_analysis["total"] == "20"


@pytest.mark.parametrize(
    ("details", "stored"),
    [
        ("Avis publié le 3 mars", {"text": "Avis publié le 3 mars"}),
        ('{"order": "CMD-1", "options": ["photo"]}', {"order": "CMD-1", "options": ["photo"]}),
        ({"order": "CMD-2"}, {"order": "CMD-2"}),
        (["a", "b"], ["a", "b"]),
        ("42", {"text": "42"}),
        (None, None),
    ],
)
def test_line_details_are_stored_as_json_and_plain_text_is_wrapped(user_a, empty_draft, details, stored):
    # when
    line = line_add(actor=user_a, invoice=empty_draft, data={"unit_price": "1", "details": details})

    # then
    line.refresh_from_db()
    assert line.details == stored
    assert wrap_details(details) == stored
