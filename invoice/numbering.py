"""Gap-free invoice numbers: PREFIX-YYYY-NNNNNN per organisation and year.

The sequence row is locked (SELECT … FOR UPDATE) in the caller's transaction: concurrent
validations queue on it, and a rolled-back validation gives its number back."""
from __future__ import annotations

import re
from datetime import date

from django.db.models import Max

from invoice.constants import ISSUED_STATUSES, NUMBER_WIDTH
from invoice.models import Invoice, InvoiceNumberSequence


def lock_sequence(organization, year: int) -> InvoiceNumberSequence:
    """The series' row, locked for the rest of the transaction: issuers of the series queue here,
    so what they read after it (last_issue_date) is what the previous one committed."""
    InvoiceNumberSequence.objects.bulk_create(
        [InvoiceNumberSequence(organization=organization, year=year, last_number=0)], ignore_conflicts=True
    )
    return InvoiceNumberSequence.objects.select_for_update().get(organization=organization, year=year)


def last_issue_date(organization, year: int) -> date | None:
    """The latest issue date of the series' numbered invoices and credit notes (read under its lock)."""
    return (Invoice.objects.filter(organization=organization, status__in=ISSUED_STATUSES,
                                   date_invoice__gte=date(year, 1, 1), date_invoice__lte=date(year, 12, 31))
            .exclude(code="").aggregate(last=Max("date_invoice"))["last"])


def take_number(organization, sequence: InvoiceNumberSequence) -> str:
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return format_number(organization.invoice_number_prefix, sequence.year, sequence.last_number)


def next_number(organization, year: int) -> str:
    return take_number(organization, lock_sequence(organization, year))


def format_number(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:0{NUMBER_WIDTH}d}"


def is_series_number(prefix: str, code: str) -> bool:
    """Whether `code` has the shape of a number of this series (PREFIX-YYYY-digits): such codes are
    only given at validation, or a draft holding one would block the sequence when it gets there."""
    return re.fullmatch(rf"{re.escape(prefix)}-\d{{4}}-\d+", code.strip(), flags=re.IGNORECASE) is not None
