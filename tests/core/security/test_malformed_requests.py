"""Malformed envelopes and characters no text may hold: each is a 4xx (or a field error) with a
code, never a 500 or a traceback, and nothing is written."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from core.models import MutationLog
from invoice.models import Invoice
from tests.helpers.graphql import token_for


def raw(body: bytes | str, content_type: str = "application/json", user=None):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"} if user is not None else {}
    return Client(raise_request_exception=False).post("/graphql", body, content_type=content_type, **extra)


def deep_list(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(("body", "content_type", "message"), [
    pytest.param('{"query": ["{ me { role } }"]}', "application/json", "`query` must be a string, got list",
                 id="query-list"),
    pytest.param('{"query": 1}', "application/json", "`query` must be a string, got int", id="query-number"),
    pytest.param('{"query": "{ me { role } }", "operationName": 5}', "application/json",
                 "`operationName` must be a string, got int", id="operation-name-number"),
    pytest.param(b"\xff\xfe{ me { role } }", "application/graphql", "the request body is not UTF-8 text",
                 id="graphql-undecodable"),
    pytest.param(b'{"query": "\xff"}', "application/json", "the request body is not UTF-8 text", id="json-undecodable"),
    pytest.param('{"query": "{ me { role } }", "variables": ' + deep_list(50_000) + "}", "application/json",
                 "the JSON body is nested too deeply", id="variables-50000-deep"),
    pytest.param('{"query": "{ me { role } }", "variables": {"v": ' + deep_list(100) + "}}", "application/json",
                 "`variables` are nested deeper than 32 levels", id="variables-100-deep"),
    pytest.param('{"query": "{ me { role } }", "variables": [1]}', "application/json",
                 "`variables` must be an object, got list", id="variables-list"),
    pytest.param('{"query": "{ me { role } }", "variables": "[1"}', "application/json",
                 "`variables` is not valid JSON", id="variables-bad-json-text"),
    pytest.param("[1, 2]", "application/json", 'the JSON body must be an object: {"query": "...", "variables": {...}}',
                 id="body-list"),
    pytest.param("{", "application/json", "the request body is not valid JSON", id="body-truncated"),
])
def test_a_malformed_envelope_is_400_invalid(db, user_a, body, content_type, message):
    # when
    response = raw(body, content_type, user=user_a)

    # then
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"errors": [{"message": message, "extensions": {"code": "INVALID"}}]}


def test_variables_given_as_json_text_still_work(db):
    response = raw(json.dumps({"query": 'mutation($u: String!) { tokenAuth(username: $u, password: "x") { token } }',
                               "variables": '{"u": "nobody@molink.test"}'}))
    assert response.status_code == 200
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["INVALID_CREDENTIALS"]


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b", "bell\x07", "\ufffe"])
def test_forbidden_characters_in_a_login_are_a_field_error(db, text):
    # when
    response = raw(json.dumps({"query": "mutation($u: String!) { tokenAuth(username: $u, password: \"x\") { token } }",
                               "variables": {"u": text}}))

    # then
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "INVALID", "field": "username"}
    assert error["message"].startswith("text must not contain the control or unpaired surrogate character U+")


@pytest.mark.parametrize(("variables", "field"), [
    pytest.param({"i": {"note": "ok\x00no"}}, "input.note", id="note-nul"),
    pytest.param({"i": {"note": "fine", "clientMutationId": "cm\ud800"}}, "input.clientMutationId",
                 id="client-mutation-id-surrogate"),
    pytest.param({"i": {"terms": "line\x0bbreak"}}, "input.terms", id="terms-vertical-tab"),
])
def test_forbidden_characters_in_a_mutation_write_nothing(db, user_a, variables, field):
    # when
    response = raw(json.dumps({
        "query": "mutation($i: CreateInvoiceMutationInput!) { createInvoice(input: $i) { internalId errors { code } } }",
        "variables": variables}), user=user_a)

    # then: refused before anything runs (no invoice, no mutation log that could not be stored)
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "INVALID", "field": field}
    assert (Invoice.objects.count(), MutationLog.objects.count()) == (0, 0)


def test_newlines_and_tabs_are_ordinary_text(db, user_a):
    response = raw(json.dumps({
        "query": "mutation($i: CreateInvoiceMutationInput!) { createInvoice(input: $i) { internalId errors { code } } }",
        "variables": {"i": {"note": "line 1\nline 2\r\n\tindented"}}}), user=user_a)
    assert response.json()["data"]["createInvoice"]["errors"] == []
    assert Invoice.objects.get().note == "line 1\nline 2\r\n\tindented"


def test_a_rest_body_nested_50000_deep_is_400(db, user_a):
    # when
    response = Client(raise_request_exception=False).post(
        "/v2/invoices", "[" * 50_000, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(user_a)}")

    # then
    assert response.status_code == 400, response.content
    assert response.json() == {"code": "PARSE_ERROR", "field": None,
                               "message": "JSON parse error - the body is nested too deeply"}


@pytest.mark.parametrize("first", [-5, 0, 101])
def test_picker_options_outside_their_bounds_are_invalid(db, user_a, first):
    response = raw(json.dumps({"query": f'{{ pickerOptions(role: "subject", type: "user", first: {first}) {{ id }} }}'}),
                   user=user_a)
    (error,) = response.json()["errors"]
    assert (error["extensions"], error["message"]) == (
        {"code": "INVALID", "field": "first"}, f"first must be between 1 and 100, got {first}")
