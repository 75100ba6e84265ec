"""Benchmark of DOCUMENT GENERATION through the real pipeline: document_request → RabbitMQ →
Celery worker processes → render → S3 (moto server) → `created`, against pure rendering.

    DEBUG=1 .venv/bin/python bench/generation.py [--documents 1000] [--format json] [--pdf-documents 200]
        [--workers 2] [--concurrency 1] [--pool prefork] [--big-lines 10000] [--latency-samples 20]
        [--breakdown 200] [--profile N] [--big-tracemalloc LINES] [--db-reuse N] [--schematron 100]
    DEBUG=1 .venv/bin/python bench/generation.py --only-big [--big-lines 10000]
    DEBUG=1 .venv/bin/python bench/generation.py --only-schematron [--schematron 100]

What it does, in one run:

1. Creates the database (default postgresql://postgres@127.0.0.1:5432/molink_bench_gen) if it is
   missing, runs `migrate`, empties the invoice tables, and seeds one organisation, its admin, one
   operator (the buyer) and N issued invoices of 5 lines: 5 through the services (invoice_create,
   line_add, invoice_validate), the others copied from them with bulk_create (new ids, next numbers).
2. Starts moto in server mode (moto.server.ThreadedMotoServer) in its own process on a free loopback
   port, with a bucket, and K `celery -A config worker` processes (prefork pool of C processes each,
   as deployed, or --pool solo; DEBUG off as in production) consuming a throwaway queue
   (INVOICE_DOCUMENTS_QUEUE=bench_documents_<random>, with its dead-letter queue),
   STORAGE_BACKEND=s3 pointing at moto; a few warm-up documents of each format.
3. Requests N documents (`--format`, default json) through invoice.services.documents.document_request,
   one transaction each as the API does, and waits until all are `created`: documents/s (first
   request → last `date_generated`), p50/p95 of date_generated − date_created, failures (must be 0),
   and the CPU each process group used. Then the same for `--pdf-documents` PDFs. Then
   `--latency-samples` documents one at a time on the idle pipeline (end-to-end latency unloaded).
4. Times pure rendering of the same invoices (document_snapshot + render: no broker, no storage, no
   status rows) in this process, then in K x C forked processes at once (measured effective
   parallelism E), and prints ratio = (pure throughput x E) / pipeline throughput (target ≤ 1.2×,
   PASS/MISS, never asserted; every figure is flagged when other processes took the CPUs). Then times the body of the task (invoice.services.documents
   .document_generate) in-process on `--breakdown` documents, phase by phase, and optionally profiles it.
5. Times the schematron proof (invoice.renderers.conformance) in a fresh subprocess, as a worker
   pays it: compiling the XSLTs once, then per document the EN 16931 and the French CTC schematrons
   separately, over the CII XML of `--schematron` 5-line invoices and over the XML extracted from
   their Factur-X (a quarter as many: the PDF is slow to make), and over a 300-line invoice; with
   the process's RSS after each quarter of the documents (does it grow?). `--only-schematron` does
   this step alone (no broker, workers, moto nor pipeline run). INVOICE_SCHEMATRON_EN16931_XSLT
   selects the EN 16931 XSLT, as in the service.
6. Renders a `--big-lines` invoice (default 10,000 lines, made through the services) to PDF in a
   subprocess: wall time and peak RSS (the child's VmHWM, and ru_maxrss from wait4); target ≤ 300 MiB.
   `--big-tracemalloc` re-runs it under tracemalloc and prints where the memory is at the peak.
   `--only-big` does this step alone (no broker, workers, moto nor pipeline run).
7. Stops the workers and moto, and deletes the queues and exchanges, whatever happened.

Results and how to read them: docs/performance.md ("Document generation").
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.measure import percentile, print_profile, truncate_invoice_tables  # noqa: E402 - after the path set-up

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/molink_bench_gen"
DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
LINES_PER_INVOICE = 5
SERVICE_INVOICES = 5  # made through the services; the rest are copies of them
TARGET_RATIO = 1.2
TARGET_BIG_RSS_MIB = 300.0
S3_REGION = "us-east-1"
S3_KEYS = {"S3_ACCESS_KEY_ID": "bench", "S3_SECRET_ACCESS_KEY": "bench"}
CLK_TCK = os.sysconf("SC_CLK_TCK")

CATALOGUE = [  # (code, description, unit price, quantity)
    ("AVIS-DC", "Avis de décès - parution presse régionale", "89.00", "1"),
    ("CONS-H", "Conseil - heure", "95.00", "3.5"),
    ("DEV-J", "Développement - jour", "650.00", "2"),
    ("HEBERG-M", "Hébergement - mois", "49.90", "12"),
    ("LIC-U", "Licence - utilisateur / mois", "12.50", "25"),
    ("SMS", "Envoi de SMS", "0.045", "2500"),
    ("DEPL", "Frais de déplacement (km)", "0.62", "245.5"),
]


# --------------------------------------------------------------------------------------------
# Command line and environment (before django.setup(): settings read the environment once)
# --------------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000, help="documents of --format through the pipeline (default 1000)")
    parser.add_argument("--format", default="json", choices=("json", "pdf", "xml", "facturx"),
                        help="format of the main run (default json)")
    parser.add_argument("--pdf-documents", type=int, default=200,
                        help="then as many PDFs through the pipeline (default 200; 0 to skip; ignored with --format pdf)")
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="pool processes per worker (default 1: 2 workers x 1 = one rendering process per core)")
    parser.add_argument("--pool", default="prefork", choices=("prefork", "solo"),
                        help="celery pool (default prefork, as deployed: docker/compose.yaml runs `celery worker` with "
                             "its default pool); solo runs the task in the consumer process (tests/helpers/pipeline.py)")
    parser.add_argument("--db-reuse", type=int, default=None, metavar="N",
                        help="workers run with CELERY_DB_REUSE_MAX=N (default: as configured, 1000); 0 makes Celery's "
                             "Django fixup close the database connection around every task, as before it was set")
    parser.add_argument("--latency-samples", type=int, default=20,
                        help="documents requested one at a time on the idle pipeline, per format (default 20)")
    parser.add_argument("--breakdown", type=int, default=200,
                        help="documents of the main format whose task body is timed in-process, phase by phase "
                             "(default 200; PDFs: a quarter of it; 0 to skip)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="cProfile N in-process runs of the task body (main format) and print the hot spots")
    parser.add_argument("--big-lines", type=int, default=10_000,
                        help="lines of the big invoice rendered to PDF in a subprocess (default 10000; 0 to skip)")
    parser.add_argument("--only-big", action="store_true",
                        help="only seed the big invoice and render it to PDF in a subprocess (step 5): no broker, "
                             "workers, moto nor pipeline run")
    parser.add_argument("--big-tracemalloc", type=int, default=0, metavar="LINES",
                        help="also render a LINES-line invoice to PDF under tracemalloc and print where the memory "
                             "is at the peak (slow: about 3x the plain render)")
    parser.add_argument("--schematron", type=int, default=100, metavar="N",
                        help="documents whose schematron proof is timed (step 6, default 100; 0: skip)")
    parser.add_argument("--only-schematron", action="store_true",
                        help="only time the schematron proof (step 6): no broker, workers, moto nor pipeline run")
    parser.add_argument("--child-schematron", metavar="IDS", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for a run to finish (default 900)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help=f"PostgreSQL database of the bench (default {DEFAULT_DATABASE_URL}); the environment's "
                             "DATABASE_URL is ignored on purpose: the seed empties the invoice tables")
    parser.add_argument("--allow-any-database", action="store_true",
                        help="seed a database whose name does not contain 'bench' (seeding TRUNCATEs invoice tables)")
    # Internal: the big-PDF child process.
    parser.add_argument("--child-big-pdf", metavar="INVOICE_ID", help=argparse.SUPPRESS)
    parser.add_argument("--child-tracemalloc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.format == "pdf":
        args.pdf_documents = 0
    if args.documents < 1 or args.workers < 1 or args.concurrency < 1:
        parser.error("--documents, --workers and --concurrency must be at least 1")
    if args.only_big and args.big_lines < 1:
        parser.error("--only-big needs --big-lines of at least 1")
    if args.pool == "solo" and args.concurrency != 1:
        parser.error("--pool solo runs one task at a time: --concurrency must be 1")
    return args


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def configure_environment(args: argparse.Namespace) -> dict:
    """Environment of this process and of its children (workers, big-PDF child). The S3 port and
    the queue name are chosen here so that settings see them at django.setup()."""
    parts = urlsplit(args.database_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"bench/generation.py needs PostgreSQL; got {args.database_url!r}")
    if args.child_big_pdf or args.child_schematron:  # the parent set everything
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        return {}
    port = free_port()
    run_id = secrets.token_hex(4)
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL") or DEFAULT_BROKER_URL,
        "INVOICE_DOCUMENTS_QUEUE": f"bench_documents_{run_id}",
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "S3_BUCKET": f"bench-gen-{run_id}",
        "S3_REGION": S3_REGION,
        **S3_KEYS,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    os.environ.update(env)
    if not os.environ.get("SECRET_KEY"):
        os.environ.setdefault("DEBUG", "1")  # settings refuse to start without a key when DEBUG is off
    return {"s3_port": port, "run_id": run_id, **env}


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


# --------------------------------------------------------------------------------------------
# Measuring helpers: percentiles, CPU by process group, memory
# --------------------------------------------------------------------------------------------


def process_table() -> dict[int, tuple[int, str, float]]:
    """pid → (ppid, command name, CPU seconds) of every process (/proc/<pid>/stat)."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                data = handle.read()
        except OSError:
            continue
        close = data.rfind(")")
        fields = data[close + 2:].split()
        # utime + stime + cutime + cstime: a process's CPU plus that of its children that have exited and
        # been waited for (a PostgreSQL backend that lives for one task is counted in the postmaster).
        cpu = sum(int(v) for v in fields[11:15]) / CLK_TCK
        table[int(name)] = (int(fields[1]), data[data.find("(") + 1:close], cpu)
    return table


def system_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the machine since boot, all cores (/proc/stat)."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:9]]
    return (sum(values) - values[3] - values[4]) / CLK_TCK, sum(values) / CLK_TCK


class CpuMeter:
    """CPU seconds used between start() and stop() by process group: the celery workers (with
    their pool children), moto, this process (requests and polling; also moto's client side),
    PostgreSQL (all backends), RabbitMQ, and the rest of the machine."""

    def __init__(self, groups: dict[str, list[int]]):
        self.groups = groups

    def _sample(self) -> tuple[dict[str, float], float, float]:
        table = process_table()
        children = collections.defaultdict(list)
        for pid, (ppid, _comm, _cpu) in table.items():
            children[ppid].append(pid)
        used = {}
        claimed = set()
        for group, roots in self.groups.items():
            stack, total = list(roots), 0.0
            while stack:
                pid = stack.pop()
                if pid in claimed or pid not in table:
                    continue
                claimed.add(pid)
                total += table[pid][2]
                stack.extend(children[pid])
            used[group] = total
        used["PostgreSQL"] = sum(cpu for pid, (_p, comm, cpu) in table.items() if comm == "postgres" and pid not in claimed)
        rabbit = ("beam.smp", "erl_child_setup", "epmd", "inet_gethost")
        used["RabbitMQ"] = sum(cpu for pid, (_p, comm, cpu) in table.items() if comm in rabbit and pid not in claimed)
        others = {pid: cpu for pid, (_p, comm, cpu) in table.items()
                  if pid not in claimed and comm != "postgres" and comm not in rabbit}
        busy, total = system_cpu()
        return used, busy, total, others

    def start(self) -> CpuMeter:
        self.before = self._sample()
        self.wall_before = time.perf_counter()
        return self

    def stop(self) -> dict:
        after = self._sample()
        used = {group: after[0][group] - self.before[0].get(group, 0.0) for group in after[0]}
        busy = after[1] - self.before[1]
        used["rest of the machine"] = max(0.0, busy - sum(used.values()))
        others = collections.Counter()
        for pid, cpu in after[3].items():
            spent = cpu - self.before[3].get(pid, 0.0)
            if spent > 0.05:
                others[_command_of(pid)] += spent
        return {"groups": used, "busy": busy, "wall": time.perf_counter() - self.wall_before,
                "others": others.most_common(3)}


def _command_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()[:70] or f"pid {pid}"
    except OSError:
        return f"pid {pid} (ended)"


def memory_status() -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of this process, MiB."""
    result = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                result[key] = int(value.split()[0]) / 1024
    return result


def load_average() -> float:
    return os.getloadavg()[0]


# --------------------------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------------------------
#
# BENCH DATA ONLY. SERVICE_INVOICES invoices go through the services (invoice_create, line_add,
# invoice_validate: numbers, VAT, history, events); the others are copies of them written with
# bulk_create (new UUIDv7 ids, the next gap-free numbers, the sequence row moved on), without
# history or events, which document generation never reads. The big invoice goes through the
# services too (lines_add_bulk).

def _reset_tables(allow_any_database: bool) -> None:
    from core.models import MetricCounter
    from invoice.models import InvoiceDocument

    truncate_invoice_tables(allow_any_database=allow_any_database, extra_models=(InvoiceDocument, MetricCounter))


def _parties():
    from core.models import Membership, Organization, User
    from payment_module.models import Operator

    organization, _ = Organization.objects.get_or_create(code="bench-gen", defaults={
        "name": "Pompes Funèbres Bench", "legal_name": "Pompes Funèbres Bench SAS", "siren": "123456782",
        "siret": "12345678200010", "vat_number": "FR40123456782", "address_line1": "1 rue du Banc d'Essai",
        "postal_code": "75002", "city": "Paris", "email": "facturation@bench-gen.test",
        "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "invoice_number_prefix": "BGEN",
    })
    user = User.objects.filter(username="bench-gen@molink.test").first()
    if user is None:
        user = User.objects.create_user(username="bench-gen@molink.test", email="bench-gen@molink.test",
                                        password="bench-pass-123", first_name="Admin", last_name="Bench")
    Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": Membership.Role.ADMIN})
    operator = Operator.objects.filter(organization=organization, code="op-lea").first()
    if operator is None:
        operator = Operator(organization=organization, code="op-lea", name="Léa Çelik Obsèques",
                            legal_name="Léa Çelik Obsèques SARL", siren="987654324", vat_number="FR12987654324",
                            address_line1="12 avenue des Tilleuls", postal_code="69003", city="Lyon",
                            email="compta@lea-celik.test")
        operator.save()
    return organization, user, operator


def _invoice_through_services(user, organization, operator, items: list[dict], *, bulk: bool = False):
    from django.db import transaction

    from invoice.services.invoices import invoice_create, invoice_validate
    from invoice.services.lines import line_add, lines_add_bulk

    invoice = invoice_create(actor=user, organization=organization, data={
        "thirdparty_type": "operator", "thirdparty_id": str(operator.pk), "code_tp": "CLIENT-0042",
        "note": "Merci pour votre confiance.",
        "terms": "Paiement à 30 jours par virement. Pénalités de retard : 3 fois le taux d'intérêt légal.",
    })
    if bulk:
        with transaction.atomic():  # lines_add_bulk locks the invoice: its callers hold a transaction
            lines_add_bulk(actor=user, invoice=invoice, items=items)
    else:
        for item in items:
            line_add(actor=user, invoice=invoice, data=item)
    return invoice_validate(actor=user, invoice=invoice)


def _line_item(n: int) -> dict:
    code, description, price, quantity = CATALOGUE[n % len(CATALOGUE)]
    return {"code": code, "description": f"{description} n°{n + 1}", "unit_price": Decimal(price),
            "quantity": Decimal(quantity), "ledger_account": "706100"}


def seed(invoices: int, big_lines: int, allow_any_database: bool) -> dict:
    from django.db import transaction

    from core.ids import uuid7
    from invoice.models import Invoice, InvoiceLineItem, InvoiceNumberSequence
    from invoice.numbering import format_number

    started = time.perf_counter()
    _reset_tables(allow_any_database)
    organization, user, operator = _parties()
    templates = []
    for t in range(min(SERVICE_INVOICES, invoices)):
        items = [_line_item(t * LINES_PER_INVOICE + n) for n in range(LINES_PER_INVOICE)]
        templates.append(_invoice_through_services(user, organization, operator, items))
    services_seconds = time.perf_counter() - started

    begin = time.perf_counter()
    template_lines = {t.pk: list(InvoiceLineItem.objects.filter(invoice=t, is_deleted=False).order_by("date_created", "id"))
                      for t in templates}
    year = templates[0].date_invoice.year
    with transaction.atomic():
        sequence = InvoiceNumberSequence.objects.select_for_update().get(organization=organization, year=year)
        number = sequence.last_number
        new_invoices, new_lines = [], []
        invoice_fields = [f.attname for f in Invoice._meta.concrete_fields]
        line_fields = [f.attname for f in InvoiceLineItem._meta.concrete_fields]
        for i in range(len(templates), invoices):
            template = templates[i % len(templates)]
            number += 1
            values = {name: getattr(template, name) for name in invoice_fields}
            code = format_number(organization.invoice_number_prefix, year, number)
            values.update(id=uuid7(), code=code, payment_reference=code)
            new_invoices.append(Invoice(**values))
            for line in template_lines[template.pk]:
                line_values = {name: getattr(line, name) for name in line_fields}
                line_values.update(id=uuid7(), invoice_id=values["id"])
                new_lines.append(InvoiceLineItem(**line_values))
        Invoice.objects.bulk_create(new_invoices, batch_size=1000)
        InvoiceLineItem.objects.bulk_create(new_lines, batch_size=2000)
        sequence.last_number = number
        sequence.save(update_fields=["last_number"])
    copy_seconds = time.perf_counter() - begin

    big = None
    big_seconds = 0.0
    if big_lines:
        begin = time.perf_counter()
        big = _invoice_through_services(user, organization, operator, [_line_item(n) for n in range(big_lines)], bulk=True)
        big_seconds = time.perf_counter() - begin
    ids = list(Invoice.objects.filter(organization=organization, is_deleted=False)
               .exclude(pk=big.pk if big else None).order_by("code").values_list("pk", flat=True))
    print(f"seed: {len(ids):,} issued invoices x {LINES_PER_INVOICE} lines ({len(templates)} through the services in "
          f"{services_seconds:.1f} s, {len(new_invoices):,} copied in {copy_seconds:.1f} s)"
          + (f"; big invoice {big.code} with {big_lines:,} lines through the services in {big_seconds:.1f} s" if big else ""))
    return {"organization": organization, "user": user, "invoice_ids": ids, "big_id": big.pk if big else None}


# --------------------------------------------------------------------------------------------
# Services: moto S3 server and celery workers (processes of their own)
# --------------------------------------------------------------------------------------------

MOTO_CHILD = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
print("ready", flush=True)
sys.stdin.read()  # until the parent closes our stdin
server.stop()
"""


class MotoServer:
    """moto in server mode in a process of its own: its CPU is counted apart (it stands in for
    S3, which costs the application nothing locally) and it does not share this process's GIL."""

    def __init__(self, port: int, log_path: Path):
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, bucket: str) -> MotoServer:
        import boto3

        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen([sys.executable, "-c", MOTO_CHILD, str(self.port)], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=log, text=True)
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            raise SystemExit(f"moto server did not start: {self.log_path.read_text(errors='replace')[-2000:]}")
        self.client = boto3.client("s3", endpoint_url=self.endpoint, region_name=S3_REGION,
                                   aws_access_key_id=S3_KEYS["S3_ACCESS_KEY_ID"],
                                   aws_secret_access_key=S3_KEYS["S3_SECRET_ACCESS_KEY"])
        self.client.create_bucket(Bucket=bucket)
        return self

    def count(self, bucket: str) -> tuple[int, int]:
        objects = size = 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                objects += 1
                size += item["Size"]
        return objects, size

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(10)
            except (subprocess.TimeoutExpired, OSError):
                self.process.kill()
                self.process.wait(10)


class Workers:
    """K `celery -A config worker` processes on the bench queue, DEBUG off as in production."""

    def __init__(self, count: int, concurrency: int, queue: str, log_dir: Path, pool: str = "prefork",
                 db_reuse: int | None = None):
        self.count, self.concurrency, self.queue, self.log_dir = count, concurrency, queue, log_dir
        self.pool, self.db_reuse = pool, db_reuse
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self) -> Workers:
        env = {**os.environ, "DEBUG": "0", "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-" + secrets.token_hex(32),
               "PYTHONUNBUFFERED": "1"}
        if self.db_reuse is not None:
            env["CELERY_DB_REUSE_MAX"] = str(self.db_reuse)
        pool = [f"--pool={self.pool}"] + ([f"--concurrency={self.concurrency}"] if self.pool == "prefork" else [])
        for index in range(self.count):
            log = self.log_dir / f"worker-{index}.log"
            self.logs.append(log)
            with open(log, "ab") as handle:  # the child keeps its own descriptor
                self.processes.append(subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", self.queue, *pool, "-l", "INFO",
                     "--without-mingle", "--without-gossip", "-n", f"bench{index}-{secrets.token_hex(3)}@%h"],
                    cwd=REPO_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                ))
        deadline = time.monotonic() + 90
        for process, log in zip(self.processes, self.logs):
            while b" ready." not in log.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"celery worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.1)
        return self

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def rss(self) -> list[tuple[int, float]]:
        """(pid, VmRSS MiB) of each worker process and of its pool processes (prefork children)."""
        table = process_table()
        found = []
        for pid in self.pids:
            for member in [pid] + sorted(child for child, (ppid, _name, _cpu) in table.items() if ppid == pid):
                try:
                    with open(f"/proc/{member}/status") as handle:
                        rss = next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))
                except (OSError, StopIteration):
                    continue
                found.append((member, rss / 1024))
        return found

    def log_errors(self) -> list[str]:
        found = []
        for log in self.logs:
            for line in log.read_text(errors="replace").splitlines():
                if " ERROR" in line or " WARNING" in line or "Traceback" in line:
                    found.append(f"{log.name}: {line}")
        return found


def queue_depth(name: str) -> int:
    from invoice.queues import queue_depth as depth

    return depth(name)


def delete_queues(queue: str) -> None:
    from invoice.queues import delete_topology

    delete_topology(queue)


# --------------------------------------------------------------------------------------------
# The pipeline runs
# --------------------------------------------------------------------------------------------

def run_pipeline(fmt: str, invoice_ids: list, context: dict, cpu_groups: dict, timeout: float) -> dict:
    """Request one `fmt` document per invoice through document_request (one transaction each, as
    the API does), then wait until every row is created or failed."""
    from django.db.models import Count

    from invoice.constants import DocumentStatus
    from invoice.models import Invoice, InvoiceDocument
    from invoice.services.documents import document_request

    invoices = list(Invoice.objects.filter(pk__in=invoice_ids))
    organization, user = context["organization"], context["user"]
    meter = CpuMeter(cpu_groups).start()
    started_at = datetime.now(UTC)
    begin = time.perf_counter()
    document_ids = [document_request(actor=user, organization=organization, invoice=invoice, fmt=fmt).pk
                    for invoice in invoices]
    requested_seconds = time.perf_counter() - begin
    deadline = time.monotonic() + timeout
    while True:
        counts = dict(InvoiceDocument.objects.filter(pk__in=document_ids).values_list("status")
                      .annotate(n=Count("id")).values_list("status", "n"))
        done = counts.get(DocumentStatus.CREATED, 0) + counts.get(DocumentStatus.FAILED, 0)
        if done == len(document_ids) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    cpu = meter.stop()
    rows = list(InvoiceDocument.objects.filter(pk__in=document_ids)
                .values_list("status", "date_created", "date_generated", "attempts", "size"))
    created = [r for r in rows if r[0] == DocumentStatus.CREATED]
    latencies = [(r[2] - r[1]).total_seconds() for r in created]
    wall = (max(r[2] for r in created) - started_at).total_seconds() if created else float("nan")
    return {
        "format": fmt, "n": len(document_ids), "created": len(created),
        "failed": counts.get(DocumentStatus.FAILED, 0), "unfinished": len(document_ids) - done,
        "retried": sum(1 for r in rows if r[3] > 1), "bytes": sum(r[4] or 0 for r in created),
        "requested_seconds": requested_seconds, "wall": wall, "throughput": len(created) / wall if created else 0.0,
        "latency": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "max": max(latencies),
                    "min": min(latencies)} if latencies else None,
        "cpu": cpu, "document_ids": document_ids,
    }


def run_unloaded_latency(fmt: str, invoice_ids: list, context: dict) -> dict | None:
    """One document at a time on the idle pipeline: request → created, nothing queued before it."""
    from invoice.constants import DocumentStatus
    from invoice.models import Invoice, InvoiceDocument
    from invoice.services.documents import document_request

    if not invoice_ids:
        return None
    latencies, polled = [], []
    for invoice in Invoice.objects.filter(pk__in=invoice_ids):
        begin = time.perf_counter()
        document = document_request(actor=context["user"], organization=context["organization"], invoice=invoice, fmt=fmt)
        while True:
            row = InvoiceDocument.objects.filter(pk=document.pk).values_list("status", "date_created", "date_generated")[0]
            if row[0] != DocumentStatus.PENDING:
                break
            if time.perf_counter() - begin > 60:
                raise SystemExit(f"unloaded latency: document {document.pk} still pending after 60 s")
            time.sleep(0.002)
        polled.append(time.perf_counter() - begin)
        if row[0] != DocumentStatus.CREATED:
            raise SystemExit(f"unloaded latency: document {document.pk} is {row[0]}")
        latencies.append((row[2] - row[1]).total_seconds())
    return {"n": len(latencies), "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "max": max(latencies), "client_p50": percentile(polled, 50)}


def run_pure_render(fmt: str, invoice_ids: list) -> dict:
    """document_snapshot + render of the same invoices in this process: no broker, no storage."""
    from invoice.renderers import render
    from invoice.selectors import document_snapshot

    for pk in invoice_ids[:5]:  # warm-up: template compiled, fonts loaded, modules imported
        render(fmt, document_snapshot(pk))
    meter = CpuMeter({"bench process": [os.getpid()]}).start()
    snapshot_seconds = render_seconds = 0.0
    size = 0
    cpu_begin = time.process_time()
    begin = time.perf_counter()
    for pk in invoice_ids:
        a = time.perf_counter()
        snapshot = document_snapshot(pk)
        b = time.perf_counter()
        size += len(render(fmt, snapshot).content)
        render_seconds += time.perf_counter() - b
        snapshot_seconds += b - a
    seconds = time.perf_counter() - begin
    return {"n": len(invoice_ids), "seconds": seconds, "throughput": len(invoice_ids) / seconds,
            "snapshot_ms": snapshot_seconds * 1000 / len(invoice_ids), "render_ms": render_seconds * 1000 / len(invoice_ids),
            "process_cpu_ms": (time.process_time() - cpu_begin) * 1000 / len(invoice_ids), "bytes": size,
            "cpu": meter.stop()}


def run_parallel_render(fmt: str, invoice_ids: list, processes: int) -> dict:
    """The same pure rendering in `processes` forked processes at once (as many as the pipeline has
    worker processes), each rendering every invoice: their aggregate throughput, measured, is what
    this machine can render with that parallelism (2 vCPUs are not always 2 full cores)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each child opens its own
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1)
    results = context.SimpleQueue()  # put() writes synchronously: nothing lost at os._exit()
    done = context.Event()  # children stay alive until the CPU meter has read them

    def child():
        from invoice.renderers import render
        from invoice.selectors import document_snapshot

        try:
            for pk in invoice_ids[:5]:
                render(fmt, document_snapshot(pk))
            barrier.wait()
            begin = time.perf_counter()
            for pk in invoice_ids:
                render(fmt, document_snapshot(pk))
            results.put(time.perf_counter() - begin)
            done.wait(120)
        except BaseException as exc:  # noqa: BLE001 - reported by the parent
            results.put(repr(exc))
        finally:
            os._exit(0)  # no atexit, no cleanup of the parent's inherited sockets

    children = [context.Process(target=child, daemon=True) for _ in range(processes)]
    for process in children:
        process.start()
    barrier.wait(timeout=120)
    meter = CpuMeter({"bench process and its children": [os.getpid()]}).start()
    begin = time.perf_counter()
    elapsed = []
    while len(elapsed) < len(children):
        if not results.empty():
            elapsed.append(results.get())
            continue
        if any(process.exitcode not in (None, 0) for process in children):
            raise SystemExit("parallel pure rendering: a child process died")
        time.sleep(0.01)
    seconds = time.perf_counter() - begin
    cpu = meter.stop()
    done.set()
    for process in children:
        process.join(30)
    failed = [e for e in elapsed if isinstance(e, str)]
    if failed:
        raise SystemExit(f"parallel pure rendering failed: {failed[0]}")
    n = len(invoice_ids) * processes
    return {"processes": processes, "n": n, "seconds": seconds, "throughput": n / seconds,
            "slowest": max(elapsed), "fastest": min(elapsed), "cpu": cpu}


class PhaseTimer:
    """Times the phases of invoice.services.documents.document_generate in this process by
    wrapping what it calls (document_snapshot, render, storage.checksum, storage.store,
    metrics.increment) and attributes its SQL (connection.execute_wrapper) to the phase it ran in.
    The two phases that are only ORM + SQL (lock the row and count the run; mark it created) are
    what is left of the task's time, split between them by their SQL time."""

    PHASES = ("lock row + count the run (ORM)", "document_snapshot (ORM + Python)", "render", "sha256",
              "S3 PUT (boto3 -> moto)", "mark created (ORM)", "metrics counter (ORM)")

    def __init__(self):
        self.totals = collections.defaultdict(float)
        self.sql = collections.Counter()
        self.sql_seconds = collections.defaultdict(float)
        self.current = self.PHASES[0]

    def timed(self, index: int, function):
        phases = self.PHASES

        def wrapper(*args, **kwargs):
            begin = time.perf_counter()
            self.current = phases[index]
            try:
                return function(*args, **kwargs)
            finally:
                self.totals[phases[index]] += time.perf_counter() - begin
                self.current = phases[min(index + 1, len(phases) - 1)]
        return wrapper

    def execute(self, execute, sql, params, many, context):
        begin = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql[self.current] += 1
            self.sql_seconds[self.current] += time.perf_counter() - begin


def run_task_body(fmt: str, document_ids: list, profile: int = 0) -> dict:
    """document_generate (the task's body) in this process on documents already created by the
    pipeline run, put back to `pending` first (bench data): same rows, same S3 keys (overwritten)."""
    from django.db import connection

    from core import metrics
    from invoice import storage
    from invoice.constants import DocumentStatus
    from invoice.models import InvoiceDocument
    from invoice.services import documents

    def reset(ids):
        InvoiceDocument.objects.filter(pk__in=ids).update(status=DocumentStatus.PENDING, attempts=0, date_generated=None)

    timer = PhaseTimer()
    phases = timer.PHASES
    originals = (documents.document_snapshot, documents.render, storage.checksum, storage.store, metrics.increment)
    reset(document_ids)
    documents.document_generate(document_ids[0])  # warm-up (S3 connection, template)
    reset(document_ids[:1])
    documents.document_snapshot, documents.render = timer.timed(1, originals[0]), timer.timed(2, originals[1])
    storage.checksum, storage.store = timer.timed(3, originals[2]), timer.timed(4, originals[3])
    metrics.increment = timer.timed(6, originals[4])
    try:
        total = 0.0
        cpu_begin = time.process_time()
        with connection.execute_wrapper(timer.execute):
            for pk in document_ids:
                timer.current = phases[0]
                begin = time.perf_counter()
                document = documents.document_generate(pk)
                total += time.perf_counter() - begin
                if document.status != DocumentStatus.CREATED:
                    raise SystemExit(f"task body: document {pk} ended {document.status}")
        cpu = time.process_time() - cpu_begin
    finally:
        (documents.document_snapshot, documents.render, storage.checksum, storage.store, metrics.increment) = originals
    hot = None
    if profile:
        ids = document_ids[:profile]
        reset(ids)
        profiler = cProfile.Profile()
        profiler.enable()
        for pk in ids:
            documents.document_generate(pk)
        profiler.disable()
        hot = (profiler, len(ids))
    n = len(document_ids)
    rest = total - sum(timer.totals.values())
    sql_lock, sql_mark = timer.sql_seconds[phases[0]], timer.sql_seconds[phases[5]]
    share = sql_lock / (sql_lock + sql_mark) if sql_lock + sql_mark else 0.5
    timer.totals[phases[0]], timer.totals[phases[5]] = rest * share, rest * (1 - share)
    return {
        "n": n, "ms": total * 1000 / n, "cpu_ms": cpu * 1000 / n,
        "phases": {p: (timer.totals[p] * 1000 / n, timer.sql[p] / n, timer.sql_seconds[p] * 1000 / n) for p in phases},
        "queries": sum(timer.sql.values()) / n, "profile": hot,
    }


# --------------------------------------------------------------------------------------------
# The big invoice: PDF in a subprocess, peak RSS
# --------------------------------------------------------------------------------------------

def child_big_pdf(invoice_id: str, use_tracemalloc: bool) -> int:
    """Runs in the child: snapshot + PDF of one invoice, stage by stage, then one JSON line."""
    import django

    django.setup()
    from invoice.renderers import pdf, render
    from invoice.selectors import document_snapshot

    result = {"after_setup": memory_status()}
    tracer = None
    if use_tracemalloc:
        tracer = _install_tracemalloc_probes()
    begin = time.perf_counter()
    snapshot = document_snapshot(invoice_id)
    result["snapshot_s"] = time.perf_counter() - begin
    result["after_snapshot"] = memory_status()
    begin = time.perf_counter()
    html = pdf.render_html(snapshot)
    result["html_s"] = time.perf_counter() - begin
    result["html_bytes"] = len(html.encode())
    del html
    begin = time.perf_counter()
    content = render("pdf", snapshot).content
    result["render_s"] = time.perf_counter() - begin  # includes its own render_html
    result["after_render"] = memory_status()
    result["pdf_bytes"] = len(content)
    result["pages"] = len(re.findall(rb"/Type\s*/Page(?![s\w])", content))
    result["lines"] = len(snapshot.lines)
    if tracer is not None:
        tracer.report()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def _install_tracemalloc_probes():
    """Snapshots of the traced memory where xhtml2pdf's peak is: when the story (the flowables
    built from the HTML) is complete and reportlab starts a layout pass, and in the middle of the
    second pass. A pass is one reportlab build: one per part of the PDF renderer (parts of
    invoice.renderers.pdf.CHUNK_LINES lines; before them, the whole document was laid out twice
    for <pdf:pagecount>)."""
    import tracemalloc

    from reportlab.platypus import doctemplate

    class Tracer:
        def __init__(self):
            self.snapshots: list[tuple[str, object, tuple[int, int]]] = []
            self.pass_number = 0

        def report(self):
            current, peak = tracemalloc.get_traced_memory()
            print(f"\n--- tracemalloc: traced peak {peak / 2**20:.1f} MiB, at the end {current / 2**20:.1f} MiB ---")
            for label, snapshot, (now, top) in self.snapshots:
                snapshot = snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__),
                                                   tracemalloc.Filter(False, "<frozen importlib._bootstrap*>")])
                print(f"\n[{label}] traced {now / 2**20:.1f} MiB (peak so far {top / 2**20:.1f} MiB); top by line:")
                for stat in snapshot.statistics("lineno")[:15]:
                    frame = stat.traceback[0]
                    print(f"  {stat.size / 2**20:8.1f} MiB {stat.count:>9,} blocks  {_short(frame.filename)}:{frame.lineno}")
                print(f"[{label}] top by file:")
                for stat in snapshot.statistics("filename")[:10]:
                    print(f"  {stat.size / 2**20:8.1f} MiB {stat.count:>9,} blocks  {_short(stat.traceback[0].filename)}")

    tracer = Tracer()
    build, page_begin = doctemplate.BaseDocTemplate.build, doctemplate.BaseDocTemplate.handle_pageBegin

    def traced_build(self, *args, **kwargs):
        tracer.pass_number += 1
        tracer.pages_in_pass = 0
        tracer.snapshots.append((f"layout pass {tracer.pass_number} starts", tracemalloc.take_snapshot(),
                                 tracemalloc.get_traced_memory()))
        return build(self, *args, **kwargs)

    def traced_page_begin(self):
        if tracer.pass_number >= 2 and self.page == getattr(tracer, "mid_page", 0):
            tracer.snapshots.append((f"layout pass {tracer.pass_number}, page {self.page}", tracemalloc.take_snapshot(),
                                     tracemalloc.get_traced_memory()))
        if tracer.pass_number == 1:
            tracer.mid_page = max(getattr(tracer, "mid_page", 0), self.page // 2)
        return page_begin(self)

    doctemplate.BaseDocTemplate.build = traced_build
    doctemplate.BaseDocTemplate.handle_pageBegin = traced_page_begin
    tracemalloc.start(1)
    return tracer


def _short(filename: str) -> str:
    return filename.split("site-packages/", 1)[-1].replace(str(REPO_ROOT) + "/", "")


def run_big_pdf(invoice_id, use_tracemalloc: bool = False, echo: bool = False) -> dict:
    """The child is this script with --child-big-pdf; wait4() gives its own rusage (ru_maxrss)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child-big-pdf", str(invoice_id)]
    if use_tracemalloc:
        command.append("--child-tracemalloc")
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    begin = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.stdout.read(), process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - begin
    text = stdout.decode(errors="replace")
    if process.returncode != 0 or "RESULT " not in text:
        raise SystemExit(f"big PDF child failed ({process.returncode}):\n{text[-3000:]}\n{stderr.decode(errors='replace')[-3000:]}")
    report, _, payload = text.rpartition("RESULT ")
    if echo and report.strip():
        print(report.rstrip())
    result = json.loads(payload)
    result.update(wall=wall, ru_maxrss_mib=usage.ru_maxrss / 1024, cpu=usage.ru_utime + usage.ru_stime)
    return result


# --------------------------------------------------------------------------------------------
# The schematron proof: its cost per document and the memory of a process that runs it
# --------------------------------------------------------------------------------------------

SCHEMATRON_LONG_LINES = 300


def _timed(function, *args):
    begin = time.perf_counter()
    result = function(*args)
    return result, (time.perf_counter() - begin) * 1000


def child_schematron(ids_arg: str) -> int:
    """Runs in the child: `ids_arg` is "<long invoice id>,<invoice id>,…". One JSON line of timings (ms)."""
    import django

    django.setup()
    from invoice.renderers import conformance
    from invoice.renderers import facturx as facturx_renderer
    from invoice.renderers import xml as xml_renderer
    from invoice.selectors import document_snapshot

    long_id, *ids = ids_arg.split(",")
    en, fr = conformance.EN16931, conformance.FR_CTC
    result = {"after_setup": memory_status(), "xslt": {name: str(conformance.xslt_path(name)) for name in (en, fr)}}
    first_xml = xml_renderer.render(document_snapshot(ids[0]))
    _, result["engine_ms"] = _timed(conformance.engine)
    for name in (en, fr):  # the first check of each compiles its XSLT
        _, result[f"first_{name}_ms"] = _timed(conformance.check, first_xml, (name,))
    result["after_compile"] = memory_status()

    def measure(snapshots, fmt: str) -> dict:
        times = collections.defaultdict(list)
        rss = []
        for index, snapshot in enumerate(snapshots):
            if fmt == "facturx":
                content, ms = _timed(facturx_renderer.render, snapshot)
                times["render"].append(ms)
                xml, ms = _timed(conformance.embedded_xml, content)
                times["extract"].append(ms)
            else:
                xml, ms = _timed(xml_renderer.render, snapshot)
                times["render"].append(ms)
            for name in (en, fr):
                failures, ms = _timed(conformance.check, xml, (name,))
                times[name].append(ms)
                times[f"{name} fatal"].append(sum(failure.fatal for failure in failures))
            if (index + 1) % max(1, len(snapshots) // 4) == 0:
                rss.append((index + 1, memory_status()["VmRSS"]))
        return {"n": len(snapshots), "times": {k: v for k, v in times.items() if v}, "rss": rss}

    snapshots = [document_snapshot(pk) for pk in ids]
    result["xml"] = measure(snapshots, "xml")
    result["facturx"] = measure(snapshots[:max(1, len(snapshots) // 4)], "facturx")
    long_snapshot = document_snapshot(long_id)
    result["long_lines"] = len(long_snapshot.lines)
    result["long_xml"] = measure([long_snapshot] * 5, "xml")
    result["long_facturx"] = measure([long_snapshot] * 2, "facturx")
    result["end"] = memory_status()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def run_schematron(invoice_ids: list, long_id) -> dict:
    """The child is this script with --child-schematron; wait4() gives its own rusage."""
    ids = ",".join(str(pk) for pk in [long_id, *invoice_ids])
    command = [sys.executable, str(Path(__file__).resolve()), "--child-schematron", ids]
    env = {**os.environ, "LOG_LEVEL": "ERROR"}  # schematron warnings are logged per document
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.stdout.read(), process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    text = stdout.decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0 or "RESULT " not in text:
        raise SystemExit(f"schematron child failed:\n{text[-3000:]}\n{stderr.decode(errors='replace')[-3000:]}")
    result = json.loads(text.rpartition("RESULT ")[2])
    result["ru_maxrss_mib"] = usage.ru_maxrss / 1024
    return result


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def print_schematron(result: dict) -> str:
    en, fr = "EN16931", "FR-CTC"
    print("\nschematron proof (invoice.renderers.conformance, Saxon-HE) in a fresh subprocess:")
    for name, path in result["xslt"].items():
        print(f"      {name}: {path}")
    print(f"      once per process: Saxon processor {result['engine_ms']:.0f} ms; first check (compiles the XSLT) "
          f"{en} {result[f'first_{en}_ms']:.0f} ms, {fr} {result[f'first_{fr}_ms']:.0f} ms; RSS "
          f"{result['after_setup']['VmRSS']:.0f} MiB after django.setup() -> {result['after_compile']['VmRSS']:.0f} MiB "
          "with both compiled")
    summary = []
    for key, label in (("xml", "xml, 5 lines"), ("facturx", "facturx, 5 lines"),
                       ("long_xml", f"xml, {result['long_lines']} lines"),
                       ("long_facturx", f"facturx, {result['long_lines']} lines")):
        part = result[key]
        times = part["times"]
        fatal = sum(times[f"{en} fatal"]) + sum(times[f"{fr} fatal"])
        extract = _mean(times["extract"]) if "extract" in times else 0.0
        per_doc = {name: (_mean(times[name]), percentile(times[name], 95)) for name in (en, fr)}
        total = extract + per_doc[en][0] + per_doc[fr][0]
        print(f"      {label:<18} n={part['n']:>4}: {en} {per_doc[en][0]:7.2f} ms (p95 {per_doc[en][1]:.2f}), "
              f"{fr} {per_doc[fr][0]:7.2f} ms (p95 {per_doc[fr][1]:.2f})"
              + (f", XML extraction {extract:.2f} ms" if extract else "")
              + f" = {total:.2f} ms per document"
              + f" (the render itself {_mean(times['render']):.2f} ms)"
              + f"; fatal failures {fatal}" + ("" if fatal == 0 else " (MUST BE 0)"))
        if part["rss"]:
            print("        RSS after " + ", ".join(f"{n} documents {rss:.0f} MiB" for n, rss in part["rss"]))
        summary.append(f"{label} {total:.1f} ms")
    print(f"      end: RSS {result['end']['VmRSS']:.0f} MiB, peak {max(result['end']['VmHWM'], result['ru_maxrss_mib']):.0f} MiB")
    return "schematron proof per document: " + ", ".join(summary)


def schematron_step(invoice_ids: list, count: int) -> str:
    """Step 6 on `count` of the seeded invoices and a 300-line invoice made through the services."""
    organization, user, operator = _parties()
    begin = time.perf_counter()
    long_invoice = _invoice_through_services(user, organization, operator,
                                             [_line_item(n) for n in range(SCHEMATRON_LONG_LINES)], bulk=True)
    print(f"\nseed: {SCHEMATRON_LONG_LINES}-line invoice {long_invoice.code} through the services in "
          f"{time.perf_counter() - begin:.1f} s")
    return print_schematron(run_schematron(invoice_ids[:count], long_invoice.pk))


def only_schematron(args: argparse.Namespace) -> int:
    """--only-schematron: seed --schematron invoices and run step 6."""
    seeded = seed(max(args.schematron, 1), 0, args.allow_any_database)
    verdict = schematron_step(seeded["invoice_ids"], max(args.schematron, 1))
    print("\n" + verdict + f"\n(load average {load_average():.2f})")
    return 0


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------

def run_and_print_big_pdf(invoice_id, lines: int) -> str:
    """Step 5: the big invoice to PDF in a subprocess, printed; returns its verdict line."""
    print(f"\nbig invoice: {lines:,} lines to PDF in a subprocess ...")
    big = run_big_pdf(invoice_id)
    peak = max(big["after_render"]["VmHWM"], big["ru_maxrss_mib"])
    verdict = "PASS" if peak <= TARGET_BIG_RSS_MIB else "MISS"
    print(f"      {big['lines']:,} lines, {big['pages']} pages, {big['pdf_bytes'] / 1024:.0f} KiB; child wall {big['wall']:.1f} s "
          f"(snapshot {big['snapshot_s']:.2f} s, HTML {big['html_s']:.2f} s / {big['html_bytes'] / 2**20:.1f} MiB, "
          f"render {big['render_s']:.1f} s), CPU {big['cpu']:.1f} s")
    print(f"      peak RSS {peak:.0f} MiB (VmHWM {big['after_render']['VmHWM']:.0f} MiB, wait4 ru_maxrss "
          f"{big['ru_maxrss_mib']:.0f} MiB; after django.setup() {big['after_setup']['VmHWM']:.0f} MiB, after the "
          f"snapshot {big['after_snapshot']['VmHWM']:.0f} MiB)   [target <= {TARGET_BIG_RSS_MIB:.0f} MiB: {verdict}]")
    return f"big PDF ({lines:,} lines): {big['wall']:.0f} s, peak RSS {peak:.0f} MiB {verdict}"


def only_big(args: argparse.Namespace) -> int:
    """--only-big: seed the big invoice alone and run step 5."""
    _reset_tables(args.allow_any_database)
    organization, user, operator = _parties()
    begin = time.perf_counter()
    items = [_line_item(n) for n in range(args.big_lines)]
    big = _invoice_through_services(user, organization, operator, items, bulk=True)
    print(f"seed: big invoice {big.code} with {args.big_lines:,} lines through the services in "
          f"{time.perf_counter() - begin:.1f} s")
    verdict = run_and_print_big_pdf(big.pk, args.big_lines)
    print("\n" + verdict + f"\n(load average {load_average():.2f})")
    return 0


def print_pipeline(run: dict, workers: int, concurrency: int) -> None:
    lat = run["latency"]
    print(f"\n{run['format']}: {run['created']:,} of {run['n']:,} created in {run['wall']:.2f} s -> "
          f"{run['throughput']:.1f} documents/s ({workers} worker(s) x {concurrency}); failed {run['failed']}, "
          f"unfinished {run['unfinished']}, run more than once {run['retried']}; {run['bytes'] / run['created'] / 1024:.1f} KiB/document"
          if run["created"] else f"\n{run['format']}: nothing created")
    print(f"      requests: {run['n']:,} document_request calls in {run['requested_seconds']:.2f} s "
          f"({run['n'] / run['requested_seconds']:.0f}/s, {run['requested_seconds'] * 1000 / run['n']:.2f} ms each, "
          "commit + publish included)")
    if lat:
        print(f"      latency date_generated - date_created: p50 {lat['p50'] * 1000:.0f} ms, p95 {lat['p95'] * 1000:.0f} ms, "
              f"max {lat['max'] * 1000:.0f} ms, min {lat['min'] * 1000:.0f} ms (a burst: mostly time queued behind the others)")
    print_cpu(run["cpu"], run["created"] or 1)


def print_cpu(cpu: dict, n: int) -> None:
    cores = os.cpu_count() or 1
    print(f"      CPU during the run: {cpu['busy']:.2f} s busy of {cpu['wall'] * cores:.2f} s available "
          f"({100 * cpu['busy'] / (cpu['wall'] * cores):.0f} % of {cores} cores); per document:")
    for group, seconds in sorted(cpu["groups"].items(), key=lambda item: -item[1]):
        print(f"        {group:<40} {seconds * 1000 / n:8.2f} ms  ({seconds:.2f} s)")
    warn_if_contended(cpu)


def contended(cpu: dict) -> bool:
    """More than 10 % of the machine went to processes this benchmark did not start."""
    return cpu["groups"]["rest of the machine"] > 0.1 * cpu["wall"] * (os.cpu_count() or 1)


def warn_if_contended(cpu: dict, what: str = "these figures") -> None:
    if contended(cpu):
        rest = cpu["groups"]["rest of the machine"]
        print(f"      !! OTHER PROCESSES COMPETED FOR THE CPUs ({rest:.1f} s, "
              f"{100 * rest / (cpu['wall'] * (os.cpu_count() or 1)):.0f} % of the machine): {what} are pessimistic; "
              "run again when the machine is idle. Top: "
              + "; ".join(f"{command} ({seconds:.1f} s)" for command, seconds in cpu["others"]))


def print_task_body(body: dict, fmt: str) -> None:
    print(f"\n{fmt}: task body (document_generate) in-process, {body['n']} documents: {body['ms']:.2f} ms wall, "
          f"{body['cpu_ms']:.2f} ms CPU of this process, {body['queries']:.1f} SQL statements per document")
    for phase, (ms, queries, sql_ms) in body["phases"].items():
        print(f"        {phase:<36} {ms:7.2f} ms" + (f"   {queries:.1f} SQL, {sql_ms:.2f} ms" if queries else ""))


def ratios(result: dict, nominal: int) -> dict:
    """The definitions printed by print_ratio (and in docs/performance.md)."""
    run, pure, parallel = result["run"], result["pure"], result["parallel"]
    measured = parallel["throughput"] / pure["throughput"]  # effective parallelism, measured
    ratio = parallel["throughput"] / run["throughput"]  # = pure x measured parallelism / pipeline
    return {"ratio": ratio, "measured_parallelism": measured, "verdict": "PASS" if ratio <= TARGET_RATIO else "MISS",
            "nominal": pure["throughput"] * nominal / run["throughput"], "single": pure["throughput"] / run["throughput"]}


def print_ratio(result: dict, nominal: int, processes: int) -> None:
    run, pure, parallel = result["run"], result["pure"], result["parallel"]
    r = ratios(result, nominal)
    worker_cpu = run["cpu"]["groups"].get("celery workers", 0.0) * 1000 / max(run["created"], 1)
    print(f"\n{run['format']}: pure rendering (document_snapshot + render, no broker, no storage, no status rows), "
          f"same invoices:")
    print(f"      1 process:  {pure['n']:,} in {pure['seconds']:.2f} s -> {pure['throughput']:.1f} documents/s; per document "
          f"snapshot {pure['snapshot_ms']:.2f} ms + render {pure['render_ms']:.2f} ms; {pure['process_cpu_ms']:.2f} ms CPU")
    print(f"      {processes} processes at once (as many as the pipeline's worker processes): {parallel['n']:,} in "
          f"{parallel['seconds']:.2f} s -> {parallel['throughput']:.1f} documents/s: effective parallelism E = "
          f"{parallel['throughput']:.1f} / {pure['throughput']:.1f} = {r['measured_parallelism']:.2f}")
    groups = pure["cpu"]["groups"]
    print("      CPU per document during the 1-process rendering: "
          + ", ".join(f"{name} {seconds * 1000 / pure['n']:.2f} ms" for name, seconds in groups.items() if seconds > 0))
    warn_if_contended(pure["cpu"], "the 1-process figures")
    warn_if_contended(parallel["cpu"], f"the {processes}-process figures")
    print(f"      ratio = (pure throughput x E) / pipeline throughput = {parallel['throughput']:.1f} / "
          f"{run['throughput']:.1f} = {r['ratio']:.2f}x   [target <= {TARGET_RATIO}x: {r['verdict']}]")
    print(f"      (with the nominal P = min(workers x concurrency, CPUs) = {nominal} instead of E: {r['nominal']:.2f}x; "
          f"against one process, P = 1: {r['single']:.2f}x)")
    print(f"      CPU per document: a celery worker {worker_cpu:.2f} ms vs pure rendering {pure['process_cpu_ms']:.2f} ms "
          f"({worker_cpu / pure['process_cpu_ms']:.1f}x); whole machine {run['cpu']['busy'] * 1000 / max(run['created'], 1):.2f} ms "
          f"vs {pure['cpu']['busy'] * 1000 / pure['n']:.2f} ms")


def warm_up(fmt: str, invoice_ids: list, context: dict, timeout: float) -> None:
    """A few documents first, so that every worker has imported its renderer, compiled the
    template, loaded the fonts and opened its connections (a long-running worker has)."""
    from invoice.constants import DocumentStatus
    from invoice.models import Invoice, InvoiceDocument
    from invoice.services.documents import document_request

    ids = [document_request(actor=context["user"], organization=context["organization"], invoice=invoice, fmt=fmt).pk
           for invoice in Invoice.objects.filter(pk__in=invoice_ids)]
    deadline = time.monotonic() + timeout
    while InvoiceDocument.objects.filter(pk__in=ids, status=DocumentStatus.PENDING).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"warm-up: {fmt} documents still pending after {timeout:.0f} s")
        time.sleep(0.1)


def main(argv=None) -> int:
    args = parse_args(argv)
    env = configure_environment(args)
    if args.child_big_pdf:
        return child_big_pdf(args.child_big_pdf, args.child_tracemalloc)
    if args.child_schematron:
        return child_schematron(args.child_schematron)
    ensure_database(args.database_url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DEBUG = False  # production behaviour (no query log); DEBUG=1 in the command only spares a SECRET_KEY
    print(f"molink-invoicing document generation benchmark: database {connection.settings_dict['NAME']}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {load_average():.2f}")
    begin = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - begin:.1f} s")
    if args.only_big:
        return only_big(args)
    if args.only_schematron:
        return only_schematron(args)
    processes = args.workers * args.concurrency
    warmup_count = 3 * processes
    reserve = args.latency_samples + warmup_count
    seeded = seed(max(args.documents, args.pdf_documents) + reserve, args.big_lines, args.allow_any_database)
    all_ids = seeded["invoice_ids"]
    bulk_ids = all_ids[:len(all_ids) - reserve]
    latency_ids = all_ids[len(bulk_ids):len(bulk_ids) + args.latency_samples]
    warmup_ids = all_ids[len(bulk_ids) + args.latency_samples:]

    log_dir = Path(tempfile.mkdtemp(prefix="bench-gen-"))
    queue = env["INVOICE_DOCUMENTS_QUEUE"]
    moto = MotoServer(env["s3_port"], log_dir / "moto.log")
    workers = Workers(args.workers, args.concurrency, queue, log_dir, args.pool, args.db_reuse)
    nominal = min(processes, os.cpu_count() or 1)
    formats = [(args.format, args.documents)] + ([("pdf", args.pdf_documents)] if args.pdf_documents else [])
    results: dict = {}
    try:
        begin = time.perf_counter()
        moto.start(env["S3_BUCKET"])
        from invoice.queues import declare_topology

        declare_topology(force=True)
        workers.start()
        print(f"services: moto S3 {moto.endpoint} (pid {moto.process.pid}), bucket {env['S3_BUCKET']}; "
              f"{args.workers} celery worker(s) ({args.pool} x {args.concurrency}"
              f"{f', CELERY_DB_REUSE_MAX={args.db_reuse}' if args.db_reuse is not None else ''}, "
              f"pids {', '.join(map(str, workers.pids))}) on queue {queue}, started in {time.perf_counter() - begin:.1f} s; "
              f"logs in {log_dir}")
        begin = time.perf_counter()
        for fmt, _count in formats:
            warm_up(fmt, warmup_ids, seeded, args.timeout)
        print(f"warm-up: {len(warmup_ids)} documents of {', '.join(f for f, _ in formats)} in {time.perf_counter() - begin:.1f} s")
        groups = {"celery workers": workers.pids, "moto S3 server": [moto.process.pid],
                  "bench process (requests, polling)": [os.getpid()]}

        for fmt, count in formats:
            ids = bulk_ids[:count]
            load_before = load_average()
            run = run_pipeline(fmt, ids, seeded, groups, args.timeout)
            run["load"] = (load_before, load_average())
            print_pipeline(run, args.workers, args.concurrency)
            print("      worker RSS after it (main process, then its pool processes): "
                  + ", ".join(f"pid {pid} {rss:.0f} MiB" for pid, rss in workers.rss()))
            unloaded = run_unloaded_latency(fmt, latency_ids, seeded)
            if unloaded:
                print(f"      unloaded latency, {unloaded['n']} documents one at a time: p50 {unloaded['p50'] * 1000:.1f} ms, "
                      f"p95 {unloaded['p95'] * 1000:.1f} ms, max {unloaded['max'] * 1000:.1f} ms "
                      f"(request -> created seen by the client, polling every 2 ms: p50 {unloaded['client_p50'] * 1000:.1f} ms)")
            pure = run_pure_render(fmt, ids)
            parallel = run_parallel_render(fmt, ids, processes)
            results[fmt] = {"run": run, "pure": pure, "parallel": parallel, "unloaded": unloaded}
            print_ratio(results[fmt], nominal, processes)

        dlq = queue_depth(f"{queue}.dlq")
        depth = queue_depth(queue)
        stored = moto.count(env["S3_BUCKET"])
        print(f"\nbroker: work queue depth {depth}, dead-letter queue depth {dlq}; S3 bucket: {stored[0]:,} objects, "
              f"{stored[1] / 2**20:.1f} MiB")
        problems = workers.log_errors()
        if problems:
            print(f"worker logs: {len(problems)} ERROR/WARNING lines, first ones:")
            for line in problems[:10]:
                print("  " + line)

        for fmt, _count in formats if args.breakdown else []:
            n = args.breakdown if fmt != "pdf" else max(1, args.breakdown // 4)
            body = run_task_body(fmt, results[fmt]["run"]["document_ids"][:n],
                                 profile=args.profile if fmt == args.format else 0)
            print_task_body(body, fmt)
            run = results[fmt]["run"]
            worker_cpu = run["cpu"]["groups"].get("celery workers", 0.0) * 1000 / max(run["created"], 1)
            print(f"        -> CPU per document: {worker_cpu:.2f} ms in a celery worker during the run, {body['cpu_ms']:.2f} ms "
                  f"for the task body alone in this idle process: the difference ({worker_cpu - body['cpu_ms']:.2f} ms) "
                  "is Celery's own work (message, ack, logging, signals, the connection check before each task, or a new "
                  "connection per task with --db-reuse 0) plus the cost of sharing the CPUs")
            if body["profile"]:
                print_profile(*body["profile"], f"document_generate ({fmt})")
    finally:
        workers.stop()
        moto.stop()
        try:
            delete_queues(queue)
        except Exception as exc:  # noqa: BLE001 - report, the run's figures are still good
            print(f"could not delete queues {queue}: {exc}")
        print(f"\ncleanup: {args.workers} worker(s) stopped, moto stopped, queues {queue} and {queue}.dlq deleted")

    verdicts = []
    for fmt, result in results.items():
        r = ratios(result, nominal)
        failures = result["run"]["failed"] + result["run"]["unfinished"]
        busy = any(contended(result[part]["cpu"]) for part in ("pure", "parallel")) or contended(result["run"]["cpu"])
        verdicts.append(f"{fmt}: {result['run']['throughput']:.1f} documents/s, ratio {r['ratio']:.2f}x {r['verdict']}, "
                        f"failures {failures}" + ("" if failures == 0 else " (MUST BE 0)")
                        + (" -- MACHINE BUSY DURING THE RUN, figures pessimistic" if busy else ""))

    if args.schematron:
        verdicts.append(schematron_step(bulk_ids, args.schematron))
    if seeded["big_id"]:
        verdicts.append(run_and_print_big_pdf(seeded["big_id"], args.big_lines))
    if args.big_tracemalloc:
        organization, user, operator = _parties()
        items = [_line_item(n) for n in range(args.big_tracemalloc)]
        traced_invoice = _invoice_through_services(user, organization, operator, items, bulk=True)
        print(f"\nPDF of a {args.big_tracemalloc:,}-line invoice ({traced_invoice.code}) under tracemalloc ...")
        traced = run_big_pdf(traced_invoice.pk, use_tracemalloc=True, echo=True)
        print(f"      under tracemalloc: child wall {traced['wall']:.1f} s, peak RSS {traced['ru_maxrss_mib']:.0f} MiB")

    print("\n" + "\n".join(verdicts) + f"\n(load average {load_average():.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
