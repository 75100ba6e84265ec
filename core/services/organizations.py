"""Writes on organisations (tenants)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from core import calculation, validation
from core.error_codes import CoreErrorCode
from core.errors import DomainError, ErrorCollector
from core.history import ensure_version, save_with_history
from core.models import CalculationRuleSetting, Organization

# Field → (camelCase input name, max length) for free text.
_TEXT_FIELDS = {
    "name": ("name", 255), "legal_name": ("legalName", 255), "address_line1": ("addressLine1", 255),
    "address_line2": ("addressLine2", 255), "postal_code": ("postalCode", 20), "city": ("city", 100),
    "email": ("email", 254), "phone": ("phone", 30), "trade_register": ("tradeRegister", 100),
}
UPDATABLE = set(_TEXT_FIELDS) | {
    "siren", "siret", "vat_number", "country_code", "iban", "bic", "invoice_number_prefix", "payment_days",
    "currency_code", "default_tax_rule", "template_blocks", "operation_category", "vat_franchise", "vat_on_debits",
    "share_capital",
}


def _validate_organization_changes(organization: Organization, changes: dict) -> None:
    check = ErrorCollector()
    # An explicit null on a NOT NULL column is refused here, not by the database (a 500).
    for name, value in changes.items():
        if value is None and not Organization._meta.get_field(name).null:
            check.errors.append(DomainError(CoreErrorCode.REQUIRED, f"{validation.camel(name)} cannot be null", validation.camel(name)))
    changes = {name: value for name, value in changes.items() if value is not None}
    for name, value in changes.items():
        if name in _TEXT_FIELDS:
            label, limit = _TEXT_FIELDS[name]
            if name == "name":
                check.check(validation.ensure_required, value, label)
            check.check(validation.ensure_max_length, value, limit, label)
    validators = {
        "siren": validation.ensure_siren, "siret": validation.ensure_siret,
        "vat_number": validation.ensure_vat_number, "iban": validation.ensure_iban, "bic": validation.ensure_bic,
        "currency_code": validation.ensure_currency, "invoice_number_prefix": validation.ensure_number_prefix,
        "email": validation.ensure_email, "payment_days": validation.ensure_payment_days,
        "country_code": validation.ensure_country_code,
    }
    for name, validator in validators.items():
        if name in changes:
            check.check(validator, changes[name])
    if changes.get("default_tax_rule"):
        check.check(calculation.get_rule, organization, changes["default_tax_rule"], "defaultTaxRule")
    if "template_blocks" in changes:
        check.check(_ensure_template_blocks, changes["template_blocks"])
    if "operation_category" in changes and changes["operation_category"] not in Organization.OperationCategory.values:
        check.errors.append(DomainError(
            CoreErrorCode.INVALID_OPERATION_CATEGORY,
            f"operation category must be one of {', '.join(Organization.OperationCategory.values)}, "
            f"got {changes['operation_category']!r}", "operationCategory"))
    if "share_capital" in changes:
        capital = check.check(validation.ensure_decimal, changes["share_capital"], "shareCapital",
                              label="share capital", minimum=Decimal(0))
        if capital is not None and (capital != capital.quantize(Decimal("0.01")) or capital >= Decimal(10) ** 16):
            check.errors.append(DomainError(
                CoreErrorCode.INVALID, f"share capital has at most 2 decimals and 16 digits, got {capital}",
                "shareCapital"))
    franchise = changes.get("vat_franchise", organization.vat_franchise)
    if franchise and changes.get("vat_on_debits", organization.vat_on_debits):
        check.errors.append(DomainError(
            CoreErrorCode.INVALID,
            "an organisation under the VAT franchise (art. 293 B du CGI) charges no VAT: it cannot opt for VAT "
            "on debits", "vatOnDebits" if "vat_on_debits" in changes else "vatFranchise"))
    check.raise_if_any()


TEMPLATE_BLOCKS = ("sender", "recipient", "summary", "details", "references", "footer")


def _ensure_template_blocks(blocks) -> None:
    if not isinstance(blocks, dict):
        raise DomainError(CoreErrorCode.INVALID, "template blocks must be an object", "templateBlocks")
    for key, value in blocks.items():
        if key not in TEMPLATE_BLOCKS:
            raise DomainError(CoreErrorCode.INVALID, f"unknown template block {key!r}; expected one of {', '.join(TEMPLATE_BLOCKS)}", f"templateBlocks.{key}")
        if not isinstance(value, str) or len(value) > 4000:
            raise DomainError(CoreErrorCode.INVALID, f"template block {key!r} must be text of at most 4000 characters", f"templateBlocks.{key}")


def _normalize(changes: dict) -> dict:
    result = {}
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
            if name in {"siren", "siret", "iban"}:
                value = value.replace(" ", "")
            if name in {"vat_number", "iban", "bic", "currency_code", "country_code"}:
                value = value.upper()
        result[name] = value
    return result


@transaction.atomic
def organization_update(*, actor, organization: Organization, version: int | None, changes: dict) -> Organization:
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise DomainError(CoreErrorCode.INVALID, f"fields not updatable: {', '.join(sorted(unknown))}")
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    ensure_version(organization, version, "organization")
    changes = _normalize(changes)
    _validate_organization_changes(organization, changes)
    for name, value in changes.items():
        setattr(organization, name, value)
    save_with_history(organization, actor=actor, reason="organization_update")
    return organization


@dataclass(frozen=True)
class RuleInput:
    code: str
    label: str
    rate: Decimal
    vat_category: str = "S"
    exemption_reason: str = ""


RATE_DECIMALS = CalculationRuleSetting._meta.get_field("rate").decimal_places


@transaction.atomic
def calculation_rule_create(*, actor, organization: Organization, data: RuleInput) -> CalculationRuleSetting:
    check = ErrorCollector()
    check.check(validation.ensure_required, data.code, "code")
    check.check(validation.ensure_max_length, data.code, 50, "code")
    check.check(validation.ensure_required, data.label, "label")
    check.check(validation.ensure_max_length, data.label, 255, "label")
    rate = check.check(validation.ensure_decimal, data.rate, "rate", minimum=Decimal(0), maximum=Decimal(1))
    if rate is not None and rate != rate.quantize(Decimal(1).scaleb(-RATE_DECIMALS)):
        # Stored with 4 decimals: refuse rather than silently round a tax rate.
        check.errors.append(DomainError(CoreErrorCode.INVALID, f"rate has at most {RATE_DECIMALS} decimals, got {rate}", "rate"))
    if data.vat_category not in {"S", "E", "AE", "Z", "K", "G", "O", "L", "M"}:
        check.errors.append(DomainError(CoreErrorCode.INVALID, f"unknown VAT category {data.vat_category!r}", "vatCategory"))
    exemption_reason = (data.exemption_reason or "").strip()
    if data.vat_category in {"E", "AE"} and not exemption_reason:
        check.errors.append(DomainError(CoreErrorCode.REQUIRED, "an exempt or reverse-charge rule needs an exemption reason", "exemptionReason"))
    check.raise_if_any()
    if CalculationRuleSetting.objects.filter(organization=organization, code=data.code).exists():
        raise DomainError(CoreErrorCode.DUPLICATE, f"a rule with code {data.code!r} already exists", "code")
    rule = CalculationRuleSetting(
        organization=organization, code=data.code.strip(), label=data.label.strip(), rate=rate,
        vat_category=data.vat_category, exemption_reason=exemption_reason,
    )
    try:
        with transaction.atomic():
            save_with_history(rule, actor=actor, reason="calculation_rule_create")
    except IntegrityError:
        raise DomainError(CoreErrorCode.DUPLICATE, f"a rule with code {data.code!r} already exists", "code") from None
    return rule

