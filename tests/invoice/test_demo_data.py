"""`manage.py demo_data`: invoices in every status per demo organisation, built through the
services, and a second run that changes nothing."""
from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from core.models import Membership, Organization, User
from invoice.constants import DocumentType, EventType, InvoiceStatus, PaymentStatus
from invoice.models import (
    Invoice,
    InvoiceEvent,
    InvoiceLineItem,
    InvoiceNumberSequence,
    InvoicePayment,
)
from invoice.selectors import invoice_list
from payment_module.models import Operator

pytestmark = pytest.mark.django_db

TRACKED = (Invoice, InvoiceLineItem, InvoicePayment, InvoiceEvent)


def _counts() -> dict[str, int]:
    counts = {}
    for model in TRACKED:
        counts[model.__name__] = model.objects.count()
        counts[f"{model.__name__} history"] = model.history.count()
    counts["sequences"] = sorted(InvoiceNumberSequence.objects.values_list("organization__code", "year", "last_number"))
    counts["versions"] = sorted((str(pk), version) for pk, version in Invoice.objects.values_list("pk", "version"))
    return counts


def _run() -> str:
    out = StringIO()
    call_command("demo_data", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded() -> dict[str, Organization]:
    _run()
    return {code: Organization.objects.get(code=code) for code in ("org-a", "org-b")}


@pytest.mark.parametrize("code", ["org-a", "org-b"])
def test_each_demo_organisation_has_invoices_in_every_status(seeded, code):
    # given
    organization = seeded[code]
    # when
    invoices = Invoice.objects.filter(organization=organization)
    # then
    assert invoices.count() >= 30
    assert set(invoices.values_list("status", flat=True)) == set(InvoiceStatus.values)
    credit_notes = invoices.filter(document_type=DocumentType.CREDIT_NOTE)
    assert credit_notes.exists()
    for credit in credit_notes.select_related("related_invoice"):
        assert credit.related_invoice.organization_id == organization.pk
        assert credit.related_invoice.status == InvoiceStatus.CANCELLED
        assert credit.amount_total == -credit.related_invoice.amount_total
    assert not invoices.filter(status=InvoiceStatus.DELETED, is_deleted=False).exists()


@pytest.mark.parametrize("code", ["org-a", "org-b"])
def test_lines_payments_and_events_exist(seeded, code):
    organization = seeded[code]
    lines = InvoiceLineItem.objects.filter(invoice__organization=organization, invoice__document_type=DocumentType.INVOICE)
    operator_type = ContentType.objects.get_for_model(Operator)
    per_invoice = {invoice.pk: invoice.line_items.count() for invoice in Invoice.objects.filter(
        organization=organization, document_type=DocumentType.INVOICE).exclude(subject_type=operator_type)}
    assert lines.exists()
    assert all(1 <= count <= 5 for count in per_invoice.values()), per_invoice

    payments = InvoicePayment.objects.filter(invoice__organization=organization)
    assert {PaymentStatus.ACCEPTED, PaymentStatus.REJECTED, PaymentStatus.REFUNDED} <= set(
        payments.values_list("status", flat=True))

    events = InvoiceEvent.objects.filter(invoice__organization=organization)
    assert {EventType.MESSAGE, EventType.STATUS, EventType.PAYMENT, EventType.PAYMENT_ERROR} <= set(
        events.values_list("event_type", flat=True))


@pytest.mark.parametrize("code", ["org-a", "org-b"])
def test_amounts_and_numbers_are_the_services(seeded, code):
    organization = seeded[code]
    invoices = Invoice.objects.filter(organization=organization)
    for invoice in invoices.filter(status__in=(InvoiceStatus.PAID, InvoiceStatus.RECONCILIATED)):
        assert invoice.amount_payed == invoice.amount_total > 0
        assert invoice.date_payed is not None
    numbered = invoices.exclude(status__in=(InvoiceStatus.DRAFT, InvoiceStatus.DELETED))
    codes = sorted(numbered.values_list("code", flat=True))
    prefix = f"{organization.invoice_number_prefix}-"
    assert all(code.startswith(prefix) for code in codes)
    assert not invoices.filter(status=InvoiceStatus.DRAFT).exclude(code="").exists()
    # gap-free per year: the numbers of a year are exactly 1..n
    by_year: dict[str, list[int]] = {}
    for number in codes:
        _, year, sequence = number.rsplit("-", 2)
        by_year.setdefault(year, []).append(int(sequence))
    for sequences in by_year.values():
        assert sorted(sequences) == list(range(1, len(sequences) + 1))


def test_org_b_invoices_are_only_org_b(seeded):
    # given
    org_a, org_b = seeded["org-a"], seeded["org-b"]
    members_b = set(Membership.objects.filter(organization=org_b).values_list("user_id", flat=True))
    user_type = ContentType.objects.get_for_model(User)
    organization_type = ContentType.objects.get_for_model(Organization)
    operator_type = ContentType.objects.get_for_model(Operator)
    operators_b = set(Operator.objects.filter(organization=org_b).values_list("pk", flat=True))
    # when
    visible = set(invoice_list(org_b, include_deleted=True).values_list("pk", flat=True))
    # then
    assert visible == set(Invoice.objects.filter(organization=org_b).values_list("pk", flat=True))
    assert visible.isdisjoint(Invoice.objects.filter(organization=org_a).values_list("pk", flat=True))
    for invoice in Invoice.objects.filter(organization=org_b):
        assert invoice.code == "" or invoice.code.startswith("ORGB-")
        if invoice.related_invoice_id:
            assert invoice.related_invoice_id in visible
        for type_id, object_id in ((invoice.subject_type_id, invoice.subject_id),
                                   (invoice.thirdparty_type_id, invoice.thirdparty_id)):
            if type_id == organization_type.pk:
                assert object_id == org_b.pk
            elif type_id == operator_type.pk:  # every buyer, and the operator invoice's subject
                assert object_id in operators_b
            else:
                assert type_id == user_type.pk and object_id in members_b
    for model in (InvoiceLineItem, InvoicePayment, InvoiceEvent):
        assert set(model.objects.filter(invoice__organization=org_b).values_list("invoice_id", flat=True)) <= visible


def test_history_and_actor_are_recorded(seeded):
    org_a = seeded["org-a"]
    demo_user = User.objects.get(username="demo-a@molink.test")
    invoice = Invoice.objects.filter(organization=org_a, status=InvoiceStatus.RECONCILIATED).first()
    reasons = list(invoice.history.order_by("history_date", "history_id").values_list("history_change_reason", flat=True))
    assert reasons[0] == "invoice_create"
    assert "invoice_validate" in reasons and "payment_sync" in reasons
    assert reasons[-1] == "invoice_reconcile"
    assert invoice.version == len(reasons)
    assert set(invoice.history.values_list("history_user", flat=True)) == {demo_user.pk}
    assert invoice.events.filter(event_type=EventType.STATUS, message="status paid → reconciliated").exists()


def test_second_run_changes_nothing(seeded):
    # given
    before = _counts()
    # when
    output = _run()
    # then
    assert _counts() == before
    for code, name in (("org-a", "Org A"), ("org-b", "Org B")):
        count = Invoice.objects.filter(organization__code=code).count()
        assert f"{name}: {count} invoices already there, nothing added" in output


@pytest.mark.parametrize("code", ["org-a", "org-b"])
def test_every_issued_demo_invoice_satisfies_the_issuing_rules(seeded, code):
    """Buyers with name, address, country and e-mail (an operator of the organisation); per series,
    issue dates follow the numbers; none in the future; due dates not before issue dates."""
    from core.errors import ErrorCollector
    from invoice.constants import ISSUED_STATUSES
    from invoice.selectors import party_snapshot
    from invoice.services.invoices import today
    from invoice.validation import ensure_buyer

    organization = seeded[code]
    issued = list(Invoice.objects.filter(organization=organization, status__in=ISSUED_STATUSES))
    operator_type = ContentType.objects.get_for_model(Operator)
    assert len(issued) >= 25
    series: dict[int, list[tuple[str, object]]] = {}
    for invoice in issued:
        assert invoice.thirdparty_type_id == operator_type.pk, invoice.code
        check = ErrorCollector()
        ensure_buyer(party_snapshot(Operator.objects.get(pk=invoice.thirdparty_id, organization=organization)), check)
        assert check.errors == [], (invoice.code, [e.message for e in check.errors])
        assert invoice.date_invoice <= today()
        assert invoice.date_due is None or invoice.date_due >= invoice.date_invoice
        series.setdefault(invoice.date_invoice.year, []).append((invoice.code, invoice.date_invoice))
    for year, numbered in series.items():
        dates = [day for _, day in sorted(numbered)]
        assert all(str(year) in number for number, _ in numbered)
        assert dates == sorted(dates), (year, sorted(numbered))
