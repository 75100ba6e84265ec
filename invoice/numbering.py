"""Gap-free invoice numbers: PREFIX-YYYY-NNNNNN per organisation and year.

The sequence row is locked (SELECT … FOR UPDATE) in the caller's transaction: concurrent
validations queue on it, and a rolled-back validation gives its number back."""
from __future__ import annotations

import re

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


def is_series_number(prefix: str, code: str) -> bool:
    """Whether `code` has the shape of a number of this series (PREFIX-YYYY-digits): such codes are
    only given at validation, or a draft holding one would block the sequence when it gets there."""
    return re.fullmatch(rf"{re.escape(prefix)}-\d{{4}}-\d+", code.strip(), flags=re.IGNORECASE) is not None
