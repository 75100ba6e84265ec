"""Mutation `updateOrganization`: validated, versioned, audited; every failure writes nothing but
its MutationLog row."""
from __future__ import annotations

import json
import logging
import uuid
from decimal import Decimal

import pytest

from core import calculation
from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.gql.mutations import update_organization as mutation_module
from core.history import history_versions
from core.models import Membership, MutationLog, Organization
from core.services.organizations import organization_update
from tests.helpers.fixtures import make_user
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post

UPDATE = """
mutation($input: UpdateOrganizationMutationInput!) {
  updateOrganization(input: $input) {
    clientMutationId internalId
    errors { field code message }
    organization {
      uuid version name siren siret vatNumber iban bic currencyCode invoiceNumberPrefix paymentDays
      templateBlocks defaultTaxRule countryCode email
    }
  }
}"""

SNAPSHOT_FIELDS = [f.attname for f in Organization._meta.concrete_fields]


def snapshot(organization: Organization) -> dict:
    """Every column of the row and the number of history rows: what "nothing changed" means."""
    row = Organization.objects.filter(pk=organization.pk).values(*SNAPSHOT_FIELDS).get()
    return {"row": row, "history": Organization.history.filter(id=organization.pk).count()}


def update(user, org, **fields):
    return post(UPDATE, {"input": {"id": str(org.id), "version": 1, **fields}}, user=user)


def test_update_organization_success(user_a, org_a):
    # given
    history_before = org_a.history.count()

    # when
    result = update(
        user_a, org_a, clientMutationId="c-1", clientMutationLabel="Update Org A",
        name="  Org A renamed ", siren="732 829 320", siret="73282932000074", vatNumber="fr44732829320",
        iban="fr76 3000 6000 0112 3456 7890 189", bic="agrifrpp", currencyCode="chf", invoiceNumberPrefix="OA-",
        paymentDays=45, templateBlocks={"footer": "Merci de votre confiance"},
        defaultTaxRule=str(calculation.FR_VAT_10.id),
    )

    # then: normalised values, version bumped
    payload = assert_mutation_ok(result, "updateOrganization")
    assert payload["clientMutationId"] == "c-1"
    assert payload["internalId"] == str(org_a.id)
    assert payload["organization"] == {
        "uuid": str(org_a.id), "version": 2, "name": "Org A renamed", "siren": "732829320", "siret": "73282932000074",
        "vatNumber": "FR44732829320", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "currencyCode": "CHF",
        "invoiceNumberPrefix": "OA-", "paymentDays": 45, "templateBlocks": '{"footer": "Merci de votre confiance"}',
        "defaultTaxRule": str(calculation.FR_VAT_10.id), "countryCode": "FR", "email": "",
    }
    org_a.refresh_from_db()
    assert (org_a.version, org_a.user_updated_id, org_a.name) == (2, user_a.id, "Org A renamed")

    # and one history row, by whom, why, which fields
    assert org_a.history.count() == history_before + 1
    latest = history_versions(org_a)[-1]
    assert (latest.version, latest.history_type, latest.user, latest.reason) == (2, "~", user_a, "organization_update")
    assert {change.field: (change.old, change.new) for change in latest.changes} == {
        "name": ("Org A", "Org A renamed"),
        "siren": ("", "732829320"),
        "siret": ("", "73282932000074"),
        "vat_number": ("", "FR44732829320"),
        "iban": ("", "FR7630006000011234567890189"),
        "bic": ("", "AGRIFRPP"),
        "currency_code": ("EUR", "CHF"),
        "invoice_number_prefix": ("ORGA", "OA-"),
        "payment_days": (30, 45),
        "template_blocks": ({}, {"footer": "Merci de votre confiance"}),
        "default_tax_rule": (None, calculation.FR_VAT_10.id),
    }

    # and the MutationLog closed as SUCCESS
    log = MutationLog.objects.get()
    assert (log.status, log.error, log.json_ext, log.client_mutation_id, log.client_mutation_label,
            log.mutation_name, log.user_id, log.organization_id) == (
        MutationLog.Status.SUCCESS, None, {"internal_id": str(org_a.id)}, "c-1", "Update Org A",
        "UpdateOrganizationMutation", user_a.id, org_a.id,
    )
    assert json.loads(log.json_content)["payment_days"] == 45


def test_successive_updates_each_need_the_current_version(user_a, org_a):
    # given a first update (version 1 → 2)
    assert_mutation_ok(update(user_a, org_a, city="Paris"), "updateOrganization")

    # when the second one sends the version it now holds
    result = post(UPDATE, {"input": {"id": str(org_a.id), "version": 2, "city": "Lyon"}}, user=user_a)

    # then
    assert assert_mutation_ok(result, "updateOrganization")["organization"]["version"] == 3
    assert [v.reason for v in history_versions(org_a)] == [None, "organization_update", "organization_update"]


@pytest.mark.parametrize("version", [0, 2, 99])
def test_stale_version_writes_nothing(user_a, org_a, version):
    # given
    before = snapshot(org_a)

    # when
    result = post(UPDATE, {"input": {"id": str(org_a.id), "version": version, "name": "Too late"}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateOrganization", [("version", "STALE_VERSION")])
    assert f"you sent version {version}, current is 1" in result["data"]["updateOrganization"]["errors"][0]["message"]
    assert result["data"]["updateOrganization"]["organization"] is None
    assert snapshot(org_a) == before
    log = MutationLog.objects.get()
    assert (log.status, [(e["field"], e["code"]) for e in log.error]) == (
        MutationLog.Status.ERROR, [("version", "STALE_VERSION")]
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"siren": "123456789"}, [("siren", "INVALID_SIREN")]),
        ({"siret": "12345678200011"}, [("siret", "INVALID_SIRET")]),
        ({"vatNumber": "FR00123456782"}, [("vatNumber", "INVALID_VAT_NUMBER")]),
        ({"iban": "FR7630006000011234567890188"}, [("iban", "INVALID_IBAN")]),
        ({"bic": "AGRI1RPP"}, [("bic", "INVALID_BIC")]),
        ({"currencyCode": "EURO"}, [("currencyCode", "INVALID_CURRENCY")]),
        ({"currencyCode": "XXX"}, [("currencyCode", "INVALID_CURRENCY")]),
        ({"invoiceNumberPrefix": "in v"}, [("invoiceNumberPrefix", "INVALID")]),
        ({"invoiceNumberPrefix": "ABCDEFGHIJK"}, [("invoiceNumberPrefix", "INVALID")]),
        ({"paymentDays": -1}, [("paymentDays", "OUT_OF_RANGE")]),
        ({"paymentDays": 61}, [("paymentDays", "OUT_OF_RANGE")]),
        ({"templateBlocks": {"header": "x"}}, [("templateBlocks.header", "INVALID")]),
        ({"templateBlocks": {"footer": 3}}, [("templateBlocks.footer", "INVALID")]),
        ({"templateBlocks": {"footer": "x" * 4001}}, [("templateBlocks.footer", "INVALID")]),
        ({"templateBlocks": ["footer"]}, [("templateBlocks", "INVALID")]),
        ({"defaultTaxRule": "6083e9f8-5aca-5820-b664-000000000000"}, [("defaultTaxRule", "UNKNOWN_TAX_RULE")]),
        ({"name": "   "}, [("name", "REQUIRED")]),
        ({"name": "x" * 256}, [("name", "TOO_LONG")]),
        ({"city": "x" * 101}, [("city", "TOO_LONG")]),
        ({"countryCode": "FRA"}, [("countryCode", "INVALID")]),
        ({"email": "not-an-email"}, [("email", "INVALID")]),
        ({"siren": None}, [("siren", "REQUIRED")]),
        ({"paymentDays": None}, [("paymentDays", "REQUIRED")]),
        ({"templateBlocks": None}, [("templateBlocks", "REQUIRED")]),
        ({"addressLine1": None, "name": None}, [("name", "REQUIRED"), ("addressLine1", "REQUIRED")]),
        ({"operationCategory": "services and goods"}, [("operationCategory", "INVALID_OPERATION_CATEGORY")]),
        ({"operationCategory": None}, [("operationCategory", "REQUIRED")]),
        ({"shareCapital": "-1"}, [("shareCapital", "OUT_OF_RANGE")]),
        ({"shareCapital": "1000.005"}, [("shareCapital", "INVALID")]),
        ({"shareCapital": "1" + "0" * 16}, [("shareCapital", "INVALID")]),
        ({"tradeRegister": "x" * 101}, [("tradeRegister", "TOO_LONG")]),
        ({"vatFranchise": None}, [("vatFranchise", "REQUIRED")]),
        # a franchisee charges no VAT: no option for VAT on debits
        ({"vatFranchise": True, "vatOnDebits": True}, [("vatOnDebits", "INVALID")]),
        # every bad field at once, in a stable order
        ({"siren": "123456789", "bic": "AGRI1RPP", "paymentDays": 90, "name": ""},
         [("name", "REQUIRED"), ("siren", "INVALID_SIREN"), ("bic", "INVALID_BIC"), ("paymentDays", "OUT_OF_RANGE")]),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(user_a, org_a, fields, expected):
    # given
    before = snapshot(org_a)

    # when
    result = update(user_a, org_a, **fields)

    # then
    assert_mutation_errors(result, "updateOrganization", expected)
    assert result["data"]["updateOrganization"]["organization"] is None
    assert snapshot(org_a) == before
    assert MutationLog.objects.get().status == MutationLog.Status.ERROR


@pytest.mark.parametrize(("fields", "stored"), [
    ({"paymentDays": 0}, {"payment_days": 0}),
    ({"paymentDays": 60}, {"payment_days": 60}),
    ({"siren": ""}, {"siren": ""}),
    ({"defaultTaxRule": None}, {"default_tax_rule": None}),
    ({"templateBlocks": {}}, {"template_blocks": {}}),
    ({"countryCode": "be"}, {"country_code": "BE"}),
    ({"vatNumber": "DE123456789"}, {"vat_number": "DE123456789"}),
    ({"operationCategory": "mixed"}, {"operation_category": "mixed"}),
    ({"shareCapital": "10000.00", "tradeRegister": " RCS Paris 552 100 554 "},
     {"share_capital": Decimal("10000.00"), "trade_register": "RCS Paris 552 100 554"}),
    ({"shareCapital": None}, {"share_capital": None}),
    ({"vatOnDebits": True}, {"vat_on_debits": True, "vat_franchise": False}),
    ({"vatFranchise": True}, {"vat_franchise": True, "vat_on_debits": False}),
])
def test_boundary_values_are_accepted(user_a, org_a, fields, stored):
    # given / when
    result = update(user_a, org_a, **fields)

    # then
    assert_mutation_ok(result, "updateOrganization")
    assert Organization.objects.filter(pk=org_a.pk).values(*stored).get() == stored


def test_unknown_organization_is_not_found(user_a, org_a):
    # given
    before = snapshot(org_a)

    # when
    result = post(UPDATE, {"input": {"id": str(uuid.uuid4()), "version": 1, "name": "Ghost"}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateOrganization", [("id", "NOT_FOUND")])
    assert snapshot(org_a) == before


@pytest.mark.parametrize("role", [Membership.Role.VIEWER, Membership.Role.ACCOUNTANT])
def test_role_without_change_permission_is_permission_denied(org_a, role):
    # given
    user = make_user(org_a, role=role)
    before = snapshot(org_a)

    # when
    result = update(user, org_a, name="Not allowed")

    # then
    assert_mutation_errors(result, "updateOrganization", [(None, "PERMISSION_DENIED")])
    assert snapshot(org_a) == before
    log = MutationLog.objects.get()
    assert (log.status, log.user_id, log.error[0]["code"]) == (MutationLog.Status.ERROR, user.id, "PERMISSION_DENIED")


def test_anonymous_mutation_is_unauthenticated_and_logs_nothing(org_a):
    # given / when
    result = post(UPDATE, {"input": {"id": str(org_a.id), "version": 1, "name": "Anon"}})

    # then
    assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]
    assert result["data"] == {"updateOrganization": None}
    assert MutationLog.objects.count() == 0


def _write_then_fail(error: Exception):
    """A service that writes (the real update: row + history) and then fails: the mutation's
    transaction must roll the write back while the MutationLog row survives."""

    def service(*, actor, organization, version, changes):
        organization_update(actor=actor, organization=organization, version=version, changes=changes)
        raise error

    return service


@pytest.mark.django_db(transaction=True)
def test_domain_error_after_a_write_rolls_back_and_the_log_survives(user_a, org_a, monkeypatch):
    # given a service that writes and then raises a domain error, on a real (committing) database
    monkeypatch.setattr(mutation_module, "organization_update",
                        _write_then_fail(DomainError(CoreErrorCode.INVALID, "late check failed", "city")))
    before = snapshot(org_a)

    # when
    result = update(user_a, org_a, city="Nantes", clientMutationId="c-rollback")

    # then
    assert_mutation_errors(result, "updateOrganization", [("city", "INVALID")])
    assert snapshot(org_a) == before
    log = MutationLog.objects.get(client_mutation_id="c-rollback")
    assert (log.status, log.error) == (
        MutationLog.Status.ERROR, [{"field": "city", "code": "INVALID", "message": "late check failed"}]
    )


@pytest.mark.django_db(transaction=True)
def test_unexpected_exception_is_internal_error_without_detail(user_a, org_a, monkeypatch, caplog):
    # given a service that writes and then crashes with a secret in its message
    monkeypatch.setattr(mutation_module, "organization_update", _write_then_fail(RuntimeError("secret detail")))
    before = snapshot(org_a)

    # when
    with caplog.at_level(logging.ERROR, logger="molink.mutations"):
        result = update(user_a, org_a, city="Nantes", clientMutationId="c-crash")

    # then: one generic error, the secret only in the server log
    assert_mutation_errors(result, "updateOrganization", [(None, "INTERNAL_ERROR")])
    assert "secret detail" not in json.dumps(result)
    assert "RuntimeError" not in json.dumps(result)
    assert snapshot(org_a) == before
    log = MutationLog.objects.get(client_mutation_id="c-crash")
    assert log.status == MutationLog.Status.ERROR
    assert log.error == [{"field": None, "code": "INTERNAL_ERROR", "message": f"internal error; reference {log.id}"}]
    assert "secret detail" not in json.dumps(log.error)
    assert any("secret detail" in (record.exc_text or "") for record in caplog.records)


def test_internal_error_is_not_revealed_through_mutation_logs(user_a, org_a, monkeypatch):
    # given a crashed mutation
    monkeypatch.setattr(mutation_module, "organization_update", _write_then_fail(RuntimeError("secret detail")))
    update(user_a, org_a, city="Nantes", clientMutationId="c-crash")

    # when the client polls its log
    result = post('{ mutationLogs(clientMutationId: "c-crash") { edges { node { status error } } } }', user=user_a)

    # then
    node = result["data"]["mutationLogs"]["edges"][0]["node"]
    assert node["status"] == MutationLog.Status.ERROR
    assert "secret detail" not in json.dumps(result)
    assert json.loads(node["error"])[0]["code"] == "INTERNAL_ERROR"


def test_the_legal_settings_are_read_back(user_a, org_a):
    # when
    result = post("""mutation($input: UpdateOrganizationMutationInput!) {
      updateOrganization(input: $input) {
        errors { field code }
        organization { operationCategory vatFranchise vatOnDebits shareCapital tradeRegister }
      }
    }""", {"input": {"id": str(org_a.id), "version": 1, "operationCategory": "goods", "vatOnDebits": True,
                     "shareCapital": "37000", "tradeRegister": "RCS Dijon 732 829 320"}}, user=user_a)

    # then
    payload = assert_mutation_ok(result, "updateOrganization")
    assert payload["organization"] == {"operationCategory": "goods", "vatFranchise": False, "vatOnDebits": True,
                                       "shareCapital": "37000.00", "tradeRegister": "RCS Dijon 732 829 320"}


def test_franchise_cannot_be_turned_on_while_opting_for_vat_on_debits(user_a, org_a):
    # given an organisation that opted for VAT on debits
    org_a.vat_on_debits = True
    org_a.save()
    before = snapshot(org_a)

    # when
    result = update(user_a, org_a, vatFranchise=True)

    # then
    assert_mutation_errors(result, "updateOrganization", [("vatFranchise", "INVALID")])
    assert snapshot(org_a) == before
