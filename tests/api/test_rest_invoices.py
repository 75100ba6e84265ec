"""The RFC's public REST API /v2/invoices end to end (SQLite, eager tasks, local storage):
generation, idempotency, errors, filters, pagination, download, auth (JWT and API keys),
permissions, tenant isolation and the OpenAPI document."""
from __future__ import annotations

import hashlib
import json
import uuid
from types import SimpleNamespace

import pytest
import yaml
from django.test import Client

from core.models import ApiKey, Membership
from core.services.api_keys import api_key_create, api_key_revoke, hash_secret
from invoice.constants import DocumentStatus
from invoice.models import Invoice, InvoiceDocument
from payment_module.models import Order
from tests.api.conftest import JANUARY, api_key, bearer, body, make_billing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rest_storage")]

ROW_FIELDS = {"id", "organization__id", "operator__id", "start_date", "end_date", "status", "format", "url",
              "invoice_id", "invoice_code", "checksum", "size", "attempts", "error_code", "error_message",
              "created_at", "updated_at"}


def billed_once(orders) -> bool:
    lines = [Order.objects.get(pk=order.pk).invoice_line_id for order in orders]
    return all(lines) and len(set(lines)) == len(lines)


# --- POST /v2/invoices --------------------------------------------------------------------------

def test_post_answers_202_pending_then_the_eager_task_creates_the_file(api, jwt_a, billing_a, org_a):
    # when
    status, row = api.post(jwt_a, body(billing_a.operator))

    # then
    assert status == 202, row
    assert set(row) == ROW_FIELDS
    assert row["status"] == "pending" and row["url"] is None and row["checksum"] is None
    assert row["organization__id"] == str(org_a.pk)
    assert row["operator__id"] == str(billing_a.operator.pk)
    assert (row["start_date"], row["end_date"], row["format"]) == (*JANUARY, "json")
    assert billed_once(billing_a.orders)
    status, fresh = api.get(f"/v2/invoices/{row['id']}", jwt_a)
    assert status == 200
    assert fresh["status"] == "created"
    assert fresh["url"] == f"http://testserver/v2/invoices/{row['id']}/download"
    assert fresh["invoice_code"] and fresh["size"] > 0 and len(fresh["checksum"]) == 64


def test_download_streams_bytes_whose_sha256_is_the_row_checksum(api, jwt_a, billing_a):
    # given
    _, row = api.post(jwt_a, body(billing_a.operator))
    _, row = api.get(f"/v2/invoices/{row['id']}", jwt_a)

    # when
    response = api.download(row["id"], {**jwt_a, "HTTP_ACCEPT": "application/json"})

    # then
    content = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert row["invoice_code"] in response["Content-Disposition"]
    assert hashlib.sha256(content).hexdigest() == row["checksum"] == response["X-Checksum-SHA256"]
    assert len(content) == row["size"]
    assert json.loads(content)  # a real JSON invoice


def test_download_on_s3_redirects_to_the_presigned_url(api, jwt_a, billing_a, monkeypatch):
    # given
    _, row = api.post(jwt_a, body(billing_a.operator))
    monkeypatch.setattr("invoice.storage.presigned_url", lambda key, name, expires=None: f"https://s3.test/{key}?sig=1")

    # when
    response = api.download(row["id"], jwt_a)

    # then
    assert response.status_code == 302
    assert response["Location"].startswith("https://s3.test/org/")


def test_replay_with_the_same_idempotency_key_returns_the_same_row_with_200(api, jwt_a, billing_a):
    # given
    headers = {**jwt_a, "HTTP_IDEMPOTENCY_KEY": "erp-run-42"}
    first_status, first = api.post(headers, body(billing_a.operator))

    # when
    status, again = api.post(headers, body(billing_a.operator))

    # then
    assert (first_status, status) == (202, 200)
    assert again["id"] == first["id"]
    assert InvoiceDocument.objects.count() == 1 and Invoice.objects.count() == 1


def test_same_idempotency_key_for_another_request_is_a_conflict(api, jwt_a, billing_a):
    headers = {**jwt_a, "HTTP_IDEMPOTENCY_KEY": "erp-run-43"}
    api.post(headers, body(billing_a.operator))

    status, error = api.post(headers, body(billing_a.operator, fmt="xml"))

    assert (status, error["code"], error["field"]) == (400, "IDEMPOTENCY_CONFLICT", "Idempotency-Key")


def test_second_post_same_operator_period_format_returns_the_same_document_and_bills_once(api, jwt_a, billing_a):
    # given
    _, first = api.post(jwt_a, body(billing_a.operator))

    # when
    status, second = api.post(jwt_a, body(billing_a.operator))

    # then
    assert status == 200
    assert second["id"] == first["id"]
    assert Invoice.objects.count() == 1
    assert billed_once(billing_a.orders)


def test_same_period_in_another_format_is_a_new_document_of_the_same_invoice(api, jwt_a, billing_a):
    _, as_json = api.post(jwt_a, body(billing_a.operator))

    status, as_xml = api.post(jwt_a, body(billing_a.operator, fmt="xml"))

    assert status == 202
    assert as_xml["id"] != as_json["id"] and as_xml["invoice_id"] == as_json["invoice_id"]
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(("change", "status", "code", "field"), [
    ({"start_date": "31/02/2026"}, 400, "INVALID_DATE", "start_date"),
    ({"start_date": "2026-01-01"}, 400, "INVALID_DATE", "start_date"),
    ({"end_date": "1/1/2026"}, 400, "INVALID_DATE", "end_date"),
    ({"end_date": 20260131}, 400, "INVALID_DATE", "end_date"),
    ({"start_date": "31/01/2026", "end_date": "01/01/2026"}, 400, "INVALID_PERIOD", "end_date"),
    ({"format": "docx"}, 400, "INVALID_FORMAT", "format"),
    ({"operator_id": str(uuid.uuid4())}, 400, "NOT_FOUND", "operator_id"),
    ({"operator_id": "not-a-uuid"}, 400, "NOT_FOUND", "operator_id"),
    ({"operator_id": ""}, 400, "REQUIRED", "operator_id"),
    ({"operator_id": None}, 400, "REQUIRED", "operator_id"),
    ({"operator_id": {"id": 1}}, 400, "INVALID", "operator_id"),
    ({"start_date": "01/03/2026", "end_date": "31/03/2026"}, 400, "NO_ORDERS", "start_date"),
])
def test_bad_input_answers_status_code_and_field(api, jwt_a, billing_a, change, status, code, field):
    answered, error = api.post(jwt_a, {**body(billing_a.operator), **change})

    assert (answered, error["code"], error["field"]) == (status, code, field), error
    assert set(error) >= {"code", "message", "field"} and error["message"]
    assert not InvoiceDocument.objects.exists() and not Invoice.objects.exists()


@pytest.mark.parametrize("missing", ["operator_id", "start_date", "end_date", "format"])
def test_missing_field_is_required(api, jwt_a, billing_a, missing):
    data = body(billing_a.operator)
    del data[missing]

    status, error = api.post(jwt_a, data)

    assert (status, error["code"], error["field"]) == (400, "REQUIRED", missing)


def test_every_missing_field_is_listed(api, jwt_a, billing_a):
    status, error = api.post(jwt_a, {})

    assert (status, error["code"], error["field"]) == (400, "REQUIRED", "operator_id")
    assert [item["field"] for item in error["errors"]] == ["operator_id", "start_date", "end_date", "format"]


@pytest.mark.parametrize("raw", ['{"operator_id": ', "[1, 2]", "null", '"text"'])
def test_bad_json_is_400(api, jwt_a, billing_a, raw):
    status, error = api.post(jwt_a, raw=raw)

    assert status == 400
    assert error["code"] in {"PARSE_ERROR", "INVALID", "REQUIRED"}
    assert set(error) >= {"code", "message", "field"}


def test_too_long_idempotency_key_is_invalid(api, jwt_a, billing_a):
    status, error = api.post({**jwt_a, "HTTP_IDEMPOTENCY_KEY": "k" * 256}, body(billing_a.operator))

    assert (status, error["code"], error["field"]) == (400, "INVALID", "Idempotency-Key")
    assert not Invoice.objects.exists()


def test_a_body_that_is_not_json_is_415(api, jwt_a, billing_a):
    response = api.client.post("/v2/invoices", data="operator_id=1", content_type="text/plain", **jwt_a)

    assert (response.status_code, response.json()["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize(("method", "path"), [("put", "/v2/invoices"), ("delete", "/v2/invoices"),
                                              ("post", "/v2/invoices/{id}"), ("delete", "/v2/invoices/{id}"),
                                              ("post", "/v2/invoices/{id}/download")])
def test_methods_a_route_does_not_serve_are_405(api, jwt_a, method, path):
    response = getattr(api.client, method)(path.format(id=uuid.uuid4()), **jwt_a)

    assert (response.status_code, response.json()["code"]) == (405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("path", ["/v2/invoices/", "/v2/nothing", "/v2/invoices/x/download/"])
def test_unknown_v2_paths_are_a_json_404(api, jwt_a, path):
    response = api.client.get(path, **jwt_a)

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_another_organisations_operator_is_not_found_and_bills_nothing(api, jwt_a, billing_a, billing_b):
    status, error = api.post(jwt_a, body(billing_b.operator))

    assert (status, error["code"], error["field"]) == (400, "NOT_FOUND", "operator_id")
    assert not any(Order.objects.get(pk=o.pk).invoice_line_id for o in billing_b.orders)


def test_inactive_operator_is_refused(api, jwt_a, billing_a):
    billing_a.operator.is_active = False
    billing_a.operator.save()

    status, error = api.post(jwt_a, body(billing_a.operator))

    assert (status, error["code"], error["field"]) == (400, "OPERATOR_INACTIVE", "operator_id")


def test_failed_document_download_is_409_with_its_reason(api, jwt_a, billing_a):
    _, row = api.post(jwt_a, body(billing_a.operator))
    InvoiceDocument.objects.filter(pk=row["id"]).update(status=DocumentStatus.FAILED, error_code="RENDER_ERROR",
                                                        error_message="template exploded")

    response = api.download(row["id"], jwt_a)

    assert response.status_code == 409
    assert response.json()["code"] == "DOCUMENT_FAILED"
    assert "RENDER_ERROR" in response.json()["message"] and "template exploded" in response.json()["message"]


def test_pending_document_download_is_409(api, jwt_a, billing_a):
    _, row = api.post(jwt_a, body(billing_a.operator))
    InvoiceDocument.objects.filter(pk=row["id"]).update(status=DocumentStatus.PENDING)

    response = api.download(row["id"], jwt_a)

    assert (response.status_code, response.json()["code"]) == (409, "DOCUMENT_PENDING")


# --- GET /v2/invoices: filters and pagination ---------------------------------------------------

@pytest.fixture
def three_documents(api, jwt_a, billing_a, org_a, user_a):
    """January (created), February (pending) for operator 1; January of operator 2 (failed)."""
    second = make_billing(org_a, user_a, code="pf-second", orders=("2026-01-20",), reference_prefix="second")
    Order.objects.create(organization=org_a, operator=billing_a.operator, kind=billing_a.orders[0].kind,
                         reference="feb-1", ordered_at=billing_a.orders[0].ordered_at.replace(month=2),
                         user_created=user_a)
    _, january = api.post(jwt_a, body(billing_a.operator))
    _, february = api.post(jwt_a, body(billing_a.operator, "01/02/2026", "28/02/2026"))
    _, other = api.post(jwt_a, body(second.operator))
    InvoiceDocument.objects.filter(pk=february["id"]).update(status=DocumentStatus.PENDING)
    InvoiceDocument.objects.filter(pk=other["id"]).update(status=DocumentStatus.FAILED)
    return SimpleNamespace(january=january["id"], february=february["id"], other=other["id"],
                           operator=billing_a.operator, second=second.operator)


def ids(page) -> set[str]:
    return {row["id"] for row in page["results"]}


def test_list_without_filters_is_paginated_newest_first(api, jwt_a, three_documents):
    status, page = api.get("/v2/invoices", jwt_a)

    assert status == 200
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 3
    assert [row["id"] for row in page["results"]] == [three_documents.other, three_documents.february,
                                                      three_documents.january]


@pytest.mark.parametrize(("params", "expected"), [
    ({"filters[status]": "created"}, {"january"}),
    ({"filters[status]": "pending,failed"}, {"february", "other"}),
    ({"filters[status]": "FAILED"}, {"other"}),
    ({"filters[between_date]": "15/01/2026,20/01/2026"}, {"january", "other"}),
    ({"filters[between_date]": "31/01/2026,01/02/2026"}, {"january", "february", "other"}),
    ({"filters[between_date]": "01/02/2026,01/02/2026"}, {"february"}),
    ({"filters[between_date]": "01/03/2026,31/12/2026"}, set()),
    ({"filters[between_date]": "01/01/2025,31/12/2025"}, set()),
])
def test_list_filters(api, jwt_a, three_documents, params, expected):
    status, page = api.get("/v2/invoices", jwt_a, **params)

    assert status == 200, page
    assert ids(page) == {getattr(three_documents, name) for name in expected}


def test_list_filter_by_operator(api, jwt_a, three_documents):
    _, page = api.get("/v2/invoices", jwt_a, **{"filters[operator_id]": str(three_documents.second.pk)})
    assert ids(page) == {three_documents.other}

    _, page = api.get("/v2/invoices", jwt_a, **{"filters[operator_id]": str(three_documents.operator.pk),
                                                "filters[status]": "created"})
    assert ids(page) == {three_documents.january}


def test_pagination(api, jwt_a, three_documents):
    _, first = api.get("/v2/invoices", jwt_a, page_size=2)
    _, second = api.get("/v2/invoices", jwt_a, page_size=2, page=2)

    assert first["count"] == second["count"] == 3
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert first["previous"] is None and "page=2" in first["next"]
    assert second["next"] is None and second["previous"]
    assert ids(first) | ids(second) == {three_documents.january, three_documents.february, three_documents.other}


@pytest.mark.parametrize(("params", "code", "field"), [
    ({"filters[state]": "created"}, "INVALID", "filters[state]"),
    ({"filters[status]": "done"}, "INVALID", "filters[status]"),
    ({"filters[status]": ""}, "INVALID", "filters[status]"),
    ({"filters[operator_id]": "nope"}, "INVALID", "filters[operator_id]"),
    ({"filters[between_date]": "01/01/2026"}, "INVALID_DATE", "filters[between_date]"),
    ({"filters[between_date]": "2026-01-01,2026-01-31"}, "INVALID_DATE", "filters[between_date]"),
    ({"filters[between_date]": "31/02/2026,01/03/2026"}, "INVALID_DATE", "filters[between_date]"),
    ({"filters[between_date]": "31/01/2026,01/01/2026"}, "INVALID_PERIOD", "filters[between_date]"),
    ({"page": "zero"}, "INVALID", "page"),
    ({"page": "0"}, "OUT_OF_RANGE", "page"),
    ({"page": "9"}, "OUT_OF_RANGE", "page"),
    ({"page_size": "1000"}, "OUT_OF_RANGE", "page_size"),
])
def test_bad_list_parameters_are_400_naming_the_parameter(api, jwt_a, three_documents, params, code, field):
    status, error = api.get("/v2/invoices", jwt_a, **params)

    assert (status, error["code"], error["field"]) == (400, code, field), error


# --- Authentication, permissions, tenancy -------------------------------------------------------

def test_anonymous_is_401(api, billing_a):
    for status, error in (api.get("/v2/invoices", {}), api.post({}, body(billing_a.operator)),
                          api.get(f"/v2/invoices/{uuid.uuid4()}", {})):
        assert (status, error["code"]) == (401, "UNAUTHENTICATED")


def test_bad_jwt_is_401(api):
    status, error = api.get("/v2/invoices", {"HTTP_AUTHORIZATION": "Bearer not.a.jwt"})

    assert (status, error["code"]) == (401, "TOKEN_INVALID")


def test_viewer_can_list_but_cannot_post(api, org_a, member_of, billing_a):
    viewer = bearer(member_of(org_a, Membership.Role.VIEWER, "viewer-a@molink.test"))

    assert api.get("/v2/invoices", viewer)[0] == 200
    status, error = api.post(viewer, body(billing_a.operator))

    assert (status, error["code"]) == (403, "PERMISSION_DENIED")
    assert not Invoice.objects.exists()


def test_api_key_generates_lists_and_downloads(api, org_a, user_a, billing_a):
    key, secret = api_key_create(actor=user_a, organization=org_a, name="erp", role=Membership.Role.ACCOUNTANT)
    assert secret.startswith(f"mlk_{key.prefix}_")
    assert ApiKey.objects.get(pk=key.pk).key_hash == hash_secret(secret) != secret

    status, row = api.post(api_key(secret), body(billing_a.operator))
    assert status == 202
    assert api.get("/v2/invoices", {"HTTP_AUTHORIZATION": f"Api-Key {secret}"})[1]["count"] == 1
    assert api.download(row["id"], api_key(secret)).status_code == 200
    document = InvoiceDocument.objects.get(pk=row["id"])
    assert document.requested_by == user_a  # a key acts as its creator
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None


def test_viewer_api_key_cannot_post(api, org_a, user_a, billing_a):
    _, secret = api_key_create(actor=user_a, organization=org_a, name="bi", role=Membership.Role.VIEWER)

    assert api.get("/v2/invoices", api_key(secret))[0] == 200
    status, error = api.post(api_key(secret), body(billing_a.operator))
    assert (status, error["code"]) == (403, "PERMISSION_DENIED")


@pytest.mark.parametrize("secret", ["mlk_deadbeef_nothing", "", "x" * 500])
def test_unknown_api_key_is_401(api, secret):
    status, error = api.get("/v2/invoices", api_key(secret))

    assert (status, error["code"]) == (401, "API_KEY_INVALID")


def test_revoked_api_key_is_401(api, org_a, user_a):
    key, secret = api_key_create(actor=user_a, organization=org_a, name="old", role=Membership.Role.ADMIN)
    assert api.get("/v2/invoices", api_key(secret))[0] == 200

    api_key_revoke(actor=user_a, api_key=key)

    status, error = api.get("/v2/invoices", api_key(secret))
    assert (status, error["code"]) == (401, "API_KEY_INVALID")


def test_api_key_of_a_deactivated_creator_is_401(api, org_a, user_a):
    _, secret = api_key_create(actor=user_a, organization=org_a, name="erp", role=Membership.Role.ADMIN)
    user_a.is_active = False
    user_a.save()

    assert api.get("/v2/invoices", api_key(secret))[1]["code"] == "API_KEY_INVALID"


@pytest.mark.parametrize("who", ["jwt", "api_key"])
def test_org_b_sees_nothing_of_org_a(api, jwt_a, billing_a, jwt_b, key_b, billing_b, who):
    # given
    _, row = api.post(jwt_a, body(billing_a.operator))
    _, own = api.post(jwt_b, body(billing_b.operator))
    headers = jwt_b if who == "jwt" else api_key(key_b[1])

    # then
    status, page = api.get("/v2/invoices", headers)
    assert status == 200 and ids(page) == {own["id"]}
    _, page = api.get("/v2/invoices", headers, **{"filters[operator_id]": str(billing_a.operator.pk)})
    assert page["count"] == 0
    for path in (f"/v2/invoices/{row['id']}", f"/v2/invoices/{row['id']}/download"):
        response = api.client.get(path, **headers)
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND"), path
        assert str(billing_a.operator.pk) not in response.content.decode()
    status, error = api.post(headers, body(billing_a.operator))
    assert (status, error["code"], error["field"]) == (400, "NOT_FOUND", "operator_id")


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "5bc1cf9e-3fd5-4117-a3d8-0f480fd04916", "0" * 40])
def test_unknown_or_malformed_id_is_404(api, jwt_a, bad_id):
    for path in (f"/v2/invoices/{bad_id}", f"/v2/invoices/{bad_id}/download"):
        status, error = api.get(path, jwt_a)
        assert (status, error["code"], error["field"]) == (404, "NOT_FOUND", "id")


def test_member_of_two_organisations_names_one_with_x_organization(api, org_a, org_b, user_a, billing_a):
    Membership.objects.create(user=user_a, organization=org_b, role=Membership.Role.ADMIN)

    status, error = api.get("/v2/invoices", bearer(user_a))
    assert (status, error["code"]) == (400, "ORGANIZATION_REQUIRED")
    status, _ = api.post({**bearer(user_a), "HTTP_X_ORGANIZATION": "org-a"}, body(billing_a.operator))
    assert status == 202


# --- OpenAPI ------------------------------------------------------------------------------------

def test_schema_parses_and_lists_the_operations():
    response = Client().get("/v2/schema")

    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert operations == {("/v2/invoices", "get"), ("/v2/invoices", "post"), ("/v2/invoices/{id}", "get"),
                          ("/v2/invoices/{id}/download", "get"), ("/v2/bank-statements", "get"),
                          ("/v2/bank-statements", "post"), ("/v2/bank-statements/{id}", "get"),
                          ("/v2/invoices/{id}/send", "post"), ("/v2/deliveries/{id}", "get"),
                          ("/v2/deliveries/{id}/replay", "post"), ("/v2/webhooks", "get"), ("/v2/webhooks", "post"),
                          ("/v2/webhooks/{id}", "get"), ("/v2/webhooks/{id}", "patch"),
                          ("/v2/webhooks/{id}/deliveries", "get"),
                          # the operator users' portal (tests/api/test_operator_portal.py)
                          ("/v2/me/invoices", "get"), ("/v2/me/invoices/{id}/download", "get"),
                          ("/v2/me/invitations/accept", "post")}
    listing = document["paths"]["/v2/invoices"]["get"]
    assert {"filters[status]", "filters[operator_id]", "filters[between_date]"} <= {p["name"] for p in listing["parameters"]}
    assert {"400", "401", "403"} <= set(listing["responses"])
    assert {"404", "409"} <= set(document["paths"]["/v2/invoices/{id}/download"]["get"]["responses"])
    assert {"jwt", "apiKey"} <= set(document["components"]["securitySchemes"])


def test_docs_page_is_served():
    response = Client().get("/v2/docs")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_schema_documents_what_a_download_and_a_pending_row_really_answer(api, jwt_a, billing_a):
    """Found by fuzzing (schemathesis, tests/api/test_fuzz_rest.py): the download's 200 was documented
    as application/octet-stream only, and a row's `url` as a non-null string, while a JSON document
    downloads as application/json and a pending row's url is null."""
    # given
    document = yaml.safe_load(Client().get("/v2/schema").content)
    status, row = api.post(jwt_a, body(billing_a.operator))

    # when
    response = api.download(row["id"], jwt_a)

    # then
    documented = document["paths"]["/v2/invoices/{id}/download"]["get"]["responses"]["200"]["content"]
    assert set(documented) == {"application/json", "application/pdf", "application/xml"}
    assert response.status_code == 200 and response["Content-Type"].split(";")[0] in documented
    assert (status, row["url"]) == (202, None)
    assert document["components"]["schemas"]["InvoiceDocument"]["properties"]["url"]["nullable"] is True
