"""Demo data of invoice: per demo organisation, 30 invoices in every status plus their credit
notes, with lines at the built-in VAT rates, payments (accepted, rejected, refunded) and events.

Everything goes through invoice.services, so numbers, totals, history rows and events are the
real ones. The statuses that have no service yet (SUSPENDED, UNPAID, RECONCILIATED) are reached
through the transition table (`_transition`). Choices are deterministic (random.Random(org.code));
dates are relative to today. Idempotent: an organisation that already has invoices is left alone.
"""
from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from core import demo as core_demo
from core.calculation import (
    FR_VAT_5_5,
    FR_VAT_10,
    FR_VAT_20,
    FR_VAT_DEBOURS,
    CalculationRule,
)
from core.history import save_with_history
from core.models import Organization, User
from core.money import quantize
from invoice.constants import DocumentType, EventType, InvoiceStatus, PaymentStatus
from invoice.models import Invoice, InvoiceEvent, InvoiceLineItem, InvoicePayment
from invoice.selectors import invoice_lock
from invoice.services.events import event_message_create, event_record
from invoice.services.invoices import (
    invoice_cancel,
    invoice_create,
    invoice_delete,
    invoice_validate,
    today,
)
from invoice.services.lines import line_add
from invoice.services.payments import payment_record, payment_update
from invoice.validation import ensure_transition, status_name

S = InvoiceStatus

# What the demo organisations sell: (code, description, unit price range in cents, VAT rule, ledger account).
PRODUCTS: tuple[tuple[str, str, tuple[int, int], CalculationRule, str], ...] = (
    ("AVIS-PRESSE", "Avis de décès — parution presse", (9000, 38000), FR_VAT_20, "706100"),
    ("AVIS-WEB", "Avis de décès — publication en ligne 30 jours", (2500, 6000), FR_VAT_20, "706200"),
    ("OPT-PHOTO", "Option photo du défunt", (1500, 3500), FR_VAT_20, "706300"),
    ("OPT-REMERCIEMENTS", "Avis de remerciements", (4000, 12000), FR_VAT_20, "706100"),
    ("LIVRE-CONDOLEANCES", "Livre de condoléances imprimé", (2900, 5900), FR_VAT_5_5, "707000"),
    ("TRANSPORT", "Transport de corps (forfait)", (15000, 42000), FR_VAT_10, "706400"),
    ("FRAIS-DOSSIER", "Frais de dossier (débours)", (500, 2500), FR_VAT_DEBOURS, "708000"),
)

# (final status, variant): 30 invoices per organisation. CANCELLED ones also issue a credit note.
SCENARIOS: tuple[tuple[int, str], ...] = (
    *((S.DRAFT, v) for v in ("plain", "message", "plain", "message")),
    *((S.DELETED, "plain") for _ in range(2)),
    *((S.VALIDATED, v) for v in ("plain", "rejected_payment", "partial_payment", "message", "plain", "plain")),
    *((S.PAID, v) for v in ("full", "two_instalments", "refunded_then_paid", "card_with_fees", "full", "full")),
    *((S.RECONCILIATED, "full") for _ in range(3)),
    *((S.UNPAID, v) for v in ("reminder", "partial_payment", "reminder")),
    *((S.SUSPENDED, "dispute") for _ in range(3)),
    *((S.CANCELLED, v) for v in ("plain", "after_suspension", "after_unpaid")),
)

# Days before today of the invoice date, per final status: drafts are recent, open invoices not
# yet due, the rest old enough to be paid, overdue or disputed.
AGE_DAYS = {S.DRAFT: (0, 10), S.DELETED: (0, 20), S.VALIDATED: (2, 20)}
OLD_AGE_DAYS = (45, 200)

MESSAGES = {
    "draft": "Brouillon préparé à partir des commandes du mois ; à relire avant émission.",
    "validated": "Facture envoyée au client par e-mail.",
    "reminder": "Relance de paiement envoyée (échéance dépassée).",
    "second_reminder": "Deuxième relance : appel téléphonique au service comptable.",
    "dispute": "Paiement suspendu : le client conteste une parution (litige en cours).",
    "reconcile": "Paiement rapproché du relevé bancaire.",
}


@dataclass
class _Plan:
    status: int
    variant: str
    date_invoice: date
    index: int
    invoice: Invoice | None = None


def seed(stdout=None) -> None:
    usernames = {spec["code"]: spec["user"] for spec in core_demo.ORGANIZATIONS}
    for code, username in usernames.items():
        organization = Organization.objects.filter(code=code).first()
        actor = User.objects.filter(username=username).first()
        if organization is None or actor is None:
            continue
        existing = Invoice.objects.filter(organization=organization).count()
        if existing:
            message = f"  {organization.name}: {existing} invoices already there, nothing added"
        else:
            message = _seed_organization(organization, actor)
        if stdout is not None:
            stdout.write(message)


@transaction.atomic
def _seed_organization(organization: Organization, actor: User) -> str:
    rng = random.Random(organization.code)
    plans = _plans(rng)
    # Invoices are validated in date order so that their numbers follow their dates; credit notes
    # (dated today) are issued afterwards, with the follow-ups.
    for plan in plans:
        plan.invoice = _draft(rng, organization, actor, plan)
        if plan.status not in (S.DRAFT, S.DELETED):
            plan.invoice = invoice_validate(actor=actor, invoice=plan.invoice)
    for plan in plans:
        _follow_up(rng, actor, plan)
        final = Invoice.objects.get(pk=plan.invoice.pk).status
        if final != plan.status:
            raise RuntimeError(
                f"demo invoice {plan.index} ({plan.variant}) ended {status_name(final)}, expected {status_name(plan.status)}"
            )
    invoices = Invoice.objects.filter(organization=organization)
    return (
        f"  {organization.name}: {invoices.count()} invoices "
        f"({invoices.filter(document_type=DocumentType.CREDIT_NOTE).count()} credit notes), "
        f"{InvoiceLineItem.objects.filter(invoice__organization=organization).count()} lines, "
        f"{InvoicePayment.objects.filter(invoice__organization=organization).count()} payments, "
        f"{InvoiceEvent.objects.filter(invoice__organization=organization).count()} events"
    )


def _plans(rng: random.Random) -> list[_Plan]:
    current = today()
    plans = []
    for index, (status, variant) in enumerate(SCENARIOS, start=1):
        low, high = AGE_DAYS.get(status, OLD_AGE_DAYS)
        plans.append(_Plan(status, variant, current - timedelta(days=rng.randint(low, high)), index))
    return sorted(plans, key=lambda plan: (plan.date_invoice, plan.index))


def _draft(rng: random.Random, organization: Organization, actor: User, plan: _Plan) -> Invoice:
    period_end = plan.date_invoice.replace(day=1) - timedelta(days=1)  # the previous month is billed
    thirdparty_type, thirdparty_id = rng.choice((("user", actor.pk), ("organization", organization.pk)))
    data = {
        "date_invoice": plan.date_invoice,
        "date_valid_from": period_end.replace(day=1),
        "date_valid_to": period_end.replace(day=calendar.monthrange(period_end.year, period_end.month)[1]),
        "subject_type": "organization", "subject_id": str(organization.pk),
        "thirdparty_type": thirdparty_type, "thirdparty_id": str(thirdparty_id),
        "code_tp": f"CLI-{rng.randint(100, 999)}",
        "note": f"Commandes de {_month_name(period_end)} {period_end.year}.",
        "terms": f"Paiement à {organization.payment_days} jours par virement. Pénalités de retard : 3 fois le taux "
                 "d'intérêt légal ; indemnité forfaitaire pour frais de recouvrement : 40 €.",
    }
    if rng.random() < 0.3:
        data["code_ext"] = f"BC-{plan.date_invoice:%Y%m}-{rng.randint(1000, 9999)}"
    invoice = invoice_create(actor=actor, organization=organization, data=data)
    for product in rng.sample(PRODUCTS, rng.randint(1, 5)):
        line_add(actor=actor, invoice=invoice, data=_line_data(rng, product, plan.date_invoice))
    if plan.variant == "message":
        event_message_create(actor=actor, invoice=invoice, message=MESSAGES["draft"])
    return invoice


def _line_data(rng: random.Random, product, day: date) -> dict:
    code, description, (low, high), rule, ledger_account = product
    data = {
        "code": code, "description": description, "tax_rate": rule.id, "ledger_account": ledger_account,
        "quantity": Decimal(rng.choice((1, 1, 1, 2, 3))),
        "unit_price": Decimal(rng.randint(low, high)) / 100,
    }
    if rng.random() < 0.2:
        data["discount"] = rng.choice((Decimal("0.05"), Decimal("0.10"), Decimal("0.15")))
    if rng.random() < 0.1:
        data["deduction"] = Decimal("5.00")
    if rng.random() < 0.4:
        data["details"] = f"Commande du {day - timedelta(days=rng.randint(5, 35)):%d/%m/%Y}"  # plain text: wrapped
    return data


def _follow_up(rng: random.Random, actor: User, plan: _Plan) -> None:
    invoice, variant = plan.invoice, plan.variant
    if plan.status == S.DELETED:
        invoice_delete(actor=actor, invoice=invoice)
    elif plan.status == S.VALIDATED:
        if variant == "rejected_payment":
            _pay(rng, actor, invoice, invoice.amount_total, status=PaymentStatus.REJECTED, label="Prélèvement SEPA",
                 code_ext="SDD-REJ", receipt=False)
        elif variant == "partial_payment":
            _pay(rng, actor, invoice, quantize(invoice.amount_total / 2, invoice.currency_code), label="Acompte")
        elif variant == "message":
            event_message_create(actor=actor, invoice=invoice, message=MESSAGES["validated"])
    elif plan.status in (S.PAID, S.RECONCILIATED):
        _pay_in_full(rng, actor, invoice, variant)
        if plan.status == S.RECONCILIATED:
            _transition(invoice, "reconcile", actor)
            event_message_create(actor=actor, invoice=invoice, message=MESSAGES["reconcile"])
    elif plan.status == S.UNPAID:
        _transition(invoice, "mark_unpaid", actor)
        event_message_create(actor=actor, invoice=invoice, message=MESSAGES["reminder"])
        if variant == "partial_payment":
            _pay(rng, actor, invoice, quantize(invoice.amount_total / 3, invoice.currency_code), label="Paiement partiel")
        else:
            event_message_create(actor=actor, invoice=invoice, message=MESSAGES["second_reminder"])
    elif plan.status == S.SUSPENDED:
        _transition(invoice, "suspend", actor)
        event_message_create(actor=actor, invoice=invoice, message=MESSAGES["dispute"])
    elif plan.status == S.CANCELLED:
        reason = "erreur de tarif"
        if variant == "after_suspension":
            _transition(invoice, "suspend", actor)
            reason = "litige accepté : parution non conforme"
        elif variant == "after_unpaid":
            _transition(invoice, "mark_unpaid", actor)
            reason = "créance abandonnée"
        invoice_cancel(actor=actor, invoice=invoice, reason=reason)


def _pay_in_full(rng: random.Random, actor: User, invoice: Invoice, variant: str) -> None:
    total = invoice.amount_total
    if variant == "two_instalments":
        first = quantize(total * Decimal("0.4"), invoice.currency_code)
        instalment = _pay(rng, actor, invoice, first, label="Virement (1er versement)")
        _pay(rng, actor, invoice, total - first, label="Virement (solde)", after=instalment.date_payment)
    elif variant == "refunded_then_paid":
        card = _pay(rng, actor, invoice, total, label="Carte bancaire", code_ext="CB")
        payment_update(actor=actor, payment=card, changes={"status": PaymentStatus.REFUNDED,
                                                           "label": "Carte bancaire (remboursé : double paiement)"})
        _pay(rng, actor, invoice, total, label="Virement", after=card.date_payment)
    elif variant == "card_with_fees":
        fees = quantize(total * Decimal("0.015"), invoice.currency_code)
        _pay(rng, actor, invoice, total, label="Carte bancaire", code_ext="CB", fees=fees)
    else:
        _pay(rng, actor, invoice, total, label="Virement")


def _pay(rng: random.Random, actor: User, invoice: Invoice, amount: Decimal, *, label: str, code_ext: str = "VIR",
         status: int = PaymentStatus.ACCEPTED, fees: Decimal = Decimal(0), receipt: bool = True,
         after: date | None = None) -> InvoicePayment:
    """A payment dated between the invoice date (or `after`, a previous payment's date) and today."""
    start = max(invoice.date_invoice, after or invoice.date_invoice)
    paid_on = min(today(), start + timedelta(days=rng.randint(1, 40)))
    return payment_record(actor=actor, invoice=invoice, data={
        "status": status, "label": label, "amount_payed": amount, "fees": fees, "amount_received": amount - fees,
        "date_payment": paid_on, "code_ext": f"{code_ext}-{paid_on:%Y%m%d}-{rng.randint(10000, 99999)}",
        "code_rcp": "banque", "code_receipt": f"REC-{rng.randint(100000, 999999)}" if receipt else "",
    })


@transaction.atomic
def _transition(invoice: Invoice, action: str, actor: User) -> Invoice:
    """A status change that has no service yet, through the transition table, with its history
    row and STATUS event (the same message as the services write)."""
    invoice = invoice_lock(invoice.pk)
    old, invoice.status = invoice.status, ensure_transition(invoice, action)
    save_with_history(invoice, actor=actor, reason=f"invoice_{action}")
    event_record(invoice=invoice, event_type=EventType.STATUS, actor=actor, reason="status_change",
                 message=f"status {status_name(old)} → {status_name(invoice.status)}")
    return invoice


def _month_name(day: date) -> str:
    return ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
            "novembre", "décembre")[day.month - 1]
