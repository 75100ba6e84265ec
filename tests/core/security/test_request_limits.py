"""Request size limits and GraphQL document limits (core.gql.views, core.gql.limits): every refusal
is a clear JSON error with a code, never a 500, and GraphiQL/introspection keep working."""
from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from graphql import get_introspection_query

from core.gql.views import GraphQLView
from tests.helpers.graphql import token_for


def gql(query: str, user=None, **extra):
    if user is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token_for(user)}"
    return Client(raise_request_exception=False).post("/graphql", json.dumps({"query": query}),
                                                      content_type="application/json", **extra)


def codes(response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


def nested(levels: int) -> str:
    """`{ invoice { edges { node { relatedInvoice { … id } } } } }` of depth `levels` (≥ 3)."""
    extra = levels - 3
    return "{ invoice { edges { node { " + "relatedInvoice { " * extra + "id" + " }" * extra + " } } } }"


def test_default_limits():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024
    assert (settings.GRAPHQL_MAX_QUERY_BYTES, settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_MAX_FIELDS) == (
        100 * 1024, 15, 2000)


# --- Body size and content type ----------------------------------------------------------------


def test_a_body_over_data_upload_max_memory_size_is_413(db, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 2000}})
    # when
    response = Client().post("/graphql", body, content_type="application/json")
    # then
    assert response.status_code == 413
    assert codes(response) == ["REQUEST_TOO_LARGE"]


def test_a_body_under_the_limit_is_served(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = Client().post("/graphql", json.dumps({"query": "{ __typename }"}), content_type="application/json")
    assert response.json() == {"data": {"__typename": "Query"}}


def test_the_rest_api_refuses_oversized_bodies_too(user_a, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    # when
    response = Client(raise_request_exception=False).post(
        "/v2/invoices", json.dumps({"pad": "x" * 2000}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(user_a)}")
    # then
    assert response.status_code == 413
    assert response.json()["code"] == "REQUEST_TOO_LARGE"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                          "text/plain"])
def test_posts_a_cross_site_form_could_send_are_refused(user_a, content_type):
    # given a browser logged in by the JWT cookie (a forged form would carry it)
    client = Client()
    client.cookies["JWT"] = token_for(user_a)
    # when a form-like POST names a mutation (in the body or the URL)
    response = client.post("/graphql?query=mutation%7BdeleteTokenCookie%7Bdeleted%7D%7D",
                           "query=mutation{deleteTokenCookie{deleted}}", content_type=content_type)
    # then
    assert response.status_code == 415
    assert codes(response) == ["UNSUPPORTED_MEDIA_TYPE"]


def test_application_graphql_bodies_are_accepted(db):
    response = Client().post("/graphql", "{ __typename }", content_type="application/graphql")
    assert response.json() == {"data": {"__typename": "Query"}}


# --- Document size -------------------------------------------------------------------------------


def test_a_document_over_graphql_max_query_bytes_is_too_complex(user_a, settings):
    # given
    settings.GRAPHQL_MAX_QUERY_BYTES = 2000
    query = "{ " + " ".join(f"a{index}: __typename" for index in range(200)) + " }"
    # when
    response = gql(query, user_a)
    # then
    assert response.status_code == 400
    assert codes(response) == ["QUERY_TOO_COMPLEX"]
    assert "bytes" in response.json()["errors"][0]["message"]


def test_a_document_over_the_limit_in_a_get_is_too_complex(db, settings):
    settings.GRAPHQL_MAX_QUERY_BYTES = 100
    response = Client().get("/graphql", {"query": "{ " + "__typename " * 50 + "}"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert codes(response) == ["QUERY_TOO_COMPLEX"]


# --- Depth ---------------------------------------------------------------------------------------


def test_a_query_deeper_than_graphql_max_depth_is_too_complex(user_a):
    # when
    response = gql(nested(16), user_a)
    # then
    assert response.status_code == 400
    assert codes(response) == ["QUERY_TOO_COMPLEX"]
    assert "nested 16 levels deep; at most 15" in response.json()["errors"][0]["message"]


def test_a_query_at_the_depth_limit_runs(user_a):
    response = gql(nested(15), user_a)
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"invoice": {"edges": []}}


def test_depth_through_fragments_counts(user_a):
    # given the same 16 levels, split across fragments
    query = ("{ invoice { edges { node { ...A } } } } "
             "fragment A on InvoiceGQLType { relatedInvoice { ...B } } "
             "fragment B on InvoiceGQLType { " + "relatedInvoice { " * 12 + "id" + " }" * 12 + " }")
    # when / then
    assert codes(gql(query, user_a)) == ["QUERY_TOO_COMPLEX"]


# --- Field count (fragment bombs) --------------------------------------------------------------


def test_a_fragment_bomb_is_refused_quickly(user_a):
    # given 12 fragments, each spreading the next one 10 times: 10^12 fields in 3 KB of text
    fragments = [f"fragment F{level} on InvoiceGQLType {{ "
                 + " ".join(f"a{index}: relatedInvoice {{ ...F{level + 1} }}" for index in range(10)) + " }"
                 for level in range(11)]
    fragments.append("fragment F11 on InvoiceGQLType { id }")
    query = "{ invoice { edges { node { ...F0 } } } } " + " ".join(fragments)
    # when
    started = time.monotonic()
    response = gql(query, user_a)
    # then
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    assert codes(response) == ["QUERY_TOO_COMPLEX"]


def test_many_aliases_over_graphql_max_fields_are_too_complex(user_a, settings):
    settings.GRAPHQL_MAX_FIELDS = 50
    query = "{ " + " ".join(f"a{index}: organizations {{ totalCount }}" for index in range(30)) + " }"
    response = gql(query, user_a)
    assert codes(response) == ["QUERY_TOO_COMPLEX"]
    assert "selects 60 fields" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("query", [
    "{ ...Missing }",
    "fragment A on Query { ...A } { ...A }",
    "fragment A on Query { ...B } fragment B on Query { organizations { edges { node { ...A } } } } { ...A }",
], ids=["unknown-fragment", "self-cycle", "two-fragment-cycle"])
def test_broken_fragments_are_a_validation_error_not_a_500(user_a, query):
    # when
    response = gql(query, user_a)
    # then
    assert response.status_code == 400
    assert response.json()["errors"]


# --- GraphiQL and introspection keep working -------------------------------------------------


def test_the_introspection_query_passes_the_limits(db):
    # when: what GraphiQL and schema tools send
    response = gql(get_introspection_query(descriptions=True))
    # then
    assert response.status_code == 200, response.content[:300]
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_graphiql_is_served_by_the_view_in_debug(db):
    # given the view as config.urls builds it when DEBUG is on
    view = GraphQLView.as_view(graphiql=True)
    # when a browser opens it
    response = view(RequestFactory().get("/graphql", HTTP_ACCEPT="text/html"))
    # then
    assert response.status_code == 200
    assert b"graphiql" in response.content.lower()
