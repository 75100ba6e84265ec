from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from core import login_throttle
from core.models import CalculationRuleSetting, Membership, MutationLog, Organization, User


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin login form under the same brute-force counters as `tokenAuth`
    (core.login_throttle): without it /admin/login/ would be an unthrottled password oracle for
    staff accounts."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if login_throttle.is_locked(self.request, username):
            raise ValidationError("Too many failed logins: try again later.", code="too_many_attempts")
        try:
            cleaned = super().clean()
        except ValidationError:
            login_throttle.record_failure(self.request, username)
            raise
        if self.user_cache is not None:  # a form missing its password authenticates no one
            login_throttle.record_success(self.request, username)
        return cleaned


admin.site.login_form = ThrottledAdminAuthenticationForm


class NoRevertHistoryAdmin(SimpleHistoryAdmin):
    """History pages list the versions; reverting one (an old version written back around the
    services and their business rules) is refused."""

    history_list_display = ("version",)

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("reverting a version is not allowed: use the services")
        return super().history_form_view(request, object_id, version_id, extra_context)


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
