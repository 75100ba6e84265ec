"""Demo data of core: two organisations, each with one admin user. Idempotent."""
from __future__ import annotations

from django.db import transaction

from core.history import save_with_history
from core.models import Membership, Organization, User

DEMO_PASSWORD = "molink-demo"

ORGANIZATIONS = [
    {
        "code": "org-a", "name": "Org A", "legal_name": "Org A SAS", "siren": "123456782",
        "siret": "12345678200010", "vat_number": "FR11123456782", "address_line1": "12 rue de la Paix",
        "postal_code": "75002", "city": "Paris", "email": "facturation@org-a.test",
        "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "invoice_number_prefix": "ORGA",
        "user": "demo-a@molink.test",
    },
    {
        "code": "org-b", "name": "Org B", "legal_name": "Org B SARL", "siren": "987654324",
        "siret": "98765432400019", "vat_number": "FR14987654324", "address_line1": "3 quai Saint-Vincent",
        "postal_code": "69001", "city": "Lyon", "email": "compta@org-b.test",
        "iban": "FR1420041010050500013M02606", "bic": "PSSTFRPP", "invoice_number_prefix": "ORGB",
        "user": "demo-b@molink.test",
    },
]


@transaction.atomic
def seed(stdout=None) -> dict[str, Organization]:
    result = {}
    for spec in ORGANIZATIONS:
        spec = dict(spec)
        username = spec.pop("user")
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=username, first_name="Demo", last_name=spec["name"])
            user.set_password(DEMO_PASSWORD)
            user._history_user = None
            user.save()
        organization = Organization.objects.filter(code=spec["code"]).first()
        if organization is None:
            organization = Organization(**spec)
            save_with_history(organization, actor=user, reason="demo_data")
        if not Membership.objects.filter(user=user, organization=organization).exists():
            Membership.objects.create(user=user, organization=organization, role=Membership.Role.ADMIN)
        result[spec["code"]] = organization
        if stdout is not None:
            stdout.write(f"  {organization.name}: {username} / {DEMO_PASSWORD} (admin)")
    return result
