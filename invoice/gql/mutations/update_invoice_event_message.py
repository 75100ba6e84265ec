import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.mutations import decode_id
from invoice.gql.types import InvoiceEventGQLType
from invoice.selectors import event_get
from invoice.services.events import event_message_update


class UpdateInvoiceEventMessageMutation(BaseMutation):
    """Edit one of your own messages (history is kept)."""

    invoice_event = graphene.Field(InvoiceEventGQLType)

    class Input:
        id = graphene.String(required=True)
        message = graphene.String(required=True)
        version = graphene.Int()

    class Meta:
        permissions = ("invoice.change_invoiceevent",)

    @classmethod
    def perform(cls, *, tenant, data):
        event = event_get(tenant.organization, decode_id(data["id"], "id"))
        event = event_message_update(actor=tenant.user, event=event, message=data["message"], version=data.get("version"))
        return {"invoice_event": event, "internal_id": event.id}
