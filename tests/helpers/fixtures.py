"""Shared fixtures: two organisations (A and B) with one admin each, users with a chosen role."""
from __future__ import annotations

import itertools

import pytest

from core.models import Membership, Organization, User

_counter = itertools.count(1)


def make_organization(code: str, name: str, **extra) -> Organization:
    organization = Organization(code=code, name=name, invoice_number_prefix=code.upper().replace("-", "")[:10], **extra)
    organization.save()
    return organization


def make_user(organization: Organization | None = None, role: str = Membership.Role.ADMIN,
              username: str | None = None) -> User:
    username = username or f"user{next(_counter)}@molink.test"
    user = User.objects.create_user(username=username, email=username, password="secret-pass-123")
    if organization is not None:
        Membership.objects.create(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def org_a(db) -> Organization:
    return make_organization("org-a", "Org A")


@pytest.fixture
def org_b(db) -> Organization:
    return make_organization("org-b", "Org B")


@pytest.fixture
def user_a(org_a) -> User:
    return make_user(org_a, username="admin-a@molink.test")


@pytest.fixture
def user_b(org_b) -> User:
    return make_user(org_b, username="admin-b@molink.test")


@pytest.fixture
def member_of(db):
    """member_of(org, role) → a new user with that role in org."""
    return make_user


@pytest.fixture
def accountant_a(org_a) -> User:
    """A second writer of org A."""
    return make_user(org_a, Membership.Role.ACCOUNTANT, "accountant-a@molink.test")


@pytest.fixture
def viewer_a(org_a) -> User:
    return make_user(org_a, Membership.Role.VIEWER, "viewer-a@molink.test")
