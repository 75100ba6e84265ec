"""Invoice services under real concurrency, on PostgreSQL: gap-free numbering, payments on one
invoice, optimistic versions, numbers given back on rollback. Each thread has its own connection
(closed at its end); a Barrier releases them together."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.errors import DomainError
from invoice.constants import EventType, InvoiceStatus
from invoice.models import Invoice, InvoiceEvent, InvoiceNumberSequence, InvoicePayment
from invoice.services import invoices as invoice_services
from invoice.services.invoices import invoice_update, invoice_validate
from invoice.services.payments import payment_record
from tests.helpers.concurrency import run_together
from tests.invoice.helpers import DEFAULT_TOTAL, make_draft

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql():
    assert connection.vendor == "postgresql"


def year() -> int:
    return timezone.localdate().year


PARALLEL_VALIDATIONS = 50


def test_parallel_validations_get_consecutive_numbers_without_gaps(user_a, org_a):
    # given
    drafts = [make_draft(actor=user_a, organization=org_a) for _ in range(PARALLEL_VALIDATIONS)]

    # when
    results = run_together(PARALLEL_VALIDATIONS, lambda index: invoice_validate(actor=user_a, invoice=drafts[index]).code)

    # then
    assert [status for status, _ in results] == ["ok"] * PARALLEL_VALIDATIONS, results
    prefix = f"ORGA-{year()}-"
    codes = [code for _, code in results]
    assert all(code.startswith(prefix) for code in codes)
    assert sorted(int(code[len(prefix):]) for code in codes) == list(range(1, PARALLEL_VALIDATIONS + 1))
    assert InvoiceNumberSequence.objects.get(organization=org_a, year=year()).last_number == PARALLEL_VALIDATIONS
    stored = Invoice.objects.filter(organization=org_a, status=InvoiceStatus.VALIDATED)
    assert sorted(stored.values_list("code", flat=True)) == [
        f"{prefix}{n:06d}" for n in range(1, PARALLEL_VALIDATIONS + 1)]


def test_parallel_payments_total_exactly_and_mark_the_invoice_paid_once(user_a, org_a):
    # given: DEFAULT_TOTAL (289.50) in 10 uneven payments, cents included
    invoice = invoice_validate(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a))
    amounts = [Decimal(amount) for amount in ("12.34", "45.67", "8.90", "33.33", "21.01", "50.00", "0.05", "19.99", "60.00")]
    amounts.append(DEFAULT_TOTAL - sum(amounts))
    assert sum(amounts) == DEFAULT_TOTAL

    # when
    results = run_together(len(amounts), lambda index: payment_record(
        actor=user_a, invoice=invoice, data={"amount_payed": amounts[index]}))

    # then: every payment recorded, the total exact to the cent, PAID once
    assert [status for status, _ in results] == ["ok"] * len(amounts), results
    invoice.refresh_from_db()
    assert sorted(InvoicePayment.objects.filter(invoice=invoice).values_list("amount_payed", flat=True)) == sorted(amounts)
    assert (invoice.status, invoice.amount_payed) == (InvoiceStatus.PAID, DEFAULT_TOTAL)
    assert invoice.date_payed == timezone.localdate()
    to_paid = InvoiceEvent.objects.filter(invoice=invoice, event_type=EventType.STATUS, message__startswith="status validated → paid")
    assert to_paid.count() == 1
    assert InvoiceEvent.objects.filter(invoice=invoice, event_type=EventType.PAYMENT).count() == len(amounts)


def test_parallel_payments_on_many_invoices_keep_each_total_exact(user_a, org_a):
    # given: 5 invoices, 4 payments of a quarter each, all 20 at once
    invoices = [invoice_validate(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a)) for _ in range(5)]
    quarter = (DEFAULT_TOTAL / 4).quantize(Decimal("0.01"))
    amounts = [quarter, quarter, quarter, DEFAULT_TOTAL - 3 * quarter]

    # when
    results = run_together(20, lambda index: payment_record(
        actor=user_a, invoice=invoices[index % 5], data={"amount_payed": amounts[index // 5]}))

    # then
    assert [status for status, _ in results] == ["ok"] * 20, results
    for invoice in invoices:
        invoice.refresh_from_db()
        assert (invoice.status, invoice.amount_payed) == (InvoiceStatus.PAID, DEFAULT_TOTAL)
        assert InvoicePayment.objects.filter(invoice=invoice).count() == 4


def test_parallel_updates_with_the_same_version_let_exactly_one_win(user_a, org_a):
    # given
    draft = make_draft(actor=user_a, organization=org_a)
    version = draft.version

    # when
    results = run_together(5, lambda index: invoice_update(
        actor=user_a, invoice=draft, changes={"note": f"writer {index}"}, version=version
    ))

    # then
    winners = [index for index, (status, _) in enumerate(results) if status == "ok"]
    assert len(winners) == 1, results
    losers = [result for status, result in results if status == "error"]
    assert all(isinstance(error, DomainError) for error in losers), losers
    assert sorted((e.field, e.code.name) for error in losers for e in error.errors) == [("version", "STALE_VERSION")] * 4
    draft.refresh_from_db()
    assert draft.version == version + 1
    assert draft.note == f"writer {winners[0]}"
    assert draft.history.filter(history_change_reason="invoice_update").count() == 1


def test_a_validation_failing_after_numbering_gives_the_number_back(user_a, org_a, monkeypatch):
    # given: the status event, written after next_number, fails
    first, second = make_draft(actor=user_a, organization=org_a), make_draft(actor=user_a, organization=org_a)

    def broken_event(*args, **kwargs):
        raise RuntimeError("event store down")

    monkeypatch.setattr(invoice_services, "_status_event", broken_event)
    with pytest.raises(RuntimeError):
        invoice_validate(actor=user_a, invoice=first)
    monkeypatch.undo()
    assert Invoice.objects.get(pk=first.pk).status == InvoiceStatus.DRAFT

    # when
    validated = invoice_validate(actor=user_a, invoice=second)

    # then
    assert validated.code == f"ORGA-{year()}-000001"
    assert InvoiceNumberSequence.objects.get(organization=org_a, year=year()).last_number == 1


def test_a_rolled_back_validation_releases_its_number_to_a_waiting_one(user_a, org_a):
    # given: A takes number 1 in a transaction it will roll back; B queues on the sequence meanwhile
    first, second = make_draft(actor=user_a, organization=org_a), make_draft(actor=user_a, organization=org_a)
    taken = threading.Event()

    class Rollback(Exception):
        pass

    def work(index: int):
        if index == 0:
            with transaction.atomic():
                code = invoice_validate(actor=user_a, invoice=first).code
                taken.set()
                threading.Event().wait(0.5)  # B is now waiting on the sequence row
                raise Rollback(code)
        assert taken.wait(10)
        return invoice_validate(actor=user_a, invoice=second).code

    # when
    (status_a, result_a), (status_b, result_b) = run_together(2, work)

    # then
    assert (status_a, type(result_a), str(result_a)) == ("error", Rollback, f"ORGA-{year()}-000001")
    assert (status_b, result_b) == ("ok", f"ORGA-{year()}-000001")
    assert Invoice.objects.get(pk=first.pk).status == InvoiceStatus.DRAFT
    assert invoice_validate(actor=user_a, invoice=first).code == f"ORGA-{year()}-000002"
    assert InvoiceNumberSequence.objects.get(organization=org_a, year=year()).last_number == 2
