"""Invoice fixtures, built through the services with user_a as the actor."""
from __future__ import annotations

import pytest

from invoice.models import Invoice
from invoice.services.invoices import invoice_create, invoice_validate
from tests.invoice.helpers import make_draft


@pytest.fixture
def empty_draft(user_a, org_a) -> Invoice:
    """A draft without lines."""
    return invoice_create(actor=user_a, organization=org_a, data={})


@pytest.fixture
def draft_invoice(user_a, org_a) -> Invoice:
    """A draft with the two DEFAULT_LINES: net 245.00, VAT 44.50, total 289.50."""
    return make_draft(actor=user_a, organization=org_a)


@pytest.fixture
def validated_invoice(user_a, draft_invoice) -> Invoice:
    """draft_invoice, validated: number ORGA-<this year>-000001."""
    return invoice_validate(actor=user_a, invoice=draft_invoice)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Users are created with a password in every test: the production hasher costs ~0.2 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def billing_refs(org_a, org_b, user_b):
    """Pickable objects of both organisations: operators (subject/thirdparty) and orders (line)."""
    from types import SimpleNamespace

    from django.utils import timezone

    from payment_module.constants import OrderKind
    from payment_module.models import Operator, Order

    def operator(org, code):
        return Operator.objects.create(organization=org, code=code, name=f"Pompes funèbres {code}")

    def order(org, op, reference):
        return Order.objects.create(organization=org, operator=op, kind=OrderKind.DEATH_NOTICE, reference=reference,
                                    ordered_at=timezone.now())

    operator_a, operator_b = operator(org_a, "pf-a"), operator(org_b, "pf-b")
    return SimpleNamespace(
        org_b=org_b, user_b=user_b, operator_a=operator_a, operator_b=operator_b,
        order_a=order(org_a, operator_a, "CMD-A-1"), order_b=order(org_b, operator_b, "CMD-B-1"),
    )
