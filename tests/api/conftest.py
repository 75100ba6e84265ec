"""Fixtures of the REST /v2 tests: operators, tariffs and orders built directly on the models
(payment_module.models), JWTs and API keys, and documents stored in a temporary directory.
Nothing here is autouse: the REST tests opt in (pytestmark usefixtures)."""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, TestCase
from django.utils import timezone
from graphql_jwt.shortcuts import get_token

from core.calculation import FR_VAT_20
from core.models import Membership
from core.services.api_keys import api_key_create
from payment_module.constants import OrderKind
from payment_module.models import Operator, Order, Tariff

JANUARY = ("01/01/2026", "31/01/2026")


def at(day: str, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(date.fromisoformat(day), time(hour)))


def make_billing(organization, user, *, code="pf-dupont", orders=("2026-01-05", "2026-01-12", "2026-01-28"),
                 reference_prefix=None) -> SimpleNamespace:
    operator = Operator.objects.create(organization=organization, code=code, name=f"Pompes Funèbres {code}",
                                       address_line1="3 rue des Lilas", postal_code="75020", city="Paris",
                                       email=f"factures@{code}.test", user_created=user)
    tariff = Tariff.objects.create(organization=organization, code="AVIS", label="Avis de décès",
                                   order_kind=OrderKind.DEATH_NOTICE, unit_price=Decimal("85.00"),
                                   tax_rule=FR_VAT_20.id, ledger_account="706100",
                                   date_valid_from=date(2025, 1, 1), user_created=user)
    prefix = reference_prefix or f"{organization.code}-{code}"
    made = [Order.objects.create(organization=organization, operator=operator, kind=OrderKind.DEATH_NOTICE,
                                 reference=f"{prefix}-{index}", ordered_at=at(day), user_created=user)
            for index, day in enumerate(orders, start=1)]
    return SimpleNamespace(operator=operator, tariff=tariff, orders=made)


@pytest.fixture
def rest_storage(settings, tmp_path):
    settings.STORAGE_BACKEND = "local"
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": tmp_path, "allow_overwrite": True}},
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    return tmp_path


@pytest.fixture
def billing_a(org_a, user_a):
    return make_billing(org_a, user_a)


@pytest.fixture
def billing_b(org_b, user_b):
    return make_billing(org_b, user_b, code="pf-martin")


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {get_token(user)}"}


def api_key(secret: str) -> dict:
    return {"HTTP_X_API_KEY": secret}


@pytest.fixture
def jwt_a(user_a) -> dict:
    return bearer(user_a)


@pytest.fixture
def jwt_b(user_b) -> dict:
    return bearer(user_b)


@pytest.fixture
def key_b(org_b, user_b):
    """(ApiKey, secret) of Org B, role accountant."""
    return api_key_create(actor=user_b, organization=org_b, name="erp-b", role=Membership.Role.ACCOUNTANT)


class Api:
    """A tiny REST client: JSON in, (status, JSON body or response) out."""

    def __init__(self):
        self.client = Client()

    def post(self, headers: dict, body=None, *, raw: str | None = None, **extra):
        data = raw if raw is not None else json.dumps(body)
        # The test's transaction never commits: run the on-commit enqueue (eager task) ourselves.
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = self.client.post("/v2/invoices", data=data, content_type="application/json", **headers, **extra)
        return response.status_code, response.json()

    def get(self, path: str, headers: dict, **params):
        response = self.client.get(path, params, **headers)
        return response.status_code, response.json()

    def download(self, document_id, headers: dict):
        return self.client.get(f"/v2/invoices/{document_id}/download", **headers)


@pytest.fixture
def api() -> Api:
    return Api()


def body(operator, start=JANUARY[0], end=JANUARY[1], fmt="json") -> dict:
    return {"operator_id": str(operator.pk), "start_date": start, "end_date": end, "format": fmt}


@contextmanager
def in_test_transaction():
    """Send a request through the plain WSGI application (config.wsgi, as schemathesis does) inside
    a test's transaction, as django.test.Client does: Django's request signals would close the
    test's connection (it is not in autocommit), and the test's transaction never commits, so the
    on-commit enqueues (eager tasks) are run here."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
