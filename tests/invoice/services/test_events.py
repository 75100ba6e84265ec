"""Invoice events: every status change and payment leaves one; users add messages and may edit
only their own (history kept); other events are read-only."""
from __future__ import annotations

import pytest

from core.errors import DomainError
from core.history import history_versions
from invoice.constants import EventType, PaymentStatus
from invoice.models import InvoiceEvent
from invoice.services.events import event_message_create, event_message_update
from invoice.services.invoices import invoice_cancel, invoice_validate
from invoice.services.payments import payment_record, payment_update
from tests.invoice.helpers import DEFAULT_TOTAL, errors_of, nothing_written


def trail(invoice) -> list[tuple[int, str]]:
    return [(e.event_type, e.message) for e in InvoiceEvent.objects.filter(invoice=invoice).order_by("date_created", "id")]


def test_the_life_of_an_invoice_leaves_one_event_per_status_change_and_payment(user_a, draft_invoice):
    # when
    invoice = invoice_validate(actor=user_a, invoice=draft_invoice)
    payment = payment_record(actor=user_a, invoice=invoice, data={"amount_payed": DEFAULT_TOTAL})
    payment_update(actor=user_a, payment=payment, changes={"status": PaymentStatus.REFUNDED})
    payment_record(actor=user_a, invoice=invoice, data={"amount_payed": "1.00", "status": PaymentStatus.REJECTED})
    invoice, credit = invoice_cancel(actor=user_a, invoice=invoice)

    # then
    number = invoice.code
    assert trail(invoice) == [
        (EventType.STATUS, "draft created"),
        (EventType.STATUS, f"status draft → validated: number {number}"),
        (EventType.PAYMENT, "payment recorded: 289.50 EUR, accepted"),
        (EventType.STATUS, "status validated → paid: paid 289.50 of 289.50"),
        (EventType.PAYMENT, "payment updated: 289.50 EUR, refunded"),
        (EventType.STATUS, "status paid → validated: paid 0.00 of 289.50"),
        (EventType.PAYMENT_ERROR, "payment recorded: 1.00 EUR, rejected"),
        (EventType.STATUS, f"status validated → cancelled: credit note {credit.code}"),
    ]
    assert trail(credit) == [(EventType.STATUS, f"credit note {credit.code} issued for invoice {number}")]
    assert set(InvoiceEvent.objects.filter(invoice__in=[invoice, credit]).values_list("user", flat=True)) == {user_a.pk}
    assert all(event.history.count() == 1 for event in InvoiceEvent.objects.all())


def test_a_user_adds_a_message(user_a, draft_invoice):
    # when
    event = event_message_create(actor=user_a, invoice=draft_invoice, message="  Relancé par téléphone  ")

    # then
    event.refresh_from_db()
    assert (event.event_type, event.message, event.user, event.version) == (
        EventType.MESSAGE, "Relancé par téléphone", user_a, 1
    )
    assert [(h.history_type, h.history_change_reason) for h in event.history.all()] == [("+", "event_message_create")]


@pytest.mark.parametrize(
    ("message", "expected"),
    [("", [("message", "REQUIRED")]), ("   ", [("message", "REQUIRED")]), (None, [("message", "REQUIRED")]),
     ("m" * 4001, [("message", "TOO_LONG")])],
    ids=["empty", "blank", "none", "too-long"],
)
def test_a_bad_message_writes_nothing(user_a, draft_invoice, message, expected):
    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        event_message_create(actor=user_a, invoice=draft_invoice, message=message)
    assert errors_of(raised) == expected


def test_a_user_edits_their_own_message_and_history_keeps_the_old_text(user_a, draft_invoice):
    # given
    event = event_message_create(actor=user_a, invoice=draft_invoice, message="Relance le 3")

    # when
    edited = event_message_update(actor=user_a, event=event, message="Relance le 4", version=event.version)

    # then
    edited.refresh_from_db()
    assert (edited.message, edited.version, edited.user) == ("Relance le 4", 2, user_a)
    assert [h.message for h in edited.history.order_by("history_date")] == ["Relance le 3", "Relance le 4"]
    changes = history_versions(edited)[-1]
    assert (changes.reason, changes.user) == ("event_message_update", user_a)
    assert [(c.field, c.old, c.new) for c in changes.changes] == [("message", "Relance le 3", "Relance le 4")]


def test_another_users_message_cannot_be_edited(user_a, org_a, member_of, draft_invoice):
    # given
    colleague = member_of(org_a)
    event = event_message_create(actor=colleague, invoice=draft_invoice, message="Vu avec le client")

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        event_message_update(actor=user_a, event=event, message="Pas vu")
    assert errors_of(raised) == [("id", "NOT_OWN_MESSAGE")]


@pytest.mark.parametrize("event_type", [EventType.STATUS, EventType.PAYMENT, EventType.PAYMENT_ERROR])
def test_events_other_than_messages_are_read_only(user_a, validated_invoice, event_type):
    # given
    if event_type != EventType.STATUS:
        status = PaymentStatus.ACCEPTED if event_type == EventType.PAYMENT else PaymentStatus.REJECTED
        payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "1", "status": status})
    event = InvoiceEvent.objects.filter(invoice=validated_invoice, event_type=event_type).first()
    assert event.user == user_a

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        event_message_update(actor=user_a, event=event, message="rewritten")
    assert errors_of(raised) == [("eventType", "NOT_A_MESSAGE")]


def test_editing_with_a_stale_version_writes_nothing(user_a, draft_invoice):
    # given
    event = event_message_create(actor=user_a, invoice=draft_invoice, message="v1")
    event_message_update(actor=user_a, event=event, message="v2", version=1)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        event_message_update(actor=user_a, event=event, message="v3", version=1)
    assert errors_of(raised) == [("version", "STALE_VERSION")]
    assert InvoiceEvent.objects.get(pk=event.pk).message == "v2"


@pytest.mark.parametrize(("message", "expected"), [("   ", [("message", "REQUIRED")]), ("m" * 4001, [("message", "TOO_LONG")])],
                         ids=["blank", "too-long"])
def test_a_bad_edit_writes_nothing(user_a, draft_invoice, message, expected):
    # given
    event = event_message_create(actor=user_a, invoice=draft_invoice, message="v1")

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        event_message_update(actor=user_a, event=event, message=message)
    assert errors_of(raised) == expected
