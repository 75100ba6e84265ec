from enum import Enum


class InvoiceErrorCode(Enum):
    ILLEGAL_TRANSITION = "illegal_transition"
    NOT_EDITABLE = "not_editable"
    NOT_DELETABLE = "not_deletable"
    NOT_PAYABLE = "not_payable"
    DEDUCTION_EXCEEDS_GROSS = "deduction_exceeds_gross"
    NO_LINES = "no_lines"
    INVALID_PERIOD = "invalid_period"
    NOT_OWN_MESSAGE = "not_own_message"
    NOT_A_MESSAGE = "not_a_message"
    HAS_PAYMENTS = "has_payments"
    DUPLICATE_CODE = "duplicate_code"
    RESERVED_CODE = "reserved_code"
    INVALID_FORMAT = "invalid_format"
    NOT_ISSUED = "not_issued"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    DOCUMENT_PENDING = "document_pending"
    DOCUMENT_FAILED = "document_failed"
    # Issuing an invoice (validation, credit notes): invoice.validation.ensure_issuable
    BUYER_REQUIRED = "buyer_required"
    BUYER_TYPE_NOT_ALLOWED = "buyer_type_not_allowed"
    BUYER_INCOMPLETE = "buyer_incomplete"
    BUYER_NO_ELECTRONIC_ADDRESS = "buyer_no_electronic_address"
    LINE_WITHOUT_PRICE = "line_without_price"
    ZERO_TOTAL = "zero_total"
    DATE_IN_FUTURE = "date_in_future"
    NOT_CHRONOLOGICAL = "not_chronological"
    DUE_BEFORE_ISSUE = "due_before_issue"
    # Payments: invoice.validation.ensure_payment_fits and ensure_payment_amounts
    OVERPAYMENT = "overpayment"
    ZERO_PAYMENT = "zero_payment"
