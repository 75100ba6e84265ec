"""core.history's bulk writers record what save_with_history records: the row, the audit columns,
one history row per object with the actor, the reason and the type (+ created, ~ changed), and a
bumped version on change."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.history import (
    bulk_create_with_history,
    bulk_update_with_history,
    history_versions,
)
from invoice.constants import EventType
from invoice.models import InvoiceEvent
from invoice.services.invoices import invoice_create

pytestmark = pytest.mark.django_db


def test_bulk_create_then_update_with_history(org_a, user_a):
    # given
    invoice = invoice_create(actor=user_a, organization=org_a, data={})
    events = [InvoiceEvent(invoice=invoice, event_type=EventType.MESSAGE, message=f"message {n}", user=user_a,
                           json_ext={"n": n}) for n in range(3)]
    # when
    bulk_create_with_history(InvoiceEvent, events, actor=user_a, reason="bulk_test")
    for event in events:
        event.message = "changed"
    bulk_update_with_history(InvoiceEvent, events, fields=["message"], actor=user_a, reason="bulk_change")
    # then
    stored = InvoiceEvent.objects.filter(pk__in=[event.pk for event in events]).order_by("json_ext__n")
    assert [(e.message, e.version, e.user_created, e.user_updated, e.json_ext) for e in stored] == [
        ("changed", 2, user_a, user_a, {"n": n}) for n in range(3)]
    assert all(e.date_created is not None for e in stored)
    versions = history_versions(stored[0])
    assert [(v.history_type, v.user, v.reason) for v in versions] == [("+", user_a, "bulk_test"),
                                                                      ("~", user_a, "bulk_change")]
    assert [(c.field, c.old, c.new) for c in versions[1].changes] == [("message", "message 0", "changed")]
    assert invoice.amount_total == Decimal("0.00")
