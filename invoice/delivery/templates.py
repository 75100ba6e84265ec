"""The e-mail an invoice goes out with: per-organisation subject and body templates (blank: the
default of the organisation's language, French or English). A template names values in braces,
`{invoice_number}`; nothing else is evaluated, so an organisation's template cannot reach
anything but these values. An unknown name is refused when the template is saved."""
from __future__ import annotations

import re

from core.money import minor_units, quantize

PLACEHOLDERS = {
    "invoice_number": "the invoice's number",
    "invoice_date": "its issue date (dd/mm/yyyy)",
    "due_date": "its due date (dd/mm/yyyy)",
    "amount_total": "its total, e.g. 1 234,50",
    "currency": "its currency code",
    "organization": "the organisation's name",
    "buyer": "the operator's name",
    "document_kind": "facture / avoir (invoice / credit note)",
    "amount_due": "what remains to be paid, e.g. 289,50",
}
_FIELD = re.compile(r"\{([a-z_]+)\}")
_BRACED = re.compile(r"\{([^{}]*)\}")

DEFAULTS = {
    "fr": {
        "subject": "{organization} — {document_kind} {invoice_number}",
        "body": ("Bonjour,\n\n"
                 "Veuillez trouver ci-joint notre {document_kind} {invoice_number} du {invoice_date}, "
                 "d'un montant de {amount_total} {currency}, à régler avant le {due_date}.\n\n"
                 "Pour toute question, répondez simplement à ce message.\n\n"
                 "Cordialement,\n{organization}\n"),
        "kinds": {"INVOICE": "facture", "CREDIT_NOTE": "avoir"},
        "reminder_subject": "{organization} — relance : facture {invoice_number} échue le {due_date}",
        "reminder_body": ("Bonjour,\n\n"
                          "Sauf erreur de notre part, notre facture {invoice_number} du {invoice_date}, échue le "
                          "{due_date}, reste impayée : {amount_due} {currency} restent dus.\n\n"
                          "Si vous l'avez réglée entre-temps, merci de ne pas tenir compte de ce message. "
                          "Pour toute question, répondez simplement à ce message.\n\n"
                          "Cordialement,\n{organization}\n"),
    },
    "en": {
        "subject": "{organization} — {document_kind} {invoice_number}",
        "body": ("Hello,\n\n"
                 "Please find attached our {document_kind} {invoice_number} of {invoice_date}, "
                 "for {amount_total} {currency}, due by {due_date}.\n\n"
                 "If you have any question, simply reply to this message.\n\n"
                 "Kind regards,\n{organization}\n"),
        "kinds": {"INVOICE": "invoice", "CREDIT_NOTE": "credit note"},
        "reminder_subject": "{organization} — reminder: invoice {invoice_number} was due on {due_date}",
        "reminder_body": ("Hello,\n\n"
                          "Unless we are mistaken, our invoice {invoice_number} of {invoice_date}, due on {due_date}, "
                          "is still unpaid: {amount_due} {currency} remain due.\n\n"
                          "If you have paid it in the meantime, please disregard this message. If you have any "
                          "question, simply reply to this message.\n\n"
                          "Kind regards,\n{organization}\n"),
    },
}


def names_in(text: str) -> list[str]:
    """The placeholder names a text uses: `{year}` → "year"."""
    return _FIELD.findall(text or "")


def unknown_placeholders(template: str) -> list[str]:
    return sorted({name for name in _BRACED.findall(template or "") if name not in PLACEHOLDERS})


def fill(template: str, values: dict[str, str]) -> str:
    return _FIELD.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _amount(value, currency: str, language: str) -> str:
    if language == "fr":
        from invoice.renderers.pdf import format_number  # the PDF's own French notation

        return format_number(value, places=minor_units(currency))
    return f"{quantize(value, currency):,}"


def values_of(invoice, buyer_name: str, language: str) -> dict[str, str]:
    kinds = DEFAULTS[language]["kinds"]
    return {
        "invoice_number": invoice.code,
        "invoice_date": _date(invoice.date_invoice),
        "due_date": _date(invoice.date_due),
        "amount_total": _amount(invoice.amount_total, invoice.currency_code, language),
        "currency": invoice.currency_code,
        "organization": invoice.organization.name,
        "buyer": buyer_name,
        "document_kind": kinds.get(invoice.document_type, kinds["INVOICE"]),
        "amount_due": _amount(invoice.amount_total - invoice.amount_payed, invoice.currency_code, language),
    }


def message_of(settings_row, invoice, buyer_name: str, *, reminder: bool = False) -> tuple[str, str]:
    """(subject, body) of the mail of `invoice` under an organisation's settings: the invoice's
    own mail, or (`reminder`) the reminder of an overdue invoice."""
    language = settings_row.email_language if settings_row.email_language in DEFAULTS else "fr"
    values = values_of(invoice, buyer_name, language)
    if reminder:
        subject = fill(DEFAULTS[language]["reminder_subject"], values)
        body = fill(DEFAULTS[language]["reminder_body"], values)
        return " ".join(subject.split()), body
    subject = fill(settings_row.email_subject or DEFAULTS[language]["subject"], values)
    body = fill(settings_row.email_body or DEFAULTS[language]["body"], values)
    return " ".join(subject.split()), body  # a subject is one line
