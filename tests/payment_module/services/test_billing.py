"""generate_operator_invoice / generate_for_period: a period of an operator's unbilled orders
becomes one validated invoice (one line per order, priced by the tariff valid on the order's day)
and its document; an order is billed once; every refusal writes nothing."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage

from core.calculation import FR_VAT_10, FR_VAT_20, FR_VAT_DEBOURS
from core.errors import DomainError
from invoice.constants import DocumentStatus, DocumentType, InvoiceStatus
from invoice.models import (
    Invoice,
    InvoiceDocument,
    InvoiceLineItem,
    InvoiceNumberSequence,
)
from invoice.renderers import render
from invoice.selectors import document_snapshot
from invoice.services.documents import document_fail
from invoice.services.invoices import invoice_cancel, today
from payment_module.constants import OrderKind
from payment_module.models import Order
from payment_module.services.billing import (
    generate_for_period,
    generate_operator_invoice,
)
from payment_module.services.operators import operator_update, tariff_create
from tests.payment_module.helpers import at, errors_of, make_order, nothing_written

pytestmark = pytest.mark.django_db

JUNE = (date(2026, 6, 1), date(2026, 6, 30))
JULY = (date(2026, 7, 1), date(2026, 7, 31))


def generate(actor, organization, operator, period=JUNE, fmt="json", **kwargs):
    return generate_operator_invoice(actor=actor, organization=organization, operator=operator,
                                     start_date=period[0], end_date=period[1], fmt=fmt, **kwargs)


@pytest.fixture
def june_orders(user_a, operator_a, tariffs_a):
    """Five orders of operator_a in June 2026: net 504.00, VAT 64.80, total 568.80."""
    return [
        make_order(user_a, operator_a, "CMD-1", at("2026-06-10"), description="Avis de décès de Mme Hélène Bérard"),
        make_order(user_a, operator_a, "CMD-1-PHOTO", at("2026-06-10", 12, 10), kind=OrderKind.NOTICE_PHOTO),
        make_order(user_a, operator_a, "CMD-2", at("2026-06-20"), amount_override=Decimal("79.00")),
        make_order(user_a, operator_a, "CMD-2-PRESSE", at("2026-06-21"), kind=OrderKind.NOTICE_PRINT,
                   quantity=Decimal(2)),
        make_order(user_a, operator_a, "CMD-3-ANNIV", at("2026-06-25"), kind=OrderKind.ANNIVERSARY),
    ]


@pytest.fixture
def outside_orders(user_a, operator_a, other_operator_a, tariffs_a):
    """Orders the June invoice of operator_a must not take: other months, another operator."""
    return [
        make_order(user_a, operator_a, "CMD-MAY", at("2026-05-31", 23, 59)),
        make_order(user_a, operator_a, "CMD-JULY", at("2026-07-01", 0, 0)),
        make_order(user_a, other_operator_a, "CMD-OTHER", at("2026-06-15")),
    ]


def test_one_validated_invoice_with_one_line_per_order(user_a, org_a, operator_a, june_orders, outside_orders):
    # when
    document = generate(user_a, org_a, operator_a)

    # then: one invoice, issued, for the operator and the period
    invoice = Invoice.objects.get()
    assert document.invoice_id == invoice.pk
    assert (document.format, document.operator_id, document.start_date, document.end_date) == (
        "json", operator_a.pk, *JUNE)
    assert (invoice.status, invoice.document_type, invoice.code) == (
        InvoiceStatus.VALIDATED, DocumentType.INVOICE, f"ORGA-{today().year}-000001")
    assert (invoice.subject, invoice.thirdparty) == (operator_a, operator_a)
    assert (invoice.date_valid_from, invoice.date_valid_to) == JUNE
    assert (invoice.currency_code, invoice.code_tp, invoice.payment_reference) == ("EUR", "pf-lea-celik", invoice.code)
    assert (invoice.date_invoice, invoice.date_due) == (today(), today() + timedelta(days=45))  # the operator's terms
    assert (invoice.amount_net, invoice.amount_total, invoice.amount_discount) == (
        Decimal("504.00"), Decimal("568.80"), Decimal("0.00"))
    assert [(line["code"], line["base"], line["amount"]) for line in invoice.tax_analysis["lines"]] == [
        ("FR_VAT_20", "179.00", "35.80"), ("FR_VAT_10", "290.00", "29.00"), ("FR_VAT_DEBOURS", "35.00", "0.00"),
    ]
    # one line per order, in order date order, `line` = the order
    lines = list(InvoiceLineItem.objects.filter(invoice=invoice).order_by("date_valid_from", "code"))
    order_type = ContentType.objects.get_for_model(Order)
    assert [(line.line_type, line.line) for line in lines] == [(order_type, order) for order in june_orders]
    assert [(line.code, line.description, line.quantity, line.unit_price, line.tax_rate, line.ledger_account,
             line.amount_net, line.amount_total, line.date_valid_from) for line in lines] == [
        ("CMD-1", "Avis de décès de Mme Hélène Bérard", Decimal("1.0000"), Decimal("85.0000"), FR_VAT_20.id, "706100",
         Decimal("85.00"), Decimal("102.00"), date(2026, 6, 10)),
        ("CMD-1-PHOTO", "Option photo", Decimal("1.0000"), Decimal("15.0000"), FR_VAT_20.id, "706300",
         Decimal("15.00"), Decimal("18.00"), date(2026, 6, 10)),
        ("CMD-2", "Avis de décès", Decimal("1.0000"), Decimal("79.0000"), FR_VAT_20.id, "706100",
         Decimal("79.00"), Decimal("94.80"), date(2026, 6, 20)),
        ("CMD-2-PRESSE", "Parution presse", Decimal("2.0000"), Decimal("145.0000"), FR_VAT_10.id, "706400",
         Decimal("290.00"), Decimal("319.00"), date(2026, 6, 21)),
        ("CMD-3-ANNIV", "Avis anniversaire", Decimal("1.0000"), Decimal("35.0000"), FR_VAT_DEBOURS.id, "706500",
         Decimal("35.00"), Decimal("35.00"), date(2026, 6, 25)),
    ]
    # every June order is linked to its line (with a history row and a new version); the others are not
    for order, line in zip(june_orders, lines):
        order.refresh_from_db()
        assert (order.invoice_line_id, order.version, order.user_updated) == (line.pk, 2, user_a)
        assert order.history.latest().history_change_reason == "generate_operator_invoice"
    assert all(Order.objects.get(pk=order.pk).invoice_line_id is None for order in outside_orders)


def test_price_comes_from_the_tariff_valid_on_the_order_day(user_a, org_a, operator_a, tariffs_a):
    # given: a death notice on each side of the 01/07/2026 price change, in Paris time
    before = make_order(user_a, operator_a, "CMD-JUNE-30", at("2026-06-30", 23, 30))
    after = make_order(user_a, operator_a, "CMD-JULY-1", at("2026-07-01", 0, 30))  # 30/06 22:30 UTC

    # when
    document = generate(user_a, org_a, operator_a, period=(date(2026, 6, 1), date(2026, 7, 31)))

    # then
    lines = {line.code: line for line in document.invoice.line_items.all()}
    assert (lines["CMD-JUNE-30"].unit_price, lines["CMD-JUNE-30"].date_valid_from) == (Decimal("85.0000"), date(2026, 6, 30))
    assert (lines["CMD-JULY-1"].unit_price, lines["CMD-JULY-1"].date_valid_from) == (Decimal("89.0000"), date(2026, 7, 1))
    assert {before.pk, after.pk} == set(Order.objects.filter(invoice_line__isnull=False).values_list("pk", flat=True))


def test_the_period_is_read_in_the_server_time_zone(user_a, org_a, operator_a, tariffs_a):
    # given: 01/07 00:30 in Paris is still 30/06 in UTC
    make_order(user_a, operator_a, "CMD-JULY-1", at("2026-07-01", 0, 30))

    # when / then: not in June
    with pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator_a, period=JUNE)
    assert errors_of(raised) == [("start_date", "NO_ORDERS")]
    assert generate(user_a, org_a, operator_a, period=JULY).invoice.line_items.get().unit_price == Decimal("89.0000")


def test_amount_override_wins_over_the_tariff(user_a, org_a, operator_a, tariffs_a):
    # given
    make_order(user_a, operator_a, "CMD-FREE", at("2026-06-02"), amount_override=Decimal(0))
    make_order(user_a, operator_a, "CMD-DEAL", at("2026-06-03"), kind=OrderKind.NOTICE_PRINT,
               amount_override=Decimal("99.9900"), quantity=Decimal(3))

    # when
    invoice = generate(user_a, org_a, operator_a).invoice

    # then: the agreed unit price, the tariff's VAT rule
    assert sorted((line.code, line.unit_price, line.tax_rate, line.amount_net) for line in invoice.line_items.all()) == [
        ("CMD-DEAL", Decimal("99.9900"), FR_VAT_10.id, Decimal("299.97")),
        ("CMD-FREE", Decimal("0.0000"), FR_VAT_20.id, Decimal("0.00")),
    ]
    assert (invoice.amount_net, invoice.amount_total) == (Decimal("299.97"), Decimal("329.97"))


def test_a_second_call_for_the_same_period_returns_the_same_document(user_a, org_a, operator_a, june_orders):
    # given
    first = generate(user_a, org_a, operator_a)
    before = (Invoice.objects.count(), InvoiceDocument.objects.count(),
              InvoiceNumberSequence.objects.get(organization=org_a).last_number)

    # when
    second = generate(user_a, org_a, operator_a)

    # then
    assert second.pk == first.pk
    assert (Invoice.objects.count(), InvoiceDocument.objects.count(),
            InvoiceNumberSequence.objects.get(organization=org_a).last_number) == before == (1, 1, 1)


def test_an_overlapping_later_period_bills_only_the_orders_not_billed_yet(user_a, org_a, operator_a, june_orders,
                                                                           outside_orders):
    # given: June billed
    june = generate(user_a, org_a, operator_a).invoice

    # when: 15/06 → 15/07
    later = generate(user_a, org_a, operator_a, period=(date(2026, 6, 15), date(2026, 7, 15))).invoice

    # then: only the July order; no order is on two invoices
    assert list(later.line_items.values_list("code", flat=True)) == ["CMD-JULY"]
    assert june.line_items.count() == 5
    billed = list(Order.objects.filter(invoice_line__isnull=False).values_list("invoice_line__invoice_id", flat=True))
    assert len(billed) == 6 and set(billed) == {june.pk, later.pk}
    assert InvoiceLineItem.objects.filter(line_id__in=[o.pk for o in june_orders]).count() == 5


def test_an_overlapping_period_with_nothing_new_is_no_orders(user_a, org_a, operator_a, june_orders):
    # given
    generate(user_a, org_a, operator_a)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator_a, period=(date(2026, 6, 10), date(2026, 6, 30)))
    assert errors_of(raised) == [("start_date", "NO_ORDERS")]


def test_the_same_period_in_another_format_is_a_document_of_the_same_invoice(user_a, org_a, operator_a, june_orders):
    # given
    json_document = generate(user_a, org_a, operator_a, fmt="json")

    # when
    xml_document = generate(user_a, org_a, operator_a, fmt="xml")

    # then
    assert xml_document.pk != json_document.pk
    assert (xml_document.invoice_id, xml_document.format, xml_document.operator_id) == (
        json_document.invoice_id, "xml", operator_a.pk)
    assert Invoice.objects.count() == 1


def test_after_a_failed_document_the_same_period_requests_a_new_one(user_a, org_a, operator_a, june_orders):
    # given
    failed = generate(user_a, org_a, operator_a)
    document_fail(failed.pk, code="RENDER", message="boom")

    # when
    again = generate(user_a, org_a, operator_a)

    # then
    assert again.pk != failed.pk
    assert (again.invoice_id, again.status) == (failed.invoice_id, DocumentStatus.PENDING)
    assert Invoice.objects.count() == 1


def test_an_operator_is_billed_with_the_tariffs_of_its_currency(user_a, org_a, operator_a, june_orders):
    # given: a Swiss operator; death notices have a CHF tariff, options do not yet
    operator = operator_update(actor=user_a, operator=operator_a, version=operator_a.version,
                               changes={"currency_code": "CHF"})
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator)
    assert errors_of(raised) == [("operator_id", "NO_TARIFF")]
    assert "no tariff in CHF" in raised.value.errors[0].message

    # when: CHF tariffs for every kind ordered
    for kind, price in ((OrderKind.DEATH_NOTICE, "99.00"), (OrderKind.NOTICE_PHOTO, "17.00"),
                        (OrderKind.NOTICE_PRINT, "55.00"), (OrderKind.ANNIVERSARY, "42.00")):
        tariff_create(actor=user_a, organization=org_a, data={
            "code": f"CHF-{kind}", "label": kind, "order_kind": kind, "unit_price": Decimal(price), "currency_code": "CHF",
            "tax_rule": FR_VAT_20.id, "date_valid_from": date(2026, 1, 1)})
    invoice = generate(user_a, org_a, operator).invoice

    # then: CHF prices on a CHF invoice (CMD-2 keeps its override)
    assert invoice.currency_code == "CHF"
    prices = dict(invoice.line_items.values_list("code", "unit_price"))
    assert prices == {"CMD-1": Decimal("99.0000"), "CMD-1-PHOTO": Decimal("17.0000"), "CMD-2": Decimal("79.0000"),
                      "CMD-2-PRESSE": Decimal("55.0000"), "CMD-3-ANNIV": Decimal("42.0000")}


def test_the_document_shows_the_operators_payment_terms_not_the_organisations(user_a, org_a, operator_a, june_orders):
    # given: the organisation pays at 30 days, this operator at 45
    operator = operator_update(actor=user_a, operator=operator_a, version=operator_a.version, changes={"payment_days": 45})
    assert org_a.payment_days == 30

    # when
    invoice = generate(user_a, org_a, operator).invoice
    snapshot = document_snapshot(invoice.pk)

    # then: due date and the terms printed agree
    assert invoice.date_due == invoice.date_invoice + timedelta(days=45)
    assert snapshot.payment_days == 45
    assert b"Paiement \xc3\xa0 45 jours" in render("xml", snapshot).content


def test_cancelling_an_invoice_frees_its_orders_for_a_corrected_invoice(user_a, org_a, operator_a, june_orders):
    # given: June billed, then cancelled by a credit note
    first = generate(user_a, org_a, operator_a)
    cancelled, credit = invoice_cancel(actor=user_a, invoice=first.invoice, reason="mauvais tarif")

    # then: its orders are unbilled again (one new version each), the credit note mirrors it
    assert cancelled.status == InvoiceStatus.CANCELLED and credit.document_type == DocumentType.CREDIT_NOTE
    assert Order.objects.filter(invoice_line__isnull=False).count() == 0
    assert all(order.version == 3 for order in Order.objects.all())  # created, billed, released
    assert Order.history.filter(history_change_reason="invoice_cancel").count() == 5

    # when: the same period is asked again
    again = generate(user_a, org_a, operator_a)

    # then: a new invoice bills the same five orders, not the cancelled invoice's document
    assert again.pk != first.pk and again.invoice_id not in (first.invoice_id, credit.pk)
    assert again.invoice.status == InvoiceStatus.VALIDATED and again.invoice.line_items.count() == 5
    assert set(Order.objects.values_list("invoice_line__invoice_id", flat=True)) == {again.invoice_id}
    assert again.invoice.amount_total == first.invoice.amount_total == -credit.amount_total


def test_a_failed_release_rolls_the_cancellation_back(user_a, org_a, operator_a, june_orders, monkeypatch):
    # given
    invoice = generate(user_a, org_a, operator_a).invoice

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("payment_module.services.billing.release_orders", broken)

    # when
    with pytest.raises(RuntimeError):
        invoice_cancel(actor=user_a, invoice=invoice)

    # then: nothing changed, no credit note
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VALIDATED
    assert Invoice.objects.filter(document_type=DocumentType.CREDIT_NOTE).count() == 0
    assert Order.objects.filter(invoice_line__invoice=invoice).count() == 5


def test_the_json_document_is_generated_at_once_in_eager_mode(user_a, org_a, operator_a, june_orders,
                                                              django_capture_on_commit_callbacks):
    # when: the task is enqueued when the transaction commits; eager mode runs it there
    with django_capture_on_commit_callbacks(execute=True):
        document = generate(user_a, org_a, operator_a)

    # then
    document.refresh_from_db()
    assert (document.status, document.content_type, document.error_code) == (
        DocumentStatus.CREATED, "application/json", "")
    with default_storage.open(document.storage_key, "rb") as stored:
        content = json.loads(stored.read())
    assert (content["number"], content["period"], content["buyer"]["name"], content["buyer"]["siren"]) == (
        document.invoice.code, {"start": "2026-06-01", "end": "2026-06-30"}, "Pompes Funèbres Léa Çelik", "812345676")
    assert [(line["code"], line["unit_price"], line["tax"]["code"]) for line in content["lines"]] == [
        ("CMD-1", "85.0000", "FR_VAT_20"), ("CMD-1-PHOTO", "15.0000", "FR_VAT_20"), ("CMD-2", "79.0000", "FR_VAT_20"),
        ("CMD-2-PRESSE", "145.0000", "FR_VAT_10"), ("CMD-3-ANNIV", "35.0000", "FR_VAT_DEBOURS"),
    ]
    assert content["totals"]["total"] == "568.80"


def test_an_idempotency_key_replays_the_request_and_refuses_another(user_a, org_a, operator_a, june_orders):
    # given
    first = generate(user_a, org_a, operator_a, idempotency_key="key-1")

    # when
    replay = generate(user_a, org_a, operator_a, idempotency_key="key-1")

    # then
    assert replay.pk == first.pk
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator_a, period=JULY, idempotency_key="key-1")
    assert errors_of(raised) == [("Idempotency-Key", "IDEMPOTENCY_CONFLICT")]


# ---------------------------------------------------------------------------------- refusals


def test_an_empty_period_is_no_orders_and_writes_nothing(user_a, org_a, operator_a, outside_orders):
    # when / then: no invoice, no number consumed
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator_a, period=(date(2026, 6, 1), date(2026, 6, 14)))
    assert errors_of(raised) == [("start_date", "NO_ORDERS")]
    assert not Invoice.objects.exists() and not InvoiceNumberSequence.objects.filter(last_number__gt=0).exists()


def test_end_before_start_is_invalid_period(user_a, org_a, operator_a, june_orders):
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator_a, period=(date(2026, 6, 30), date(2026, 6, 1)))
    assert errors_of(raised) == [("end_date", "INVALID_PERIOD")]


def test_a_missing_tariff_is_no_tariff_and_writes_nothing(user_a, org_a, operator_a, june_orders):
    # given: THANKS_NOTICE has no tariff
    make_order(user_a, operator_a, "CMD-MERCI", at("2026-06-29"), kind=OrderKind.THANKS_NOTICE)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator_a)
    assert errors_of(raised) == [("operator_id", "NO_TARIFF")]
    assert "CMD-MERCI" in raised.value.message and "29/06/2026" in raised.value.message


def test_an_order_before_every_tariff_is_no_tariff(user_a, org_a, operator_a, tariffs_a):
    make_order(user_a, operator_a, "CMD-OLD", at("2024-12-31"))
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator_a, period=(date(2024, 12, 1), date(2024, 12, 31)))
    assert errors_of(raised) == [("operator_id", "NO_TARIFF")]


def test_an_inactive_operator_is_refused(user_a, org_a, operator_a, june_orders):
    # given
    operator = operator_update(actor=user_a, operator=operator_a, version=operator_a.version, changes={"is_active": False})

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator)
    assert errors_of(raised) == [("operator_id", "OPERATOR_INACTIVE")]


def test_another_organisations_operator_cannot_be_used(user_a, org_a, user_b, operator_b, tariffs_b):
    # given: Org B's operator has June orders
    make_order(user_b, operator_b, "CMD-B-1", at("2026-06-10"))

    # when / then: Org A cannot bill them, and nothing is revealed
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator_b)
    assert errors_of(raised) == [("operator_id", "NOT_FOUND")]


def test_an_unknown_format_is_refused(user_a, org_a, operator_a, june_orders):
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate(user_a, org_a, operator_a, fmt="docx")
    assert errors_of(raised) == [("format", "INVALID_FORMAT")]


# ---------------------------------------------------------------------------------- every operator


def test_generate_for_period_bills_every_operator_with_unbilled_orders(user_a, org_a, operator_a, other_operator_a,
                                                                        june_orders, outside_orders, user_b,
                                                                        operator_b, tariffs_b):
    # given: Org B has June orders too; they are not Org A's to bill
    make_order(user_b, operator_b, "CMD-B-1", at("2026-06-10"))

    # when
    documents = generate_for_period(actor=user_a, organization=org_a, start_date=JUNE[0], end_date=JUNE[1], fmt="json")

    # then: one invoice per operator, by operator name
    assert [(d.operator.name, d.invoice.line_items.count()) for d in documents] == [
        ("Maison Funéraire Hervé & Fils", 1), ("Pompes Funèbres Léa Çelik", 5)]
    assert sorted(Invoice.objects.filter(organization=org_a).values_list("code", flat=True)) == [
        f"ORGA-{today().year}-000001", f"ORGA-{today().year}-000002"]
    assert not Invoice.objects.filter(organization__code="org-b").exists()
    assert Order.objects.get(reference="CMD-B-1").invoice_line_id is None


def test_generate_for_period_with_one_operator(user_a, org_a, operator_a, other_operator_a, june_orders,
                                              outside_orders):
    documents = generate_for_period(actor=user_a, organization=org_a, operator=other_operator_a,
                                    start_date=JUNE[0], end_date=JUNE[1], fmt="json")
    assert [d.operator_id for d in documents] == [other_operator_a.pk]
    assert Invoice.objects.count() == 1


def test_generate_for_period_without_orders_is_no_orders(user_a, org_a, operator_a, tariffs_a):
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate_for_period(actor=user_a, organization=org_a, start_date=JUNE[0], end_date=JUNE[1], fmt="json")
    assert errors_of(raised) == [("start_date", "NO_ORDERS")]


def test_generate_for_period_is_all_or_nothing(user_a, org_a, operator_a, other_operator_a, june_orders):
    # given: the second operator (by name) has an order without tariff
    make_order(user_a, operator_a, "CMD-MERCI", at("2026-06-29"), kind=OrderKind.THANKS_NOTICE)
    make_order(user_a, other_operator_a, "CMD-OTHER", at("2026-06-15"))

    # when / then: the first operator's invoice is rolled back too
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate_for_period(actor=user_a, organization=org_a, start_date=JUNE[0], end_date=JUNE[1], fmt="json")
    assert errors_of(raised) == [("operator_id", "NO_TARIFF")]
