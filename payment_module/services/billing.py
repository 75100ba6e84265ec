"""Turn a period of an operator's orders into a validated invoice and request its document.

An order is billed at most once, even under concurrent requests: the operator row is locked for
the whole generation, so a second request for the same operator waits, then finds the orders
billed and answers with the document of the first (same period and format), or with a new
document of the same invoice (same period, another format, or after a failed document)."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, NotFound
from invoice import selectors
from invoice.constants import InvoiceStatus
from invoice.error_codes import InvoiceErrorCode
from invoice.models import Invoice, InvoiceDocument
from invoice.services import documents
from invoice.services.invoices import invoice_create, invoice_validate
from invoice.services.lines import lines_add_bulk
from payment_module.constants import OrderKind
from payment_module.error_codes import BillingErrorCode
from payment_module.models import Operator, Order, Tariff


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def ensure_period(start_date: date, end_date: date, *, allow_open_period: bool = False) -> None:
    """A billable period: ordered, ended (its last day is before today, unless `allow_open_period`)
    and at most settings.BILLING_MAX_PERIOD_MONTHS long. Checked before anything is locked or
    numbered."""
    if end_date < start_date:
        raise DomainError(BillingErrorCode.INVALID_PERIOD, f"end date {end_date:%d/%m/%Y} is before start date {start_date:%d/%m/%Y}", "end_date")
    months = settings.BILLING_MAX_PERIOD_MONTHS
    if end_date >= add_months(start_date, months):
        raise DomainError(BillingErrorCode.PERIOD_TOO_LONG,
                          f"the period {start_date:%d/%m/%Y}–{end_date:%d/%m/%Y} is longer than {months} months: "
                          f"it must end before {add_months(start_date, months):%d/%m/%Y}", "end_date")
    today = timezone.localdate()
    if end_date >= today and not allow_open_period:
        raise DomainError(BillingErrorCode.PERIOD_NOT_ENDED,
                          f"the period ends on {end_date:%d/%m/%Y}, which is not over (today is {today:%d/%m/%Y}): "
                          "orders may still come; send allow_open_period: true to bill it now", "end_date")


def unbilled_orders(organization, operator, start_date: date, end_date: date):
    return Order.objects.filter(
        organization=organization, operator=operator, is_deleted=False, invoice_line__isnull=True,
        ordered_at__date__gte=start_date, ordered_at__date__lte=end_date,
    ).order_by("ordered_at", "reference")


def tariff_for(tariffs: list[Tariff], kind: str, on: date) -> Tariff | None:
    """The tariff of `kind` valid on `on` (latest start wins; an empty start is "always")."""
    valid = [t for t in tariffs if t.order_kind == kind and (t.date_valid_from is None or t.date_valid_from <= on)
             and (t.date_valid_to is None or t.date_valid_to >= on)]
    return max(valid, key=lambda t: t.date_valid_from or date.min, default=None)


def _live_document(organization, operator, start_date, end_date, fmt):
    return selectors.live_period_document(organization, operator=operator, start_date=start_date,
                                          end_date=end_date, fmt=fmt, among=_order_invoices(organization, operator))


def _order_invoices(organization, operator):
    """The operator's invoices that bill orders: a hand-made invoice to the operator whose document
    carries the same period (generateInvoiceDocument) is not the period's billing."""
    return Invoice.objects.filter(organization=organization, line_items__billed_order__operator=operator).values("pk")


def _period_invoice(organization, operator, start_date, end_date) -> Invoice | None:
    return selectors.period_invoice(organization, operator=operator, start_date=start_date, end_date=end_date,
                                    among=_order_invoices(organization, operator))


def _replay(organization, idempotency_key, operator_id, start_date, end_date, fmt) -> InvoiceDocument | None:
    replay = selectors.document_by_idempotency_key(organization, idempotency_key)
    if replay is not None and (replay.operator_id, replay.start_date, replay.end_date, replay.format) != (
        operator_id, start_date, end_date, fmt
    ):
        raise DomainError(InvoiceErrorCode.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used for another request",
                          "Idempotency-Key")
    return replay


def generate_operator_invoice(**request) -> InvoiceDocument:
    """request_operator_invoice's document, for callers that need not know whether it is new."""
    return request_operator_invoice(**request)[0]


@transaction.atomic
def request_operator_invoice(*, actor, organization, operator: Operator, start_date: date, end_date: date,
                             fmt: str, idempotency_key: str | None = None,
                             allow_open_period: bool = False) -> tuple[InvoiceDocument, bool]:
    """(document, created) of an operator's period: the document of its invoice, billed now from
    its unbilled orders, or the existing one (a replay, another format, after a failed document)."""
    fmt = documents.ensure_format(fmt)
    ensure_period(start_date, end_date, allow_open_period=allow_open_period)
    replay = _replay(organization, idempotency_key, operator.pk, start_date, end_date, fmt)
    if replay is not None:
        return replay, False
    # Serialises billing per operator; another organisation's operator is NOT_FOUND.
    requested = operator.pk
    operator = Operator.objects.select_for_update().filter(pk=requested, organization=organization).first()
    if operator is None:
        raise NotFound("operator", requested, "operator_id")
    # A concurrent request with the same key may have committed while this one waited.
    replay = _replay(organization, idempotency_key, operator.pk, start_date, end_date, fmt)
    if replay is not None:
        return replay, False
    if not operator.is_active:
        raise DomainError(BillingErrorCode.OPERATOR_INACTIVE, f"operator {operator.code} is inactive", "operator_id")
    existing = _live_document(organization, operator, start_date, end_date, fmt)
    if existing is not None:
        return existing, False
    billed = _period_invoice(organization, operator, start_date, end_date)
    if billed is not None:
        # Same period in another format, or again after a failed document: the same invoice.
        return documents.request_document(
            actor=actor, organization=organization, invoice=billed, fmt=fmt, operator=operator,
            start_date=start_date, end_date=end_date, idempotency_key=idempotency_key,
        )
    orders = list(unbilled_orders(organization, operator, start_date, end_date))
    if not orders:
        raise DomainError(
            BillingErrorCode.NO_ORDERS,
            f"no unbilled orders for operator {operator.code} between {start_date:%d/%m/%Y} and {end_date:%d/%m/%Y}",
            "start_date",
        )
    # The operator is billed in its currency: only tariffs priced in it apply.
    tariffs = list(Tariff.objects.filter(organization=organization, is_deleted=False, currency_code=operator.currency_code,
                                         order_kind__in={order.kind for order in orders}))
    items = []
    for order in orders:
        # The order's day where the period is read (ordered_at__date: the server's time zone).
        ordered_on = timezone.localdate(order.ordered_at)
        tariff = tariff_for(tariffs, order.kind, ordered_on)
        if tariff is None:
            raise DomainError(BillingErrorCode.NO_TARIFF,
                              f"no tariff in {operator.currency_code} for {OrderKind(order.kind).label} valid on "
                              f"{ordered_on:%d/%m/%Y} (order {order.reference})",
                              "operator_id")
        free = order.amount_override is not None and order.amount_override == 0
        items.append({
            "code": order.reference,
            "description": order.description or OrderKind(order.kind).label,
            "quantity": order.quantity,
            # An order agreed free is the tariff's price fully discounted: an invoice line has a price.
            "unit_price": order.amount_override if order.amount_override is not None and not free else tariff.unit_price,
            "discount": 1 if free else 0,
            "tax_rate": tariff.tax_rule,
            "ledger_account": tariff.ledger_account,
            "line_type": "order",
            "line_id": str(order.pk),
            "date_valid_from": ordered_on,
            "date_valid_to": ordered_on,
        })
    issued_on = timezone.localdate()
    invoice = invoice_create(actor=actor, organization=organization, data={
        "subject_type": "operator", "subject_id": str(operator.pk),
        "thirdparty_type": "operator", "thirdparty_id": str(operator.pk),
        "date_valid_from": start_date, "date_valid_to": end_date,
        "currency_code": operator.currency_code, "code_tp": operator.code,
        # The operator's payment terms, not the organisation's default.
        "date_invoice": issued_on, "date_due": issued_on + timedelta(days=operator.payment_days),
        # Only orders agreed free (amount_override 0): that agreement is the reason of a 0 total.
        **({"zero_total_reason": "commandes offertes (prix convenu : 0)"}
           if all(item["discount"] == 1 for item in items) else {}),
    })
    lines = lines_add_bulk(actor=actor, invoice=invoice, items=items, reason="generate_operator_invoice")
    _link_orders(orders, lines, actor=actor)
    invoice = invoice_validate(actor=actor, invoice=invoice)
    return documents.request_document(
        actor=actor, organization=organization, invoice=invoice, fmt=fmt, operator=operator,
        start_date=start_date, end_date=end_date, idempotency_key=idempotency_key,
    )


def _link_orders(orders: list[Order], lines, *, actor, reason: str = "generate_operator_invoice") -> None:
    """order.invoice_line = its line (or None), in one UPDATE, with a history row and a new version
    each (as save_with_history would)."""
    from simple_history.utils import bulk_update_with_history

    now = timezone.now()
    for order, line in zip(orders, lines, strict=True):
        order.invoice_line = line
        order.version += 1
        order.user_updated = actor
        order.date_updated = now
    bulk_update_with_history(orders, Order, ["invoice_line", "version", "user_updated", "date_updated"],
                             default_user=actor, default_change_reason=reason)


def release_orders(*, invoice: Invoice, actor) -> int:
    """The orders billed by a cancelled invoice become unbilled again, so that a new invoice (the
    corrected one) can bill them; the cancelled invoice and its credit note keep their lines.
    Returns how many were released."""
    orders = list(Order.objects.select_for_update().filter(invoice_line__invoice=invoice))
    if orders:
        _link_orders(orders, [None] * len(orders), actor=actor, reason="invoice_cancel")
    return len(orders)


def release_orders_of_cancelled(invoice, *, new: int, actor, **context) -> None:
    """invoice.hooks: a cancelled invoice's orders can be billed again (inside the cancellation)."""
    if new == InvoiceStatus.CANCELLED:
        release_orders(invoice=invoice, actor=actor)


@transaction.atomic
def generate_for_period(*, actor, organization, start_date: date, end_date: date, fmt: str,
                        operator: Operator | None = None, allow_open_period: bool = False) -> list[InvoiceDocument]:
    """One operator (an empty period is an error) or every operator with unbilled orders; all or
    nothing (one operator's error rolls every invoice back)."""
    if operator is not None:
        return [generate_operator_invoice(actor=actor, organization=organization, operator=operator,
                                          start_date=start_date, end_date=end_date, fmt=fmt,
                                          allow_open_period=allow_open_period)]
    documents.ensure_format(fmt)
    ensure_period(start_date, end_date, allow_open_period=allow_open_period)
    operator_ids = (Order.objects.filter(organization=organization, is_deleted=False, invoice_line__isnull=True,
                                         ordered_at__date__gte=start_date, ordered_at__date__lte=end_date)
                    .values_list("operator_id", flat=True).distinct())
    results = []
    for candidate in Operator.objects.filter(pk__in=list(operator_ids), is_active=True).order_by("name"):
        results.append(generate_operator_invoice(actor=actor, organization=organization, operator=candidate,
                                                 start_date=start_date, end_date=end_date, fmt=fmt,
                                                 allow_open_period=allow_open_period))
    if not results:
        raise DomainError(BillingErrorCode.NO_ORDERS,
                          f"no unbilled orders between {start_date:%d/%m/%Y} and {end_date:%d/%m/%Y}", "start_date")
    return results
