import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.documents import InvoiceDocumentGQLType
from invoice.gql.mutations import decode_id
from invoice.selectors import invoice_get
from invoice.services.documents import document_request


class GenerateInvoiceDocumentMutation(BaseMutation):
    """Request a file of an issued invoice (pdf, json, xml, facturx): a pending document whose
    generation runs asynchronously; the same request again returns the same document."""

    invoice_document = graphene.Field(InvoiceDocumentGQLType)

    class Input:
        invoice_id = graphene.String(required=True)
        format = graphene.String(required=True)

    class Meta:
        permissions = ("invoice.add_invoicedocument",)

    @classmethod
    def perform(cls, *, tenant, data):
        invoice = invoice_get(tenant.organization, decode_id(data["invoice_id"], "invoiceId"), field="invoiceId")
        document = document_request(actor=tenant.user, organization=tenant.organization, invoice=invoice,
                                    fmt=data["format"])
        return {"invoice_document": document, "internal_id": document.id}
