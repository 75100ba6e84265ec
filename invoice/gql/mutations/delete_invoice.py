import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.mutations import for_each_uuid
from invoice.selectors import invoice_get
from invoice.services.invoices import invoice_delete


class DeleteInvoiceMutation(BaseMutation):
    """Soft-delete unpaid drafts (all or none). Issued invoices are cancelled instead."""

    class Input:
        uuids = graphene.List(graphene.String, required=True)

    class Meta:
        permissions = ("invoice.delete_invoice",)

    @classmethod
    def perform(cls, *, tenant, data):
        deleted = for_each_uuid(
            data["uuids"],
            lambda pk, field: invoice_delete(actor=tenant.user, invoice=invoice_get(tenant.organization, pk, field=field)),
        )
        return {"internal_id": deleted[0].id if len(deleted) == 1 else None}
