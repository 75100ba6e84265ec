"""The daily overdue run: one definition (invoice.selectors.is_overdue / overdue_q), recorded once
per invoice and overdue spell (overdue_since, a WARNING event, VALIDATED → UNPAID), and the
"invoice overdue" hooks told once, after commit."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from invoice import hooks
from invoice.constants import EventType, InvoiceStatus
from invoice.models import Invoice, InvoiceEvent
from invoice.selectors import is_overdue, overdue_invoices, today
from invoice.services.invoices import invoice_transition
from invoice.services.overdue import flag_overdue_invoices
from invoice.services.payments import payment_record
from tests.invoice.helpers import make_validated


@pytest.fixture
def heard():
    calls = []

    def hook(invoice, *, since):
        calls.append((invoice.pk, since))

    hooks.on_invoice_overdue(hook)
    yield calls
    hooks._invoice_overdue_hooks.remove(hook)


@pytest.fixture
def due_today(user_a, org_a) -> Invoice:
    invoice = make_validated(actor=user_a, organization=org_a, date_due=today())
    assert invoice.date_due == today()
    return invoice


def run(day, django_capture_on_commit_callbacks) -> dict:
    with django_capture_on_commit_callbacks(execute=True):
        return flag_overdue_invoices(on=day)


def warnings(invoice) -> list[str]:
    return list(InvoiceEvent.objects.filter(invoice=invoice, event_type=EventType.WARNING)
                .values_list("message", flat=True))


def test_an_invoice_is_flagged_once_and_the_hook_told_once(due_today, heard, django_capture_on_commit_callbacks):
    # given: due today, so overdue from tomorrow
    tomorrow = today() + timedelta(days=1)
    assert run(today(), django_capture_on_commit_callbacks) == {"flagged": 0, "cleared": 0}

    # when the run of tomorrow, then of the day after
    first = run(tomorrow, django_capture_on_commit_callbacks)
    second = run(tomorrow + timedelta(days=1), django_capture_on_commit_callbacks)

    # then
    invoice = Invoice.objects.get(pk=due_today.pk)
    assert (first, second) == ({"flagged": 1, "cleared": 0}, {"flagged": 0, "cleared": 0})
    assert heard == [(invoice.pk, tomorrow)]
    assert (invoice.overdue_since, invoice.status) == (tomorrow, InvoiceStatus.UNPAID)
    assert warnings(invoice) == [f"overdue since {tomorrow:%d/%m/%Y}: 289.50 EUR due on {today():%d/%m/%Y}"]
    assert InvoiceEvent.objects.filter(invoice=invoice, event_type=EventType.STATUS,
                                       message="status validated → unpaid: overdue").count() == 1
    assert invoice.history.first().history_change_reason == "invoice_mark_unpaid"


def test_the_hook_is_not_told_of_a_rolled_back_run(due_today, heard, django_capture_on_commit_callbacks):
    from invoice.services.overdue import invoice_mark_overdue

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invoice_mark_overdue(due_today.pk, on=today() + timedelta(days=1))
    assert heard == [] and len(callbacks) == 1  # scheduled on commit only


@pytest.mark.parametrize("case", ["paid", "suspended", "not yet due", "credit note", "draft"])
def test_what_is_never_overdue(case, user_a, org_a, due_today, heard, django_capture_on_commit_callbacks):
    from invoice.services.invoices import invoice_cancel
    from tests.invoice.helpers import make_draft

    invoice = due_today
    day = today() + timedelta(days=1)
    if case == "paid":
        payment_record(actor=user_a, invoice=invoice, data={"amount_payed": invoice.amount_total})
    elif case == "suspended":
        invoice_transition(actor=user_a, invoice=invoice, action="suspend")
    elif case == "not yet due":
        day = today()
    elif case == "credit note":
        _cancelled, invoice = invoice_cancel(actor=user_a, invoice=invoice)
    else:
        invoice = make_draft(actor=user_a, organization=org_a, date_due=today())
    invoice.refresh_from_db()
    assert not is_overdue(invoice, day) and invoice not in overdue_invoices(day)
    run(day, django_capture_on_commit_callbacks)
    assert Invoice.objects.get(pk=invoice.pk).overdue_since is None
    assert [pk for pk, _since in heard if pk == invoice.pk] == []


def test_a_payment_clears_the_flag_and_a_refund_starts_a_new_spell(user_a, due_today, heard,
                                                                     django_capture_on_commit_callbacks):
    from invoice.services.payments import payment_update

    day = today() + timedelta(days=1)
    run(day, django_capture_on_commit_callbacks)
    payment = payment_record(actor=user_a, invoice=due_today, data={"amount_payed": Decimal("289.50")})
    assert Invoice.objects.get(pk=due_today.pk).status == InvoiceStatus.PAID

    # when the next run sees it paid
    assert run(day + timedelta(days=1), django_capture_on_commit_callbacks) == {"flagged": 0, "cleared": 1}
    assert Invoice.objects.get(pk=due_today.pk).overdue_since is None

    # when the payment is refunded, it is overdue again: recorded and told again
    payment_update(actor=user_a, payment=payment, changes={"status": 2})  # REFUNDED, today: not yet past due
    assert Invoice.objects.get(pk=due_today.pk).status == InvoiceStatus.VALIDATED
    run(day + timedelta(days=2), django_capture_on_commit_callbacks)
    assert Invoice.objects.get(pk=due_today.pk).status == InvoiceStatus.UNPAID
    assert [since for _pk, since in heard] == [day, day]
    assert len(warnings(due_today)) == 2


def test_a_partly_paid_invoice_is_overdue_for_its_remainder(user_a, due_today, django_capture_on_commit_callbacks):
    payment_record(actor=user_a, invoice=due_today, data={"amount_payed": Decimal("89.50")})
    run(today() + timedelta(days=1), django_capture_on_commit_callbacks)
    assert warnings(due_today)[0].endswith(f"200.00 EUR due on {today():%d/%m/%Y}")


def test_the_staff_type_reads_the_same_definition(user_a, due_today, monkeypatch):
    from tests.helpers.graphql import data, post

    query = "{ invoice(overdue: true) { edges { node { code overdue amountDue overdueSince } } } }"
    assert data(post(query, user=user_a))["invoice"]["edges"] == []
    monkeypatch.setattr("invoice.selectors.today", lambda: today() + timedelta(days=3))
    assert data(post(query, user=user_a))["invoice"]["edges"] == [
        {"node": {"code": due_today.code, "overdue": True, "amountDue": "289.50", "overdueSince": None}}]


def test_the_command_and_the_daily_task(due_today, django_capture_on_commit_callbacks):
    from invoice import tasks

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("flag_overdue", "--on", (today() + timedelta(days=5)).isoformat(), stdout=out)
    assert out.getvalue().strip() == "flagged 1, cleared 0"
    assert tasks.flag_overdue_invoices.name == "invoice.flag_overdue_invoices"
    entry = settings.CELERY_BEAT_SCHEDULE["flag-overdue-invoices"]
    assert entry["task"] == "invoice.flag_overdue_invoices" and entry["schedule"].hour == {6}


def test_every_overdue_invoice_is_told_once_whatever_the_number_of_runs(user_a, org_a, user_b, org_b, heard,
                                                                         django_capture_on_commit_callbacks):
    # given: three invoices of two organisations due today
    invoices = [make_validated(actor=user_a, organization=org_a, date_due=today()),
                make_validated(actor=user_a, organization=org_a, date_due=today()),
                make_validated(actor=user_b, organization=org_b, date_due=today())]

    # when a week of daily runs
    for days in range(1, 8):
        run(today() + timedelta(days=days), django_capture_on_commit_callbacks)

    # then
    assert sorted(pk for pk, _since in heard) == sorted(invoice.pk for invoice in invoices)
    assert {since for _pk, since in heard} == {today() + timedelta(days=1)}
    assert all(len(warnings(invoice)) == 1 for invoice in invoices)
