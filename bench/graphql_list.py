"""Benchmark of the invoice LIST page and CARD page through the real HTTP stack, against raw SQL.

    DEBUG=1 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/molink_bench \\
        .venv/bin/python bench/graphql_list.py [--invoices 100000] [--requests 200] [--quick] [--profile 30]

What it does, in one run:

1. Creates the database if it is missing, runs `migrate`, and seeds `--invoices` invoices (× 5 lines,
   1 payment, 2 events) across two organisations with one admin user each. The seed is kept: a
   marker table (`bench_seed_marker`) records the size, and a re-run of the same size reuses it.
2. Serves `config.wsgi.application` with Django's own threaded WSGI server (the one `runserver`
   uses, HTTP/1.1 keep-alive) on a free loopback port in a background thread, and sends GraphQL
   POSTs from the main thread over one keep-alive connection with a JWT of organisation A's admin.
   SQL queries are counted and timed server-side (`connection.execute_wrapper` in the server thread).
3. Times the same reads done by hand-written SQL (psycopg, same connection settings as Django) and
   prints API p95 / raw p95. Target (reported, never asserted): list page p95 <= 60 ms and <= 3x raw.

`--quick` (2,000 invoices, 50 requests) runs against `<database>_quick` so that it never replaces
the full-size seed. `--profile N` profiles N extra requests of each page with cProfile in the
server thread and prints the hot spots. Results: docs/performance.md.
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import gc
import json
import os
import random
import re
import socket
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.measure import percentile, print_profile, truncate_invoice_tables  # noqa: E402 - after the path set-up

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/molink_bench"
LINES_PER_INVOICE = 5
SEED_VERSION = 1  # bump when the generated data changes shape: forces a reseed
PAGE_SIZE = 50
TARGET_P95_MS = 60.0
TARGET_RATIO = 3.0


# --------------------------------------------------------------------------------------------
# Command line and environment (before django.setup(): settings read the environment once)
# --------------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=None, help="invoices to seed (default 100000; --quick: 2000)")
    parser.add_argument("--requests", type=int, default=None, help="timed requests per page (default 200; --quick: 50)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first (default 20)")
    parser.add_argument("--quick", action="store_true", help="fast sanity run: 2,000 invoices, 50 requests, <db>_quick")
    parser.add_argument("--reseed", action="store_true", help="drop the bench data and seed again")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="after timing, profile N requests of each page with cProfile (server thread)")
    parser.add_argument("--nagle", action="store_true",
                        help="leave Nagle's algorithm on for the server's sockets, as `runserver` does (default: "
                             "TCP_NODELAY, as gunicorn sets it; see docs/performance.md)")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="experiment: gc.freeze() once the server has started and warmed up (what config/wsgi.py "
                             "could do), so that the garbage collector no longer traverses start-up objects")
    parser.add_argument("--show-sql", action="store_true", help="print the SQL of one request of each page")
    parser.add_argument("--django-debug", action="store_true",
                        help="serve with settings.DEBUG as the environment says (default: DEBUG off, as in production)")
    parser.add_argument("--allow-any-database", action="store_true",
                        help="seed even if the database name does not contain 'bench' (seeding TRUNCATEs invoice tables)")
    args = parser.parse_args(argv)
    if args.invoices is None:
        args.invoices = 2_000 if args.quick else 100_000
    if args.requests is None:
        args.requests = 50 if args.quick else 200
    if args.invoices < 2 * PAGE_SIZE:
        parser.error(f"--invoices must be at least {2 * PAGE_SIZE}")
    return args


def configure_environment(args: argparse.Namespace) -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"bench/graphql_list.py needs PostgreSQL; DATABASE_URL is {url!r}")
    if args.quick:
        name = parts.path.lstrip("/") + "_quick"
        url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not os.environ.get("SECRET_KEY"):
        os.environ.setdefault("DEBUG", "1")  # settings refuse to start without a key when DEBUG is off
    # One token for the whole run (the default 300 s could expire during a full-size run).
    os.environ.setdefault("JWT_EXPIRATION_SECONDS", "3600")
    os.environ.setdefault("CELERY_BROKER_URL", "")
    return url


# --------------------------------------------------------------------------------------------
# Database creation
# --------------------------------------------------------------------------------------------

def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def psycopg_conninfo() -> dict:
    """Connection parameters of Django's default database, for the raw-SQL baseline."""
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return params


# --------------------------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------------------------
#
# BENCH DATA ONLY. Rows are written with PostgreSQL COPY, bypassing the services (invoice.services),
# save_with_history and django-simple-history on purpose: 100,000 invoices through the services
# would take hours and fill the history tables, which the read paths measured here never touch.
# The values are still those the services would produce: line amount_net = unit_price × quantity
# (rounded once), line and invoice VAT per core.money.vat_breakdown (checked on the first rows),
# totals summed, payments consistent with the status, gap-free codes per organisation and year.

MARKER_TABLE = "bench_seed_marker"
SEED_BATCH = 10_000  # invoices generated then COPied at a time (bounded memory)

CATALOGUE = [  # (code, description, unit price, ledger account, quantity choices)
    ("CONS-H", "Conseil - heure", "95.00", "706100", ("1", "2", "3.5", "4", "7.5")),
    ("DEV-J", "Développement - jour", "650.00", "706200", ("1", "2", "3", "5")),
    ("FORM-J", "Formation - journée", "1200.00", "706300", ("1", "2")),
    ("HEBERG-M", "Hébergement - mois", "49.90", "706400", ("1", "3", "12")),
    ("LIC-U", "Licence - utilisateur / mois", "12.50", "706500", ("5", "10", "25", "50")),
    ("SUPP-M", "Support premium - mois", "180.00", "706600", ("1", "3")),
    ("AUDIT", "Audit de sécurité", "2400.00", "706700", ("1",)),
    ("DEPL", "Frais de déplacement", "0.62", "708500", ("120", "245.5", "380")),
    ("MAINT-T", "Maintenance - trimestre", "390.00", "706800", ("1",)),
    ("SMS", "Envoi de SMS", "0.045", "706900", ("1000", "2500", "10000")),
]

CENT = Decimal("0.01")
VAT_RATE = Decimal("0.20")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _vat_json(rule, base: Decimal) -> tuple[dict, Decimal]:
    """core.money.TaxAnalysis.as_json() for one 20 % rule, computed inline (500,000 calls)."""
    amount = _money(base * VAT_RATE)
    line = {"code": rule.code, "label": rule.label, "rate": str(rule.rate), "base": str(base),
            "amount": str(amount), "category": rule.vat_category}
    return {"lines": [line], "total": str(amount)}, amount


def _uuid7_at(when: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 (like core.ids.uuid7) for a given instant, so ids follow date_created."""
    unix_ms = int(when.timestamp() * 1000)
    rand = rng.getrandbits(74)
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def _status_tables():
    from invoice.constants import InvoiceStatus as S

    recent = ((S.DRAFT, 25), (S.VALIDATED, 45), (S.PAID, 25), (S.UNPAID, 3), (S.DELETED, 2))
    older = ((S.PAID, 55), (S.RECONCILIATED, 20), (S.UNPAID, 8), (S.VALIDATED, 5), (S.CANCELLED, 5),
             (S.SUSPENDED, 2), (S.DRAFT, 3), (S.DELETED, 2))
    return [([int(s) for s, _ in table], [w for _, w in table]) for table in (recent, older)]


def _status_for(age_days: float, rng: random.Random, tables) -> int:
    """Mixed statuses: recent invoices are mostly drafts and open ones, older ones mostly paid."""
    statuses, weights = tables[0] if age_days < 45 else tables[1]
    return rng.choices(statuses, weights)[0]


class CopyPlan:
    """COPY rows of a model built from its concrete fields: a column nobody sets gets the field's
    default, so the seed keeps working when a column is added to the model."""

    def __init__(self, model):
        from django.db import models
        from psycopg.types.json import Jsonb

        self.table = model._meta.db_table
        self.columns = []
        self.defaults = []
        self.callables = []  # (position, column, callable default): called per row, e.g. a UUID
        self.json_columns = set()
        for position, field in enumerate(model._meta.concrete_fields):
            self.columns.append(field.column)
            default = None
            if field.has_default():
                if callable(field.default):
                    self.callables.append((position, field.column, field.get_default))
                else:
                    default = field.get_default()
            if isinstance(field, models.JSONField):
                self.json_columns.add(field.column)
                default = None if default is None else Jsonb(default)
            self.defaults.append(default)
        self.index = {column: i for i, column in enumerate(self.columns)}
        self.Jsonb = Jsonb

    def row(self, values: dict) -> tuple:
        row = list(self.defaults)
        for position, column, make in self.callables:
            if column not in values:
                value = make()
                row[position] = self.Jsonb(value) if column in self.json_columns and value is not None else value
        for column, value in values.items():
            if column in self.json_columns and value is not None:
                value = self.Jsonb(value)
            row[self.index[column]] = value
        return tuple(row)

    def statement(self) -> str:
        columns = ", ".join(f'"{column}"' for column in self.columns)
        return f'COPY "{self.table}" ({columns}) FROM STDIN'


def _bench_organizations():
    """Two organisations with one admin user each (created through the ORM, no history)."""
    from core.models import Membership, Organization, User

    specs = [
        ("bench-a", "Bench Org A", "BENCHA", "bench-a@molink.test", "Paris", "75002", "123456782"),
        ("bench-b", "Bench Org B", "BENCHB", "bench-b@molink.test", "Lyon", "69001", "987654324"),
    ]
    result = []
    for code, name, prefix, username, city, postal_code, siren in specs:
        organization, _ = Organization.objects.get_or_create(code=code, defaults={
            "name": name, "legal_name": f"{name} SAS", "siren": siren, "siret": siren + "00010",
            "vat_number": "FR11" + siren, "address_line1": "1 rue du Banc d'Essai", "postal_code": postal_code,
            "city": city, "invoice_number_prefix": prefix, "email": f"facturation@{code}.test",
        })
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, email=username, password="bench-pass-123",
                                            first_name="Admin", last_name=name)
        Membership.objects.get_or_create(user=user, organization=organization,
                                         defaults={"role": Membership.Role.ADMIN})
        result.append((organization, user))
    return result


def _read_marker(cursor) -> dict | None:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (name text PRIMARY KEY, value jsonb NOT NULL)")
    cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = 'seed'")
    row = cursor.fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def seed(invoices: int, *, force: bool, allow_any_database: bool) -> dict:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from core.calculation import FR_VAT_20
    from core.models import Organization
    from invoice.constants import EventType, PaymentStatus
    from invoice.constants import InvoiceStatus as S
    from invoice.models import (
        Invoice,
        InvoiceEvent,
        InvoiceLineItem,
        InvoiceNumberSequence,
        InvoicePayment,
    )

    wanted = {"invoices": invoices, "lines_per_invoice": LINES_PER_INVOICE, "version": SEED_VERSION}
    with connection.cursor() as cursor:
        marker = _read_marker(cursor)
    if marker is not None and not force and all(marker.get(k) == v for k, v in wanted.items()):
        print(f"seed: reusing {marker['invoices']:,} invoices seeded {marker.get('seeded_at')} "
              f"(in {marker.get('seconds', 0):.1f} s); --reseed to rebuild")
        return marker

    started = time.perf_counter()
    rng = random.Random(20250101)
    truncate_invoice_tables(allow_any_database=allow_any_database)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")

    orgs = _bench_organizations()
    org_ct = ContentType.objects.get_for_model(Organization)
    plans = {model: CopyPlan(model) for model in (Invoice, InvoiceLineItem, InvoicePayment, InvoiceEvent)}
    sequences: dict[tuple, int] = collections.defaultdict(int)
    products = [(code, desc, Decimal(price), ledger, tuple(Decimal(q) for q in qty))
                for code, desc, price, ledger, qty in CATALOGUE]
    status_tables = _status_tables()
    issued_statuses = {int(s) for s in S} - {int(S.DRAFT), int(S.DELETED)}

    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    start = now - timedelta(days=730)
    step = (now - start) / invoices
    jitter_ms = max(1, int(step.total_seconds() * 500))
    checked = 0
    generate_seconds = copy_seconds = 0.0
    print(f"seed: {invoices:,} invoices x {LINES_PER_INVOICE} lines, 1 payment, 2 events, COPY by batches of "
          f"{SEED_BATCH:,} invoices ...")

    def invoice_rows(i: int, rows: dict) -> None:
        nonlocal checked
        created = start + step * i + timedelta(milliseconds=rng.randrange(jitter_ms))
        organization, user = orgs[rng.randrange(2)]
        status = _status_for((now - created).total_seconds() / 86400, rng, status_tables)
        invoice_id = _uuid7_at(created, rng)
        date_invoice = created.date()
        issued = status in issued_statuses
        code = ""
        if issued:  # gap-free PREFIX-YYYY-NNNNNN per organisation and year, in date order
            key = (organization.pk, date_invoice.year)
            sequences[key] += 1
            code = f"{organization.invoice_number_prefix}-{date_invoice.year}-{sequences[key]:06d}"
        audit = {"user_created_id": user.pk, "user_updated_id": user.pk}

        net_total = Decimal(0)
        for n in range(LINES_PER_INVOICE):
            product_code, description, price, ledger, quantities = products[rng.randrange(len(products))]
            quantity = quantities[rng.randrange(len(quantities))]
            net = _money(price * quantity)  # unit_price × quantity, rounded once (no discount)
            analysis, vat = _vat_json(FR_VAT_20, net)
            if checked < 20:  # the inline VAT is exactly what the calculation code stores
                expected = FR_VAT_20.calculate([net]).as_json()
                if analysis != expected:
                    raise SystemExit(f"seed: VAT JSON {analysis} differs from core.money's {expected}")
                checked += 1
            line_created = created + timedelta(milliseconds=n + 1)
            rows[InvoiceLineItem].append(plans[InvoiceLineItem].row({
                "id": _uuid7_at(line_created, rng), "date_created": line_created, "date_updated": line_created,
                "invoice_id": invoice_id, "code": product_code, "description": description, "ledger_account": ledger,
                "quantity": quantity, "unit_price": price, "tax_rate": FR_VAT_20.id, "tax_analysis": analysis,
                "amount_net": net, "amount_total": net + vat, **audit,
            }))
            net_total += net
        analysis, vat_total = _vat_json(FR_VAT_20, net_total)  # VAT on the summed base (EN 16931)
        amount_total = net_total + vat_total

        validated_at = min(created + timedelta(hours=rng.randrange(1, 72)), now)
        paid_on = min(date_invoice + timedelta(days=rng.randrange(3, 45)), today)
        amount_payed, date_payed = Decimal(0), None
        if status in (S.PAID, S.RECONCILIATED):
            pay_status, pay_amount = PaymentStatus.ACCEPTED, amount_total
            amount_payed, date_payed = amount_total, paid_on
        elif status in (S.VALIDATED, S.UNPAID, S.SUSPENDED):  # a 30 % down payment
            pay_status, pay_amount = PaymentStatus.ACCEPTED, _money(amount_total * Decimal("0.3"))
            amount_payed = pay_amount
        elif status == S.CANCELLED:
            pay_status, pay_amount = PaymentStatus.REFUNDED, amount_total
        else:  # draft / deleted: a rejected attempt
            pay_status, pay_amount = PaymentStatus.REJECTED, amount_total
        fees = _money(pay_amount * Decimal("0.008")) if pay_status == PaymentStatus.ACCEPTED else Decimal(0)
        if issued:
            pay_created = min(max(datetime.combine(paid_on, created.timetz()), validated_at), now)
        else:
            pay_created = created + timedelta(minutes=5)
        last_change = max(validated_at if issued else created, pay_created)

        rows[Invoice].append(plans[Invoice].row({
            "id": invoice_id, "date_created": created, "date_updated": last_change, "organization_id": organization.pk,
            "thirdparty_type_id": org_ct.pk, "thirdparty_id": organization.pk, "document_type": "INVOICE",
            "code": code, "date_invoice": date_invoice, "date_due": date_invoice + timedelta(days=30),
            "date_payed": date_payed, "amount_net": net_total, "tax_analysis": analysis, "amount_total": amount_total,
            "amount_payed": amount_payed, "status": status, "currency_code": "EUR",
            "payment_reference": f"RF{invoice_id.int % 10**12:012d}" if issued else "",
            "terms": "Paiement à 30 jours. Pénalités de retard : 3 fois le taux d'intérêt légal.",
            "note": "Merci pour votre confiance." if i % 3 == 0 else "", **audit,
        }))
        rows[InvoicePayment].append(plans[InvoicePayment].row({
            "id": _uuid7_at(pay_created, rng), "date_created": pay_created, "date_updated": pay_created,
            "invoice_id": invoice_id, "status": int(pay_status), "code_ext": f"SEPA-{i:08d}", "label": "Virement SEPA",
            "code_receipt": f"REC-{i:08d}" if pay_status == PaymentStatus.ACCEPTED else "",
            "amount_payed": pay_amount, "fees": fees, "amount_received": pay_amount - fees, "date_payment": paid_on,
            **audit,
        }))
        if issued:
            second = (EventType.STATUS, "status draft → validated", validated_at)
        else:
            second = (EventType.MESSAGE, "Relance du client prévue la semaine prochaine.", created + timedelta(hours=2))
        for event_type, message, at in ((EventType.STATUS, "draft created", created), second):
            rows[InvoiceEvent].append(plans[InvoiceEvent].row({
                "id": _uuid7_at(at, rng), "date_created": at, "date_updated": at, "invoice_id": invoice_id,
                "event_type": int(event_type), "message": message, "user_id": user.pk, **audit,
            }))

    # One transaction (foreign keys are DEFERRABLE INITIALLY DEFERRED: checked once, at commit).
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        for first in range(0, invoices, SEED_BATCH):
            begin = time.perf_counter()
            rows = {model: [] for model in plans}
            for i in range(first, min(first + SEED_BATCH, invoices)):
                invoice_rows(i, rows)
            generated = time.perf_counter()
            generate_seconds += generated - begin
            for model in (Invoice, InvoiceLineItem, InvoicePayment, InvoiceEvent):
                with raw.copy(plans[model].statement()) as copy:
                    for row in rows[model]:
                        copy.write_row(row)
            copy_seconds += time.perf_counter() - generated
        for (organization_id, year), last in sequences.items():
            cursor.execute(
                f'INSERT INTO "{InvoiceNumberSequence._meta.db_table}" (organization_id, year, last_number) '
                "VALUES (%s, %s, %s)", [organization_id, year, last])
        begin = time.perf_counter()
    commit_seconds = time.perf_counter() - begin
    begin = time.perf_counter()
    with connection.cursor() as cursor:  # Django's autocommit: VACUUM cannot run in a transaction
        for model in (Invoice, InvoiceLineItem, InvoicePayment, InvoiceEvent):
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
    vacuum_seconds = time.perf_counter() - begin
    seconds = time.perf_counter() - started
    marker = dict(wanted, seeded_at=datetime.now(UTC).isoformat(timespec="seconds"), seconds=round(seconds, 1))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {MARKER_TABLE} (name, value) VALUES ('seed', %s)", [json.dumps(marker)])
    print(f"seed: {invoices:,} invoices, {invoices * LINES_PER_INVOICE:,} lines, {invoices:,} payments, "
          f"{invoices * 2:,} events in {seconds:.1f} s (generate {generate_seconds:.1f} s, COPY {copy_seconds:.1f} s, "
          f"commit {commit_seconds:.1f} s, VACUUM ANALYZE {vacuum_seconds:.1f} s)")
    return marker


# --------------------------------------------------------------------------------------------
# The HTTP stack, with server-side SQL counting
# --------------------------------------------------------------------------------------------

PHASES = ("parse", "validate", "execute", "queryset", "fetch", "encode")


class Probe:
    __slots__ = ("app_seconds", "gc_seconds", "gc_started", "phase_sql", "phase_stack", "phases", "queries",
                 "sql_seconds", "statements")

    def __init__(self):
        self.queries = 0
        self.sql_seconds = 0.0
        self.app_seconds = 0.0
        self.statements = []
        self.phases = dict.fromkeys(PHASES, 0.0)
        self.phase_sql = dict.fromkeys(PHASES + ("",), 0.0)
        self.phase_stack = [""]
        self.gc_seconds = 0.0
        self.gc_started = 0.0


_current = threading.local()


def _timed(phase: str, function):
    """Wrap a library function so that its time (and the SQL run under it) is added to the probe of
    the request being served in this thread. A few microseconds per call; no profiler."""

    def wrapper(*args, **kwargs):
        probe = getattr(_current, "probe", None)
        if probe is None:
            return function(*args, **kwargs)
        probe.phase_stack.append(phase)
        begin = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            probe.phases[phase] += time.perf_counter() - begin
            probe.phase_stack.pop()

    wrapper.__wrapped__ = function
    return wrapper


def _gc_callback(phase: str, info: dict) -> None:
    """Time the cyclic garbage collector's pauses inside requests (it runs in the allocating thread)."""
    probe = getattr(_current, "probe", None)
    if probe is None:
        return
    if phase == "start":
        probe.gc_started = time.perf_counter()
    elif probe.gc_started:
        probe.gc_seconds += time.perf_counter() - probe.gc_started
        probe.gc_started = 0.0


def install_phase_timers() -> None:
    """Time the phases of a GraphQL request in graphene-django's view: parse, validate, execute
    (within it: building the filtered queryset, and fetching the page = count + rows + prefetches +
    model instances), and the JSON encoding of the result."""
    from graphene_django import views
    from graphene_django.fields import DjangoConnectionField
    from graphene_django.filter.fields import DjangoFilterConnectionField

    gc.callbacks.append(_gc_callback)
    views.parse = _timed("parse", views.parse)
    views.validate = _timed("validate", views.validate)
    views.execute = _timed("execute", views.execute)
    views.GraphQLView.json_encode = _timed("encode", views.GraphQLView.json_encode)
    DjangoFilterConnectionField.resolve_queryset = classmethod(
        _timed("queryset", DjangoFilterConnectionField.resolve_queryset.__func__))
    DjangoConnectionField.resolve_connection = classmethod(
        _timed("fetch", DjangoConnectionField.resolve_connection.__func__))


class ProbedApplication:
    """WSGI wrapper run in the server thread: counts and times the SQL of each request with
    connection.execute_wrapper, times its phases, and optionally profiles it with cProfile."""

    def __init__(self, application):
        self.application = application
        self.probes: collections.deque[Probe] = collections.deque()
        self.profiler: cProfile.Profile | None = None
        self.capture_sql = False

    def __call__(self, environ, start_response):
        from django.db import connection

        probe = Probe()

        def count(execute, sql, params, many, context):
            begin = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                elapsed = time.perf_counter() - begin
                probe.queries += 1
                probe.sql_seconds += elapsed
                probe.phase_sql[probe.phase_stack[-1]] += elapsed
                if capture:
                    probe.statements.append((elapsed, sql))

        profiler, capture = self.profiler, self.capture_sql
        _current.probe = probe
        begin = time.perf_counter()
        try:
            with connection.execute_wrapper(count):
                if profiler is not None:
                    profiler.enable()
                try:
                    response = self.application(environ, start_response)
                finally:
                    if profiler is not None:
                        profiler.disable()
        finally:
            probe.app_seconds = time.perf_counter() - begin
            _current.probe = None
        self.probes.append(probe)
        return response


def start_server(application, *, nodelay: bool):
    import logging

    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Server(ThreadedWSGIServer):
        def get_request(self):
            sock, address = super().get_request()
            if nodelay:
                # runserver's handler send()s the headers and the body separately: with Nagle on, a
                # small body waits for the ACK of the headers, which the client delays by ~40 ms.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, address

    logging.getLogger("django.server").setLevel(logging.WARNING)  # no access log line per request
    server = Server(("127.0.0.1", 0), WSGIRequestHandler, allow_reuse_address=False)
    server.set_app(application)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                              name="wsgi-server")
    thread.start()
    return server, thread


class GraphQLClient:
    """POSTs over one HTTP/1.1 keep-alive connection (http.client), like a browser tab."""

    def __init__(self, port: int, token: str):
        import http.client

        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                        "Accept": "application/json", "Connection": "keep-alive"}

    def post(self, query: str, variables: dict | None = None) -> tuple[float, bytes]:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        begin = time.perf_counter()
        self.connection.request("POST", "/graphql", body=body, headers=self.headers)
        response = self.connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - begin
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {payload[:500]!r}")
        return elapsed, payload

    def close(self):
        self.connection.close()


LIST_QUERY = """
query InvoiceList($first: Int!) {
  invoice(first: $first, orderBy: ["-dateCreated"]) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      node {
        id code status dateInvoice dateDue amountNet amountTotal amountPayed currencyCode thirdparty subject
        lineItems { id code description quantity unitPrice amountNet amountTotal taxAnalysis }
      }
    }
  }
}
"""

CARD_QUERY = """
query InvoiceCard($id: String!) {
  invoice(id: $id) {
    edges {
      node {
        id isDeleted jsonExt dateCreated dateUpdated version dateValidFrom dateValidTo replacementUuid
        subjectType subjectId subjectTypeName subject subjectOption { id type code label }
        thirdpartyType thirdpartyId thirdpartyTypeName thirdparty thirdpartyOption { id type code label }
        relatedInvoice { id code } documentType code codeTp codeExt dateDue dateInvoice datePayed
        amountDiscount amountNet taxAnalysis amountTotal amountPayed status currencyCode currencyTpCode
        note terms paymentReference isEditable
        lineItems {
          id code description details ledgerAccount quantity unitPrice discount deduction taxRate taxRateLabel
          taxAnalysis amountNet amountTotal lineType lineTypeName lineId line dateCreated version
        }
        payments {
          id status codeExt label codeRcp codeReceipt amountPayed fees amountReceived datePayment dateCreated version
        }
        events { id message userName eventType dateCreated editable }
      }
    }
  }
}
"""

RAW_LIST_SQL = {
    "count": "SELECT count(*) FROM invoice_invoice WHERE organization_id = %s AND NOT is_deleted",
    "page": """
        SELECT i.id, i.code, i.status, i.date_invoice, i.date_due, i.amount_net, i.amount_total, i.amount_payed,
               i.currency_code, i.subject_type_id, i.subject_id, i.thirdparty_type_id, i.thirdparty_id,
               o.code, o.name, o.siren, o.vat_number
          FROM invoice_invoice i
          LEFT JOIN core_organization o ON o.id = i.thirdparty_id
         WHERE i.organization_id = %s AND NOT i.is_deleted
         ORDER BY i.date_created DESC, i.id ASC
         LIMIT %s""",
    "lines": """
        SELECT id, invoice_id, code, description, quantity, unit_price, amount_net, amount_total, tax_analysis
          FROM invoice_invoicelineitem
         WHERE invoice_id = ANY(%s) AND NOT is_deleted
         ORDER BY date_created, id""",
}

RAW_CARD_SQL = {
    "invoice": """
        SELECT i.*, o.code, o.name, o.siren, o.vat_number
          FROM invoice_invoice i
          LEFT JOIN core_organization o ON o.id = i.thirdparty_id
         WHERE i.organization_id = %s AND i.id = %s AND NOT i.is_deleted""",
    "lines": "SELECT * FROM invoice_invoicelineitem WHERE invoice_id = %s AND NOT is_deleted ORDER BY date_created, id",
    "payments": """SELECT * FROM invoice_invoicepayment WHERE invoice_id = %s AND NOT is_deleted
                    ORDER BY date_payment DESC, date_created DESC""",
    "events": """
        SELECT e.*, u.username FROM invoice_invoiceevent e LEFT JOIN core_user u ON u.id = e.user_id
         WHERE e.invoice_id = %s AND NOT e.is_deleted ORDER BY e.date_created DESC""",
}


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def summary(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "mean": statistics.fmean(ms),
            "min": min(ms), "max": max(ms), "n": len(ms)}


def check_list(payload: bytes, total: int) -> None:
    result = json.loads(payload)
    if result.get("errors"):
        raise SystemExit(f"list page returned errors: {result['errors']}")
    connection = result["data"]["invoice"]
    edges = connection["edges"]
    if connection["totalCount"] != total or len(edges) != PAGE_SIZE:
        raise SystemExit(f"list page: totalCount {connection['totalCount']} (expected {total}), {len(edges)} edges")
    lines = sum(len(edge["node"]["lineItems"]) for edge in edges)
    if lines != PAGE_SIZE * LINES_PER_INVOICE:
        raise SystemExit(f"list page: {lines} lines, expected {PAGE_SIZE * LINES_PER_INVOICE}")


def check_card(payload: bytes) -> None:
    result = json.loads(payload)
    if result.get("errors"):
        raise SystemExit(f"card page returned errors: {result['errors']}")
    edges = result["data"]["invoice"]["edges"]
    node = edges[0]["node"] if len(edges) == 1 else None
    if node is None or len(node["lineItems"]) != LINES_PER_INVOICE or len(node["payments"]) != 1 \
            or len(node["events"]) != 2:
        raise SystemExit(f"card page: unexpected content {result}")


def run_api(app: ProbedApplication, client: GraphQLClient, name: str, query: str, variables: dict,
            warmup: int, requests: int, check, gc_freeze: bool = False) -> dict:
    for _ in range(warmup):
        _, payload = client.post(query, variables)
    check(payload)
    if gc_freeze:
        gc.collect()
        gc.freeze()
    app.probes.clear()
    seconds, sizes = [], set()
    for _ in range(requests):
        elapsed, payload = client.post(query, variables)
        seconds.append(elapsed)
        sizes.add(len(payload))
    check(payload)
    probes = list(app.probes)
    if len(probes) != requests:
        raise SystemExit(f"{name}: {len(probes)} server probes for {requests} requests")
    queries = collections.Counter(p.queries for p in probes)
    result = summary(seconds)
    result.update(
        queries=queries.most_common(1)[0][0], queries_spread=dict(queries), bytes=max(sizes),
        server_p50=percentile([p.app_seconds * 1000 for p in probes], 50),
        sql_p50=percentile([p.sql_seconds * 1000 for p in probes], 50),
        breakdown=breakdown(probes),
    )
    slowest = max(probes, key=lambda p: p.app_seconds)
    result["slowest"] = {"server": slowest.app_seconds * 1000, "sql": slowest.sql_seconds * 1000,
                         "gc": slowest.gc_seconds * 1000,
                         "gc_pauses": sum(1 for p in probes if p.gc_seconds > 0.020)}
    return result


def breakdown(probes: list[Probe]) -> dict:
    """Mean milliseconds per request by phase, exclusive (they add up to the server time)."""
    def mean(get):
        return statistics.fmean(get(p) for p in probes) * 1000

    phases = {name: mean(lambda p, n=name: p.phases[n]) for name in PHASES}
    sql = {name: mean(lambda p, n=name: p.phase_sql[n]) for name in PHASES + ("",)}
    server = mean(lambda p: p.app_seconds)
    resolve = phases["execute"] - phases["queryset"] - phases["fetch"]
    return {
        "Django + auth middleware, HTTP handler (SQL: user)": (
            server - phases["parse"] - phases["validate"] - phases["execute"] - phases["encode"], sql[""]),
        "GraphQL parse": (phases["parse"], 0.0),
        "GraphQL validate": (phases["validate"], 0.0),
        "filterset + scoped queryset (SQL: membership)": (phases["queryset"], sql["queryset"]),
        "fetch: count + page + prefetches + model instances": (phases["fetch"], sql["fetch"]),
        "GraphQL resolve + complete fields": (resolve, sql["execute"]),
        "JSON encode": (phases["encode"], 0.0),
        "server total": (server, sum(sql.values())),
        "(of which cyclic GC pauses, spread over the above)": (mean(lambda p: p.gc_seconds), 0.0),
    }


def run_raw(conninfo: dict, name: str, work, warmup: int, requests: int) -> dict:
    """Hand-written SQL with psycopg, client-side binding like Django's backend (no prepared
    statements), autocommit, rows fetched into Python objects."""
    import psycopg

    with psycopg.connect(**conninfo, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        for _ in range(warmup):
            work(conn)
        seconds, counts = [], []
        for _ in range(requests):
            begin = time.perf_counter()
            count_seconds = work(conn)
            seconds.append(time.perf_counter() - begin)
            if count_seconds is not None:
                counts.append(count_seconds)
    result = summary(seconds)
    if counts:
        result["count"] = summary(counts)
    return result


def raw_list(organization_id):
    def work(conn):
        with conn.cursor() as cur:
            begin = time.perf_counter()
            total = cur.execute(RAW_LIST_SQL["count"], (organization_id,)).fetchone()[0]
            count_seconds = time.perf_counter() - begin
            page = cur.execute(RAW_LIST_SQL["page"], (organization_id, PAGE_SIZE)).fetchall()
            lines = cur.execute(RAW_LIST_SQL["lines"], ([row[0] for row in page],)).fetchall()
        assert total and len(page) == PAGE_SIZE and len(lines) == PAGE_SIZE * LINES_PER_INVOICE
        return count_seconds
    return work


def raw_card(organization_id, invoice_id):
    def work(conn):
        with conn.cursor() as cur:
            invoice = cur.execute(RAW_CARD_SQL["invoice"], (organization_id, invoice_id)).fetchone()
            lines = cur.execute(RAW_CARD_SQL["lines"], (invoice_id,)).fetchall()
            payments = cur.execute(RAW_CARD_SQL["payments"], (invoice_id,)).fetchall()
            events = cur.execute(RAW_CARD_SQL["events"], (invoice_id,)).fetchall()
        assert invoice and len(lines) == LINES_PER_INVOICE and payments and events
    return work


def show_sql(app: ProbedApplication, client: GraphQLClient, label: str, query: str, variables: dict) -> None:
    app.capture_sql = True
    try:
        app.probes.clear()
        client.post(query, variables)
    finally:
        app.capture_sql = False
    probe = app.probes[-1]
    print(f"\n--- SQL of one {label} request: {probe.queries} queries, {probe.sql_seconds * 1000:.2f} ms ---")
    for seconds, sql in probe.statements:
        # The column lists are long and say little: keep FROM, JOINs, WHERE, ORDER BY, LIMIT.
        print(f"{seconds * 1000:7.2f} ms  {re.sub(r'^SELECT .*? FROM ', 'SELECT ... FROM ', sql, flags=re.DOTALL)}")


def profile_requests(app: ProbedApplication, client: GraphQLClient, query: str, variables: dict, count: int,
                     label: str) -> None:
    profiler = cProfile.Profile()
    app.profiler = profiler
    try:
        for _ in range(count):
            client.post(query, variables)
    finally:
        app.profiler = None
    print_profile(profiler, count, label, unit="request", limits=(25, 45))


def print_result(name: str, api: dict, raw: dict) -> float:
    ratio = api["p95"] / raw["p95"]
    print(f"{name:<5} API  p50 {api['p50']:7.2f} ms  p95 {api['p95']:7.2f} ms  mean {api['mean']:7.2f} ms  "
          f"(min {api['min']:.2f}, max {api['max']:.2f}, n={api['n']})")
    print(f"      server p50 {api['server_p50']:.2f} ms, of which SQL p50 {api['sql_p50']:.2f} ms; "
          f"{api['queries']} SQL queries/request {api['queries_spread']}; response {api['bytes']:,} bytes")
    print(f"      raw  p50 {raw['p50']:7.2f} ms  p95 {raw['p95']:7.2f} ms  mean {raw['mean']:7.2f} ms  (n={raw['n']})"
          + (f"; of which count(*) p50 {raw['count']['p50']:.2f} ms" if "count" in raw else ""))
    print(f"      ratio API p95 / raw p95 = {ratio:.1f}x")
    slowest = api["slowest"]
    print(f"      slowest request server-side: {slowest['server']:.1f} ms, of which SQL {slowest['sql']:.1f} ms "
          f"and cyclic GC {slowest['gc']:.1f} ms; {slowest['gc_pauses']} of {api['n']} requests had > 20 ms of GC")
    print("      where the server time goes (mean ms per request; of which SQL):")
    for label, (ms, sql) in api["breakdown"].items():
        print(f"        {label:<52} {ms:7.2f}" + (f"   SQL {sql:6.2f}" if sql else ""))
    return ratio


def main(argv=None) -> int:
    args = parse_args(argv)
    url = configure_environment(args)
    ensure_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from graphql_jwt.shortcuts import get_token

    from core.models import Organization, User
    from invoice.constants import InvoiceStatus
    from invoice.models import Invoice

    database = settings.DATABASES["default"]["NAME"]
    print(f"molink-invoicing GraphQL benchmark: database {database}, {args.invoices:,} invoices, "
          f"{args.requests} timed requests per page ({args.warmup} warm-up), {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}")
    begin = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - begin:.1f} s")
    seed(args.invoices, force=args.reseed, allow_any_database=args.allow_any_database)

    organization = Organization.objects.get(code="bench-a")
    user = User.objects.get(username="bench-a@molink.test")
    total = Invoice.objects.filter(organization=organization, is_deleted=False).count()
    card_invoice = (Invoice.objects.filter(organization=organization, status=InvoiceStatus.PAID, is_deleted=False)
                    .order_by("-date_created").values_list("pk", flat=True)[PAGE_SIZE])
    token = get_token(user)
    from django.db import connections

    connections.close_all()  # the server thread and the baseline open their own

    if not args.django_debug:
        settings.DEBUG = False  # production behaviour (no query log); DEBUG=1 only spares a SECRET_KEY
    print(f"server: django.core.servers.basehttp.ThreadedWSGIServer, settings.DEBUG={settings.DEBUG}, "
          f"CONN_MAX_AGE={settings.DATABASES['default']['CONN_MAX_AGE']}")

    from config.wsgi import application

    install_phase_timers()
    app = ProbedApplication(application)
    server, thread = start_server(app, nodelay=not args.nagle)
    port = server.server_address[1]
    print(f"server: 127.0.0.1:{port}, TCP_NODELAY {'off (Nagle on, as runserver)' if args.nagle else 'on'}")
    client = GraphQLClient(port, token)
    results = {}
    load_before = os.getloadavg()
    try:
        list_vars = {"first": PAGE_SIZE}
        card_vars = {"id": str(card_invoice)}
        results["list"] = run_api(app, client, "list", LIST_QUERY, list_vars, args.warmup, args.requests,
                                  lambda payload: check_list(payload, total), gc_freeze=args.gc_freeze)
        results["card"] = run_api(app, client, "card", CARD_QUERY, card_vars, args.warmup, args.requests, check_card,
                                  gc_freeze=args.gc_freeze)
        if args.gc_freeze:
            print(f"gc.freeze(): {gc.get_freeze_count():,} objects frozen after warm-up")
        conninfo = psycopg_conninfo()
        raw = {
            "list": run_raw(conninfo, "list", raw_list(organization.pk), args.warmup, args.requests),
            "card": run_raw(conninfo, "card", raw_card(organization.pk, card_invoice), args.warmup, args.requests),
        }
        load_after = os.getloadavg()
        busy = max(load_before[0], load_after[0]) > 0.75 * (os.cpu_count() or 1)
        print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f} on {os.cpu_count()} CPUs"
              + (": OTHER PROCESSES COMPETED FOR THE CPUs, figures are pessimistic" if busy else ""))
        print(f"results ({total:,} invoices of organisation A, page of {PAGE_SIZE}, "
              f"{PAGE_SIZE * LINES_PER_INVOICE} lines; card {card_invoice}):")
        ratio_list = print_result("list", results["list"], raw["list"])
        print_result("card", results["card"], raw["card"])
        p95 = results["list"]["p95"]
        ok_time, ok_ratio = p95 <= TARGET_P95_MS, ratio_list <= TARGET_RATIO
        verdict = "PASS" if ok_time and ok_ratio else "MISS"
        print(f"\ntarget list page p95 <= {TARGET_P95_MS:.0f} ms: {p95:.1f} ms {'ok' if ok_time else 'MISS'}; "
              f"<= {TARGET_RATIO:.0f}x raw SQL: {ratio_list:.1f}x {'ok' if ok_ratio else 'MISS'} -> {verdict}")
        if args.show_sql:
            show_sql(app, client, "list page", LIST_QUERY, list_vars)
            show_sql(app, client, "card page", CARD_QUERY, card_vars)
        if args.profile:
            profile_requests(app, client, LIST_QUERY, list_vars, args.profile, "list page")
            profile_requests(app, client, CARD_QUERY, card_vars, args.profile, "card page")
    finally:
        client.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
