import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.mutations import decode_id
from invoice.gql.types import InvoiceEventGQLType
from invoice.selectors import invoice_get
from invoice.services.events import event_message_create


class CreateInvoiceEventMessageMutation(BaseMutation):
    """Write a message in an invoice's events tab: a staff note, or a message to the customer."""

    invoice_event = graphene.Field(InvoiceEventGQLType)

    class Input:
        invoice_id = graphene.String(required=True)
        message = graphene.String(required=True)
        event_type = graphene.Int(description="ignored: messages are always MESSAGE (0)")
        visible_to_customer = graphene.Boolean(description="addressed to the invoice's customer (its thirdparty): "
                                                           "shown in their portal (myInvoices); default false, a "
                                                           "staff note")

    class Meta:
        permissions = ("invoice.add_invoiceevent",)

    @classmethod
    def perform(cls, *, tenant, data):
        invoice = invoice_get(tenant.organization, decode_id(data["invoice_id"], "invoiceId"), field="invoiceId")
        event = event_message_create(actor=tenant.user, invoice=invoice, message=data["message"],
                                     to_customer=bool(data.get("visible_to_customer")))
        return {"invoice_event": event, "internal_id": event.id}
