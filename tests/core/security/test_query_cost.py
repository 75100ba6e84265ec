"""The cost limit (core.gql.limits.operation_cost, GRAPHQL_MAX_COST): documents that would make
the server repeat expensive work through aliases are refused with QUERY_TOO_COMPLEX before
anything runs, and what the openIMIS front end sends stays far below the limit."""
from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from graphql import get_operation_ast, parse

from core.gql.limits import ROUND_TRIP_COST, operation_cost
from schema.schema import schema
from tests.helpers.fe_documents import invoice_card, invoice_list
from tests.helpers.graphql import token_for


def gql(query: str, user=None, variables=None):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"} if user is not None else {}
    body = json.dumps({"query": query, "variables": variables or {}})
    return Client(raise_request_exception=False).post("/graphql", body, content_type="application/json", **extra)


def cost(query: str, variables: dict | None = None) -> int:
    document = parse(query)
    return operation_cost(schema.graphql_schema, document, get_operation_ast(document), variables)


def aliases(count: int, field: str) -> str:
    return "{ " + " ".join(f"a{index}: {field}" for index in range(count)) + " }"


LIST_WITH_LINES = ("invoice(first: 100) { edges { node { id code status amountTotal thirdparty subject "
                   "lineItems { id code description quantity unitPrice amountNet amountTotal taxAnalysis } } } }")
PICKER = 'pickerOptions(role: "thirdparty", type: "operator") { id type code label }'


@pytest.mark.parametrize(("document", "least"), [
    pytest.param(aliases(500, "invoice(first: 100) { totalCount }"), 500 * 2 * ROUND_TRIP_COST, id="500-totalCount"),
    pytest.param(aliases(150, LIST_WITH_LINES), 150 * 100 * 10 * 8, id="150-lists-with-lines"),
    pytest.param(aliases(600, PICKER), 600 * ROUND_TRIP_COST, id="600-pickerOptions"),
])
def test_alias_floods_are_refused_before_anything_runs(user_a, settings, document, least):
    # given: a limit under which the field count rule would let them through
    settings.GRAPHQL_MAX_FIELDS = 100_000
    assert cost(document) >= least
    # when
    with CaptureQueriesContext(connection) as captured:
        response = gql(document, user_a)
    # then: one error, before execution: only authentication touched the database
    body = response.json()
    assert response.status_code == 400
    assert [error["extensions"]["code"] for error in body["errors"]] == ["QUERY_TOO_COMPLEX"]
    assert "at most 100,000" in body["errors"][0]["message"]
    assert not [q for q in captured.captured_queries if 'FROM "invoice_' in q["sql"] or 'FROM "payment_module_' in q["sql"]]


def test_the_front_ends_documents_cost_far_below_the_limit(settings):
    # (docs/api.md gives these figures: 2,336 for the list page, about 2,100 per card tab)
    # the list page, the card's four requests, a larger list page
    documents = [invoice_list(), invoice_list(first=100)] + [doc for _, doc in invoice_card(str(uuid.uuid4()))]
    costs = [cost(document) for document in documents]
    assert max(costs) <= settings.GRAPHQL_MAX_COST // 4, costs


def test_a_page_size_given_in_a_variable_is_counted():
    query = "query($n: Int) { invoice(first: $n) { edges { node { id code } } } }"
    assert cost(query, {"n": 10}) == ROUND_TRIP_COST + 1 + 10 * (1 + 2)
    assert cost(query, {"n": 100}) == ROUND_TRIP_COST + 1 + 100 * (1 + 2)


def test_an_unpaged_connection_counts_the_largest_page_unless_it_is_filtered_by_id(settings):
    settings.GRAPHENE = {**settings.GRAPHENE}
    unpaged = cost("{ invoice { edges { node { id } } } }")
    by_id = cost('{ invoice(id: "x") { edges { node { id } } } }')
    assert unpaged == ROUND_TRIP_COST + 1 + 500 * 2
    assert by_id == ROUND_TRIP_COST + 1 + 1 * 2


def test_fragments_and_nested_lists_are_counted_where_they_are_spread():
    flat = cost("{ invoice(first: 10) { edges { node { id lineItems { id code } } } } }")
    fragment = cost("fragment L on InvoiceLineItemGQLType { id code } "
                    "{ invoice(first: 10) { edges { node { id lineItems { ...L } } } } }")
    assert flat == fragment == ROUND_TRIP_COST + 1 + 10 * (1 + 1 + 1 + 10 * 2)


def test_a_document_at_the_limit_runs_and_one_over_is_refused(user_a, settings):
    query = aliases(3, "invoice(first: 10) { totalCount }")
    settings.GRAPHQL_MAX_COST = cost(query)
    assert gql(query, user_a).status_code == 200
    settings.GRAPHQL_MAX_COST = cost(query) - 1
    response = gql(query, user_a)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
