"""JSON renderer: versioned document, exact decimal strings, valid against the published schema."""
from __future__ import annotations

import dataclasses
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from invoice.renderers import json as json_renderer
from invoice.renderers import render
from tests.invoice.renderers.snapshots import make_snapshot

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "docs" / "invoice-document.schema.json"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _load(snapshot) -> dict:
    return json.loads(json_renderer.render(snapshot).decode("utf-8"), parse_float=lambda s: pytest.fail(f"float {s}"))


def _assert_valid(validator, document):
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_schema_declares_draft_2020_12():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == json_renderer.SCHEMA_ID


@pytest.mark.parametrize("name", ["snapshot", "credit_note", "long_snapshot"])
def test_output_validates_against_the_schema(validator, request, name):
    _assert_valid(validator, _load(request.getfixturevalue(name)))


def test_minimal_output_validates(validator):
    minimal = make_snapshot(date_due=None, period_start=None, period_end=None, note="", terms="", lines=(),
                            taxes=(), amount_net=D("0.00"), amount_discount=D("0.00"), tax_total=D("0.00"),
                            amount_total=D("0.00"), amount_payed=D("0.00"), amount_due=D("0.00"), number="")
    document = _load(minimal)
    _assert_valid(validator, document)
    assert document["due_date"] is None and document["period"] is None and document["lines"] == []


def test_invalid_documents_are_refused_by_the_schema(validator):
    document = _load(make_snapshot())
    document["totals"]["net"] = 349.99
    assert not validator.is_valid(document)
    document = _load(make_snapshot())
    document["issue_date"] = "31/03/2026"
    assert not validator.is_valid(document)
    document = _load(make_snapshot())
    document["unexpected"] = 1
    assert not validator.is_valid(document)


def test_header_dates_and_parties(snapshot):
    document = _load(snapshot)
    assert document["schema_version"] == "1.1"
    assert document["document_type"] == "INVOICE"
    assert document["number"] == "CAR-2026-000042"
    assert document["issue_date"] == "2026-03-31" and document["due_date"] == "2026-04-30"
    assert document["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    assert document["related_invoice"] is None
    assert document["buyer"]["name"] == "Pompes funèbres Léa Çelik"
    assert document["seller"]["siren"] == "552100554" and document["seller"]["vat_number"] == "FR40552100554"
    assert document["payment"] == {"reference": "CAR-2026-000042", "days": 30, "iban": "FR7630006000011234567890189",
                                   "bic": "AGRIFRPPXXX"}


def test_seller_legal_settings_since_1_1(snapshot, validator):
    # given the seller's share capital and trade register, an organisation opting for VAT on debits
    document = _load(make_snapshot(vat_on_debits=True, operation_category="mixed"))

    # then
    assert (document["seller"]["share_capital"], document["seller"]["trade_register"]) == (
        "10000.00", "RCS Paris 552 100 554")
    assert (document["buyer"]["share_capital"], document["buyer"]["trade_register"]) == (None, "")
    assert (document["operation_category"], document["vat_on_debits"]) == ("mixed", True)
    _assert_valid(validator, document)


def test_amounts_are_exact_strings(snapshot):
    document = _load(snapshot)
    assert document["totals"] == {"net": "349.99", "discount": "32.50", "tax": "58.60", "total": "408.59",
                                  "paid": "100.00", "due": "308.59"}
    first = document["lines"][0]
    assert (first["quantity"], first["unit_price"], first["discount"], first["deduction"]) == ("2", "150.00", "0.10", "0")
    assert (first["amount_net"], first["amount_total"]) == ("270.00", "324.00")
    assert first["tax"] == {"code": "FR_VAT_20", "label": "TVA 20 %", "rate": "0.20", "category": "S"}
    assert [(t["rate"], t["base"], t["amount"]) for t in document["taxes"]] == [
        ("0.20", "270.00", "54.00"), ("0.10", "35.00", "3.50"), ("0.055", "19.99", "1.10"), ("0", "25.00", "0.00")]
    exempt = document["taxes"][3]
    assert exempt["category"] == "E" and exempt["exemption_reason_code"] == "VATEX-EU-79-C"


def test_no_exponent_and_no_negative_zero():
    tiny = make_snapshot(amount_payed=D("-0.00"), amount_discount=D("1E+1"))
    document = _load(tiny)
    assert document["totals"]["paid"] == "0.00"
    assert document["totals"]["discount"] == "10"


def test_credit_note_keeps_signs_and_references_the_invoice(credit_note):
    document = _load(credit_note)
    assert document["document_type"] == "CREDIT_NOTE"
    assert document["related_invoice"] == {"number": "CAR-2026-000042", "issue_date": "2026-03-31"}
    assert document["totals"]["total"] == "-408.59"
    assert document["lines"][0]["quantity"] == "-2"


def test_output_is_utf8_without_escapes(snapshot):
    content = json_renderer.render(snapshot)
    assert "Pompes funèbres Léa Çelik".encode() in content


def test_dispatch_through_the_package(snapshot):
    rendered = render("json", snapshot)
    assert rendered.content_type == "application/json" and rendered.extension == "json"
    assert rendered.content == json_renderer.render(snapshot)


def test_snapshot_is_not_modified(snapshot):
    before = dataclasses.asdict(snapshot)
    json_renderer.render(snapshot)
    assert dataclasses.asdict(snapshot) == before
