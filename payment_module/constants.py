from django.db import models


class OrderKind(models.TextChoices):
    """What a déclarant orders: a death notice publication and its options."""

    DEATH_NOTICE = "death_notice", "Avis de décès"
    NOTICE_PHOTO = "notice_photo", "Option photo"
    NOTICE_FRAME = "notice_frame", "Option cadre / mise en valeur"
    NOTICE_PRINT = "notice_print", "Parution presse"
    THANKS_NOTICE = "thanks_notice", "Remerciements"
    ANNIVERSARY = "anniversary", "Avis anniversaire"


class StatementFormat(models.TextChoices):
    """Bank statement file formats import_bank_statement reads."""

    CAMT053 = "camt053", "ISO 20022 camt.053 (XML)"
    CSV = "csv", "CSV (configurable columns)"


class MatchStatus(models.TextChoices):
    """What became of one statement line. `duplicate` is a report status only: a line whose entry
    reference was already imported is not stored again (the stored line is the first import's)."""

    MATCHED = "matched", "matched: payment recorded"
    UNMATCHED = "unmatched", "unmatched"
    AMBIGUOUS = "ambiguous", "ambiguous: several invoices fit"
    IGNORED_DEBIT = "ignored_debit", "debit: not a payment"
    DUPLICATE = "duplicate", "already imported"


class MatchRule(models.TextChoices):
    """Which rule found the invoice of a line (tried in this order, the first that finds any
    candidate decides)."""

    PAYMENT_REFERENCE = "payment_reference", "invoice payment reference"
    INVOICE_NUMBER = "invoice_number", "invoice number in the remittance text"
    AMOUNT = "amount", "unique open invoice of the debtor with that amount due"


class MatchReason(models.TextChoices):
    """Why a line is not matched (stored as `reason_code`, with a readable `reason`)."""

    NO_CANDIDATE = "no_candidate", "no invoice found by reference, number or amount"
    AMBIGUOUS = "ambiguous", "several invoices fit"
    OVERPAYMENT = "overpayment", "larger than what remains due"
    NOT_PAYABLE = "not_payable", "the invoice takes no payment"
    CURRENCY_MISMATCH = "currency_mismatch", "not the invoice's currency"
    REFUSED = "refused", "refused by the payment rules"
    DEBIT = "debit", "a debit"
