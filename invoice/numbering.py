"""Gap-free invoice numbers: PREFIX-YYYY-NNNNNN per organisation and year.

The sequence row is locked (SELECT … FOR UPDATE) in the caller's transaction: concurrent
validations queue on it, and a rolled-back validation gives its number back."""
from __future__ import annotations

from invoice.constants import NUMBER_WIDTH
from invoice.models import InvoiceNumberSequence


def next_number(organization, year: int) -> str:
    InvoiceNumberSequence.objects.bulk_create(
        [InvoiceNumberSequence(organization=organization, year=year, last_number=0)], ignore_conflicts=True
    )
    sequence = InvoiceNumberSequence.objects.select_for_update().get(organization=organization, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return format_number(organization.invoice_number_prefix, year, sequence.last_number)


def format_number(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:0{NUMBER_WIDTH}d}"
