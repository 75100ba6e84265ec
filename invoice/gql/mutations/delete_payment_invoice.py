import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.mutations import for_each_uuid
from invoice.selectors import payment_get
from invoice.services.payments import payment_delete


class DeletePaymentInvoiceMutation(BaseMutation):
    """openIMIS front end's payment deletion (payments tab); same as deleteInvoicePayment."""

    class Input:
        uuids = graphene.List(graphene.String, required=True)

    class Meta:
        permissions = ("invoice.delete_invoicepayment",)

    @classmethod
    def perform(cls, *, tenant, data):
        removed = for_each_uuid(
            data["uuids"],
            lambda pk, field: payment_delete(actor=tenant.user, payment=payment_get(tenant.organization, pk, field=field)),
        )
        return {"internal_id": removed[0].id if len(removed) == 1 else None}
