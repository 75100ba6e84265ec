"""GraphQL fuzzing: documents generated from the schema (hypothesis-graphql), valid and invalid,
posted through the whole Django stack as an authenticated member of Org A with data. No response
may be a 5xx or an INTERNAL_ERROR. FUZZ_EXAMPLES sets the number of cases (bench/fuzz.py runs
thousands; CI runs this file with the default)."""
from __future__ import annotations

import json
import os
from decimal import Decimal

import pytest
from django.test import Client
from graphql import GraphQLSchema
from graphql_jwt.shortcuts import get_token
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_graphql import Mode, mutations, queries

from invoice.services.invoices import invoice_create, invoice_validate
from invoice.services.lines import line_add
from schema.schema import schema

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
GRAPHQL_SCHEMA: GraphQLSchema = schema.graphql_schema
SKIP_MUTATIONS = {"tokenAuth"}  # brute-force throttling is tested on its own; fuzzing it only locks the client
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                         suppress_health_check=list(HealthCheck))
CUSTOM_SCALARS = {
    "UUID": st.uuids().map(lambda u: __import__("graphql").StringValueNode(value=str(u))),
    "Decimal": st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6)
    .map(lambda d: __import__("graphql").StringValueNode(value=str(d))),
    "DecimalLiteral": st.integers(-10**6, 10**6).map(lambda n: __import__("graphql").IntValueNode(value=str(n))),
    "Date": st.dates().map(lambda d: __import__("graphql").StringValueNode(value=d.isoformat())),
    "DateTime": st.datetimes().map(lambda d: __import__("graphql").StringValueNode(value=d.isoformat() + "Z")),
    "JSONString": st.just(__import__("graphql").StringValueNode(value="{}")),
    "GenericScalar": st.just(__import__("graphql").StringValueNode(value="x")),
}


@pytest.fixture
def fuzz_client(org_a, user_a, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    invoice = invoice_create(actor=user_a, organization=org_a, data={"note": "fuzz"})
    line_add(actor=user_a, invoice=invoice, data={"quantity": Decimal("1"), "unit_price": Decimal("10")})
    invoice_validate(actor=user_a, invoice=invoice)
    return Client(HTTP_AUTHORIZATION=f"Bearer {get_token(user_a)}")


def check(client: Client, document) -> None:
    response = client.post("/graphql", json.dumps({"query": str(document)}), content_type="application/json")
    assert response.status_code < 500, (document, response.content[:500])
    body = response.json()
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
    assert "INTERNAL_ERROR" not in codes, (document, body)
    for payload in (body.get("data") or {}).values():
        if isinstance(payload, dict) and payload.get("errors"):
            assert all(error.get("code") != "INTERNAL_ERROR" for error in payload["errors"] if error), (document, payload)


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
def test_generated_queries_never_fail_with_5xx(fuzz_client, mode):
    @FUZZ_SETTINGS
    @given(queries(GRAPHQL_SCHEMA, custom_scalars=CUSTOM_SCALARS, mode=mode))
    def run(document):
        check(fuzz_client, document)

    run()


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
def test_generated_mutations_never_fail_with_5xx(fuzz_client, mode):
    fields = [name for name in GRAPHQL_SCHEMA.mutation_type.fields if name not in SKIP_MUTATIONS]

    @FUZZ_SETTINGS
    @given(mutations(GRAPHQL_SCHEMA, fields=fields, custom_scalars=CUSTOM_SCALARS, mode=mode))
    def run(document):
        check(fuzz_client, document)

    run()
