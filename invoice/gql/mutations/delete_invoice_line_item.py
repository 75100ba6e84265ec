import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.mutations import for_each_uuid
from invoice.selectors import line_get
from invoice.services.lines import line_remove


class DeleteInvoiceLineItemMutation(BaseMutation):
    """Remove lines of drafts (all or none)."""

    class Input:
        uuids = graphene.List(graphene.String, required=True)

    class Meta:
        permissions = ("invoice.delete_invoicelineitem",)

    @classmethod
    def perform(cls, *, tenant, data):
        removed = for_each_uuid(
            data["uuids"],
            lambda pk, field: line_remove(actor=tenant.user, line=line_get(tenant.organization, pk, field=field)),
        )
        return {"internal_id": removed[0].id if len(removed) == 1 else None}
