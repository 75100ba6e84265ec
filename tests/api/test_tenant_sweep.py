"""Tenant-isolation sweep: Org B's administrator probes everything the API offers with Org A's
identifiers and strings. Nothing is listed by hand: GraphQL root fields come from the schema, REST
routes from the URL conf (their query, body and header parameters from the OpenAPI document), Org A's
identifiers from every tenant-scoped model. A new query, mutation, model or route is swept the day it
appears; a root field the sweep cannot exercise must be named in EXEMPT with a reason, else it fails.

Every probe must:
- never answer 5xx, PERMISSION_DENIED (that would confirm that the object exists) or INTERNAL_ERROR;
- return none of Org A's identifiers (raw UUID or relay global id) or strings (invoice numbers,
  operator names, order references, messages, rule codes, clientMutationId…), except the very value
  the probe sent, which error messages may echo;
- answer exactly as it answers for a value of the same form that names nothing (same status, same
  body once the sent value is masked): no existence oracle;
- for a mutation or a REST route, be refused with NOT_FOUND (UNKNOWN_TAX_RULE for a tax rule, INVALID
  for a string that is no identifier at all), or be rejected by GraphQL validation when the id form
  does not fit the argument type;
- leave every Org A row, version and history row as it was (and Org B's rows too: all or nothing).

Probes of one field and argument are sent as aliases of one GraphQL document (non-null root fields,
whose one error would null every alias, one per request); the first probe of each batch is also sent
alone with every scalar field selected. The one-line summary is written at the end of the module.

The same probes run for a second principal (`principal` fixture, core.tenancy's customer): an
operator user billed by both organisations (invited by each, accepted), with every id of Org A and
Org B except those of what is theirs (their invoices, lines, documents, messages to them, the two
organisations). They have no Membership: every staff query, mutation and route must refuse them
with NO_ORGANIZATION (a query may answer data only if it answers an anonymous caller too, or is a
customer query: CUSTOMER_FIELDS); customer entry points (`myInvoices`, `/v2/me/...`) must answer
nothing of another operator or organisation and none of the organisations' internal fields (staff
notes, ledger accounts, external codes, other events, storage keys), and NOT_FOUND for their ids.
"""
from __future__ import annotations

import base64
import itertools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from graphql_jwt.shortcuts import get_token

from core import pickers
from core.calculation import FR_VAT_20
from core.models import Membership, MutationLog, Organization, User
from core.services.organizations import (
    RuleInput,
    calculation_rule_create,
    organization_update,
)
from core.tenancy import scope
from invoice.models import Invoice, InvoiceDocument, InvoiceLineItem
from invoice.services.events import event_message_create
from invoice.services.invoices import (
    invoice_cancel,
    invoice_create,
    invoice_delete,
    invoice_validate,
)
from invoice.services.lines import line_add
from invoice.services.payments import payment_record
from invoice.storage import document_key
from payment_module.constants import OrderKind
from payment_module.models import Operator, Order, Tariff
from payment_module.services.bank_statements import bank_statement_import
from schema.schema import schema
from tests.payment_module.bank_helpers import camt053_document

# --- What the sweep does not exercise, and why ------------------------------------------------------

NOT_CALLED = {
    "Mutation.tokenAuth": "authentication: takes a username and password, reads no tenant data "
                          "(brute-force throttling is tested in tests/core/security)",
    "Mutation.verifyToken": "authentication: checks a token the caller already holds; no tenant data",
    "Mutation.refreshToken": "authentication: refreshes the caller's own token; no tenant data",
    "Mutation.revokeToken": "authentication: revokes the caller's own refresh token; no tenant data",
    "Mutation.deleteTokenCookie": "authentication: clears the caller's own cookie; takes no input",
    "Mutation.deleteRefreshTokenCookie": "authentication: clears the caller's own cookie; takes no input",
    "Mutation.getCsrfToken": "authentication: Django's CSRF token for the caller's own browser; takes no input",
    "Mutation.acceptOperatorInvitation": "authentication: spends a one-time invitation secret (no id), answers "
                                         "only the invited username; tested in tests/payment_module/services/"
                                         "test_operator_users.py",
}
# Called by the sweep (Org A must stay unchanged, nothing of Org A may come back), but they name no
# existing object, so there is no Org A id for them to refuse with NOT_FOUND.
OWN_ORGANISATION_ONLY = {
    "Mutation.createCalculationRule": "creates a VAT rule in the caller's organisation; no id-like input",
    "Mutation.createOperator": "creates an operator in the caller's organisation; no id-like input",
    "Mutation.createApiKey": "creates an API key of the caller's organisation; no id-like input",
    "Mutation.changeUserLanguage": "changes the caller's own front-end language; no id-like input",
    "Mutation.updateDeliverySettings": "changes the caller's organisation's e-mail settings; no id-like input",
    "Mutation.createWebhookEndpoint": "registers an endpoint of the caller's organisation; no id-like input",
    "Mutation.setSftpDestination": "sets the caller's organisation's SFTP destination; no id-like input",
    "Mutation.importBankStatement": "imports a statement file into the caller's organisation (matching only its "
                                    "invoices); no id-like input",
}
# Inputs named like ids that hold no object id.
NOT_IDS = {"languageId": "a language code of the `languages` query (changeUserLanguage)"}
EXEMPT = {**NOT_CALLED, **OWN_ORGANISATION_ONLY}

FORBIDDEN_CODES = {"PERMISSION_DENIED", "INTERNAL_ERROR"}
# What a query may answer besides data: the id is unknown, or the value is not acceptable there.
ALLOWED_CODES = {"NOT_FOUND", "INVALID", "REQUIRED", "UNKNOWN_PICKER_TYPE", "UNKNOWN_TAX_RULE"}
# How a write refuses a reference to another organisation's object. A tax rule of another
# organisation is UNKNOWN_TAX_RULE, the answer for a rule that exists nowhere.
NOT_FOUND_LIKE = {"NOT_FOUND", "UNKNOWN_TAX_RULE"}
ID_SUFFIXES = ("Id", "_id", "Ids", "_ids", "Uuid", "Uuids")
ID_NAMES = {"id", "ids", "uuid", "uuids", "pk"}
SUMMARIES = {principal: {"queries": 0, "query probes": 0, "mutations": 0, "mutation probes": 0, "routes": 0,
                         "route probes": 0, "ids": 0, "leaks": 0} for principal in ("org-b-admin", "operator-user")}
SUMMARY = SUMMARIES["org-b-admin"]
# Root fields a customer principal (an operator user) is served by.
CUSTOMER_FIELDS = {"Query.myInvoices"}


# --- Org A (the victim) and Org B (the caller) ------------------------------------------------------

@dataclass(frozen=True)
class IdValue:
    """An Org A identifier in one form: raw UUID, relay global id of a GraphQL type, or a string."""

    text: str
    raw: str
    form: str
    model: type | None = None

    @property
    def echo(self) -> frozenset[str]:
        return frozenset({self.text, self.raw})

    @property
    def twin_key(self) -> tuple:
        return self.form, getattr(self.model, "__name__", None)

    def twin(self) -> IdValue:
        """The same form (and model, for picker types chosen from it), naming nothing."""
        fresh = str(uuid.uuid4())
        if self.form == "uuid":
            return IdValue(fresh, fresh, self.form, self.model)
        if self.form.startswith("global:"):
            return IdValue(global_id(self.form.split(":", 1)[1], fresh), fresh, self.form, self.model)
        text = f"sweep-{uuid.uuid4().hex[:16]}"
        return IdValue(text, text, self.form)


def global_id(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def parse_global_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return base64.b64decode(text).decode().split(":", 1)[1]


def model_of(gql_type):
    return getattr(getattr(getattr(named(gql_type), "graphene_type", None), "_meta", None), "model", None)


def graphql_types_by_model() -> dict[type, list[str]]:
    mapping: dict[type, list[str]] = {}
    for name, gql_type in schema.graphql_schema.type_map.items():
        model = model_of(gql_type)
        if model is not None:
            mapping.setdefault(model, []).append(name)
    return mapping


def tenant_models() -> list[type]:
    """Every model core.tenancy.scope can restrict to one organisation (historical tables aside)."""
    result = []
    for model in apps.get_models():
        if any(f.name == "history_id" for f in model._meta.fields):
            continue
        if issubclass(model, User) or getattr(model, "tenant_path", None) is not None:
            result.append(model)
    return result


def rows_of(model, organization):
    return scope(model._default_manager.all(), organization)


def snapshot(organization, exclude: tuple = ()) -> dict:
    """Every row of the organisation in every tenant model (all columns), and the number of history
    rows of those objects."""
    state = {}
    for model in tenant_models():
        if model in exclude:
            continue
        qs = rows_of(model, organization)
        state[model._meta.label] = sorted(json.dumps(row, sort_keys=True, default=str) for row in qs.values())
        history = getattr(model, "history", None)
        if history is not None:
            pks = list(qs.values_list("pk", flat=True))
            state[f"{model._meta.label} history"] = history.model.objects.filter(
                **{f"{model._meta.pk.name}__in": pks}).count()
    return state


def changes(before: dict, after: dict) -> str | None:
    changed = {key: {"before": before.get(key), "after": after.get(key)} for key in set(before) | set(after)
               if before.get(key) != after.get(key)}
    return json.dumps(changed, indent=1, default=str)[:4000] if changed else None


def api_key_model():
    try:
        return apps.get_model("core", "ApiKey")
    except LookupError:
        return None


def make_world(org_a, org_b, user_a, user_b) -> SimpleNamespace:
    """Org A built through the services, with ASCII strings (a leak inside a JSON-in-JSON field
    would otherwise hide behind \\u escapes); a smaller Org B so that Org B's lists are not empty."""
    org_a = organization_update(actor=user_a, organization=org_a, version=org_a.version,
                                changes={"legal_name": "Alpha Secret Holding SAS", "city": "Alphaville-Secrete"})
    op1 = Operator.objects.create(organization=org_a, code="pf-alpha-secret", name="Pompes Funebres Alpha Secretes",
                                  email="contact@alpha-secret.test", city="Alphaville-Secrete",
                                  address_line1="1 rue Alpha Secrete", postal_code="99001")
    op2 = Operator.objects.create(organization=org_a, code="marbrerie-alpha", name="Marbrerie Alpha Cachee")
    tariff = Tariff.objects.create(organization=org_a, code="TARIF-ALPHA-SECRET", label="Tarif Alpha confidentiel",
                                   order_kind=OrderKind.DEATH_NOTICE, unit_price=Decimal(89),
                                   tax_rule=FR_VAT_20.id, date_valid_from=date(2025, 1, 1))
    orders = [Order.objects.create(organization=org_a, operator=op1, kind=OrderKind.DEATH_NOTICE,
                                   reference=f"CMD-ALPHA-SECRET-{n}", description=f"Avis Alpha secret {n}",
                                   ordered_at=datetime(2026, 1, 10 + n, tzinfo=UTC)) for n in (1, 2, 3)]
    rule = calculation_rule_create(actor=user_a, organization=org_a,
                                   data=RuleInput(code="TVA-ALPHA-SECRET", label="Taux Alpha confidentiel",
                                                  rate=Decimal("0.07")))

    def invoice_with_line(description, **header):
        header = {"thirdparty_type": "operator", "thirdparty_id": str(op1.pk), **header}  # a buyer that can be billed
        invoice = invoice_create(actor=user_a, organization=org_a, data=header)
        line_add(actor=user_a, invoice=invoice, data={"code": "LA", "description": description, "quantity": "2",
                                                      "unit_price": "50.00"})
        return invoice

    draft = invoice_create(actor=user_a, organization=org_a, data={
        "subject_type": "operator", "subject_id": str(op1.pk), "thirdparty_type": "operator",
        "thirdparty_id": str(op2.pk), "note": "Note brouillon Alpha secrete", "code_ext": "EXT-ALPHA-DRAFT"})
    line_add(actor=user_a, invoice=draft, data={"description": "Ligne Alpha brouillon", "quantity": "1",
                                                "unit_price": "10", "line_type": "order", "line_id": str(orders[0].pk),
                                                "tax_rate": str(rule.pk)})
    validated = invoice_validate(actor=user_a, invoice=invoice_with_line(
        "Ligne Alpha validee", thirdparty_type="operator", thirdparty_id=str(op1.pk), code_ext="EXT-ALPHA-VALID"))
    payment_record(actor=user_a, invoice=validated, data={
        "amount_payed": Decimal("10.00"), "code_ext": "VIR-ALPHA-PARTIEL", "payer_name": "Payeur Alpha Secret"})
    message = event_message_create(actor=user_a, invoice=validated, message="Message secret Alpha")
    paid = invoice_validate(actor=user_a, invoice=invoice_with_line("Ligne Alpha payee"))
    payment_record(actor=user_a, invoice=paid, data={"amount_payed": paid.amount_total, "code_ext": "VIR-ALPHA-TOTAL"})
    cancelled, credit_note = invoice_cancel(
        actor=user_a, invoice=invoice_validate(actor=user_a, invoice=invoice_with_line("Ligne Alpha annulee")),
        reason="Annulation Alpha secrete")
    deleted = invoice_delete(actor=user_a, invoice=invoice_with_line("Ligne Alpha supprimee"))
    # A bank statement whose lines pay, miss and name Org A's invoices.
    statement_entries = [{"ref": "BANK-ALPHA-SECRET-1", "amount": "10.00", "text": f"Facture {validated.code}",
                          "debtor": "Debiteur Alpha Secret"},
                         {"ref": "BANK-ALPHA-SECRET-2", "amount": "7.00", "text": "Virement Alpha inconnu"}]
    bank_statement_import(actor=user_a, organization=org_a, file_name="releve-alpha-secret.xml",
                          content=camt053_document(statement_entries, iban="FR7630006000019999999999999",
                                                   statement_id="STMT-ALPHA-SECRET"))
    storage_key = document_key(org_a.pk, 2026, validated.code, "pdf")
    idempotency_key = "idem-alpha-secret-0001"
    document = InvoiceDocument.objects.create(
        organization=org_a, invoice=validated, operator=op1, format="pdf", status="created", storage_key=storage_key,
        url=f"s3://molink-invoices/{storage_key}", content_type="application/pdf", checksum="a" * 64, size=1234,
        start_date=date(2026, 1, 1), end_date=date(2026, 1, 31), idempotency_key=idempotency_key,
        date_generated=datetime(2026, 2, 1, tzinfo=UTC))
    # Delivery: an endpoint, an SFTP destination, settings, and deliveries of each channel with a try.
    from invoice.delivery import services as delivery_services
    from invoice.delivery.models import Delivery, DeliveryAttempt

    endpoint, webhook_secret = delivery_services.webhook_endpoint_create(
        actor=user_a, organization=org_a, url="https://hooks.alpha-secret.test/molink", description="Hook Alpha secret")
    delivery_services.delivery_settings_update(actor=user_a, organization=org_a, changes={
        "email_subject": "Objet Alpha secret {invoice_number}", "email_reply_to": "compta@alpha-secret.test"})
    import asyncssh

    delivery_services.sftp_destination_set(actor=user_a, organization=org_a, data={
        "host": "sftp.alpha-secret.test", "username": "depot-alpha-secret", "password": "mdp-alpha-secret",
        "host_key": asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode(),
        "remote_folder": "/depot-alpha-secret/{year}"})
    mailed = Delivery.objects.create(organization=org_a, invoice=validated, document=document, channel="email",
                                     recipient="contact@alpha-secret.test", status="sent",
                                     provider_message_id="<delivery.alpha-secret@molink.test>")
    DeliveryAttempt.objects.create(delivery=mailed, number=1, outcome="sent")
    Delivery.objects.create(organization=org_a, invoice=validated, channel="webhook", event="invoice.validated",
                            recipient=endpoint.url, webhook_endpoint=endpoint, status="failed",
                            payload={"secret": "Charge utile Alpha secrete"}, error_message="Erreur Alpha secrete")
    # A mutation log with a clientMutationId, written the way clients write it.
    cmid = "cmid-alpha-secret-0001"
    answer = _post(get_token(user_a), f'mutation {{ createInvoiceEventMessage(input: {{invoiceId: "{validated.pk}", '
                                      f'message: "Relance Alpha confidentielle", clientMutationId: "{cmid}", '
                                      'clientMutationLabel: "Libelle Alpha secret"}) { errors { code } } }')[1]
    assert answer["data"]["createInvoiceEventMessage"]["errors"] == [], answer
    leaks = {
        org_a.name, org_a.code, org_a.legal_name, org_a.city, user_a.username, op1.name, op1.code, op1.email, op2.name,
        op2.code, tariff.code, tariff.label, rule.code, rule.label, "Note brouillon Alpha secrete", "EXT-ALPHA-DRAFT",
        "EXT-ALPHA-VALID", "Ligne Alpha brouillon", "Ligne Alpha validee", "Ligne Alpha payee", "Ligne Alpha annulee",
        "Ligne Alpha supprimee", "VIR-ALPHA-PARTIEL", "Payeur Alpha Secret", "VIR-ALPHA-TOTAL", message.message,
        "Annulation Alpha secrete", storage_key, cmid, "Relance Alpha confidentielle", "Libelle Alpha secret",
        idempotency_key, endpoint.url, "Hook Alpha secret", webhook_secret, "Objet Alpha secret",
        "compta@alpha-secret.test", "sftp.alpha-secret.test", "depot-alpha-secret", "mdp-alpha-secret",
        "<delivery.alpha-secret@molink.test>", "Charge utile Alpha secrete", "Erreur Alpha secrete",
        idempotency_key, "BANK-ALPHA-SECRET-1", "BANK-ALPHA-SECRET-2", "Debiteur Alpha Secret",
        "Virement Alpha inconnu", "releve-alpha-secret.xml", "STMT-ALPHA-SECRET", "FR7630006000019999999999999",
        *(order.reference for order in orders), *(order.description for order in orders),
        *(invoice.code for invoice in (draft, validated, paid, cancelled, credit_note, deleted) if invoice.code),
    }
    strings = [cmid, idempotency_key]
    secret_b = None
    if api_key_model() is not None:
        from core.services.api_keys import api_key_create

        key_a, secret_a = api_key_create(actor=user_a, organization=org_a, name="Cle Alpha secrete",
                                         role=Membership.Role.ADMIN)
        leaks |= {key_a.name, key_a.prefix, secret_a}
        _key_b, secret_b = api_key_create(actor=user_b, organization=org_b, name="Cle Beta sweep",
                                          role=Membership.Role.ADMIN)

    # Org B: one of everything the anchors need, with its own markers.
    operator_b = Operator.objects.create(organization=org_b, code="operateur-beta", name="Operateur Beta Visible")
    Order.objects.create(organization=org_b, operator=operator_b, kind=OrderKind.DEATH_NOTICE,
                         reference="CMD-BETA-VISIBLE-1", ordered_at=datetime(2026, 3, 1, tzinfo=UTC))
    calculation_rule_create(actor=user_b, organization=org_b,
                            data=RuleInput(code="TVA-BETA-VISIBLE", label="Taux Beta", rate=Decimal("0.05")))
    delivery_services.sftp_destination_set(actor=user_b, organization=org_b, data={
        "host": "sftp.beta.test", "username": "beta", "password": "beta-pass",
        "host_key": asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()})
    draft_b = invoice_create(actor=user_b, organization=org_b, data={"note": "Note Beta visible"})
    line_b = line_add(actor=user_b, invoice=draft_b, data={"description": "Ligne Beta visible", "quantity": "1",
                                                            "unit_price": "5"})

    types = graphql_types_by_model()
    ids: list[IdValue] = []
    for model in tenant_models():
        if model._meta.pk.get_internal_type() != "UUIDField":
            continue
        for pk in rows_of(model, org_a).values_list("pk", flat=True):
            ids.append(IdValue(str(pk), str(pk), "uuid", model))
            for type_name in types.get(model, ()):
                ids.append(IdValue(global_id(type_name, pk), str(pk), f"global:{type_name}", model))
    ids += [IdValue(text, text, "string") for text in strings]
    assert all(value.isascii() for value in leaks)
    return SimpleNamespace(
        org_a=org_a, org_b=org_b, user_a=user_a, user_b=user_b, ids=ids, leaks=leaks, cmid=cmid,
        forbidden=set(leaks) | {value.text for value in ids} | {value.raw for value in ids},
        document=document, validated=validated, storage_key=storage_key, secret_b=secret_b,
        # What Org A's administrator sees through the very same probes: proves that they read the
        # fields where a leak would show.
        owner_must_see={org_a.name, op1.name, "STMT-ALPHA-SECRET", tariff.code, orders[0].reference, rule.code, message.message, cmid,
                        validated.code, credit_note.code, "VIR-ALPHA-PARTIEL", "Ligne Alpha validee"},
        caller_must_see={org_b.name, operator_b.name, "CMD-BETA-VISIBLE-1", "TVA-BETA-VISIBLE", "Ligne Beta visible"},
        anchors={Organization: org_b, Invoice: draft_b, InvoiceLineItem: line_b, Operator: operator_b},
    )


@pytest.fixture
def world(org_a, org_b, user_a, user_b, settings):
    # Probes are batched as hundreds of aliases in one document, far above what the cost limit
    # accepts from a client (tests/core/security/test_query_cost.py): lifted for the sweep only.
    settings.GRAPHQL_MAX_COST = 10**12
    return make_world(org_a, org_b, user_a, user_b)


PORTAL_EMAIL = "portail-sweep@molink.test"


def _buyer(organization, code: str, name: str) -> Operator:
    """An operator that carries what a buyer must (invoices to it can be issued)."""
    return Operator.objects.create(organization=organization, code=code, name=name, city="Ville Portail",
                                   address_line1="2 rue du Portail", postal_code="99002",
                                   email=f"{code}@portail.test")


def make_portal_principal(world) -> SimpleNamespace:
    """The operator user: invited by Org A (to "pf-portail-alpha") and by Org B (to "pf-portail-beta"),
    accepted both; a pending invitation to Org A's secret operator. Theirs at each organisation: an
    issued invoice with a line, a created document and a message to them. Around it, what they must
    not see: on those very invoices a staff note, an external code, a ledger account, a payment's
    codes, a staff message, a WARNING; a draft billed to them; another Org B operator's invoice; a
    mutation log; and everything of the world's Org A and Org B."""
    from invoice.constants import EventType
    from invoice.services.events import event_record
    from payment_module.services.operator_users import (
        accept_operator_invitation,
        invite_operator_user,
    )

    org_a, org_b, user_a, user_b = world.org_a, world.org_b, world.user_a, world.user_b
    alpha, beta = _buyer(org_a, "pf-portail-alpha", "PF Portail Alpha"), _buyer(org_b, "pf-portail-beta",
                                                                               "PF Portail Beta")
    other_b = _buyer(org_b, "pf-beta-autre", "PF Beta Autre Operateur")
    _link, token = invite_operator_user(actor=user_a, organization=org_a, operator=alpha, email=PORTAL_EMAIL)
    user = accept_operator_invitation(token=token, password="portal-sweep-123").user
    _link, token = invite_operator_user(actor=user_b, organization=org_b, operator=beta, email=PORTAL_EMAIL)
    accept_operator_invitation(token=token, password=None, user=user)
    pending, _token = invite_operator_user(actor=user_a, organization=org_a,
                                           operator=Operator.objects.get(organization=org_a, code="pf-alpha-secret"),
                                           email=PORTAL_EMAIL)

    def own_invoice(actor, organization, operator, word):
        invoice = invoice_create(actor=actor, organization=organization, data={
            "thirdparty_type": "operator", "thirdparty_id": str(operator.pk), "note": f"Note interne {word} portail",
            "code_ext": f"EXT-{word.upper()}-PORTAIL"})
        line = line_add(actor=actor, invoice=invoice, data={"code": "LP", "description": f"Ligne portail {word}",
                                                            "quantity": "1", "unit_price": "40.00",
                                                            "ledger_account": f"LEDGER-{word.upper()}-INTERNE"})
        invoice = invoice_validate(actor=actor, invoice=invoice)
        payment_record(actor=actor, invoice=invoice, data={"amount_payed": Decimal("5.00"),
                                                           "code_ext": f"VIR-{word.upper()}-PORTAIL",
                                                           "payer_name": f"Payeur {word} Portail"})
        message = event_message_create(actor=actor, invoice=invoice, message=f"Message {word} pour le portail",
                                       to_customer=True)
        event_message_create(actor=actor, invoice=invoice, message=f"Note du personnel {word} portail")
        event_record(invoice=invoice, event_type=EventType.WARNING, message=f"Avertissement interne {word} portail")
        key = document_key(organization.pk, 2026, invoice.code, "pdf")
        document = InvoiceDocument.objects.create(
            organization=organization, invoice=invoice, operator=operator, format="pdf", status="created",
            storage_key=key, url=f"s3://molink-invoices/{key}", content_type="application/pdf", checksum="b" * 64,
            size=99, idempotency_key=f"idem-{word.lower()}-portail")
        return invoice, line, message, document, key

    mine_a = own_invoice(user_a, org_a, alpha, "Alpha")
    mine_b = own_invoice(user_b, org_b, beta, "Beta")
    draft = invoice_create(actor=user_b, organization=org_b, data={
        "thirdparty_type": "operator", "thirdparty_id": str(beta.pk), "note": "Brouillon Beta portail"})
    line_add(actor=user_b, invoice=draft, data={"description": "Ligne brouillon Beta portail", "quantity": "1",
                                                "unit_price": "3"})
    other = invoice_create(actor=user_b, organization=org_b, data={"thirdparty_type": "operator",
                                                                   "thirdparty_id": str(other_b.pk)})
    line_add(actor=user_b, invoice=other, data={"description": "Ligne Beta autre operateur", "quantity": "1",
                                                "unit_price": "7"})
    other = invoice_validate(actor=user_b, invoice=other)
    cmid_b = "cmid-beta-portail-0001"
    answer = _post(get_token(user_b), f'mutation {{ createInvoiceEventMessage(input: {{invoiceId: "{mine_b[0].pk}", '
                                      f'message: "Relance Beta interne", clientMutationId: "{cmid_b}"}}) '
                                      '{ errors { code } } }')[1]
    assert answer["data"]["createInvoiceEventMessage"]["errors"] == [], answer

    visible = {str(obj.pk) for obj in (org_a, org_b, *mine_a[:4], *mine_b[:4])}
    types = graphql_types_by_model()
    ids: list[IdValue] = []
    for organization in (org_a, org_b):
        for model in tenant_models():
            if model._meta.pk.get_internal_type() != "UUIDField":
                continue
            for pk in rows_of(model, organization).values_list("pk", flat=True):
                if str(pk) in visible:
                    continue
                ids.append(IdValue(str(pk), str(pk), "uuid", model))
                ids += [IdValue(global_id(name, pk), str(pk), f"global:{name}", model) for name in types.get(model, ())]
    strings = [world.cmid, "idem-alpha-secret-0001", cmid_b, "idem-beta-portail"]
    ids += [IdValue(text, text, "string") for text in strings]
    internal = {
        "Note interne Alpha portail", "EXT-ALPHA-PORTAIL", "LEDGER-ALPHA-INTERNE", "VIR-ALPHA-PORTAIL",
        "Payeur Alpha Portail", "Note du personnel Alpha portail", "Avertissement interne Alpha portail", mine_a[4],
        "idem-alpha-portail", "Note interne Beta portail", "EXT-BETA-PORTAIL", "LEDGER-BETA-INTERNE",
        "VIR-BETA-PORTAIL", "Payeur Beta Portail", "Note du personnel Beta portail", "Avertissement interne Beta portail",
        mine_b[4], "idem-beta-portail", "Brouillon Beta portail", "Ligne brouillon Beta portail",
        "Ligne Beta autre operateur", other.code, other_b.name, other_b.code, cmid_b, "Relance Beta interne",
        # the world's Org B, beside the portal's operator: its staff, other operators, orders, rules, notes
        world.user_b.username, "Operateur Beta Visible", "operateur-beta", "CMD-BETA-VISIBLE-1", "TVA-BETA-VISIBLE",
        "Note Beta visible", "Ligne Beta visible", "Cle Beta sweep", "Payeur Alpha Secret", user_a.username,
    }
    leaks = (set(world.leaks) - {org_a.name}) | internal
    assert all(value.isascii() for value in leaks)
    forbidden = (leaks | {value.text for value in ids} | {value.raw for value in ids}) - visible
    return SimpleNamespace(
        key="operator-user", name="an operator user", user=user, token=get_token(user), ids=ids,
        strings=sorted(leaks), forbidden=forbidden, refusal="NO_ORGANIZATION",
        allowed=ALLOWED_CODES | {"NO_ORGANIZATION"}, owner_control=False, summary=SUMMARIES["operator-user"],
        caller_must_see={mine_a[0].code, mine_b[0].code, "Ligne portail Alpha", "Ligne portail Beta",
                         "Message Alpha pour le portail", "Message Beta pour le portail", org_a.name, org_b.name},
        rest_credentials={"operator jwt": {"HTTP_AUTHORIZATION": f"Bearer {get_token(user)}"}},
        invoice_a=mine_a[0], document_a=mine_a[3], storage_key_a=mine_a[4], pending=pending)


@pytest.fixture(params=["org-b-admin", "operator-user"])
def principal(request, world):
    """Who probes: Org B's administrator (a staff member of the other organisation), or an operator
    user billed by both organisations (core.tenancy's customer principal)."""
    if request.param == "org-b-admin":
        return SimpleNamespace(
            key="org-b-admin", name="Org B's administrator", user=world.user_b, token=get_token(world.user_b),
            ids=world.ids, strings=sorted(world.leaks), forbidden=world.forbidden, refusal=None, allowed=ALLOWED_CODES,
            owner_control=True, summary=SUMMARY, caller_must_see=world.caller_must_see,
            rest_credentials=rest_credentials(world))
    return make_portal_principal(world)


@pytest.fixture(scope="module", autouse=True)
def _summary_line(request):
    yield
    lines = []
    for key, label in (("org-b-admin", "tenant sweep"), ("operator-user", "tenant sweep, operator user")):
        summary = SUMMARIES[key]
        if not (summary["query probes"] or summary["mutation probes"] or summary["route probes"]) \
                and key != "org-b-admin":
            continue
        lines.append(f"{label}: {summary['queries']} queries ({summary['query probes']} probes), "
                     f"{summary['mutations']} mutations ({summary['mutation probes']} probes), "
                     f"{summary['routes']} routes ({summary['route probes']} probes), "
                     f"{summary['ids']} id values tried, leaks found: {summary['leaks']}"
                     + (f"; answered only {', '.join(summary['answered'])}, every other query, mutation and staff "
                        "route refused NO_ORGANIZATION" if summary.get("answered") else ""))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():  # shown with or without -s
        reporter.write("\n")
        for line in lines:
            reporter.write_line(line)


# --- Judging answers --------------------------------------------------------------------------------

def _post(token: str | None, document: str, headers: dict | None = None) -> tuple[int, dict]:
    extra = dict(headers or {})
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    response = Client().post("/graphql", json.dumps({"query": document}), content_type="application/json", **extra)
    return response.status_code, _json(response)


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {"non_json_body": response.content.decode(errors="replace")[:5000]}
    return body if isinstance(body, dict) else {"json": body}


def _variants(value: str) -> set[str]:
    """A value as it may appear in an answer: plain, JSON-escaped, JSON-in-JSON-escaped, in a URL."""
    once = json.dumps(value)[1:-1]
    return {value, once, json.dumps(once)[1:-1], quote(value, safe="")}


def _mask(text: str, echo) -> str:
    for value in sorted(echo, key=len, reverse=True):
        for variant in sorted(_variants(value), key=len, reverse=True):
            text = text.replace(variant, "<sent>")
    return text


def leaked(answer, echo, forbidden) -> list[str]:
    text = _mask(json.dumps(answer, ensure_ascii=False, default=str), echo)
    return sorted(value for value in forbidden if any(variant in text for variant in _variants(value)))


def normalized(status: int, answer, echo) -> tuple[int, str]:
    def strip(obj):
        if isinstance(obj, dict):
            return {key: strip(value) for key, value in obj.items() if key != "locations"}
        if isinstance(obj, list):
            return [strip(value) for value in obj]
        return obj

    return status, _mask(json.dumps(strip(answer), sort_keys=True, ensure_ascii=False, default=str), echo)


def validation_rejected(status: int, body: dict) -> bool:
    return status == 400 and not body.get("data") and bool(body.get("errors")) and all(
        (error.get("extensions") or {}).get("code") == "GRAPHQL_VALIDATION_FAILED" for error in body["errors"])


def graphql_error_problems(status: int, body: dict, allowed=ALLOWED_CODES) -> list[str]:
    problems = [f"HTTP {status}"] if status >= 500 else []
    if "non_json_body" in body:
        problems.append("non-JSON answer")
    if validation_rejected(status, body):
        return problems  # refused by validation before execution: the value does not fit the type
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in allowed:
            problems.append(f"top-level error {code}: {error.get('message')}")
    return problems


# --- GraphQL schema helpers -------------------------------------------------------------------------

class Raw(str):
    """A literal written as is (enum value, bare number, object)."""


def named(gql_type):
    while isinstance(gql_type, (GraphQLNonNull, GraphQLList)):
        gql_type = gql_type.of_type
    return gql_type


def is_list(gql_type) -> bool:
    if isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    return isinstance(gql_type, GraphQLList)


def is_required(arg) -> bool:
    return isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined


def is_id_like(name: str, arg) -> bool:
    """From the argument alone: an ID/UUID scalar, a String named like an id, or a String documented
    as holding a UUID (`taxRate`, `taxRule`)."""
    base = named(arg.type).name
    if base not in {"String", "ID", "UUID"} or name in NOT_IDS:
        return False
    return (base in {"ID", "UUID"} or name in ID_NAMES or name.endswith(ID_SUFFIXES)
            or "uuid" in (arg.description or "").lower())


def fits(arg_type, value: IdValue) -> bool:
    """Whether GraphQL validation lets the value through (a UUID argument takes raw UUIDs only)."""
    return named(arg_type).name != "UUID" or value.form == "uuid"


def literal(value) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {literal(item)}" for key, item in value.items()) + "}"
    raise TypeError(value)


def render_args(args: dict) -> str:
    return "(" + ", ".join(f"{key}: {literal(value)}" for key, value in args.items()) + ")" if args else ""


def domains() -> dict[str, list]:
    """Arguments whose plausible values are a closed set of the domain."""
    kind = OrderKind.values[0]
    return {"role": list(pickers.ROLES), "type": sorted(p.code for p in pickers.picker_types()), "calcType": ["tax"],
            "format": ["pdf"], "kind": [kind], "orderKind": [kind], "rate": ["0.05"], "unitPrice": ["1"],
            "currencyCode": ["EUR"], "countryCode": ["FR"], "vatCategory": ["S"], "code": ["sweep-b-1"],
            "reference": ["SWEEP-B-1"]}


SCALARS = {"String": "x", "ID": "x", "UUID": "00000000-0000-4000-8000-000000000000", "Int": 1, "Float": 1.0,
           "Boolean": False, "Decimal": "1", "DecimalLiteral": Raw("1"), "Date": "2026-01-01",
           "DateTime": "2026-01-01T00:00:00+00:00", "JSONString": "{}", "GenericScalar": Raw("{}")}


def domain_values(name: str, gql_type) -> list:
    base = named(gql_type)
    if isinstance(base, GraphQLEnumType):
        values = [Raw(next(iter(base.values)))]
    elif isinstance(base, GraphQLInputObjectType):
        values = [{key: plausible(key, sub.type) for key, sub in base.fields.items() if is_required(sub)}]
    elif name in domains() and base.name in {"String", "Decimal"}:
        values = list(domains()[name])
    else:
        values = [SCALARS.get(base.name, "x")]
    return [[value] for value in values] if is_list(gql_type) else values


def plausible(name: str, gql_type):
    return domain_values(name, gql_type)[0]


def id_literal(arg_type, text: str):
    return [text] if is_list(arg_type) else text


def selection(gql_type, depth: int = 1) -> str:
    """Every scalar field, and those of nested objects one level down (a connection's edges/node and
    pageInfo do not count as a level)."""
    gql_type = named(gql_type)
    if not isinstance(gql_type, (GraphQLObjectType, GraphQLInterfaceType)):
        return ""
    parts = []
    for name, fld in gql_type.fields.items():
        if any(is_required(arg) for arg in fld.args.values()):
            continue
        inner_type = named(fld.type)
        if isinstance(inner_type, (GraphQLScalarType, GraphQLEnumType)):
            parts.append(name)
        elif isinstance(inner_type, (GraphQLObjectType, GraphQLInterfaceType)):
            transparent = name in ("edges", "node", "pageInfo")
            if transparent or depth > 0:
                inner = selection(inner_type, depth if transparent else depth - 1)
                if inner:
                    parts.append(f"{name} {{ {inner} }}")
    return " ".join(parts)


def narrow_selection(gql_type) -> str:
    """What shows a match or a leak at little cost: rows' ids and totalCount for a connection;
    scalars, and ids (or scalars) of nested objects, otherwise."""
    base = named(gql_type)
    if not isinstance(base, (GraphQLObjectType, GraphQLInterfaceType)):
        return ""
    if "edges" in base.fields:
        node = named(named(base.fields["edges"].type).fields["node"].type)
        return "totalCount edges { node { %s } }" % ("id" if "id" in node.fields else selection(node, 0))
    parts = []
    for name, fld in base.fields.items():
        if any(is_required(arg) for arg in fld.args.values()):
            continue
        inner = named(fld.type)
        if isinstance(inner, (GraphQLScalarType, GraphQLEnumType)):
            parts.append(name)
        elif isinstance(inner, (GraphQLObjectType, GraphQLInterfaceType)):
            parts.append(f"{name} {{ {'id' if 'id' in inner.fields else selection(inner, 0)} }}")
    return " ".join(parts)


def root_fields(kind: str) -> dict:
    root = schema.graphql_schema.query_type if kind == "Query" else schema.graphql_schema.mutation_type
    return dict(root.fields)


# --- Batched probes ---------------------------------------------------------------------------------

@dataclass
class Call:
    """One probe: `build(value)` gives the field's arguments for a value (the twin is built the same
    way); calls sharing a `twin_key` share one twin answer."""

    field: str
    build: Callable
    value: IdValue | None
    where: str
    twin_key: tuple | None = None
    fits: bool = True
    extra_echo: frozenset = frozenset()


@dataclass
class Outcome:
    call: Call
    status: int
    answer: dict  # {"data": this alias's data, "errors": this alias's errors}
    rejected: bool


BATCH = 150


class Sweep:
    """Sends probes, collects problems (one run reports them all), compares answers with twins."""

    def __init__(self, world):
        self.world = world  # a principal (or anything with `forbidden`)
        self.allowed = getattr(world, "allowed", ALLOWED_CODES)
        self.summary = getattr(world, "summary", SUMMARY)
        self.problems: list[str] = []
        self.probes = 0
        self.twins: dict = {}

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}\n      -> {message}")

    def judge(self, where: str, answer, echo=()) -> None:
        self.probes += 1
        found = leaked(answer, set(echo), self.world.forbidden)
        if found:
            self.problem(where, f"LEAK of {found}: {json.dumps(answer, ensure_ascii=False, default=str)[:600]}")

    def compare(self, where: str, mine, key) -> None:
        if key in self.twins and mine != self.twins[key]:
            self.problem(where, f"EXISTENCE ORACLE: answers {mine} for Org A's value, {self.twins[key]} for one "
                                "that names nothing")

    def _send(self, operation: str, entries: list[Call], selected: str, token: str):
        """[(status, body, alias)] for the entries: one document of aliases, or one document per
        entry for a non-null root field (one alias's error would null the data of all)."""
        kind = "Query" if operation == "query" else "Mutation"
        root_type = root_fields(kind)[entries[0].field].type
        indexed = list(enumerate(entries))
        # At most BATCH aliases a document, below GRAPHQL_MAX_QUERY_BYTES and GRAPHQL_MAX_FIELDS.
        groups = [[entry] for entry in indexed] if isinstance(root_type, GraphQLNonNull) \
            else [indexed[start:start + BATCH] for start in range(0, len(indexed), BATCH)]
        results = [None] * len(entries)
        for group in groups:
            document = operation + " { " + " ".join(
                f"a{index}: {call.field}{render_args(call.build(call.value))}" + (f" {{ {selected} }}" if selected else "")
                for index, call in group) + " }"
            status, body = _post(token, document)
            for index, _call in group:
                results[index] = (status, body)
            for problem in graphql_error_problems(status, body, self.allowed):
                self.problem(f"{operation} {group[0][1].where}" + (f" (and {len(group) - 1} more)" if len(group) > 1
                                                                    else ""), problem)
            if validation_rejected(status, body):  # judged once, masked with every value it carried
                echo = {v for _i, call in group if call.value for v in call.value.echo} | set(group[0][1].extra_echo)
                self.judge(f"{operation} {group[0][1].where} (rejected by validation)", body, echo)
                self.probes -= 1
        return results

    def run(self, operation: str, calls: list[Call], selected: str, token: str) -> list[Outcome]:
        outcomes = []
        for group in ([c for c in calls if c.fits], [c for c in calls if not c.fits]):
            if not group:
                continue
            twins = {}
            for call in group:
                key = (call.twin_key, selected, call.value.twin_key) if call.value and call.twin_key else None
                if key and key not in self.twins and key not in twins:
                    twins[key] = Call(call.field, call.build, call.value.twin(), "twin", call.twin_key, call.fits,
                                      call.extra_echo)
            entries = group + list(twins.values())
            for index, (call, (status, body)) in enumerate(zip(entries, self._send(operation, entries, selected, token))):
                rejected = validation_rejected(status, body)
                answer = {"data": (body.get("data") or {}).get(f"a{index}"),
                          "errors": [dict(error, path=(error.get("path") or [None])[1:])
                                     for error in body.get("errors") or []
                                     if (error.get("path") or [None])[0] == f"a{index}"]}
                echo = (set(call.value.echo) if call.value else set()) | set(call.extra_echo)
                mine = normalized(status, answer, echo)
                key = (call.twin_key, selected, call.value.twin_key) if call.value and call.twin_key else None
                if call.where == "twin":
                    self.twins[key] = mine
                    continue
                if rejected:
                    self.probes += 1
                else:
                    self.judge(call.where, answer, echo)
                    if key:
                        self.compare(call.where, mine, key)
                outcomes.append(Outcome(call, status, answer, rejected))
        return outcomes

    def finish(self, label: str) -> None:
        self.summary["leaks"] += sum(any(word in p for word in ("LEAK", "ORACLE", "ACCEPTED", "CHANGED"))
                                for p in self.problems)
        assert not self.problems, f"{label}: {len(self.problems)} problem(s) in {self.probes} probes:\n" + "\n".join(
            self.problems[:60])


# --- 1a. GraphQL queries ----------------------------------------------------------------------------

def text_arguments(fld, skip) -> list[str]:
    """String arguments worth a search for Org A's strings. `x_Icontains` finds whatever `x`,
    `x_Iexact` and `x_Istartswith` find: when it exists, those are left out."""
    names = [arg for arg, a in fld.args.items() if arg not in skip and named(a.type).name == "String"]
    covered = {name[: -len("_Icontains")] for name in names if name.endswith("_Icontains")}
    return [name for name in names
            if not (re.sub(r"_(Iexact|Istartswith)$", "", name) in covered and not name.endswith("_Icontains"))]


def test_every_root_query_answers_nothing_of_another_organisation(world, principal):
    sweep = Sweep(principal)
    token_b, token_a = principal.token, get_token(world.user_a)
    caller_saw, owner_saw, exercised = set(), set(), set()
    answered, refused = {}, {}  # root field → probes answered with data / refused with principal.refusal
    before_a = snapshot(world.org_a)

    def tally(name, outcomes):
        for outcome in outcomes:
            if outcome.rejected:
                continue
            codes = {(error.get("extensions") or {}).get("code") for error in outcome.answer["errors"]}
            if principal.refusal and codes == {principal.refusal} and outcome.answer["data"] is None:
                refused[name] = refused.get(name, 0) + 1
            elif outcome.answer["data"] is not None and not codes:
                answered[name] = answered.get(name, 0) + 1
        return outcomes

    for name, fld in root_fields("Query").items():
        if f"Query.{name}" in EXEMPT:
            continue
        full, narrow = selection(fld.type), narrow_selection(fld.type)
        id_args = {arg: a for arg, a in fld.args.items() if is_id_like(arg, a)}
        required = [arg for arg, a in fld.args.items() if is_required(a) and arg not in id_args]
        required_ids = [arg for arg in id_args if is_required(fld.args[arg])]
        combos = [dict(zip(required, values)) for values in
                  itertools.product(*(domain_values(arg, fld.args[arg].type) for arg in required))] or [{}]

        # (a) no optional argument: the caller's own rows only; (d) every Boolean switch that could
        # widen what is visible (isDeleted, applyDefaultValidityFilter…), both ways. Every scalar
        # field selected; the owner, through the same documents, must see its own data.
        if not required_ids:
            switches = [{}] + [{arg: flag} for arg, a in fld.args.items()
                               if named(a.type).name == "Boolean" and not is_required(a) for flag in (True, False)]
            calls = [Call(name, lambda _v, args={**combo, **switch}: args, None, f"{name}{render_args({**combo, **switch})}")
                     for combo in combos for switch in switches]
            for outcome in tally(name, sweep.run("query", calls, full, token_b)):
                text = json.dumps(outcome.answer, ensure_ascii=False)
                caller_saw |= {marker for marker in principal.caller_must_see if marker in text}
                if outcome.answer["data"] is not None and not outcome.answer["errors"]:
                    exercised.add(name)
            if principal.owner_control:
                owner = Sweep(SimpleNamespace(forbidden=set()))
                for outcome in owner.run("query", calls, full, token_a):
                    text = json.dumps(outcome.answer, ensure_ascii=False)
                    owner_saw |= {marker for marker in world.owner_must_see if marker in text}

        # (b) every id-like argument with every Org A id in every form: once alone with every field
        # selected, then all of them.
        base = combos[0]
        for arg, arg_def in id_args.items():
            def build(value, arg=arg, arg_def=arg_def, base=base, fld=fld, required_ids=required_ids):
                return {**base, **{other: id_literal(fld.args[other].type, value.text) for other in required_ids},
                        arg: id_literal(arg_def.type, value.text)}

            def call(value, arg=arg, build=build, fld=fld, required_ids=required_ids, name=name):
                ok = all(fits(fld.args[a].type, value) for a in {arg, *required_ids})
                return Call(name, build, value, f"{name}{render_args(build(value))}", (name, arg), ok)

            first = next(v for v in principal.ids if v.form == "uuid")
            outcomes = tally(name, sweep.run("query", [call(first)], full, token_b))
            outcomes += tally(name, sweep.run("query", [call(value) for value in principal.ids], narrow, token_b))
            if any(not outcome.rejected for outcome in outcomes):
                exercised.add(name)

        # (c) every free-text argument with every Org A string: searches, code filters, orderBy…
        values = [IdValue(text, text, "string") for text in principal.strings]
        for arg in text_arguments(fld, set(id_args) | set(required)):
            arg_type = fld.args[arg].type
            tally(name, sweep.run("query", [Call(name, lambda v, arg=arg, t=arg_type, base=base: {**base, arg: id_literal(t, v.text)},
                                     value, f"{name}({arg}: {value.text!r})", (name, arg)) for value in values],
                      narrow, token_b))

    ignored = {key.split(".", 1)[1] for key in EXEMPT if key.startswith("Query.")}
    missing = sorted(set(root_fields("Query")) - exercised - ignored)
    if missing and not principal.refusal:
        sweep.problem("coverage", f"root queries the sweep could not exercise (sweep them or add them to EXEMPT): "
                                  f"{missing}")
    if principal.refusal:  # a principal without organisation: every staff query refuses it, wholly
        for name in sorted(set(answered) | set(refused)):
            if f"Query.{name}" in CUSTOMER_FIELDS:
                if refused.get(name):
                    sweep.problem(name, f"a customer query refused {principal.name} {refused[name]} times")
            elif answered.get(name):
                inner = narrow_selection(root_fields("Query")[name].type)
                _status, body = _post(None, f"query {{ {name}{f' {{ {inner} }}' if inner else ''} }}")
                if body.get("errors") or not body.get("data"):  # not public: staff data without organisation
                    sweep.problem(name, f"a staff query ANSWERED {principal.name} ({answered[name]} probes) instead "
                                        f"of {principal.refusal}")
        missing_customer = sorted(field.split(".", 1)[1] for field in CUSTOMER_FIELDS
                                  if field.startswith("Query.") and not answered.get(field.split(".", 1)[1]))
        if missing_customer:
            sweep.problem("coverage", f"customer queries that answered nothing: {missing_customer}")
        exercised = set(refused) | set(answered)
        missing = sorted(set(root_fields("Query")) - exercised - ignored)
        if missing:
            sweep.problem("coverage", f"root queries neither refused nor answered: {missing}")
    if changed := changes(before_a, snapshot(world.org_a)):
        sweep.problem("Org A's rows", f"CHANGED by queries: {changed}")
    if caller_saw != principal.caller_must_see:
        sweep.problem("control", f"the caller's own data not returned: {principal.caller_must_see - caller_saw}")
    if principal.owner_control and owner_saw != world.owner_must_see:
        sweep.problem("control", f"the probes do not read {world.owner_must_see - owner_saw}")
    principal.summary["queries"] = len(exercised)
    principal.summary["query probes"] = sweep.probes
    principal.summary["ids"] = len(principal.ids)
    principal.summary["answered"] = sorted(set(answered) - set(refused)) if principal.refusal else []
    sweep.finish("root queries")


# --- 1b. GraphQL mutations --------------------------------------------------------------------------

def mutation_fields(fld) -> tuple[dict, bool]:
    """The input fields of a mutation (relay `input`), or its arguments."""
    if set(fld.args) == {"input"} and isinstance(named(fld.args["input"].type), GraphQLInputObjectType):
        return dict(named(fld.args["input"].type).fields), True
    return dict(fld.args), False


def anchor_for(world, fld, field_name: str):
    """Org B's own object that a required id field names while the sweep probes another field: `id`
    names the payload's object type, `<model>Id` the model of that name."""
    if field_name in ("id", "uuid"):
        for sub in named(fld.type).fields.values():
            if model_of(sub.type) in world.anchors:
                return world.anchors[model_of(sub.type)]
        return None
    stem = re.sub(r"(_?[Ii]d|_?[Uu]uid)$", "", field_name).lower()
    return next((obj for model, obj in world.anchors.items() if model._meta.model_name == stem), None)


def picker_code(role: str, model) -> str | None:
    """A valid picker type for a generic reference (subjectType beside subjectId): the model's own
    when it is pickable in that role, so that the lookup of the id is what answers."""
    if role not in pickers.ROLES:
        return None
    own = pickers.type_for_model(model) if model is not None else None
    if own is not None and role in own.roles:
        return own.code
    return min(p.code for p in pickers.picker_types(role))


def refused_wholly(outcome: Outcome, code: str) -> bool:
    """The call was refused before it ran: a top-level `code` error and no payload."""
    codes = {(error.get("extensions") or {}).get("code") for error in outcome.answer["errors"]}
    return outcome.answer["data"] is None and codes == {code}


def test_every_root_mutation_refuses_another_organisations_ids_and_changes_nothing(world, principal):
    sweep = Sweep(principal)
    token_b = principal.token
    before_a = snapshot(world.org_a)
    exercised, own_only, unanchored = set(), set(), []
    mutations = {name: fld for name, fld in root_fields("Mutation").items() if f"Mutation.{name}" not in NOT_CALLED}
    cmid = frozenset({world.cmid})

    def id_fields_of(fields):
        return [f for f, d in fields.items() if is_id_like(f, d) and f != "clientMutationId"]

    # Own-organisation-only mutations first: what they create in Org B belongs to Org B's reference
    # state, which the refused probes must not change either.
    for name, fld in mutations.items():
        fields, wrapped = mutation_fields(fld)
        if id_fields_of(fields):
            continue
        assert f"Mutation.{name}" in OWN_ORGANISATION_ONLY, (
            f"{name} takes no id-like input: add it to OWN_ORGANISATION_ONLY with a reason, or sweep it another way")
        data = {f: plausible(f, d.type) for f, d in fields.items() if is_required(d)}
        if "clientMutationId" in fields:
            data["clientMutationId"] = world.cmid
        args = {"input": data} if wrapped else data
        for outcome in sweep.run("mutation", [Call(name, lambda _v, args=args: args, None, name, extra_echo=cmid)],
                                 selection(fld.type), token_b):
            if principal.refusal and not refused_wholly(outcome, principal.refusal):
                sweep.problem(name, f"ACCEPTED: expected {principal.refusal} for {principal.name}, got {outcome.answer}")
            payload = outcome.answer["data"] or {}
            if {error["code"] for error in payload.get("errors") or []} & FORBIDDEN_CODES:
                sweep.problem(name, f"payload errors {payload['errors']}")
        own_only.add(name)
    before_b = snapshot(world.org_b, exclude=(MutationLog,))

    for name, fld in mutations.items():
        fields, wrapped = mutation_fields(fld)
        id_fields = id_fields_of(fields)
        if not id_fields:
            continue

        def build(value: IdValue, probed: str | None, fields=fields, id_fields=id_fields, fld=fld):
            """Mode A (probed None): every id-like field names Org A's object. Mode B: only `probed`
            does; required id fields name Org B's own objects, optional ones are left out."""
            data = {}
            for f, d in fields.items():
                if f == "clientMutationId":
                    data[f] = world.cmid  # another organisation's clientMutationId, reused
                elif f in id_fields:
                    if probed is None or f == probed:
                        data[f] = id_literal(d.type, value.text)
                    elif is_required(d):
                        anchor = anchor_for(world, fld, f)
                        if anchor is None:
                            return None
                        anchor.refresh_from_db()
                        data[f] = id_literal(d.type, str(anchor.pk))
                        if f in ("id", "uuid") and "version" in fields and hasattr(anchor, "version"):
                            data["version"] = anchor.version
                elif is_required(d) and f not in data:
                    data[f] = plausible(f, d.type)
            for f, d in fields.items():  # the picker type beside a generic reference
                stem = f[:-4] if f.endswith("Type") else None
                if stem and f"{stem}Id" in data and f not in data and d.default_value is Undefined:
                    code = picker_code(stem, value.model if data[f"{stem}Id"] in (value.text, [value.text]) else None)
                    if code:
                        data[f] = code
            return data

        def call(value, probed, build=build, name=name, fields=fields, id_fields=id_fields, wrapped=wrapped):
            def make_args(sent):
                data = build(sent, probed)
                return {"input": data} if wrapped else data

            probed_fields = id_fields if probed is None else [probed]
            ok = all(fits(fields[f].type, value) for f in probed_fields)
            return Call(name, make_args, value, f"{name}{render_args(make_args(value))}", (name, probed), ok, cmid)

        def check(outcome: Outcome, probed: str | None, name=name):
            if outcome.rejected:
                return
            where, payload = outcome.call.where, outcome.answer["data"]
            if principal.refusal:  # no organisation: refused before anything is looked up
                if refused_wholly(outcome, principal.refusal):
                    exercised.add(name)
                else:
                    sweep.problem(where, f"ACCEPTED: expected {principal.refusal}, got {outcome.answer}")
                return
            if payload is None:
                sweep.problem(where, f"no payload: {outcome.answer}")
                return
            errors = payload.get("errors") or []
            if not errors:
                sweep.problem(where, f"ACCEPTED Org A's id: {payload}")
                return
            if {error["code"] for error in errors} & FORBIDDEN_CODES:
                sweep.problem(where, f"payload errors {errors}")
            # A string that is no identifier at all (a clientMutationId) is INVALID, like any such string.
            form = outcome.call.value.form if outcome.call.value else "uuid"
            expected = NOT_FOUND_LIKE | ({"INVALID"} if form == "string" else set())
            refused = [error for error in errors if error["code"] in expected
                       and (probed is None or (error.get("field") or "").split(".")[0] == probed)]
            if not refused:
                sweep.problem(where, f"expected NOT_FOUND{'' if probed is None else ' on ' + probed}, got {errors}")
            else:
                exercised.add(name)

        full, narrow = selection(fld.type), narrow_selection(fld.type)
        first = next(v for v in principal.ids if v.form == "uuid")
        for outcome in sweep.run("mutation", [call(first, None)], full, token_b):
            check(outcome, None)
        for outcome in sweep.run("mutation", [call(value, None) for value in principal.ids], narrow, token_b):
            check(outcome, None)
        for f in id_fields:  # a list field given every Org A id at once
            if is_list(fields[f].type):
                every = [v.text for v in principal.ids if v.form == "uuid"]
                data = {**build(first, None), f: every}
                args = {"input": data} if wrapped else data
                for outcome in sweep.run("mutation", [Call(name, lambda _v, args=args: args, None, f"{name}({f}: [all])",
                                                           extra_echo=cmid | set(every))], narrow, token_b):
                    check(outcome, f)
        for f in id_fields:  # mode B: one optional reference of another organisation beside own objects
            if len(id_fields) == 1 or is_required(fields[f]):
                continue  # mode A already probes it alone, or as the first lookup
            if build(first, f) is None:
                unanchored.append(f"{name}.{f}")
                continue
            for outcome in sweep.run("mutation", [call(value, f) for value in principal.ids], narrow, token_b):
                check(outcome, f)

    principal.summary["mutations"] = len(exercised | own_only)
    principal.summary["mutation probes"] = sweep.probes
    if changed := changes(before_a, snapshot(world.org_a)):
        sweep.problem("Org A's rows", f"CHANGED by Org B's mutations: {changed}")
    if changed := changes(before_b, snapshot(world.org_b, exclude=(MutationLog,))):
        sweep.problem("Org B's rows", f"CHANGED by refused mutations (all or nothing): {changed}")

    # Org B reused Org A's clientMutationId on every call: polling by it shows Org B's rows only.
    for field_name, document in () if principal.refusal else (
            ("mutationLogs", ("mutationLogs(clientMutationId: %s) { totalCount edges { node { id clientMutationId "
                              "jsonContent status error } } }")),
            ("invoice", "invoice(clientMutationId: %s) { edges { node { id code } } }")):
        status, body = _post(token_b, "query { %s }" % (document % json.dumps(world.cmid)))
        assert status == 200 and not body.get("errors"), body
        # Org B's own logs hold the Org A ids Org B sent: judge the rows that come back instead.
        returned = {parse_global_id(edge["node"]["id"]) for edge in body["data"][field_name]["edges"]}
        for model in (MutationLog, Invoice):
            rows_a = {str(pk) for pk in rows_of(model, world.org_a).values_list("pk", flat=True)}
            if returned & rows_a:
                sweep.problem(field_name, f"LEAK of Org A's {model.__name__} rows {returned & rows_a}")
    ignored = {key.split(".", 1)[1] for key in EXEMPT if key.startswith("Mutation.")}
    missing = sorted(set(mutations) - exercised - ignored)
    if missing:
        sweep.problem("coverage", f"root mutations the sweep could not exercise (sweep them or add them to "
                                  f"EXEMPT): {missing}")
    if unanchored:
        sweep.problem("coverage", f"no Org B object to name beside the probed field: {unanchored} "
                                  "(extend world.anchors)")
    sweep.finish("root mutations")


def test_exemptions_are_current_and_explained():
    fields = {f"Query.{name}" for name in root_fields("Query")} | {f"Mutation.{name}" for name in root_fields("Mutation")}
    stale = sorted(set(EXEMPT) - fields)
    assert not stale, f"EXEMPT names fields that no longer exist: {stale}"
    assert all(len(reason) > 20 for reason in EXEMPT.values())


def test_naming_another_organisation_in_x_organization_is_refused_like_an_unknown_one(world):
    """A user acts for their own organisations only: naming Org A (by UUID or code) in X-Organization
    answers as naming an organisation that does not exist, on GraphQL and on REST; an API key acts for
    its own organisation whatever the header says."""
    token_b = get_token(world.user_b)
    rest_url = next((build_url(route, {}) for route in rest_routes() if not route.params
                     and "GET" in http_methods(route.pattern.callback) and route.display.startswith("v2/")
                     and operations_of(route)), None)
    for requested, twin in ((str(world.org_a.pk), str(uuid.uuid4())), (world.org_a.code, "org-nowhere-sweep")):
        answers = []
        for value in (requested, twin):
            status, body = _post(token_b, "query { me { role organization { id name } } invoice { totalCount edges { "
                                          "node { id code } } } }", {"HTTP_X_ORGANIZATION": value})
            assert status < 500 and {e["extensions"]["code"] for e in body["errors"]} == {"NO_ORGANIZATION"}, body
            assert not leaked(body, {value}, world.forbidden), body
            answer = [normalized(status, body, {value})]
            if rest_url:
                response = rest_request("GET", rest_url, {"HTTP_AUTHORIZATION": f"Bearer {token_b}",
                                                          "HTTP_X_ORGANIZATION": value})
                assert 400 <= response.status_code < 500 and _json(response)["code"] == "NO_ORGANIZATION", response
                answer.append(normalized(response.status_code, _json(response), {value}))
            answers.append(answer)
        assert answers[0] == answers[1]
        if rest_url and world.secret_b:
            response = rest_request("GET", rest_url, {"HTTP_X_API_KEY": world.secret_b, "HTTP_X_ORGANIZATION": requested})
            assert response.status_code == 200 and not leaked(_json(response), {requested}, world.forbidden), response


# --- 2. REST ----------------------------------------------------------------------------------------

@dataclass
class Route:
    parts: list
    pattern: URLPattern
    display: str
    params: list[str] = field(default_factory=list)


def _describe(part) -> str:
    text = str(part)
    return text.lstrip("^").replace("\\Z", "").rstrip("$") if isinstance(part, RegexPattern) else text


def rest_routes() -> list[Route]:
    """Every route under v2/ and api/ (the URL conf as it is now), GraphQL endpoints aside."""
    found = []

    def walk(patterns, prefix):
        for item in patterns:
            if isinstance(item, URLResolver):
                walk(item.url_patterns, prefix + [item.pattern])
            elif isinstance(item, URLPattern):
                found.append((prefix + [item.pattern], item))

    walk(get_resolver().url_patterns, [])
    routes = []
    for parts, pattern in found:
        display = "".join(_describe(part) for part in parts)
        if not display.startswith(("v2/", "api/")) or _is_graphql(pattern.callback):
            continue  # /api/graphql serves the schema swept above
        params = [name for part in parts for name in part.regex.groupindex]
        if any(isinstance(part, RegexPattern) and re.search(r"(?<!\\)\.[*+]", part.regex.pattern) for part in parts):
            params.append(WILDCARD)
        if "format" in params:
            continue  # DRF's format-suffix twin of a route swept without the suffix
        routes.append(Route(parts, pattern, display, params))
    return routes


WILDCARD = "<catch-all>"


def _is_graphql(callback) -> bool:
    from graphene_django.views import GraphQLView

    view_class = getattr(callback, "view_class", None)
    return isinstance(view_class, type) and issubclass(view_class, GraphQLView)


def _fill_regex(regex: str, values: dict) -> str | None:
    out, index = [], 0
    while index < len(regex):
        if regex.startswith("(?P<", index):
            name = regex[index + 4:regex.index(">", index)]
            depth, cursor, in_class = 0, index, False
            while cursor < len(regex):
                char = regex[cursor]
                if char == "\\":
                    cursor += 2
                    continue
                if in_class:
                    in_class = char != "]"
                elif char == "[":
                    in_class = True
                elif char == "(":
                    depth += 1
                elif char == ")":
                    depth -= 1
                    if depth == 0:
                        break
                cursor += 1
            out.append(quote(values[name], safe=""))
            index = cursor + 1
        elif regex[index] == "\\":
            out.append(regex[index:index + 2])
            index += 2
        elif regex.startswith((".*", ".+"), index):  # a catch-all: probed with the values too
            out.append(quote(values[WILDCARD], safe=""))
            index += 2
        else:
            out.append(regex[index])
            index += 1
    text = "".join(out).lstrip("^").replace("\\Z", "").rstrip("$").replace("/?", "/")
    text = re.sub(r"\\(.)", r"\1", text)
    return None if re.search(r"[()\[\]*+?|{}]", text) else text


def build_url(route: Route, values: dict) -> str | None:
    """The route's URL with these parameter values, or None when a converter refuses one (a relay id
    holding a "/" where one path segment is expected…): such a request never reaches the view."""
    pieces = []
    for part in route.parts:
        if isinstance(part, RoutePattern):
            pieces.append(re.sub(r"<(?:[^>:]+:)?([^>]+)>", lambda m: quote(values[m.group(1)], safe=""), str(part)))
        else:
            piece = _fill_regex(part.regex.pattern, values)
            if piece is None:
                return None
            pieces.append(piece)
    url = "/" + "".join(pieces)
    try:
        match = resolve(url)
    except Resolver404:
        return None
    if match.func is not route.pattern.callback or any(str(match.kwargs.get(k)) != v for k, v in values.items()
                                                       if k != WILDCARD):
        return None
    return url


def http_methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        return sorted(method.upper() for method in actions)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return [m.upper() for m in view_class.http_method_names
                if m not in ("options", "head", "trace") and hasattr(view_class, m)]
    return ["GET"]


_OPENAPI: dict = {}


def openapi_operations() -> dict[tuple[str, str], dict]:
    """(path template, METHOD) → operation of the OpenAPI document (drf-spectacular), with its request
    body's schema and first example resolved; {} when the project has no OpenAPI generator."""
    if "operations" in _OPENAPI:
        return _OPENAPI["operations"]
    try:
        from drf_spectacular.generators import SchemaGenerator
    except ImportError:
        return {}
    document = SchemaGenerator().get_schema(request=None, public=True)
    components = document.get("components", {}).get("schemas", {})
    operations = {}
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
            if content:
                reference = content.get("schema", {}).get("$ref", "")
                operation = dict(operation,
                                 body_schema=components.get(reference.rsplit("/", 1)[-1], content.get("schema")),
                                 body_example=next(iter((content.get("examples") or {}).values()), {}).get("value"))
            operations[(path, method.upper())] = operation
    _OPENAPI["operations"] = operations
    return operations


def operations_of(route: Route) -> dict[str, dict]:
    path = "/" + re.sub(r"<(?:[^>:]+:)?([^>]+)>", r"{\1}", route.display)
    return {method: operation for (op_path, method), operation in openapi_operations().items() if op_path == path}


def is_id_like_parameter(name: str, schema_: dict) -> bool:
    token = (re.findall(r"\w+", name) or [name])[-1]
    return schema_.get("format") == "uuid" or token in ID_NAMES or token.endswith(("_id", "Id", "_ids"))


def rest_credentials(world) -> dict[str, dict]:
    """Org B's JWT, and Org B's API key when the project has them."""
    credentials = {"jwt": {"HTTP_AUTHORIZATION": f"Bearer {get_token(world.user_b)}"}}
    if world.secret_b:
        credentials["api key"] = {"HTTP_X_API_KEY": world.secret_b}
    return credentials


def rest_request(method: str, url: str, headers: dict, body=None):
    client = Client()
    if method in ("GET", "DELETE", "HEAD"):
        return getattr(client, method.lower())(url, **headers)
    return getattr(client, method.lower())(url, data=json.dumps({} if body is None else body),
                                           content_type="application/json", **headers)


def _rest_answer(response) -> dict:
    answer = _json(response)
    if response.headers.get("Location"):
        answer = dict(answer, location=response.headers["Location"])
    return answer


def is_staff_route(route: Route) -> bool:
    """A route that acts for an organisation (core.rest.permissions.HasTenantPermissions, or a view
    that reads the caller's organisation), not a customer or public one."""
    from core.rest.permissions import HasTenantPermissions

    view_class = getattr(route.pattern.callback, "cls", None) or getattr(route.pattern.callback, "view_class", None)
    classes = getattr(view_class, "permission_classes", ())
    return HasTenantPermissions in classes or route.display.startswith("api/")


def test_every_rest_route_answers_not_found_for_another_organisations_ids(world, principal):
    sweep = Sweep(principal)
    org_b_volatile = (MutationLog, api_key_model() or MutationLog)  # request logs, API keys' last use
    before_a, before_b = snapshot(world.org_a), snapshot(world.org_b, exclude=org_b_volatile)
    routes = rest_routes()
    probed = set()

    def probe(where, method, url, headers, value, twin_url=None, body=None, twin_body=None, extra=None,
              expect_404=True, refusal=None):
        """`twin_url`, `twin_body` and `extra` (more headers) are functions of the value sent; `refusal`:
        the code every answer must carry (a staff route and a principal without organisation)."""
        response = rest_request(method, url, {**headers, **(extra(value) if extra else {})}, body)
        answer = _rest_answer(response)
        sweep.judge(where, answer, value.echo if value else ())
        if response.status_code >= 500 or answer.get("code") in FORBIDDEN_CODES:
            sweep.problem(where, f"HTTP {response.status_code} {answer}")
        if refusal and not (400 <= response.status_code < 500 and answer.get("code") in (refusal, "NOT_FOUND")):
            sweep.problem(where, f"ACCEPTED: expected {refusal} for {principal.name}, got {response.status_code} {answer}")
        if value is None:
            return response, answer
        if expect_404 and not refusal and (response.status_code != 404 or answer.get("code") != "NOT_FOUND"):
            sweep.problem(where, f"expected 404 NOT_FOUND, got {response.status_code} {answer}")
        key = ("rest", where.replace(value.text, "\0"), value.twin_key)
        if key not in sweep.twins:
            twin = value.twin()
            twin_response = rest_request(method, twin_url(twin) if twin_url else url,
                                         {**headers, **(extra(twin) if extra else {})},
                                         twin_body(twin) if twin_body else body)
            sweep.twins[key] = normalized(twin_response.status_code, _rest_answer(twin_response), twin.echo)
        sweep.compare(where, normalized(response.status_code, answer, value.echo), key)
        return response, answer

    for credential, headers in principal.rest_credentials.items():
        for route in routes:
            methods, operations = http_methods(route.pattern.callback), operations_of(route)
            refusal = principal.refusal if principal.refusal and is_staff_route(route) else None
            if route.params:  # path parameters: every Org A id, every method → 404 NOT_FOUND
                for value in principal.ids:
                    url = build_url(route, {name: value.text for name in route.params})
                    if url is None:
                        continue
                    for method in methods:
                        probe(f"[{credential}] {method} {url}", method, url, headers, value,
                              lambda twin, route=route: build_url(route, {name: twin.text for name in route.params}),
                              refusal=refusal)
                        probed.add(route.display)
                continue
            url = build_url(route, {})
            if url is None:
                sweep.problem(route.display, "cannot build this route's URL")
                continue
            if "GET" in methods:  # a list, or the caller's own resource: nothing of Org A
                probe(f"[{credential}] GET {url}", "GET", url, headers, None, refusal=refusal)
                probed.add(route.display)
            for method in methods:
                operation = operations.get(method, {})
                # Query parameters naming ids (filters[operator_id]…): Org A's ids find nothing.
                for parameter in operation.get("parameters", []):
                    name = parameter["name"]
                    if parameter.get("in") == "query" and is_id_like_parameter(name, parameter.get("schema", {})):
                        for value in principal.ids:
                            probe(f"[{credential}] {method} {url}?{name}={value.text}", method,
                                  f"{url}?{urlencode({name: value.text})}", headers, value,
                                  lambda twin, name=name, url=url: f"{url}?{urlencode({name: twin.text})}",
                                  expect_404=False, refusal=refusal)
                        probed.add(route.display)
                # Bodies: each id-like property names Org A's object (Org B's own objects in the
                # others) → 4xx NOT_FOUND on that property; header parameters (Idempotency-Key…)
                # carry Org A's strings beside Org B's own valid body.
                body_schema = operation.get("body_schema")
                if not body_schema:
                    continue
                example = dict(operation.get("body_example") or {})
                properties = body_schema.get("properties", {})
                own = {prop: str(obj.pk) for prop in properties if is_id_like_parameter(prop, properties[prop])
                       for model, obj in world.anchors.items() if model._meta.model_name == re.sub(r"_?id$", "", prop)}
                for prop, prop_schema in properties.items():
                    if not is_id_like_parameter(prop, prop_schema):
                        continue
                    for value in principal.ids:
                        where = f"[{credential}] {method} {url} {{{prop}: {value.text}}}"
                        response, answer = probe(where, method, url, headers, value, None,
                                                 {**example, **own, prop: value.text},
                                                 lambda twin, prop=prop, example=example, own=own:
                                                 {**example, **own, prop: twin.text}, expect_404=False,
                                                 refusal=refusal)
                        expected = NOT_FOUND_LIKE | ({"INVALID"} if value.form == "string" else set())
                        if refusal:
                            continue  # refused before the body is read (checked by probe)
                        if not (400 <= response.status_code < 500 and answer.get("code") in expected
                                and answer.get("field") == prop):
                            sweep.problem(where, f"expected 4xx NOT_FOUND on {prop}, got {response.status_code} {answer}")
                    probed.add(route.display)
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") != "header":
                        continue
                    header = "HTTP_" + parameter["name"].upper().replace("-", "_")
                    for value in (v for v in principal.ids if v.form == "string"):
                        probe(f"[{credential}] {method} {url} {parameter['name']}: {value.text}", method, url, headers,
                              value, None, {**example, **own}, None, lambda v, header=header: {header: v.text},
                              expect_404=False, refusal=refusal)
                    probed.add(route.display)
    if changed := changes(before_a, snapshot(world.org_a)):
        sweep.problem("Org A's rows", f"CHANGED by Org B's requests: {changed}")
    if changed := changes(before_b, snapshot(world.org_b, exclude=org_b_volatile)):
        sweep.problem("Org B's rows", f"CHANGED by refused requests: {changed}")
    principal.summary["routes"] = len(probed)
    principal.summary["route probes"] = sweep.probes
    sweep.finish("REST routes")


# --- 2b. Downloads and presigned URLs ---------------------------------------------------------------

DUMMY_S3 = {"BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "sweep-invoices", "region_name": "eu-west-3", "endpoint_url": None,
                        "access_key": "AKIASWEEPDUMMYKEY000", "secret_key": "sweep-dummy-secret-key",
                        "file_overwrite": True, "default_acl": None}}


@pytest.fixture
def dummy_s3(settings):
    """S3 storage with dummy credentials: presigning is local computation, no network, no moto."""

    def configure(ttl: int):
        settings.STORAGE_BACKEND = "s3"
        settings.STORAGES = {**settings.STORAGES,
                             "default": {**DUMMY_S3, "OPTIONS": {**DUMMY_S3["OPTIONS"], "querystring_expire": ttl}}}

    return configure


def _expires(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])


@pytest.mark.parametrize("ttl", [300, 45, 7200])
def test_presigned_url_expires_after_the_configured_ttl(dummy_s3, ttl):
    from invoice import storage

    dummy_s3(ttl)
    url = storage.presigned_url("org/x/invoices/2026/ORGX-2026-000001.pdf", "ORGX-2026-000001.pdf")
    assert _expires(url) == ttl
    assert urlsplit(url).path.endswith("/org/x/invoices/2026/ORGX-2026-000001.pdf")
    assert 'filename="ORGX-2026-000001.pdf"' in parse_qs(urlsplit(url).query)["response-content-disposition"][0]
    assert _expires(storage.presigned_url("org/x/a.pdf", "a.pdf", expires=60)) == 60


def test_download_never_gives_another_organisation_a_url(world, dummy_s3):
    dummy_s3(120)
    # Control: the owner gets a short-lived URL of its own file (GraphQL downloadUrl).
    own = _post(get_token(world.user_a),
                f'query {{ invoiceDocument(id: "{world.document.pk}") {{ edges {{ node {{ downloadUrl }} }} }} }}')[1]
    own_url = own["data"]["invoiceDocument"]["edges"][0]["node"]["downloadUrl"]
    assert _expires(own_url) == 120 and world.storage_key in own_url
    token_b = get_token(world.user_b)
    values = [v for v in world.ids if v.raw in {str(world.document.pk), str(world.validated.pk)}]
    for value in values:
        for arg in ("id", "invoice_Id"):
            status, body = _post(token_b, f'query {{ invoiceDocument({arg}: "{value.text}") {{ edges {{ node {{ '
                                          'downloadUrl url } } } }')
            assert status < 500 and "X-Amz-" not in json.dumps(body), body
            assert not leaked(body, value.echo, world.forbidden), body

    routes = [route for route in rest_routes() if "download" in route.display and is_staff_route(route)]
    if not routes:
        pytest.skip("no REST download route registered (expected under v2/, see invoice.services.downloads)")
    for route in routes:
        own_url = build_url(route, {name: str(world.document.pk) for name in route.params})
        response = rest_request("GET", own_url, {"HTTP_AUTHORIZATION": f"Bearer {get_token(world.user_a)}"})
        assert response.status_code == 302 and _expires(response["Location"]) == 120, response  # control
        for credential, headers in rest_credentials(world).items():
            for value in values:
                url = build_url(route, {name: value.text for name in route.params})
                if url is None:
                    continue
                response = rest_request("GET", url, headers)
                text = response.content.decode(errors="replace") + response.headers.get("Location", "")
                assert response.status_code == 404 and _json(response).get("code") == "NOT_FOUND", (credential, url, text)
                assert "X-Amz-" not in text and world.storage_key not in text, (credential, url, text)


def test_download_gives_an_operator_user_their_own_file_only(world, dummy_s3):
    portal = make_portal_principal(world)
    dummy_s3(120)
    routes = [route for route in rest_routes() if "download" in route.display and not is_staff_route(route)]
    assert routes, "no customer download route (/v2/me/invoices/{id}/download)"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {portal.token}"}
    for route in routes:
        # control: their own invoice's file, through a short-lived URL
        own_url = build_url(route, {name: str(portal.invoice_a.pk) for name in route.params})
        response = rest_request("GET", own_url, headers)
        assert response.status_code == 302 and _expires(response["Location"]) == 120, response
        assert portal.storage_key_a in response["Location"]
        for value in (v for v in portal.ids if v.model in (Invoice, InvoiceDocument)):
            url = build_url(route, {name: value.text for name in route.params})
            if url is None:
                continue
            response = rest_request("GET", url, headers)
            text = response.content.decode(errors="replace") + response.headers.get("Location", "")
            assert response.status_code == 404 and _json(response).get("code") == "NOT_FOUND", (url, text)
            assert "X-Amz-" not in text, (url, text)
    # the staff routes never serve them, not even their own document
    for route in (route for route in rest_routes() if "download" in route.display and is_staff_route(route)):
        url = build_url(route, {name: str(portal.document_a.pk) for name in route.params})
        response = rest_request("GET", url, headers)
        assert response.status_code in (400, 403) and _json(response)["code"] == "NO_ORGANIZATION", response
