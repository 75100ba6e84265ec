import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.inputs import InvoiceInputFields
from invoice.gql.mutations import decode_id
from invoice.gql.types import InvoiceGQLType
from invoice.selectors import invoice_get
from invoice.services.invoices import invoice_update


class UpdateInvoiceMutation(BaseMutation):
    """Change a draft's header. `version` (optional) guards against concurrent edits."""

    invoice = graphene.Field(InvoiceGQLType)

    class Input(InvoiceInputFields):
        id = graphene.String(required=True)
        version = graphene.Int()

    class Meta:
        permissions = ("invoice.change_invoice",)

    @classmethod
    def perform(cls, *, tenant, data):
        invoice = invoice_get(tenant.organization, decode_id(data.pop("id"), "id"))
        version = data.pop("version", None)
        invoice = invoice_update(actor=tenant.user, invoice=invoice, changes=data, version=version)
        return {"invoice": invoice, "internal_id": invoice.id}
