"""Parsing bank statement files: camt.053 validated against the official XSD first, CSV with its
column mapping; bad files are DomainErrors with a code and a field."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import DomainError
from payment_module.services.bank_statements.parsing import (
    CsvMapping,
    infer_format,
    parse_statement,
)
from tests.payment_module.bank_helpers import DATA, camt053_document


def errors_of(call) -> tuple[str, str | None]:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code.name, caught.value.field


def test_camt053_sample_gives_one_line_per_transaction():
    # when
    parsed = parse_statement((DATA / "camt053_sample.xml").read_bytes(), "camt053")
    # then
    assert (parsed.message_id, parsed.statement_id, parsed.account_iban, parsed.currency_code) == (
        "CAMT053-20261130-000412", "STMT-2026-11-FR763000600001", "FR7630006000011234567890189", "EUR")
    assert [line.entry_reference for line in parsed.lines] == [
        "2026112400001", "2026112400002", "2026112500003", "2026112500004", "2026112600005", "2026112600006",
        "2026112700007", "2026112800008-1", "2026112800008-2"]
    assert [line.credit_debit for line in parsed.lines].count("DBIT") == 1
    first, batch = parsed.lines[0], parsed.lines[7]
    assert (first.amount, first.currency_code, first.booking_date, first.debtor_name, first.debtor_iban,
            first.creditor_reference, first.end_to_end_id) == (
        Decimal("102.00"), "EUR", date(2026, 11, 24), "POMPES FUNEBRES LEA CELIK", "FR7630004000031234567890143",
        "RF18 5390 0754 7034", "PFLC-2026-1187")
    assert (batch.amount, batch.remittance_info) == (Decimal("102.00"), "ORGA-2026-000007")
    assert parsed.lines[2].debtor_name == "Maison Funéraire Hervé & Fils"


def test_camt053_001_08_namespace_is_read_too():
    document = camt053_document([{"ref": "E1", "amount": "10.00", "text": "X"}]).replace(
        b"camt.053.001.02", b"camt.053.001.08")
    # .08 nests the party name one level deeper (Dbtr/Pty/Nm): rewrite the generator's .02 shape
    document = document.replace(b"<Dbtr><Nm>PF BENCH</Nm></Dbtr>", b"<Dbtr><Pty><Nm>PF BENCH</Nm></Pty></Dbtr>")
    document = document.replace(b"<Sts>BOOK</Sts>", b"<Sts><Cd>BOOK</Cd></Sts>")
    parsed = parse_statement(document, "camt053")
    assert [(line.entry_reference, line.amount, line.debtor_name) for line in parsed.lines] == [
        ("E1", Decimal("10.00"), "PF BENCH")]


@pytest.mark.parametrize(("content", "code"), [
    (b"<Document><unclosed>", "MALFORMED_XML"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', "UNSUPPORTED_MESSAGE"),
    # well-formed, right namespace, but Ntry lacks its mandatory CdtDbtInd
    (camt053_document([{"ref": "E1", "amount": "10.00"}]).replace(b"<CdtDbtInd>CRDT</CdtDbtInd><Sts>", b"<Sts>"),
     "SCHEMA_INVALID"),
    (camt053_document([{"ref": "E1", "amount": "ten"}]), "SCHEMA_INVALID"),
    (b"   ", "EMPTY_FILE"),
    (camt053_document([]), "NO_LINES"),
])
def test_bad_camt053_is_refused_with_a_code(content, code):
    assert errors_of(lambda: parse_statement(content, "camt053")) == (code, "file")


def test_schema_error_names_the_line_and_the_element():
    content = camt053_document([{"ref": "E1", "amount": "ten"}])
    with pytest.raises(DomainError) as caught:
        parse_statement(content, "camt053")
    assert "camt.053.001.02 schema" in caught.value.message and "Amt" in caught.value.message


def test_xml_entities_are_not_expanded():
    content = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>')
    assert errors_of(lambda: parse_statement(content, "camt053")) == ("MALFORMED_XML", "file")


def test_csv_sample_with_french_defaults():
    parsed = parse_statement((DATA / "bank_statement_sample.csv").read_bytes(), "csv")
    assert len(parsed.lines) == 9
    first, debit = parsed.lines[0], parsed.lines[6]
    assert (first.entry_reference, first.booking_date, first.amount, first.credit_debit, first.debtor_name,
            first.debtor_iban) == ("CSV-20261124-0001", date(2026, 11, 24), Decimal("102.00"), "CRDT",
                                   "POMPES FUNEBRES LEA CELIK", "FR7630004000031234567890143")
    assert (debit.amount, debit.credit_debit) == (Decimal("12.50"), "DBIT")


def test_csv_mapping_signed_amount_decimal_point_and_iso_dates():
    content = b"when,what,how much,ref\n2026-11-03,Facture X-1,\"1,234.50\",R1\n2026-11-04,Frais,-3.20,R2\n"
    mapping = CsvMapping(columns={"booking_date": "when", "remittance_info": "what", "amount": "how much",
                                  "entry_reference": "ref"}, delimiter=",", decimal_comma=False, date_format="%Y-%m-%d")
    lines = parse_statement(content, "csv", mapping).lines
    assert [(line.entry_reference, line.booking_date, line.amount, line.credit_debit, line.remittance_info)
            for line in lines] == [("R1", date(2026, 11, 3), Decimal("1234.50"), "CRDT", "Facture X-1"),
                                   ("R2", date(2026, 11, 4), Decimal("3.20"), "DBIT", "Frais")]


def test_csv_windows_1252_and_derived_references_are_stable():
    content = "Date;Libellé;Montant\n03/11/2026;Réglement;1 020,00\n03/11/2026;Réglement;1 020,00\n".encode("cp1252")
    first = parse_statement(content, "csv").lines
    again = parse_statement(content, "csv").lines
    assert [line.remittance_info for line in first] == ["Réglement", "Réglement"]
    assert first[0].amount == Decimal("1020.00")
    assert first[0].entry_reference.startswith("sha256:") and first[0].entry_reference != first[1].entry_reference
    assert [line.entry_reference for line in first] == [line.entry_reference for line in again]


@pytest.mark.parametrize(("content", "mapping", "expected"), [
    (b"Libelle;Montant\nx;1,00\n", CsvMapping(), ("CSV_COLUMN_MISSING", "csvMapping.booking_date")),
    (b"Date;Libelle\n01/11/2026;x\n", CsvMapping(), ("CSV_COLUMN_MISSING", "csvMapping.amount")),
    (b"Date;Montant\n01/11/2026;1,00\n", CsvMapping(columns={"amount": "Somme"}), ("CSV_COLUMN_MISSING",
                                                                                 "csvMapping.amount")),
    (b"Date;Montant\n31/02/2026;1,00\n", CsvMapping(), ("CSV_INVALID_VALUE", "file")),
    (b"Date;Montant\n01/11/2026;abc\n", CsvMapping(), ("CSV_INVALID_VALUE", "file")),
    (b"Date;Montant\n", CsvMapping(), ("NO_LINES", "file")),
])
def test_bad_csv_is_refused_with_a_code(content, mapping, expected):
    assert errors_of(lambda: parse_statement(content, "csv", mapping)) == expected


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"columns": {"montant": "Montant"}}, "csvMapping.montant"),
    ({"delimiter": ";;"}, "csvMapping.delimiter"),
    ({"date_format": "dd/mm/yyyy"}, "csvMapping.dateFormat"),
])
def test_bad_csv_mapping(kwargs, field):
    assert errors_of(lambda: CsvMapping(**kwargs)) == ("CSV_MAPPING_INVALID", field)


def test_unknown_format_and_inference():
    assert errors_of(lambda: parse_statement(b"x", "mt940")) == ("UNSUPPORTED_FORMAT", "format")
    assert infer_format(b"\xef\xbb\xbf <?xml ...") == "camt053"
    assert infer_format(b"Date;Montant") == "csv"
    assert infer_format(b"<x/>", "releve.csv") == "csv"


def test_statements_parsed_in_threads_at_once_all_validate(monkeypatch):
    """Two uploads in two server threads: libxml2 fails ("xmlSchemaPValAttrNodeValue") when one XSD
    is parsed in two threads at once; the schema is loaded, and used, under one lock."""
    import threading

    from payment_module.services.bank_statements import parsing

    # given: no schema loaded yet, and 6 threads released together
    monkeypatch.setattr(parsing, "_SCHEMAS", {})
    content = (DATA / "camt053_sample.xml").read_bytes()
    start, results = threading.Barrier(6), []

    def parse():
        start.wait()
        try:
            results.append(len(parse_statement(content, "camt053").lines))
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(exc)

    threads = [threading.Thread(target=parse) for _ in range(6)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # then
    assert results == [results[0]] * 6 and isinstance(results[0], int), results
