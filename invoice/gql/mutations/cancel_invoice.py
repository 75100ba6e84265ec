import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.mutations import decode_id
from invoice.gql.types import InvoiceGQLType
from invoice.selectors import invoice_get
from invoice.services.invoices import invoice_cancel


class CancelInvoiceMutation(BaseMutation):
    """Cancel an issued invoice by issuing its credit note (returned as `creditNote`)."""

    invoice = graphene.Field(InvoiceGQLType)
    credit_note = graphene.Field(InvoiceGQLType)

    class Input:
        id = graphene.String(required=True)
        version = graphene.Int()
        reason = graphene.String()

    class Meta:
        permissions = ("invoice.cancel_invoice",)

    @classmethod
    def perform(cls, *, tenant, data):
        invoice = invoice_get(tenant.organization, decode_id(data["id"], "id"))
        invoice, credit_note = invoice_cancel(
            actor=tenant.user, invoice=invoice, version=data.get("version"), reason=data.get("reason") or ""
        )
        return {"invoice": invoice, "credit_note": credit_note, "internal_id": credit_note.id}
