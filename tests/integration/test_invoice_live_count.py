"""The maintained count of live invoices (InvoiceLiveCount, its deferred trigger on PostgreSQL):
it always equals COUNT(*) after commit — creations, soft deletes, credit notes, rollbacks,
parallel creations — and the front end's list page reads it instead of counting, exactly when it
can (outside a transaction, no filter but `isDeleted: false`)."""
from __future__ import annotations

import pytest
from django.db import connection, transaction

from invoice.models import Invoice, InvoiceLiveCount
from invoice.selectors import live_invoice_count
from invoice.services.invoices import (
    invoice_cancel,
    invoice_create,
    invoice_delete,
    invoice_validate,
)
from tests.helpers.concurrency import run_together
from tests.helpers.fe_documents import invoice_list
from tests.helpers.graphql import data, post
from tests.invoice.helpers import make_draft

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql():
    assert connection.vendor == "postgresql"


def counted(organization) -> tuple[int, int]:
    """(the maintained count, COUNT(*))"""
    kept = InvoiceLiveCount.objects.filter(organization=organization).values_list("live", flat=True).first() or 0
    return kept, Invoice.objects.filter(organization=organization, is_deleted=False).count()


def test_the_count_follows_creations_deletions_and_credit_notes(user_a, org_a, user_b, org_b):
    # given: 5 drafts in A, 2 in B
    drafts = [make_draft(actor=user_a, organization=org_a) for _ in range(5)]
    make_draft(actor=user_b, organization=org_b)
    make_draft(actor=user_b, organization=org_b)
    assert (counted(org_a), counted(org_b)) == ((5, 5), (2, 2))
    # when: one draft deleted, one validated then cancelled (a credit note is a new invoice)
    invoice_delete(actor=user_a, invoice=drafts[0])
    invoice_cancel(actor=user_a, invoice=invoice_validate(actor=user_a, invoice=drafts[1]))
    # then
    assert (counted(org_a), counted(org_b)) == ((5, 5), (2, 2))  # 5 - 1 deleted + 1 credit note
    assert live_invoice_count(org_a) == 5


def test_a_rolled_back_transaction_changes_nothing(user_a, org_a):
    make_draft(actor=user_a, organization=org_a)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_draft(actor=user_a, organization=org_a)
        Invoice.objects.filter(organization=org_a).update(is_deleted=True)
        raise RuntimeError("rollback")
    assert counted(org_a) == (1, 1)


def test_parallel_creations_are_all_counted(user_a, org_a):
    results = run_together(12, lambda index: invoice_create(actor=user_a, organization=org_a, data={}).pk)
    assert [status for status, _ in results] == ["ok"] * 12, results
    assert counted(org_a) == (12, 12)


def test_inside_a_transaction_the_count_is_not_trusted(user_a, org_a):
    with transaction.atomic():
        make_draft(actor=user_a, organization=org_a)
        assert live_invoice_count(org_a) is None  # not committed yet: the counter does not know it


def test_the_list_page_reads_the_counter_instead_of_counting(user_a, org_a, user_b, org_b):
    # given: more invoices than the page holds, in both organisations; then, to see which source
    # answers, A's counter set off by 1,000 (only this test does that)
    for _ in range(12):
        make_draft(actor=user_a, organization=org_a)
    make_draft(actor=user_b, organization=org_b)
    InvoiceLiveCount.objects.filter(organization=org_a).update(live=1012)
    # when: the front end's list page, the same with a filter, and a page that holds everything
    page = data(post(invoice_list(first=10), user=user_a))["invoice"]
    filtered = data(post('{ invoice(isDeleted: false, first: 10, code_Icontains: "") { totalCount } }',
                         user=user_a))["invoice"]
    whole = data(post(invoice_list(first=20), user=user_a))["invoice"]
    # then: the list page's total is the counter's; a filter, or a short page, counts the rows
    assert (page["totalCount"], len(page["edges"])) == (1012, 10)
    assert (filtered["totalCount"], whole["totalCount"]) == (12, 12)
