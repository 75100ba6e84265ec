"""Turn a period of an operator's orders into a validated invoice and request its document.

An order is billed at most once, even under concurrent requests: the operator row is locked for
the whole generation, so a second request for the same operator waits, then finds the orders
billed and answers with the document of the first (same period and format)."""
from __future__ import annotations

from datetime import date

from django.db import transaction

from core.errors import DomainError
from invoice.models import InvoiceDocument
from invoice.services import documents
from invoice.services.invoices import invoice_create, invoice_validate
from invoice.services.lines import lines_add_bulk
from payment_module.constants import OrderKind
from payment_module.error_codes import BillingErrorCode
from payment_module.models import Operator, Order, Tariff


def ensure_period(start_date: date, end_date: date) -> None:
    if end_date < start_date:
        raise DomainError(BillingErrorCode.INVALID_PERIOD, f"end date {end_date:%d/%m/%Y} is before start date {start_date:%d/%m/%Y}", "end_date")


def unbilled_orders(organization, operator, start_date: date, end_date: date):
    return Order.objects.filter(
        organization=organization, operator=operator, is_deleted=False, invoice_line__isnull=True,
        ordered_at__date__gte=start_date, ordered_at__date__lte=end_date,
    ).order_by("ordered_at", "reference")


def tariff_for(tariffs: list[Tariff], kind: str, on: date) -> Tariff | None:
    """The tariff of `kind` valid on `on` (latest start wins)."""
    valid = [t for t in tariffs if t.order_kind == kind and t.date_valid_from <= on
             and (t.date_valid_to is None or t.date_valid_to >= on)]
    return max(valid, key=lambda t: t.date_valid_from, default=None)


def _live_document(organization, operator, start_date, end_date, fmt) -> InvoiceDocument | None:
    return InvoiceDocument.objects.filter(
        organization=organization, operator=operator, start_date=start_date, end_date=end_date, format=fmt,
        status__in=documents.LIVE,
    ).first()


@transaction.atomic
def generate_operator_invoice(*, actor, organization, operator: Operator, start_date: date, end_date: date,
                              fmt: str, idempotency_key: str | None = None) -> InvoiceDocument:
    fmt = documents.ensure_format(fmt)
    ensure_period(start_date, end_date)
    replay = documents.find_by_idempotency_key(organization, idempotency_key)
    if replay is not None:
        if (replay.operator_id, replay.start_date, replay.end_date, replay.format) != (operator.pk, start_date, end_date, fmt):
            from invoice.error_codes import InvoiceErrorCode

            raise DomainError(InvoiceErrorCode.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used for another request",
                              "Idempotency-Key")
        return replay
    operator = Operator.objects.select_for_update().get(pk=operator.pk)  # serialises billing per operator
    if not operator.is_active:
        raise DomainError(BillingErrorCode.OPERATOR_INACTIVE, f"operator {operator.code} is inactive", "operator_id")
    existing = _live_document(organization, operator, start_date, end_date, fmt)
    if existing is not None:
        return existing
    orders = list(unbilled_orders(organization, operator, start_date, end_date))
    if not orders:
        raise DomainError(
            BillingErrorCode.NO_ORDERS,
            f"no unbilled orders for operator {operator.code} between {start_date:%d/%m/%Y} and {end_date:%d/%m/%Y}",
            "start_date",
        )
    tariffs = list(Tariff.objects.filter(organization=organization, is_deleted=False,
                                         order_kind__in={order.kind for order in orders}))
    items = []
    for order in orders:
        ordered_on = order.ordered_at.date()
        tariff = tariff_for(tariffs, order.kind, ordered_on)
        if tariff is None:
            raise DomainError(BillingErrorCode.NO_TARIFF,
                              f"no tariff for {OrderKind(order.kind).label} valid on {ordered_on:%d/%m/%Y} (order {order.reference})",
                              "operator_id")
        items.append({
            "code": order.reference,
            "description": order.description or OrderKind(order.kind).label,
            "quantity": order.quantity,
            "unit_price": order.amount_override if order.amount_override is not None else tariff.unit_price,
            "tax_rate": tariff.tax_rule,
            "ledger_account": tariff.ledger_account,
            "line_type": "order",
            "line_id": str(order.pk),
            "date_valid_from": ordered_on,
            "date_valid_to": ordered_on,
        })
    invoice = invoice_create(actor=actor, organization=organization, data={
        "subject_type": "operator", "subject_id": str(operator.pk),
        "thirdparty_type": "operator", "thirdparty_id": str(operator.pk),
        "date_valid_from": start_date, "date_valid_to": end_date,
        "currency_code": operator.currency_code, "code_tp": operator.code,
    })
    lines = lines_add_bulk(actor=actor, invoice=invoice, items=items, reason="generate_operator_invoice")
    for order, line in zip(orders, lines):
        order.invoice_line = line
    from simple_history.utils import bulk_update_with_history

    bulk_update_with_history(orders, Order, ["invoice_line"], default_user=actor,
                             default_change_reason="generate_operator_invoice")
    invoice = invoice_validate(actor=actor, invoice=invoice)
    return documents.document_request(
        actor=actor, organization=organization, invoice=invoice, fmt=fmt, operator=operator,
        start_date=start_date, end_date=end_date, idempotency_key=idempotency_key,
    )


def generate_for_period(*, actor, organization, start_date: date, end_date: date, fmt: str,
                        operator: Operator | None = None) -> list[InvoiceDocument]:
    """One operator (an empty period is an error) or every operator with unbilled orders."""
    if operator is not None:
        return [generate_operator_invoice(actor=actor, organization=organization, operator=operator,
                                          start_date=start_date, end_date=end_date, fmt=fmt)]
    documents.ensure_format(fmt)
    ensure_period(start_date, end_date)
    operator_ids = (Order.objects.filter(organization=organization, is_deleted=False, invoice_line__isnull=True,
                                         ordered_at__date__gte=start_date, ordered_at__date__lte=end_date)
                    .values_list("operator_id", flat=True).distinct())
    results = []
    for candidate in Operator.objects.filter(pk__in=list(operator_ids), is_active=True).order_by("name"):
        results.append(generate_operator_invoice(actor=actor, organization=organization, operator=candidate,
                                                 start_date=start_date, end_date=end_date, fmt=fmt))
    if not results:
        raise DomainError(BillingErrorCode.NO_ORDERS,
                          f"no unbilled orders between {start_date:%d/%m/%Y} and {end_date:%d/%m/%Y}", "start_date")
    return results
