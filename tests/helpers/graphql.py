"""Calling /graphql as a given user, through the whole Django stack (middleware, auth, view)."""
from __future__ import annotations

import json

from django.test import Client
from graphql_jwt.shortcuts import get_token


def token_for(user) -> str:
    return get_token(user)


def post(query: str, variables: dict | None = None, user=None, token: str | None = None,
         headers: dict | None = None) -> dict:
    """POST a GraphQL document; returns the decoded JSON body (a fresh client: no cookies kept)."""
    extra = {}
    if user is not None:
        token = token_for(user)
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    for name, value in (headers or {}).items():
        extra["HTTP_" + name.upper().replace("-", "_")] = value
    response = Client().post(
        "/graphql", json.dumps({"query": query, "variables": variables or {}}), content_type="application/json", **extra
    )
    assert response.status_code in (200, 400), response.content
    return response.json()


def data(result: dict) -> dict:
    assert not result.get("errors"), result.get("errors")
    return result["data"]


def error_codes(result: dict) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in result.get("errors", [])]


def mutation_payload(result: dict, name: str) -> dict:
    assert not result.get("errors"), result.get("errors")
    return result["data"][name]


def assert_mutation_errors(result: dict, name: str, expected: list[tuple[str | None, str]]) -> None:
    payload = mutation_payload(result, name)
    got = [(error["field"], error["code"]) for error in payload["errors"]]
    assert got == expected, payload["errors"]


def assert_mutation_ok(result: dict, name: str) -> dict:
    payload = mutation_payload(result, name)
    assert payload["errors"] == [], payload["errors"]
    return payload
