"""invoice_validate refuses illegal invoices with exact (field, code) errors and writes nothing:
no number is used, no status changes, no event. The table below is the one in docs/api.md
("Issuing an invoice")."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from core.errors import DomainError
from core.models import User
from invoice.constants import InvoiceStatus
from invoice.models import Invoice, InvoiceNumberSequence
from invoice.services import invoices as invoice_services
from invoice.services.invoices import invoice_cancel, invoice_create, invoice_validate
from invoice.services.lines import line_add
from tests.invoice.helpers import (
    buyer_data,
    errors_of,
    make_buyer,
    make_draft,
    nothing_written,
)

# "Today" in these tests: the example (number 39 dated 02/12/2026, then a draft of 15/01).
TODAY = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(invoice_services, "today", lambda: TODAY)


def _no_buyer(actor, org):
    return make_draft(actor=actor, organization=org, thirdparty_type=None)


def _buyer_without(**blank):
    def build(actor, org):
        return make_draft(actor=actor, organization=org, **buyer_data(org, code="incomplete", **blank))
    return build


def _user_buyer(actor, org):
    """A draft of before this rule whose thirdparty is a user (the API no longer accepts one)."""
    invoice = make_draft(actor=actor, organization=org)
    Invoice.objects.filter(pk=invoice.pk).update(thirdparty_type=ContentType.objects.get_for_model(User),
                                                 thirdparty_id=actor.pk)
    return invoice


def _deleted_buyer(actor, org):
    invoice = make_draft(actor=actor, organization=org)
    type(make_buyer(org)).objects.filter(organization=org, code="buyer").update(is_deleted=True)
    return invoice


def _unpriced_line(actor, org):
    return make_draft(actor=actor, organization=org, lines=(
        {"code": "L1", "description": "Avis de décès", "quantity": "1", "unit_price": "89.00"},
        {"code": "L2", "description": "Option offerte", "quantity": "1", "unit_price": "0"},
    ))


FREE_LINE = ({"code": "L1", "description": "Avis de décès offert", "quantity": "1", "unit_price": "89.00",
              "discount": "1"},)


def _zero_total(actor, org):
    return make_draft(actor=actor, organization=org, lines=FREE_LINE)


def _dated(**dates):
    def build(actor, org):
        return make_draft(actor=actor, organization=org, **dates)
    return build


def _before_the_last_issued(actor, org):
    invoice_validate(actor=actor, invoice=make_draft(actor=actor, organization=org, date_invoice=TODAY))
    return make_draft(actor=actor, organization=org, date_invoice=date(2026, 1, 15))


def _bare_draft_with_a_line(actor, org):
    """The issue's reproduction: createInvoice(input: {}) + one line + validateInvoice."""
    invoice = invoice_create(actor=actor, organization=org, data={})
    line_add(actor=actor, invoice=invoice, data={"description": "Avis de décès", "quantity": "1", "unit_price": "89"})
    return invoice


INVALID_INVOICES = [
    # (case, build(actor, org) → draft, expected [(field, code)])
    ("no buyer", _no_buyer, [("thirdpartyId", "BUYER_REQUIRED")]),
    ("createInvoice({}) + one line", _bare_draft_with_a_line, [("thirdpartyId", "BUYER_REQUIRED")]),
    ("buyer is a user", _user_buyer, [("thirdpartyType", "BUYER_TYPE_NOT_ALLOWED")]),
    ("buyer deleted since", _deleted_buyer, [("thirdpartyId", "BUYER_REQUIRED")]),
    ("buyer without name", _buyer_without(name=""), [("thirdparty.name", "BUYER_INCOMPLETE")]),
    ("buyer without address", _buyer_without(address_line1=""), [("thirdparty.addressLine1", "BUYER_INCOMPLETE")]),
    ("buyer without post code", _buyer_without(postal_code=""), [("thirdparty.postalCode", "BUYER_INCOMPLETE")]),
    ("buyer without city", _buyer_without(city=""), [("thirdparty.city", "BUYER_INCOMPLETE")]),
    ("buyer without country", _buyer_without(country_code=""), [("thirdparty.countryCode", "BUYER_INCOMPLETE")]),
    ("buyer without e-mail (BT-49)", _buyer_without(email=""),
     [("thirdparty.email", "BUYER_NO_ELECTRONIC_ADDRESS")]),
    ("buyer without anything", _buyer_without(name="", address_line1="", postal_code="", city="", country_code="",
                                              email=""),
     [("thirdparty.name", "BUYER_INCOMPLETE"), ("thirdparty.addressLine1", "BUYER_INCOMPLETE"),
      ("thirdparty.postalCode", "BUYER_INCOMPLETE"), ("thirdparty.city", "BUYER_INCOMPLETE"),
      ("thirdparty.countryCode", "BUYER_INCOMPLETE"), ("thirdparty.email", "BUYER_NO_ELECTRONIC_ADDRESS")]),
    ("a line without a price", _unpriced_line, [("lineItems.1.unitPrice", "LINE_WITHOUT_PRICE")]),
    ("total 0 without a reason", _zero_total, [("amountTotal", "ZERO_TOTAL")]),
    ("issue date tomorrow", _dated(date_invoice=TODAY + timedelta(days=1)), [("dateInvoice", "DATE_IN_FUTURE")]),
    ("issue date next year", _dated(date_invoice=date(2027, 3, 1)), [("dateInvoice", "DATE_IN_FUTURE")]),
    ("issue date before the last issued", _before_the_last_issued, [("dateInvoice", "NOT_CHRONOLOGICAL")]),
    ("due date before issue date", _dated(date_invoice=TODAY, date_due=TODAY - timedelta(days=1)),
     [("dateDue", "DUE_BEFORE_ISSUE")]),
    ("no buyer, free line, future date", lambda actor, org: make_draft(
        actor=actor, organization=org, thirdparty_type=None, lines=FREE_LINE, date_invoice=date(2027, 1, 4)),
     [("thirdpartyId", "BUYER_REQUIRED"), ("amountTotal", "ZERO_TOTAL"), ("dateInvoice", "DATE_IN_FUTURE")]),
]


@pytest.mark.parametrize(("build", "expected"), [(build, expected) for _, build, expected in INVALID_INVOICES],
                         ids=[case for case, _, _ in INVALID_INVOICES])
def test_an_illegal_invoice_is_refused_at_validation_and_nothing_is_written(user_a, org_a, build, expected):
    # given
    draft = build(user_a, org_a)

    # when
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_validate(actor=user_a, invoice=draft)

    # then
    assert errors_of(raised) == expected
    draft = Invoice.objects.get(pk=draft.pk)
    assert (draft.status, draft.code) == (InvoiceStatus.DRAFT, "")


def test_the_complete_draft_of_the_table_is_issued(user_a, org_a):
    # given: what every case above breaks one part of
    draft = make_draft(actor=user_a, organization=org_a, date_invoice=TODAY, date_due=TODAY)

    # when
    issued = invoice_validate(actor=user_a, invoice=draft)

    # then
    assert (issued.status, issued.code) == (InvoiceStatus.VALIDATED, "ORGA-2026-000001")


def test_a_zero_total_with_its_reason_is_issued(user_a, org_a):
    # given
    draft = make_draft(actor=user_a, organization=org_a, lines=FREE_LINE,
                       zero_total_reason="Geste commercial : avis offert après un retard de parution")

    # when
    issued = invoice_validate(actor=user_a, invoice=draft)

    # then
    assert (issued.status, issued.amount_total, issued.code) == (InvoiceStatus.VALIDATED, Decimal("0.00"),
                                                                 "ORGA-2026-000001")


def test_same_day_and_later_dates_keep_issuing_and_another_year_is_its_own_series(user_a, org_a):
    # given: number 1 of 2026 dated today
    invoice_validate(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a, date_invoice=TODAY))

    # when: the same day again, then a draft of last year (its own series, empty)
    same_day = invoice_validate(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a, date_invoice=TODAY))
    last_year = invoice_validate(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a,
                                                                  date_invoice=date(2025, 12, 30)))

    # then
    assert (same_day.code, last_year.code) == ("ORGA-2026-000002", "ORGA-2025-000001")


def test_a_refused_validation_gives_no_number_away(user_a, org_a):
    # given: a refused draft, then a good one
    refused = make_draft(actor=user_a, organization=org_a, thirdparty_type=None)
    with pytest.raises(DomainError):
        invoice_validate(actor=user_a, invoice=refused)

    # when
    issued = invoice_validate(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a))

    # then
    assert issued.code == "ORGA-2026-000001"
    assert InvoiceNumberSequence.objects.get(organization=org_a, year=2026).last_number == 1


def test_a_credit_note_dated_before_the_series_last_invoice_is_refused(user_a, org_a, monkeypatch):
    # given: an invoice issued "today", then the clock says an earlier day (e.g. a wrong server date)
    invoice = invoice_validate(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a))
    monkeypatch.setattr(invoice_services, "today", lambda: TODAY - timedelta(days=3))

    # when
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_cancel(actor=user_a, invoice=invoice)

    # then
    assert errors_of(raised) == [("dateInvoice", "NOT_CHRONOLOGICAL")]


@pytest.mark.parametrize("type_code", ["user", "organization"])
def test_users_and_organisations_cannot_be_picked_as_buyers(user_a, org_a, type_code):
    # given
    target = user_a.pk if type_code == "user" else org_a.pk

    # when
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_create(actor=user_a, organization=org_a, data={"thirdparty_type": type_code,
                                                               "thirdparty_id": str(target)})

    # then
    assert errors_of(raised) == [("thirdpartyType", "UNKNOWN_PICKER_TYPE")]
