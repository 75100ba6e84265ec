"""generate_operator_invoice refuses a period that is not over (unless allow_open_period) or longer
than BILLING_MAX_PERIOD_MONTHS, before anything is locked, billed or numbered."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.errors import DomainError
from payment_module.services.billing import add_months, generate_operator_invoice
from tests.payment_module.helpers import at, errors_of, make_order, nothing_written

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2026, 3, 15), 12, date(2027, 3, 15)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
])
def test_add_months_keeps_the_day_or_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_an_open_period_is_refused_then_billed_when_allowed(user_a, org_a, operator_a, tariffs_a):
    # given: an order of today
    today = timezone.localdate()
    make_order(user_a, operator_a, "CMD-TODAY", at(today))
    period = {"start_date": today.replace(day=1), "end_date": today}

    # when
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate_operator_invoice(actor=user_a, organization=org_a, operator=operator_a, fmt="json", **period)
    document = generate_operator_invoice(actor=user_a, organization=org_a, operator=operator_a, fmt="json",
                                         allow_open_period=True, **period)

    # then
    assert errors_of(raised) == [("end_date", "PERIOD_NOT_ENDED")]
    assert document.invoice.code


def test_a_period_of_the_maximum_plus_a_day_is_refused(user_a, org_a, operator_a, tariffs_a, settings):
    # given
    settings.BILLING_MAX_PERIOD_MONTHS = 1
    make_order(user_a, operator_a, "CMD-JAN", at("2026-01-31"))

    # when: 31/01 → 28/02 is one month and a day
    with nothing_written(), pytest.raises(DomainError) as raised:
        generate_operator_invoice(actor=user_a, organization=org_a, operator=operator_a, fmt="json",
                                  start_date=date(2026, 1, 31), end_date=date(2026, 2, 28))
    document = generate_operator_invoice(actor=user_a, organization=org_a, operator=operator_a, fmt="json",
                                         start_date=date(2026, 1, 31), end_date=date(2026, 2, 28) - timedelta(days=1))

    # then
    assert errors_of(raised) == [("end_date", "PERIOD_TOO_LONG")]
    assert document.invoice.code
