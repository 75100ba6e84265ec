"""invoice_create and invoice_update: drafts only, whitelisted header fields, generic subject and
thirdparty scoped to the organisation, optimistic version, nothing written on bad input."""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.errors import DomainError
from core.history import history_versions
from core.models import Organization
from invoice.constants import DocumentType, EventType, InvoiceStatus
from invoice.models import Invoice, InvoiceEvent
from invoice.services.invoices import (
    invoice_create,
    invoice_update,
    invoice_validate,
    today,
)
from invoice.services.lines import line_add
from payment_module.models import Operator
from tests.invoice.helpers import buyer_data, errors_of, make_buyer, nothing_written

UNKNOWN_ID = "0190f0a4-0000-7000-8000-000000000000"

# (input, expected [(field, code)]); callables receive the billing_refs fixture.
BAD_HEADERS = [
    pytest.param({"currency_code": "EURO"}, [("currencyCode", "INVALID_CURRENCY")], id="currency-not-iso"),
    pytest.param({"currency_code": "XYZ"}, [("currencyCode", "INVALID_CURRENCY")], id="currency-unknown"),
    pytest.param({"currency_tp_code": "12"}, [("currencyTpCode", "INVALID_CURRENCY")], id="tp-currency"),
    pytest.param(
        {"date_valid_from": date(2026, 3, 31), "date_valid_to": date(2026, 3, 1)}, [("dateValidTo", "INVALID_PERIOD")],
        id="period-end-before-start",
    ),
    pytest.param({"subject_type": "planet", "subject_id": UNKNOWN_ID}, [("subjectType", "UNKNOWN_PICKER_TYPE")],
                 id="unknown-subject-type"),
    pytest.param({"thirdparty_type": "planet", "thirdparty_id": UNKNOWN_ID},
                 [("thirdpartyType", "UNKNOWN_PICKER_TYPE")], id="unknown-thirdparty-type"),
    pytest.param({"subject_type": "organization", "subject_id": UNKNOWN_ID}, [("subjectId", "NOT_FOUND")],
                 id="unknown-subject-id"),
    pytest.param({"subject_type": "organization", "subject_id": "not-a-uuid"}, [("subjectId", "NOT_FOUND")],
                 id="malformed-subject-id"),
    pytest.param(lambda refs: {"subject_type": "organization", "subject_id": refs.org_b.pk},
                 [("subjectId", "NOT_FOUND")], id="other-organisation-subject"),
    pytest.param(lambda refs: {"subject_type": "operator", "subject_id": refs.operator_b.pk},
                 [("subjectId", "NOT_FOUND")], id="other-organisations-operator"),
    pytest.param(lambda refs: {"subject_type": "user", "subject_id": refs.user_b.pk},
                 [("subjectId", "NOT_FOUND")], id="other-organisation-user"),
    pytest.param(lambda refs: {"thirdparty_type": "user", "thirdparty_id": refs.user_b.pk},
                 [("thirdpartyType", "UNKNOWN_PICKER_TYPE")], id="user-is-not-a-thirdparty"),
    pytest.param(lambda refs: {"thirdparty_type": "operator", "thirdparty_id": refs.operator_b.pk},
                 [("thirdpartyId", "NOT_FOUND")], id="other-organisations-operator-as-thirdparty"),
    pytest.param(lambda refs: {"thirdparty_type": "order", "thirdparty_id": refs.order_a.pk},
                 [("thirdpartyType", "UNKNOWN_PICKER_TYPE")], id="order-is-not-a-thirdparty"),
    pytest.param({"code": "X" * 65}, [("code", "TOO_LONG")], id="code-too-long"),
    pytest.param({"code": "ORGA-2026-000003"}, [("code", "RESERVED_CODE")], id="code-of-the-number-series"),
    pytest.param({"code": " orga-2031-7 "}, [("code", "RESERVED_CODE")], id="code-of-the-series-any-case-year-width"),
    pytest.param(
        {"currency_code": "EURO", "subject_type": "planet", "subject_id": UNKNOWN_ID, "note": "n" * 20001},
        [("note", "TOO_LONG"), ("currencyCode", "INVALID_CURRENCY"), ("subjectType", "UNKNOWN_PICKER_TYPE")],
        id="every-error-at-once",
    ),
    pytest.param({"status": InvoiceStatus.PAID}, [(None, "NOT_EDITABLE")], id="status-not-editable"),
    pytest.param({"amount_total": Decimal(1)}, [(None, "NOT_EDITABLE")], id="amount-not-editable"),
]


def _input(data, refs) -> dict:
    return data(refs) if callable(data) else dict(data)


def test_create_makes_a_draft_with_defaults_history_and_event(user_a, org_a):
    # when
    invoice = invoice_create(actor=user_a, organization=org_a, data={"note": "  mars  ", "code_tp": None})

    # then
    invoice.refresh_from_db()
    today = timezone.localdate()
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.document_type == DocumentType.INVOICE
    assert invoice.organization == org_a
    assert invoice.code == ""
    assert invoice.note == "mars"
    assert invoice.date_invoice == today
    assert invoice.date_due == today + timedelta(days=30)
    assert invoice.currency_code == "EUR"
    assert (invoice.amount_net, invoice.amount_discount, invoice.amount_total, invoice.amount_payed) == (0, 0, 0, 0)
    assert invoice.tax_analysis == {"lines": [], "total": "0.00"}
    assert (invoice.version, invoice.user_created, invoice.user_updated) == (1, user_a, user_a)
    assert [(h.history_type, h.history_change_reason, h.history_user) for h in invoice.history.all()] == [
        ("+", "invoice_create", user_a)
    ]
    assert [(e.event_type, e.message, e.user) for e in invoice.events.all()] == [
        (EventType.STATUS, "draft created", user_a)
    ]


def test_create_uses_the_organisation_settings(user_a, org_a):
    # given
    org_a.currency_code, org_a.payment_days = "CHF", 45
    org_a.save()

    # when
    invoice = invoice_create(actor=user_a, organization=org_a, data={"date_invoice": date(2026, 1, 10)})

    # then
    assert invoice.currency_code == "CHF"
    assert invoice.date_due == date(2026, 2, 24)


def test_create_resolves_subject_and_thirdparty_in_the_organisation(user_a, org_a):
    # when
    invoice = invoice_create(actor=user_a, organization=org_a, data={
        "subject_type": "organization", "subject_id": str(org_a.pk), **buyer_data(org_a),
    })

    # then
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.subject_type == ContentType.objects.get_for_model(Organization)
    assert invoice.subject == org_a
    assert invoice.thirdparty_type == ContentType.objects.get_for_model(Operator)
    assert invoice.thirdparty == make_buyer(org_a)


def test_create_accepts_an_operator_of_the_organisation(user_a, org_a, billing_refs):
    # when
    invoice = invoice_create(actor=user_a, organization=org_a, data={
        "subject_type": "operator", "subject_id": billing_refs.operator_a.pk,
        "thirdparty_type": "Operator", "thirdparty_id": str(billing_refs.operator_a.pk),
    })

    # then
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.subject, invoice.thirdparty) == (billing_refs.operator_a, billing_refs.operator_a)


@pytest.mark.parametrize(("data", "expected"), BAD_HEADERS)
def test_create_with_bad_input_writes_nothing(user_a, org_a, billing_refs, data, expected):
    # given
    data = _input(data, billing_refs)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_create(actor=user_a, organization=org_a, data=data)
    assert errors_of(raised) == expected


def test_update_changes_the_draft_bumps_version_and_records_history(user_a, draft_invoice):
    # when
    invoice = invoice_update(actor=user_a, invoice=draft_invoice, version=draft_invoice.version, changes={
        "note": "Merci", "payment_reference": "REF-42", "date_valid_from": date(2026, 3, 1),
        "date_valid_to": date(2026, 3, 31), "currency_tp_code": "usd",
    })

    # then
    invoice.refresh_from_db()
    assert (invoice.note, invoice.payment_reference, invoice.currency_tp_code) == ("Merci", "REF-42", "USD")
    assert (invoice.date_valid_from, invoice.date_valid_to) == (date(2026, 3, 1), date(2026, 3, 31))
    assert invoice.version == draft_invoice.version + 1
    last = history_versions(invoice)[-1]
    assert last.reason == "invoice_update"
    assert last.user == user_a
    assert {change.field for change in last.changes} == {
        "note", "payment_reference", "date_valid_from", "date_valid_to", "currency_tp_code"
    }
    assert invoice.amount_total == Decimal("289.50")  # untouched


def test_update_sets_and_clears_the_subject(user_a, org_a, draft_invoice):
    # given
    invoice = invoice_update(actor=user_a, invoice=draft_invoice,
                             changes={"subject_type": "organization", "subject_id": org_a.pk})
    assert Invoice.objects.get(pk=invoice.pk).subject == org_a

    # when
    invoice = invoice_update(actor=user_a, invoice=invoice, changes={"subject_type": None, "subject_id": None})

    # then
    invoice.refresh_from_db()
    assert (invoice.subject_type, invoice.subject_id) == (None, None)


@pytest.mark.parametrize(("data", "expected"), BAD_HEADERS)
def test_update_with_bad_input_writes_nothing(user_a, draft_invoice, billing_refs, data, expected):
    # given
    data = _input(data, billing_refs)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_update(actor=user_a, invoice=draft_invoice, changes=data, version=draft_invoice.version)
    assert errors_of(raised) == expected


def test_update_period_is_checked_against_the_stored_bound(user_a, draft_invoice):
    # given
    invoice = invoice_update(actor=user_a, invoice=draft_invoice, changes={"date_valid_from": date(2026, 3, 1)})

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_update(actor=user_a, invoice=invoice, changes={"date_valid_to": date(2026, 2, 28)})
    assert errors_of(raised) == [("dateValidTo", "INVALID_PERIOD")]


def test_update_with_a_stale_version_writes_nothing(user_a, draft_invoice):
    # given
    stale = draft_invoice.version
    invoice_update(actor=user_a, invoice=draft_invoice, changes={"note": "first"}, version=stale)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_update(actor=user_a, invoice=draft_invoice, changes={"note": "second"}, version=stale)
    assert errors_of(raised) == [("version", "STALE_VERSION")]
    assert Invoice.objects.get(pk=draft_invoice.pk).note == "first"


def test_validated_invoice_is_not_editable(user_a, validated_invoice):
    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_update(actor=user_a, invoice=validated_invoice, changes={"note": "late"})
    assert errors_of(raised) == [("status", "NOT_EDITABLE")]


def test_a_code_already_used_in_the_organisation_is_refused(user_a, org_a, draft_invoice):
    # given
    invoice_update(actor=user_a, invoice=draft_invoice, changes={"code": "DEVIS-7"})
    other = invoice_create(actor=user_a, organization=org_a, data={})

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_update(actor=user_a, invoice=other, changes={"code": "DEVIS-7"})
    assert errors_of(raised) == [("code", "DUPLICATE_CODE")]


def test_the_same_code_in_another_organisation_is_fine(user_a, user_b, org_b, draft_invoice):
    # given
    invoice_update(actor=user_a, invoice=draft_invoice, changes={"code": "DEVIS-7"})

    # when
    other = invoice_create(actor=user_b, organization=org_b, data={"code": "DEVIS-7"})

    # then
    assert other.code == "DEVIS-7"
    assert InvoiceEvent.objects.filter(invoice=other).count() == 1
    assert uuid.UUID(str(other.pk)) != draft_invoice.pk


def test_a_draft_cannot_squat_a_future_number_and_block_validation(user_a, org_a, draft_invoice):
    # given: a draft refused the next number's code, and another draft
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_update(actor=user_a, invoice=draft_invoice, changes={"code": f"ORGA-{today().year}-000001"})
    assert errors_of(raised) == [("code", "RESERVED_CODE")]
    other = invoice_create(actor=user_a, organization=org_a, data={"code": "DEVIS-ORGA-2026-1", **buyer_data(org_a)})

    # when: the other is validated
    line_add(actor=user_a, invoice=other, data={"quantity": Decimal(1), "unit_price": Decimal("10.00")})
    validated = invoice_validate(actor=user_a, invoice=other)

    # then: it takes the number (a code merely containing the series is fine)
    assert validated.code == f"ORGA-{today().year}-000001"
