"""Chaos drill of the document pipeline: invoice document requests while Celery workers are
SIGKILLed, RabbitMQ is stopped and started, and S3 calls fail. Afterwards nothing may be lost,
duplicated or corrupted, and invoice numbers must be gap-free. Prints the figures; exits 1 if an
invariant breaks (docs/reliability.md, "Chaos drill").

    DEBUG=1 .venv/bin/python bench/chaos.py [--requests 500] [--kills 3] [--rabbit-restarts 1]
                                            [--s3-fault-rate 0.2] [--seed 1]

Needs PostgreSQL (the database, default molink_chaos, is created if missing and migrated), RabbitMQ
on this machine (`rabbitmqctl` for the restarts: run as root or as the rabbitmq user) and the
project's virtualenv (moto[server] from the test extras). RabbitMQ is always started again, even
when the drill fails or is interrupted.

What it does:
1. an organisation, a user and N issued invoices through the services (invoice_create, line_add,
   invoice_validate);
2. a moto S3 server behind bench/fault_proxy.py (a seeded share of S3 requests answered
   `503 SlowDown` or dropped), two Celery workers (prefork -c 2 as in production, or --pool solo;
   their own queue and DLQ, DLQ consumed in the worker, retry backoff 0.2 s, AWS_MAX_ATTEMPTS=1 so
   that every fault reaches the task);
3. one document request per invoice (JSON and CII XML mostly, some PDF and Factur-X) through
   invoice.services.documents.document_request, plus a few replays of the same Idempotency-Key,
   while a chaos thread SIGKILLs workers with their pool processes (starting a new one each time)
   and stops RabbitMQ with `rabbitmqctl stop_app` for a few seconds, requests still coming;
4. waits until every row is `created` or `failed`; rows left `pending` with nothing in the queues
   and no progress (their enqueue on commit failed during the broker outage, or the message was
   lost) are re-enqueued by the reaper (reap_stuck_documents with a short older_than), counted;
5. checks: none pending, every failure with a reason and a WARNING event, S3 objects listed vs
   created rows (no duplicate, orphan or missing object), SHA-256 of every object downloaded from
   moto directly (not through the proxy) equal to its row's checksum, invoice numbers 1..N with no
   gap; then deletes its queues and stops everything it started.
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.fault_proxy import FaultProxy

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/molink_chaos"
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//"
# JSON and XML mostly; PDF and Factur-X cost ~65 ms each to render on the 2-core machine (json and
# xml < 1 ms once warm), so a few of them keep the drill's pace while covering every renderer.
FORMAT_WEIGHTS = {"json": 45, "xml": 45, "pdf": 5, "facturx": 5}
REPLAY_SHARE = 0.05  # share of requests sent a second time with the same Idempotency-Key


# --- RabbitMQ --------------------------------------------------------------------------------------

def _rabbitmqctl(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """rabbitmqctl as is, then with HOME=/var/lib/rabbitmq (where the Erlang cookie lives when
    root's own HOME has none)."""
    last = None
    for home in (None, "/var/lib/rabbitmq"):
        env = dict(os.environ) if home is None else {**os.environ, "HOME": home}
        last = subprocess.run(["rabbitmqctl", *args], check=False, capture_output=True, text=True,
                              timeout=timeout, env=env)
        if last.returncode == 0:
            return last
    raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed ({last.returncode}): {(last.stderr or last.stdout).strip()[:500]}")


def rabbitmq_unusable_reason(broker_url: str) -> str | None:
    """None when this process can stop and start the broker of `broker_url`, else why not."""
    host = urlparse(broker_url).hostname or "localhost"
    if host not in {"127.0.0.1", "localhost", "::1"}:
        return f"the broker ({host}) is not on this machine: rabbitmqctl would restart another node"
    if shutil.which("rabbitmqctl") is None:
        return "rabbitmqctl is not installed on this machine"
    try:
        _rabbitmqctl("status", timeout=60)
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        return f"rabbitmqctl status fails here ({exc}); it needs root or the rabbitmq user and the Erlang cookie"
    return None


def _amqp_reachable(broker_url: str) -> bool:
    parsed = urlparse(broker_url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5672), timeout=2):
            return True
    except OSError:
        return False


class RabbitSwitch:
    """stop_app / start_app, with the guarantee that whoever calls close() (the drill's finally)
    leaves RabbitMQ running: `down` is set before stop_app is even tried, under a lock that
    close() takes too, and nothing is stopped once closed."""

    def __init__(self, broker_url: str):
        self.broker_url = broker_url
        self.lock = threading.Lock()
        self.down = False
        self.closed = False

    def stop(self) -> bool:
        with self.lock:
            if self.closed:
                return False
            self.down = True
            _rabbitmqctl("stop_app")
            return True

    def start(self) -> None:
        with self.lock:
            if self.down:
                _rabbitmqctl("start_app")
                self.down = False
        deadline = time.monotonic() + 60
        while not _amqp_reachable(self.broker_url) and time.monotonic() < deadline:
            time.sleep(0.2)

    def close(self) -> None:
        with self.lock:
            self.closed = True
        self.start()


# --- Figures ----------------------------------------------------------------------------------------

@dataclass
class Figures:
    requests: int = 0
    replays: int = 0
    replays_answered_with_original: int = 0
    request_errors: int = 0
    formats: Counter = field(default_factory=Counter)
    kills: int = 0
    kills_mid_task: int = 0
    rabbit_restarts: int = 0
    outage_seconds: float = 0.0
    issued_during_outage: int = 0
    enqueue_failures: int = 0
    s3: dict = field(default_factory=dict)
    rows: int = 0
    created: int = 0
    failed: int = 0
    failure_reasons: Counter = field(default_factory=Counter)
    failure_events: int = 0
    stuck_pending: int = 0
    reaped: int = 0
    reaped_failed: int = 0
    run_more_than_once: int = 0
    max_attempts: int = 0
    objects_listed: int = 0
    distinct_created_keys: int = 0
    duplicate_objects: int = 0
    orphan_objects: int = 0
    missing_objects: int = 0
    checksum_mismatches: int = 0
    invoices: int = 0
    numbers_gap_free: bool = False
    queues_left: dict = field(default_factory=dict)
    setup_seconds: float = 0.0
    wall_seconds: float = 0.0
    expected_kills: int = 0
    expected_restarts: int = 0
    log_dir: str = ""

    @property
    def s3_faults(self) -> int:
        return self.s3.get("503", 0) + self.s3.get("drop", 0)

    @property
    def s3_forwarded(self) -> int:
        return self.s3.get("forwarded", 0)

    @property
    def documents_per_second(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def broken(self) -> list[str]:
        """The invariants that do not hold (empty: the drill passed)."""
        checks = {
            "a request raised instead of answering": self.request_errors == 0,
            "a replayed Idempotency-Key answered another row": self.replays_answered_with_original == self.replays,
            "not one row per request": self.rows == self.requests,
            "documents stuck pending": self.stuck_pending == 0,
            "rows neither created nor failed": self.created + self.failed == self.rows,
            "a failed document without a reason": all(self.failure_reasons) and "" not in self.failure_reasons,
            "a failed document without its WARNING event": self.failure_events == self.failed,
            "duplicate S3 objects": self.duplicate_objects == 0,
            "orphan S3 objects": self.orphan_objects == 0,
            "created documents without their S3 object": self.missing_objects == 0,
            "checksum mismatches": self.checksum_mismatches == 0,
            "invoice numbers not gap-free": self.numbers_gap_free,
            "chaos not performed as asked (kills / RabbitMQ restarts)":
                self.kills == self.expected_kills and self.rabbit_restarts == self.expected_restarts,
        }
        return [name for name, ok in checks.items() if not ok]

    @property
    def ok(self) -> bool:
        return not self.broken

    def report(self) -> str:
        s3 = self.s3
        lines = [
            (f"requests               {self.requests} ({', '.join(f'{k} {v}' for k, v in sorted(self.formats.items()))})"
             f" + {self.replays} Idempotency-Key replays ({self.replays_answered_with_original} answered with the original row)"),
            f"request errors         {self.request_errors}",
            f"worker SIGKILLs        {self.kills} ({self.kills_mid_task} while running a task)",
            (f"RabbitMQ restarts      {self.rabbit_restarts} ({self.outage_seconds:.1f} s down;"
             f" {self.issued_during_outage} requests issued meanwhile, {self.enqueue_failures} enqueue failures)"),
            (f"S3 faults injected     {self.s3_faults} (503 SlowDown {s3.get('503', 0)}, dropped {s3.get('drop', 0)});"
             f" forwarded {self.s3_forwarded}"),
            f"documents created      {self.created}",
            f"documents failed       {self.failed} {dict(self.failure_reasons) or ''}".rstrip()
            + f" ({self.failure_events} WARNING events)",
            f"stuck pending          {self.stuck_pending}",
            f"reaped                 {self.reaped} re-enqueued, {self.reaped_failed} failed by the reaper",
            f"run more than once     {self.run_more_than_once} rows (retries and redeliveries; max {self.max_attempts} runs)",
            (f"S3 objects             {self.objects_listed} listed, {self.distinct_created_keys} distinct created keys:"
             f" {self.duplicate_objects} duplicate, {self.orphan_objects} orphan, {self.missing_objects} missing"),
            f"checksum mismatches    {self.checksum_mismatches}",
            f"invoice numbers        {self.invoices}, gap-free {'yes' if self.numbers_gap_free else 'NO'}",
            f"queues left            {', '.join(f'{k} {v}' for k, v in self.queues_left.items()) or '-'}",
            (f"wall time              {self.wall_seconds:.1f} s from first request to last settled"
             f" ({self.documents_per_second:.1f} documents/s); setup {self.setup_seconds:.1f} s"),
            f"worker logs            {self.log_dir}",
            f"verdict                {'OK' if self.ok else 'BROKEN: ' + '; '.join(self.broken)}",
        ]
        return "\n".join(lines)


class _CountingHandler(logging.Handler):
    """Counts (and keeps in a file) the enqueues that failed on commit while the broker was down
    (invoice.services.documents.enqueue_or_flag)."""

    def __init__(self, path: Path):
        super().__init__(logging.WARNING)
        self.count = 0
        self.file = logging.FileHandler(path)
        self.file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))

    def emit(self, record):
        if "could not enqueue" in record.getMessage():
            self.count += 1
        self.file.emit(record)

    def close(self):
        self.file.close()
        super().close()


_TASK_LINE = re.compile(r"Task invoice\.generate_document\[[^\]]+\] (received|succeeded|retry|raised|rejected)")


def _was_mid_task(log: str) -> bool:
    """Whether a worker held a task it had not finished (received, not yet succeeded, retried,
    raised or rejected) when it was killed."""
    events = Counter(_TASK_LINE.findall(log))
    return events["received"] > sum(events.values()) - events["received"]


def _children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc), recursively."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += [int(child), *_children(int(child))]
    except OSError:
        pass
    return found


def make_worker_class(pipeline, pool: str, concurrency: int):
    """tests.helpers.pipeline.Worker with the pool of choice. `kill()` SIGKILLs the whole worker,
    its pool processes included, as when its container or machine dies."""

    class Worker(pipeline.Worker):
        def start(self):
            if pool == "solo":
                return super().start()
            log = open(self.log_path, "ab")  # noqa: SIM115 - the worker writes it until stopped
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q",
                 f"{self.queue},{pipeline.delivery_queue_of(self.queue)}", f"--pool={pool}",
                 "-c", str(concurrency), "-l", "INFO", "--without-mingle", "--without-gossip",
                 "-n", f"chaos-{uuid.uuid4().hex[:8]}@%h"],
                cwd=pipeline.REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
            try:
                pipeline.wait_for(lambda: b" ready." in self.log_path.read_bytes() or self.process.poll() is not None,
                                  timeout=60, what="the celery worker to be ready")
            except AssertionError:
                self.kill()  # not left running behind the drill
                raise
            assert self.process.poll() is None, self.log()
            return self

        def kill(self):
            if self.process and self.process.poll() is None:
                children = _children(self.process.pid)
                self.process.kill()
                for pid in children:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.process.wait(10)

    return Worker


@dataclass
class _Event:
    kind: str
    at: int  # the number of requests issued when it starts
    started: threading.Event = field(default_factory=threading.Event)
    window: tuple[float, float] | None = None


# --- The drill --------------------------------------------------------------------------------------

def run_drill(*, organization, actor, requests: int = 500, kills: int = 3, rabbit_restarts: int = 1,
              fault_rate: float = 0.2, seed: int = 1, log_dir: Path, worker_count: int = 2,
              pool: str = "prefork", concurrency: int = 2, outage: float = 5.0, quiet: float = 8.0,
              timeout: float = 600.0, formats: dict[str, int] | None = None, progress=None) -> Figures:
    """Run the drill in the current Django process (settings configured, database migrated) against
    the RabbitMQ of settings.CELERY_BROKER_URL; returns the figures (see Figures.broken)."""
    from django.conf import settings
    from django.db.models import Max
    from django.test.utils import override_settings
    from django.utils import timezone
    from moto.server import ThreadedMotoServer

    from invoice import queues
    from invoice.constants import DocumentStatus, EventType
    from invoice.models import (
        Invoice,
        InvoiceDocument,
        InvoiceEvent,
        InvoiceNumberSequence,
    )
    from invoice.services.documents import document_request, reap_stuck_documents
    from invoice.services.invoices import invoice_create, invoice_validate
    from invoice.services.lines import line_add
    from tests.helpers import pipeline
    from tests.invoice.helpers import buyer_data

    say = progress or (lambda message: None)
    worker_class = make_worker_class(pipeline, pool, concurrency)
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    weights = formats or FORMAT_WEIGHTS
    figures = Figures(requests=requests, expected_kills=kills, expected_restarts=rabbit_restarts, log_dir=str(log_dir))
    run = uuid.uuid4().hex[:10]
    queue, bucket = f"chaos_{run}", f"chaos-{run}"

    enqueue_log = logging.getLogger("molink.documents")
    counting = _CountingHandler(log_dir / "enqueue-failures.log")
    saved_propagate = enqueue_log.propagate
    werkzeug = logging.getLogger("werkzeug")
    saved_werkzeug = werkzeug.level
    werkzeug.setLevel(logging.WARNING)  # moto's request log

    moto = proxy = chaos_thread = None
    workers: list = []
    rabbit = RabbitSwitch(settings.CELERY_BROKER_URL)
    abort = threading.Event()
    overrides = override_settings(INVOICE_DOCUMENTS_QUEUE=queue)
    overrides.enable()
    started = time.monotonic()
    try:
        # 1. invoices, through the services
        say(f"issuing {requests} invoices")
        invoices = []
        for index in range(requests):
            invoice = invoice_create(actor=actor, organization=organization, data={
                "note": f"chaos drill {run} #{index}", **buyer_data(organization)})
            line_add(actor=actor, invoice=invoice, data={"description": "Avis de décès — Léa Çelik",
                                                         "quantity": Decimal(1), "unit_price": Decimal("89.00")})
            invoices.append(invoice_validate(actor=actor, invoice=invoice))

        # 2. S3 behind the fault proxy, workers
        moto_port = pipeline.free_port()
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        moto.start()
        s3 = pipeline.s3_client(f"http://127.0.0.1:{moto_port}")  # direct: never faulted
        s3.create_bucket(Bucket=bucket)
        proxy = FaultProxy(moto_port, fault_rate, seed)
        worker_env = {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": proxy.endpoint, "S3_BUCKET": bucket,
                      "S3_REGION": pipeline.S3_REGION, **pipeline.S3_KEYS, "AWS_MAX_ATTEMPTS": "1",
                      "AWS_RETRY_MODE": "standard", "INVOICE_DOCUMENT_RETRY_BACKOFF": "0.2",
                      "INVOICE_DLQ_IN_WORKER": "1"}
        say(f"starting {worker_count} workers ({pool} pool{'' if pool == 'solo' else f' -c {concurrency}'})"
            f" on queue {queue}")
        starts = 0

        def new_worker():
            nonlocal starts
            starts += 1
            return worker_class(queue, worker_env, log_dir / f"worker-{starts}.log").start()

        for _ in range(worker_count):
            workers.append(new_worker())
        figures.setup_seconds = time.monotonic() - started

        # 3. requests under chaos
        kinds = ["kill"] * kills + ["rabbit"] * rabbit_restarts
        rng.shuffle(kinds)
        events = [_Event(kind, max(1, requests * (index + 1) // (len(kinds) + 1))) for index, kind in enumerate(kinds)]
        issued = 0

        def chaos():
            try:
                for event in events:
                    while issued < event.at and not abort.is_set():
                        time.sleep(0.01)
                    if abort.is_set():
                        return
                    if event.kind == "kill":
                        slot = rng.randrange(len(workers))
                        workers[slot].kill()
                        figures.kills += 1
                        figures.kills_mid_task += _was_mid_task(workers[slot].log())
                        event.started.set()
                        say(f"SIGKILL worker {slot} after {issued} requests")
                        workers[slot] = new_worker()
                    else:
                        if not rabbit.stop():
                            return
                        down_at = time.monotonic()
                        event.started.set()
                        say(f"RabbitMQ stopped after {issued} requests")
                        abort.wait(outage)
                        up_at = time.monotonic()
                        rabbit.start()
                        event.window = (down_at, up_at)
                        figures.rabbit_restarts += 1
                        figures.outage_seconds += up_at - down_at
                        say(f"RabbitMQ started again after {up_at - down_at:.1f} s")
            finally:
                for event in events:
                    event.started.set()  # never leave the producer waiting

        enqueue_log.addHandler(counting)
        enqueue_log.propagate = False  # expected during the outage: counted and kept in a file
        chaos_thread = threading.Thread(target=chaos, name="chaos", daemon=True)
        chaos_thread.start()
        say(f"requesting {requests} documents")
        requested: list[tuple[str, object]] = []  # (idempotency key, row)
        issue_times: list[float] = []
        first_request = time.monotonic()
        for index, invoice in enumerate(invoices):
            for event in events:
                if event.at == index:
                    event.started.wait(300)  # the event happens mid-stream, with requests after it
            fmt = rng.choices(list(weights), weights=list(weights.values()))[0]
            key = f"chaos-{run}-{index}"
            issue_times.append(time.monotonic())
            try:
                row = document_request(actor=actor, organization=organization, invoice=invoice, fmt=fmt,
                                       idempotency_key=key)
                requested.append((key, row))
                figures.formats[fmt] += 1
            except Exception:
                logging.getLogger("chaos").exception("document request %s raised", key)
                figures.request_errors += 1
            issued = index + 1
            if requested and rng.random() < REPLAY_SHARE:
                replay_key, original = rng.choice(requested)
                figures.replays += 1
                try:
                    again = document_request(actor=actor, organization=organization, invoice=original.invoice,
                                             fmt=original.format, idempotency_key=replay_key)
                    figures.replays_answered_with_original += again.pk == original.pk
                except Exception:
                    logging.getLogger("chaos").exception("replay of %s raised", replay_key)
                    figures.request_errors += 1
        chaos_thread.join(timeout=300)
        for event in events:
            if event.window:
                figures.issued_during_outage += sum(event.window[0] <= t <= event.window[1] for t in issue_times)

        # 4. settle: wait for every row; reap the ones nothing will move any more
        say("waiting for every document to be created or failed")
        rows = InvoiceDocument.objects.filter(organization=organization)
        pending = rows.filter(status=DocumentStatus.PENDING)
        deadline = time.monotonic() + timeout
        while pending.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
            if queues.queue_depth(queue) or queues.queue_depth(f"{queue}.dlq"):
                continue
            latest = pending.aggregate(latest=Max("date_updated"))["latest"]
            if latest is not None and (timezone.now() - latest).total_seconds() > quiet:
                counts = reap_stuck_documents(older_than=int(quiet), unsent_after=int(quiet))
                figures.reaped += counts["requeued"]
                figures.reaped_failed += counts["failed"]
                say(f"reaper: {counts}")
        figures.wall_seconds = time.monotonic() - first_request

        # 5. figures
        figures.enqueue_failures = counting.count
        figures.s3 = proxy.counts()
        figures.rows = rows.count()
        figures.stuck_pending = pending.count()
        created = list(rows.filter(status=DocumentStatus.CREATED))
        failed = list(rows.filter(status=DocumentStatus.FAILED))
        figures.created, figures.failed = len(created), len(failed)
        figures.failure_reasons = Counter(row.error_code for row in failed)
        figures.failure_events = InvoiceEvent.objects.filter(
            invoice__organization=organization, event_type=EventType.WARNING,
            message__contains="document could not be generated").count()
        attempts = list(rows.values_list("attempts", flat=True))
        figures.run_more_than_once = sum(a > 1 for a in attempts)
        figures.max_attempts = max(attempts, default=0)
        listed = {obj["Key"]: obj["Size"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                  for obj in page.get("Contents", [])}
        created_keys = Counter(row.storage_key for row in created)
        figures.objects_listed = len(listed)
        figures.distinct_created_keys = len(created_keys)
        figures.duplicate_objects = sum(count - 1 for count in created_keys.values())
        figures.orphan_objects = len(set(listed) - set(created_keys))
        figures.missing_objects = len(set(created_keys) - set(listed))
        for row in created:
            if row.storage_key not in listed:
                continue
            stored = s3.get_object(Bucket=bucket, Key=row.storage_key)
            content = stored["Body"].read()
            if (hashlib.sha256(content).hexdigest() != row.checksum or stored["Metadata"].get("sha256") != row.checksum
                    or len(content) != row.size):
                figures.checksum_mismatches += 1
        codes = list(Invoice.objects.filter(organization=organization).exclude(code="").values_list("code", flat=True))
        numbers_by_year: dict[str, list[int]] = {}
        for code in codes:
            _prefix, year, number = code.rsplit("-", 2)
            numbers_by_year.setdefault(year, []).append(int(number))
        sequences = dict(InvoiceNumberSequence.objects.filter(organization=organization).values_list("year", "last_number"))
        figures.invoices = len(codes)
        figures.numbers_gap_free = bool(codes) and all(
            sorted(numbers) == list(range(1, len(numbers) + 1)) and sequences.get(int(year)) == len(numbers)
            for year, numbers in numbers_by_year.items())
        figures.queues_left = {name: queues.queue_depth(name) for name in (queue, f"{queue}.dlq")}
        return figures
    finally:
        abort.set()
        if chaos_thread is not None:
            chaos_thread.join(timeout=120)
        rabbit.close()  # RabbitMQ is left running, whatever happened
        enqueue_log.removeHandler(counting)
        enqueue_log.propagate = saved_propagate
        counting.close()
        werkzeug.setLevel(saved_werkzeug)
        for worker in workers:
            worker.stop()
        if proxy is not None:
            proxy.stop()
        if moto is not None:
            moto.stop()
        try:
            queues.delete_topology(queue)
        except Exception as exc:  # noqa: BLE001 - cleanup must not hide the drill's own outcome
            logging.getLogger("chaos").warning("could not delete the queues of %s: %s", queue, exc)
        overrides.disable()


# --- Command line -----------------------------------------------------------------------------------

def _create_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _abandon_earlier_drills(organization_prefix: str) -> int:
    """Rows left pending by an interrupted earlier drill in this database would be re-enqueued by
    this run's reaper onto this run's queue: fail them first. Refuses a database with pending
    documents of other organisations (not a dedicated drill database)."""
    from invoice.constants import DocumentStatus
    from invoice.models import InvoiceDocument
    from invoice.services.documents import document_fail

    pending = InvoiceDocument.objects.filter(status=DocumentStatus.PENDING)
    foreign = pending.exclude(organization__code__startswith=organization_prefix).count()
    if foreign:
        raise SystemExit(f"chaos: the database has {foreign} pending documents outside the drill's organisations; "
                         "use a dedicated database (--database)")
    stale = list(pending.values_list("pk", flat=True))
    for pk in stale:
        document_fail(pk, code="DRILL_ABANDONED", message="left pending by an interrupted chaos drill", source="chaos")
    return len(stale)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500, help="document requests (one issued invoice each)")
    parser.add_argument("--kills", type=int, default=3, help="worker SIGKILLs (each worker is started again)")
    parser.add_argument("--rabbit-restarts", type=int, default=1, help="RabbitMQ stop_app/start_app")
    parser.add_argument("--s3-fault-rate", type=float, default=0.2, help="share of S3 requests faulted")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--pool", choices=("prefork", "solo"), default="prefork",
                        help="worker pool (prefork as in production, or solo: one process per worker)")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per prefork worker")
    parser.add_argument("--outage", type=float, default=5.0, help="seconds RabbitMQ stays stopped")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for every document")
    parser.add_argument("--database", default=os.environ.get("CHAOS_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--broker", default=os.environ.get("CELERY_BROKER_URL") or DEFAULT_BROKER)
    args = parser.parse_args()

    os.environ.setdefault("DEBUG", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = args.database
    os.environ["CELERY_BROKER_URL"] = args.broker
    os.environ["STORAGE_BACKEND"] = "local"  # this process only requests; the workers store to S3
    if args.rabbit_restarts:
        reason = rabbitmq_unusable_reason(args.broker)
        if reason:
            raise SystemExit(f"chaos: cannot restart RabbitMQ: {reason} (or pass --rabbit-restarts 0)")
    _create_database(args.database)

    import django

    django.setup()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests.helpers.fixtures import make_organization, make_user

    abandoned = _abandon_earlier_drills("chaos-")
    if abandoned:
        print(f"chaos: {abandoned} documents left pending by an earlier interrupted drill marked failed")
    suffix = uuid.uuid4().hex[:6]
    organization = make_organization(f"chaos-{suffix}", f"Chaos drill {suffix}")
    actor = make_user(organization, username=f"chaos-{suffix}@molink.test")
    log_dir = Path(tempfile.mkdtemp(prefix="molink-chaos-"))
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)

    figures = run_drill(organization=organization, actor=actor, requests=args.requests, kills=args.kills,
                        rabbit_restarts=args.rabbit_restarts, fault_rate=args.s3_fault_rate, seed=args.seed,
                        log_dir=log_dir, worker_count=args.workers, pool=args.pool, concurrency=args.concurrency,
                        outage=args.outage, timeout=args.timeout,
                        progress=progress)
    print()
    print(figures.report())
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
