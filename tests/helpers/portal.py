"""An operator user billed by two organisations, and everything they must not see: built through
the services (invitation, acceptance, invoices, payments, events), for the portal's tests."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.models import User
from invoice.constants import EventType
from invoice.models import Invoice, InvoiceDocument
from invoice.services.events import event_message_create, event_record
from invoice.services.invoices import invoice_cancel, invoice_delete, invoice_transition
from invoice.services.payments import payment_record
from invoice.storage import checksum, document_key
from payment_module.services.operator_users import (
    accept_operator_invitation,
    invite_operator_user,
)
from tests.invoice.helpers import buyer_data, make_buyer, make_draft, make_validated

PASSWORD = "portal-pass-123"
PDF = b"%PDF-1.4 portal test file"
LINE = ({"code": "AVIS", "description": "Avis de deces portail", "quantity": "1", "unit_price": "100.00",
         "ledger_account": "706-INTERNE"},)


def issued(actor, organization, operator_code, **data) -> Invoice:
    return make_validated(actor=actor, organization=organization, lines=LINE,
                          **buyer_data(organization, code=operator_code, name=f"PF {operator_code}"), **data)


def created_document(invoice: Invoice, fmt: str = "pdf", content: bytes = PDF) -> InvoiceDocument:
    key = document_key(invoice.organization_id, 2026, invoice.code, fmt)
    default_storage.save(key, ContentFile(content))
    return InvoiceDocument.objects.create(
        organization=invoice.organization, invoice=invoice, format=fmt, status="created", storage_key=key,
        content_type="application/pdf", checksum=checksum(content), size=len(content))


def operator_user(actor, organization, operator, email: str, *, accept: bool = True, user=None):
    link, token = invite_operator_user(actor=actor, organization=organization, operator=operator, email=email)
    if accept:
        link = accept_operator_invitation(token=token, password=PASSWORD, user=user)
    return link, token


def make_portal(org_a, org_b, user_a, user_b) -> SimpleNamespace:
    """`portal@…` accepted invitations to pf-mine-a (Org A) and pf-mine-b (Org B); a pending one to
    pf-pending-a. Theirs: at each organisation an issued invoice (the Org A one with a created PDF, a
    payment, a message to them, a staff note and every other event type), a paid one, a cancelled one
    and its credit note. Not theirs: drafts and deleted invoices of their operators, the other
    operators' invoices, the pending operator's."""
    mine_a, mine_b = make_buyer(org_a, code="pf-mine-a", name="PF Mine A"), make_buyer(org_b, code="pf-mine-b",
                                                                                        name="PF Mine B")
    other_a, pending_a = make_buyer(org_a, code="pf-other-a", name="PF Other A"), make_buyer(org_a, code="pf-pending-a",
                                                                                            name="PF Pending A")
    other_b = make_buyer(org_b, code="pf-other-b", name="PF Other B")
    link_a, _ = operator_user(user_a, org_a, mine_a, "portal@molink.test")
    user = link_a.user
    link_b, _ = operator_user(user_b, org_b, mine_b, "portal@molink.test", user=user)
    operator_user(user_a, org_a, pending_a, "portal@molink.test", accept=False)

    open_a = issued(user_a, org_a, "pf-mine-a", note="Note interne Alpha", code_ext="EXT-INTERNE-A")
    payment_record(actor=user_a, invoice=open_a, data={"amount_payed": Decimal("20.00"), "code_ext": "VIR-INTERNE-A"})
    open_a.refresh_from_db()
    document_a = created_document(open_a)
    message = event_message_create(actor=user_a, invoice=open_a, message="Message pour le client A", to_customer=True)
    event_message_create(actor=user_a, invoice=open_a, message="Note du personnel A")
    event_record(invoice=open_a, event_type=EventType.WARNING, message="Avertissement interne A")
    paid_a = issued(user_a, org_a, "pf-mine-a")
    payment_record(actor=user_a, invoice=paid_a, data={"amount_payed": paid_a.amount_total})
    cancelled_a, credit_a = invoice_cancel(actor=user_a, invoice=issued(user_a, org_a, "pf-mine-a"),
                                           reason="Annulation interne A")
    open_b = issued(user_b, org_b, "pf-mine-b")
    suspended_b = invoice_transition(actor=user_b, invoice=issued(user_b, org_b, "pf-mine-b"), action="suspend")

    draft_a = make_draft(actor=user_a, organization=org_a, lines=LINE, **buyer_data(org_a, code="pf-mine-a"))
    deleted_a = invoice_delete(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a, lines=LINE,
                                                                **buyer_data(org_a, code="pf-mine-a")))
    others = [issued(user_a, org_a, "pf-other-a"), issued(user_a, org_a, "pf-pending-a"),
              issued(user_b, org_b, "pf-other-b")]
    other_document = created_document(others[0])
    mine = [open_a, paid_a, Invoice.objects.get(pk=cancelled_a.pk), credit_a, open_b, suspended_b]
    return SimpleNamespace(
        user=User.objects.get(pk=user.pk), links=(link_a, link_b), operators=(mine_a, mine_b), other_a=other_a,
        other_b=other_b, pending_a=pending_a, mine=mine, open_a=Invoice.objects.get(pk=open_a.pk), open_b=open_b,
        suspended_b=suspended_b, document_a=document_a, message=message, draft_a=draft_a, deleted_a=deleted_a,
        others=others, other_document=other_document)
