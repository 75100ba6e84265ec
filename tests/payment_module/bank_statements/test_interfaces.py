"""The interfaces of the bank statement import: GraphQL importBankStatement and bankStatements,
REST /v2/bank-statements, manage.py import_bank_statement. They call the one service: here, what
each decodes and answers."""
from __future__ import annotations

import base64
import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from core.models import MutationLog
from invoice.models import InvoicePayment
from payment_module.models import BankStatement
from tests.api.conftest import bearer
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, data, post
from tests.payment_module.bank_helpers import DATA, sample, written

pytestmark = pytest.mark.django_db

IMPORT = """
mutation($input: ImportBankStatementMutationInput!) {
  importBankStatement(input: $input) { clientMutationId internalId errors { field code message }
    created lines matched unmatched ambiguous duplicate ignored
    bankStatement { id statementId accountIban lineCount matchedCount }
    unmatchedLines { position entryReference amount matchStatus reasonCode reason } }
}"""


def _input(content: bytes, **extra) -> dict:
    return {"input": {"content": base64.b64encode(content).decode(), "clientMutationId": "bank-1", **extra}}


def test_graphql_import_then_reimport(user_a, org_a, sample_invoices):
    # when
    payload = assert_mutation_ok(post(IMPORT, _input(sample("camt053_sample.xml"), format="camt053",
                                                     fileName="releve.xml"), user=user_a), "importBankStatement")
    # then
    assert (payload["created"], payload["lines"], payload["matched"], payload["unmatched"], payload["ambiguous"],
            payload["ignored"]) == (True, 9, 5, 2, 1, 1)
    assert payload["bankStatement"]["statementId"] == "STMT-2026-11-FR763000600001"
    assert [(line["position"], line["matchStatus"], line["reasonCode"]) for line in payload["unmatchedLines"]] == [
        (4, "ambiguous", "ambiguous"), (5, "unmatched", "no_candidate"), (6, "unmatched", "overpayment")]
    assert payload["unmatchedLines"][0]["amount"] == "204.00"
    log = MutationLog.objects.get(client_mutation_id="bank-1")
    assert (log.status, log.json_ext) == (MutationLog.Status.SUCCESS, {"internal_id": str(BankStatement.objects.get().pk)})
    again = assert_mutation_ok(post(IMPORT, _input(sample("camt053_sample.xml")), user=user_a), "importBankStatement")
    assert (again["created"], again["duplicate"], again["matched"]) == (False, 9, 0)


def test_graphql_plain_text_csv_with_mapping(user_a, org_a, sample_invoices):
    content = f"Jour,Motif,Somme\n03/11/2026,Facture {sample_invoices.invoices[4].code},102.00\n"
    payload = assert_mutation_ok(post(IMPORT, {"input": {
        "content": content, "contentEncoding": "text", "format": "csv",
        "csvMapping": {"columns": {"booking_date": "Jour", "remittance_info": "Motif", "amount": "Somme"},
                       "delimiter": ",", "decimalComma": False}}}, user=user_a), "importBankStatement")
    assert (payload["matched"], payload["lines"]) == (1, 1)


@pytest.mark.parametrize(("extra", "expected"), [
    ({"content": "not base64!"}, [("content", "INVALID")]),
    ({"content": base64.b64encode(b"<Document/>").decode(), "format": "camt053"}, [("file", "UNSUPPORTED_MESSAGE")]),
    ({"content": "x", "contentEncoding": "hex"}, [("contentEncoding", "INVALID")]),
    ({"content": "Date;Montant\n01/11/2026;1,00\n", "contentEncoding": "text",
      "csvMapping": {"columns": {"nope": "x"}}}, [("csvMapping.nope", "CSV_MAPPING_INVALID")]),
])
def test_graphql_errors_write_nothing(user_a, org_a, sample_invoices, extra, expected):
    before = written(org_a)
    assert_mutation_errors(post(IMPORT, {"input": extra}, user=user_a), "importBankStatement", expected)
    assert written(org_a) == before


def test_graphql_needs_the_payment_right(viewer_a, sample_invoices):
    result = post(IMPORT, _input(sample("camt053_sample.xml")), user=viewer_a)
    assert_mutation_errors(result, "importBankStatement", [(None, "PERMISSION_DENIED")])


def test_graphql_statement_query_is_tenant_scoped(user_a, org_a, user_b, sample_invoices):
    assert_mutation_ok(post(IMPORT, _input(sample("camt053_sample.xml")), user=user_a), "importBankStatement")
    query = """{ bankStatements(first: 5) { totalCount edges { node { id fileName matchedCount
                 lines(first: 10, matchStatus: "unmatched") { totalCount edges { node { entryReference reason } } } } } }
               bankStatementLines(first: 10, matchStatus_In: ["ambiguous"]) { totalCount edges { node { entryReference
                 matchedInvoice { code } } } } }"""
    own = data(post(query, user=user_a))
    statement = own["bankStatements"]["edges"][0]["node"]
    assert own["bankStatements"]["totalCount"] == 1 and statement["matchedCount"] == 5
    assert statement["lines"]["totalCount"] == 2
    assert [edge["node"]["entryReference"] for edge in own["bankStatementLines"]["edges"]] == ["2026112500004"]
    other = data(post(query, user=user_b))
    assert other["bankStatements"]["totalCount"] == 0 and other["bankStatementLines"]["totalCount"] == 0


def _upload(user_or_headers, content: bytes, name="releve.xml", **fields):
    headers = bearer(user_or_headers) if not isinstance(user_or_headers, dict) else user_or_headers
    return Client().post("/v2/bank-statements", {"file": SimpleUploadedFile(name, content), **fields}, **headers)


def test_rest_upload_201_then_200_and_read_back(user_a, org_a, user_b, sample_invoices):
    # when
    response = _upload(user_a, sample("camt053_sample.xml"))
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True and body["counts"] == {"lines": 9, "matched": 5, "unmatched": 2, "ambiguous": 1,
                                                          "duplicate": 0, "ignored": 1}
    assert [line["entry_reference"] for line in body["unmatched_lines"]] == ["2026112500004", "2026112600005",
                                                                             "2026112600006"]
    assert body["unmatched_lines"][2]["matched_invoice"].endswith("000006")
    again = _upload(user_a, sample("camt053_sample.xml"))
    assert again.status_code == 200 and again.json()["counts"]["duplicate"] == 9
    assert again.json()["statement"]["id"] == body["statement"]["id"]
    read = Client().get(f"/v2/bank-statements/{body['statement']['id']}", **bearer(user_a))
    assert read.status_code == 200 and read.json()["counts"] == body["counts"]
    assert read.json()["unmatched_lines"] == body["unmatched_lines"]
    listed = Client().get("/v2/bank-statements", **bearer(user_a)).json()
    assert [row["id"] for row in listed["results"]] == [body["statement"]["id"]]
    # another organisation: 404, and an empty list
    other = Client().get(f"/v2/bank-statements/{body['statement']['id']}", **bearer(user_b))
    assert other.status_code == 404 and other.json()["code"] == "NOT_FOUND"
    assert Client().get("/v2/bank-statements", **bearer(user_b)).json()["results"] == []


def test_rest_csv_upload_with_options(user_a, org_a, sample_invoices):
    content = f"Jour,Motif,Somme\n03/11/2026,Facture {sample_invoices.invoices[4].code},102.00\n".encode()
    response = _upload(user_a, content, name="export.csv", csv_columns=json.dumps(
        {"booking_date": "Jour", "remittance_info": "Motif", "amount": "Somme"}), csv_delimiter=",",
        csv_decimal_comma="false")
    assert response.status_code == 201, response.content
    assert response.json()["counts"]["matched"] == 1


@pytest.mark.parametrize(("content", "fields", "status", "code", "field"), [
    (b"<Document><x>", {}, 400, "MALFORMED_XML", "file"),
    (b"Date;Montant\n", {"format": "csv"}, 400, "NO_LINES", "file"),
    (b"x", {"format": "mt940"}, 400, "INVALID_CHOICE", "format"),
    (b"Date;Montant\n01/11/2026;1,00\n", {"csv_columns": "{oops"}, 400, "INVALID", "csv_columns"),
])
def test_rest_bad_uploads_are_4xx_json_and_write_nothing(user_a, org_a, content, fields, status, code, field):
    before = written(org_a)
    response = _upload(user_a, content, **fields)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (status, code, field)
    assert written(org_a) == before


def test_rest_upload_refuses_json_cookies_and_missing_rights(user_a, viewer_a, org_a):
    json_body = Client().post("/v2/bank-statements", json.dumps({"file": "x"}), content_type="application/json",
                              **bearer(user_a))
    assert json_body.status_code == 415
    cookie = Client()
    cookie.cookies["JWT"] = bearer(user_a)["HTTP_AUTHORIZATION"].split()[1]
    forged = cookie.post("/v2/bank-statements", {"file": SimpleUploadedFile("a.xml", b"<x/>")})
    assert forged.status_code == 401 and forged.json()["code"] == "UNAUTHENTICATED"
    denied = _upload(viewer_a, b"<x/>")
    assert denied.status_code == 403 and denied.json()["code"] == "PERMISSION_DENIED"
    assert not BankStatement.objects.exists()


def test_command_imports_and_reports(user_a, org_a, sample_invoices, tmp_path):
    path = tmp_path / "releve.xml"
    path.write_bytes(sample("camt053_sample.xml"))
    out = StringIO()
    call_command("import_bank_statement", str(path), "--organization", "org-a", "--user", user_a.username, stdout=out)
    text = out.getvalue()
    assert "lines 9, matched 5, unmatched 2, ambiguous 1, duplicate 0, ignored 1" in text
    assert "line 6 2026112600006 150.00 EUR" in text and "(overpayment)" in text and "imported" in text
    assert InvoicePayment.objects.count() == 5
    out = StringIO()
    call_command("import_bank_statement", str(path), "--organization", "org-a", stdout=out)
    assert "duplicate 9" in out.getvalue() and "already imported" in out.getvalue()
    assert InvoicePayment.objects.count() == 5


def test_command_csv_options_and_errors(org_a, sample_invoices, tmp_path):
    path = tmp_path / "export.txt"
    path.write_text(f"Jour|Somme|Motif\n2026-11-03|102.00|{sample_invoices.invoices[4].code}\n")
    out = StringIO()
    call_command("import_bank_statement", str(path), "--organization", "org-a", "--format", "csv",
                 "--csv-delimiter", "|", "--csv-decimal-point", "--csv-date-format", "%Y-%m-%d",
                 "--csv-column", "booking_date=Jour", "--csv-column", "amount=Somme",
                 "--csv-column", "remittance_info=Motif", stdout=out)
    assert "matched 1" in out.getvalue()
    with pytest.raises(CommandError, match="SCHEMA_INVALID|MALFORMED_XML|UNSUPPORTED_MESSAGE"):
        bad = tmp_path / "bad.xml"
        bad.write_bytes((DATA / "camt053_sample.xml").read_bytes().replace(b"<Sts>BOOK</Sts>", b""))
        call_command("import_bank_statement", str(bad), "--organization", "org-a")
    with pytest.raises(CommandError, match="no organisation"):
        call_command("import_bank_statement", str(path), "--organization", "org-nowhere")
