"""invoice_delete: soft delete of drafts only (is_deleted, status DELETED); issued invoices are
cancelled by a credit note instead."""
from __future__ import annotations

import pytest

from core.errors import DomainError
from invoice.constants import EventType, InvoiceStatus
from invoice.models import Invoice
from invoice.selectors import invoice_list
from invoice.services.invoices import invoice_cancel, invoice_delete
from invoice.services.payments import payment_record
from tests.invoice.helpers import (
    DEFAULT_TOTAL,
    errors_of,
    make_validated,
    nothing_written,
)


def test_delete_is_soft_and_records_event_and_history(user_a, org_a, draft_invoice):
    # when
    invoice = invoice_delete(actor=user_a, invoice=draft_invoice, version=draft_invoice.version)

    # then
    invoice = Invoice.objects.get(pk=draft_invoice.pk)
    assert invoice.is_deleted is True
    assert invoice.status == InvoiceStatus.DELETED
    assert invoice.version == draft_invoice.version + 1
    assert invoice.line_items.count() == 2
    assert invoice.history.first().history_change_reason == "invoice_delete"
    assert invoice.events.filter(event_type=EventType.STATUS).order_by("-date_created").first().message == (
        "status draft → deleted"
    )
    assert list(invoice_list(org_a)) == []
    assert list(invoice_list(org_a, include_deleted=True)) == [invoice]


def test_an_empty_draft_can_be_deleted(user_a, empty_draft):
    # when
    invoice = invoice_delete(actor=user_a, invoice=empty_draft)

    # then
    assert (invoice.status, invoice.is_deleted) == (InvoiceStatus.DELETED, True)


def _validated(user_a, org_a):
    return make_validated(actor=user_a, organization=org_a)


def _paid(user_a, org_a):
    invoice = _validated(user_a, org_a)
    payment_record(actor=user_a, invoice=invoice, data={"amount_payed": DEFAULT_TOTAL})
    return Invoice.objects.get(pk=invoice.pk)


def _cancelled(user_a, org_a):
    return invoice_cancel(actor=user_a, invoice=_validated(user_a, org_a))[0]


def _credit_note(user_a, org_a):
    return invoice_cancel(actor=user_a, invoice=_validated(user_a, org_a))[1]


@pytest.mark.parametrize("build", [_validated, _paid, _cancelled, _credit_note],
                         ids=["validated", "paid", "cancelled", "credit-note"])
def test_only_drafts_can_be_deleted(user_a, org_a, build):
    # given
    invoice = build(user_a, org_a)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_delete(actor=user_a, invoice=invoice)
    assert errors_of(raised) == [("status", "NOT_DELETABLE")]


def test_delete_twice_is_refused(user_a, draft_invoice):
    # given
    invoice_delete(actor=user_a, invoice=draft_invoice)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_delete(actor=user_a, invoice=draft_invoice)
    assert errors_of(raised) == [("status", "NOT_DELETABLE")]


def test_delete_with_a_stale_version_writes_nothing(user_a, draft_invoice):
    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_delete(actor=user_a, invoice=draft_invoice, version=draft_invoice.version - 1)
    assert errors_of(raised) == [("version", "STALE_VERSION")]
