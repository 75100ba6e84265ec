"""Fixtures of the payment_module tests, built through the services with user_a acting for
org_a (and user_b for org_b). Generated documents go to a temporary directory."""
from __future__ import annotations

import pytest

from tests.payment_module.helpers import (
    OTHER_OPERATOR_DATA,
    make_operator,
    make_tariffs,
)


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings, tmp_path):
    settings.STORAGE_BACKEND = "local"
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": tmp_path, "allow_overwrite": True}},
        "staticfiles": settings.STORAGES["staticfiles"],
    }


@pytest.fixture
def operator_a(user_a, org_a):
    return make_operator(user_a, org_a)


@pytest.fixture
def other_operator_a(user_a, org_a):
    return make_operator(user_a, org_a, **OTHER_OPERATOR_DATA)


@pytest.fixture
def operator_b(user_b, org_b):
    return make_operator(user_b, org_b)


@pytest.fixture
def tariffs_a(user_a, org_a):
    return make_tariffs(user_a, org_a)


@pytest.fixture
def tariffs_b(user_b, org_b):
    return make_tariffs(user_b, org_b)


