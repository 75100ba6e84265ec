"""The operator users' portal: GraphQL `myInvoices` and REST `/v2/me/...` show an operator user
exactly the issued invoices billed to their operators at every organisation, and nothing the
organisations keep for themselves. Scoping itself is core.tenancy.scope_to_customer; the
tenant sweep (test_tenant_sweep.py) probes every entry point with this principal too."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from graphql_jwt.shortcuts import get_token

from core.models import Membership
from core.services.api_keys import api_key_create
from core.tenancy import CustomerPrincipal, scope_to_customer
from invoice.constants import ISSUED_STATUSES
from invoice.models import Invoice, InvoicePayment
from invoice.selectors import today
from payment_module.models import Operator
from schema.schema import schema
from tests.helpers.graphql import data, error_codes, post
from tests.helpers.portal import PDF, make_portal


@pytest.fixture
def portal(org_a, org_b, user_a, user_b, rest_storage):
    return make_portal(org_a, org_b, user_a, user_b)


NODE = """id code documentType status statusName organizationId organizationName billedToCode billedToName
    dateInvoice dateDue amountNet amountTax amountTotal amountPayed amountDue overdue overdueSince currencyCode
    relatedInvoiceCode lines { code description quantity unitPrice amountNet amountTotal detailsText taxRateLabel }
    documents { format status downloadPath } messages { message dateCreated }"""


def my_invoices(user, args: str = "", selection: str = NODE) -> dict:
    arguments = f"({args})" if args else ""
    return data(post(f"{{ myInvoices{arguments} {{ totalCount totalsDue {{ currencyCode amountDue countDue "
                     f"amountOverdue countOverdue }} edges {{ node {{ {selection} }} }} }} }}", user=user))["myInvoices"]


def codes(answer: dict) -> set[str]:
    return {edge["node"]["code"] for edge in answer["edges"]}


def expected_from_db(user) -> set[str]:
    """Straight from the tables: issued, live invoices whose thirdparty is an operator the user accepted."""
    operators = Operator.objects.filter(operator_users__user=user, operator_users__date_accepted__isnull=False)
    return set(Invoice.objects.filter(thirdparty_type=ContentType.objects.get_for_model(Operator),
                                      thirdparty_id__in=operators.values("pk"), status__in=ISSUED_STATUSES,
                                      is_deleted=False).values_list("code", flat=True))


def test_an_operator_user_sees_exactly_their_invoices_at_both_organisations(portal, org_a, org_b):
    # when
    answer = my_invoices(portal.user)

    # then
    assert codes(answer) == expected_from_db(portal.user) == {invoice.code for invoice in portal.mine}
    assert answer["totalCount"] == len(portal.mine) == 6
    assert {edge["node"]["organizationName"] for edge in answer["edges"]} == {org_a.name, org_b.name}
    assert {edge["node"]["billedToCode"] for edge in answer["edges"]} == {"pf-mine-a", "pf-mine-b"}
    hidden = {portal.draft_a.code, portal.deleted_a.code, *(invoice.code for invoice in portal.others)}
    assert not hidden & codes(answer)


def test_an_invoice_as_the_operator_reads_it(portal):
    # when
    node = next(edge["node"] for edge in my_invoices(portal.user, f'code: "{portal.open_a.code}"')["edges"])

    # then: amounts as sent, what is left to pay, lines as printed, their PDF, the message to them
    assert (node["amountNet"], node["amountTax"], node["amountTotal"], node["amountPayed"], node["amountDue"]) == (
        "100.00", "20.00", "120.00", "20.00", "100.00")
    assert (node["statusName"], node["overdue"], node["currencyCode"]) == ("validated", False, "EUR")
    assert node["lines"] == [{"code": "AVIS", "description": "Avis de deces portail", "quantity": "1.0000",
                              "unitPrice": "100.0000", "amountNet": "100.00", "amountTotal": "120.00",
                              "detailsText": "", "taxRateLabel": "TVA 20 %"}]
    assert node["documents"] == [{"format": "pdf", "status": "created",
                                  "downloadPath": f"/v2/me/invoices/{portal.open_a.pk}/download?format=pdf"}]
    assert [message["message"] for message in node["messages"]] == ["Message pour le client A"]


def test_only_messages_addressed_to_the_operator_are_shown(portal):
    # given: the Org A invoice has a staff note, a WARNING, STATUS and PAYMENT events, one message to them
    kinds = set(portal.open_a.events.values_list("event_type", flat=True))
    assert kinds >= {0, 1, 2}

    # when
    answer = my_invoices(portal.user, selection="code messages { message }")

    # then
    shown = [m["message"] for edge in answer["edges"] for m in edge["node"]["messages"]]
    assert shown == ["Message pour le client A"]


INTERNAL = {"note", "codeExt", "codeTp", "jsonExt", "ledgerAccount", "user", "userName", "userCreated",
            "userUpdated", "storageKey", "url", "errorCode", "errorMessage", "idempotencyKey", "requestedBy",
            "subject", "subjectId", "thirdparty", "thirdpartyId", "taxAnalysis", "payments", "events", "lineItems",
            "zeroTotalReason", "version", "isDeleted", "attempts", "operator", "organization", "line", "lineId",
            "details", "eventType", "taxRate", "currencyTpCode", "replacementUuid"}
EXPOSED = {
    "CustomerInvoiceGQLType": {
        "id", "code", "documentType", "dateInvoice", "dateDue", "dateValidFrom", "dateValidTo", "datePayed",
        "amountDiscount", "amountNet", "amountTotal", "amountPayed", "currencyCode", "status", "paymentReference",
        "terms", "overdueSince", "statusName", "amountTax", "amountDue", "overdue", "organizationId",
        "organizationName", "billedToCode", "billedToName", "relatedInvoiceCode", "lines", "documents", "messages"},
    "CustomerInvoiceLineGQLType": {
        "id", "code", "description", "quantity", "unitPrice", "discount", "deduction", "amountNet", "amountTotal",
        "dateValidFrom", "dateValidTo", "detailsText", "taxRateLabel"},
    "CustomerInvoiceDocumentGQLType": {"id", "format", "status", "dateGenerated", "size", "checksum",
                                       "downloadPath"},
    "CustomerInvoiceMessageGQLType": {"id", "message", "dateCreated"},
}


@pytest.mark.parametrize("type_name", sorted(EXPOSED))
def test_the_portal_types_carry_no_internal_field(type_name):
    # when
    fields = set(schema.graphql_schema.type_map[type_name].fields)

    # then
    assert fields == EXPOSED[type_name]
    assert not fields & INTERNAL


def test_filters_status_organisation_dates_and_overdue(portal, org_b, monkeypatch):
    user = portal.user
    assert codes(my_invoices(user, f'organizationId: "{org_b.pk}"')) == {portal.open_b.code, portal.suspended_b.code}
    assert codes(my_invoices(user, 'status: "2"')) == {portal.mine[1].code}  # paid
    day = today().isoformat()
    assert codes(my_invoices(user, f'dateFrom: "{day}", dateTo: "{day}"')) == {i.code for i in portal.mine}
    assert codes(my_invoices(user, f'dateFrom: "{(today() + timedelta(days=1)).isoformat()}"')) == set()
    assert codes(my_invoices(user, "due: true")) == {portal.open_a.code, portal.open_b.code, portal.suspended_b.code}
    assert codes(my_invoices(user, "overdue: true")) == set()
    # then, 40 days later: the open invoices are overdue, the suspended (disputed) one is only due
    monkeypatch.setattr("invoice.selectors.today", lambda: today() + timedelta(days=40))
    assert codes(my_invoices(user, "overdue: true")) == {portal.open_a.code, portal.open_b.code}


def test_totals_due_and_overdue_over_the_filtered_list(portal, monkeypatch):
    # given: 100.00 left on the Org A invoice, 120.00 on each Org B one (one suspended)
    answer = my_invoices(portal.user, "first: 1")
    assert answer["totalsDue"] == [{"currencyCode": "EUR", "amountDue": "340.00", "countDue": 3,
                                    "amountOverdue": "0.00", "countOverdue": 0}]
    # when 40 days pass
    monkeypatch.setattr("invoice.selectors.today", lambda: today() + timedelta(days=40))
    answer = my_invoices(portal.user)
    # then
    assert answer["totalsDue"] == [{"currencyCode": "EUR", "amountDue": "340.00", "countDue": 3,
                                    "amountOverdue": "220.00", "countOverdue": 2}]
    overdue = {edge["node"]["code"] for edge in answer["edges"] if edge["node"]["overdue"]}
    assert overdue == {portal.open_a.code, portal.open_b.code}


def test_a_pending_invitation_gives_nothing_and_a_stranger_sees_nothing(portal, user_b):
    assert codes(my_invoices(user_b)) == set()  # a staff member is no customer
    assert my_invoices(user_b)["totalsDue"] == []
    assert error_codes(post("{ myInvoices { totalCount } }")) == ["UNAUTHENTICATED"]


def test_scope_to_customer_needs_a_customer_path():
    principal = CustomerPrincipal(None, ())
    assert list(scope_to_customer(Invoice.objects.all(), principal)) == []
    with pytest.raises(TypeError):
        scope_to_customer(InvoicePayment.objects.all(), principal)  # payments are never shown to customers


STAFF_QUERIES = ("{ invoice { totalCount } }", "{ me { role } }", "{ operator { totalCount } }",
                 "{ invoiceDocument { totalCount } }", "{ mutationLogs { totalCount } }")


@pytest.mark.parametrize("query", STAFF_QUERIES)
def test_staff_queries_refuse_an_operator_user(portal, query):
    assert error_codes(post(query, user=portal.user)) == ["NO_ORGANIZATION"]


# --- REST -----------------------------------------------------------------------------------------

def rest(user=None, path="/v2/me/invoices", **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {get_token(user)}"} if user else {}
    return Client().get(path, params, **headers)


def test_rest_lists_the_same_invoices_with_totals(portal, org_a):
    # when
    response = rest(portal.user)

    # then
    body = response.json()
    assert response.status_code == 200 and body["count"] == 6
    assert {row["code"] for row in body["results"]} == {invoice.code for invoice in portal.mine}
    assert body["totals_due"] == [{"currency_code": "EUR", "amount_due": "340.00", "count_due": 3,
                                   "amount_overdue": "0.00", "count_overdue": 0}]
    row = next(row for row in body["results"] if row["code"] == portal.open_a.code)
    assert (row["amount_due"], row["overdue"], row["organization_name"]) == ("100.00", False, org_a.name)
    assert not INTERNAL_REST & set(row)
    filtered = rest(portal.user, **{"filters[organization_id]": str(org_a.pk), "filters[status]": "validated"})
    assert {row["code"] for row in filtered.json()["results"]} == {portal.open_a.code, portal.mine[3].code}  # + credit note
    assert rest(portal.user, **{"filters[status]": "draft"}).json()["code"] == "INVALID"


INTERNAL_REST = {"note", "code_ext", "code_tp", "json_ext", "thirdparty_id", "subject_id", "lines", "events"}


def test_rest_download_own_document_and_404_for_anything_else(portal):
    # when / then: their own file
    response = rest(portal.user, f"/v2/me/invoices/{portal.open_a.pk}/download")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["X-Checksum-SHA256"] == portal.document_a.checksum
    # another operator's invoice (with a file), a draft, a deleted one, a document id, junk: one 404
    for other in (portal.others[0].pk, portal.draft_a.pk, portal.deleted_a.pk, portal.other_document.pk,
                  portal.document_a.pk, "not-a-uuid"):
        response = rest(portal.user, f"/v2/me/invoices/{other}/download")
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND", (other, response.content)
    # their invoice without a document in that format
    response = rest(portal.user, f"/v2/me/invoices/{portal.open_b.pk}/download")
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert rest(portal.user, f"/v2/me/invoices/{portal.open_a.pk}/download", format="doc").json()["code"] == \
        "INVALID_FORMAT"


def test_a_pending_document_answers_409(portal):
    from invoice.models import InvoiceDocument

    InvoiceDocument.objects.create(organization=portal.open_b.organization, invoice=portal.open_b, format="xml")
    response = rest(portal.user, f"/v2/me/invoices/{portal.open_b.pk}/download")
    assert response.status_code == 409 and response.json()["code"] == "DOCUMENT_PENDING"


def test_rest_portal_for_staff_api_keys_and_anonymous(portal, user_b, org_b):
    assert rest(user_b).json()["count"] == 0
    _key, secret = api_key_create(actor=user_b, organization=org_b, name="erp", role=Membership.Role.ADMIN)
    response = Client().get("/v2/me/invoices", HTTP_X_API_KEY=secret)
    assert response.status_code == 200 and response.json()["count"] == 0
    response = Client().get(f"/v2/me/invoices/{portal.open_b.pk}/download", HTTP_X_API_KEY=secret)
    assert response.status_code == 404
    assert rest().status_code == 401 and rest().json()["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("path", ["/v2/invoices", "/api/core/users/current_user/"])
def test_staff_routes_refuse_an_operator_user(portal, path):
    response = rest(portal.user, path)
    assert 400 <= response.status_code < 500 and response.json().get("code") == "NO_ORGANIZATION", response.content


def test_a_list_page_costs_the_same_for_1_and_5_invoices(portal, org_a, user_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            my_invoices(portal.user)
        return len(captured)

    before = count()
    from tests.helpers.portal import issued

    for _ in range(4):
        issued(user_a, org_a, "pf-mine-a")
    assert count() == before
