import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.mutations import for_each_uuid
from invoice.selectors import payment_get
from invoice.services.payments import payment_delete


class DeletePayments:
    """Input and work shared by deleteInvoicePayment and openIMIS's deletePaymentInvoice."""

    class Input:
        uuids = graphene.List(graphene.String, required=True)

    @classmethod
    def perform(cls, *, tenant, data):
        removed = for_each_uuid(
            data["uuids"],
            lambda pk, field: payment_delete(actor=tenant.user, payment=payment_get(tenant.organization, pk, field=field)),
        )
        return {"internal_id": removed[0].id if len(removed) == 1 else None}


class DeleteInvoicePaymentMutation(DeletePayments, BaseMutation):
    """Delete payments (soft; all or none); the invoice status follows."""

    class Meta:
        permissions = ("invoice.delete_invoicepayment",)
