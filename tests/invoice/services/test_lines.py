"""line_add, line_update, line_remove: a draft's lines only; each change recomputes the line and
the invoice; bad numbers, rules and references are refused with nothing written."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.calculation import FR_VAT_5_5, FR_VAT_10, FR_VAT_20
from core.errors import DomainError
from core.models import CalculationRuleSetting
from invoice.models import Invoice, InvoiceLineItem
from invoice.services.lines import line_add, line_remove, line_update
from tests.invoice.helpers import errors_of, nothing_written

D = Decimal
UNKNOWN_RULE = "0190f0a4-0000-7000-8000-00000000dead"

BAD_LINES = [
    pytest.param({"quantity": "-1"}, [("quantity", "OUT_OF_RANGE")], id="negative-quantity"),
    pytest.param({"unit_price": "-0.01"}, [("unitPrice", "OUT_OF_RANGE")], id="negative-unit-price"),
    pytest.param({"discount": "1.01"}, [("discount", "OUT_OF_RANGE")], id="discount-above-1"),
    pytest.param({"discount": "-0.1"}, [("discount", "OUT_OF_RANGE")], id="negative-discount"),
    pytest.param({"deduction": "-1"}, [("deduction", "OUT_OF_RANGE")], id="negative-deduction"),
    pytest.param({"unit_price": "10", "quantity": "2", "discount": "0.5", "deduction": "10.01"},
                 [("deduction", "DEDUCTION_EXCEEDS_GROSS")], id="deduction-exceeds-discounted-gross"),
    pytest.param({"unit_price": "abc"}, [("unitPrice", "INVALID")], id="unit-price-not-a-number"),
    pytest.param({"quantity": 1.5}, [("quantity", "INVALID")], id="float-refused"),
    pytest.param({"quantity": "NaN"}, [("quantity", "INVALID")], id="nan-refused"),
    pytest.param({"tax_rate": UNKNOWN_RULE}, [("taxRate", "UNKNOWN_TAX_RULE")], id="unknown-tax-rule"),
    pytest.param({"tax_rate": "TVA20"}, [("taxRate", "UNKNOWN_TAX_RULE")], id="malformed-tax-rule"),
    pytest.param({"line_type": "planet", "line_id": UNKNOWN_RULE}, [("lineType", "UNKNOWN_PICKER_TYPE")],
                 id="unknown-line-type"),
    pytest.param({"line_type": "organization", "line_id": UNKNOWN_RULE}, [("lineType", "UNKNOWN_PICKER_TYPE")],
                 id="type-not-pickable-as-line"),
    pytest.param({"date_valid_from": date(2026, 3, 2), "date_valid_to": date(2026, 3, 1)},
                 [("dateValidTo", "INVALID_PERIOD")], id="period-end-before-start"),
    pytest.param({"code": "c" * 256}, [("code", "TOO_LONG")], id="code-too-long"),
    pytest.param({"unit_price": "0.12345"}, [("unitPrice", "INVALID")], id="unit-price-beyond-4-decimals"),
    pytest.param({"quantity": "1.00001"}, [("quantity", "INVALID")], id="quantity-beyond-4-decimals"),
    pytest.param({"discount": "0.12345"}, [("discount", "INVALID")], id="discount-beyond-4-decimals"),
    pytest.param({"deduction": "0.001"}, [("deduction", "INVALID")], id="deduction-beyond-cents"),
    pytest.param({"quantity": "1e20"}, [("quantity", "OUT_OF_RANGE")], id="quantity-too-large"),
    pytest.param({"unit_price": "99999999999999", "quantity": "99999999999999"}, [("quantity", "OUT_OF_RANGE")],
                 id="line-amount-too-large"),
    pytest.param(
        {"quantity": "-1", "unit_price": "-2", "discount": "2", "tax_rate": UNKNOWN_RULE, "code": "c" * 256},
        [("code", "TOO_LONG"), ("quantity", "OUT_OF_RANGE"), ("unitPrice", "OUT_OF_RANGE"),
         ("discount", "OUT_OF_RANGE"), ("taxRate", "UNKNOWN_TAX_RULE")],
        id="every-error-at-once",
    ),
]


def test_add_computes_the_line_and_the_invoice(user_a, empty_draft):
    # when
    line = line_add(actor=user_a, invoice=empty_draft, data={
        "code": " CMD-1 ", "description": "Avis", "quantity": "3", "unit_price": "19.99", "discount": "0.15",
        "deduction": "5", "tax_rate": str(FR_VAT_5_5.id), "ledger_account": "706000", "unknown": "ignored",
    })

    # then
    line = InvoiceLineItem.objects.get(pk=line.pk)
    assert (line.code, line.ledger_account, line.tax_rate) == ("CMD-1", "706000", FR_VAT_5_5.id)
    assert (line.quantity, line.unit_price, line.discount, line.deduction) == (D("3"), D("19.99"), D("0.15"), D("5"))
    assert (line.amount_net, line.amount_total) == (D("45.97"), D("48.50"))
    assert [(h.history_type, h.history_change_reason, h.history_user) for h in line.history.all()] == [
        ("+", "line_add", user_a)
    ]
    invoice = Invoice.objects.get(pk=empty_draft.pk)
    assert (invoice.amount_net, invoice.amount_discount, invoice.amount_total) == (D("45.97"), D("14.00"), D("48.50"))
    assert invoice.version == empty_draft.version + 1
    assert invoice.history.first().history_change_reason == "line_add"


def test_update_recomputes_the_line_and_the_invoice(user_a, draft_invoice):
    # given
    line = draft_invoice.line_items.get(code="L1")

    # when
    updated = line_update(actor=user_a, line=line, version=line.version,
                          changes={"quantity": "3", "tax_rate": FR_VAT_10.id, "details": "3 parutions"})

    # then
    updated.refresh_from_db()
    assert (updated.quantity, updated.unit_price, updated.amount_net, updated.amount_total) == (
        D("3"), D("100.00"), D("300.00"), D("330.00")
    )
    assert updated.details == {"text": "3 parutions"}
    assert updated.version == line.version + 1
    assert updated.history.first().history_change_reason == "line_update"
    invoice = Invoice.objects.get(pk=draft_invoice.pk)
    assert (invoice.amount_net, invoice.amount_total) == (D("345.00"), D("379.50"))
    assert invoice.tax_analysis == {
        "lines": [{"code": "FR_VAT_10", "label": "TVA 10 %", "rate": "0.10", "base": "345.00", "amount": "34.50",
                   "category": "S"}],
        "total": "34.50",
    }


def test_update_keeps_the_values_not_sent(user_a, draft_invoice):
    # given
    line = draft_invoice.line_items.get(code="L2")

    # when
    updated = line_update(actor=user_a, line=line, changes={"description": "Option photo couleur"})

    # then
    updated.refresh_from_db()
    assert (updated.quantity, updated.unit_price, updated.discount, updated.tax_rate) == (
        D("1"), D("50.00"), D("0.1"), FR_VAT_10.id
    )
    assert updated.amount_net == D("45.00")


def test_remove_is_soft_and_recomputes_the_invoice(user_a, draft_invoice):
    # given
    line = draft_invoice.line_items.get(code="L2")

    # when
    removed = line_remove(actor=user_a, line=line, version=line.version)

    # then
    removed.refresh_from_db()
    assert removed.is_deleted is True
    assert removed.history.first().history_change_reason == "line_remove"
    invoice = Invoice.objects.get(pk=draft_invoice.pk)
    assert (invoice.amount_net, invoice.amount_discount, invoice.amount_total) == (D("200.00"), D("0.00"), D("240.00"))


@pytest.mark.parametrize(("data", "expected"), BAD_LINES)
def test_add_with_bad_input_writes_nothing(user_a, draft_invoice, data, expected):
    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        line_add(actor=user_a, invoice=draft_invoice, data=data)
    assert errors_of(raised) == expected


@pytest.mark.parametrize(("data", "expected"), BAD_LINES)
def test_update_with_bad_input_writes_nothing(user_a, draft_invoice, data, expected):
    # given
    line = draft_invoice.line_items.get(code="L1")

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        line_update(actor=user_a, line=line, changes=data, version=line.version)
    assert errors_of(raised) == expected


def test_deduction_is_checked_against_the_stored_amounts(user_a, draft_invoice):
    # given: L2 is 50.00 − 10 % = 45.00
    line = draft_invoice.line_items.get(code="L2")

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        line_update(actor=user_a, line=line, changes={"deduction": "45.01"})
    assert errors_of(raised) == [("deduction", "DEDUCTION_EXCEEDS_GROSS")]


def test_a_deduction_equal_to_the_discounted_gross_is_allowed(user_a, draft_invoice):
    # given
    line = draft_invoice.line_items.get(code="L2")

    # when
    updated = line_update(actor=user_a, line=line, changes={"deduction": "45.00"})

    # then
    assert (updated.amount_net, updated.amount_total) == (D("0.00"), D("0.00"))


def test_another_organisations_tax_rule_is_unknown(user_a, org_b, draft_invoice):
    # given
    rule = CalculationRuleSetting.objects.create(organization=org_b, code="B_8_5", label="B", rate=D("0.085"))

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        line_add(actor=user_a, invoice=draft_invoice, data={"unit_price": "1", "tax_rate": rule.id})
    assert errors_of(raised) == [("taxRate", "UNKNOWN_TAX_RULE")]


def test_update_with_a_stale_version_writes_nothing(user_a, draft_invoice):
    # given
    line = draft_invoice.line_items.get(code="L1")
    line_update(actor=user_a, line=line, changes={"quantity": "5"}, version=line.version)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        line_update(actor=user_a, line=line, changes={"quantity": "6"}, version=line.version)
    assert errors_of(raised) == [("version", "STALE_VERSION")]


def test_remove_with_a_stale_version_writes_nothing(user_a, draft_invoice):
    # given
    line = draft_invoice.line_items.get(code="L1")

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        line_remove(actor=user_a, line=line, version=line.version + 1)
    assert errors_of(raised) == [("version", "STALE_VERSION")]


def test_lines_of_a_validated_invoice_are_read_only(user_a, validated_invoice):
    # given
    line = validated_invoice.line_items.get(code="L1")

    # when / then
    for call in (
        lambda: line_add(actor=user_a, invoice=validated_invoice, data={"unit_price": "1"}),
        lambda: line_update(actor=user_a, line=line, changes={"quantity": "9"}),
        lambda: line_remove(actor=user_a, line=line),
    ):
        with nothing_written(), pytest.raises(DomainError) as raised:
            call()
        assert errors_of(raised) == [("status", "NOT_EDITABLE")]


def test_a_line_references_an_order_of_the_organisation(user_a, empty_draft, billing_refs):
    # when
    line = line_add(actor=user_a, invoice=empty_draft, data={"line_type": "order", "line_id": billing_refs.order_a.pk})

    # then
    line = InvoiceLineItem.objects.get(pk=line.pk)
    assert line.line == billing_refs.order_a


@pytest.mark.parametrize(
    ("make_data", "expected"),
    [
        (lambda refs: {"line_type": "order", "line_id": refs.order_b.pk}, [("lineId", "NOT_FOUND")]),
        (lambda refs: {"line_type": "order", "line_id": UNKNOWN_RULE}, [("lineId", "NOT_FOUND")]),
        (lambda refs: {"line_type": "order", "line_id": None}, [("lineId", "NOT_FOUND")]),
        (lambda refs: {"line_type": "operator", "line_id": refs.operator_a.pk}, [("lineType", "UNKNOWN_PICKER_TYPE")]),
    ],
    ids=["other-organisations-order", "unknown-order", "missing-id", "operator-is-not-a-line"],
)
def test_a_line_reference_outside_the_organisation_writes_nothing(user_a, draft_invoice, billing_refs, make_data,
                                                                  expected):
    # given
    line = draft_invoice.line_items.get(code="L1")

    # when / then
    for call in (
        lambda: line_add(actor=user_a, invoice=draft_invoice, data=make_data(billing_refs)),
        lambda: line_update(actor=user_a, line=line, changes=make_data(billing_refs)),
    ):
        with nothing_written(), pytest.raises(DomainError) as raised:
            call()
        assert errors_of(raised) == expected


def test_default_rule_is_vat_20(user_a, empty_draft):
    # when
    line = line_add(actor=user_a, invoice=empty_draft, data={})

    # then
    assert (line.quantity, line.unit_price, line.tax_rate, line.amount_total) == (D("1"), D("0"), FR_VAT_20.id, D("0.00"))


def test_trailing_zeros_beyond_the_column_precision_are_fine(user_a, empty_draft):
    # when
    line = line_add(actor=user_a, invoice=empty_draft, data={"unit_price": "12.500000", "quantity": "2.00000"})

    # then
    line.refresh_from_db()
    assert (line.unit_price, line.quantity, line.amount_net) == (D("12.5"), D("2"), D("25.00"))
