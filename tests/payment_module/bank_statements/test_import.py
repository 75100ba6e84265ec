"""import_bank_statement (payment_module.services.bank_statements): match rules, ambiguity,
overpayment, debits, idempotent re-import, nothing written on a bad file, tenant isolation, and the
number of SQL queries of a 1,000-line statement."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import DomainError
from invoice.constants import InvoiceStatus, ReconciliationStatus
from invoice.models import InvoicePayment
from payment_module.models import BankStatement, BankStatementLine
from payment_module.services.bank_statements import bank_statement_import
from tests.payment_module.bank_helpers import (
    camt053_document,
    make_invoice,
    sample,
    written,
)

pytestmark = pytest.mark.django_db


def run(user, org, content: bytes, fmt="camt053", **kwargs):
    return bank_statement_import(actor=user, organization=org, content=content, fmt=fmt, file_name="releve.xml", **kwargs)


def outcome(org) -> list[tuple]:
    return list(BankStatementLine.objects.filter(organization=org).order_by("position").values_list(
        "entry_reference", "match_status", "match_rule", "reason_code"))


@pytest.mark.parametrize("name, fmt", [("camt053_sample.xml", "camt053"), ("bank_statement_sample.csv", "csv")])
def test_sample_reconciles_with_counts_and_payments(org_a, user_a, sample_invoices, name, fmt):
    # when
    report = run(user_a, org_a, sample(name), fmt)
    # then
    assert report.created and report.counts == {"lines": 9, "matched": 5, "unmatched": 2, "ambiguous": 1,
                                                "duplicate": 0, "ignored": 1}
    assert [(status, rule, reason) for _ref, status, rule, reason in outcome(org_a)] == [
        ("matched", "payment_reference", ""),   # RF18 5390 0754 7034 = invoice 1's payment reference
        ("matched", "payment_reference", ""),   # invoice 2's number, its default payment reference
        ("matched", "amount", ""),              # Hervé & Fils, 102.00 due on one invoice
        ("ambiguous", "payment_reference", "ambiguous"),  # names invoices 4 and 5
        ("unmatched", "", "no_candidate"),
        ("unmatched", "payment_reference", "overpayment"),  # 150.00 for 102.00 due: kept, not forced
        ("ignored_debit", "", "debit"),
        ("matched", "payment_reference", ""),
        ("matched", "payment_reference", ""),
    ]
    invoices = sample_invoices.invoices
    for invoice in invoices:
        invoice.refresh_from_db()
    assert [invoice.status for invoice in invoices] == [
        InvoiceStatus.PAID, InvoiceStatus.PAID, InvoiceStatus.PAID, InvoiceStatus.VALIDATED, InvoiceStatus.VALIDATED,
        InvoiceStatus.VALIDATED, InvoiceStatus.PAID, InvoiceStatus.PAID]
    payments = InvoicePayment.objects.filter(invoice__organization=org_a).order_by("invoice__code")
    assert [(p.invoice.code[-6:], p.amount_payed, p.reconciliation_status, p.payment_origin) for p in payments] == [
        (f"00000{n}", Decimal("102.00"), ReconciliationStatus.RECONCILIATED, "bank_statement") for n in (1, 2, 3, 7, 8)]
    assert [line.position for line in report.unmatched_lines] == [4, 5, 6]
    statement = BankStatement.objects.get()
    assert (statement.line_count, statement.matched_count, statement.unmatched_count, statement.ambiguous_count,
            statement.ignored_count, statement.created_by) == (9, 5, 2, 1, 1, user_a)
    line = BankStatementLine.objects.get(position=1)
    assert (line.payment.code_ext, line.payment.payer_name, line.payment.date_payment.isoformat()) == (
        line.entry_reference, line.debtor_name, str(line.booking_date))
    assert invoices[0].events.filter(message__contains="payment").exists()


def test_reimport_changes_nothing(org_a, user_a, sample_invoices):
    # given
    first = run(user_a, org_a, sample("camt053_sample.xml"))
    before = written(org_a)
    # when
    again = run(user_a, org_a, sample("camt053_sample.xml"))
    # then
    assert (again.created, again.statement, again.counts) == (False, first.statement, {
        "lines": 9, "matched": 0, "unmatched": 0, "ambiguous": 0, "duplicate": 9, "ignored": 0})
    assert written(org_a) == before


def test_another_file_with_the_same_entries_is_all_duplicates_and_writes_nothing(org_a, user_a, sample_invoices):
    run(user_a, org_a, sample("camt053_sample.xml"))
    before = written(org_a)
    # the same entries re-exported (another message id: another file)
    report = run(user_a, org_a, sample("camt053_sample.xml").replace(b"CAMT053-20261130-000412", b"CAMT053-COPY"))
    assert (report.created, report.statement, report.duplicate, report.matched) == (False, None, 9, 0)
    assert written(org_a) == before


def test_a_file_overlapping_an_earlier_one_imports_only_its_new_lines(org_a, user_a, sample_invoices):
    invoices = sample_invoices.invoices
    first = camt053_document([{"ref": "R-1", "amount": "102.00", "text": invoices[3].code}])
    second = camt053_document([{"ref": "R-1", "amount": "102.00", "text": invoices[3].code},
                               {"ref": "R-2", "amount": "102.00", "text": invoices[4].code}])
    run(user_a, org_a, first)
    report = run(user_a, org_a, second)
    assert (report.created, report.matched, report.duplicate, report.duplicate_references) == (True, 1, 1, ["R-1"])
    assert InvoicePayment.objects.filter(invoice__organization=org_a).count() == 2


def test_same_reference_twice_in_one_file_is_one_line(org_a, user_a, sample_invoices):
    code = sample_invoices.invoices[3].code
    report = run(user_a, org_a, camt053_document([{"ref": "R-1", "amount": "50.00", "text": code},
                                                   {"ref": "R-1", "amount": "50.00", "text": code}]))
    assert (report.matched, report.duplicate) == (1, 1)
    assert BankStatementLine.objects.count() == 1


def test_invoice_number_rule_when_the_payment_reference_differs(org_a, user_a, sample_invoices):
    invoice = make_invoice(user_a, org_a, sample_invoices.celik, payment_reference="REF-CLIENT-778")
    report = run(user_a, org_a, camt053_document([{"ref": "N-1", "amount": "102.00",
                                                    "text": f"paiement facture {invoice.code}"}]))
    assert report.matched == 1 and outcome(org_a)[0][2] == "invoice_number"


def test_amount_rule_needs_one_candidate(org_a, user_a, sample_invoices):
    # given: two open invoices of Hervé & Fils with 102.00 due
    make_invoice(user_a, org_a, sample_invoices.herve)
    # when
    report = run(user_a, org_a, camt053_document([{"ref": "A-1", "amount": "102.00", "debtor": "MAISON FUNERAIRE "
                                                   "HERVE ET FILS", "text": "virement"}]))
    # then: "&" and "ET" differ: no operator of that name
    assert report.unmatched == 1
    report = run(user_a, org_a, camt053_document([{"ref": "A-2", "amount": "102.00", "debtor": "MAISON FUNERAIRE "
                                                   "HERVE &amp; FILS", "text": "virement"}]))
    assert report.ambiguous == 1
    assert "several invoices fit (amount)" in report.unmatched_lines[0].reason


def test_partial_payment_then_the_rest(org_a, user_a, sample_invoices):
    invoice = sample_invoices.invoices[5]
    run(user_a, org_a, camt053_document([{"ref": "P-1", "amount": "40.00", "text": invoice.code},
                                         {"ref": "P-2", "amount": "62.00", "text": invoice.code},
                                         {"ref": "P-3", "amount": "0.01", "text": invoice.code}]))
    invoice.refresh_from_db()
    assert (invoice.amount_payed, invoice.status) == (Decimal("102.00"), InvoiceStatus.PAID)
    assert [status for _ref, status, _rule, _reason in outcome(org_a)] == ["matched", "matched", "unmatched"]
    assert outcome(org_a)[2][3] == "overpayment"


def test_cancelled_invoice_is_not_payable(org_a, user_a, sample_invoices):
    from invoice.services.invoices import invoice_cancel

    invoice = sample_invoices.invoices[4]
    invoice_cancel(actor=user_a, invoice=invoice, reason="erreur")
    run(user_a, org_a, camt053_document([{"ref": "C-1", "amount": "102.00", "text": invoice.code}]))
    assert outcome(org_a) == [("C-1", "unmatched", "payment_reference", "not_payable")]


def test_currency_mismatch_is_unmatched(org_a, user_a, sample_invoices):
    content = camt053_document([{"ref": "X-1", "amount": "102.00", "text": sample_invoices.invoices[4].code}])
    run(user_a, org_a, content.replace(b'Ccy="EUR">102.00', b'Ccy="CHF">102.00'))
    assert outcome(org_a)[0][1:] == ("unmatched", "payment_reference", "currency_mismatch")


def test_bad_file_writes_nothing(org_a, user_a, sample_invoices):
    before = written(org_a)
    with pytest.raises(DomainError) as caught:
        run(user_a, org_a, sample("camt053_sample.xml").replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b""))
    assert (caught.value.code.name, caught.value.field) == ("SCHEMA_INVALID", "file")
    assert written(org_a) == before


def test_other_organisation_invoices_are_never_matched(org_a, user_a, org_b, user_b, sample_invoices):
    # when: Org B imports Org A's statement
    report = run(user_b, org_b, sample("camt053_sample.xml"))
    # then: nothing of Org A is paid, and Org A's own import is unaffected (keys are per organisation)
    assert (report.matched, report.unmatched, report.ignored) == (0, 8, 1)
    assert InvoicePayment.objects.count() == 0
    assert run(user_a, org_a, sample("camt053_sample.xml")).matched == 5


def _copies(template, count: int, year: int) -> None:
    """`count` issued invoices like `template` (102.00 due), numbered ORGA-<year>-000001…, in one INSERT."""
    from core.ids import uuid7
    from invoice.models import Invoice

    copies = []
    for n in range(count):
        copy = Invoice.objects.get(pk=template.pk) if not copies else Invoice(**{
            f.attname: getattr(copies[0], f.attname) for f in Invoice._meta.concrete_fields})
        copy.id, copy.code, copy.payment_reference = uuid7(), f"ORGA-{year}-{n + 1:06d}", ""
        copies.append(copy)
    Invoice.objects.bulk_create(copies)


def _statement(count: int, year: int, prefix: str) -> bytes:
    return camt053_document([{"ref": f"{prefix}-{n}", "amount": "102.00", "text": f"facture ORGA-{year}-{n + 1:06d}"}
                             for n in range(count)] + [{"ref": f"{prefix}-debit", "amount": "1.00", "direction": "DBIT"}])


def _counted(user, org, content) -> tuple:
    with CaptureQueriesContext(connection) as queries:
        report = run(user, org, content)
    statements = [q["sql"] for q in queries.captured_queries]
    reads = [sql for sql in statements if sql.startswith("SELECT")]
    return report, statements, reads


def test_query_count_is_bounded_at_1000_lines(org_a, user_a, sample_invoices):
    # given: 1,000 credits, each paying a different invoice, and a 10-line statement to compare
    _copies(sample_invoices.invoices[0], 1000, 2020)
    _copies(sample_invoices.invoices[0], 10, 2019)
    # when
    small, _statements_small, reads_small = _counted(user_a, org_a, _statement(10, 2019, "S"))
    report, statements, reads = _counted(user_a, org_a, _statement(1000, 2020, "Q"))
    # then: the same statements for 10 and 1,000 lines — every lookup batched, every write one
    # executemany per table (core.history.insert_rows), one UPDATE per distinct new invoice state
    # and 500 invoices (here: 2 for 1,000 invoices)
    assert (small.matched, report.matched) == (10, 1000)
    assert len(reads) == len(reads_small) <= 10, "\n".join(sql[:160] for sql in reads)
    assert len(_statements_small) <= 25, "\n".join(sql[:160] for sql in _statements_small)
    assert len(statements) == len(_statements_small) + 1, "\n".join(sql[:160] for sql in statements)
