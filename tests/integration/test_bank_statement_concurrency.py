"""The bank statement import on PostgreSQL, twice at the same moment from two threads: exactly one
set of payments. The second import waits on the first's unique keys (the file's SHA-256, or the
lines' entry references), fails when the first commits, and is replayed once: it then sees every
line as a duplicate and writes nothing."""
from __future__ import annotations

import pytest
from django.db import connection

from invoice.models import InvoicePayment
from payment_module.models import BankStatement, BankStatementLine
from payment_module.services.bank_statements import bank_statement_import
from tests.helpers.concurrency import run_together
from tests.payment_module.bank_helpers import make_sample_invoices, sample

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql():
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize("same_bytes", [True, False], ids=["same file", "same entries in another file"])
def test_concurrent_imports_of_one_statement_pay_once(user_a, org_a, same_bytes):
    # given
    make_sample_invoices(user_a, org_a)
    files = [sample("camt053_sample.xml"),
             sample("camt053_sample.xml") if same_bytes else sample("camt053_sample.xml").replace(
                 b"CAMT053-20261130-000412", b"CAMT053-20261130-COPY01")]

    # when
    results = run_together(2, lambda index: bank_statement_import(actor=user_a, organization=org_a,
                                                                  content=files[index], fmt="camt053"))

    # then
    assert [status for status, _value in results] == ["ok", "ok"], results
    reports = sorted((value for _status, value in results), key=lambda report: not report.created)
    assert [report.created for report in reports] == [True, False]
    assert (reports[0].matched, reports[0].unmatched, reports[0].ambiguous, reports[0].ignored) == (5, 2, 1, 1)
    assert (reports[1].duplicate, reports[1].matched) == (9, 0)
    assert BankStatement.objects.count() == 1
    assert BankStatementLine.objects.count() == 9
    assert InvoicePayment.objects.filter(invoice__organization=org_a).count() == 5
