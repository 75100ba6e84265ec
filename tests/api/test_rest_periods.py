"""POST /v2/invoices and the RFC's periods: a period not over yet is refused unless
allow_open_period, one longer than BILLING_MAX_PERIOD_MONTHS is refused; both before anything
is billed or numbered. Documents requested over GraphQL for an operator's invoice carry its
operator and period, so the REST filters find them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from invoice.models import InvoiceDocument, InvoiceNumberSequence
from payment_module.models import Order
from tests.api.conftest import JANUARY, body, make_billing
from tests.helpers.graphql import post as gql_post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rest_storage")]


def nothing_billed(orders) -> bool:
    return (not InvoiceDocument.objects.exists() and not InvoiceNumberSequence.objects.filter(last_number__gt=0).exists()
            and not Order.objects.filter(pk__in=[o.pk for o in orders], invoice_line__isnull=False).exists())


def dmy(day) -> str:
    return day.strftime("%d/%m/%Y")


@pytest.fixture
def this_month(org_a, user_a):
    today = timezone.localdate()
    billing = make_billing(org_a, user_a, code="pf-ouvert", orders=(today.replace(day=1).isoformat(),))
    billing.period = (dmy(today.replace(day=1)), dmy(today))
    return billing


@pytest.mark.parametrize(("start", "end", "code"), [
    (lambda today: today.replace(day=1), lambda today: today, "PERIOD_NOT_ENDED"),
    (lambda today: today - timedelta(days=3), lambda today: today + timedelta(days=30), "PERIOD_NOT_ENDED"),
    (lambda today: today.replace(year=today.year - 2, day=1), lambda today: today.replace(year=today.year - 1, day=1),
     "PERIOD_TOO_LONG"),
], ids=["ends today", "ends next month", "a year and a day"])
def test_a_period_that_is_not_billable_is_refused_before_anything_is_numbered(api, jwt_a, this_month, start, end, code):
    # given
    today = timezone.localdate()

    # when
    status, error = api.post(jwt_a, body(this_month.operator, dmy(start(today)), dmy(end(today))))

    # then
    assert status == 400, error
    assert (error["code"], error["field"]) == (code, "end_date")
    assert nothing_billed(this_month.orders)


def test_an_open_period_is_billed_when_asked_explicitly(api, jwt_a, this_month):
    # when
    status, row = api.post(jwt_a, {**body(this_month.operator, *this_month.period), "allow_open_period": True})

    # then
    assert status == 202, row
    assert Order.objects.get(pk=this_month.orders[0].pk).invoice_line_id is not None


def test_twelve_months_exactly_are_billable(api, jwt_a, org_a, user_a):
    # given: orders over all of last year
    year = timezone.localdate().year - 1
    billing = make_billing(org_a, user_a, code="pf-annuel", orders=(f"{year}-01-01", f"{year}-12-31"))

    # when
    status, row = api.post(jwt_a, body(billing.operator, f"01/01/{year}", f"31/12/{year}"))

    # then
    assert status == 202, row


def test_the_maximum_is_configurable(api, jwt_a, billing_a, settings):
    # given
    settings.BILLING_MAX_PERIOD_MONTHS = 1

    # when: January is one month; January + 1 February day is not
    refused_status, refused = api.post(jwt_a, body(billing_a.operator, "01/01/2026", "01/02/2026"))
    status, row = api.post(jwt_a, body(billing_a.operator, *JANUARY))

    # then
    assert (refused_status, refused["code"]) == (400, "PERIOD_TOO_LONG")
    assert status == 202, row


def test_the_graphql_generation_refuses_an_open_period_too(user_a, this_month):
    # given
    today = timezone.localdate()
    query = """mutation($input: GenerateInvoicesForTimePeriodMutationInput!) {
      generateInvoicesForTimePeriod(input: $input) { errors { field code } invoiceDocuments { id } } }"""
    variables = {"input": {"operatorId": str(this_month.operator.pk), "dateFrom": today.replace(day=1).isoformat(),
                           "dateTo": today.isoformat(), "format": "json"}}

    # when
    refused = gql_post(query, variables, user_a)["data"]["generateInvoicesForTimePeriod"]
    variables["input"]["allowOpenPeriod"] = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        allowed = gql_post(query, variables, user_a)["data"]["generateInvoicesForTimePeriod"]

    # then
    assert refused == {"errors": [{"field": "end_date", "code": "PERIOD_NOT_ENDED"}], "invoiceDocuments": []}
    assert allowed["errors"] == [] and len(allowed["invoiceDocuments"]) == 1


def test_a_graphql_document_of_an_operator_invoice_is_found_by_the_rest_filters(api, jwt_a, user_a, billing_a):
    # given: January billed over REST in JSON, then its PDF asked over GraphQL
    status, row = api.post(jwt_a, body(billing_a.operator))
    assert status == 202, row
    query = """mutation($input: GenerateInvoiceDocumentMutationInput!) {
      generateInvoiceDocument(input: $input) { errors { code } invoiceDocument { id } } }"""
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = gql_post(query, {"input": {"invoiceId": row["invoice_id"], "format": "pdf"}}, user_a)
    pdf = InvoiceDocument.objects.get(format="pdf")
    assert result["data"]["generateInvoiceDocument"]["errors"] == []

    # when
    status, page = api.get("/v2/invoices", jwt_a, **{"filters[operator_id]": str(billing_a.operator.pk),
                                                     "filters[between_date]": ",".join(JANUARY)})

    # then
    assert (pdf.operator_id, pdf.start_date.isoformat(), pdf.end_date.isoformat()) == (
        billing_a.operator.pk, "2026-01-01", "2026-01-31")
    assert status == 200
    assert sorted(item["format"] for item in page["results"]) == ["json", "pdf"]
