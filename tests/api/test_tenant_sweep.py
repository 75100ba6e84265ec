"""Tenant-isolation sweep: every GraphQL root query and mutation, discovered from the schema (so
new ones are covered automatically), called with Org B's credentials against Org A's ids. Nothing of
Org A may come back (no data, no existence hint: NOT_FOUND only) and nothing of Org A may change."""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.test import Client
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from graphql_jwt.shortcuts import get_token

from core.calculation import FR_VAT_20
from core.models import CalculationRuleSetting, MutationLog
from invoice.models import Invoice, InvoiceDocument, InvoiceEvent, InvoiceLineItem, InvoicePayment
from invoice.services.events import event_message_create
from invoice.services.invoices import invoice_cancel, invoice_create, invoice_validate
from invoice.services.lines import line_add
from invoice.services.payments import payment_record
from payment_module.models import Operator, Order, Tariff
from schema.schema import schema

AUTH_MUTATIONS = {"tokenAuth", "verifyToken", "refreshToken", "revokeToken", "deleteTokenCookie",
                  "deleteRefreshTokenCookie"}
# Root fields that take no id of another organisation and only read or write the caller's own.
OWN_ORGANISATION_ONLY = {
    "createCalculationRule": "creates a rule in the caller's organisation; has no id input",
    "createApiKey": "creates a key in the caller's organisation; has no id input",
    "createOperator": "creates an operator in the caller's organisation; has no id input",
    "createTariff": "creates a tariff in the caller's organisation; its only reference is a tax rule, "
                    "resolved within the caller's organisation (UNKNOWN_TAX_RULE otherwise)",
}
FORBIDDEN_CODES = {"PERMISSION_DENIED", "INTERNAL_ERROR"}
SPECIAL_VALUES = {"role": "subject", "type": "organization", "calcType": "tax", "format": "json",
                  "message": "x", "reason": "x", "name": "x", "label": "x", "code": "x-sweep"}


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org_a_data(org_a, user_a):
    """A rich Org A: invoices in several statuses, lines, payments, events, a credit note, billing
    data, a generated document, a custom VAT rule, a mutation log."""
    operator = Operator.objects.create(organization=org_a, code="pf-secret", name="Pompes Funèbres Secrètes")
    Tariff.objects.create(organization=org_a, code="T-SECRET", label="Tarif secret", order_kind="death_notice",
                          unit_price=Decimal("89"), tax_rule=FR_VAT_20.id, date_valid_from=date(2026, 1, 1))
    order = Order.objects.create(organization=org_a, operator=operator, kind="death_notice", reference="CMD-SECRET-1",
                                 ordered_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    draft = invoice_create(actor=user_a, organization=org_a, data={"note": "brouillon-secret"})
    line_add(actor=user_a, invoice=draft, data={"description": "ligne-secrete", "quantity": "1", "unit_price": "10"})
    issued = invoice_create(actor=user_a, organization=org_a, data={"thirdparty_type": "operator",
                                                                     "thirdparty_id": str(operator.pk)})
    line_add(actor=user_a, invoice=issued, data={"description": "ligne-secrete-2", "quantity": "2", "unit_price": "50"})
    issued = invoice_validate(actor=user_a, invoice=issued)
    payment = payment_record(actor=user_a, invoice=issued, data={"amount_payed": "10", "code_ext": "PAY-SECRET"})
    event = event_message_create(actor=user_a, invoice=issued, message="message-secret")
    cancelled = invoice_create(actor=user_a, organization=org_a, data={})
    line_add(actor=user_a, invoice=cancelled, data={"description": "x", "quantity": "1", "unit_price": "5"})
    cancelled, credit = invoice_cancel(actor=user_a, invoice=invoice_validate(actor=user_a, invoice=cancelled))
    document = InvoiceDocument.objects.create(organization=org_a, invoice=issued, operator=operator, format="json",
                                              status="created", storage_key="org/a/secret.json", checksum="0" * 64)
    rule = CalculationRuleSetting.objects.create(organization=org_a, code="RULE-SECRET", label="secret", rate="0.07")
    MutationLog.objects.create(organization=org_a, user=user_a, mutation_name="X", client_mutation_id="cmid-secret")
    objects = {
        "organization": org_a, "operator": operator, "order": order, "draft": draft, "invoice": issued,
        "credit": credit, "line": InvoiceLineItem.objects.filter(invoice=issued).first(), "payment": payment,
        "event": event, "document": document, "rule": rule,
    }
    leaks = {issued.code, credit.code, operator.name, "CMD-SECRET-1", "message-secret", "RULE-SECRET",
             "cmid-secret", "PAY-SECRET", "ligne-secrete", "brouillon-secret", org_a.code, "Org A"}
    return objects, leaks


def global_id(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def id_values(objects: dict) -> list[str]:
    values = []
    for obj in objects.values():
        values.append(str(obj.pk))
    values.append(global_id("InvoiceGQLType", objects["invoice"].pk))
    return values


def unwrap(gql_type):
    while isinstance(gql_type, (GraphQLNonNull, GraphQLList)):
        gql_type = gql_type.of_type
    return gql_type


def is_id_like(name: str) -> bool:
    lowered = name.lower()
    return lowered == "id" or lowered.endswith("id") or lowered.endswith("ids") or lowered in {"uuid", "uuids"} \
        or name.endswith("_Id")


def literal(gql_type, name: str, id_value: str | None):
    """A GraphQL literal for an argument/input field of this type."""
    if isinstance(gql_type, GraphQLNonNull):
        return literal(gql_type.of_type, name, id_value)
    if isinstance(gql_type, GraphQLList):
        return f"[{literal(gql_type.of_type, name, id_value)}]"
    named = unwrap(gql_type)
    if id_value is not None and (is_id_like(name) or name == "uuids") and named.name in {"String", "ID", "UUID"}:
        return json.dumps(id_value)
    if name in SPECIAL_VALUES and named.name == "String":
        return json.dumps(SPECIAL_VALUES[name])
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    return {"String": '"x"', "ID": '"x"', "UUID": '"00000000-0000-0000-0000-000000000000"', "Int": "1",
            "Float": "1", "Boolean": "false", "Decimal": '"1"', "DecimalLiteral": "1", "Date": '"2026-01-01"',
            "DateTime": '"2026-01-01T00:00:00Z"', "JSONString": '"{}"', "GenericScalar": "{}"}.get(named.name, '"x"')


def scalar_selection(object_type, depth: int = 1) -> str:
    parts = []
    for field_name, field in object_type.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        named = unwrap(field.type)
        if isinstance(named, (GraphQLScalarType, GraphQLEnumType)):
            parts.append(field_name)
        elif isinstance(named, GraphQLObjectType) and depth > 0:
            if field_name == "edges":
                node = named.fields["node"].type
                parts.append("edges { node { %s } }" % scalar_selection(unwrap(node), depth))
            elif field_name != "pageInfo":
                inner = scalar_selection(named, depth - 1)
                if inner:
                    parts.append("%s { %s }" % (field_name, inner))
    return " ".join(parts)


def post_as(user, document: str):
    response = Client().post("/graphql", json.dumps({"query": document}), content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {get_token(user)}")
    assert response.status_code < 500, response.content
    return response.json()


def assert_no_leak(body: dict, ids: list[str], leaks: set[str], where: str) -> None:
    # Ids may be echoed in a NOT_FOUND message (the caller sent them, and an unknown id reads the
    # same); they must never come back as data. Names, codes and messages must appear nowhere.
    data_text = json.dumps(body.get("data"), ensure_ascii=False)
    text = json.dumps(body, ensure_ascii=False)
    for value in ids:
        assert value not in data_text, f"{where} leaked {value!r}: {data_text[:500]}"
    for value in leaks:
        assert value not in text, f"{where} leaked {value!r}: {text[:500]}"
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
    assert not codes & FORBIDDEN_CODES, f"{where}: {body['errors']}"


def org_a_snapshot(org_a) -> dict:
    models = {"invoice": Invoice.objects.filter(organization=org_a),
              "line": InvoiceLineItem.objects.filter(invoice__organization=org_a),
              "payment": InvoicePayment.objects.filter(invoice__organization=org_a),
              "event": InvoiceEvent.objects.filter(invoice__organization=org_a),
              "operator": Operator.objects.filter(organization=org_a),
              "order": Order.objects.filter(organization=org_a),
              "rule": CalculationRuleSetting.objects.filter(organization=org_a)}
    snapshot = {name: sorted((str(pk), version, deleted) for pk, version, deleted in
                             qs.values_list("pk", "version", "is_deleted")) for name, qs in models.items()}
    snapshot["documents"] = sorted(InvoiceDocument.objects.filter(organization=org_a).values_list("pk", "status"))
    snapshot["organization"] = type(org_a).objects.filter(pk=org_a.pk).values_list("version", flat=True)[0]
    snapshot["history"] = (Invoice.history.filter(organization=org_a).count(),
                           InvoicePayment.history.filter(invoice__organization=org_a).count(),
                           InvoiceEvent.history.filter(invoice__organization=org_a).count())
    return snapshot


def root_fields(kind: str):
    root = schema.graphql_schema.query_type if kind == "query" else schema.graphql_schema.mutation_type
    return root.fields


def test_every_root_query_returns_nothing_of_another_organisation(org_a_data, org_a, user_b, capsys):
    # given
    objects, leaks = org_a_data
    ids = id_values(objects)
    probes = 0
    for name, field in root_fields("query").items():
        selection = scalar_selection(unwrap(field.type)) if isinstance(unwrap(field.type), GraphQLObjectType) else ""
        selection = f"{{ {selection} }}" if selection else ""
        id_args = [arg for arg in field.args if is_id_like(arg)]
        required = {arg: literal(a.type, arg, None) for arg, a in field.args.items() if isinstance(a.type, GraphQLNonNull)}
        calls = [dict(required)] if not (set(required) & set(id_args)) else []
        for arg in id_args:
            for value in ids:
                calls.append({**required, arg: literal(field.args[arg].type, arg, value)})
        for args in calls:
            rendered = ", ".join(f"{key}: {value}" for key, value in args.items())
            document = "{ %s%s %s }" % (name, f"({rendered})" if rendered else "", selection)
            # when
            body = post_as(user_b, document)
            # then
            assert_no_leak(body, ids, leaks, document)
            probes += 1
    assert probes > 50
    with capsys.disabled():
        print(f"\ntenant sweep: {probes} query probes over {len(root_fields('query'))} root queries, 0 leaks")


def test_every_root_mutation_changes_nothing_of_another_organisation(org_a_data, org_a, user_b, capsys):
    # given
    objects, leaks = org_a_data
    ids = id_values(objects)
    before = org_a_snapshot(org_a)
    probes = 0
    for name, field in root_fields("mutation").items():
        if name in AUTH_MUTATIONS:
            continue
        input_type = unwrap(field.args["input"].type) if "input" in field.args else None
        # clientMutationId is the caller's own correlation id, not a reference to an object.
        fields = {f: t for f, t in (input_type.fields if input_type is not None else {}).items()
                  if f != "clientMutationId"}
        has_id_input = any(is_id_like(f) for f in fields)
        if not has_id_input:
            assert name in OWN_ORGANISATION_ONLY, f"{name} takes no id: exempt it with a reason or sweep it"
        for value in ids:
            values = {f: literal(t.type, f, value) for f, t in fields.items()
                      if isinstance(t.type, GraphQLNonNull) or is_id_like(f)}
            rendered = ", ".join(f"{key}: {val}" for key, val in values.items())
            document = "mutation { %s(input: {%s}) { errors { field code } } }" % (name, rendered)
            # when
            body = post_as(user_b, document)
            # then
            assert_no_leak(body, ids, leaks, document)
            payload = (body.get("data") or {}).get(name)
            if has_id_input and payload is not None:
                codes = {error["code"] for error in payload["errors"]}
                assert codes, f"{document} succeeded with Org A's id"
                assert "NOT_FOUND" in codes or codes <= {"INVALID", "REQUIRED", "UNKNOWN_PICKER_TYPE"}, document
            probes += 1
    assert org_a_snapshot(org_a) == before
    with capsys.disabled():
        print(f"\ntenant sweep: {probes} mutation probes over {len(root_fields('mutation'))} root mutations, "
              "Org A unchanged")


def test_exemptions_name_existing_fields():
    mutations = root_fields("mutation")
    for name in OWN_ORGANISATION_ONLY:
        assert name in mutations, f"stale exemption {name}"


def _routes(patterns, prefix=""):
    from django.urls import URLPattern, URLResolver

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_every_rest_route_answers_not_found_for_another_organisations_ids(org_a_data, user_b, capsys):
    # given: every API route with a path parameter, from the URL conf
    import re

    from django.urls import get_resolver

    objects, leaks = org_a_data
    routes = sorted({route for route in _routes(get_resolver().url_patterns)
                     if route.startswith(("v2/", "api/")) and "<" in route})
    assert routes, "no REST route with a parameter found"
    client = Client(HTTP_AUTHORIZATION=f"Bearer {get_token(user_b)}")
    probes = 0
    for route in routes:
        for value in id_values(objects):
            path = "/" + re.sub(r"<[^>]+>", value, route).lstrip("^").rstrip("$")
            # when
            response = client.get(path)
            # then
            assert response.status_code == 404, (path, response.status_code)
            assert response.json()["code"] == "NOT_FOUND", path
            text = response.content.decode()
            assert not any(leak in text for leak in leaks), path
            probes += 1
    # and the list shows none of Org A's documents
    listing = client.get("/v2/invoices").json()
    assert listing["count"] == 0
    with capsys.disabled():
        print(f"\ntenant sweep: {probes} REST probes over {len(routes)} routes, 0 leaks")
