"""Mutation input fields (openIMIS names). Amounts are Decimal strings; derived amounts, status
and numbers are never accepted from clients."""
import graphene


class InvoiceInputFields:
    subject_type = graphene.String(description="picker type code (e.g. organization), model name or ContentType id")
    subject_id = graphene.String()
    thirdparty_type = graphene.String()
    thirdparty_id = graphene.String()
    code = graphene.String()
    code_tp = graphene.String()
    code_ext = graphene.String()
    date_due = graphene.Date()
    date_invoice = graphene.Date()
    date_valid_from = graphene.Date()
    date_valid_to = graphene.Date()
    currency_code = graphene.String()
    currency_tp_code = graphene.String()
    note = graphene.String()
    terms = graphene.String()
    payment_reference = graphene.String()
    zero_total_reason = graphene.String(description="why an invoice totalling 0 is issued (required to validate one)")
    json_ext = graphene.JSONString()


class InvoiceLineItemInputFields:
    code = graphene.String()
    description = graphene.String()
    details = graphene.String(description="JSON text, or plain text stored as {\"text\": …}")
    ledger_account = graphene.String()
    quantity = graphene.Decimal()
    unit_price = graphene.Decimal()
    discount = graphene.Decimal(description="a fraction in [0, 1]")
    deduction = graphene.Decimal()
    tax_rate = graphene.String(description="UUID of a calculation rule (calculationRules)")
    line_type = graphene.String()
    line_id = graphene.String()
    date_valid_from = graphene.Date()
    date_valid_to = graphene.Date()
    json_ext = graphene.JSONString()


class InvoicePaymentInputFields:
    status = graphene.Int(description="REJECTED 0, ACCEPTED 1, REFUNDED 2, CANCELLED 3")
    code_ext = graphene.String()
    label = graphene.String()
    code_rcp = graphene.String()
    code_receipt = graphene.String()
    code_tp = graphene.String()
    payment_origin = graphene.String()
    payer_ref = graphene.String()
    payer_name = graphene.String()
    reconciliation_status = graphene.Int(description="NOT_RECONCILIATED 0, RECONCILIATED 1, REFUNDED 2, CANCELLED 3")
    amount_payed = graphene.Decimal()
    fees = graphene.Decimal()
    amount_received = graphene.Decimal()
    date_payment = graphene.Date(description="not after today (default: today)")
    overpayment = graphene.Boolean(description="accept this payment beyond the invoice's total: the excess is owed "
                                               "back to the buyer (Invoice.amountToRefund); without it such a payment "
                                               "is refused (OVERPAYMENT)")
    json_ext = graphene.JSONString()
