import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.inputs import InvoiceInputFields
from invoice.gql.types import InvoiceGQLType
from invoice.services.invoices import invoice_create


class CreateInvoiceMutation(BaseMutation):
    """Create a draft invoice. Its amounts come from its lines; its number from validation."""

    invoice = graphene.Field(InvoiceGQLType)

    class Input(InvoiceInputFields):
        pass

    class Meta:
        permissions = ("invoice.add_invoice",)

    @classmethod
    def perform(cls, *, tenant, data):
        invoice = invoice_create(actor=tenant.user, organization=tenant.organization, data=data)
        return {"invoice": invoice, "internal_id": invoice.id}
