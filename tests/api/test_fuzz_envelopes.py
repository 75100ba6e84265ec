"""Fuzzing of malformed requests, not only schema-valid documents: whatever the body, content type
or shape of `query` / `variables` / `operationName`, /graphql and the REST routes answer a 4xx
(or 200) with a JSON body whose every error carries a code — never a 5xx, never HTML, never
INTERNAL_ERROR. Hypothesis generates the envelopes (FUZZ_SETTINGS: derandomized, the same cases
in every run; FUZZ_EXAMPLES sets how many). The cases found by hand are kept as examples."""
from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from tests.helpers.fuzz import FUZZ_SETTINGS
from tests.helpers.graphql import token_for

CONTENT_TYPES = ["application/json", "application/graphql", "application/json; charset=utf-8", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]

# JSON values, deep and wide enough to reach every branch of the envelope checks
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
# Text that is nearly GraphQL: fragments of real syntax, controls, surrogates
graphql_like = st.lists(st.sampled_from(
    ["{", "}", "(", ")", "invoice", "first:", "1", "-5", '"x"', "\x00", "\ud800", "...", "fragment", "on",
     "query", "mutation", "$a", ":", "Int", "!", "edges", "node", "id", "totalCount", "pickerOptions", "#", "\n"]),
    max_size=30).map(" ".join)
envelopes = st.fixed_dictionaries({}, optional={
    "query": json_values | graphql_like,
    "variables": json_values | st.text(max_size=40),
    "operationName": json_values,
})
bodies = (envelopes.map(lambda e: json.dumps(e).encode()) | json_values.map(lambda v: json.dumps(v).encode())
          | st.binary(max_size=200) | graphql_like.map(lambda t: t.encode("utf-8", "surrogatepass")))


def _encodable(text: str) -> bool:
    """What a URL can carry (a lone surrogate cannot be percent-encoded as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def assert_coded_answer(response) -> dict:
    assert response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = json.loads(response.content)
    errors = body.get("errors") if isinstance(body, dict) else None
    if response.status_code >= 400 and "code" not in body:
        assert errors, body
    for error in errors or ():  # GraphQL: extensions.code; REST: {field, code, message}
        code = (error.get("extensions") or {}).get("code") or error.get("code")
        assert code and code != "INTERNAL_ERROR", error
    return body


@pytest.fixture
def client(user_a):
    """One client for all of a test's cases (Hypothesis runs them inside the one test function)."""
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token_for(user_a)}")


@FUZZ_SETTINGS
@given(body=bodies, content_type=st.sampled_from(CONTENT_TYPES))
@example(body=b'{"query": ["{ __typename }"]}', content_type="application/json")
@example(body=b'{"query": 1}', content_type="application/json")
@example(body=b"\xff\xfe{", content_type="application/graphql")
@example(body=b'{"query": "{ __typename }", "variables": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
         content_type="application/json")
@example(body=b'{"query": "{ invoice(first: 1) { totalCount ", "variables": {}}', content_type="application/json")
def test_any_graphql_post_gets_a_coded_json_answer(client, body, content_type):
    assert_coded_answer(client.generic("POST", "/graphql", body, content_type=content_type))


@FUZZ_SETTINGS
@given(params=st.dictionaries(st.sampled_from(["query", "variables", "operationName", "x"]),
                              (st.text(max_size=60) | graphql_like).filter(_encodable), max_size=3))
def test_any_graphql_get_gets_a_coded_json_answer(client, params):
    assert_coded_answer(client.get("/graphql", params, HTTP_ACCEPT="application/json"))


@FUZZ_SETTINGS
@given(body=bodies, content_type=st.sampled_from(CONTENT_TYPES[:5]))
@example(body=b"[" * 50_000, content_type="application/json")
def test_any_rest_post_gets_a_coded_json_answer(client, body, content_type):
    assert_coded_answer(client.generic("POST", "/v2/invoices", body, content_type=content_type))
