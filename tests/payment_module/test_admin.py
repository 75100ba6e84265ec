"""The billing source's admin: pages render; operators and tariffs are written through the
services (their errors shown on the form); orders are read-only, filterable, linked to the
invoice line that billed them; nothing is deleted or reverted."""
from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from core.calculation import FR_VAT_20
from payment_module.models import Operator, Order, Tariff
from payment_module.services.billing import generate_operator_invoice
from tests.payment_module.helpers import OPERATOR_DATA, at, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(user_a, org_a, operator_a, tariffs_a):
    """Two June orders billed on one invoice, one July order not billed."""
    make_order(user_a, operator_a, "CMD-1", at("2026-06-10"))
    make_order(user_a, operator_a, "CMD-2", at("2026-06-11"))
    make_order(user_a, operator_a, "CMD-3", at("2026-07-02"))
    return generate_operator_invoice(actor=user_a, organization=org_a, operator=operator_a,
                                     start_date=date(2026, 6, 1), end_date=date(2026, 6, 30), fmt="json").invoice


def operator_form(org, **changes) -> dict:
    data = {key: value for key, value in OPERATOR_DATA.items()}
    data.update({"organization": str(org.pk), "country_code": "FR", "address_line2": "", "is_active": "on", **changes})
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("name", ["operator", "tariff", "order"])
def test_changelists_and_add_pages_render(admin_client, billed, name):
    assert admin_client.get(reverse(f"admin:payment_module_{name}_changelist")).status_code == 200
    expected = 403 if name == "order" else 200
    assert admin_client.get(reverse(f"admin:payment_module_{name}_add")).status_code == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("?billed=yes", ["CMD-1", "CMD-2"]), ("?billed=no", ["CMD-3"]), ("?kind__exact=death_notice", ["CMD-1", "CMD-2", "CMD-3"]),
])
def test_orders_filter_by_billed_and_kind(admin_client, billed, query, expected):
    response = admin_client.get(reverse("admin:payment_module_order_changelist") + query)
    assert response.status_code == 200
    shown = sorted(order.reference for order in response.context["cl"].result_list)
    assert shown == expected


def test_orders_filter_by_operator(admin_client, billed, operator_a):
    response = admin_client.get(reverse("admin:payment_module_order_changelist") + f"?operator__id__exact={operator_a.pk}")
    assert response.status_code == 200 and response.context["cl"].result_count == 3


def test_an_order_page_is_read_only_and_links_its_invoice_line(admin_client, billed):
    # given
    order = Order.objects.get(reference="CMD-1")

    # when
    response = admin_client.get(reverse("admin:payment_module_order_change", args=(order.pk,)))

    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("admin:invoice_invoice_change", args=(billed.pk,)) in content
    assert billed.code in content
    assert admin_client.post(reverse("admin:payment_module_order_change", args=(order.pk,)),
                             {"reference": "X"}).status_code == 403
    assert Order.objects.get(pk=order.pk).reference == "CMD-1"
    assert admin_client.get(reverse("admin:payment_module_order_delete", args=(order.pk,))).status_code == 403


def test_adding_an_operator_goes_through_the_service(admin_client, org_a):
    # when
    response = admin_client.post(reverse("admin:payment_module_operator_add"), operator_form(org_a, vat_number="fr19812345676"))

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    operator = Operator.objects.get()
    assert (operator.organization, operator.vat_number, operator.user_created) == (
        org_a, "FR19812345676", admin_client.superuser)
    assert operator.history.get().history_change_reason == "operator_create"


def test_the_admin_form_shows_the_services_errors(admin_client, org_a):
    response = admin_client.post(reverse("admin:payment_module_operator_add"),
                                 operator_form(org_a, siren="812345677", payment_days="90"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"siren", "payment_days"}
    assert "INVALID_SIREN" in errors["siren"][0] and "OUT_OF_RANGE" in errors["payment_days"][0]
    assert not Operator.objects.exists()


def test_changing_an_operator_goes_through_the_service(admin_client, org_a, operator_a):
    # when
    data = operator_form(org_a, city="Paris 11e")
    data.pop("organization")
    response = admin_client.post(reverse("admin:payment_module_operator_change", args=(operator_a.pk,)), data)

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    operator_a.refresh_from_db()
    assert (operator_a.city, operator_a.version, operator_a.organization) == ("Paris 11e", 2, org_a)
    record = operator_a.history.latest()
    assert (record.history_change_reason, record.history_user) == ("operator_update", admin_client.superuser)


def test_adding_a_tariff_goes_through_the_service_and_tariffs_are_then_read_only(admin_client, org_a, tariffs_a):
    # given
    url = reverse("admin:payment_module_tariff_add")
    form = {"organization": str(org_a.pk), "code": "MERCI", "label": "Remerciements", "order_kind": "thanks_notice",
            "unit_price": "45.00", "tax_rule": str(FR_VAT_20.id), "ledger_account": "706100",
            "date_valid_from": "2026-01-01", "date_valid_to": ""}

    # when
    response = admin_client.post(url, form)
    overlap = admin_client.post(url, {**form, "code": "MERCI-2", "date_valid_from": "2026-06-01"})

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    tariff = Tariff.objects.get(code="MERCI")
    assert (tariff.tax_rule, tariff.history.get().history_change_reason) == (FR_VAT_20.id, "tariff_create")
    assert overlap.status_code == 200
    assert "OVERLAPPING_TARIFF" in str(overlap.context["adminform"].form.errors)
    change = reverse("admin:payment_module_tariff_change", args=(tariff.pk,))
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {**form, "unit_price": "1"}).status_code == 403
    assert Tariff.objects.get(pk=tariff.pk).unit_price == 45


def test_history_pages_render_and_reverting_is_refused(admin_client, operator_a):
    record = operator_a.history.get()
    assert admin_client.get(reverse("admin:payment_module_operator_history", args=(operator_a.pk,))).status_code == 200
    url = reverse("admin:payment_module_operator_simple_history", args=(operator_a.pk, record.history_id))
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"name": "x"}).status_code == 403


def test_operator_users_are_listed_read_only_and_their_tokens_never_shown(admin_client, org_a, user_a, operator_a):
    from payment_module.services.operator_users import invite_operator_user

    link, token = invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email="pf@portail.test")
    listing = admin_client.get(reverse("admin:payment_module_operatoruser_changelist"))
    page = admin_client.get(reverse("admin:payment_module_operatoruser_change", args=[link.pk]))
    assert listing.status_code == page.status_code == 200 and b"pf@portail.test" in listing.content
    assert token.encode() not in page.content and link.token_hash.encode() not in page.content
    assert admin_client.get(reverse("admin:payment_module_operatoruser_add")).status_code == 403
