"""Bounded load test on loopback: N concurrent users for S seconds on the card list page, the card
page, payment creation and document requests, against the production server (gunicorn, as
docker/Dockerfile runs it, `--workers` processes × `--threads`) or Django's threaded WSGI server in
one process (`--server wsgiref`), with PostgreSQL and tasks in-process. Prints per-operation
p50/p95 and the error count (target: 0).

    DEBUG=1 .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--invoices 300]
                                           [--server gunicorn|wsgiref] [--workers 2] [--threads 4]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.measure import percentile  # noqa: E402 - after the path set-up

DATABASE = "postgresql://postgres@127.0.0.1:5432/molink_load"
SERVER_ENV = {"DEBUG": "0", "SECRET_KEY": "load-test-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1",
              "SECURE_SSL_REDIRECT": "0", "DATABASE_URL": DATABASE, "CELERY_BROKER_URL": "",
              "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING", "DATABASE_CONN_MAX_AGE": "0"}

LIST = ('{ invoice(first: 50, orderBy: ["-dateCreated"]) { totalCount edges { node { id code status amountTotal '
        'thirdparty lineItems { code amountNet } } } } }')
CARD = ('{ invoice(id: "%s") { edges { node { id code status amountNet amountTotal taxAnalysis lineItems { code '
        'quantity unitPrice amountNet } payments { amountPayed status } events { message userName } } } } }')
PAY = ('mutation { createInvoicePayment(input: {invoiceId: "%s", amountPayed: "0.01", codeExt: "LOAD"}) '
       '{ errors { code } } }')
DOC = 'mutation { generateInvoiceDocument(input: {invoiceId: "%s", format: "json"}) { errors { code } } }'


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 256


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve(port: int) -> None:
    import django

    django.setup()
    from config.wsgi import application

    make_server("127.0.0.1", port, application, server_class=ThreadingServer, handler_class=QuietHandler).serve_forever()


def seed(count: int) -> tuple[str, list[str]]:
    os.environ.update({k: v for k, v in SERVER_ENV.items() if k != "DEBUG"})
    os.environ["DEBUG"] = "1"
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'molink_load'").fetchone():
            conn.execute('CREATE DATABASE "molink_load"')
    import django

    django.setup()
    from django.core.management import call_command
    from graphql_jwt.shortcuts import get_token

    call_command("migrate", verbosity=0)
    from core.models import Organization, User
    from invoice.models import Invoice
    from invoice.services.invoices import invoice_create, invoice_validate
    from invoice.services.lines import line_add
    from tests.helpers.fixtures import make_organization, make_user
    from tests.invoice.helpers import buyer_data

    organization = Organization.objects.filter(code="load").first() or make_organization("load", "Load test")
    user = User.objects.filter(memberships__organization=organization).first() or make_user(organization)
    existing = Invoice.objects.filter(organization=organization).count()
    for index in range(existing, count):
        invoice = invoice_create(actor=user, organization=organization, data={"note": f"load {index}",
                                                                              **buyer_data(organization)})
        for line in range(3):
            line_add(actor=user, invoice=invoice, data={"description": f"ligne {line}", "quantity": "2",
                                                        "unit_price": "1000.00"})
        invoice_validate(actor=user, invoice=invoice)
    ids = [str(pk) for pk in Invoice.objects.filter(organization=organization).values_list("pk", flat=True)]
    token = get_token(user)
    return token, ids


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--server", choices=("gunicorn", "wsgiref"), default="gunicorn")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn processes (default: CPUs)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per process (default 4)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    token, ids = seed(args.invoices)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    if args.server == "gunicorn":
        command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                   "--workers", str(args.workers), "--threads", str(args.threads), "--backlog", "256"]
    else:
        command = [sys.executable, __file__, "--serve", str(port)]
    server = subprocess.Popen(command, cwd=REPO, env={**os.environ, **SERVER_ENV})
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except Exception:
                time.sleep(0.2)
        latencies, errors, lock = defaultdict(list), defaultdict(int), threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def user(seed: int):
            rng = random.Random(seed)
            while time.monotonic() < stop_at:
                name, query = rng.choices(
                    [("list", LIST), ("card", CARD % rng.choice(ids)), ("payment", PAY % rng.choice(ids)),
                     ("document", DOC % rng.choice(ids))], weights=[4, 4, 1, 1])[0]
                request = urllib.request.Request(url, json.dumps({"query": query}).encode(),
                                                 {"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {token}"})
                started = time.monotonic()
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        body = json.loads(response.read())
                    failed = bool(body.get("errors")) or any(
                        isinstance(p, dict) and any(e.get("code") == "INTERNAL_ERROR" for e in p.get("errors") or [])
                        for p in (body.get("data") or {}).values())
                except Exception:
                    failed = True
                with lock:
                    latencies[name].append(time.monotonic() - started)
                    if failed:
                        errors[name] += 1

        threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(10)
    total = sum(len(v) for v in latencies.values())
    server_text = (f"gunicorn {args.workers} workers x {args.threads} threads" if args.server == "gunicorn"
                   else "wsgiref, 1 process")
    print(f"users {args.users}, {args.seconds} s, {server_text}: {total} requests ({total / args.seconds:.1f}/s), "
          f"errors {sum(errors.values())}")
    for name in ("list", "card", "payment", "document"):
        values = latencies[name]
        print(f"  {name:9s} n={len(values):5d}  p50 {percentile(values, 50) * 1000:7.1f} ms  "
              f"p95 {percentile(values, 95) * 1000:7.1f} ms  errors {errors[name]}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
