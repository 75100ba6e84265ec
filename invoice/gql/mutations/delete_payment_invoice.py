from core.gql.mutations import BaseMutation
from invoice.gql.mutations.delete_invoice_payment import DeletePayments


class DeletePaymentInvoiceMutation(DeletePayments, BaseMutation):
    """openIMIS front end's payment deletion (payments tab): the same as deleteInvoicePayment."""

    class Meta:
        permissions = ("invoice.delete_invoicepayment",)
