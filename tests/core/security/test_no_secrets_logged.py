"""No secret or personal data in logs or in the mutation log: MutationLog.json_content masks
sensitive inputs; no logger call in the code is handed a password, token, secret, API key or
request body."""
from __future__ import annotations

import ast
import json
import logging
from pathlib import Path

import graphene
import pytest
from django.conf import settings
from django.test import RequestFactory

from core.gql.mutations import MASK, BaseMutation, masked
from core.models import MutationLog

REPO = Path(__file__).resolve().parents[3]


def test_masked_hides_sensitive_keys_at_any_depth():
    # when
    logged = masked({"name": "x", "password": "p", "refreshToken": "t", "refresh_token": "t2", "newPassword": "n",
                     "nested": [{"apiSecret": "s", "apiKey": "k", "api_key": "k2", "label": "ok"}],
                     "authorization": "Bearer x", "clientCredentials": "c", "tokenAuthUsername": "u"})
    # then
    assert logged == {"name": "x", "password": MASK, "refreshToken": MASK, "refresh_token": MASK, "newPassword": MASK,
                      "nested": [{"apiSecret": MASK, "apiKey": MASK, "api_key": MASK, "label": "ok"}],
                      "authorization": MASK, "clientCredentials": MASK, "tokenAuthUsername": MASK}


def test_masked_keeps_ordinary_business_fields():
    value = {"code": "INV-1", "amount": "12.00", "iban": "FR76", "clientMutationLabel": "l", "payerRef": "p"}
    assert masked(value) == value


class _Credentials(graphene.InputObjectType):
    login = graphene.String()
    password = graphene.String()


class _SecretMutation(BaseMutation):
    """A mutation with sensitive inputs (none of the real ones has any today)."""

    class Input:
        name = graphene.String()
        password = graphene.String()
        refresh_token = graphene.String()
        client_secret = graphene.String()
        accounts = graphene.List(_Credentials)
        settings = graphene.Field(_Credentials)

    class Meta:
        permissions = ()

    @classmethod
    def perform(cls, *, tenant, data):
        return {}


class _Mutation(graphene.ObjectType):
    secret_mutation = _SecretMutation.Field()


class _Query(graphene.ObjectType):
    ok = graphene.Boolean()


def test_mutation_log_json_content_masks_sensitive_inputs(user_a):
    # given a mutation with sensitive inputs, at the top level and nested
    schema = graphene.Schema(query=_Query, mutation=_Mutation)
    request = RequestFactory().post("/graphql")
    request.user, request.auth_error = user_a, None
    document = """mutation { secretMutation(input: {
        clientMutationId: "sec-1", name: "kept", password: "hunter2", refreshToken: "rt-123",
        clientSecret: "cs-456", accounts: [{login: "me", password: "pw-789"}],
        settings: {login: "me2", password: "pw-000"}}) { errors { code } } }"""
    # when
    result = schema.execute(document, context_value=request)
    # then
    assert result.errors is None and result.data == {"secretMutation": {"errors": []}}
    stored = MutationLog.objects.get(client_mutation_id="sec-1").json_content
    for secret in ("hunter2", "rt-123", "cs-456", "pw-789", "pw-000"):
        assert secret not in stored
    content = json.loads(stored)
    assert content["name"] == "kept"
    assert (content["password"], content["refresh_token"], content["client_secret"]) == (MASK, MASK, MASK)
    assert content["accounts"] == [{"login": "me", "password": MASK}]
    assert content["settings"] == {"login": "me2", "password": MASK}


# --- Logger calls --------------------------------------------------------------------------------

LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
LOGGER_NAMES = {"logger", "log", "logging", "alerts", "audit"}
# Names whose value must never be handed to a logger.
FORBIDDEN = ("password", "passwd", "secret", "token", "api_key", "apikey", "key_hash", "authorization", "cookie",
             "body", "credentials", "json_content", "meta")
APP_DIRS = ("config", "core", "invoice", "payment_module", "schema")


def _logger_calls():
    for folder in APP_DIRS:
        for path in sorted((REPO / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in LOG_METHODS and isinstance(node.func.value, ast.Name)
                        and node.func.value.id in LOGGER_NAMES):
                    yield path.relative_to(REPO), node


def _names(node) -> set[str]:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            names.add(sub.attr)
        elif isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant):
            names.add(str(sub.slice.value))
        elif (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "get"
              and sub.args and isinstance(sub.args[0], ast.Constant)):
            names.add(str(sub.args[0].value))
    return names


def test_the_code_has_logger_calls_to_check():
    assert len(list(_logger_calls())) >= 8


def test_no_logger_call_is_given_a_secret_or_a_request_body():
    offenders = []
    for path, call in _logger_calls():
        arguments = list(call.args[1:]) + [keyword.value for keyword in call.keywords if keyword.arg != "exc_info"]
        for argument in arguments:
            bad = {name for name in _names(argument) if any(word in name.lower() for word in FORBIDDEN)}
            if bad:
                offenders.append(f"{path}:{call.lineno} logs {sorted(bad)}")
    assert not offenders, offenders


@pytest.mark.parametrize("name", ["django.db.backends", "botocore", "boto3", "s3transfer", "urllib3"])
def test_chatty_libraries_never_log_below_info(name):
    assert logging.getLevelName(settings.LOGGING["loggers"][name]["level"]) >= logging.INFO
