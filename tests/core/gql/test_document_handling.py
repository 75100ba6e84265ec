"""How /graphql handles a document before running it (core.gql.views, core.gql.errors): every
error it can answer carries a code, parsing + validation of a query text is done once and
reused, and a change of the limits is never answered from that cache."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from core.gql import views
from tests.helpers.graphql import token_for


def gql(query: str, user=None, variables=None, operation_name=None):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"} if user is not None else {}
    body = {"query": query, "variables": variables or {}}
    if operation_name:
        body["operationName"] = operation_name
    response = Client(raise_request_exception=False).post("/graphql", json.dumps(body),
                                                          content_type="application/json", **extra)
    return response.status_code, response.json()


def codes(body) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


@pytest.mark.parametrize(("query", "variables", "operation", "code"), [
    ("{ invoice(first: 1) { totalCount ", None, None, "GRAPHQL_PARSE_FAILED"),
    ("{ nope }", None, None, "GRAPHQL_VALIDATION_FAILED"),
    ('{ invoice(amountTotal_Lte: "cent") { totalCount } }', None, None, "GRAPHQL_VALIDATION_FAILED"),
    ("query($a: Int!) { invoice(first: $a) { totalCount } }", {"a": "x"}, None, "INVALID"),
    ("query($a: Int!) { invoice(first: $a) { totalCount } }", {}, None, "INVALID"),
    ("query A { __typename } query B { __typename }", None, None, "INVALID"),
    ("query A { __typename }", None, "C", "INVALID"),
], ids=["syntax", "unknown-field", "bad-literal", "bad-variable", "missing-variable", "which-operation",
        "unknown-operation"])
def test_errors_raised_before_any_field_runs_have_a_code(user_a, query, variables, operation, code):
    status, body = gql(query, user_a, variables, operation)
    assert status == 400
    assert codes(body) == [code], body
    assert body["errors"][0]["message"]


def test_a_filter_value_django_filter_refuses_is_invalid_naming_the_argument(user_a):
    status, body = gql('{ order(operator_Id: "nope") { totalCount } }', user_a)
    error = body["errors"][0]
    assert (status, error["extensions"]["code"], error["extensions"]["field"]) == (200, "INVALID", "operator_Id")
    assert error["message"].startswith("operator_Id: ") and "{" not in error["message"]


def test_a_query_text_is_parsed_and_validated_once(user_a, monkeypatch):
    # given: a count of parses
    views.documents.clear()
    parsed = []
    real_parse = views.parse
    monkeypatch.setattr(views, "parse", lambda text: parsed.append(text) or real_parse(text))
    query = "{ invoice(first: 1) { totalCount } }"
    # when: three requests of the same query, one of a mutation twice
    answers = [gql(query, user_a) for _ in range(3)]
    mutation = 'mutation { changeUserLanguage(input: {languageId: "en"}) { clientMutationId } }'
    gql(mutation, user_a)
    gql(mutation, user_a)
    # then: the query parsed once and answered the same each time; mutations are not kept
    assert answers[0] == answers[1] == answers[2] and answers[0][0] == 200
    assert parsed.count(query) == 1
    assert parsed.count(mutation) == 2


def test_a_cached_document_is_validated_again_when_the_limits_change(user_a, settings):
    views.documents.clear()
    query = "{ invoice(first: 1) { edges { node { id } } } }"
    assert gql(query, user_a)[0] == 200
    settings.GRAPHQL_MAX_DEPTH = 1
    status, body = gql(query, user_a)
    assert (status, codes(body)) == (400, ["QUERY_TOO_COMPLEX"])


def test_the_cache_keeps_at_most_its_size_and_no_long_text():
    cache = views.DocumentCache(size=2, max_text=10)
    for text in ("a", "b", "c", "x" * 11):
        cache.put((text, ()), text.upper())
    assert [cache.get((text, ())) for text in ("a", "b", "c", "x" * 11)] == [None, "B", "C", None]


def test_an_error_inside_a_nested_field_has_its_code_and_no_detail(user_a, monkeypatch, caplog):
    # given: a nested resolver (an invoice's `subject`) that fails unexpectedly
    import invoice.gql.types
    from tests.invoice.helpers import make_draft

    def broken(obj):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(invoice.gql.types, "_summary_json", broken)
    make_draft(actor=user_a, organization=user_a.memberships.first().organization)
    # when
    status, body = gql("{ invoice(first: 1) { edges { node { id subject } } } }", user_a)
    # then
    assert status == 200
    assert codes(body) == ["INTERNAL_ERROR"]
    assert "secret" not in json.dumps(body)
    assert body["errors"][0]["path"][:1] == ["invoice"]
    assert "secret detail" in caplog.text


def test_an_error_around_execution_is_internal_and_logged(user_a, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(views, "execute", broken)
    status, body = gql("{ __typename }", user_a)
    assert codes(body) == ["INTERNAL_ERROR"]
    assert "secret" not in json.dumps(body) and "secret detail" in caplog.text


@pytest.mark.parametrize(("method", "payload", "status"), [
    ("post", {}, 400),
    ("get", {"query": 'mutation { deleteTokenCookie { deleted } }'}, 405),
], ids=["no-query", "mutation-in-a-get"])
def test_the_views_own_refusals_have_a_code(db, method, payload, status):
    client = Client(raise_request_exception=False)
    if method == "post":
        response = client.post("/graphql", json.dumps(payload), content_type="application/json")
    else:
        response = client.get("/graphql", payload, HTTP_ACCEPT="application/json")
    assert response.status_code == status
    assert codes(response.json()) == ["INVALID"]
