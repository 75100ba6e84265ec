"""Mutation `createCalculationRule`: an organisation adds a VAT rate rule through data; bad input
writes nothing but its MutationLog row."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core import calculation
from core.models import CalculationRuleSetting, Membership, MutationLog
from tests.helpers.fixtures import make_user
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, data, post

CREATE = """
mutation($input: CreateCalculationRuleMutationInput!) {
  createCalculationRule(input: $input) {
    clientMutationId internalId
    errors { field code message }
    calculationRule { uuid code label calcType subType rate vatCategory exemptionReason isBuiltin }
  }
}"""


def create(user, **fields):
    values = {"code": "FR_VAT_8_5", "label": "TVA 8,5 % (DOM)", "rate": "0.085", **fields}
    return post(CREATE, {"input": values}, user=user)


def written() -> tuple[int, int]:
    return CalculationRuleSetting.objects.count(), CalculationRuleSetting.history.count()


def test_create_calculation_rule_success(user_a, org_a):
    # given / when
    result = create(user_a, clientMutationId="r-1")

    # then
    payload = assert_mutation_ok(result, "createCalculationRule")
    rule = CalculationRuleSetting.objects.get()
    assert payload["clientMutationId"] == "r-1"
    assert payload["internalId"] == str(rule.id)
    assert payload["calculationRule"] == {
        "uuid": str(rule.id), "code": "FR_VAT_8_5", "label": "TVA 8,5 % (DOM)", "calcType": "tax", "subType": "vat",
        "rate": "0.0850", "vatCategory": "S", "exemptionReason": "", "isBuiltin": False,
    }
    assert (rule.organization_id, rule.rate, rule.version, rule.user_created_id, rule.user_updated_id) == (
        org_a.id, Decimal("0.085"), 1, user_a.id, user_a.id
    )
    record = rule.history.get()
    assert (record.history_type, record.history_user_id, record.history_change_reason) == (
        "+", user_a.id, "calculation_rule_create"
    )
    log = MutationLog.objects.get()
    assert (log.mutation_name, log.status, log.error, log.json_ext) == (
        "CreateCalculationRuleMutation", MutationLog.Status.SUCCESS, None, {"internal_id": str(rule.id)}
    )


def test_created_rule_is_listed_and_usable_as_default(user_a, org_a):
    # given
    rule_id = assert_mutation_ok(create(user_a), "createCalculationRule")["internalId"]

    # when
    listed = data(post('{ calculationRules(subType: "vat") { uuid code } }', user=user_a))["calculationRules"]
    updated = post(
        """mutation($input: UpdateOrganizationMutationInput!) {
             updateOrganization(input: $input) { errors { field code } organization { defaultTaxRule } } }""",
        {"input": {"id": str(org_a.id), "version": 1, "defaultTaxRule": rule_id}}, user=user_a,
    )

    # then
    assert {"uuid": rule_id, "code": "FR_VAT_8_5"} in listed
    assert assert_mutation_ok(updated, "updateOrganization")["organization"]["defaultTaxRule"] == rule_id
    assert calculation.get_rule(org_a, rule_id).rate == Decimal("0.085")


@pytest.mark.parametrize(("category", "sub_type"), [("E", "vat_exempt"), ("AE", "vat_reverse_charge")])
def test_exempt_rule_with_a_reason(user_a, category, sub_type):
    # given / when
    result = create(user_a, code="EXO", rate="0", vatCategory=category, exemptionReason=" art. 261-4 du CGI ")

    # then
    rule = assert_mutation_ok(result, "createCalculationRule")["calculationRule"]
    assert (rule["subType"], rule["vatCategory"], rule["exemptionReason"], rule["rate"]) == (
        sub_type, category, "art. 261-4 du CGI", "0.0000"
    )


@pytest.mark.parametrize("rate", ["0", "1", "0.0001", "0.9999", "0.10000"])
def test_rate_bounds_are_accepted(user_a, rate):
    # given / when
    result = create(user_a, rate=rate)

    # then
    assert_mutation_ok(result, "createCalculationRule")
    assert CalculationRuleSetting.objects.get().rate == Decimal(rate)


def test_duplicate_code_is_refused(user_a):
    # given
    assert_mutation_ok(create(user_a), "createCalculationRule")
    before = written()

    # when
    result = create(user_a, label="Another label", rate="0.09")

    # then
    assert_mutation_errors(result, "createCalculationRule", [("code", "DUPLICATE")])
    assert result["data"]["createCalculationRule"]["calculationRule"] is None
    assert written() == before
    assert sorted(MutationLog.objects.values_list("status", flat=True)) == [
        MutationLog.Status.ERROR, MutationLog.Status.SUCCESS
    ]


def test_duplicate_code_with_surrounding_spaces_is_refused(user_a):
    # given
    assert_mutation_ok(create(user_a), "createCalculationRule")
    before = written()

    # when
    result = create(user_a, code=" FR_VAT_8_5 ")

    # then
    assert_mutation_errors(result, "createCalculationRule", [("code", "DUPLICATE")])
    assert written() == before


def test_same_code_in_another_organization_is_allowed(user_a, user_b):
    # given
    assert_mutation_ok(create(user_a), "createCalculationRule")

    # when
    result = create(user_b)

    # then
    assert_mutation_ok(result, "createCalculationRule")
    assert CalculationRuleSetting.objects.filter(code="FR_VAT_8_5").count() == 2


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"rate": "-0.01"}, [("rate", "OUT_OF_RANGE")]),
        ({"rate": "1.01"}, [("rate", "OUT_OF_RANGE")]),
        ({"rate": "20"}, [("rate", "OUT_OF_RANGE")]),
        ({"rate": "0.12345"}, [("rate", "INVALID")]),  # more decimals than stored: refused, not rounded
        ({"vatCategory": "E", "rate": "0"}, [("exemptionReason", "REQUIRED")]),
        ({"vatCategory": "AE", "rate": "0", "exemptionReason": "   "}, [("exemptionReason", "REQUIRED")]),
        ({"vatCategory": "E", "rate": "0", "exemptionReason": None}, [("exemptionReason", "REQUIRED")]),
        ({"vatCategory": "X"}, [("vatCategory", "INVALID")]),
        ({"vatCategory": None}, [("vatCategory", "INVALID")]),
        ({"code": "  "}, [("code", "REQUIRED")]),
        ({"code": "C" * 51}, [("code", "TOO_LONG")]),
        ({"label": ""}, [("label", "REQUIRED")]),
        ({"label": "L" * 256}, [("label", "TOO_LONG")]),
        ({"code": "", "rate": "2", "vatCategory": "E"},
         [("code", "REQUIRED"), ("rate", "OUT_OF_RANGE"), ("exemptionReason", "REQUIRED")]),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(user_a, fields, expected):
    # given / when
    result = create(user_a, **fields)

    # then
    assert_mutation_errors(result, "createCalculationRule", expected)
    assert written() == (0, 0)
    log = MutationLog.objects.get()
    assert (log.status, [(e["field"], e["code"]) for e in log.error]) == (
        MutationLog.Status.ERROR, [tuple(pair) for pair in expected]
    )


def test_null_exemption_reason_on_a_standard_rule_is_empty(user_a):
    # given / when
    result = create(user_a, exemptionReason=None)

    # then
    assert assert_mutation_ok(result, "createCalculationRule")["calculationRule"]["exemptionReason"] == ""


@pytest.mark.parametrize("role", [Membership.Role.VIEWER, Membership.Role.ACCOUNTANT])
def test_role_without_add_permission_is_permission_denied(org_a, role):
    # given
    user = make_user(org_a, role=role)

    # when
    result = create(user)

    # then
    assert_mutation_errors(result, "createCalculationRule", [(None, "PERMISSION_DENIED")])
    assert written() == (0, 0)
    assert MutationLog.objects.get().status == MutationLog.Status.ERROR
