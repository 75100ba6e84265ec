"""Calculation rules (tax hooks): one registry for built-in rules and organisation rules.

A rule has a stable UUID (what an invoice line's `tax_rate` stores), a `calc_type` ("tax"), a
`sub_type`, a label, an EN 16931 VAT category and a rate. Built-in rules are registered at start-up
(CoreConfig.ready); organisations add rate rules as `CalculationRuleSetting` rows, resolved by
the same functions. Rounding is not done here: see core.money.vat_breakdown.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.money import TaxAnalysis, to_decimal, vat_breakdown

CALC_TYPE_TAX = "tax"
SUB_TYPE_VAT = "vat"
SUB_TYPE_VAT_EXEMPT = "vat_exempt"
SUB_TYPE_REVERSE_CHARGE = "vat_reverse_charge"

# Never change: rule UUIDs are stored on invoice lines.
RULE_NAMESPACE = uuid.UUID("6f1c5e2a-4d0b-4c55-9a57-7d3c0c2b8e11")


@dataclass(frozen=True)
class CalculationRule:
    id: uuid.UUID
    code: str
    label: str
    rate: Decimal
    calc_type: str = CALC_TYPE_TAX
    sub_type: str = SUB_TYPE_VAT
    vat_category: str = "S"  # EN 16931 UNCL5305: S standard/reduced, E exempt, AE reverse charge
    exemption_reason: str = ""
    exemption_reason_code: str = ""
    organization_id: uuid.UUID | None = None  # None: built-in, available to every organisation

    def tax_on(self, base: Decimal) -> Decimal:
        return to_decimal(base) * self.rate

    def calculate(self, bases: Iterable[Decimal], currency: str = "EUR") -> TaxAnalysis:
        return vat_breakdown(((self, base) for base in bases), currency)


def builtin_rule_id(code: str) -> uuid.UUID:
    return uuid.uuid5(RULE_NAMESPACE, code)


_REGISTRY: dict[uuid.UUID, CalculationRule] = {}


def register(rule: CalculationRule) -> CalculationRule:
    existing = _REGISTRY.get(rule.id)
    if existing is not None and existing != rule:
        raise ValueError(f"calculation rule {rule.id} registered twice with different content")
    _REGISTRY[rule.id] = rule
    return rule


def _builtin(code: str, label: str, rate: str, **extra) -> CalculationRule:
    return CalculationRule(id=builtin_rule_id(code), code=code, label=label, rate=Decimal(rate), **extra)


FR_VAT_20 = _builtin("FR_VAT_20", "TVA 20 %", "0.20")
FR_VAT_10 = _builtin("FR_VAT_10", "TVA 10 %", "0.10")
FR_VAT_5_5 = _builtin("FR_VAT_5_5", "TVA 5,5 %", "0.055")
FR_VAT_2_1 = _builtin("FR_VAT_2_1", "TVA 2,1 %", "0.021")
FR_VAT_EXEMPT = _builtin(
    "FR_VAT_EXEMPT", "Exonéré de TVA", "0", sub_type=SUB_TYPE_VAT_EXEMPT, vat_category="E",
    exemption_reason="TVA non applicable, art. 293 B du CGI", exemption_reason_code="VATEX-FR-FRANCHISE",
)
FR_VAT_REVERSE_CHARGE = _builtin(
    "FR_VAT_REVERSE_CHARGE", "Autoliquidation", "0", sub_type=SUB_TYPE_REVERSE_CHARGE, vat_category="AE",
    exemption_reason="Autoliquidation : TVA due par le preneur (art. 283-2 du CGI)",
    exemption_reason_code="VATEX-EU-AE",
)
BUILTIN_RULES = (FR_VAT_20, FR_VAT_10, FR_VAT_5_5, FR_VAT_2_1, FR_VAT_EXEMPT, FR_VAT_REVERSE_CHARGE)


def builtin_rule(rule_id) -> CalculationRule | None:
    return _REGISTRY.get(rule_id)


def register_builtin_rules() -> None:
    for rule in BUILTIN_RULES:
        register(rule)


def _from_setting(setting) -> CalculationRule:
    category = setting.vat_category or "S"
    sub_type = {"E": SUB_TYPE_VAT_EXEMPT, "AE": SUB_TYPE_REVERSE_CHARGE}.get(category, SUB_TYPE_VAT)
    return CalculationRule(
        id=setting.id, code=setting.code, label=setting.label, rate=setting.rate, sub_type=sub_type,
        vat_category=category, exemption_reason=setting.exemption_reason,
        organization_id=setting.organization_id,
    )


def list_rules(organization, calc_type: str | None = None, sub_type: str | None = None) -> list[CalculationRule]:
    from core.models import CalculationRuleSetting

    rules = list(_REGISTRY.values())
    if organization is not None:
        settings = CalculationRuleSetting.objects.filter(organization=organization, is_deleted=False)
        rules += [_from_setting(s) for s in settings]
    return [
        rule for rule in rules
        if (calc_type is None or rule.calc_type == calc_type) and (sub_type is None or rule.sub_type == sub_type)
    ]


def get_rules(organization, rule_ids: Iterable, field: str = "taxRate") -> dict[uuid.UUID, CalculationRule]:
    """Resolve several rule UUIDs at once (one query at most); unknown ones raise UNKNOWN_TAX_RULE."""
    from core.models import CalculationRuleSetting

    wanted: dict[uuid.UUID, str] = {}
    for raw in rule_ids:
        if raw in (None, ""):
            continue
        try:
            wanted[uuid.UUID(str(raw))] = str(raw)
        except ValueError:
            raise DomainError(CoreErrorCode.UNKNOWN_TAX_RULE, f"unknown tax rule {raw!r}", field) from None
    found = {key: _REGISTRY[key] for key in wanted if key in _REGISTRY}
    missing = [key for key in wanted if key not in found]
    if missing and organization is not None:
        for setting in CalculationRuleSetting.objects.filter(
            organization=organization, is_deleted=False, id__in=missing
        ):
            found[setting.id] = _from_setting(setting)
    for key in wanted:
        if key not in found:
            raise DomainError(CoreErrorCode.UNKNOWN_TAX_RULE, f"unknown tax rule {wanted[key]}", field)
    return found


def get_rule(organization, rule_id, field: str = "taxRate") -> CalculationRule:
    found = get_rules(organization, [rule_id], field)
    if not found:
        raise DomainError(CoreErrorCode.UNKNOWN_TAX_RULE, "a tax rule is required", field)
    return next(iter(found.values()))
