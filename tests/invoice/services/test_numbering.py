"""Gap-free numbers PREFIX-YYYY-NNNNNN per organisation and year, from a locked sequence row; a
rolled-back transaction gives its number back. (Concurrency: tests/integration.)"""
from __future__ import annotations

import pytest
from django.db import transaction

from invoice.models import InvoiceNumberSequence
from invoice.numbering import format_number, next_number


@pytest.mark.parametrize(
    ("prefix", "year", "number", "expected"),
    [("ORGA", 2026, 1, "ORGA-2026-000001"), ("FAC", 2027, 42, "FAC-2027-000042"),
     ("X_1", 2026, 999999, "X_1-2026-999999"), ("X", 2026, 1234567, "X-2026-1234567")],
)
def test_format_number(prefix, year, number, expected):
    assert format_number(prefix, year, number) == expected


def test_the_first_number_creates_the_sequence(org_a):
    # when
    number = next_number(org_a, 2026)

    # then
    assert number == "ORGA-2026-000001"
    assert list(InvoiceNumberSequence.objects.values_list("organization_id", "year", "last_number")) == [
        (org_a.pk, 2026, 1)
    ]


def test_numbers_follow_each_other(org_a):
    # when
    numbers = [next_number(org_a, 2026) for _ in range(3)]

    # then
    assert numbers == ["ORGA-2026-000001", "ORGA-2026-000002", "ORGA-2026-000003"]
    assert InvoiceNumberSequence.objects.get(organization=org_a, year=2026).last_number == 3


def test_each_organisation_and_year_has_its_own_series(org_a, org_b):
    # when
    numbers = [next_number(org_a, 2026), next_number(org_a, 2027), next_number(org_b, 2026), next_number(org_a, 2026)]

    # then
    assert numbers == ["ORGA-2026-000001", "ORGA-2027-000001", "ORGB-2026-000001", "ORGA-2026-000002"]


def test_the_prefix_is_the_organisations_current_one(org_a):
    # given
    next_number(org_a, 2026)
    org_a.invoice_number_prefix = "FAC"
    org_a.save()

    # when / then
    assert next_number(org_a, 2026) == "FAC-2026-000002"


def test_a_rolled_back_number_is_given_back(org_a):
    # given
    next_number(org_a, 2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number(org_a, 2026) == "ORGA-2026-000002"
        raise RuntimeError("validation failed after numbering")

    # when / then
    assert next_number(org_a, 2026) == "ORGA-2026-000002"


def test_a_rolled_back_first_number_leaves_no_sequence(org_a):
    # given
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number(org_a, 2026)
        raise RuntimeError

    # when / then
    assert not InvoiceNumberSequence.objects.exists()
    assert next_number(org_a, 2026) == "ORGA-2026-000001"
