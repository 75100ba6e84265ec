"""Delivery fixtures: local storage in a temporary folder and a created document of a validated
invoice (JSON: the quickest format to generate), made by the eager pipeline."""
from __future__ import annotations

import pytest

from invoice.constants import DocumentStatus
from invoice.models import InvoiceDocument
from invoice.services import documents


@pytest.fixture
def local_storage(settings, tmp_path):
    settings.STORAGE_BACKEND = "local"
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": tmp_path / "storage", "allow_overwrite": True}},
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    return tmp_path / "storage"


@pytest.fixture
def mailbox(settings):
    """Django's in-memory e-mail backend: django.core.mail.outbox."""
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def make_document(user_a, org_a, local_storage, django_capture_on_commit_callbacks):
    def make(invoice, fmt: str = "json") -> InvoiceDocument:
        with django_capture_on_commit_callbacks(execute=True):
            document = documents.document_request(actor=user_a, organization=org_a, invoice=invoice, fmt=fmt)
        document = InvoiceDocument.objects.get(pk=document.pk)
        assert document.status == DocumentStatus.CREATED, document.error_message
        return document

    return make


@pytest.fixture
def created_document(make_document, validated_invoice) -> InvoiceDocument:
    return make_document(validated_invoice)
