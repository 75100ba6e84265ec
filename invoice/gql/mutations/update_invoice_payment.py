import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.inputs import InvoicePaymentInputFields
from invoice.gql.mutations import decode_id
from invoice.gql.types import InvoicePaymentGQLType
from invoice.selectors import payment_get
from invoice.services.payments import payment_update


class UpdateInvoicePaymentMutation(BaseMutation):
    """Edit a payment (e.g. refund it: status 2); the invoice status follows."""

    invoice_payment = graphene.Field(InvoicePaymentGQLType)

    class Input(InvoicePaymentInputFields):
        id = graphene.String(required=True)
        version = graphene.Int()

    class Meta:
        permissions = ("invoice.change_invoicepayment",)

    @classmethod
    def perform(cls, *, tenant, data):
        payment = payment_get(tenant.organization, decode_id(data.pop("id"), "id"))
        version = data.pop("version", None)
        payment = payment_update(actor=tenant.user, payment=payment, changes=data, version=version)
        return {"invoice_payment": payment, "internal_id": payment.id}
