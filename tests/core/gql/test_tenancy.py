"""Tenant isolation of the core GraphQL API: a member of org B sees nothing of org A, and
another tenant's object answers NOT_FOUND (never PERMISSION_DENIED)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.history import save_with_history
from core.models import CalculationRuleSetting, MutationLog, Organization
from tests.helpers.fixtures import make_user
from tests.helpers.graphql import (
    assert_mutation_errors,
    assert_mutation_ok,
    data,
    error_codes,
    post,
)

ORGANIZATIONS = "{ organizations { totalCount edges { node { uuid code name } } } }"

HISTORY = """query($id: UUID!) {
  organizationHistory(id: $id) { version historyType user reason changes { field old new } } }"""

UPDATE = """
mutation($input: UpdateOrganizationMutationInput!) {
  updateOrganization(input: $input) { internalId errors { field code message } organization { uuid version } }
}"""

PICKER = """
query($role: String!, $type: String!, $search: String) {
  pickerOptions(role: $role, type: $type, search: $search) { id type code label }
}"""

LOGS = """query($id: String) {
  mutationLogs(clientMutationId: $id) { totalCount edges { node { clientMutationId status userName } } } }"""

RULES = "{ calculationRules { uuid code isBuiltin } }"


@pytest.fixture
def rule_a(org_a, user_a):
    rule = CalculationRuleSetting(organization=org_a, code="A_ONLY_8_5", label="TVA 8,5 % (A)", rate=Decimal("0.085"))
    return save_with_history(rule, actor=user_a, reason="calculation_rule_create")


def test_organizations_lists_only_the_callers_organization(user_a, user_b, org_a, org_b):
    # given / when
    seen_by_b = data(post(ORGANIZATIONS, user=user_b))["organizations"]

    # then
    assert seen_by_b == {
        "totalCount": 1, "edges": [{"node": {"uuid": str(org_b.id), "code": "org-b", "name": "Org B"}}],
    }


def test_organizations_filtered_by_another_tenants_code_is_empty(user_a, user_b):
    # given / when
    result = data(post('{ organizations(code: "org-a") { totalCount edges { node { code } } } }', user=user_b))

    # then
    assert result["organizations"] == {"totalCount": 0, "edges": []}


def test_organization_history_of_another_tenant_is_not_found(user_a, user_b, org_a):
    # given / when
    result = post(HISTORY, {"id": str(org_a.id)}, user=user_b)

    # then
    assert error_codes(result) == ["NOT_FOUND"]
    assert result["errors"][0]["extensions"]["field"] == "id"
    assert result["data"] is None


def test_organization_history_of_own_organization(user_b, org_b):
    # given / when
    versions = data(post(HISTORY, {"id": str(org_b.id)}, user=user_b))["organizationHistory"]

    # then
    assert [(v["version"], v["historyType"]) for v in versions] == [(1, "+")]


def test_update_of_another_tenants_organization_is_not_found_and_changes_nothing(user_a, user_b, org_a):
    # given
    history_before = org_a.history.count()

    # when
    result = post(UPDATE, {"input": {"id": str(org_a.id), "version": 1, "name": "Taken over"}}, user=user_b)

    # then
    assert_mutation_errors(result, "updateOrganization", [("id", "NOT_FOUND")])
    assert result["data"]["updateOrganization"]["organization"] is None
    org_a.refresh_from_db()
    assert (org_a.name, org_a.version, org_a.history.count()) == ("Org A", 1, history_before)
    log = MutationLog.objects.get(user=user_b)
    assert (log.organization_id, log.status) == (user_b.memberships.get().organization_id, MutationLog.Status.ERROR)


@pytest.mark.parametrize(("picker_type", "search", "expected"), [
    ("organization", None, [("org-b", "Org B")]),
    ("organization", "org", [("org-b", "Org B")]),  # "org" matches A too
    ("organization", "org-a", []),
    ("user", None, [("admin-b@molink.test", "admin-b@molink.test")]),
    ("user", "molink", [("admin-b@molink.test", "admin-b@molink.test")]),  # matches A's users too
    ("user", "admin-a", []),
])
def test_picker_options_return_nothing_of_another_tenant(user_a, user_b, org_a, picker_type, search, expected):
    # given an extra member of A, to be sure several users of A exist
    make_user(org_a, username="second-a@molink.test")

    # when
    options = data(post(PICKER, {"role": "subject", "type": picker_type, "search": search}, user=user_b))

    # then: only B's organisation and B's user
    assert [(o["code"], o["label"]) for o in options["pickerOptions"]] == expected


def test_picker_options_of_own_tenant(user_a, org_a):
    # given
    make_user(org_a, username="second-a@molink.test")

    # when
    options = data(post(PICKER, {"role": "thirdparty", "type": "user", "search": "SECOND"}, user=user_a))

    # then
    assert options["pickerOptions"] == [
        {"id": str(org_a.memberships.get(user__username="second-a@molink.test").user_id), "type": "user",
         "code": "second-a@molink.test", "label": "second-a@molink.test"},
    ]


@pytest.mark.parametrize(("role", "type_", "code", "field"), [
    ("subject", "spaceship", "UNKNOWN_PICKER_TYPE", "type"),
    ("line", "organization", "UNKNOWN_PICKER_TYPE", "type"),
    ("owner", "organization", "INVALID", "role"),
])
def test_picker_options_with_unknown_role_or_type(user_a, role, type_, code, field):
    # given / when
    result = post(PICKER, {"role": role, "type": type_}, user=user_a)

    # then
    assert error_codes(result) == [code]
    assert result["errors"][0]["extensions"]["field"] == field


def test_mutation_logs_of_another_tenant_are_invisible(user_a, user_b, org_a, org_b):
    # given a mutation by A
    assert_mutation_ok(post(UPDATE, {"input": {"id": str(org_a.id), "version": 1, "city": "Paris",
                                               "clientMutationId": "a-1"}}, user=user_a), "updateOrganization")

    # when
    by_id = data(post(LOGS, {"id": "a-1"}, user=user_b))["mutationLogs"]
    all_of_b = data(post(LOGS, user=user_b))["mutationLogs"]
    all_of_a = data(post(LOGS, user=user_a))["mutationLogs"]

    # then
    assert by_id == {"totalCount": 0, "edges": []}
    assert all_of_b == {"totalCount": 0, "edges": []}
    assert all_of_a == {"totalCount": 1, "edges": [{"node": {"clientMutationId": "a-1", "status": 2,
                                                             "userName": "admin-a@molink.test"}}]}


def test_calculation_rules_exclude_another_tenants_rule(user_a, user_b, rule_a):
    # given / when
    seen_by_b = data(post(RULES, user=user_b))["calculationRules"]
    seen_by_a = data(post(RULES, user=user_a))["calculationRules"]

    # then
    builtin = ["FR_VAT_20", "FR_VAT_10", "FR_VAT_5_5", "FR_VAT_2_1", "FR_VAT_DEBOURS", "FR_VAT_EXEMPT", "FR_VAT_EXPORT",
               "FR_VAT_INTRA_EU", "FR_VAT_REVERSE_CHARGE"]
    assert [r["code"] for r in seen_by_b] == builtin
    assert [r["code"] for r in seen_by_a] == builtin + ["A_ONLY_8_5"]
    assert seen_by_a[-1] == {"uuid": str(rule_a.id), "code": "A_ONLY_8_5", "isBuiltin": False}


def test_another_tenants_rule_cannot_be_an_organizations_default(user_a, user_b, org_b, rule_a):
    # given / when
    result = post(UPDATE, {"input": {"id": str(org_b.id), "version": 1, "defaultTaxRule": str(rule_a.id)}},
                  user=user_b)

    # then
    assert_mutation_errors(result, "updateOrganization", [("defaultTaxRule", "UNKNOWN_TAX_RULE")])
    org_b.refresh_from_db()
    assert (org_b.default_tax_rule, org_b.version) == (None, 1)


def test_history_records_the_actor_and_the_reason(user_b, org_b):
    # given / when
    assert_mutation_ok(post(UPDATE, {"input": {"id": str(org_b.id), "version": 1, "city": "Lyon"}}, user=user_b),
                       "updateOrganization")

    # then
    latest = Organization.history.filter(id=org_b.id).latest("history_date")
    assert (latest.history_user_id, latest.history_change_reason, latest.history_type, latest.version) == (
        user_b.id, "organization_update", "~", 2
    )
    versions = data(post(HISTORY, {"id": str(org_b.id)}, user=user_b))["organizationHistory"]
    assert versions[-1] == {"version": 2, "historyType": "~", "user": "admin-b@molink.test",
                            "reason": "organization_update", "changes": [{"field": "city", "old": "", "new": "Lyon"}]}


def test_rule_history_records_the_actor_and_the_reason(user_a, rule_a):
    # given the rule created through save_with_history / when
    record = rule_a.history.get()

    # then
    assert (record.history_user_id, record.history_change_reason, record.history_type) == (
        user_a.id, "calculation_rule_create", "+"
    )
