"""operator_create / operator_update / tariff_create / order_create: every bad field is reported
at once with its camelCase name and code, and nothing is written; good input is saved with
history (actor, reason, version)."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.calculation import FR_VAT_5_5, FR_VAT_10, FR_VAT_20, FR_VAT_EXEMPT
from core.errors import DomainError
from core.services.organizations import RuleInput, calculation_rule_create
from payment_module.constants import OrderKind
from payment_module.models import Operator, Order, Tariff
from payment_module.services.operators import (
    operator_create,
    operator_update,
    order_create,
    tariff_create,
)
from tests.payment_module.helpers import (
    OPERATOR_DATA,
    OTHER_OPERATOR_DATA,
    at,
    errors_of,
    make_operator,
    make_order,
    make_tariffs,
    nothing_written,
)

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------- operators


def test_operator_create_normalises_and_records_history(user_a, org_a):
    # when
    operator = operator_create(actor=user_a, organization=org_a, data={
        **OPERATOR_DATA, "name": "  Pompes Funèbres Léa Çelik ", "siren": "812 345 676", "siret": "812 345 676 00017",
        "vat_number": "fr19 812345676", "currency_code": "eur", "country_code": "fr",
    })

    # then
    operator.refresh_from_db()
    assert (operator.organization, operator.name, operator.siren, operator.siret, operator.vat_number,
            operator.currency_code, operator.country_code, operator.payment_days, operator.is_active) == (
        org_a, "Pompes Funèbres Léa Çelik", "812345676", "81234567600017", "FR19812345676", "EUR", "FR", 45, True)
    assert (operator.version, operator.user_created, operator.user_updated) == (1, user_a, user_a)
    record = operator.history.get()
    assert (record.history_type, record.history_change_reason, record.history_user) == ("+", "operator_create", user_a)


def test_operator_create_with_the_minimum_takes_the_defaults(user_a, org_a):
    operator = operator_create(actor=user_a, organization=org_a, data={"code": "pf-1", "name": "PF Une", "email": None})
    assert (operator.siren, operator.email, operator.currency_code, operator.payment_days, operator.country_code) == (
        "", "", "EUR", 30, "FR")


BAD_OPERATORS = [
    pytest.param({"code": ""}, [("code", "REQUIRED")], id="code-blank"),
    pytest.param({"code": "pf léa"}, [("code", "INVALID")], id="code-not-a-slug"),
    pytest.param({"code": "x" * 51}, [("code", "TOO_LONG")], id="code-too-long"),
    pytest.param({"name": "   "}, [("name", "REQUIRED")], id="name-blank"),
    pytest.param({"name": "N" * 256}, [("name", "TOO_LONG")], id="name-too-long"),
    pytest.param({"name": 42}, [("name", "INVALID")], id="name-not-text"),
    pytest.param({"siren": "812345677"}, [("siren", "INVALID_SIREN")], id="siren-key"),
    pytest.param({"siren": "81234567"}, [("siren", "INVALID_SIREN")], id="siren-length"),
    pytest.param({"siret": "81234567600018"}, [("siret", "INVALID_SIRET")], id="siret-key"),
    pytest.param({"vat_number": "FR20812345676"}, [("vatNumber", "INVALID_VAT_NUMBER")], id="vat-key"),
    pytest.param({"vat_number": "F1"}, [("vatNumber", "INVALID_VAT_NUMBER")], id="vat-format"),
    pytest.param({"currency_code": "EURO"}, [("currencyCode", "INVALID_CURRENCY")], id="currency"),
    pytest.param({"email": "contact-at-pf"}, [("email", "INVALID")], id="email"),
    pytest.param({"payment_days": 61}, [("paymentDays", "OUT_OF_RANGE")], id="payment-days-61"),
    pytest.param({"payment_days": -1}, [("paymentDays", "OUT_OF_RANGE")], id="payment-days-negative"),
    pytest.param({"country_code": "FRA"}, [("countryCode", "INVALID")], id="country"),
    pytest.param({"siret": "79245813500011"}, [("siret", "INVALID")], id="siret-of-another-siren"),
    pytest.param({"vat_number": "FR59792458135"}, [("vatNumber", "INVALID")], id="vat-of-another-siren"),
    pytest.param(
        {"code": "", "siren": "123", "vat_number": "FR00000000000", "currency_code": "XXX1", "email": "@",
         "payment_days": 90},
        [("code", "REQUIRED"), ("siren", "INVALID_SIREN"), ("vatNumber", "INVALID_VAT_NUMBER"), ("email", "INVALID"),
         ("currencyCode", "INVALID_CURRENCY"), ("paymentDays", "OUT_OF_RANGE")],
        id="every-error-at-once",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), BAD_OPERATORS)
def test_operator_create_rejects_bad_input_and_writes_nothing(user_a, org_a, changes, expected):
    with nothing_written(), pytest.raises(DomainError) as raised:
        operator_create(actor=user_a, organization=org_a, data={**OPERATOR_DATA, **changes})
    assert errors_of(raised) == expected


def test_payment_days_bounds_are_accepted(user_a, org_a):
    assert make_operator(user_a, org_a, code="cash", payment_days=0).payment_days == 0
    assert make_operator(user_a, org_a, code="sixty", payment_days=60).payment_days == 60


def test_operator_code_is_unique_per_organisation(user_a, org_a, user_b, org_b):
    # given
    make_operator(user_a, org_a)

    # when / then: again in Org A is a duplicate; in Org B it is fine
    with nothing_written(), pytest.raises(DomainError) as raised:
        make_operator(user_a, org_a, name="Autre nom")
    assert errors_of(raised) == [("code", "DUPLICATE")]
    assert make_operator(user_b, org_b).organization == org_b


def test_operator_update_changes_fields_with_a_new_version(user_a, org_a, operator_a):
    # when
    updated = operator_update(actor=user_a, operator=operator_a, version=1, changes={
        "name": "PF Léa Çelik & Associés", "payment_days": 30, "email": "compta@pf-celik.test"})

    # then
    updated.refresh_from_db()
    assert (updated.name, updated.payment_days, updated.email, updated.version, updated.siren) == (
        "PF Léa Çelik & Associés", 30, "compta@pf-celik.test", 2, "812345676")
    record = updated.history.latest()
    assert (record.history_change_reason, record.history_user) == ("operator_update", user_a)
    assert [(c.field, c.old, c.new) for c in record.diff_against(record.prev_record).changes
            if c.field in ("name", "payment_days")] == [
        ("name", "Pompes Funèbres Léa Çelik", "PF Léa Çelik & Associés"), ("payment_days", 45, 30)]


def test_operator_update_without_a_change_keeps_the_version(user_a, operator_a):
    updated = operator_update(actor=user_a, operator=operator_a, version=1, changes={"name": operator_a.name})
    assert (updated.version, updated.history.count()) == (1, 1)


BAD_UPDATES = [
    pytest.param({"name": None}, [("name", "REQUIRED")], id="null-name"),
    pytest.param({"payment_days": None}, [("paymentDays", "REQUIRED")], id="null-payment-days"),
    pytest.param({"payment_days": 75}, [("paymentDays", "OUT_OF_RANGE")], id="payment-days"),
    pytest.param({"siren": "792458135"}, [("siret", "INVALID"), ("vatNumber", "INVALID")], id="siren-of-other-ids"),
    pytest.param({"siret": "00000000000001"}, [("siret", "INVALID_SIRET")], id="siret-key"),
    pytest.param({"currency_code": "ZZZ"}, [("currencyCode", "INVALID_CURRENCY")], id="currency"),
    pytest.param({"email": "pas un e-mail"}, [("email", "INVALID")], id="email"),
    pytest.param({"is_active": "yes"}, [("isActive", "INVALID")], id="is-active"),
]


@pytest.mark.parametrize(("changes", "expected"), BAD_UPDATES)
def test_operator_update_rejects_bad_input_and_writes_nothing(user_a, operator_a, changes, expected):
    with nothing_written(), pytest.raises(DomainError) as raised:
        operator_update(actor=user_a, operator=operator_a, version=1, changes=changes)
    assert errors_of(raised) == expected


def test_operator_update_with_a_stale_version_is_refused(user_a, operator_a):
    operator_update(actor=user_a, operator=operator_a, version=1, changes={"city": "Paris 11e"})
    with nothing_written(), pytest.raises(DomainError) as raised:
        operator_update(actor=user_a, operator=operator_a, version=1, changes={"city": "Paris"})
    assert errors_of(raised) == [("version", "STALE_VERSION")]


def test_operator_update_to_another_operators_code_is_a_duplicate(user_a, org_a, operator_a, other_operator_a):
    with nothing_written(), pytest.raises(DomainError) as raised:
        operator_update(actor=user_a, operator=other_operator_a, version=1, changes={"code": operator_a.code})
    assert errors_of(raised) == [("code", "DUPLICATE")]


def test_operator_update_refuses_unknown_fields(user_a, operator_a):
    with nothing_written(), pytest.raises(DomainError) as raised:
        operator_update(actor=user_a, operator=operator_a, version=1, changes={"organization_id": uuid.uuid4()})
    assert errors_of(raised) == [(None, "INVALID")]


# ---------------------------------------------------------------------------------- tariffs


def tariff_data(**changes) -> dict:
    return {"code": "AVIS", "label": "Avis de décès", "order_kind": OrderKind.DEATH_NOTICE,
            "unit_price": Decimal("89.00"), "tax_rule": FR_VAT_20.id, "ledger_account": "706100",
            "date_valid_from": date(2026, 7, 1), "date_valid_to": None, **changes}


def test_tariff_create_saves_with_history(user_a, org_a):
    # when
    tariff = tariff_create(actor=user_a, organization=org_a, data=tariff_data(tax_rule=str(FR_VAT_10.id)))

    # then
    tariff.refresh_from_db()
    assert (tariff.organization, tariff.order_kind, tariff.unit_price, tariff.tax_rule, tariff.date_valid_from,
            tariff.date_valid_to, tariff.version) == (
        org_a, "death_notice", Decimal("89.0000"), FR_VAT_10.id, date(2026, 7, 1), None, 1)
    assert tariff.history.get().history_change_reason == "tariff_create"


def test_a_tariff_may_use_the_organisations_own_rule_and_a_zero_price(user_a, org_a):
    setting = calculation_rule_create(actor=user_a, organization=org_a,
                                      data=RuleInput(code="DOM", label="TVA DOM 8,5 %", rate=Decimal("0.085")))
    tariff = tariff_create(actor=user_a, organization=org_a, data=tariff_data(tax_rule=setting.id, unit_price=Decimal(0)))
    assert (tariff.tax_rule, tariff.unit_price) == (setting.id, Decimal(0))


BAD_TARIFFS = [
    pytest.param({"unit_price": Decimal("-0.01")}, [("unitPrice", "OUT_OF_RANGE")], id="negative-price"),
    pytest.param({"unit_price": "abc"}, [("unitPrice", "INVALID")], id="price-not-a-number"),
    pytest.param({"unit_price": Decimal("1.00001")}, [("unitPrice", "INVALID")], id="price-5-decimals"),
    pytest.param({"unit_price": None}, [("unitPrice", "REQUIRED")], id="price-missing"),
    pytest.param({"tax_rule": uuid.UUID(int=7)}, [("taxRule", "UNKNOWN_TAX_RULE")], id="unknown-rule"),
    pytest.param({"tax_rule": "TVA20"}, [("taxRule", "UNKNOWN_TAX_RULE")], id="rule-not-a-uuid"),
    pytest.param({"tax_rule": None}, [("taxRule", "REQUIRED")], id="rule-missing"),
    pytest.param({"order_kind": "obituary"}, [("orderKind", "INVALID")], id="unknown-kind"),
    pytest.param({"code": ""}, [("code", "REQUIRED")], id="code-blank"),
    pytest.param({"label": "L" * 256}, [("label", "TOO_LONG")], id="label-too-long"),
    pytest.param({"date_valid_from": None}, [("dateValidFrom", "REQUIRED")], id="no-start"),
    pytest.param({"date_valid_to": date(2026, 6, 30)}, [("dateValidTo", "INVALID_PERIOD")], id="end-before-start"),
    pytest.param({"currency_code": "EURO"}, [("currencyCode", "INVALID_CURRENCY")], id="currency-not-iso"),
    pytest.param({"currency_code": "XYZ"}, [("currencyCode", "INVALID_CURRENCY")], id="currency-unknown"),
    pytest.param({"unit_price": Decimal(-1), "tax_rule": uuid.UUID(int=7), "order_kind": ""},
                 [("orderKind", "REQUIRED"), ("unitPrice", "OUT_OF_RANGE"), ("taxRule", "UNKNOWN_TAX_RULE")],
                 id="every-error-at-once"),
]


@pytest.mark.parametrize(("changes", "expected"), BAD_TARIFFS)
def test_tariff_create_rejects_bad_input_and_writes_nothing(user_a, org_a, changes, expected):
    with nothing_written(), pytest.raises(DomainError) as raised:
        tariff_create(actor=user_a, organization=org_a, data=tariff_data(**changes))
    assert errors_of(raised) == expected


def test_another_organisations_rule_is_unknown(user_a, org_a, user_b, org_b):
    setting_b = calculation_rule_create(actor=user_b, organization=org_b,
                                        data=RuleInput(code="B", label="TVA B", rate=Decimal("0.07")))
    with nothing_written(), pytest.raises(DomainError) as raised:
        tariff_create(actor=user_a, organization=org_a, data=tariff_data(tax_rule=setting_b.id))
    assert errors_of(raised) == [("taxRule", "UNKNOWN_TAX_RULE")]


# Existing death-notice tariffs: 85.00 from 01/01/2025 to 30/06/2026, 89.00 from 01/07/2026 (open).
OVERLAPS = [
    pytest.param(date(2026, 8, 1), None, id="inside-the-open-one"),
    pytest.param(date(2026, 6, 1), date(2026, 6, 15), id="inside-a-closed-one"),
    pytest.param(date(2024, 1, 1), date(2025, 1, 1), id="ends-on-the-first-day"),
    pytest.param(date(2024, 1, 1), None, id="open-from-before"),
    pytest.param(date(2026, 6, 30), date(2026, 6, 30), id="last-day-of-a-closed-one"),
]


@pytest.mark.parametrize(("start", "end"), OVERLAPS)
def test_an_overlapping_tariff_of_the_same_kind_is_refused(user_a, org_a, tariffs_a, start, end):
    with nothing_written(), pytest.raises(DomainError) as raised:
        tariff_create(actor=user_a, organization=org_a, data=tariff_data(date_valid_from=start, date_valid_to=end))
    assert errors_of(raised) == [("dateValidFrom", "OVERLAPPING_TARIFF")]


def test_adjacent_periods_other_kinds_and_other_organisations_do_not_overlap(user_a, org_a, user_b, org_b):
    # given
    tariff_create(actor=user_a, organization=org_a, data=tariff_data(
        date_valid_from=date(2025, 1, 1), date_valid_to=date(2026, 6, 30), unit_price=Decimal("85.00")))

    # when: the next day, another kind, another organisation, a period before
    created = [
        tariff_create(actor=user_a, organization=org_a, data=tariff_data()),
        tariff_create(actor=user_a, organization=org_a, data=tariff_data(
            order_kind=OrderKind.THANKS_NOTICE, date_valid_from=date(2025, 1, 1), tax_rule=FR_VAT_5_5.id)),
        tariff_create(actor=user_b, organization=org_b, data=tariff_data(date_valid_from=date(2020, 1, 1))),
        tariff_create(actor=user_a, organization=org_a, data=tariff_data(
            date_valid_from=date(2024, 1, 1), date_valid_to=date(2024, 12, 31))),
    ]

    # then
    assert len(created) == 4
    assert Tariff.objects.filter(organization=org_a, order_kind=OrderKind.DEATH_NOTICE).count() == 3


def test_a_tariff_is_in_the_organisations_currency_unless_told_and_currencies_do_not_overlap(user_a, org_a, tariffs_a):
    # when: the same kind and period as an existing EUR tariff, in Swiss francs; then one by default
    chf = tariff_create(actor=user_a, organization=org_a, data=tariff_data(currency_code=" chf ", unit_price=Decimal(95)))
    default = tariff_create(actor=user_a, organization=org_a, data=tariff_data(
        order_kind=OrderKind.THANKS_NOTICE, tax_rule=FR_VAT_5_5.id))

    # then
    assert (chf.currency_code, default.currency_code) == ("CHF", org_a.currency_code) == ("CHF", "EUR")
    with nothing_written(), pytest.raises(DomainError) as raised:
        tariff_create(actor=user_a, organization=org_a, data=tariff_data(currency_code="CHF",
                                                                           date_valid_from=date(2027, 1, 1)))
    assert errors_of(raised) == [("dateValidFrom", "OVERLAPPING_TARIFF")]


def test_a_deleted_tariff_does_not_block_a_new_one(user_a, org_a):
    old = tariff_create(actor=user_a, organization=org_a, data=tariff_data(tax_rule=FR_VAT_EXEMPT.id))
    Tariff.objects.filter(pk=old.pk).update(is_deleted=True)
    assert tariff_create(actor=user_a, organization=org_a, data=tariff_data()).pk != old.pk


# ---------------------------------------------------------------------------------- orders


def test_order_create_saves_with_history(user_a, org_a, operator_a):
    # when
    order = order_create(actor=user_a, organization=org_a, data={
        "operator_id": str(operator_a.pk), "kind": OrderKind.NOTICE_PRINT, "reference": " CMD-42 ",
        "description": "Parution dans Le Progrès", "ordered_at": at("2026-06-10", 9, 30),
        "quantity": Decimal(2), "options": {"newspaper": "Le Progrès"}, "amount_override": Decimal("120.50"),
    })

    # then
    order.refresh_from_db()
    assert (order.organization, order.operator, order.kind, order.reference, order.quantity, order.options,
            order.amount_override, order.invoice_line, order.version) == (
        org_a, operator_a, "notice_print", "CMD-42", Decimal("2.000"), {"newspaper": "Le Progrès"},
        Decimal("120.5000"), None, 1)
    assert timezone.localtime(order.ordered_at).strftime("%d/%m/%Y %H:%M") == "10/06/2026 09:30"
    record = order.history.get()
    assert (record.history_change_reason, record.history_user) == ("order_create", user_a)


def test_order_quantity_defaults_to_one_and_a_naive_time_is_the_servers(user_a, org_a, operator_a):
    order = order_create(actor=user_a, organization=org_a, data={
        "operator": operator_a, "kind": OrderKind.DEATH_NOTICE, "reference": "CMD-1",
        "ordered_at": datetime(2026, 7, 1, 0, 30)})
    assert order.quantity == Decimal(1)
    assert timezone.localtime(order.ordered_at).date() == date(2026, 7, 1)


def order_data(operator, **changes) -> dict:
    return {"operator_id": operator.pk, "kind": OrderKind.DEATH_NOTICE, "reference": "CMD-1",
            "ordered_at": at("2026-06-10"), **changes}


BAD_ORDERS = [
    pytest.param({"quantity": Decimal(0)}, [("quantity", "OUT_OF_RANGE")], id="quantity-zero"),
    pytest.param({"quantity": Decimal(-1)}, [("quantity", "OUT_OF_RANGE")], id="quantity-negative"),
    pytest.param({"quantity": Decimal("1.0001")}, [("quantity", "INVALID")], id="quantity-4-decimals"),
    pytest.param({"amount_override": Decimal(-5)}, [("amountOverride", "OUT_OF_RANGE")], id="negative-override"),
    pytest.param({"kind": "obituary"}, [("kind", "INVALID")], id="unknown-kind"),
    pytest.param({"reference": " "}, [("reference", "REQUIRED")], id="reference-blank"),
    pytest.param({"reference": "R" * 101}, [("reference", "TOO_LONG")], id="reference-too-long"),
    pytest.param({"ordered_at": None}, [("orderedAt", "REQUIRED")], id="no-time"),
    pytest.param({"ordered_at": "2026-06-10"}, [("orderedAt", "INVALID")], id="time-not-a-datetime"),
    pytest.param({"options": ["photo"]}, [("options", "INVALID")], id="options-not-an-object"),
    pytest.param({"operator_id": None}, [("operatorId", "REQUIRED")], id="no-operator"),
    pytest.param({"operator_id": uuid.UUID(int=3)}, [("operatorId", "NOT_FOUND")], id="unknown-operator"),
    pytest.param({"operator_id": "not-a-uuid"}, [("operatorId", "NOT_FOUND")], id="malformed-operator"),
    pytest.param({"operator_id": uuid.UUID(int=3), "quantity": Decimal(0), "kind": None},
                 [("operatorId", "NOT_FOUND"), ("kind", "REQUIRED"), ("quantity", "OUT_OF_RANGE")],
                 id="every-error-at-once"),
]


@pytest.mark.parametrize(("changes", "expected"), BAD_ORDERS)
def test_order_create_rejects_bad_input_and_writes_nothing(user_a, org_a, operator_a, changes, expected):
    with nothing_written(), pytest.raises(DomainError) as raised:
        order_create(actor=user_a, organization=org_a, data=order_data(operator_a, **changes))
    assert errors_of(raised) == expected


def test_order_reference_is_unique_per_organisation(user_a, org_a, operator_a, user_b, org_b, operator_b):
    # given
    make_order(user_a, operator_a, "CMD-1", at("2026-06-10"))

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        make_order(user_a, operator_a, "CMD-1", at("2026-06-11"))
    assert errors_of(raised) == [("reference", "DUPLICATE")]
    assert make_order(user_b, operator_b, "CMD-1", at("2026-06-11")).organization == org_b


def test_an_order_for_another_organisations_operator_is_not_found(user_a, org_a, operator_b):
    with nothing_written(), pytest.raises(DomainError) as raised:
        order_create(actor=user_a, organization=org_a, data=order_data(operator_b))
    assert errors_of(raised) == [("operatorId", "NOT_FOUND")]
    with nothing_written(), pytest.raises(DomainError) as raised:
        order_create(actor=user_a, organization=org_a, data={**order_data(operator_b), "operator": operator_b})
    assert errors_of(raised) == [("operatorId", "NOT_FOUND")]


def test_an_inactive_operator_takes_no_new_order(user_a, org_a, operator_a):
    operator = operator_update(actor=user_a, operator=operator_a, version=1, changes={"is_active": False})
    with nothing_written(), pytest.raises(DomainError) as raised:
        order_create(actor=user_a, organization=org_a, data=order_data(operator))
    assert errors_of(raised) == [("operatorId", "OPERATOR_INACTIVE")]


def test_orders_of_both_organisations_stay_apart(user_a, org_a, operator_a, user_b, org_b, operator_b):
    make_tariffs(user_a, org_a)
    make_order(user_a, operator_a, "CMD-A", at("2026-06-10"))
    make_order(user_b, operator_b, "CMD-B", at("2026-06-10"))
    assert list(Order.objects.filter(organization=org_a).values_list("reference", flat=True)) == ["CMD-A"]
    assert Operator.objects.filter(code=OPERATOR_DATA["code"]).count() == 2
    assert OTHER_OPERATOR_DATA["code"] not in Operator.objects.values_list("code", flat=True)
