from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from core.models import CalculationRuleSetting, Membership, MutationLog, Organization, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "siren", "vat_number", "invoice_number_prefix", "version")
    search_fields = ("name", "code", "siren", "vat_number")
    readonly_fields = ("id", "version", "date_created", "date_updated", "user_created", "user_updated")
    inlines = (MembershipInline,)
    history_list_display = ("version",)


@admin.register(User)
class MolinkUserAdmin(UserAdmin, SimpleHistoryAdmin):
    inlines = (MembershipInline,)


@admin.register(CalculationRuleSetting)
class CalculationRuleSettingAdmin(SimpleHistoryAdmin):
    list_display = ("code", "label", "rate", "vat_category", "organization")
    list_filter = ("organization", "vat_category")


@admin.register(MutationLog)
class MutationLogAdmin(admin.ModelAdmin):
    list_display = ("request_date_time", "mutation_name", "status", "user", "organization", "client_mutation_id")
    list_filter = ("status", "mutation_name")
    search_fields = ("client_mutation_id", "client_mutation_label")
    readonly_fields = [f.name for f in MutationLog._meta.fields]

    def has_add_permission(self, request):
        return False
