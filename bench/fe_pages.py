"""The openIMIS front end's own pages, ours against an openIMIS backend (the peer), side by side.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/molink_bench .venv/bin/python bench/fe_pages.py \\
        [--invoices 100000] [--rounds 10] [--per-round 20] \\
        [--peer-url http://127.0.0.1:8100/api/graphql --peer-token <JWT> --peer-invoice <uuid>]

The documents are those fe-invoice 1.10.0 sends (tests/helpers/fe_documents.py): the list page
(`invoice(isDeleted: false, first: 10, orderBy: ["code"])`, 32 fields) and the card page, four
requests in a row (`invoice(id:)`, `invoiceLineItem(invoice_Id:)`, `paymentInvoice(subjectIds:)`,
`invoiceEvent(invoice_Id:)`), timed as the sum of the four, as a user waits for them.

What it does, in one run:

1. Seeds the database as bench/graphql_list.py does (same seed, reused when it is there).
2. Counts the SQL queries of each request in-process (Django's test client, every query
   captured), and times the same reads in raw SQL (psycopg).
3. Serves `config.wsgi:application` with gunicorn, 2 sync workers, DEBUG off, and — with
   `--peer-url` — sends the same documents to the peer in **alternating rounds**: each round runs
   `--per-round` list pages and card pages against one server then the other, the first server
   alternating from round to round, so that the machine's load falls on both alike.

Figures go to docs/performance.md. Nothing is asserted; the query counts are asserted in
tests/invoice/gql/query_counts/test_fe_card.py. The peer is not part of this repository (see
bench/README.md, "The openIMIS peer").
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.graphql_list import (
    configure_environment,
    ensure_database,
    psycopg_conninfo,
    seed,
)
from bench.measure import percentile
from tests.helpers.fe_documents import invoice_card, invoice_list

RAW_COUNT_SQL = "SELECT count(*) FROM invoice_invoice WHERE organization_id = %(org)s AND NOT is_deleted"
RAW_SQL = {
    "list": [  # the same reads as ours: the maintained count (invoice.models.InvoiceLiveCount), then the page
        ("SELECT live FROM invoice_invoicelivecount WHERE organization_id = %(org)s", "one"),
        ("""SELECT i.*, o.code, o.name FROM invoice_invoice i LEFT JOIN core_organization o ON o.id = i.thirdparty_id
             WHERE i.organization_id = %(org)s AND NOT i.is_deleted ORDER BY i.code, i.id LIMIT 11""", "all"),
    ],
    "card": [
        ("""SELECT i.*, o.code, o.name FROM invoice_invoice i LEFT JOIN core_organization o ON o.id = i.thirdparty_id
             WHERE i.organization_id = %(org)s AND i.id = %(id)s AND NOT i.is_deleted""", "one"),
        ("""SELECT * FROM invoice_invoicelineitem WHERE invoice_id = %(id)s AND NOT is_deleted
             ORDER BY code, id LIMIT 11""", "all"),
        ("""SELECT * FROM invoice_invoicepayment WHERE invoice_id = %(id)s AND NOT is_deleted
             ORDER BY code_ext, id LIMIT 11""", "all"),
        ("""SELECT * FROM invoice_invoiceevent WHERE invoice_id = %(id)s AND NOT is_deleted
             ORDER BY event_type, id LIMIT 11""", "all"),
    ],
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000, help="invoices to seed (both organisations)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds (default 10)")
    parser.add_argument("--per-round", type=int, default=20, help="pages of each kind per server per round")
    parser.add_argument("--warmup", type=int, default=20, help="untimed pages of each kind per server first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for our server (default 2)")
    parser.add_argument("--peer-url", help="the peer's GraphQL endpoint, e.g. http://127.0.0.1:8100/api/graphql")
    parser.add_argument("--peer-token", help="a JWT of the peer, sent as the front end sends it (JWT cookie)")
    parser.add_argument("--peer-invoice", help="the uuid of a peer invoice with 5 lines, 1 payment, 2 events")
    parser.add_argument("--reseed", action="store_true", help="drop the bench data and seed again")
    parser.add_argument("--allow-any-database", action="store_true")
    args = parser.parse_args(argv)
    if args.peer_url and not (args.peer_token and args.peer_invoice):
        parser.error("--peer-url needs --peer-token and --peer-invoice")
    args.quick = False
    return args


class Target:
    """One server, spoken to like the front end does: POSTs of JSON over one keep-alive
    connection, the JWT in the `JWT` cookie."""

    def __init__(self, name: str, url: str, token: str, invoice_id: str):
        parts = urlsplit(url)
        self.name, self.path, self.invoice_id = name, parts.path, invoice_id
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.headers = {"Content-Type": "application/json", "Accept": "application/json",
                        "Cookie": f"JWT={token}", "Connection": "keep-alive"}
        self.list_document = invoice_list()
        self.card_documents = [document for _, document in invoice_card(invoice_id)]
        self.list_times: list[float] = []
        self.card_times: list[float] = []

    def post(self, document: str) -> dict:
        self.connection.request("POST", self.path, body=json.dumps({"query": document}), headers=self.headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"{self.name}: HTTP {response.status}: {payload[:300]!r}")
        body = json.loads(payload)
        if body.get("errors"):
            raise SystemExit(f"{self.name}: errors {body['errors']}")
        return body["data"]

    def list_page(self) -> float:
        begin = time.perf_counter()
        self.post(self.list_document)
        return time.perf_counter() - begin

    def card_page(self) -> float:
        begin = time.perf_counter()
        for document in self.card_documents:
            self.post(document)
        return time.perf_counter() - begin

    def check(self) -> None:
        """The pages show what they should: 10 rows on the list, the invoice and its tabs."""
        listed = self.post(self.list_document)["invoice"]
        card = [self.post(document) for document in self.card_documents]
        rows = [len(next(iter(answer.values()))["edges"]) for answer in card]
        print(f"  {self.name}: list {listed['totalCount']:,} invoices, {len(listed['edges'])} rows; "
              f"card rows (invoice, lines, payments, events) {rows}")
        if len(listed["edges"]) != 10 or rows[0] != 1:
            raise SystemExit(f"{self.name}: unexpected pages")


def sql_counts(user, invoice_id: str) -> dict:
    """SQL queries per request, authentication included, in-process (test client, no HTTP)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from graphql_jwt.shortcuts import get_token

    client = Client(HTTP_AUTHORIZATION=f"Bearer {get_token(user)}")
    counts = {}
    for name, document in [("list", invoice_list()), *invoice_card(invoice_id)]:
        client.post("/graphql", {"query": document}, content_type="application/json")  # warm caches
        with CaptureQueriesContext(connection) as captured:
            client.post("/graphql", {"query": document}, content_type="application/json")
        counts[name] = len(captured)
    return counts


def raw_times(organization_id, invoice_id, requests: int) -> dict:
    import psycopg

    params = {"org": organization_id, "id": invoice_id}
    result = {}
    with psycopg.connect(**psycopg_conninfo(), autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        for page, statements in RAW_SQL.items():
            seconds = []
            for index in range(requests + 20):
                begin = time.perf_counter()
                with conn.cursor() as cur:
                    for statement, _ in statements:
                        cur.execute(statement, params).fetchall()
                if index >= 20:
                    seconds.append(time.perf_counter() - begin)
            result[page] = seconds
        seconds = []
        for index in range(min(requests, 50) + 5):
            begin = time.perf_counter()
            with conn.cursor() as cur:
                cur.execute(RAW_COUNT_SQL, params).fetchall()
            if index >= 5:
                seconds.append(time.perf_counter() - begin)
        result["count"] = seconds
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "DEBUG": "0",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=REPO_ROOT, env=env, start_new_session=True)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            if process.poll() is not None:
                raise SystemExit("gunicorn exited at start-up") from None
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def figures(seconds: list[float]) -> tuple[float, float]:
    ms = [s * 1000 for s in seconds]
    return percentile(ms, 50), percentile(ms, 95)


def main(argv=None) -> int:
    args = parse_args(argv)
    # One key for the tokens made here and the gunicorn server (which runs with DEBUG off).
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    os.environ.setdefault("DEBUG", "1")  # in this process: the test client's host, no HTTPS redirect
    configure_environment(args)
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from graphql_jwt.shortcuts import get_token

    from core.models import Organization, User
    from invoice.constants import InvoiceStatus
    from invoice.models import Invoice

    call_command("migrate", interactive=False, verbosity=0)
    seed(args.invoices, force=args.reseed, allow_any_database=args.allow_any_database)
    organization = Organization.objects.get(code="bench-a")
    user = User.objects.get(username="bench-a@molink.test")
    total = Invoice.objects.filter(organization=organization, is_deleted=False).count()
    invoice_id = str(Invoice.objects.filter(organization=organization, status=InvoiceStatus.PAID, is_deleted=False)
                     .order_by("-date_created").values_list("pk", flat=True)[50])
    print(f"fe_pages: {total:,} invoices in the caller's organisation ({args.invoices:,} seeded), card {invoice_id}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")

    counts = sql_counts(user, invoice_id)
    print("SQL per request (ours): " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    raw = raw_times(organization.pk, invoice_id, args.rounds * args.per_round)

    process, port = start_gunicorn(args.workers)
    try:
        targets = [Target("ours", f"http://127.0.0.1:{port}/api/graphql", get_token(user), invoice_id)]
        if args.peer_url:
            targets.append(Target("openIMIS", args.peer_url, args.peer_token, args.peer_invoice))
        for target in targets:
            target.check()
            for _ in range(args.warmup):
                target.list_page()
                target.card_page()
        for round_ in range(args.rounds):
            for target in targets if round_ % 2 == 0 else targets[::-1]:
                for _ in range(args.per_round):
                    target.list_times.append(target.list_page())
                    target.card_times.append(target.card_page())
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

    print(f"\nload average after {os.getloadavg()[0]:.2f}; {args.rounds} rounds × {args.per_round} pages per server; "
          "milliseconds, client-side (card = the 4 requests in a row)")
    print(f"{'':<10} {'list p50':>9} {'list p95':>9} {'card p50':>9} {'card p95':>9}")
    rows = {target.name: (*figures(target.list_times), *figures(target.card_times)) for target in targets}
    rows["raw SQL"] = (*figures(raw["list"]), *figures(raw["card"]))
    for name, values in rows.items():
        print(f"{name:<10} " + " ".join(f"{value:9.2f}" for value in values))
    if "openIMIS" in rows:
        ours, peer = rows["ours"], rows["openIMIS"]
        print(f"{'peer/ours':<10} " + " ".join(f"{p / o:8.2f}x" for p, o in zip(peer, ours)))
    print(f"(a COUNT(*) of the caller's live invoices, which the counter spares: p50 {figures(raw['count'])[0]:.2f} ms)")
    ours, base = rows["ours"], rows["raw SQL"]
    print(f"{'ours/raw':<10} " + " ".join(f"{o / b:8.2f}x" for o, b in zip(ours, base)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
