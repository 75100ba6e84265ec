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
                                                  ("FR_VAT_20", False)])
def test_exempt_and_reverse_charge_rules_carry_a_reason(code, has_reason):
    # given / when
    rule = calculation.get_rule(None, calculation.builtin_rule_id(code))

    # then
    assert bool(rule.exemption_reason) is has_reason
    assert bool(rule.exemption_reason_code) is has_reason


def test_list_rules_filters_by_calc_and_sub_type():
    # given / when
    exempt = calculation.list_rules(None, calc_type="tax", sub_type="vat_exempt")
    other_calc_type = calculation.list_rules(None, calc_type="discount")

    # then
    assert [rule.code for rule in exempt] == ["FR_VAT_EXEMPT"]
    assert other_calc_type == []


@pytest.mark.parametrize("unknown", [str(uuid.uuid4()), uuid.uuid4(), "not-a-uuid", "123"])
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
