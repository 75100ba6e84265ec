"""The renderers on a snapshot built by invoice.selectors.document_snapshot from real rows."""
from __future__ import annotations

import io
import json

import facturx
import pytest

from invoice.renderers import render
from invoice.selectors import document_snapshot
from invoice.services.invoices import invoice_cancel
from tests.helpers.parties import make_conformant_invoice


@pytest.fixture
def validated_invoice(user_a, org_a):
    """An issued invoice whose seller and buyer are complete: its XML and Factur-X are proved
    against the schematrons on the way out."""
    return make_conformant_invoice(actor=user_a, organization=org_a)


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
