"""invoice_validate refuses incoherent VAT (core.calculation.ensure_vat_coherence): the art. 293 B
franchise only for a franchisee and then on every line, no out-of-scope line beside taxed ones,
reverse charge without the buyer's VAT number. Refused without consuming a number or writing."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.calculation import FR_VAT_FRANCHISE
from core.errors import DomainError
from invoice.constants import InvoiceStatus
from invoice.models import InvoiceLineItem
from invoice.services.invoices import invoice_validate
from payment_module.models import Operator
from tests.invoice.helpers import errors_of, make_draft, nothing_written

TAXED = {"code": "L1", "description": "Avis de décès", "quantity": "1", "unit_price": "100.00",
         "tax_rate": "FR_VAT_20"}


def line(code: str, rule: str) -> dict:
    return {"code": code, "description": f"Ligne {code}", "quantity": "1", "unit_price": "10.00", "tax_rate": rule}


def test_the_franchise_beside_20_percent_is_refused_on_its_line(user_a, org_a):
    # given a non-franchisee organisation and a draft charging 20 % with a "293 B" line
    draft = make_draft(actor=user_a, organization=org_a, lines=(TAXED, line("L2", "FR_VAT_EXEMPT")))

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_validate(actor=user_a, invoice=draft)
    assert errors_of(raised) == [("lineItems.1.taxRate", "VAT_FRANCHISE_NOT_APPLICABLE")]


def test_a_franchisee_validates_lines_that_default_to_the_franchise(user_a, org_a):
    # given an organisation under the franchise: its new lines take the franchise rule
    org_a.vat_franchise = True
    org_a.save()
    draft = make_draft(actor=user_a, organization=org_a, lines=(
        {"code": "L1", "description": "Avis", "quantity": "2", "unit_price": "50.00"},))

    # when
    invoice = invoice_validate(actor=user_a, invoice=draft)

    # then
    assert InvoiceLineItem.objects.get(invoice=invoice).tax_rate == FR_VAT_FRANCHISE.id
    assert (invoice.status, invoice.amount_net, invoice.amount_total) == (
        InvoiceStatus.VALIDATED, Decimal("100.00"), Decimal("100.00"))
    assert invoice.tax_analysis["lines"][0]["exemption_reason"] == "TVA non applicable, art. 293 B du CGI"


def test_a_franchisee_charging_vat_is_refused(user_a, org_a):
    # given
    org_a.vat_franchise = True
    org_a.save()
    draft = make_draft(actor=user_a, organization=org_a, lines=(line("L1", "FR_VAT_EXEMPT"), TAXED))

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_validate(actor=user_a, invoice=draft)
    assert errors_of(raised) == [("lineItems.1.taxRate", "VAT_FRANCHISE_REQUIRED")]


def test_reverse_charge_without_the_buyers_vat_number_is_refused(user_a, org_a):
    # given a buyer without a VAT number, and the organisation with one
    org_a.vat_number = "FR40552100554"
    org_a.save()
    buyer = Operator.objects.create(organization=org_a, code="pf-be", name="PF Bruxelles", country_code="BE")
    draft = make_draft(actor=user_a, organization=org_a, lines=(line("L1", "FR_VAT_REVERSE_CHARGE"),),
                       thirdparty_type="operator", thirdparty_id=buyer.pk)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_validate(actor=user_a, invoice=draft)
    assert errors_of(raised) == [("thirdparty.vatNumber", "BUYER_VAT_NUMBER_REQUIRED")]

    # and with the buyer's VAT number it validates
    buyer.vat_number = "BE0477472701"
    buyer.save()
    assert invoice_validate(actor=user_a, invoice=draft).status == InvoiceStatus.VALIDATED


def test_debours_beside_taxed_lines_validate(user_a, org_a):
    # given
    draft = make_draft(actor=user_a, organization=org_a, lines=(TAXED, line("L2", "FR_VAT_DEBOURS")))

    # when
    invoice = invoice_validate(actor=user_a, invoice=draft)

    # then
    assert (invoice.amount_net, invoice.amount_total) == (Decimal("110.00"), Decimal("130.00"))
