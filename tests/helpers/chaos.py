"""The chaos drill, shared by bench/chaos.py (full size) and tests/integration/test_chaos.py (CI
size): document requests while workers are SIGKILLed, RabbitMQ is restarted and S3 calls fail.
Afterwards every request must be `created` or `failed` with a reason, none stuck, no duplicate or
orphan object in S3, every checksum right, invoice numbers gap-free."""
from __future__ import annotations

import hashlib
import http.client
import random
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings

from tests.helpers import pipeline

FAULT_BODY = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
              b"<Message>injected fault</Message></Error>")


class FaultProxy(ThreadingHTTPServer):
    """Loopback HTTP proxy in front of the S3 server: with probability `rate` a request is not
    forwarded and gets a 503 SlowDown (or its connection is dropped)."""

    daemon_threads = True

    def __init__(self, upstream_port: int, rate: float, seed: int):
        self.upstream_port, self.rate, self.random = upstream_port, rate, random.Random(seed)
        self.lock = threading.Lock()
        self.forwarded = self.faulted = 0
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def decide(self) -> str:
        with self.lock:
            roll = self.random.random()
            if roll < self.rate:
                self.faulted += 1
                return "drop" if roll < self.rate / 4 else "503"
            self.forwarded += 1
            return "forward"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        decision = self.server.decide()
        if decision == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if decision == "503":
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(FAULT_BODY)))
            self.end_headers()
            self.wfile.write(FAULT_BODY)
            return
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in {"transfer-encoding", "connection", "content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        upstream.close()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle


def rabbitmq_ctl(action: str) -> None:
    subprocess.run(["rabbitmqctl", action], check=True, capture_output=True, timeout=60,
                   env={"HOME": "/var/lib/rabbitmq", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})


def rabbitmq_usable() -> bool:
    try:
        subprocess.run(["rabbitmqctl", "status"], check=True, capture_output=True, timeout=30,
                       env={"HOME": "/var/lib/rabbitmq", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        return True
    except (OSError, subprocess.SubprocessError):
        return False


@dataclass
class Figures:
    requests: int = 0
    kills: int = 0
    rabbit_restarts: int = 0
    s3_faults: int = 0
    s3_forwarded: int = 0
    created: int = 0
    failed: int = 0
    failure_reasons: Counter = field(default_factory=Counter)
    stuck_pending: int = 0
    reaped: int = 0
    duplicate_objects: int = 0
    orphan_objects: int = 0
    checksum_mismatches: int = 0
    numbers_gap_free: bool = False
    wall_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.stuck_pending == 0 and self.duplicate_objects == 0 and self.orphan_objects == 0
                and self.checksum_mismatches == 0 and self.numbers_gap_free
                and self.created + self.failed == self.requests
                and all(reason for reason in self.failure_reasons))

    def report(self) -> str:
        rate = self.requests / self.wall_seconds if self.wall_seconds else 0
        return "\n".join([
            f"requests            {self.requests}",
            f"worker SIGKILLs     {self.kills}",
            f"RabbitMQ restarts   {self.rabbit_restarts}",
            f"S3 faults injected  {self.s3_faults} (forwarded {self.s3_forwarded})",
            f"created             {self.created}",
            f"failed              {self.failed} {dict(self.failure_reasons)}",
            f"stuck pending       {self.stuck_pending}",
            f"reaped (re-queued)  {self.reaped}",
            f"duplicate objects   {self.duplicate_objects}",
            f"orphan objects      {self.orphan_objects}",
            f"checksum mismatches {self.checksum_mismatches}",
            f"numbers gap-free    {'yes' if self.numbers_gap_free else 'NO'}",
            f"wall time           {self.wall_seconds:.1f} s ({rate:.1f} documents/s)",
            f"verdict             {'OK' if self.ok else 'BROKEN'}",
        ])


def run_drill(*, organization, actor, requests: int, kills: int, rabbit_restarts: int, fault_rate: float,
              seed: int, log_dir: Path, formats=("json", "xml"), worker_count: int = 2,
              timeout: float = 600) -> Figures:
    from invoice.constants import DocumentStatus
    from invoice.models import Invoice, InvoiceDocument, InvoiceNumberSequence
    from invoice.services import documents
    from invoice.services.documents import reap_stuck_documents
    from invoice.services.invoices import invoice_create, invoice_validate
    from invoice.services.lines import line_add
    from moto.server import ThreadedMotoServer

    figures = Figures(requests=requests)
    rng = random.Random(seed)
    queue = f"chaos_{uuid.uuid4().hex[:10]}"
    settings.INVOICE_DOCUMENTS_QUEUE = queue
    bucket = f"chaos-{uuid.uuid4().hex[:10]}"
    moto_port = pipeline.free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    s3 = pipeline.s3_client(f"http://127.0.0.1:{moto_port}")
    s3.create_bucket(Bucket=bucket)
    proxy = FaultProxy(moto_port, fault_rate, seed)
    worker_env = {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}", "S3_BUCKET": bucket,
                  "S3_REGION": pipeline.S3_REGION, **pipeline.S3_KEYS, "INVOICE_DOCUMENT_RETRY_BACKOFF": "0.2",
                  "INVOICE_DLQ_IN_WORKER": "1"}
    workers: list[pipeline.Worker] = []
    started = time.monotonic()
    try:
        invoices = []
        for index in range(requests):
            invoice = invoice_create(actor=actor, organization=organization, data={"note": f"chaos {index}"})
            line_add(actor=actor, invoice=invoice, data={"description": "Avis de décès", "quantity": Decimal("1"),
                                                         "unit_price": Decimal("89.00")})
            invoices.append(invoice_validate(actor=actor, invoice=invoice))
        for index in range(worker_count):
            workers.append(pipeline.Worker(queue, worker_env, log_dir / f"chaos-worker-{index}.log").start())

        done = threading.Event()

        def chaos():
            actions = ["kill"] * kills + ["rabbit"] * rabbit_restarts
            rng.shuffle(actions)
            for action in actions:
                time.sleep(rng.uniform(1.0, 3.0))
                if action == "kill":
                    slot = rng.randrange(len(workers))
                    workers[slot].kill()
                    figures.kills += 1
                    workers[slot] = pipeline.Worker(queue, worker_env,
                                                    log_dir / f"chaos-worker-{slot}-{figures.kills}.log").start()
                else:
                    rabbitmq_ctl("stop_app")
                    try:
                        time.sleep(3)
                    finally:
                        rabbitmq_ctl("start_app")
                    figures.rabbit_restarts += 1
            done.set()

        chaos_thread = threading.Thread(target=chaos, daemon=True)
        chaos_thread.start()
        for index, invoice in enumerate(invoices):
            documents.document_request(actor=actor, organization=organization, invoice=invoice,
                                       fmt=formats[index % len(formats)])
            time.sleep(0.01)
        chaos_thread.join(timeout=300)

        rows = InvoiceDocument.objects.filter(organization=organization)
        deadline = time.monotonic() + timeout
        while rows.filter(status=DocumentStatus.PENDING).exists() and time.monotonic() < deadline:
            time.sleep(2)
            figures.reaped += reap_stuck_documents(older_than=20)["requeued"]
        figures.wall_seconds = time.monotonic() - started

        figures.stuck_pending = rows.filter(status=DocumentStatus.PENDING).count()
        created = list(rows.filter(status=DocumentStatus.CREATED))
        figures.created = len(created)
        failed = rows.filter(status=DocumentStatus.FAILED)
        figures.failed = failed.count()
        figures.failure_reasons = Counter(row.error_code for row in failed)
        keys = Counter(obj["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                       for obj in page.get("Contents", []))
        created_keys = {row.storage_key for row in created}
        figures.duplicate_objects = sum(count - 1 for count in keys.values()) + (len(created) - len(created_keys))
        figures.orphan_objects = len(set(keys) - created_keys)
        for row in created:
            content = s3.get_object(Bucket=bucket, Key=row.storage_key)["Body"].read()
            if hashlib.sha256(content).hexdigest() != row.checksum:
                figures.checksum_mismatches += 1
        year_numbers = sorted(int(code.rsplit("-", 1)[1]) for code in
                              Invoice.objects.filter(organization=organization).exclude(code="").values_list("code", flat=True))
        last = InvoiceNumberSequence.objects.filter(organization=organization).values_list("last_number", flat=True)
        figures.numbers_gap_free = year_numbers == list(range(1, len(year_numbers) + 1)) and sum(last) == len(year_numbers)
        figures.s3_faults, figures.s3_forwarded = proxy.faulted, proxy.forwarded
        return figures
    finally:
        for worker in workers:
            worker.stop()
        proxy.stop()
        moto.stop()
        try:
            pipeline.delete_queues(queue)
        except Exception:
            pass
