import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.inputs import InvoiceLineItemInputFields
from invoice.gql.mutations import decode_id
from invoice.gql.types import InvoiceLineItemGQLType
from invoice.selectors import invoice_get
from invoice.services.lines import line_add


class CreateInvoiceLineItemMutation(BaseMutation):
    """Add a line to a draft; the line and invoice amounts are recomputed by the server."""

    invoice_line_item = graphene.Field(InvoiceLineItemGQLType)

    class Input(InvoiceLineItemInputFields):
        invoice_id = graphene.String(required=True)

    class Meta:
        permissions = ("invoice.add_invoicelineitem",)

    @classmethod
    def perform(cls, *, tenant, data):
        invoice = invoice_get(tenant.organization, decode_id(data.pop("invoice_id"), "invoiceId"), field="invoiceId")
        line = line_add(actor=tenant.user, invoice=invoice, data=data)
        return {"invoice_line_item": line, "internal_id": line.id}
