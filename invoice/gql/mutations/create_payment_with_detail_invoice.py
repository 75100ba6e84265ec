import graphene

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.gql.mutations import BaseMutation
from core.money import to_decimal
from invoice.gql.mutations import decode_id
from invoice.gql.types import PaymentInvoiceGQLType
from invoice.selectors import invoice_get
from invoice.services.payments import payment_record


class CreatePaymentWithDetailInvoiceMutation(BaseMutation):
    """openIMIS front end's "add payment" (payments tab): a payment of the invoice `subjectId`.
    `amountReceived` is what reached the bank; `fees` were taken on the way, so the amount
    matched against the invoice (`amountPayed`) is amountReceived + fees."""

    payment_invoice = graphene.Field(PaymentInvoiceGQLType)

    class Input:
        subject_id = graphene.String(required=True)
        subject_type = graphene.String(default_value="invoice")
        status = graphene.Int()
        reconciliation_status = graphene.Int()
        code_ext = graphene.String()
        label = graphene.String()
        code_tp = graphene.String()
        code_receipt = graphene.String()
        fees = graphene.Decimal()
        amount_received = graphene.Decimal()
        date_payment = graphene.Date()
        payment_origin = graphene.String()
        payer_ref = graphene.String()
        payer_name = graphene.String()
        overpayment = graphene.Boolean(description="accept it beyond the invoice's total (the excess is owed back)")

    class Meta:
        permissions = ("invoice.add_invoicepayment",)

    @classmethod
    def perform(cls, *, tenant, data):
        subject_type = (data.pop("subject_type", None) or "invoice").strip().lower()
        if subject_type != "invoice":
            raise DomainError(CoreErrorCode.UNKNOWN_PICKER_TYPE, f"payments can only be made to invoices, got {subject_type!r}",
                              "subjectType")
        invoice = invoice_get(tenant.organization, decode_id(data.pop("subject_id"), "subjectId"), field="subjectId")
        received, fees = data.get("amount_received"), data.get("fees")
        if received is not None:
            data["amount_payed"] = to_decimal(received) + (to_decimal(fees) if fees is not None else 0)
        payment = payment_record(actor=tenant.user, invoice=invoice, data=data)
        return {"payment_invoice": payment, "internal_id": payment.id}
