"""Calculation rules (tax hooks): one registry for built-in rules and organisation rules.

A rule has a stable UUID (what an invoice line's `tax_rate` stores), a `calc_type` ("tax"), a
`sub_type`, a label, an EN 16931 VAT category and a rate. Built-in rules are registered at start-up
(CoreConfig.ready); organisations add rate rules as `CalculationRuleSetting` rows, resolved by
the same functions. Rounding is not done here: see core.money.vat_breakdown.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.error_codes import CoreErrorCode
from core.errors import DomainError, DomainErrors
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
# The small-business franchise (franchise en base, art. 293 B du CGI): only for an organisation
# configured as franchisee (Organization.vat_franchise), and then on every line (ensure_vat_coherence).
# Code and UUID kept from the first release, where this rule was the only "exempt" one.
FR_VAT_EXEMPT = _builtin(
    "FR_VAT_EXEMPT", "Franchise en base", "0", sub_type=SUB_TYPE_VAT_EXEMPT, vat_category="E",
    exemption_reason="TVA non applicable, art. 293 B du CGI", exemption_reason_code="VATEX-FR-FRANCHISE",
)
FR_VAT_FRANCHISE = FR_VAT_EXEMPT
# Débours: costs paid in the customer's name and on its behalf, re-invoiced at cost, outside the taxable
# amount (art. 267 II 2° du CGI, art. 79 c of Directive 2006/112/EC). EN 16931 category E with
# VATEX-EU-79-C rather than O: O forbids any other category on the invoice and the VAT ids (BR-O-02,
# BR-O-11…14), and débours always come beside a taxed service.
FR_VAT_DEBOURS = _builtin(
    "FR_VAT_DEBOURS", "Débours", "0", sub_type=SUB_TYPE_VAT_EXEMPT, vat_category="E",
    exemption_reason="Débours : frais engagés au nom et pour le compte du client, exclus de la base d'imposition "
                     "(art. 267 II 2° du CGI)",
    exemption_reason_code="VATEX-EU-79-C",
)
FR_VAT_INTRA_EU = _builtin(
    "FR_VAT_INTRA_EU", "Livraison intracommunautaire exonérée", "0", sub_type=SUB_TYPE_VAT_EXEMPT,
    vat_category="K", exemption_reason="Exonération de TVA, art. 262 ter I du CGI",
    exemption_reason_code="VATEX-EU-IC",
)
FR_VAT_EXPORT = _builtin(
    "FR_VAT_EXPORT", "Exportation exonérée", "0", sub_type=SUB_TYPE_VAT_EXEMPT, vat_category="G",
    exemption_reason="Exonération de TVA, art. 262 I du CGI (exportation hors de l'Union européenne)",
    exemption_reason_code="VATEX-EU-G",
)
FR_VAT_REVERSE_CHARGE = _builtin(
    "FR_VAT_REVERSE_CHARGE", "Autoliquidation", "0", sub_type=SUB_TYPE_REVERSE_CHARGE, vat_category="AE",
    exemption_reason="Autoliquidation : TVA due par le preneur (art. 283-2 du CGI)",
    exemption_reason_code="VATEX-EU-AE",
)
BUILTIN_RULES = (FR_VAT_20, FR_VAT_10, FR_VAT_5_5, FR_VAT_2_1, FR_VAT_EXEMPT, FR_VAT_DEBOURS, FR_VAT_INTRA_EU,
                 FR_VAT_EXPORT, FR_VAT_REVERSE_CHARGE)


def default_rule_id(organization) -> uuid.UUID:
    """The rule a new line takes when none is given: the organisation's default, else the franchise
    for a franchisee (which may charge no VAT), else French VAT 20 %."""
    if organization is not None and organization.default_tax_rule:
        return organization.default_tax_rule
    if organization is not None and organization.vat_franchise:
        return FR_VAT_FRANCHISE.id
    return FR_VAT_20.id


def builtin_rule(rule_id) -> CalculationRule | None:
    return _REGISTRY.get(rule_id)


def register_builtin_rules() -> None:
    for rule in BUILTIN_RULES:
        register(rule)


def _from_setting(setting) -> CalculationRule:
    category = setting.vat_category or "S"
    sub_type = {"E": SUB_TYPE_VAT_EXEMPT, "K": SUB_TYPE_VAT_EXEMPT, "G": SUB_TYPE_VAT_EXEMPT,
                "AE": SUB_TYPE_REVERSE_CHARGE}.get(category, SUB_TYPE_VAT)
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


# -- VAT coherence of one invoice (checked when it is validated) ------------------------------------

# Categories whose EN 16931 rules need the buyer's VAT id (BR-AE-02, BR-IC-02) and the seller's
# (BR-AE-02, BR-IC-02, BR-G-02). "O" (not subject to VAT) excludes every other category (BR-O-11…14).
NEEDS_BUYER_VAT_ID = {"AE": "reverse charge", "K": "intra-community supply"}
NEEDS_SELLER_VAT_ID = {"AE": "reverse charge", "K": "intra-community supply", "G": "export"}
OUT_OF_SCOPE = "O"


def ensure_vat_coherence(organization, rules: Sequence[CalculationRule | None], *, buyer=None,
                         field_prefix: str = "lineItems") -> None:
    """Refuse an invoice whose lines' tax rules do not go together or do not fit its parties.

    ``rules`` are the rules of the invoice's lines in order (None: a line without a tax rule, out of
    scope of VAT, category O); ``buyer`` is the invoice's thirdparty (its ``vat_number`` is read).
    Every problem is reported, each on its line
    (``lineItems.<index>.taxRate``) or on the party that lacks a VAT id."""
    errors: list[DomainError] = []
    franchisee = bool(getattr(organization, "vat_franchise", False))
    categories = [rule.vat_category if rule is not None else OUT_OF_SCOPE for rule in rules]
    for index, rule in enumerate(rules):
        field = f"{field_prefix}.{index}.taxRate"
        if rule is not None and rule.id == FR_VAT_FRANCHISE.id and not franchisee:
            errors.append(DomainError(
                CoreErrorCode.VAT_FRANCHISE_NOT_APPLICABLE,
                f"line {index + 1}: {rule.label} (art. 293 B du CGI) is only for an organisation under the "
                "VAT franchise (vatFranchise); choose the rule that applies (a VAT rate, débours, export…)", field))
        elif franchisee and (rule is None or rule.id != FR_VAT_FRANCHISE.id):
            name = rule.label if rule is not None else "no tax rule"
            errors.append(DomainError(
                CoreErrorCode.VAT_FRANCHISE_REQUIRED,
                f"line {index + 1}: the organisation is under the VAT franchise (art. 293 B du CGI) and charges no "
                f"VAT: every line takes the rule {FR_VAT_FRANCHISE.code}, got {name}", field))
    if not franchisee and OUT_OF_SCOPE in categories and set(categories) != {OUT_OF_SCOPE}:
        for index, category in enumerate(categories):
            if category == OUT_OF_SCOPE:
                errors.append(DomainError(
                    CoreErrorCode.VAT_CATEGORY_MIX,
                    f"line {index + 1} is out of scope of VAT (category O: no tax rule, or a rule of category O) "
                    "while other lines are not: EN 16931 allows category O only on an invoice where every line "
                    "is O (BR-O-11); give it a tax rule", f"{field_prefix}.{index}.taxRate"))
    present = set(categories)
    needs_buyer = sorted(NEEDS_BUYER_VAT_ID[c] for c in present & NEEDS_BUYER_VAT_ID.keys())
    if needs_buyer and not (getattr(buyer, "vat_number", "") or "").strip():
        errors.append(DomainError(
            CoreErrorCode.BUYER_VAT_NUMBER_REQUIRED,
            f"{' and '.join(needs_buyer)} needs the buyer's VAT number (BR-AE-02, BR-IC-02)", "thirdparty.vatNumber"))
    needs_seller = sorted(NEEDS_SELLER_VAT_ID[c] for c in present & NEEDS_SELLER_VAT_ID.keys())
    if needs_seller and not (getattr(organization, "vat_number", "") or "").strip():
        errors.append(DomainError(
            CoreErrorCode.SELLER_VAT_NUMBER_REQUIRED,
            f"{' and '.join(needs_seller)} needs the organisation's VAT number (BR-AE-02, BR-IC-02, BR-G-02)",
            "organization.vatNumber"))
    if errors:
        raise DomainErrors(errors) if len(errors) > 1 else errors[0]
