"""Core models: users, organisations (tenants) and memberships, the openIMIS history bases, the
mutation log, and organisation-defined calculation rules."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from simple_history.models import HistoricalRecords

from core.ids import uuid7


class User(AbstractUser):
    """A person or an API client. `username` holds the e-mail address."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # The front-end language the user chose (changeUserLanguage); blank: the deployment's default.
    # core.frontend.language_of() falls back to the default when the choice is no longer offered.
    language = models.CharField(max_length=10, blank=True, default="")

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    tenant_path = None  # scoped through memberships, see core.tenancy

    class Meta:
        db_table = "core_user"

    def __str__(self) -> str:
        return self.username


class HistoryModel(models.Model):
    """openIMIS HistoryModel: UUID id, soft delete, JSON extension, audit columns, optimistic
    `version`. Every save goes through `core.history.save_with_history`, which records the actor
    and the reason in the django-simple-history table of the concrete model."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    is_deleted = models.BooleanField(default=False, db_index=True)
    json_ext = models.JSONField(null=True, blank=True)
    date_created = models.DateTimeField(auto_now_add=True, db_index=True)
    date_updated = models.DateTimeField(auto_now=True)
    user_created = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user_updated = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(inherit=True, cascade_delete_history=False)

    # Path from this model to its Organization, used by core.tenancy.scope. "" means the model is
    # the Organization itself.
    tenant_path: str | None = "organization"

    class Meta:
        abstract = True


class HistoryBusinessModel(HistoryModel):
    """openIMIS HistoryBusinessModel: a HistoryModel with a validity period."""

    date_valid_from = models.DateField(null=True, blank=True)
    date_valid_to = models.DateField(null=True, blank=True)
    replacement_uuid = models.UUIDField(null=True, blank=True)

    class Meta:
        abstract = True


class Organization(HistoryModel):
    """A tenant: the organisation that publishes notices and bills its declarants."""

    class OperationCategory(models.TextChoices):
        """What the organisation's invoices are for (mention required from the 2026 reform)."""
        SERVICES = "services", "Prestation de services"
        GOODS = "goods", "Livraison de biens"
        MIXED = "mixed", "Livraison de biens et prestation de services"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=255)
    legal_name = models.CharField(max_length=255, blank=True)
    siren = models.CharField(max_length=9, blank=True)
    siret = models.CharField(max_length=14, blank=True)
    vat_number = models.CharField(max_length=20, blank=True)
    address_line1 = models.CharField(max_length=255, blank=True)
    address_line2 = models.CharField(max_length=255, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country_code = models.CharField(max_length=2, default="FR")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    iban = models.CharField(max_length=34, blank=True)
    bic = models.CharField(max_length=11, blank=True)
    # Invoice settings
    invoice_number_prefix = models.CharField(max_length=10, default="INV")
    payment_days = models.PositiveSmallIntegerField(default=30)
    currency_code = models.CharField(max_length=3, default="EUR")
    default_tax_rule = models.UUIDField(null=True, blank=True)
    template_blocks = models.JSONField(default=dict, blank=True)
    # French legal settings printed on invoices (art. 242 nonies A of annex II to the CGI, art. R123-237
    # of the Code de commerce; the 2026 e-invoicing mentions)
    operation_category = models.CharField(max_length=10, choices=OperationCategory.choices,
                                          default=OperationCategory.SERVICES)
    vat_franchise = models.BooleanField(default=False, help_text="franchise en base de TVA, art. 293 B du CGI")
    vat_on_debits = models.BooleanField(default=False, help_text="option pour le paiement de la TVA d'après les débits")
    share_capital = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    trade_register = models.CharField(max_length=100, blank=True, help_text="e.g. RCS Paris 552 100 554, or RM 75")

    tenant_path = ""

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one organisation. Roles map to permission sets (core.permissions)."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        ACCOUNTANT = "accountant", "Accountant"
        VIEWER = "viewer", "Viewer"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    date_created = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "organization"), name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class MutationLog(models.Model):
    """openIMIS mutation log: one row per mutation, written in its own transaction so that it
    survives the mutation's rollback; clients poll it by `clientMutationId`."""

    class Status(models.IntegerChoices):
        RECEIVED = 0
        ERROR = 1
        SUCCESS = 2

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, null=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    mutation_name = models.CharField(max_length=100)
    json_content = models.TextField(blank=True)
    request_date_time = models.DateTimeField(auto_now_add=True, db_index=True)
    client_mutation_id = models.CharField(max_length=255, blank=True, null=True, db_index=True)
    client_mutation_label = models.CharField(max_length=255, blank=True, null=True)
    client_mutation_details = models.JSONField(null=True, blank=True)
    status = models.IntegerField(choices=Status.choices, default=Status.RECEIVED)
    error = models.JSONField(null=True, blank=True)
    autogenerated_code = models.CharField(max_length=255, blank=True, null=True)
    json_ext = models.JSONField(null=True, blank=True)

    tenant_path = "organization"

    class Meta:
        ordering = ("-request_date_time",)


class CalculationRuleSetting(HistoryModel):
    """A VAT rate rule added by an organisation through data (no code). Built-in rules live in
    core.calculation; both are resolved by the same registry."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="calculation_rules")
    code = models.CharField(max_length=50)
    label = models.CharField(max_length=255)
    rate = models.DecimalField(max_digits=7, decimal_places=4)
    vat_category = models.CharField(max_length=2, default="S")
    exemption_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("organization", "code"), name="uniq_rule_code_per_org"),
            models.CheckConstraint(condition=models.Q(rate__gte=0) & models.Q(rate__lte=1), name="rule_rate_0_1"),
        ]


class MetricCounter(models.Model):
    """A monotonic counter shared by every process (web, workers, DLQ monitor), exported at
    /metrics. Incremented with one upsert, value = value + n (core.metrics.increment)."""

    name = models.CharField(max_length=100)
    labels = models.CharField(max_length=255, blank=True, default="")
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("name", "labels"), name="uniq_metric_name_labels")]


class LoginAttempt(models.Model):
    """Failed logins per username or client address, shared by every web process
    (core.login_throttle)."""

    key = models.CharField(max_length=300, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started = models.DateTimeField()


class ApiKey(models.Model):
    """A per-organisation key for server-to-server REST calls (`X-Api-Key: <secret>` or
    `Authorization: Api-Key <secret>`). Only the SHA-256 of the secret is stored; `prefix` (the
    secret's second part, also in clear in the secret) lets people recognise a key. A request made
    with the key acts for `organization` with `role`, as `created_by` (core.rest.authentication)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 hex of the secret")
    role = models.CharField(max_length=20, choices=Membership.Role.choices, default=Membership.Role.ACCOUNTANT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    date_created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["last_used_at"])

    tenant_path = "organization"

    class Meta:
        ordering = ("-date_created",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"
