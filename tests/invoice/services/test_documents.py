"""Document requests when the broker is unreachable, the reaper, and the task's retries (eager
mode: the broker and worker behaviour is in tests/integration/test_document_pipeline.py)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import OperationalError
from django.utils import timezone

from config import celery as celery_config
from core import metrics
from invoice import tasks
from invoice.constants import DocumentStatus, EventType
from invoice.models import InvoiceDocument, InvoiceEvent
from invoice.services import documents
from invoice.services.invoices import invoice_create, invoice_validate
from invoice.services.lines import line_add
from tests.invoice.helpers import buyer_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued_invoice(org_a, user_a):
    invoice = invoice_create(actor=user_a, organization=org_a, data=buyer_data(org_a))
    line_add(actor=user_a, invoice=invoice, data={"description": "Avis de décès", "quantity": Decimal(1),
                                                  "unit_price": Decimal("89.00")})
    return invoice_validate(actor=user_a, invoice=invoice)


@pytest.fixture
def broker(monkeypatch):
    """The broker as seen by documents.enqueue: up (records what was sent) or down (raises)."""
    state = SimpleNamespace(up=True, sent=[])

    def enqueue(document_id):
        if not state.up:
            raise ConnectionRefusedError(111, "Connection refused")
        state.sent.append(document_id)

    monkeypatch.setattr(documents, "enqueue", enqueue)
    return state


def request(user, org, invoice, django_capture_on_commit_callbacks, fmt="json"):
    with django_capture_on_commit_callbacks(execute=True):
        return documents.document_request(actor=user, organization=org, invoice=invoice, fmt=fmt)


def age(document, seconds: int) -> None:
    InvoiceDocument.objects.filter(pk=document.pk).update(date_updated=timezone.now() - timedelta(seconds=seconds))


def reload(document) -> InvoiceDocument:
    return InvoiceDocument.objects.get(pk=document.pk)


def test_request_while_the_broker_is_down_is_kept_and_flagged(user_a, org_a, issued_invoice, broker,
                                                              django_capture_on_commit_callbacks):
    # given
    broker.up = False
    before = metrics.value("molink_invoice_documents_enqueue_failed_total")
    # when
    document = request(user_a, org_a, issued_invoice, django_capture_on_commit_callbacks)
    # then: the request succeeded, its row waits for the reaper with the reason
    row = reload(document)
    assert row.status == DocumentStatus.PENDING and row.attempts == 0
    assert row.error_code == documents.ENQUEUE_FAILED and "Connection refused" in row.error_message
    assert metrics.value("molink_invoice_documents_enqueue_failed_total") == before + 1
    assert broker.sent == []


def test_reaper_resends_an_unsent_request_after_unsent_after_not_stuck_after(
        user_a, org_a, issued_invoice, broker, settings, django_capture_on_commit_callbacks):
    # given: a request whose enqueue failed 31 s ago, the broker back
    settings.INVOICE_DOCUMENT_UNSENT_AFTER, settings.INVOICE_DOCUMENT_STUCK_AFTER = 30, 900
    broker.up = False
    document = request(user_a, org_a, issued_invoice, django_capture_on_commit_callbacks)
    age(document, 31)
    broker.up = True
    # when
    counts = documents.reap_stuck_documents()
    # then: sent again, flag cleared, the row's clock restarted
    assert counts == {"requeued": 1, "failed": 0}
    assert broker.sent == [document.pk]
    row = reload(document)
    assert row.status == DocumentStatus.PENDING and row.error_code == ""
    assert timezone.now() - row.date_updated < timedelta(seconds=5)


def test_reaper_leaves_a_recent_unsent_request_and_a_queued_one_alone(
        user_a, org_a, issued_invoice, broker, settings, django_capture_on_commit_callbacks):
    # given: an unsent request 10 s old, and a sent one 600 s old (its message may still be queued)
    settings.INVOICE_DOCUMENT_UNSENT_AFTER, settings.INVOICE_DOCUMENT_STUCK_AFTER = 30, 900
    broker.up = False
    unsent = request(user_a, org_a, issued_invoice, django_capture_on_commit_callbacks, fmt="json")
    age(unsent, 10)
    broker.up = True
    queued = request(user_a, org_a, issued_invoice, django_capture_on_commit_callbacks, fmt="xml")
    age(queued, 600)
    broker.sent.clear()
    # when
    counts = documents.reap_stuck_documents()
    # then
    assert counts == {"requeued": 0, "failed": 0} and broker.sent == []
    assert reload(unsent).error_code == documents.ENQUEUE_FAILED


def test_reaper_with_the_broker_still_down_keeps_the_row_flagged(
        user_a, org_a, issued_invoice, broker, settings, django_capture_on_commit_callbacks):
    # given
    settings.INVOICE_DOCUMENT_UNSENT_AFTER = 30
    broker.up = False
    document = request(user_a, org_a, issued_invoice, django_capture_on_commit_callbacks)
    age(document, 31)
    # when
    counts = documents.reap_stuck_documents()
    # then: not counted as re-sent, still flagged for the next round
    assert counts == {"requeued": 0, "failed": 0}
    row = reload(document)
    assert row.status == DocumentStatus.PENDING and row.error_code == documents.ENQUEUE_FAILED


def test_reaper_resends_a_stuck_row_and_fails_one_out_of_runs(
        user_a, org_a, issued_invoice, broker, settings, django_capture_on_commit_callbacks):
    # given: two rows pending past STUCK_AFTER, one with runs left, one at the limit
    settings.INVOICE_DOCUMENT_STUCK_AFTER, settings.INVOICE_DOCUMENT_MAX_RUNS = 900, 3
    stuck = request(user_a, org_a, issued_invoice, django_capture_on_commit_callbacks, fmt="json")
    spent = request(user_a, org_a, issued_invoice, django_capture_on_commit_callbacks, fmt="xml")
    InvoiceDocument.objects.filter(pk=spent.pk).update(attempts=3)
    age(stuck, 901)
    age(spent, 901)
    broker.sent.clear()
    # when
    counts = documents.reap_stuck_documents()
    # then
    assert counts == {"requeued": 1, "failed": 1} and broker.sent == [stuck.pk]
    failed = reload(spent)
    assert failed.status == DocumentStatus.FAILED and failed.error_code == "STUCK"
    warnings = InvoiceEvent.objects.filter(invoice=issued_invoice, event_type=EventType.WARNING)
    assert [event.message[:40] for event in warnings] == ["xml document could not be generated afte"]


def test_task_retries_a_database_outage_then_fails_with_its_code(
        user_a, org_a, issued_invoice, broker, settings, monkeypatch, django_capture_on_commit_callbacks):
    # given: generation that always meets a database outage
    settings.INVOICE_DOCUMENT_MAX_RETRIES, settings.INVOICE_DOCUMENT_RETRY_BACKOFF = 2, 0
    document = request(user_a, org_a, issued_invoice, django_capture_on_commit_callbacks)
    runs = []

    def generate(document_id):
        runs.append(document_id)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(documents, "document_generate", generate)
    # when: the task runs in-process (eager), retries included
    tasks.generate_document.apply(args=[str(document.pk)])
    # then: 1 run + 2 retries, then failed with the transient error's code
    assert len(runs) == 3
    row = reload(document)
    assert row.status == DocumentStatus.FAILED
    assert row.error_code == "DATABASE_UNAVAILABLE" and "server closed the connection" in row.error_message


@pytest.mark.parametrize(("exc", "code"), [
    (tasks.StorageUnavailable("ConnectTimeoutError while storing k"), "STORAGE_UNAVAILABLE"),
    (ConnectionResetError(104, "reset"), "NETWORK_ERROR"),
    (TimeoutError("read timed out"), "TIMEOUT"),
    (OperationalError("could not connect"), "DATABASE_UNAVAILABLE"),
])
def test_each_transient_error_has_its_code(exc, code):
    assert tasks._retry_code(exc) == code


def test_worker_checks_its_kept_connection_around_broker_tasks_only(monkeypatch):
    # given
    calls = []
    monkeypatch.setattr("django.db.close_old_connections", lambda: calls.append("checked"))
    # when: a task from the broker, then an eager one (inside its caller's transaction)
    celery_config._check_database_connection(task=SimpleNamespace(request=SimpleNamespace(is_eager=False)))
    celery_config._check_database_connection(task=SimpleNamespace(request=SimpleNamespace(is_eager=True)))
    # then
    assert calls == ["checked"]
