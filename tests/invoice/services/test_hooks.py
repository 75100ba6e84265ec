"""invoice.hooks: other modules hear of status changes inside the changing transaction, with what
the change produced; a hook that raises undoes the change."""
from __future__ import annotations

import pytest

from invoice import hooks
from invoice.constants import DocumentType, InvoiceStatus
from invoice.models import Invoice
from invoice.services.invoices import invoice_cancel


@pytest.fixture
def heard():
    calls = []

    def hook(invoice, *, old, new, actor, **context):
        calls.append((invoice.code, old, new, actor.pk, sorted(context)))
        if context.get("credit_note") is not None and invoice.code == "explode":
            raise RuntimeError("hook failed")

    hooks.on_invoice_status_changed(hook)
    hooks.on_invoice_status_changed(hook)  # registered once
    yield calls
    hooks._invoice_status_hooks.remove(hook)


def test_a_cancellation_is_heard_once_with_its_credit_note(user_a, validated_invoice, heard):
    _, credit = invoice_cancel(actor=user_a, invoice=validated_invoice)
    assert heard == [(validated_invoice.code, InvoiceStatus.VALIDATED, InvoiceStatus.CANCELLED, user_a.pk,
                      ["credit_note"])]
    assert credit.document_type == DocumentType.CREDIT_NOTE


def test_a_hook_that_raises_undoes_the_change(user_a, validated_invoice, heard):
    Invoice.objects.filter(pk=validated_invoice.pk).update(code="explode")
    validated_invoice.refresh_from_db()
    with pytest.raises(RuntimeError):
        invoice_cancel(actor=user_a, invoice=validated_invoice)
    validated_invoice.refresh_from_db()
    assert validated_invoice.status == InvoiceStatus.VALIDATED
    assert not Invoice.objects.filter(related_invoice=validated_invoice).exists()


@pytest.fixture
def documents_heard(monkeypatch):
    from invoice.services import documents

    monkeypatch.setattr(documents, "enqueue_or_flag", lambda document_id: True)  # no broker, no eager run
    calls = []

    def hook(document, *, old, new):
        calls.append((document.format, old, new))

    hooks.on_document_status_changed(hook)
    yield calls
    hooks._document_status_hooks.remove(hook)


@pytest.fixture
def pending_document(user_a, org_a, validated_invoice, documents_heard, django_capture_on_commit_callbacks):
    from invoice.services import documents

    with django_capture_on_commit_callbacks(execute=True):
        document, created = documents.request_document(actor=user_a, organization=org_a, invoice=validated_invoice,
                                                       fmt="json")
    again, created_again = documents.request_document(actor=user_a, organization=org_a, invoice=validated_invoice,
                                                      fmt="json")
    assert (created, again.pk, created_again) == (True, document.pk, False)
    return document


def test_a_generated_document_is_heard_after_its_commit(pending_document, documents_heard,
                                                        django_capture_on_commit_callbacks):
    from invoice.services import documents

    with django_capture_on_commit_callbacks(execute=False) as scheduled:
        documents.document_generate(pending_document.pk)
    assert documents_heard == []  # not before the commit
    for callback in scheduled:
        callback()
    assert documents_heard == [("json", "pending", "created")]


def test_a_failed_document_is_heard_and_written_once(pending_document, documents_heard,
                                                     django_capture_on_commit_callbacks):
    from invoice.constants import EventType
    from invoice.models import InvoiceEvent
    from invoice.services import documents

    with django_capture_on_commit_callbacks(execute=True):
        documents.document_fail(pending_document.pk, code="RENDER_FAILED", message="boom")
        documents.document_fail(pending_document.pk, code="RENDER_FAILED", message="again")  # already failed
    assert documents_heard == [("json", "pending", "failed")]
    warnings = InvoiceEvent.objects.filter(invoice=pending_document.invoice, event_type=EventType.WARNING)
    assert [event.message for event in warnings] == [
        "json document could not be generated after 0 attempt(s): RENDER_FAILED — boom"]


def test_a_rolled_back_change_is_never_heard(pending_document, documents_heard, django_capture_on_commit_callbacks):
    from django.db import transaction

    from invoice.services import documents

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        documents.document_fail(pending_document.pk, code="X", message="y")
        raise RuntimeError("rollback")
    assert documents_heard == []
