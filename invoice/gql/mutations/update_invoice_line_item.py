import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.inputs import InvoiceLineItemInputFields
from invoice.gql.mutations import decode_id
from invoice.gql.types import InvoiceLineItemGQLType
from invoice.selectors import line_get
from invoice.services.lines import line_update


class UpdateInvoiceLineItemMutation(BaseMutation):
    invoice_line_item = graphene.Field(InvoiceLineItemGQLType)

    class Input(InvoiceLineItemInputFields):
        id = graphene.String(required=True)
        version = graphene.Int()

    class Meta:
        permissions = ("invoice.change_invoicelineitem",)

    @classmethod
    def perform(cls, *, tenant, data):
        line = line_get(tenant.organization, decode_id(data.pop("id"), "id"))
        version = data.pop("version", None)
        line = line_update(actor=tenant.user, line=line, changes=data, version=version)
        return {"invoice_line_item": line, "internal_id": line.id}
