"""core.calculation: the registry of tax rules, built-in French VAT rules with stable UUIDs and
organisation-defined rules resolved only for their organisation."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import calculation
from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.history import save_with_history
from core.models import CalculationRuleSetting


def make_rule(organization, code="FR_VAT_8_5", rate="0.085", **extra) -> CalculationRuleSetting:
    rule = CalculationRuleSetting(organization=organization, code=code, label=f"TVA {code}", rate=Decimal(rate),
                                  **extra)
    return save_with_history(rule, actor=None, reason="test")


@pytest.mark.parametrize(
    ("code", "rate", "sub_type", "category"),
    [
        ("FR_VAT_20", "0.20", "vat", "S"),
        ("FR_VAT_10", "0.10", "vat", "S"),
        ("FR_VAT_5_5", "0.055", "vat", "S"),
        ("FR_VAT_2_1", "0.021", "vat", "S"),
        ("FR_VAT_EXEMPT", "0", "vat_exempt", "E"),
        ("FR_VAT_DEBOURS", "0", "vat_exempt", "E"),
        ("FR_VAT_INTRA_EU", "0", "vat_exempt", "K"),
        ("FR_VAT_EXPORT", "0", "vat_exempt", "G"),
        ("FR_VAT_REVERSE_CHARGE", "0", "vat_reverse_charge", "AE"),
    ],
)
def test_builtin_french_vat_rules_are_registered(code, rate, sub_type, category):
    # given the rules registered by CoreConfig.ready()
    rules = {rule.code: rule for rule in calculation.list_rules(None)}

    # when
    rule = rules[code]

    # then
    assert (rule.rate, rule.calc_type, rule.sub_type, rule.vat_category, rule.organization_id) == (
        Decimal(rate), "tax", sub_type, category, None
    )
    assert rule.id == uuid.uuid5(calculation.RULE_NAMESPACE, code)
    assert calculation.get_rule(None, rule.id) is rule


def test_builtin_rule_uuids_never_change():
    # given: invoice lines store these UUIDs; changing the namespace or the codes breaks every invoice
    # when / then
    assert calculation.RULE_NAMESPACE == uuid.UUID("6f1c5e2a-4d0b-4c55-9a57-7d3c0c2b8e11")
    assert calculation.FR_VAT_20.id == uuid.UUID("6083e9f8-5aca-5820-b664-b61b308550dd")
    assert calculation.builtin_rule_id("FR_VAT_5_5") == uuid.UUID("1ed65972-652e-5f58-8a8d-f8d95b5c37ee")


@pytest.mark.parametrize(("code", "has_reason"), [("FR_VAT_EXEMPT", True), ("FR_VAT_REVERSE_CHARGE", True),
                                                  ("FR_VAT_DEBOURS", True), ("FR_VAT_INTRA_EU", True),
                                                  ("FR_VAT_EXPORT", True), ("FR_VAT_20", False)])
def test_exempt_and_reverse_charge_rules_carry_a_reason(code, has_reason):
    # given / when
    rule = calculation.get_rule(None, calculation.builtin_rule_id(code))

    # then
    assert bool(rule.exemption_reason) is has_reason
    assert bool(rule.exemption_reason_code) is has_reason


@pytest.mark.parametrize(("code", "category", "vatex", "article"), [
    ("FR_VAT_EXEMPT", "E", "VATEX-FR-FRANCHISE", "TVA non applicable, art. 293 B du CGI"),
    ("FR_VAT_DEBOURS", "E", "VATEX-EU-79-C", "art. 267 II 2° du CGI"),
    ("FR_VAT_INTRA_EU", "K", "VATEX-EU-IC", "art. 262 ter I du CGI"),
    ("FR_VAT_EXPORT", "G", "VATEX-EU-G", "art. 262 I du CGI"),
    ("FR_VAT_REVERSE_CHARGE", "AE", "VATEX-EU-AE", "art. 283-2 du CGI"),
])
def test_exemption_rules_have_their_vatex_code_and_article(code, category, vatex, article):
    rule = calculation.get_rule(None, calculation.builtin_rule_id(code))
    assert (rule.vat_category, rule.exemption_reason_code, rule.rate) == (category, vatex, Decimal(0))
    assert article in rule.exemption_reason


def test_the_franchise_rule_keeps_the_uuid_of_the_first_exempt_rule():
    # lines validated before the franchise rule got its name reference this UUID
    assert calculation.FR_VAT_FRANCHISE is calculation.FR_VAT_EXEMPT
    assert calculation.FR_VAT_FRANCHISE.id == uuid.uuid5(calculation.RULE_NAMESPACE, "FR_VAT_EXEMPT")


# -- ensure_vat_coherence --------------------------------------------------------------------------

class Org:
    def __init__(self, *, vat_franchise=False, vat_number="FR40552100554", default_tax_rule=None):
        self.vat_franchise, self.vat_number, self.default_tax_rule = vat_franchise, vat_number, default_tax_rule


class Buyer:
    def __init__(self, vat_number=""):
        self.vat_number = vat_number


def coherence_errors(organization, codes, buyer=None) -> list[tuple[str, str]]:
    rules = [getattr(calculation, code) if code else None for code in codes]
    try:
        calculation.ensure_vat_coherence(organization, rules, buyer=buyer)
    except DomainError as raised:
        return [(error.field, error.code.name) for error in raised.errors]
    return []


@pytest.mark.parametrize(("organization", "codes", "buyer"), [
    (Org(), ["FR_VAT_20", "FR_VAT_10", "FR_VAT_DEBOURS"], None),
    (Org(), ["FR_VAT_20", "FR_VAT_EXPORT"], None),
    (Org(), ["FR_VAT_20", "FR_VAT_REVERSE_CHARGE", "FR_VAT_INTRA_EU"], Buyer("BE0477472701")),
    (Org(vat_franchise=True, vat_number=""), ["FR_VAT_FRANCHISE", "FR_VAT_FRANCHISE"], None),
    (Org(vat_number=""), [None, None], None),  # every line out of scope
])
def test_coherent_invoices_pass(organization, codes, buyer):
    assert coherence_errors(organization, codes, buyer) == []


def test_franchise_on_a_non_franchisee_is_refused_on_its_line():
    # the bug of the first release: "TVA non applicable, art. 293 B" beside 20 % lines
    assert coherence_errors(Org(), ["FR_VAT_20", "FR_VAT_FRANCHISE"]) == [
        ("lineItems.1.taxRate", "VAT_FRANCHISE_NOT_APPLICABLE")]


def test_a_franchisee_charges_no_vat_on_any_line():
    assert coherence_errors(Org(vat_franchise=True), ["FR_VAT_FRANCHISE", "FR_VAT_20", "FR_VAT_DEBOURS", None]) == [
        ("lineItems.1.taxRate", "VAT_FRANCHISE_REQUIRED"), ("lineItems.2.taxRate", "VAT_FRANCHISE_REQUIRED"),
        ("lineItems.3.taxRate", "VAT_FRANCHISE_REQUIRED")]


def test_out_of_scope_lines_mixed_with_others_are_refused():
    assert coherence_errors(Org(), ["FR_VAT_20", None, "FR_VAT_10", None]) == [
        ("lineItems.1.taxRate", "VAT_CATEGORY_MIX"), ("lineItems.3.taxRate", "VAT_CATEGORY_MIX")]


@pytest.mark.parametrize("code", ["FR_VAT_REVERSE_CHARGE", "FR_VAT_INTRA_EU"])
def test_reverse_charge_and_intra_eu_supply_need_the_buyers_vat_number(code):
    assert coherence_errors(Org(), ["FR_VAT_20", code], Buyer("")) == [
        ("thirdparty.vatNumber", "BUYER_VAT_NUMBER_REQUIRED")]
    assert coherence_errors(Org(), [code], None) == [("thirdparty.vatNumber", "BUYER_VAT_NUMBER_REQUIRED")]


@pytest.mark.parametrize(("code", "buyer"), [("FR_VAT_REVERSE_CHARGE", Buyer("BE0477472701")),
                                             ("FR_VAT_INTRA_EU", Buyer("BE0477472701")), ("FR_VAT_EXPORT", None)])
def test_reverse_charge_intra_eu_and_export_need_the_sellers_vat_number(code, buyer):
    assert coherence_errors(Org(vat_number=""), [code], buyer) == [
        ("organization.vatNumber", "SELLER_VAT_NUMBER_REQUIRED")]


def test_organisation_rule_of_category_o_counts_as_out_of_scope(org_a):
    # given an organisation rule "not subject to VAT"
    setting = make_rule(org_a, code="HORS_CHAMP", rate="0", vat_category="O", exemption_reason="Hors champ")
    rule = calculation.get_rule(org_a, setting.id)

    # when / then
    with pytest.raises(DomainError) as raised:
        calculation.ensure_vat_coherence(org_a, [calculation.FR_VAT_20, rule])
    assert [(e.field, e.code.name) for e in raised.value.errors] == [("lineItems.1.taxRate", "VAT_CATEGORY_MIX")]


@pytest.mark.parametrize(("organization", "expected"), [
    (Org(), calculation.FR_VAT_20.id),
    (Org(vat_franchise=True), calculation.FR_VAT_FRANCHISE.id),
    (Org(vat_franchise=True, default_tax_rule=calculation.FR_VAT_DEBOURS.id), calculation.FR_VAT_DEBOURS.id),
])
def test_default_rule_of_a_new_line(organization, expected):
    assert calculation.default_rule_id(organization) == expected


def test_list_rules_filters_by_calc_and_sub_type():
    # given / when
    exempt = calculation.list_rules(None, calc_type="tax", sub_type="vat_exempt")
    other_calc_type = calculation.list_rules(None, calc_type="discount")

    # then
    assert [rule.code for rule in exempt] == ["FR_VAT_EXEMPT", "FR_VAT_DEBOURS", "FR_VAT_INTRA_EU", "FR_VAT_EXPORT"]
    assert other_calc_type == []


@pytest.mark.parametrize("unknown", ["889aa6dc-b725-468e-876c-68b5c0b1af2c", uuid.UUID("e54a6a70-9fdd-4216-8467-8fcbd1ff488c"), "not-a-uuid", "123"])
def test_get_rules_with_an_unknown_rule_raises_unknown_tax_rule_on_the_field(db, unknown):
    # given / when
    with pytest.raises(DomainError) as caught:
        calculation.get_rules(None, [calculation.FR_VAT_20.id, unknown], field="lines.2.taxRate")

    # then
    assert (caught.value.field, caught.value.code) == ("lines.2.taxRate", CoreErrorCode.UNKNOWN_TAX_RULE)
    assert str(unknown) in caught.value.message


def test_get_rule_without_a_rule_is_unknown_tax_rule():
    # given / when
    with pytest.raises(DomainError) as caught:
        calculation.get_rule(None, None, field="defaultTaxRule")

    # then
    assert (caught.value.field, caught.value.code) == ("defaultTaxRule", CoreErrorCode.UNKNOWN_TAX_RULE)


def test_organization_rule_is_resolved_for_its_organization(org_a):
    # given
    setting = make_rule(org_a)

    # when
    rule = calculation.get_rule(org_a, str(setting.id))

    # then
    assert (rule.id, rule.code, rule.rate, rule.sub_type, rule.vat_category, rule.organization_id) == (
        setting.id, "FR_VAT_8_5", Decimal("0.0850"), "vat", "S", org_a.id
    )
    assert setting.id in {r.id for r in calculation.list_rules(org_a)}


def test_organization_rule_is_unknown_to_another_organization(org_a, org_b):
    # given a rule of org A
    setting = make_rule(org_a)

    # when org B resolves it
    with pytest.raises(DomainError) as caught:
        calculation.get_rule(org_b, setting.id, field="taxRate")

    # then
    assert (caught.value.field, caught.value.code) == ("taxRate", CoreErrorCode.UNKNOWN_TAX_RULE)
    assert setting.id not in {r.id for r in calculation.list_rules(org_b)}


def test_deleted_organization_rule_is_unknown(org_a):
    # given
    setting = make_rule(org_a, is_deleted=True)

    # when / then
    with pytest.raises(DomainError) as caught:
        calculation.get_rule(org_a, setting.id)
    assert caught.value.code == CoreErrorCode.UNKNOWN_TAX_RULE
    assert setting.id not in {r.id for r in calculation.list_rules(org_a)}


@pytest.mark.parametrize(("category", "sub_type"), [("E", "vat_exempt"), ("AE", "vat_reverse_charge")])
def test_organization_rule_sub_type_follows_its_vat_category(org_a, category, sub_type):
    # given
    setting = make_rule(org_a, rate="0", vat_category=category, exemption_reason="art. 261 du CGI")

    # when
    rule = calculation.get_rule(org_a, setting.id)

    # then
    assert (rule.sub_type, rule.vat_category, rule.exemption_reason) == (sub_type, category, "art. 261 du CGI")


def test_get_rules_resolves_several_organization_rules_in_one_query(org_a):
    # given
    first, second = make_rule(org_a, code="R1"), make_rule(org_a, code="R2")

    # when
    with CaptureQueriesContext(connection) as queries:
        found = calculation.get_rules(org_a, [first.id, calculation.FR_VAT_20.id, str(second.id), None, ""])

    # then
    assert len(queries) == 1
    assert set(found) == {first.id, second.id, calculation.FR_VAT_20.id}


def test_builtin_rules_resolve_without_a_query(db):
    # given / when
    with CaptureQueriesContext(connection) as queries:
        calculation.get_rules(None, [calculation.FR_VAT_20.id, calculation.FR_VAT_10.id])

    # then
    assert len(queries) == 0


def test_registering_a_different_rule_under_an_existing_uuid_is_refused():
    # given
    clash = calculation.CalculationRule(id=calculation.FR_VAT_20.id, code="FR_VAT_20", label="TVA 20 %",
                                        rate=Decimal("0.19"))

    # when / then
    assert calculation.register(calculation.FR_VAT_20) is calculation.FR_VAT_20  # same content: idempotent
    with pytest.raises(ValueError, match="registered twice"):
        calculation.register(clash)
    assert calculation.get_rule(None, calculation.FR_VAT_20.id).rate == Decimal("0.20")
