"""REST fuzzing: schemathesis generates requests for every operation of the OpenAPI document the
app serves (/v2/schema), valid ones and invalid ones, and sends them through the whole Django
stack (config.wsgi, in-process) as an admin of Org A, by JWT or by API key, with real data: an
operator with a year of orders, an inactive operator, Org B's operator, a created document.

Each answer must be
- no 5xx (`not_a_server_error`), and any 4xx a JSON `{code, message, field}`;
- what the document says: a documented status code, its content type, its headers, a body that
  validates against its schema (`status_code_conformance`, `content_type_conformance`,
  `response_headers_conformance`, `response_schema_conformance`);
- invalid data refused with a 4xx (`negative_data_rejection`);
- a refused POST writes nothing (no invoice, document, billed order or history row).

Not run: `positive_data_acceptance`: input that the schema allows is still refused with a 400 by
design when it names nothing (an operator id of nobody, a period without orders, "31/02/2026"
matches the date pattern); the stateful and auth-replaying checks, covered by
test_rest_invoices.py and test_tenant_sweep.py.

Valid cases are half the time given a value that names something real (one of the operators,
a date of 2026, the document's id, an existing filter value) so that they reach billing, rendering
and downloads rather than stopping at a NOT_FOUND. FUZZ_EXAMPLES sets the cases per test
(tests/helpers/fuzz.py; bench/fuzz.py runs thousands)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from core.models import Membership
from core.services.api_keys import api_key_create
from invoice.constants import DocumentFormat, DocumentStatus
from invoice.models import Invoice, InvoiceDocument
from payment_module.models import Order
from tests.api.conftest import bearer, body, in_test_transaction, make_billing
from tests.helpers.fuzz import FUZZ_SETTINGS, Tally

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rest_storage")]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
OPERATIONS = [("/v2/invoices", "GET"), ("/v2/invoices", "POST"), ("/v2/invoices/{id}", "GET"),
              ("/v2/invoices/{id}/download", "GET")]
DATE = "%d/%m/%Y"
# A year of orders, every ~9 days, so that many generated periods have unbilled orders to bill.
ORDER_DAYS = tuple(f"2026-{month:02d}-{day:02d}" for month in range(1, 13) for day in (3, 12, 21))


@pytest.fixture
def rest_fuzz(org_a, user_a, org_b, user_b, api):
    billing = make_billing(org_a, user_a, orders=ORDER_DAYS)
    inactive = make_billing(org_a, user_a, code="pf-closed", orders=("2026-01-10",), reference_prefix="closed")
    inactive.operator.is_active = False
    inactive.operator.save()
    foreign = make_billing(org_b, user_b, code="pf-martin")
    _, secret = api_key_create(actor=user_a, organization=org_a, name="fuzz", role=Membership.Role.ADMIN)
    with in_test_transaction():
        status, row = api.post(bearer(user_a), body(billing.operator, "01/01/2026", "10/01/2026"))
    assert status == 202 and InvoiceDocument.objects.get(pk=row["id"]).status == DocumentStatus.CREATED
    with in_test_transaction():
        schema = schemathesis.openapi.from_wsgi("/v2/schema?format=json", application)
    # Authentication is ours (below), not generated: a random X-Api-Key would only ever be a 401.
    schema.config.generation.update(with_security_parameters=False)
    return {
        "schema": schema, "user": user_a, "api_key": secret, "document": row["id"],
        "operators": [str(billing.operator.pk), str(inactive.operator.pk), str(foreign.operator.pk)],
    }


def credentials(fuzz, use_api_key: bool) -> dict:
    if use_api_key:
        return {"X-Api-Key": fuzz["api_key"]}
    return {"Authorization": bearer(fuzz["user"])["HTTP_AUTHORIZATION"]}  # a fresh token: they last 5 minutes


def period():
    """(start, end) as dd/mm/YYYY: mostly a month, a week or a day of 2026 (where the orders are),
    sometimes reversed, or anywhere from 12/2025 to 01/2027."""
    start = st.one_of(st.sampled_from([date(2026, month, day) for month in range(1, 13) for day in (1, 10, 20)]),
                      st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 1, 31)))
    length = st.one_of(st.sampled_from([30, 9, 0, -3]), st.integers(-10, 60))
    return st.tuples(start, length).map(
        lambda pair: (pair[0].strftime(DATE), (pair[0] + timedelta(days=pair[1])).strftime(DATE)))


def make_real(case, fuzz, draw) -> None:
    """Give a valid case values that name something real, so that it gets past NOT_FOUND and
    INVALID_DATE into billing, rendering and downloads: all of them, each with probability ½, or
    none (a third of the cases each). Real is the simplest choice, the one Hypothesis favours."""
    mix = draw(st.sampled_from(["real", "mixed", "generated"]))

    def pick(name: str) -> bool:
        return mix == "real" or (mix == "mixed" and not draw(st.booleans()))

    if isinstance(case.body, dict):
        start, end = draw(period())
        real = {"operator_id": st.sampled_from(fuzz["operators"]), "start_date": st.just(start),
                "end_date": st.just(end), "format": st.sampled_from(DocumentFormat.values)}
        for name, values in real.items():
            if pick(name):
                case.body[name] = draw(values)
    if case.path_parameters and "id" in case.path_parameters and pick("id"):
        case.path_parameters["id"] = fuzz["document"]
    if case.query is not None and case.operation.method.upper() == "GET" and case.operation.path == "/v2/invoices":
        real = {"filters[status]": st.sampled_from(DocumentStatus.values), "filters[operator_id]":
                st.sampled_from(fuzz["operators"]), "filters[between_date]": period().map(",".join),
                "page": st.integers(1, 3), "page_size": st.integers(1, 200)}
        for name, values in real.items():
            if name in case.query and pick(name):
                case.query[name] = draw(values)


def footprint() -> tuple[int, ...]:
    """What a refused POST must leave unchanged."""
    return (Invoice.objects.count(), InvoiceDocument.objects.count(), Invoice.history.count(),
            Order.objects.filter(invoice_line__isnull=False).count())


def error_code(response) -> str | None:
    if response.status_code < 400:
        return None
    try:
        return response.json().get("code")
    except (ValueError, AttributeError):
        return None


def check_answer(case, response) -> None:
    case.validate_response(response, checks=CHECKS)
    if 400 <= response.status_code < 500:
        error = response.json()
        assert isinstance(error, dict) and {"code", "message", "field"} <= set(error), error
        assert error["code"] != "INTERNAL_ERROR" and error["message"], error


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_generated_requests_never_fail_with_5xx_and_match_the_schema(rest_fuzz, request, path, method, mode):
    operation = rest_fuzz["schema"][path][method]

    with Tally("rest", request.node.name) as tally:
        @FUZZ_SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode), use_api_key=st.booleans(), data=st.data())
        def run(case, use_api_key, data):
            if mode is GenerationMode.POSITIVE:
                make_real(case, rest_fuzz, data.draw)
            before = footprint() if method == "POST" else None
            with in_test_transaction():
                response = case.call(headers=credentials(rest_fuzz, use_api_key))
            tally.record(response.status_code, [error_code(response)])
            with tally.checking(f"{method} {path}", lambda: case.as_curl_command()):
                check_answer(case, response)
                if before is not None and response.status_code >= 400:
                    assert footprint() == before, f"a refused POST wrote something: {response.text[:300]}"

        run()
