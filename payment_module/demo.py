"""Demo data of payment_module: per demo organisation, 4 funeral operators (déclarants), a tariff
for every order kind (with a death-notice price change on 1 July of this year) and a few hundred
orders over the last 4 months; one past month of one operator is invoiced (`bill`, run after the
invoice demo, whose invoices are dated in the past and billed to these operators).

Everything goes through payment_module.services (validation, history rows, billing); choices are
deterministic (random.Random(org.code)); dates are relative to today. The current month's orders
are left unbilled, to be billed with `POST /v2/invoices` or `generateInvoicesForTimePeriod`.
Idempotent: an organisation that already has operators is left alone.
"""
from __future__ import annotations

import calendar
import importlib.util
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core import demo as core_demo
from core.calculation import FR_VAT_10, FR_VAT_20, CalculationRule
from core.models import Organization, User
from payment_module.constants import OrderKind
from payment_module.models import Operator, Order, Tariff
from payment_module.services.operators import (
    operator_create,
    order_create,
    tariff_create,
)

# ------------------------------------------------------------------------------ legal ids


def luhn_key(digits: str) -> str:
    """The digit that makes `digits + key` pass the Luhn check (SIREN, SIRET)."""
    total = 0
    for index, char in enumerate(reversed(digits + "0")):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def siren_of(base: str) -> str:
    """8 digits → a 9-digit SIREN with its key."""
    return base + luhn_key(base)


def siret_of(siren: str, nic: str = "0001") -> str:
    """SIREN + 4-digit establishment number → a 14-digit SIRET with its key."""
    return siren + nic + luhn_key(siren + nic)


def fr_vat_of(siren: str) -> str:
    """French intra-community VAT number: FR + key (12 + 3 × (SIREN mod 97)) mod 97 + SIREN."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


@dataclass(frozen=True)
class OperatorSpec:
    code: str
    name: str
    legal_name: str
    siren_base: str
    address_line1: str
    postal_code: str
    city: str
    email: str
    payment_days: int = 30
    weight: int = 1  # share of the organisation's orders


OPERATORS: dict[str, tuple[OperatorSpec, ...]] = {
    "org-a": (
        OperatorSpec("pf-lea-celik", "Pompes Funèbres Léa Çelik", "Pompes Funèbres Léa Çelik SARL", "81234567",
                     "48 boulevard de Ménilmontant", "75011", "Paris", "contact@pf-celik.test", 30, 4),
        OperatorSpec("herve-et-fils", "Maison Funéraire Hervé & Fils", "Hervé et Fils SAS", "79245813",
                     "7 rue de l'Église", "93100", "Montreuil", "facturation@herve-fils.test", 45, 3),
        OperatorSpec("saint-eloi", "Funérarium Saint-Éloi", "Funérarium Saint-Éloi SA", "83356702",
                     "2 avenue du Château", "94300", "Vincennes", "compta@saint-eloi.test", 30, 2),
        OperatorSpec("gaelle-lefevre", "Marbrerie Gaëlle Lefèvre", "Marbrerie et Pompes Funèbres Lefèvre EURL",
                     "51878934", "115 route de la Reine", "92100", "Boulogne-Billancourt", "g.lefevre@marbrerie.test",
                     15, 1),
    ),
    "org-b": (
        OperatorSpec("pf-rhone-saone", "Pompes Funèbres Rhône-Saône", "PF Rhône-Saône SAS", "44120987",
                     "21 cours Gambetta", "69003", "Lyon", "administration@pf-rhone-saone.test", 30, 4),
        OperatorSpec("benoit-merieux", "Maison Funéraire Benoît Mérieux", "Mérieux Obsèques SARL", "90217345",
                     "5 place Lazare-Goujon", "69100", "Villeurbanne", "benoit@merieux-obseques.test", 30, 3),
        OperatorSpec("zoe-ait-ahmed", "Obsèques Zoé Aït-Ahmed", "Zoé Aït-Ahmed EI", "38815620",
                     "64 avenue Jean-Jaurès", "69200", "Vénissieux", "zoe@ait-ahmed-obseques.test", 0, 2),
        OperatorSpec("croix-rousse", "Pompes Funèbres de la Croix-Rousse", "PF Croix-Rousse SCOP", "75390148",
                     "3 rue d'Austerlitz", "69004", "Lyon", "pf@croix-rousse.test", 60, 1),
    ),
}

# (kind, code, label, unit price HT, VAT rule, ledger account). The death notice's price changes
# on 1 July of this year (DEATH_NOTICE_BEFORE until 30 June).
TARIFFS: tuple[tuple[str, str, str, str, CalculationRule, str], ...] = (
    (OrderKind.DEATH_NOTICE, "AVIS-DECES", "Avis de décès — publication en ligne", "89.00", FR_VAT_20, "706100"),
    (OrderKind.NOTICE_PHOTO, "OPT-PHOTO", "Option photo du défunt", "15.00", FR_VAT_20, "706300"),
    (OrderKind.NOTICE_FRAME, "OPT-CADRE", "Option cadre / mise en valeur", "12.50", FR_VAT_20, "706300"),
    (OrderKind.NOTICE_PRINT, "PARUTION-PRESSE", "Parution dans la presse locale", "145.00", FR_VAT_10, "706400"),
    (OrderKind.THANKS_NOTICE, "REMERCIEMENTS", "Avis de remerciements", "45.00", FR_VAT_10, "706100"),
    (OrderKind.ANNIVERSARY, "ANNIVERSAIRE", "Avis anniversaire (association)", "35.00", FR_VAT_20, "706500"),
)
DEATH_NOTICE_BEFORE = Decimal("85.00")

FIRST_NAMES = ("Hélène", "Jean-François", "Geneviève", "André", "Françoise", "Noël", "Bérénice", "Raphaël", "Zoé",
               "Joël", "Maïté", "Loïc", "Cécile", "Jérôme", "Anaïs", "Gérard", "Thérèse", "Benoît", "Élise", "Léon")
LAST_NAMES = ("Dupré", "Lefèvre", "Mérieux", "Bérard", "Çelik", "Ménard", "Pérès", "Aït-Ahmed", "Faure", "Chéreau",
              "Lemaître", "Guérin", "Nguyen", "Da Silva", "Rousseau", "Hébert", "Moreau", "Besançon", "Lévêque")
CIVILITIES = ("M.", "Mme")
SUFFIXES = {OrderKind.NOTICE_PHOTO: "PHOTO", OrderKind.NOTICE_FRAME: "CADRE"}
NEWSPAPERS = ("Le Parisien", "Le Progrès", "Ouest-France", "La Voix du Nord")

# Death notices per organisation; each may come with options, thanks and an anniversary notice.
NOTICES_PER_ORGANIZATION = (110, 130)
OPTION_ODDS = ((OrderKind.NOTICE_PHOTO, 0.6), (OrderKind.NOTICE_FRAME, 0.3), (OrderKind.NOTICE_PRINT, 0.25),
               (OrderKind.THANKS_NOTICE, 0.2), (OrderKind.ANNIVERSARY, 0.05))


def _demo_organizations():
    for code, username in ((spec["code"], spec["user"]) for spec in core_demo.ORGANIZATIONS):
        organization = Organization.objects.filter(code=code).first()
        actor = User.objects.filter(username=username).first()
        if organization is not None and actor is not None and code in OPERATORS:
            yield organization, actor


def seed(stdout=None) -> None:
    usernames = {spec["code"]: spec["user"] for spec in core_demo.ORGANIZATIONS}
    for code, username in usernames.items():
        organization = Organization.objects.filter(code=code).first()
        actor = User.objects.filter(username=username).first()
        if organization is None or actor is None or code not in OPERATORS:
            continue
        existing = Operator.objects.filter(organization=organization).count()
        if existing:
            message = f"  {organization.name}: {existing} operators already there, nothing added"
        else:
            message = _seed_organization(organization, actor)
        if stdout is not None:
            stdout.write(message)


def bill(stdout=None) -> None:
    """After the invoice demo (its invoices are dated in the past): bill one operator's last month
    today, once (an organisation that already has an operator invoice is left alone)."""
    if importlib.util.find_spec("invoice.renderers.pdf") is None:
        return
    from invoice.models import InvoiceDocument

    for organization, actor in _demo_organizations():
        if InvoiceDocument.objects.filter(organization=organization, operator__isnull=False).exists():
            message = f"  {organization.name}: operator invoices already there, nothing billed"
        else:
            message = _bill_one_month(organization, actor)
        if stdout is not None:
            stdout.write(message)


@transaction.atomic
def _seed_organization(organization: Organization, actor: User) -> str:
    rng = random.Random(organization.code)
    operators = [_operator(organization, actor, spec) for spec in OPERATORS[organization.code]]
    _tariffs(organization, actor)
    count = _orders(rng, organization, actor, operators)
    return (f"  {organization.name}: {len(operators)} operators, "
            f"{Tariff.objects.filter(organization=organization).count()} tariffs, {count} orders")


def _operator(organization: Organization, actor: User, spec: OperatorSpec) -> Operator:
    siren = siren_of(spec.siren_base)
    return operator_create(actor=actor, organization=organization, data={
        "code": spec.code, "name": spec.name, "legal_name": spec.legal_name, "siren": siren,
        "siret": siret_of(siren), "vat_number": fr_vat_of(siren), "address_line1": spec.address_line1,
        "postal_code": spec.postal_code, "city": spec.city, "country_code": "FR", "email": spec.email,
        "currency_code": "EUR", "payment_days": spec.payment_days,
    })


def _tariffs(organization: Organization, actor: User) -> None:
    year = timezone.localdate().year
    since = date(year - 1, 1, 1)  # covers the last 4 months whatever today is
    change = date(year, 7, 1)
    for kind, code, label, price, rule, ledger_account in TARIFFS:
        common = {"label": label, "order_kind": kind, "tax_rule": rule.id, "ledger_account": ledger_account}
        if kind == OrderKind.DEATH_NOTICE:
            tariff_create(actor=actor, organization=organization, data={
                **common, "code": f"{code}-{year - 1}", "unit_price": DEATH_NOTICE_BEFORE,
                "date_valid_from": since, "date_valid_to": change - timedelta(days=1)})
            tariff_create(actor=actor, organization=organization, data={
                **common, "code": f"{code}-{year}-07", "unit_price": Decimal(price), "date_valid_from": change})
        else:
            tariff_create(actor=actor, organization=organization, data={
                **common, "code": code, "unit_price": Decimal(price), "date_valid_from": since})


def _window() -> tuple[datetime, datetime]:
    """From the first day of the month 3 months ago to an hour ago (4 calendar months)."""
    today = timezone.localdate()
    month, year = today.month - 3, today.year
    if month < 1:
        month, year = month + 12, year - 1
    start = timezone.make_aware(datetime.combine(date(year, month, 1), time(8, 0)))
    return start, timezone.localtime() - timedelta(hours=1)


def _orders(rng: random.Random, organization: Organization, actor: User, operators: list[Operator]) -> int:
    start, end = _window()
    span = int((end - start).total_seconds())
    weights = [spec.weight for spec in OPERATORS[organization.code]]
    moments = sorted(start + timedelta(seconds=rng.randrange(span)) for _ in range(rng.randint(*NOTICES_PER_ORGANIZATION)))
    prefix = organization.invoice_number_prefix
    count = 0

    def create(operator, kind, reference, description, ordered_at, **extra):
        nonlocal count
        if ordered_at > end:
            return  # a follow-up (thanks, anniversary) not ordered yet
        order_create(actor=actor, organization=organization, data={
            "operator_id": operator.pk, "kind": kind, "reference": reference, "description": description,
            "ordered_at": ordered_at, **extra})
        count += 1

    for number, moment in enumerate(moments, start=1):
        operator = rng.choices(operators, weights)[0]
        deceased = f"{rng.choice(CIVILITIES)} {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        reference = f"{prefix}-AVIS-{number:05d}"
        notice = {"deceased": deceased, "city": operator.city, "online_days": rng.choice((15, 30, 30, 60))}
        extra = {"options": notice}
        if rng.random() < 0.05:
            extra["amount_override"] = Decimal("79.00")  # price agreed with the operator
        create(operator, OrderKind.DEATH_NOTICE, reference, f"Avis de décès de {deceased}", moment, **extra)
        for kind, odds in OPTION_ODDS:
            if rng.random() >= odds:
                continue
            if kind in (OrderKind.NOTICE_PHOTO, OrderKind.NOTICE_FRAME):
                create(operator, kind, f"{reference}-{SUFFIXES[kind]}",
                       f"{OrderKind(kind).label} — avis de {deceased}", moment + timedelta(minutes=rng.randint(1, 30)))
            elif kind == OrderKind.NOTICE_PRINT:
                create(operator, kind, f"{reference}-PRESSE", f"Parution dans {rng.choice(NEWSPAPERS)} — {deceased}",
                       moment + timedelta(hours=rng.randint(2, 20)), quantity=Decimal(rng.choice((1, 1, 2))),
                       options={"newspaper_days": rng.choice((1, 2))})
            elif kind == OrderKind.THANKS_NOTICE:
                create(operator, kind, f"{reference}-MERCI", f"Remerciements de la famille de {deceased}",
                       moment + timedelta(days=rng.randint(7, 20)))
            else:
                create(operator, kind, f"{reference}-ANNIV", f"Avis anniversaire — {deceased}",
                       moment + timedelta(days=rng.randint(20, 40)))
    return count


def _previous_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last.replace(day=calendar.monthrange(last.year, last.month)[1])


@transaction.atomic
def _bill_one_month(organization: Organization, actor: User) -> str:
    """Invoice last month's orders of the operator with the most of them (PDF; in eager mode the
    document is generated when this transaction commits)."""
    from payment_module.services.billing import (
        generate_operator_invoice,
        unbilled_orders,
    )

    start, end = _previous_month(timezone.localdate())
    operators = Operator.objects.filter(organization=organization, is_active=True)
    counts = {operator: unbilled_orders(organization, operator, start, end).count() for operator in operators}
    operator = max(counts, key=lambda candidate: (counts[candidate], candidate.name), default=None)
    if operator is None or not counts[operator]:
        return f"  {organization.name}: no orders to invoice in {start:%m/%Y}"
    document = generate_operator_invoice(actor=actor, organization=organization, operator=operator, start_date=start,
                                         end_date=end, fmt="pdf")
    billed = Order.objects.filter(invoice_line__invoice=document.invoice).count()
    return (f"  {organization.name}: {billed} orders of {operator.name} ({start:%m/%Y}) invoiced as "
            f"{document.invoice.code}, PDF requested; this month's orders are left to bill")


# ------------------------------------------------------------------------------ operator portal

PORTAL_USER = "operator@molink.test"
PORTAL_MESSAGES = {
    "org-a": "Bonjour, votre facture est disponible au format PDF. Merci de votre confiance.",
    "org-b": "Rappel : le règlement par virement doit mentionner la référence de paiement.",
}


def portal(stdout=None) -> None:
    """After the invoice demo: one operator user, `operator@molink.test` / `molink-demo`, invited by
    Org A and by Org B to the operator each bills most, and who accepted both; a message addressed
    to them on each operator's latest invoice. Left alone when the user already exists."""
    if User.objects.filter(username=PORTAL_USER).exists():
        if stdout is not None:
            stdout.write(f"  operator portal: {PORTAL_USER} already there, nothing added")
        return
    names = _seed_portal()
    if stdout is not None and names:
        stdout.write(f"  operator portal: {PORTAL_USER} / {core_demo.DEMO_PASSWORD} sees the invoices of "
                     + " and ".join(names))


@transaction.atomic
def _seed_portal() -> list[str]:
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count

    from invoice.constants import ISSUED_STATUSES
    from invoice.models import Invoice, InvoiceDocument
    from invoice.services.events import event_message_create
    from payment_module.services.operator_users import accept_operator_invitation, invite_operator_user

    content_type = ContentType.objects.get_for_model(Operator)
    names, user = [], None
    for organization, actor in _demo_organizations():
        issued = Invoice.objects.filter(organization=organization, thirdparty_type=content_type, is_deleted=False,
                                        status__in=ISSUED_STATUSES)
        # The operator of the billed month (it has a PDF to download), else the one billed most.
        billed = (InvoiceDocument.objects.filter(organization=organization, operator__isnull=False)
                  .values_list("operator_id", flat=True).first())
        busiest = (issued.values("thirdparty_id").annotate(n=Count("pk")).order_by("-n", "thirdparty_id")
                   .values_list("thirdparty_id", flat=True).first())
        if (billed or busiest) is None:
            continue
        operator = Operator.objects.get(pk=billed or busiest)
        _link, token = invite_operator_user(actor=actor, organization=organization, operator=operator,
                                            email=PORTAL_USER)
        accept_operator_invitation(token=token, password=core_demo.DEMO_PASSWORD, user=user)
        user = _link.user
        latest = issued.filter(thirdparty_id=operator.pk).order_by("-date_invoice", "-code").first()
        event_message_create(actor=actor, invoice=latest, message=PORTAL_MESSAGES.get(organization.code, "Bonjour"),
                             to_customer=True)
        names.append(f"{operator.name} ({organization.name})")
    return names
