"""The generation pipeline proves XML and Factur-X files against the schematrons before storing
them: a fatal assert fails the document with SCHEMATRON_INVALID at once (no retry) and stores
nothing (eager mode; the real worker is in tests/integration/test_document_pipeline.py)."""
from __future__ import annotations

import pytest
from lxml import etree

from invoice import storage
from invoice.constants import DocumentStatus, EventType
from invoice.models import InvoiceDocument, InvoiceEvent
from invoice.renderers import xml as xml_renderer
from invoice.services import documents
from tests.invoice.renderers.snapshots import make_snapshot

pytestmark = pytest.mark.django_db


def xsd_valid_without_buyer_name() -> bytes:
    """A CII that the XSD accepts (the buyer's name is optional there) and BR-07 refuses."""
    root = xml_renderer.build(make_snapshot())
    name = root.find(".//ram:BuyerTradeParty/ram:Name", xml_renderer.NS)
    name.getparent().remove(name)
    xml_renderer.validate(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.fixture
def local_storage(settings, tmp_path):
    settings.STORAGE_BACKEND = "local"
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": tmp_path, "allow_overwrite": True}},
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    return tmp_path


@pytest.mark.parametrize("fmt", ["xml", "facturx"])
def test_a_fatal_schematron_assert_fails_the_document_and_stores_nothing(
        fmt, user_a, org_a, validated_invoice, local_storage, monkeypatch, django_capture_on_commit_callbacks):
    # given: the XML renderer (also the one Factur-X embeds) yields an XSD-valid CII without buyer name
    bad = xsd_valid_without_buyer_name()
    monkeypatch.setattr(xml_renderer, "render", lambda snapshot: bad)
    stored = []
    monkeypatch.setattr(storage, "store", lambda *args, **kwargs: stored.append(args) or "url")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        document = documents.document_request(actor=user_a, organization=org_a, invoice=validated_invoice, fmt=fmt)
    # then
    document = InvoiceDocument.objects.get(pk=document.pk)
    assert document.status == DocumentStatus.FAILED
    assert document.error_code == "SCHEMATRON_INVALID"
    assert "BR-07" in document.error_message.split(": ", 1)[0].split(", ")
    assert document.attempts == 1  # terminal: not retried
    assert (document.url, document.storage_key, document.checksum, document.size) == (None, "", "", None)
    assert stored == [] and list(local_storage.iterdir()) == []
    warning = InvoiceEvent.objects.get(invoice=validated_invoice, event_type=EventType.WARNING)
    assert "SCHEMATRON_INVALID" in warning.message
