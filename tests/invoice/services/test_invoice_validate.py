"""invoice_validate: DRAFT → VALIDATED, gap-free number PREFIX-YYYY-NNNNNN taken last, event and
history; illegal transitions and empty drafts refused without consuming a number."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from invoice.constants import EventType, InvoiceStatus
from invoice.models import Invoice, InvoiceNumberSequence
from invoice.services import invoices as invoice_services
from invoice.services.invoices import invoice_cancel, invoice_delete, invoice_validate
from invoice.services.lines import line_remove
from tests.invoice.helpers import errors_of, make_draft, make_validated, nothing_written


def year() -> int:
    return timezone.localdate().year


def test_validate_assigns_the_first_number_and_records_event_and_history(user_a, org_a, draft_invoice):
    # when
    invoice = invoice_validate(actor=user_a, invoice=draft_invoice, version=draft_invoice.version)

    # then
    invoice.refresh_from_db()
    number = f"ORGA-{year()}-000001"
    assert invoice.status == InvoiceStatus.VALIDATED
    assert invoice.code == number
    assert invoice.payment_reference == number
    assert invoice.amount_total == Decimal("289.50")
    assert invoice.version == draft_invoice.version + 1
    assert InvoiceNumberSequence.objects.get(organization=org_a, year=year()).last_number == 1
    assert invoice.history.first().history_change_reason == "invoice_validate"
    status_events = list(invoice.events.filter(event_type=EventType.STATUS).order_by("date_created"))
    assert [(e.message, e.user) for e in status_events] == [
        ("draft created", user_a),
        (f"status draft → validated: number {number}", user_a),
    ]


def test_numbers_follow_each_other_per_organisation(user_a, user_b, org_a, org_b):
    # given
    drafts = [make_draft(actor=user_a, organization=org_a) for _ in range(2)]
    draft_b = make_draft(actor=user_b, organization=org_b)

    # when
    codes = [invoice_validate(actor=user_a, invoice=draft).code for draft in drafts]
    code_b = invoice_validate(actor=user_b, invoice=draft_b).code

    # then
    assert codes == [f"ORGA-{year()}-000001", f"ORGA-{year()}-000002"]
    assert code_b == f"ORGB-{year()}-000001"


def test_the_number_series_is_the_year_of_the_invoice_date(user_a, org_a):
    # given
    draft = make_draft(actor=user_a, organization=org_a, date_invoice=date(2024, 12, 31))

    # when
    invoice = invoice_validate(actor=user_a, invoice=draft)

    # then
    assert invoice.code == "ORGA-2024-000001"
    assert invoice.date_due == date(2024, 12, 31) + timedelta(days=30)
    assert InvoiceNumberSequence.objects.get(organization=org_a, year=2024).last_number == 1


def test_a_client_payment_reference_is_kept(user_a, org_a):
    # given
    draft = make_draft(actor=user_a, organization=org_a, payment_reference="VIR-123")

    # when
    invoice = invoice_validate(actor=user_a, invoice=draft)

    # then
    assert invoice.payment_reference == "VIR-123"


def test_validating_a_draft_without_lines_writes_nothing(user_a, empty_draft):
    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_validate(actor=user_a, invoice=empty_draft)
    assert errors_of(raised) == [("lineItems", "NO_LINES")]
    assert not InvoiceNumberSequence.objects.exists()


def test_removed_lines_do_not_count(user_a, org_a):
    # given
    draft = make_draft(actor=user_a, organization=org_a, lines=[{"unit_price": "10"}])
    line_remove(actor=user_a, line=draft.line_items.get())

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_validate(actor=user_a, invoice=draft)
    assert errors_of(raised) == [("lineItems", "NO_LINES")]


def _validated(user_a, org_a):
    return make_validated(actor=user_a, organization=org_a)


def _cancelled(user_a, org_a):
    return invoice_cancel(actor=user_a, invoice=_validated(user_a, org_a))[0]


def _credit_note(user_a, org_a):
    return invoice_cancel(actor=user_a, invoice=_validated(user_a, org_a))[1]


def _deleted(user_a, org_a):
    return invoice_delete(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a))


@pytest.mark.parametrize("build", [_validated, _cancelled, _credit_note, _deleted],
                         ids=["validated", "cancelled", "credit-note", "deleted"])
def test_only_a_draft_can_be_validated(user_a, org_a, build):
    # given
    invoice = build(user_a, org_a)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_validate(actor=user_a, invoice=invoice)
    assert errors_of(raised) == [("status", "ILLEGAL_TRANSITION")]


def test_validating_with_a_stale_version_writes_nothing(user_a, draft_invoice):
    # given
    stale = draft_invoice.version - 1

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_validate(actor=user_a, invoice=draft_invoice, version=stale)
    assert errors_of(raised) == [("version", "STALE_VERSION")]


def test_a_validation_failing_after_taking_its_number_gives_it_back(user_a, org_a, draft_invoice, monkeypatch):
    # given: the status event, written after the number is taken, fails
    def broken_event(*args, **kwargs):
        raise RuntimeError("event store down")

    monkeypatch.setattr(invoice_services, "_status_event", broken_event)
    with nothing_written(), pytest.raises(RuntimeError):
        invoice_validate(actor=user_a, invoice=draft_invoice)
    monkeypatch.undo()

    # when
    invoice = invoice_validate(actor=user_a, invoice=draft_invoice)

    # then
    assert invoice.code == f"ORGA-{year()}-000001"


def test_a_validation_rolled_back_by_the_caller_gives_its_number_back(user_a, org_a, draft_invoice):
    # given
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        assert invoice_validate(actor=user_a, invoice=draft_invoice).code == f"ORGA-{year()}-000001"
        raise Rollback

    # when
    invoice = invoice_validate(actor=user_a, invoice=Invoice.objects.get(pk=draft_invoice.pk))

    # then
    assert invoice.code == f"ORGA-{year()}-000001"
    assert InvoiceNumberSequence.objects.get(organization=org_a, year=year()).last_number == 1
