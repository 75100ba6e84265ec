"""Django admin of the billing source: operators, tariffs and orders, with their history, and the
operators' portal users (read-only).

Writes go through payment_module.services, never around them:
- operators are added and changed with `operator_create` / `operator_update` (same checks as
  the API: SIREN/SIRET/VAT keys, currency, e-mail, payment terms); the form shows their errors;
- tariffs are added with `tariff_create` (no overlapping period for a kind) and are read-only
  afterwards (a price change is a new tariff);
- orders are read-only: they come from the API and are billed by generate_operator_invoice;
  the line that billed an order links to its invoice.
Nothing is deleted here (orders and tariffs are referenced by invoices).
"""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from graphene.utils.str_converters import to_snake_case

from core.admin import NoRevertHistoryAdmin
from core.calculation import list_rules
from core.errors import DomainError
from core.models import CalculationRuleSetting, Organization
from payment_module.models import Operator, OperatorUser, Order, Tariff
from payment_module.services import operators as services

AUDIT_FIELDS = ("id", "version", "is_deleted", "date_created", "date_updated", "user_created", "user_updated")


def _field_names(model) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields)


def _add_service_errors(form: forms.ModelForm, exc: DomainError) -> None:
    """Show a service's errors on the form fields they name (camelCase → snake_case)."""
    for error in exc.errors:
        name = to_snake_case(error.field) if error.field else None
        form.add_error(name if name in form.fields else None, f"{error.code.name}: {error.message}")


class ServiceForm(forms.ModelForm):
    """A model form whose clean() runs the service (inside the admin's transaction: the view
    rolls back if anything else fails); the admin's save_model then only takes what the service
    saved. The organisation is chosen on addition only."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.filter(is_deleted=False))
    service_fields: tuple[str, ...] = ()  # what the service takes
    service_result = None
    actor = None  # set by ServiceAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields.pop("organization", None)  # shown read-only by the admin

    def service_call(self, data: dict):
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {name: cleaned.get(name) for name in self.service_fields
                if name in self.fields and (name in self.changed_data or self.instance._state.adding)}
        try:
            self.service_result = self.service_call(data)
        except DomainError as exc:
            _add_service_errors(self, exc)
        return cleaned

    def _post_clean(self):
        # The service validated and saved: no model validation of the form's own instance.
        pass


class OperatorForm(ServiceForm):
    service_fields = ("code", "name", "legal_name", "siren", "siret", "vat_number", "address_line1", "address_line2",
                      "postal_code", "city", "country_code", "email", "currency_code", "payment_days", "is_active")

    class Meta:
        model = Operator
        fields = ("code", "name", "legal_name", "siren", "siret", "vat_number", "address_line1", "address_line2",
                  "postal_code", "city", "country_code", "email", "currency_code", "payment_days", "is_active")

    def service_call(self, data):
        if self.instance._state.adding:
            return services.operator_create(actor=self.actor, organization=self.cleaned_data["organization"], data=data)
        return services.operator_update(actor=self.actor, operator=self.instance, version=self.instance.version,
                                        changes=data)


class TariffForm(ServiceForm):
    tax_rule = forms.ChoiceField(choices=())
    currency_code = forms.CharField(max_length=3, required=False, help_text="ISO 4217; empty: the organisation's")
    service_fields = ("code", "label", "order_kind", "unit_price", "currency_code", "tax_rule", "ledger_account",
                      "date_valid_from", "date_valid_to")

    class Meta:
        model = Tariff
        fields = ("code", "label", "order_kind", "unit_price", "currency_code", "tax_rule", "ledger_account",
                  "date_valid_from", "date_valid_to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "tax_rule" not in self.fields:
            return  # a saved tariff: view only
        # Built-in rules, then every organisation's own (tariff_create refuses another's).
        builtin = [(str(rule.id), f"{rule.label} ({rule.code})") for rule in list_rules(None)]
        own = [(str(setting.id), f"{setting.label} ({setting.code}, {setting.organization.code})")
               for setting in CalculationRuleSetting.objects.filter(is_deleted=False).select_related("organization")]
        self.fields["tax_rule"].choices = builtin + own

    def service_call(self, data):
        return services.tariff_create(actor=self.actor, organization=self.cleaned_data["organization"], data=data)


class ServiceAdmin(NoRevertHistoryAdmin):
    """Add/change through the form's service call; no deletion."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def get_fields(self, request, obj=None):
        editable = tuple(self.form.service_fields)
        if obj is None:
            return ("organization",) + editable
        readonly = tuple(self.get_readonly_fields(request, obj))
        return ("organization",) + tuple(name for name in editable if name not in readonly) + tuple(
            name for name in readonly if name != "organization")

    def save_model(self, request, obj, form, change):
        saved = form.service_result
        if saved is not None:  # what the service saved, for the admin's log and redirect
            for field in saved._meta.concrete_fields:
                setattr(obj, field.attname, getattr(saved, field.attname))
            obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        pass

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Operator)
class OperatorAdmin(ServiceAdmin):
    form = OperatorForm
    list_display = ("name", "code", "organization", "siren", "vat_number", "city", "payment_days", "is_active")
    list_filter = ("organization", "is_active", "currency_code")
    search_fields = ("name", "code", "siren", "siret", "vat_number", "email")
    list_select_related = ("organization",)

    def get_readonly_fields(self, request, obj=None):
        return AUDIT_FIELDS + (("organization",) if obj is not None else ())


@admin.register(Tariff)
class TariffAdmin(ServiceAdmin):
    form = TariffForm
    list_display = ("code", "label", "order_kind", "unit_price", "currency_code", "tax_rule_label", "date_valid_from", "date_valid_to",
                    "organization")
    list_filter = ("organization", "order_kind")
    search_fields = ("code", "label")
    list_select_related = ("organization",)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)  # a price change is a new tariff

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return _field_names(Tariff) + ("tax_rule_label",)

    @admin.display(description="tax rule")
    def tax_rule_label(self, tariff: Tariff) -> str:
        from core.calculation import get_rules

        try:
            rule = get_rules(tariff.organization, [tariff.tax_rule]).get(tariff.tax_rule)
        except DomainError:
            rule = None
        return rule.label if rule is not None else str(tariff.tax_rule)


class BilledFilter(admin.SimpleListFilter):
    title = "billed"
    parameter_name = "billed"

    def lookups(self, request, model_admin):
        return (("yes", "Billed"), ("no", "Not billed"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(invoice_line__isnull=False)
        if self.value() == "no":
            return queryset.filter(invoice_line__isnull=True)
        return queryset


@admin.register(Order)
class OrderAdmin(NoRevertHistoryAdmin):
    list_display = ("reference", "ordered_at", "operator", "kind", "quantity", "amount_override", "is_billed",
                    "organization")
    list_filter = ("operator", "kind", BilledFilter, "organization")
    search_fields = ("reference", "description", "operator__name")
    list_select_related = ("operator", "organization", "invoice_line__invoice")
    date_hierarchy = "ordered_at"
    fields = ("organization", "operator", "kind", "reference", "description", "ordered_at", "quantity", "options",
              "amount_override", "invoice_line_link") + AUDIT_FIELDS
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # order_create, through the API

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="billed")
    def is_billed(self, order: Order) -> bool:
        return order.invoice_line_id is not None

    @admin.display(description="invoice line")
    def invoice_line_link(self, order: Order):
        line = order.invoice_line
        if line is None:
            return "— (not billed yet)"
        invoice = line.invoice
        url = reverse("admin:invoice_invoice_change", args=[invoice.pk])
        return format_html('<a href="{}">{}</a> — line {} ({})', url, invoice.code or f"draft {invoice.pk}",
                           line.code or line.pk, line.amount_net)


@admin.register(OperatorUser)
class OperatorUserAdmin(NoRevertHistoryAdmin):
    """Who may see which operator's invoices (the portal), read-only: invitations are made with
    `inviteOperatorUser` (payment_module.services.operator_users), never here; the token is not shown."""

    list_display = ("user", "operator", "organization", "date_invited", "date_accepted", "invited_by")
    list_filter = ("organization",)
    search_fields = ("user__username", "operator__name", "operator__code")
    list_select_related = ("user", "operator", "organization", "invited_by")
    fields = ("organization", "operator", "user", "invited_by", "date_invited", "date_accepted", "token_expires_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
