"""`manage.py demo_data`: two organisations with users a newcomer can log in with; idempotent."""
from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from core import validation
from core.demo import DEMO_PASSWORD, ORGANIZATIONS
from core.models import Membership, Organization, User
from tests.helpers.graphql import data, post

PROJECT_APPS = ("core", "invoice", "payment_module")

TOKEN_AUTH = """
mutation($username: String!, $password: String!) { tokenAuth(username: $username, password: $password) { token } }"""


def row_counts() -> dict[str, int]:
    """Rows of every model of the project's apps, history tables included."""
    return {
        model._meta.label: model._default_manager.count()
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }


def test_demo_data_twice_changes_nothing(db):
    # given a first run
    call_command("demo_data", stdout=io.StringIO())
    after_first = row_counts()

    # when
    out = io.StringIO()
    call_command("demo_data", stdout=out)

    # then
    assert row_counts() == after_first
    assert "Demo data ready." in out.getvalue()
    # two administrators and the portal's operator user (created, then given its password on
    # accepting its first invitation), who has no membership
    assert {
        "core.User": 3, "core.Organization": 2, "core.Membership": 2,
        "core.HistoricalUser": 4, "core.HistoricalOrganization": 2, "core.HistoricalMembership": 2,
    }.items() <= after_first.items()


def test_demo_organizations_and_memberships(db):
    # given / when
    call_command("demo_data", stdout=io.StringIO())

    # then
    memberships = Membership.objects.order_by("organization__code").values_list(
        "user__username", "organization__code", "role")
    assert list(memberships) == [("demo-a@molink.test", "org-a", "admin"), ("demo-b@molink.test", "org-b", "admin")]
    created = Organization.history.filter(history_type="+").values_list("history_change_reason", flat=True)
    assert list(created) == ["demo_data", "demo_data"]


@pytest.mark.parametrize("spec", ORGANIZATIONS, ids=lambda spec: spec["code"])
def test_demo_organizations_hold_valid_legal_ids(spec):
    # given / when / then: the demo must pass the validation a real update goes through
    validation.ensure_siren(spec["siren"])
    validation.ensure_siret(spec["siret"])
    validation.ensure_vat_number(spec["vat_number"])
    validation.ensure_iban(spec["iban"])
    validation.ensure_bic(spec["bic"])
    validation.ensure_number_prefix(spec["invoice_number_prefix"])
    assert spec["siret"].startswith(spec["siren"])
    assert spec["vat_number"].endswith(spec["siren"])


@pytest.mark.parametrize(("username", "organization"), [("demo-a@molink.test", "org-a"),
                                                        ("demo-b@molink.test", "org-b")])
def test_demo_users_can_log_in(db, username, organization):
    # given
    call_command("demo_data", stdout=io.StringIO())

    # when
    token = data(post(TOKEN_AUTH, {"username": username, "password": DEMO_PASSWORD}))["tokenAuth"]["token"]
    me = data(post("{ me { role organization { code } } }", token=token))["me"]

    # then
    assert me == {"role": "admin", "organization": {"code": organization}}
    assert User.objects.get(username=username).check_password("molink-demo")
