"""Helpers of the invoice GraphQL tests: exact SQL query counts (printing the SQL on mismatch),
the MutationLog row of a call, relay ids and invoice numbers."""
from __future__ import annotations

import base64
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import MutationLog
from invoice.services.invoices import today


@contextmanager
def assert_num_queries(expected: int):
    """The block runs exactly `expected` SQL queries; on mismatch the test fails listing them.
    The ContentType cache is warmed first, as in a running server, so that the count does not
    depend on which test ran before."""
    ContentType.objects.get_for_models(*apps.get_models())
    with CaptureQueriesContext(connection) as captured:
        yield captured
    if len(captured) != expected:
        listing = "\n".join(f"{n:3}. {query['sql']}" for n, query in enumerate(captured.captured_queries, start=1))
        pytest.fail(f"expected {expected} SQL queries, got {len(captured)}:\n{listing}", pytrace=False)


def count_queries(func) -> int:
    ContentType.objects.get_for_models(*apps.get_models())
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def mutation_log(client_mutation_id: str) -> MutationLog:
    return MutationLog.objects.get(client_mutation_id=client_mutation_id)


def global_id(type_name: str, pk) -> str:
    """The relay global id of an object (`base64("<Type>:<uuid>")`)."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def number(organization, n: int) -> str:
    """The n-th invoice number of `organization` this year: ORGA-2026-000001."""
    return f"{organization.invoice_number_prefix}-{today().year}-{n:06d}"


def mutation_document(name: str, selection: str = "") -> str:
    """`mutation($input: <Name>MutationInput!) { name(input: $input) { … errors … } }`."""
    input_type = name[0].upper() + name[1:] + "MutationInput"
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ clientMutationId internalId "
            f"errors {{ field code message }} {selection} }} }}")


# Every write mutation of the invoice app, with a valid input on world_a's objects.
WRITE_MUTATIONS = {
    "createInvoice": lambda w: {"note": "nouvelle"},
    "updateInvoice": lambda w: {"id": str(w.draft.id), "note": "changée"},
    "validateInvoice": lambda w: {"id": str(w.draft.id)},
    "cancelInvoice": lambda w: {"id": str(w.validated.id)},
    "deleteInvoice": lambda w: {"uuids": [str(w.draft.id)]},
    "createInvoiceLineItem": lambda w: {"invoiceId": str(w.draft.id), "quantity": "1", "unitPrice": "9.99"},
    "updateInvoiceLineItem": lambda w: {"id": str(w.lines[0].id), "quantity": "5"},
    "deleteInvoiceLineItem": lambda w: {"uuids": [str(w.lines[0].id)]},
    "createInvoicePayment": lambda w: {"invoiceId": str(w.billed.id), "amountPayed": "10.00"},
    "updateInvoicePayment": lambda w: {"id": str(w.payment.id), "label": "changé"},
    "deleteInvoicePayment": lambda w: {"uuids": [str(w.payment.id)]},
    "createInvoiceEventMessage": lambda w: {"invoiceId": str(w.draft.id), "message": "bonjour"},
    "updateInvoiceEventMessage": lambda w: {"id": str(w.message.id), "message": "réécrit"},
}
