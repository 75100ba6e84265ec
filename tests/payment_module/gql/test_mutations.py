"""GraphQL of the billing source: createOperator, updateOperator, createTariff, createOrder and
generateInvoicesForTimePeriod (payload errors, permissions, MutationLog), the operator/order
queries and picker options, all scoped to the caller's organisation."""
from __future__ import annotations

import base64
import json
from datetime import datetime
from decimal import Decimal

import pytest

from core.calculation import FR_VAT_10, FR_VAT_20
from core.models import MutationLog
from invoice.models import Invoice
from payment_module.constants import OrderKind
from payment_module.models import Operator, Order, Tariff
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, data, post
from tests.payment_module.helpers import OPERATOR_DATA, at, make_order, nothing_written

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "0190f0a4-0000-7000-8000-000000000000"

OPERATOR_FIELDS = """id code name legalName siren siret vatNumber addressLine1 postalCode city countryCode email
currencyCode paymentDays isActive version"""

CREATE_OPERATOR = f"""
mutation($input: CreateOperatorMutationInput!) {{
  createOperator(input: $input) {{ clientMutationId internalId errors {{ field code message }}
    operator {{ {OPERATOR_FIELDS} }} }}
}}"""

UPDATE_OPERATOR = f"""
mutation($input: UpdateOperatorMutationInput!) {{
  updateOperator(input: $input) {{ internalId errors {{ field code message }} operator {{ {OPERATOR_FIELDS} }} }}
}}"""

CREATE_TARIFF = """
mutation($input: CreateTariffMutationInput!) {
  createTariff(input: $input) { internalId errors { field code message }
    tariff { code label orderKind unitPrice taxRule ledgerAccount dateValidFrom dateValidTo version } }
}"""

CREATE_ORDER = """
mutation($input: CreateOrderMutationInput!) {
  createOrder(input: $input) { internalId errors { field code message }
    order { reference kind description orderedAt quantity options amountOverride isBilled version
            operator { code } } }
}"""

GENERATE = """
mutation($input: GenerateInvoicesForTimePeriodMutationInput!) {
  generateInvoicesForTimePeriod(input: $input) { internalId errors { field code message }
    invoiceDocuments { status format startDate endDate invoiceCode operator { code } } }
}"""

OPERATOR_INPUT = {
    "code": "pf-lea-celik", "name": "Pompes Funèbres Léa Çelik", "siren": "812345676", "siret": "81234567600017",
    "vatNumber": "FR19812345676", "addressLine1": "48 boulevard de Ménilmontant", "postalCode": "75011",
    "city": "Paris", "email": "contact@pf-celik.test", "paymentDays": 45,
}


def relay_id(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


# ---------------------------------------------------------------------------------- createOperator


def test_create_operator(user_a, org_a):
    # when
    payload = assert_mutation_ok(post(CREATE_OPERATOR, {"input": {**OPERATOR_INPUT, "clientMutationId": "op-1"}},
                                      user=user_a), "createOperator")

    # then
    operator = Operator.objects.get()
    assert (payload["clientMutationId"], payload["internalId"]) == ("op-1", str(operator.pk))
    assert {key: value for key, value in payload["operator"].items() if key != "id"} == {
        **OPERATOR_INPUT, "legalName": "", "countryCode": "FR", "currencyCode": "EUR", "isActive": True, "version": 1,
    }
    assert (operator.organization, operator.user_created) == (org_a, user_a)
    log = MutationLog.objects.get(client_mutation_id="op-1")
    assert (log.status, log.json_ext) == (MutationLog.Status.SUCCESS, {"internal_id": str(operator.pk)})


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"siren": "812345677"}, [("siren", "INVALID_SIREN")], id="siren"),
    pytest.param({"siret": "81234567600018"}, [("siret", "INVALID_SIRET")], id="siret"),
    pytest.param({"vatNumber": "FR20812345676"}, [("vatNumber", "INVALID_VAT_NUMBER")], id="vat"),
    pytest.param({"currencyCode": "EURO"}, [("currencyCode", "INVALID_CURRENCY")], id="currency"),
    pytest.param({"email": "nope"}, [("email", "INVALID")], id="email"),
    pytest.param({"paymentDays": 61}, [("paymentDays", "OUT_OF_RANGE")], id="payment-days"),
    pytest.param({"code": "", "paymentDays": -3, "siren": "1"},
                 [("code", "REQUIRED"), ("siren", "INVALID_SIREN"), ("paymentDays", "OUT_OF_RANGE")], id="several"),
])
def test_create_operator_rejects_bad_input(user_a, org_a, given, expected):
    with nothing_written():
        result = post(CREATE_OPERATOR, {"input": {**OPERATOR_INPUT, **given, "clientMutationId": "bad"}}, user=user_a)
    assert_mutation_errors(result, "createOperator", expected)
    assert result["data"]["createOperator"]["operator"] is None
    assert MutationLog.objects.get(client_mutation_id="bad").status == MutationLog.Status.ERROR


def test_create_operator_duplicate_code(user_a, operator_a):
    result = post(CREATE_OPERATOR, {"input": OPERATOR_INPUT}, user=user_a)
    assert_mutation_errors(result, "createOperator", [("code", "DUPLICATE")])


@pytest.mark.parametrize("role_user", ["accountant_a", "viewer_a"])
def test_only_admins_create_operators(request, role_user):
    user = request.getfixturevalue(role_user)
    with nothing_written():
        result = post(CREATE_OPERATOR, {"input": OPERATOR_INPUT}, user=user)
    assert_mutation_errors(result, "createOperator", [(None, "PERMISSION_DENIED")])


# ---------------------------------------------------------------------------------- updateOperator


def test_update_operator_changes_only_what_is_sent(user_a, operator_a):
    # when: a relay id, two fields
    payload = assert_mutation_ok(post(UPDATE_OPERATOR, {"input": {
        "id": relay_id("OperatorGQLType", operator_a.pk), "version": 1, "paymentDays": 30, "isActive": False,
    }}, user=user_a), "updateOperator")

    # then: the rest is untouched
    assert payload["internalId"] == str(operator_a.pk)
    node = payload["operator"]
    assert (node["paymentDays"], node["isActive"], node["version"], node["siren"], node["name"], node["email"]) == (
        30, False, 2, OPERATOR_DATA["siren"], OPERATOR_DATA["name"], OPERATOR_DATA["email"])


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"version": 7}, [("version", "STALE_VERSION")], id="stale"),
    pytest.param({"name": None}, [("name", "REQUIRED")], id="null-name"),
    pytest.param({"vatNumber": "FR00812345676"}, [("vatNumber", "INVALID_VAT_NUMBER")], id="vat"),
    pytest.param({"paymentDays": 120}, [("paymentDays", "OUT_OF_RANGE")], id="payment-days"),
    pytest.param({"id": UNKNOWN_ID}, [("id", "NOT_FOUND")], id="unknown-id"),
    pytest.param({"id": "???"}, [("id", "INVALID")], id="malformed-id"),
])
def test_update_operator_rejects_bad_input(user_a, operator_a, given, expected):
    with nothing_written():
        result = post(UPDATE_OPERATOR, {"input": {"id": str(operator_a.pk), "version": 1, **given}}, user=user_a)
    assert_mutation_errors(result, "updateOperator", expected)


def test_another_organisations_operator_cannot_be_updated(user_a, operator_b):
    with nothing_written():
        result = post(UPDATE_OPERATOR, {"input": {"id": str(operator_b.pk), "version": 1, "name": "Pris"}}, user=user_a)
    assert_mutation_errors(result, "updateOperator", [("id", "NOT_FOUND")])


# ---------------------------------------------------------------------------------- createTariff


def tariff_input(**changes) -> dict:
    return {"code": "AVIS-2026", "label": "Avis de décès", "orderKind": "death_notice", "unitPrice": "89.00",
            "taxRule": str(FR_VAT_20.id), "ledgerAccount": "706100", "dateValidFrom": "2026-07-01", **changes}


def test_create_tariff(user_a, org_a):
    payload = assert_mutation_ok(post(CREATE_TARIFF, {"input": tariff_input()}, user=user_a), "createTariff")
    assert payload["tariff"] == {
        "code": "AVIS-2026", "label": "Avis de décès", "orderKind": "death_notice", "unitPrice": "89.0000",
        "taxRule": str(FR_VAT_20.id), "ledgerAccount": "706100", "dateValidFrom": "2026-07-01", "dateValidTo": None,
        "version": 1,
    }
    assert payload["internalId"] == str(Tariff.objects.get(organization=org_a).pk)


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"unitPrice": "-1"}, [("unitPrice", "OUT_OF_RANGE")], id="negative-price"),
    pytest.param({"taxRule": "FR_VAT_20"}, [("taxRule", "UNKNOWN_TAX_RULE")], id="rule"),
    pytest.param({"orderKind": "obituary"}, [("orderKind", "INVALID")], id="kind"),
    pytest.param({"dateValidTo": "2026-06-01"}, [("dateValidTo", "INVALID_PERIOD")], id="period"),
    pytest.param({"dateValidFrom": "2026-12-01"}, [("dateValidFrom", "OVERLAPPING_TARIFF")], id="overlap"),
])
def test_create_tariff_rejects_bad_input(user_a, tariffs_a, given, expected):
    with nothing_written():
        result = post(CREATE_TARIFF, {"input": tariff_input(**given)}, user=user_a)
    assert_mutation_errors(result, "createTariff", expected)


def test_only_admins_create_tariffs(accountant_a):
    result = post(CREATE_TARIFF, {"input": tariff_input()}, user=accountant_a)
    assert_mutation_errors(result, "createTariff", [(None, "PERMISSION_DENIED")])


# ---------------------------------------------------------------------------------- createOrder


def order_input(operator, **changes) -> dict:
    return {"operatorId": str(operator.pk), "kind": "notice_print", "reference": "CMD-42",
            "description": "Parution dans Le Progrès", "orderedAt": "2026-06-10T09:30:00+02:00", "quantity": "2",
            "options": {"newspaper": "Le Progrès"}, "amountOverride": "120.50", **changes}


def test_an_accountant_creates_an_order(accountant_a, org_a, operator_a):
    # when: a relay id for the operator
    payload = assert_mutation_ok(post(CREATE_ORDER, {"input": order_input(
        operator_a, operatorId=relay_id("OperatorGQLType", operator_a.pk))}, user=accountant_a), "createOrder")

    # then
    order = Order.objects.get()
    assert payload["internalId"] == str(order.pk)
    node = payload["order"]
    assert datetime.fromisoformat(node.pop("orderedAt")) == at("2026-06-10", 9, 30) == order.ordered_at
    assert json.loads(node.pop("options")) == {"newspaper": "Le Progrès"} == order.options
    assert node == {
        "reference": "CMD-42", "kind": "notice_print", "description": "Parution dans Le Progrès", "quantity": "2.000",
        "amountOverride": "120.5000", "isBilled": False, "version": 1, "operator": {"code": "pf-lea-celik"},
    }
    assert (order.organization, order.user_created) == (org_a, accountant_a)


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"quantity": "0"}, [("quantity", "OUT_OF_RANGE")], id="quantity"),
    pytest.param({"amountOverride": "-1"}, [("amountOverride", "OUT_OF_RANGE")], id="override"),
    pytest.param({"kind": "obituary"}, [("kind", "INVALID")], id="kind"),
    pytest.param({"operatorId": UNKNOWN_ID}, [("operatorId", "NOT_FOUND")], id="unknown-operator"),
    pytest.param({"operatorId": "%%%"}, [("operatorId", "INVALID")], id="malformed-operator"),
    pytest.param({"options": [1, 2]}, [("options", "INVALID")], id="options"),
])
def test_create_order_rejects_bad_input(user_a, operator_a, given, expected):
    with nothing_written():
        result = post(CREATE_ORDER, {"input": order_input(operator_a, **given)}, user=user_a)
    assert_mutation_errors(result, "createOrder", expected)


def test_create_order_duplicate_reference_and_other_organisations_operator(user_a, operator_a, operator_b):
    assert_mutation_ok(post(CREATE_ORDER, {"input": order_input(operator_a)}, user=user_a), "createOrder")
    assert_mutation_errors(post(CREATE_ORDER, {"input": order_input(operator_a)}, user=user_a), "createOrder",
                           [("reference", "DUPLICATE")])
    assert_mutation_errors(post(CREATE_ORDER, {"input": order_input(operator_b, reference="CMD-43")}, user=user_a),
                           "createOrder", [("operatorId", "NOT_FOUND")])


def test_viewers_do_not_create_orders(viewer_a, operator_a):
    result = post(CREATE_ORDER, {"input": order_input(operator_a)}, user=viewer_a)
    assert_mutation_errors(result, "createOrder", [(None, "PERMISSION_DENIED")])


# ---------------------------------------------------------------------------------- generateInvoicesForTimePeriod


@pytest.fixture
def june_orders_a(user_a, operator_a, other_operator_a, tariffs_a):
    return [
        make_order(user_a, operator_a, "CMD-1", at("2026-06-10")),
        make_order(user_a, operator_a, "CMD-1-PRESSE", at("2026-06-11"), kind=OrderKind.NOTICE_PRINT),
        make_order(user_a, other_operator_a, "CMD-2", at("2026-06-12")),
    ]


def test_generate_for_one_operator(accountant_a, operator_a, june_orders_a):
    # when
    payload = assert_mutation_ok(post(GENERATE, {"input": {
        "operatorId": str(operator_a.pk), "dateFrom": "2026-06-01", "dateTo": "2026-06-30", "format": "json",
    }}, user=accountant_a), "generateInvoicesForTimePeriod")

    # then
    invoice = Invoice.objects.get()
    assert payload["invoiceDocuments"] == [{
        "status": "pending", "format": "json", "startDate": "2026-06-01", "endDate": "2026-06-30",
        "invoiceCode": invoice.code, "operator": {"code": "pf-lea-celik"},
    }]
    assert sorted((line.code, line.tax_rate) for line in invoice.line_items.all()) == [
        ("CMD-1", FR_VAT_20.id), ("CMD-1-PRESSE", FR_VAT_10.id)]
    assert payload["internalId"] is not None


def test_generate_for_every_operator(user_a, june_orders_a):
    payload = assert_mutation_ok(post(GENERATE, {"input": {"dateFrom": "2026-06-01", "dateTo": "2026-06-30",
                                                           "format": "json"}}, user=user_a),
                                 "generateInvoicesForTimePeriod")
    assert [d["operator"]["code"] for d in payload["invoiceDocuments"]] == ["herve-et-fils", "pf-lea-celik"]
    assert payload["internalId"] is None
    assert Order.objects.filter(invoice_line__isnull=True).count() == 0


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"dateFrom": "2026-05-01", "dateTo": "2026-05-31"}, [("start_date", "NO_ORDERS")], id="empty"),
    pytest.param({"dateFrom": "2026-06-30", "dateTo": "2026-06-01"}, [("end_date", "INVALID_PERIOD")], id="period"),
    pytest.param({"format": "docx"}, [("format", "INVALID_FORMAT")], id="format"),
    pytest.param({"operatorId": UNKNOWN_ID}, [("operatorId", "NOT_FOUND")], id="unknown-operator"),
])
def test_generate_rejects_bad_input(user_a, june_orders_a, given, expected):
    with nothing_written():
        result = post(GENERATE, {"input": {"dateFrom": "2026-06-01", "dateTo": "2026-06-30", "format": "json",
                                           **given}}, user=user_a)
    assert_mutation_errors(result, "generateInvoicesForTimePeriod", expected)
    assert result["data"]["generateInvoicesForTimePeriod"]["invoiceDocuments"] == []


def test_generate_with_another_organisations_operator_is_not_found(user_a, june_orders_a, user_b, operator_b,
                                                                     tariffs_b):
    make_order(user_b, operator_b, "CMD-B", at("2026-06-10"))
    with nothing_written():
        result = post(GENERATE, {"input": {"operatorId": str(operator_b.pk), "dateFrom": "2026-06-01",
                                           "dateTo": "2026-06-30", "format": "json"}}, user=user_a)
    assert_mutation_errors(result, "generateInvoicesForTimePeriod", [("operatorId", "NOT_FOUND")])


def test_viewers_do_not_generate(viewer_a, june_orders_a):
    result = post(GENERATE, {"input": {"dateFrom": "2026-06-01", "dateTo": "2026-06-30"}}, user=viewer_a)
    assert_mutation_errors(result, "generateInvoicesForTimePeriod", [(None, "PERMISSION_DENIED")])


# ---------------------------------------------------------------------------------- queries


OPERATORS = "{ operator(orderBy: [\"code\"]) { totalCount edges { node { code name } } } }"
ORDERS = "{ order(orderBy: [\"reference\"]) { totalCount edges { node { reference isBilled operator { code } } } } }"


def test_operator_and_order_queries_are_scoped(user_a, user_b, june_orders_a, operator_b, tariffs_b):
    # given: Org B has its own operator and order
    make_order(user_b, operator_b, "CMD-B", at("2026-06-10"))

    # when
    operators_a = data(post(OPERATORS, user=user_a))["operator"]
    operators_b = data(post(OPERATORS, user=user_b))["operator"]
    orders_b = data(post(ORDERS, user=user_b))["order"]

    # then
    assert [edge["node"]["code"] for edge in operators_a["edges"]] == ["herve-et-fils", "pf-lea-celik"]
    assert (operators_b["totalCount"], [edge["node"]["code"] for edge in operators_b["edges"]]) == (1, ["pf-lea-celik"])
    assert orders_b == {"totalCount": 1, "edges": [
        {"node": {"reference": "CMD-B", "isBilled": False, "operator": {"code": "pf-lea-celik"}}}]}
    assert not set(Operator.objects.filter(organization__code="org-a").values_list("name", flat=True)) - {
        edge["node"]["name"] for edge in operators_a["edges"]}


def test_order_query_filters_unbilled_orders_and_shows_billing(user_a, operator_a, june_orders_a):
    post(GENERATE, {"input": {"operatorId": str(operator_a.pk), "dateFrom": "2026-06-01", "dateTo": "2026-06-30",
                              "format": "json"}}, user=user_a)
    orders = data(post(ORDERS, user=user_a))["order"]["edges"]
    assert [(e["node"]["reference"], e["node"]["isBilled"]) for e in orders] == [
        ("CMD-1", True), ("CMD-1-PRESSE", True), ("CMD-2", False)]
    unbilled = data(post('{ order(invoiceLine_Isnull: true) { edges { node { reference } } } }', user=user_a))
    assert [e["node"]["reference"] for e in unbilled["order"]["edges"]] == ["CMD-2"]


def test_another_organisations_orders_are_not_found_by_filters(user_a, user_b, operator_b, tariffs_b):
    # given
    make_order(user_b, operator_b, "CMD-B", at("2026-06-10"))

    # when
    by_reference = data(post('{ order(reference: "CMD-B") { totalCount } }', user=user_a))["order"]
    by_operator = data(post('query($id: ID) { order(operator_Id: $id) { totalCount } }', {"id": str(operator_b.pk)},
                            user=user_a))["order"]
    operator = data(post('{ operator(siren: "812345676") { totalCount } }', user=user_a))["operator"]

    # then
    assert (by_reference["totalCount"], by_operator["totalCount"], operator["totalCount"]) == (0, 0, 0)


PICKER = "query($role: String!, $type: String!) { pickerOptions(role: $role, type: $type) { id type code label } }"


def test_picker_options_offer_the_callers_operators_and_orders(user_a, user_b, operator_a, june_orders_a, operator_b,
                                                               tariffs_b):
    # given
    order_b = make_order(user_b, operator_b, "CMD-B", at("2026-06-10"))

    # when
    operators = data(post(PICKER, {"role": "thirdparty", "type": "operator"}, user=user_a))["pickerOptions"]
    orders = data(post(PICKER, {"role": "line", "type": "order"}, user=user_a))["pickerOptions"]
    orders_b = data(post(PICKER, {"role": "line", "type": "order"}, user=user_b))["pickerOptions"]

    # then
    assert [(o["type"], o["code"], o["label"]) for o in operators] == [
        ("operator", "herve-et-fils", "Maison Funéraire Hervé & Fils"),
        ("operator", "pf-lea-celik", "Pompes Funèbres Léa Çelik")]
    assert operator_b.pk not in {o["id"] for o in operators}
    assert [(o["type"], o["code"], o["label"]) for o in orders] == [
        ("order", "CMD-2", "Avis de décès"), ("order", "CMD-1-PRESSE", "Parution presse"),
        ("order", "CMD-1", "Avis de décès")]
    assert orders_b == [{"id": str(order_b.pk), "type": "order", "code": "CMD-B", "label": "Avis de décès"}]


def test_operators_are_not_line_pickers(user_a, operator_a):
    result = post(PICKER, {"role": "line", "type": "operator"}, user=user_a)
    assert result["errors"] and "unknown line type" in result["errors"][0]["message"]


def test_tariff_amounts_leave_as_decimals(user_a, tariffs_a):
    tariffs = data(post('{ tariff(orderKind: "death_notice", orderBy: ["date_valid_from"]) '
                        '{ edges { node { code unitPrice dateValidTo } } } }', user=user_a))["tariff"]["edges"]
    assert [e["node"] for e in tariffs] == [
        {"code": "AVIS-2025", "unitPrice": "85.0000", "dateValidTo": "2026-06-30"},
        {"code": "AVIS-2026-07", "unitPrice": "89.0000", "dateValidTo": None}]
    assert Decimal(tariffs[1]["node"]["unitPrice"]) == Decimal(89)
