"""GraphQL fuzzing: schemathesis reads the schema the app serves (introspection of /graphql) and
generates, for each root field, valid documents and invalid ones (hypothesis-graphql underneath),
sent through the whole Django stack (config.wsgi, in-process) as an admin of Org A with data:
draft, validated and paid invoices with lines, a payment, an event, an operator with orders and a
tariff, a created document, an API key.

Each answer must be
- no 5xx, and no error, top-level or in a payload's `errors`, with the code INTERNAL_ERROR (what
  core.gql turns an unexpected exception into);
- a JSON object as GraphQL defines it, with no null in a non-null field (schemathesis'
  `response_schema_conformance`);
- for an invalid document, a GraphQL error (`negative_data_rejection`).

schemathesis' own `not_a_server_error` is not run as is: for GraphQL it counts every error that has
a `path` as a server failure, while our resolvers raise coded domain errors (NOT_FOUND, INVALID…)
on purpose; its 5xx half is the status assertion below and INTERNAL_ERROR stands for the rest.

In valid documents, every id-like argument or input field (`id`, `uuids`, `…Id`, `…_Id`) is half
the time the id of one of Org A's rows, so that mutations reach their services instead of
stopping at NOT_FOUND; every mutation also selects its payload's `errors { field code message }`,
so that an INTERNAL_ERROR there cannot go unseen. Four tests: queries and mutations, valid and invalid;
FUZZ_EXAMPLES sets the cases of each (tests/helpers/fuzz.py; bench/fuzz.py runs thousands)."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import schemathesis
from django.apps import apps
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    ListValueNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    Visitor,
    get_named_type,
    parse,
    print_ast,
    visit,
)
from graphql_jwt.shortcuts import get_token
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, response_schema_conformance
from schemathesis.graphql import nodes

from config.wsgi import application
from core.models import Membership
from core.services.api_keys import api_key_create
from core.tenancy import scope
from invoice.services.events import event_message_create
from invoice.services.invoices import invoice_create, invoice_validate
from invoice.services.lines import line_add
from invoice.services.payments import payment_record
from payment_module.models import Order
from schema.schema import schema as project_schema
from tests.api.conftest import bearer, body, in_test_transaction, make_billing
from tests.helpers.fuzz import FUZZ_SETTINGS, Tally

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rest_storage")]

# Brute-force throttling is tested on its own (tests/core/security); fuzzing tokenAuth only locks the client out.
SKIP = {"Mutation.tokenAuth"}
CHECKS = [response_schema_conformance, negative_data_rejection]
GRAPHQL_SCHEMA = project_schema.graphql_schema
ID_NAME = re.compile(r"^(id|uuids|subjectIds|.*[a-z]Id|.*_Id)$")
PAYLOAD_ERRORS = FieldNode(name=NameNode(value="errors"), arguments=(), directives=(), selection_set=SelectionSetNode(
    selections=tuple(FieldNode(name=NameNode(value=name), arguments=(), directives=())
                     for name in ("field", "code", "message"))))

schemathesis.graphql.scalar("Decimal", st.decimals(allow_nan=False, allow_infinity=False, places=2,
                                                   min_value=-10**6, max_value=10**6).map(str).map(nodes.String))
schemathesis.graphql.scalar("DecimalLiteral", st.integers(-10**6, 10**6).map(nodes.Int))
schemathesis.graphql.scalar("JSONString", st.sampled_from(["{}", '{"a": 1}', "[]", '"text"']).map(nodes.String))
schemathesis.graphql.scalar("GenericScalar", st.text(max_size=20).map(nodes.String))


def org_a_ids(organization) -> list[str]:
    """Every UUID primary key of Org A's rows (tenant-scoped models, history tables aside)."""
    found = []
    for model in apps.get_models():
        if getattr(model, "tenant_path", None) is None or model._meta.pk.get_internal_type() != "UUIDField":
            continue
        found += [str(pk) for pk in scope(model._default_manager.all(), organization).values_list("pk", flat=True)]
    return sorted(found)


@pytest.fixture
def graphql_fuzz(org_a, user_a, api):
    billing = make_billing(org_a, user_a)
    draft = invoice_create(actor=user_a, organization=org_a, data={"note": "fuzz draft"})
    line_add(actor=user_a, invoice=draft, data={"quantity": Decimal(2), "unit_price": Decimal(10)})
    issued = invoice_create(actor=user_a, organization=org_a, data={
        "note": "fuzz issued", "thirdparty_type": "operator", "thirdparty_id": str(billing.operator.pk)})
    line_add(actor=user_a, invoice=issued, data={"quantity": Decimal(1), "unit_price": Decimal(100)})
    issued = invoice_validate(actor=user_a, invoice=issued)
    payment_record(actor=user_a, invoice=issued, data={"amount_payed": Decimal("30.00"), "code_ext": "VIR-1"})
    event_message_create(actor=user_a, invoice=issued, message="relance")
    Order.objects.create(organization=org_a, operator=billing.operator, kind=billing.orders[0].kind,
                         reference="fuzz-feb", ordered_at=datetime(2026, 2, 3, 12, tzinfo=UTC), user_created=user_a)
    api_key_create(actor=user_a, organization=org_a, name="fuzz", role=Membership.Role.ADMIN)
    with in_test_transaction():
        status, _ = api.post(bearer(user_a), body(billing.operator))
        assert status == 202
        schema = schemathesis.graphql.from_wsgi("/graphql", application)
    return schema.exclude(name=list(SKIP)), user_a, org_a_ids(org_a)


def _real_ids(node, ids: list[str], draw):
    """An argument or input field named like an id, with a string (or list of strings) value:
    each string replaced by one of `ids` with probability ½."""
    name = node.name.value
    if name == "clientMutationId" or not ID_NAME.match(name):
        return None

    def swap(value):
        if isinstance(value, StringValueNode) and draw(st.booleans()):
            return StringValueNode(value=draw(st.sampled_from(ids)))
        return value

    if isinstance(node.value, ListValueNode):
        value = ListValueNode(values=tuple(swap(item) for item in node.value.values))
    else:
        value = swap(node.value)
    return None if value is node.value else type(node)(name=node.name, value=value)


class Realise(Visitor):
    def __init__(self, ids: list[str], draw):
        super().__init__()
        self.ids, self.draw = ids, draw

    def enter_argument(self, node, *_):
        return _real_ids(node, self.ids, self.draw)

    def enter_object_field(self, node, *_):
        return _real_ids(node, self.ids, self.draw)


def with_payload_errors(document: DocumentNode) -> DocumentNode:
    """Every mutation root field whose payload has `errors` selects `errors { field code message }`."""
    mutation_fields = GRAPHQL_SCHEMA.mutation_type.fields
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode) or definition.operation is not OperationType.MUTATION:
            continue
        for root in definition.selection_set.selections:
            field = mutation_fields.get(root.name.value) if isinstance(root, FieldNode) else None
            if field is None or "errors" not in get_named_type(field.type).fields or root.selection_set is None:
                continue
            if not any(isinstance(s, FieldNode) and s.name.value == "errors" for s in root.selection_set.selections):
                root.selection_set.selections = (*root.selection_set.selections, PAYLOAD_ERRORS)
    return document


def prepare(document: str, ids: list[str], draw, *, valid: bool) -> str:
    try:
        tree = parse(document)
    except GraphQLError:  # an invalid document may not even parse: send it as generated
        return document
    if valid:
        tree = visit(tree, Realise(ids, draw))
    return print_ast(with_payload_errors(tree))


def error_codes(answer: dict) -> list[str | None]:
    """The codes of the top-level errors and of every payload's `errors`."""
    codes = [(error.get("extensions") or {}).get("code") for error in answer.get("errors") or []]
    for payload in (answer.get("data") or {}).values():
        if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
            codes += [error.get("code") for error in payload["errors"] if isinstance(error, dict)]
    return codes


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("root", ["Query", "Mutation"], ids=["queries", "mutations"])
def test_generated_documents_never_fail_with_5xx_or_internal_error(graphql_fuzz, request, root, mode):
    schema, user, ids = graphql_fuzz
    operations = schema.include(name_regex=rf"^{root}\.")

    with Tally("graphql", request.node.name) as tally:
        @FUZZ_SETTINGS
        @given(case=operations.as_strategy(generation_mode=mode), data=st.data())
        def run(case, data):
            case.body = prepare(case.body, ids, data.draw, valid=mode is GenerationMode.POSITIVE)
            with in_test_transaction():
                response = case.call(headers={"Authorization": f"Bearer {get_token(user)}"})
            answer = response.json() if response.status_code < 500 else {}
            codes = error_codes(answer) if isinstance(answer, dict) else []
            tally.record(response.status_code, codes)
            with tally.checking(case.operation.label, lambda: str(case.body)):
                assert response.status_code < 500, (response.status_code, response.text[:500])
                assert "INTERNAL_ERROR" not in codes, answer
                case.validate_response(response, checks=CHECKS)

        run()
