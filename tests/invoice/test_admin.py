"""The invoice admin is read-mostly: pages render, a non-draft is view-only, lines are never
editable, a draft's free-text fields are saved with history, nothing is deleted or reverted."""
from __future__ import annotations

import pytest
from django.urls import reverse

from invoice.constants import InvoiceStatus
from invoice.models import (
    Invoice,
    InvoiceEvent,
    InvoiceLineItem,
    InvoiceNumberSequence,
    InvoicePayment,
)
from invoice.services.payments import payment_record
from tests.invoice.helpers import make_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(user_a, org_a) -> Invoice:
    return make_draft(actor=user_a, organization=org_a, note="first note")


def _change_url(invoice: Invoice) -> str:
    return reverse("admin:invoice_invoice_change", args=(invoice.pk,))


def test_changelist_renders(admin_client, validated_invoice, draft):
    response = admin_client.get(reverse("admin:invoice_invoice_changelist"))

    assert response.status_code == 200
    assert validated_invoice.code in response.content.decode()


@pytest.mark.parametrize("query", ["?status__exact=1", "?document_type__exact=INVOICE", "?q=ORGA"])
def test_changelist_filters_and_search(admin_client, validated_invoice, query):
    response = admin_client.get(reverse("admin:invoice_invoice_changelist") + query)

    assert response.status_code == 200
    assert validated_invoice.code in response.content.decode()


def test_validated_invoice_page_is_view_only(admin_client, validated_invoice):
    # when
    response = admin_client.get(_change_url(validated_invoice))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "Avis de décès" in html  # its lines are shown…
    assert 'name="line_items-0-quantity"' not in html  # …but not as inputs
    assert 'name="line_items-0-unit_price"' not in html
    assert 'name="note"' not in html
    assert 'name="_save"' not in html


def test_draft_page_edits_only_free_text_fields(admin_client, draft):
    # when
    response = admin_client.get(_change_url(draft))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("note", "terms", "code_tp", "code_ext"):
        assert f'name="{name}"' in html
    for name in ("code", "status", "amount_total", "date_invoice", "currency_code"):
        assert f'name="{name}"' not in html
    assert 'name="line_items-0-quantity"' not in html
    assert 'name="line_items-TOTAL_FORMS"' in html  # the inline is there, read-only


def _management_data(invoice: Invoice) -> dict:
    data = {}
    for prefix, model in (("line_items", InvoiceLineItem), ("payments", InvoicePayment), ("events", InvoiceEvent)):
        count = model.objects.filter(invoice=invoice).count()
        data.update({f"{prefix}-TOTAL_FORMS": str(count), f"{prefix}-INITIAL_FORMS": str(count),
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    return data


def test_saving_a_draft_goes_through_history(admin_client, draft):
    # given
    version, events = draft.version, draft.events.count()
    data = {"note": "changed in the admin", "terms": draft.terms, "code_tp": "TP-1", "code_ext": draft.code_ext,
            **_management_data(draft)}
    # when
    response = admin_client.post(_change_url(draft), data)
    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert (draft.note, draft.code_tp, draft.version) == ("changed in the admin", "TP-1", version + 1)
    assert draft.user_updated == admin_client.superuser
    record = draft.history.latest("history_date")
    assert (record.history_change_reason, record.history_user) == ("admin_change", admin_client.superuser)
    assert draft.events.count() == events


def test_posting_to_a_validated_invoice_is_refused(admin_client, validated_invoice):
    # given
    version = validated_invoice.version
    # when
    response = admin_client.post(_change_url(validated_invoice), {"note": "sneaky", **_management_data(validated_invoice)})
    # then
    assert response.status_code == 403
    validated_invoice.refresh_from_db()
    assert (validated_invoice.note, validated_invoice.version) == ("", version)


def test_no_add_or_delete(admin_client, draft):
    assert admin_client.get(reverse("admin:invoice_invoice_add")).status_code == 403
    assert admin_client.get(reverse("admin:invoice_invoice_delete", args=(draft.pk,))).status_code == 403
    assert admin_client.post(reverse("admin:invoice_invoice_delete", args=(draft.pk,)), {"post": "yes"}).status_code == 403
    draft.refresh_from_db()
    assert (draft.is_deleted, draft.status) == (False, InvoiceStatus.DRAFT)


def test_history_lists_versions_with_changed_fields(admin_client, validated_invoice):
    # when
    response = admin_client.get(reverse("admin:invoice_invoice_history", args=(validated_invoice.pk,)))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "invoice_validate" in html
    assert "(created)" in html
    assert "status" in html and "code" in html and "payment_reference" in html


def test_reverting_a_version_is_refused(admin_client, validated_invoice):
    first = validated_invoice.history.earliest("history_date")
    url = reverse("admin:invoice_invoice_simple_history", args=(validated_invoice.pk, first.history_id))

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"note": "x"}).status_code == 403
    validated_invoice.refresh_from_db()
    assert validated_invoice.status == InvoiceStatus.VALIDATED


def test_payment_event_and_sequence_admins_are_read_only(admin_client, user_a, validated_invoice):
    # given
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "10.00"})
    event = validated_invoice.events.first()
    sequence = InvoiceNumberSequence.objects.get()
    # then
    for name, obj in (("invoicepayment", payment), ("invoiceevent", event), ("invoicenumbersequence", sequence)):
        assert admin_client.get(reverse(f"admin:invoice_{name}_changelist")).status_code == 200
        page = admin_client.get(reverse(f"admin:invoice_{name}_change", args=(obj.pk,)))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert admin_client.get(reverse(f"admin:invoice_{name}_add")).status_code == 403
        assert admin_client.post(reverse(f"admin:invoice_{name}_delete", args=(obj.pk,)), {"post": "yes"}).status_code == 403
