import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.inputs import InvoicePaymentInputFields
from invoice.gql.mutations import decode_id
from invoice.gql.types import InvoicePaymentGQLType
from invoice.selectors import invoice_get
from invoice.services.payments import payment_record


class CreateInvoicePaymentMutation(BaseMutation):
    """Record a payment; accepted payments covering the total mark the invoice PAID."""

    invoice_payment = graphene.Field(InvoicePaymentGQLType)

    class Input(InvoicePaymentInputFields):
        invoice_id = graphene.String(required=True)

    class Meta:
        permissions = ("invoice.add_invoicepayment",)

    @classmethod
    def perform(cls, *, tenant, data):
        invoice = invoice_get(tenant.organization, decode_id(data.pop("invoice_id"), "invoiceId"), field="invoiceId")
        payment = payment_record(actor=tenant.user, invoice=invoice, data=data)
        return {"invoice_payment": payment, "internal_id": payment.id}
