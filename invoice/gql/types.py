"""GraphQL types of invoices (openIMIS names). Nested lists read what the selector prefetched:
a list page costs the same number of queries for 1 or 50 invoices."""
from __future__ import annotations

import json

import graphene
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Prefetch
from graphene_django import bypass_get_queryset

from core import pickers
from core.gql.fields import passed_arguments, selected_node_fields
from core.gql.queries import PickerOptionGQLType
from core.gql.types import TenantObjectType
from core.tenancy import tenant_for_request
from invoice.gql.filters import (
    InvoiceEventFilter,
    InvoiceFilter,
    InvoiceLineItemFilter,
    InvoicePaymentFilter,
    PaymentInvoiceFilter,
)
from invoice.models import Invoice, InvoiceEvent, InvoiceLineItem, InvoicePayment
from invoice.selectors import amount_due, is_overdue, live_invoice_count

AUDIT_FIELDS = ("id", "is_deleted", "json_ext", "date_created", "date_updated", "version")
BUSINESS_FIELDS = AUDIT_FIELDS + ("date_valid_from", "date_valid_to", "replacement_uuid")


def _summary_json(obj) -> str | None:
    """openIMIS clients read subject/thirdparty with JSON.parse(JSON.parse(x)): the JSONString
    scalar encodes once more what this returns."""
    summary = pickers.summarize(obj)
    return None if summary is None else json.dumps(summary)


def _option(obj):
    summary = pickers.summarize(obj)
    if summary is None:
        return None
    return PickerOptionGQLType(id=summary["id"], type=summary["type"], code=summary["code"], label=summary["label"])


def _type_name(content_type) -> str | None:
    """The picker type code of a content type ("organization"), else its model name."""
    if content_type is None:
        return None
    picker = pickers.type_for_model(content_type.model_class())
    return picker.code if picker else content_type.model


@bypass_get_queryset
def _parent_invoice(root, info):
    """The invoice a row belongs to, read from select_related. graphene-django would otherwise load
    it again through InvoiceGQLType.get_queryset, one query per row; the row is already scoped to
    the caller's organisation, and so is its invoice."""
    return root.invoice


def generic_prefetch(field: str) -> GenericPrefetch:
    querysets = []
    for picker in pickers.picker_types():
        querysets.append(picker.model._default_manager.all())
    return GenericPrefetch(field, querysets)


class InvoiceLineItemGQLType(TenantObjectType):
    line = graphene.JSONString()
    line_option = graphene.Field(PickerOptionGQLType)
    line_type = graphene.Int(description="ContentType id of the billed object")
    line_type_name = graphene.String()
    tax_rate_label = graphene.String()

    orderable_fields = ("code", "description", "ledger_account", "quantity", "unit_price", "discount",
                        "deduction", "amount_net", "amount_total", "date_created", "date_valid_from")

    class Meta:
        model = InvoiceLineItem
        permissions = ("invoice.view_invoice",)
        interfaces = (graphene.relay.Node,)
        filterset_class = InvoiceLineItemFilter
        fields = BUSINESS_FIELDS + (
            "invoice", "line_type", "line_id", "code", "description", "details", "ledger_account", "quantity",
            "unit_price", "discount", "deduction", "tax_rate", "tax_analysis", "amount_net", "amount_total",
        )

    resolve_invoice = staticmethod(_parent_invoice)

    def resolve_line(self, info):
        return _summary_json(self.line)

    def resolve_line_option(self, info):
        return _option(self.line)

    def resolve_line_type(self, info):
        return self.line_type_id

    def resolve_line_type_name(self, info):
        return _type_name(self.line_type)

    def resolve_tax_rate_label(self, info):
        from core.calculation import builtin_rule

        rule = builtin_rule(self.tax_rate)
        return rule.label if rule else None

    @classmethod
    def optimize_queryset(cls, qs, info):
        selected = selected_node_fields(info)  # what the tab selects decides what is joined
        related = ["invoice"] if "invoice" in selected else []
        if selected & {"lineTypeName", "line", "lineOption"}:
            related.append("line_type")
        qs = qs.select_related(*related)
        return qs.prefetch_related(generic_prefetch("line")) if selected & {"line", "lineOption"} else qs


PAYMENT_FIELDS = AUDIT_FIELDS + (
    "invoice", "status", "reconciliation_status", "code_ext", "label", "code_rcp", "code_tp", "code_receipt",
    "amount_payed", "fees", "amount_received", "date_payment", "payment_origin", "payer_ref", "payer_name",
    "overpayment",
)
PAYMENT_ORDERABLE = ("status", "reconciliation_status", "code_ext", "label", "code_rcp", "code_tp", "code_receipt",
                     "amount_payed", "fees", "amount_received", "date_payment", "payment_origin", "payer_ref",
                     "date_created")


class InvoicePaymentGQLType(TenantObjectType):
    orderable_fields = PAYMENT_ORDERABLE

    class Meta:
        model = InvoicePayment
        permissions = ("invoice.view_invoice",)
        interfaces = (graphene.relay.Node,)
        filterset_class = InvoicePaymentFilter
        fields = PAYMENT_FIELDS

    resolve_invoice = staticmethod(_parent_invoice)

    @classmethod
    def optimize_queryset(cls, qs, info):
        return qs.select_related("invoice") if "invoice" in selected_node_fields(info) else qs


class PaymentInvoiceGQLType(InvoicePaymentGQLType):
    """openIMIS's "payment invoice" (its front end's payments tab) over the same payments."""

    class Meta:
        model = InvoicePayment
        permissions = ("invoice.view_invoice",)
        interfaces = (graphene.relay.Node,)
        filterset_class = PaymentInvoiceFilter
        fields = PAYMENT_FIELDS
        skip_registry = True


class InvoiceEventGQLType(TenantObjectType):
    user_name = graphene.String()
    editable = graphene.Boolean(description="true when the caller may edit this message")
    visible_to_customer = graphene.Boolean(required=True, description="a message addressed to the invoice's "
                                                                      "customer, shown in their portal")

    orderable_fields = ("event_type", "message", "date_created")

    class Meta:
        model = InvoiceEvent
        permissions = ("invoice.view_invoice",)
        interfaces = (graphene.relay.Node,)
        filterset_class = InvoiceEventFilter
        fields = AUDIT_FIELDS + ("invoice", "event_type", "message", "user")

    @bypass_get_queryset
    def resolve_user(self, info):
        """The author, read from select_related (no query per event). Authors stay visible in
        the invoice's audit trail even after leaving the organisation, as userName does."""
        return self.user

    resolve_invoice = staticmethod(_parent_invoice)

    def resolve_user_name(self, info):
        return None if self.user is None else self.user.username

    def resolve_editable(self, info):
        from invoice.constants import EventType

        return self.event_type == EventType.MESSAGE and self.user_id == getattr(info.context.user, "pk", None)

    def resolve_visible_to_customer(self, info):
        from invoice.constants import CUSTOMER_AUDIENCE, EVENT_AUDIENCE_KEY, EventType

        return self.event_type == EventType.MESSAGE and (self.json_ext or {}).get(EVENT_AUDIENCE_KEY) == CUSTOMER_AUDIENCE

    @classmethod
    def optimize_queryset(cls, qs, info):
        selected = selected_node_fields(info)
        return qs.select_related(*(["invoice"] if "invoice" in selected else []),
                                 *(["user"] if selected & {"user", "userName"} else []))


class InvoiceGQLType(TenantObjectType):
    subject = graphene.JSONString()
    thirdparty = graphene.JSONString()
    subject_option = graphene.Field(PickerOptionGQLType)
    thirdparty_option = graphene.Field(PickerOptionGQLType)
    subject_type = graphene.Int(description="ContentType id of the subject")
    subject_type_name = graphene.String()
    thirdparty_type = graphene.Int(description="ContentType id of the thirdparty")
    thirdparty_type_name = graphene.String()
    line_items = graphene.List(graphene.NonNull(InvoiceLineItemGQLType), required=True)
    payments = graphene.List(graphene.NonNull(InvoicePaymentGQLType), required=True)
    events = graphene.List(graphene.NonNull(InvoiceEventGQLType), required=True)
    deliveries = graphene.List(graphene.NonNull("invoice.gql.delivery.DeliveryGQLType"), required=True,
                               description="what was sent of this invoice, by which channel, how it ended")
    is_editable = graphene.Boolean(required=True)
    amount_to_refund = graphene.Decimal(required=True, description="the balance in favour of the buyer: accepted "
                                                                   "payments beyond the total (overpayments)")
    amount_due = graphene.Decimal(required=True, description="what the buyer still owes (0 unless the invoice is "
                                                             "validated, unpaid or suspended)")
    overdue = graphene.Boolean(required=True, description="validated or unpaid, an unpaid remainder, due date "
                                                          "passed (invoice.selectors.is_overdue)")

    orderable_fields = ("code", "code_tp", "code_ext", "date_due", "date_invoice", "date_valid_from",
                        "date_valid_to", "date_payed", "amount_discount", "amount_net", "amount_total",
                        "amount_payed", "status", "currency_code", "date_created", "date_updated", "subject_type",
                        "thirdparty_type")

    class Meta:
        model = Invoice
        permissions = ("invoice.view_invoice",)
        interfaces = (graphene.relay.Node,)
        filterset_class = InvoiceFilter
        fields = BUSINESS_FIELDS + (
            "subject_type", "subject_id", "thirdparty_type", "thirdparty_id", "related_invoice", "document_type",
            "code", "code_tp", "code_ext", "date_due", "date_invoice", "date_payed", "amount_discount",
            "amount_net", "tax_analysis", "amount_total", "amount_payed", "status", "currency_code",
            "currency_tp_code", "note", "terms", "payment_reference", "zero_total_reason", "overdue_since",
        )

    @bypass_get_queryset
    def resolve_related_invoice(self, info):
        """The credit note's invoice (same organisation), from select_related."""
        return self.related_invoice

    def resolve_subject(self, info):
        return _summary_json(self.subject)

    def resolve_thirdparty(self, info):
        return _summary_json(self.thirdparty)

    def resolve_subject_option(self, info):
        return _option(self.subject)

    def resolve_thirdparty_option(self, info):
        return _option(self.thirdparty)

    def resolve_subject_type(self, info):
        return self.subject_type_id

    def resolve_subject_type_name(self, info):
        return _type_name(self.subject_type)

    def resolve_thirdparty_type(self, info):
        return self.thirdparty_type_id

    def resolve_thirdparty_type_name(self, info):
        return _type_name(self.thirdparty_type)

    # Nested lists: read the prefetched rows (optimize_queryset); never a query per invoice.
    def resolve_line_items(self, info):
        return [line for line in self.line_items.all() if not line.is_deleted]

    def resolve_payments(self, info):
        return [payment for payment in self.payments.all() if not payment.is_deleted]

    def resolve_events(self, info):
        return [event for event in self.events.all() if not event.is_deleted]

    def resolve_deliveries(self, info):
        from core.gql.auth import authorize

        authorize(info, ("invoice.view_delivery",))
        return list(self.deliveries.all())

    def resolve_amount_to_refund(self, info):
        return self.amount_to_refund

    def resolve_amount_due(self, info):
        return amount_due(self)

    def resolve_overdue(self, info):
        return is_overdue(self)

    def resolve_is_editable(self, info):
        from invoice.constants import EDITABLE_STATUSES

        return self.status in EDITABLE_STATUSES

    @classmethod
    def known_total_count(cls, args: dict, info) -> int | None:
        """`totalCount` of the organisation's live invoices without counting them (the front end's
        list page: `invoice(isDeleted: false, …)`), from the maintained counter; None for any
        other filter."""
        if passed_arguments(args) - {"is_deleted"} or args.get("is_deleted"):
            return None
        return live_invoice_count(tenant_for_request(info.context).organization)

    @classmethod
    def optimize_queryset(cls, qs, info):
        selected = selected_node_fields(info)
        qs = qs.select_related("subject_type", "thirdparty_type")
        prefetches = []
        if selected & {"subject", "subjectOption"}:
            prefetches.append(generic_prefetch("subject"))
        if selected & {"thirdparty", "thirdpartyOption"}:
            prefetches.append(generic_prefetch("thirdparty"))
        if "lineItems" in selected:
            # `line` (the billed object, generic) of every line in one query per line type.
            prefetches.append(Prefetch("line_items", queryset=InvoiceLineItem.objects.filter(is_deleted=False)
                                       .select_related("line_type").prefetch_related(generic_prefetch("line"))
                                       .order_by("date_created", "id")))
        if "payments" in selected:
            prefetches.append(Prefetch("payments", queryset=InvoicePayment.objects.filter(is_deleted=False)))
        if "events" in selected:
            prefetches.append(Prefetch("events", queryset=InvoiceEvent.objects.filter(is_deleted=False).select_related("user")))
        if "deliveries" in selected:
            from invoice.delivery.models import Delivery

            prefetches.append(Prefetch("deliveries",
                                       queryset=Delivery.objects.select_related("document").prefetch_related("attempt_log")))
        if "relatedInvoice" in selected:
            qs = qs.select_related("related_invoice")
        return qs.prefetch_related(*prefetches)
