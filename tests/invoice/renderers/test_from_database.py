"""The renderers on a snapshot built by invoice.selectors.document_snapshot from real rows."""
from __future__ import annotations

import io
import json

import facturx
import pytest

from invoice.renderers import render
from invoice.selectors import document_snapshot
from invoice.services.invoices import invoice_cancel


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pdf", "json", "xml", "facturx"])
def test_every_format_renders_a_validated_invoice(validated_invoice, fmt):
    rendered = render(fmt, document_snapshot(validated_invoice.pk))
    assert rendered.content
    if fmt == "json":
        assert json.loads(rendered.content)["number"] == validated_invoice.code
    if fmt == "facturx":
        _, xml_bytes = facturx.get_facturx_xml_from_pdf(io.BytesIO(rendered.content))
        assert facturx.xml_check_xsd(xml_bytes, flavor="factur-x", level="en16931")


@pytest.mark.django_db
def test_credit_note_from_cancel_renders_as_381(user_a, validated_invoice):
    _, credit = invoice_cancel(actor=user_a, invoice=validated_invoice)
    content = render("xml", document_snapshot(credit.pk)).content
    assert b"<ram:TypeCode>381</ram:TypeCode>" in content
    assert validated_invoice.code.encode() in content


@pytest.mark.django_db
def test_the_organisations_legal_settings_reach_the_snapshot(user_a, org_a, validated_invoice):
    # given
    from decimal import Decimal

    org_a.operation_category, org_a.vat_on_debits = "mixed", True
    org_a.share_capital, org_a.trade_register = Decimal("37000.00"), "RCS Dijon 732 829 320"
    org_a.save()

    # when
    snapshot = document_snapshot(validated_invoice.pk)

    # then
    assert (snapshot.operation_category, snapshot.vat_on_debits) == ("mixed", True)
    assert (snapshot.seller.share_capital, snapshot.seller.trade_register) == (Decimal("37000.00"),
                                                                               "RCS Dijon 732 829 320")
    assert (snapshot.buyer.share_capital, snapshot.buyer.trade_register) == (None, "")
    xml = render("xml", snapshot).content.decode()
    assert "<ram:ID>M1</ram:ID>" in xml and "<ram:DueDateTypeCode>5</ram:DueDateTypeCode>" in xml
    assert "RCS Dijon 732 829 320" in xml
