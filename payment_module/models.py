"""The Molink billing source: déclarants (operators) and their portal users, tariffs and orders
(commandes); bank statements imported to reconcile payments with invoices."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.ids import uuid7
from core.models import HistoryBusinessModel, HistoryModel, Organization
from payment_module.constants import MatchStatus, OrderKind, StatementFormat


class Operator(HistoryModel):
    """A déclarant (funeral operator) billed by an organisation."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="operators")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=255)
    legal_name = models.CharField(max_length=255, blank=True, default="")
    siren = models.CharField(max_length=9, blank=True, default="")
    siret = models.CharField(max_length=14, blank=True, default="")
    vat_number = models.CharField(max_length=20, blank=True, default="")
    address_line1 = models.CharField(max_length=255, blank=True, default="")
    address_line2 = models.CharField(max_length=255, blank=True, default="")
    postal_code = models.CharField(max_length=20, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    country_code = models.CharField(max_length=2, default="FR")
    email = models.EmailField(blank=True, default="")
    currency_code = models.CharField(max_length=3, default="EUR")
    payment_days = models.PositiveSmallIntegerField(default=30)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=("organization", "code"), name="uniq_operator_code_per_org")]

    def __str__(self) -> str:
        return self.name


class Tariff(HistoryBusinessModel):
    """Price of an order kind in one currency, valid from date_valid_from to date_valid_to
    (inclusive, open end). Operators are billed with the tariffs of their own currency."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="tariffs")
    code = models.CharField(max_length=50)
    label = models.CharField(max_length=255)
    order_kind = models.CharField(max_length=30, choices=OrderKind.choices)
    unit_price = models.DecimalField(max_digits=18, decimal_places=4)
    currency_code = models.CharField(max_length=3, default="EUR", help_text="ISO 4217 currency of unit_price")
    tax_rule = models.UUIDField(help_text="calculation rule UUID (core.calculation)")
    ledger_account = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ("order_kind", "-date_valid_from")
        indexes = [models.Index(fields=["organization", "order_kind", "date_valid_from"], name="tariff_lookup_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="tariff_unit_price_gte_0"),
            models.CheckConstraint(condition=Q(date_valid_to__isnull=True) | Q(date_valid_to__gte=F("date_valid_from")),
                                   name="tariff_valid_period"),
        ]


class Order(HistoryModel):
    """A commande: a published death notice or one of its options, billed once."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="orders")
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=30, choices=OrderKind.choices)
    reference = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True, default="")
    ordered_at = models.DateTimeField(db_index=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("1"))
    options = models.JSONField(default=dict, blank=True)
    amount_override = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True,
                                          help_text="unit price agreed for this order, instead of the tariff")
    invoice_line = models.OneToOneField("invoice.InvoiceLineItem", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="billed_order")

    class Meta:
        ordering = ("ordered_at",)
        permissions = [("generate_invoice", "Can generate invoices from a period of orders")]
        indexes = [models.Index(fields=["organization", "operator", "ordered_at"], name="order_period_idx")]
        constraints = [
            models.UniqueConstraint(fields=("organization", "reference"), name="uniq_order_reference_per_org"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_gt_0"),
            models.CheckConstraint(condition=Q(amount_override__isnull=True) | Q(amount_override__gte=0),
                                   name="order_amount_override_gte_0"),
        ]

    def __str__(self) -> str:
        return self.reference


class BankStatement(models.Model):
    """One imported bank statement file (payment_module.services.bank_statements). Written once,
    with its lines, in the import's transaction; the counts are those of that import. Not
    history-tracked: an import record is never edited."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="bank_statements")
    source_format = models.CharField(max_length=10, choices=StatementFormat.choices)
    file_name = models.CharField(max_length=255, blank=True, default="")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 (hex) of the imported bytes")
    account_iban = models.CharField(max_length=34, blank=True, default="")
    statement_id = models.CharField(max_length=35, blank=True, default="", help_text="the bank's statement id (Stmt/Id)")
    message_id = models.CharField(max_length=35, blank=True, default="", help_text="camt.053 GrpHdr/MsgId")
    currency_code = models.CharField(max_length=3, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    date_created = models.DateTimeField(auto_now_add=True, db_index=True)
    line_count = models.PositiveIntegerField(default=0, help_text="lines read from the file")
    matched_count = models.PositiveIntegerField(default=0)
    unmatched_count = models.PositiveIntegerField(default=0)
    ambiguous_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0, help_text="lines already imported (not stored again)")
    ignored_count = models.PositiveIntegerField(default=0, help_text="debit lines")

    tenant_path = "organization"

    class Meta:
        ordering = ("-date_created",)
        constraints = [models.UniqueConstraint(fields=("organization", "sha256"), name="uniq_statement_file_per_org")]

    def __str__(self) -> str:
        return self.file_name or str(self.pk)


class BankStatementLine(models.Model):
    """One booked transaction of a statement, kept whatever its outcome (matched, unmatched,
    ambiguous, debit). `entry_reference` — the bank's reference of the entry — is unique per
    organisation: the idempotency key of imports."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(help_text="1-based position of the line in its file")
    entry_reference = models.CharField(max_length=255)
    booking_date = models.DateField(null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, help_text="always positive; see credit_debit")
    currency_code = models.CharField(max_length=3)
    credit_debit = models.CharField(max_length=4, help_text="CRDT or DBIT (camt.053 CdtDbtInd)")
    debtor_name = models.CharField(max_length=255, blank=True, default="")
    debtor_iban = models.CharField(max_length=34, blank=True, default="")
    remittance_info = models.TextField(blank=True, default="")
    creditor_reference = models.CharField(max_length=255, blank=True, default="",
                                          help_text="structured remittance reference (CdtrRefInf/Ref)")
    end_to_end_id = models.CharField(max_length=255, blank=True, default="")
    match_status = models.CharField(max_length=15, choices=MatchStatus.choices, db_index=True)
    match_rule = models.CharField(max_length=20, blank=True, default="")
    matched_invoice = models.ForeignKey("invoice.Invoice", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")
    payment = models.OneToOneField("invoice.InvoicePayment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="bank_statement_line")
    reason_code = models.CharField(max_length=20, blank=True, default="")
    reason = models.TextField(blank=True, default="")

    tenant_path = "organization"

    class Meta:
        ordering = ("statement", "position")
        indexes = [models.Index(fields=["statement", "position"], name="stmt_line_position_idx"),
                   models.Index(fields=["organization", "match_status"], name="stmt_line_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=("organization", "entry_reference"), name="uniq_entry_reference_per_org"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="stmt_line_amount_gte_0"),
        ]


class OperatorUser(models.Model):
    """A user's access to the invoices billed to one operator: the operator's portal account.

    Created by an invitation of the operator's organisation (payment_module.services.operator_users):
    the row holds the SHA-256 of a one-time, expiring invitation token; accepting it sets
    `date_accepted` and clears the token. Only accepted rows of live operators of live
    organisations give access (payment_module.selectors.operator_user_parties, the customer source
    of core.tenancy). An operator user has no Membership: staff queries answer NO_ORGANIZATION."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="operator_users")
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="operator_users")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator_links")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    date_invited = models.DateTimeField(default=timezone.now)
    date_accepted = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True,
                                  help_text="SHA-256 hex of the pending invitation token; null once used")
    token_expires_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["token_hash"])

    tenant_path = "organization"

    class Meta:
        ordering = ("-date_invited",)
        constraints = [models.UniqueConstraint(fields=("user", "operator"), name="uniq_operator_user")]

    def __str__(self) -> str:
        return f"{self.user} → {self.operator}"
