import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.mutations import decode_id
from invoice.gql.types import InvoiceGQLType
from invoice.selectors import invoice_get
from invoice.services.invoices import invoice_validate


class ValidateInvoiceMutation(BaseMutation):
    """Issue a draft: totals frozen, number PREFIX-YYYY-NNNNNN assigned (gap-free)."""

    invoice = graphene.Field(InvoiceGQLType)

    class Input:
        id = graphene.String(required=True)
        version = graphene.Int()

    class Meta:
        permissions = ("invoice.validate_invoice",)

    @classmethod
    def perform(cls, *, tenant, data):
        invoice = invoice_get(tenant.organization, decode_id(data["id"], "id"))
        invoice = invoice_validate(actor=tenant.user, invoice=invoice, version=data.get("version"))
        return {"invoice": invoice, "internal_id": invoice.id}
