"""Django admin of invoices: read-mostly, for administrators who audit who changed what and when.

Business writes go through invoice.services (numbering, totals, events, status table); the admin
never bypasses them. So:
- an invoice, its lines, payments and events are shown read-only, except the free-text header
  fields of a draft (ADMIN_EDITABLE_FIELDS), saved with `save_with_history(reason="admin_change")`;
- a non-draft invoice has no change permission at all (the page is a "view" page);
- nothing is added or deleted here (deletion is the soft delete of `invoice_delete`);
- history pages list each version with its changed fields; reverting a version is disabled.
"""
from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction

from core import pickers
from core.admin import NoRevertHistoryAdmin
from core.calculation import builtin_rule
from core.errors import DomainError
from core.history import IGNORED_FIELDS, save_with_history
from invoice.constants import EDITABLE_STATUSES
from invoice.models import (
    Invoice,
    InvoiceEvent,
    InvoiceLineItem,
    InvoiceNumberSequence,
    InvoicePayment,
)
from invoice.validation import ensure_editable

# The only fields an administrator may change, and only on a draft: free text that no amount,
# number, status or event depends on.
ADMIN_EDITABLE_FIELDS = ("code_tp", "code_ext", "note", "terms")

AUDIT_FIELDS = ("id", "version", "is_deleted", "date_created", "date_updated", "user_created", "user_updated")


def _all_field_names(model) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields)


def _is_draft(invoice: Invoice | None) -> bool:
    return invoice is not None and invoice.status in EDITABLE_STATUSES


class ReadOnlyAdminMixin:
    """No add, change or delete: view permission only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryDiffAdmin(NoRevertHistoryAdmin):
    """History pages show each version's number and the fields it changed; no revert."""

    history_list_display = ("version", "changed_fields")

    @admin.display(description="changed fields")
    def changed_fields(self, record) -> str:
        previous = record.prev_record
        if previous is None:
            return "(created)"
        delta = record.diff_against(previous)
        names = [change.field for change in delta.changes if change.field not in IGNORED_FIELDS]
        return ", ".join(names) or "—"


# ---------------------------------------------------------------- inlines (always read-only)


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Lines, payments and events change through their services only (line_add/line_update
    recompute the invoice, payment_record re-derives its status, events are an audit trail), so
    they are read-only whatever the invoice status: a non-draft's lines are frozen by the status,
    a draft's lines by the rule that the admin does not bypass services."""

    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class InvoiceLineItemInline(ReadOnlyInline):
    model = InvoiceLineItem
    fields = ("code", "description", "quantity", "unit_price", "discount", "deduction", "tax_rule", "amount_net",
              "amount_total", "is_deleted", "version")

    @admin.display(description="tax rule")
    def tax_rule(self, line: InvoiceLineItem) -> str:
        rule = builtin_rule(line.tax_rate) if line.tax_rate else None
        return rule.label if rule is not None else str(line.tax_rate or "—")


class InvoicePaymentInline(ReadOnlyInline):
    model = InvoicePayment
    fields = ("status", "code_ext", "label", "code_receipt", "amount_payed", "fees", "amount_received",
              "date_payment", "is_deleted", "version")


class InvoiceEventInline(ReadOnlyInline):
    model = InvoiceEvent
    fields = ("date_created", "event_type", "message", "user", "version")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


# ---------------------------------------------------------------- invoices


@admin.register(Invoice)
class InvoiceAdmin(HistoryDiffAdmin):
    list_display = ("code", "status", "document_type", "organization", "date_invoice", "amount_total", "amount_payed")
    list_filter = ("status", "document_type", "organization")
    search_fields = ("code", "payment_reference")
    list_select_related = ("organization",)
    date_hierarchy = "date_invoice"
    inlines = (InvoiceLineItemInline, InvoicePaymentInline, InvoiceEventInline)
    fieldsets = (
        (None, {"fields": ("organization", "document_type", "code", "status", "related_invoice",
                           "subject_summary", "thirdparty_summary")}),
        ("Dates", {"fields": ("date_invoice", "date_due", "date_valid_from", "date_valid_to", "date_payed")}),
        ("Amounts", {"fields": ("currency_code", "currency_tp_code", "amount_discount", "amount_net", "tax_analysis",
                                "amount_total", "amount_payed", "payment_reference")}),
        ("References and texts", {"fields": ADMIN_EDITABLE_FIELDS}),
        ("Audit", {"classes": ("collapse",), "fields": AUDIT_FIELDS + ("json_ext", "replacement_uuid")}),
    )

    # -- permissions: no add, no delete; change only a draft's free-text fields

    def has_add_permission(self, request):
        return False  # invoice_create: numbering, defaults and the creation event

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete through invoice_delete (drafts only)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not _is_draft(obj):
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        names = set(_all_field_names(Invoice)) | {"subject_summary", "thirdparty_summary"}
        if _is_draft(obj):
            names -= set(ADMIN_EDITABLE_FIELDS)
        return tuple(sorted(names))

    # -- display

    @admin.display(description="subject")
    def subject_summary(self, invoice: Invoice):
        return pickers.summarize(invoice.subject) if invoice.subject_id else "—"

    @admin.display(description="third party")
    def thirdparty_summary(self, invoice: Invoice):
        return pickers.summarize(invoice.thirdparty) if invoice.thirdparty_id else "—"

    # -- writes

    def save_model(self, request, obj, form, change):
        """Copy the whitelisted fields the form changed onto the locked, current row (never the
        form's instance as a whole) and save it with history, if it is still a draft."""
        if not change:
            raise PermissionDenied("invoices are created through the services")
        changed = [name for name in form.changed_data if name in ADMIN_EDITABLE_FIELDS]
        with transaction.atomic():
            current = Invoice.objects.select_for_update().get(pk=obj.pk)
            try:
                ensure_editable(current)
            except DomainError as exc:  # became non-draft since the page was loaded
                raise PermissionDenied(exc.message) from None
            if not changed:
                return
            for name in changed:
                setattr(current, name, form.cleaned_data[name])
            current.full_clean()
            save_with_history(current, actor=request.user, reason="admin_change")
        obj.version = current.version

    def save_formset(self, request, form, formset, change):
        # Inlines are read-only: nothing of theirs is ever written from the admin.
        if any(f.has_changed() for f in formset.forms) or formset.deleted_forms:
            raise PermissionDenied("lines, payments and events change through the services only")
        # What formset.save() would have set; the admin's change message reads them.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request, obj):
        raise PermissionDenied("invoices are soft-deleted through the services")


# ---------------------------------------------------------------- payments, events, sequences


@admin.register(InvoicePayment)
class InvoicePaymentAdmin(ReadOnlyAdminMixin, HistoryDiffAdmin):
    list_display = ("invoice", "status", "amount_payed", "fees", "amount_received", "date_payment", "code_ext",
                    "is_deleted")
    list_filter = ("status", "invoice__organization")
    search_fields = ("code_ext", "code_receipt", "label", "invoice__code")
    list_select_related = ("invoice",)
    readonly_fields = _all_field_names(InvoicePayment)


@admin.register(InvoiceEvent)
class InvoiceEventAdmin(ReadOnlyAdminMixin, HistoryDiffAdmin):
    list_display = ("date_created", "invoice", "event_type", "message", "user")
    list_filter = ("event_type", "invoice__organization")
    search_fields = ("message", "invoice__code")
    list_select_related = ("invoice", "user")
    readonly_fields = _all_field_names(InvoiceEvent)


@admin.register(InvoiceNumberSequence)
class InvoiceNumberSequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("organization", "year", "last_number")
    list_filter = ("organization", "year")
    list_select_related = ("organization",)
    readonly_fields = _all_field_names(InvoiceNumberSequence)
