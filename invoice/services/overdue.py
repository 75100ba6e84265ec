"""The daily overdue run: invoices past due get a status, a date and one event, and the
"invoice overdue" hooks (invoice.hooks) — the delivery module's reminder — are told once.

What "overdue" means is invoice.selectors.overdue_q / is_overdue (validated or unpaid, an unpaid
remainder, due date before today); this module only records it:
- an overdue invoice not yet flagged gets `overdue_since` (the day after its due date), a WARNING
  event, VALIDATED → UNPAID through the transition table (its STATUS event and status hooks), and
  the overdue hooks after commit;
- a flagged invoice that is no longer overdue (paid, cancelled, suspended) loses `overdue_since`,
  so that a later overdue spell (a refunded payment) is recorded and told again.
Each invoice changes in its own transaction, locked: two runs at once flag it once.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from django.db import transaction

from core.history import save_with_history
from invoice import hooks
from invoice.constants import EventType, InvoiceStatus
from invoice.models import Invoice
from invoice.selectors import (
    amount_due,
    invoice_lock,
    is_overdue,
    overdue_invoices,
    overdue_q,
    today,
)
from invoice.services.events import event_record
from invoice.services.invoices import invoice_transition

logger = logging.getLogger("molink.overdue")


def flag_overdue_invoices(*, on: date | None = None) -> dict:
    """{"flagged": n, "cleared": m} for the run of day `on` (default today)."""
    on = on or today()
    flagged = cleared = 0
    for pk in list(overdue_invoices(on).filter(overdue_since__isnull=True).values_list("pk", flat=True)):
        flagged += invoice_mark_overdue(pk, on=on)
    stale = Invoice.objects.filter(overdue_since__isnull=False).exclude(overdue_q(on)).values_list("pk", flat=True)
    for pk in list(stale):
        cleared += invoice_clear_overdue(pk, on=on)
    if flagged or cleared:
        logger.info("overdue run of %s: %d flagged, %d cleared", on, flagged, cleared)
    return {"flagged": flagged, "cleared": cleared}


@transaction.atomic
def invoice_mark_overdue(pk, *, on: date) -> bool:
    invoice = invoice_lock(pk)
    if invoice.overdue_since is not None or not is_overdue(invoice, on):
        return False  # flagged meanwhile, or paid meanwhile
    since = invoice.date_due + timedelta(days=1)
    invoice.overdue_since = since
    save_with_history(invoice, actor=None, reason="invoice_overdue")
    event_record(invoice=invoice, event_type=EventType.WARNING, reason="invoice_overdue",
                 message=f"overdue since {since:%d/%m/%Y}: {amount_due(invoice)} {invoice.currency_code} "
                         f"due on {invoice.date_due:%d/%m/%Y}")
    if invoice.status == InvoiceStatus.VALIDATED:
        invoice = invoice_transition(actor=None, invoice=invoice, action="mark_unpaid", note="overdue")
    hooks.invoice_overdue(invoice, since=since)
    return True


@transaction.atomic
def invoice_clear_overdue(pk, *, on: date) -> bool:
    invoice = invoice_lock(pk)
    if invoice.overdue_since is None or is_overdue(invoice, on):
        return False
    invoice.overdue_since = None
    save_with_history(invoice, actor=None, reason="invoice_overdue_cleared")
    return True
