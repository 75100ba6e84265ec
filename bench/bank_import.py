"""Bank statement import benchmark: a camt.053 statement of N lines (default 10,000) imported
through payment_module.services.bank_statements, on SQLite or PostgreSQL. Prints lines/s, seconds
(parsing + XSD validation apart) and SQL statements, then the same for the re-import (all
duplicates). Target: 10,000 lines in < 10 s (printed PASS/MISS, never asserted).

    DEBUG=1 .venv/bin/python bench/bank_import.py                        # SQLite, var/bench-bank.sqlite3
    DEBUG=1 .venv/bin/python bench/bank_import.py --database-url postgresql://postgres@127.0.0.1:5432/molink_bench_bank

The statement: N credits, each paying a different issued invoice (the worst case for writes: one
payment, its history, its event and the invoice's status change per line), 1 % of them naming no
invoice, plus N/100 debits. The database is migrated and emptied of invoices and statements first
(PostgreSQL: only a database whose name contains `bench`).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TARGET_SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--database-url", default=f"sqlite:///{REPO / 'var' / 'bench-bank.sqlite3'}")
    args = parser.parse_args()
    url = args.database_url
    if url.startswith("postgres") and "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing a PostgreSQL database whose name lacks 'bench' (the seed empties invoice tables)")
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings", "CELERY_BROKER_URL": "",
                       "STORAGE_BACKEND": "local", "LOG_LEVEL": "WARNING", "DEBUG": os.environ.get("DEBUG", "1")})
    (REPO / "var").mkdir(exist_ok=True)
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
    else:
        _create_postgres_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    run(args.lines)


def _create_postgres_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(count: int):
    from django.db import connection

    from core.ids import uuid7
    from core.models import Membership, Organization, User
    from invoice.models import Invoice
    from invoice.services.invoices import today
    from payment_module.models import BankStatement, BankStatementLine
    from tests.payment_module.bank_helpers import make_invoice
    from tests.payment_module.helpers import make_operator

    if connection.vendor == "postgresql":
        from bench.measure import truncate_invoice_tables

        truncate_invoice_tables(allow_any_database=True, extra_models=(BankStatementLine, BankStatement))
    organization = Organization.objects.filter(code="bench-bank").first() or Organization.objects.create(
        code="bench-bank", name="Bench Bank", invoice_number_prefix="BENCH")
    user = User.objects.filter(username="bench-bank@molink.test").first()
    if user is None:
        user = User.objects.create_user(username="bench-bank@molink.test", password="bench-bank-secret")
        Membership.objects.create(user=user, organization=organization, role=Membership.Role.ADMIN)
    operator = make_operator(user, organization, code=f"pf-bench-{uuid.uuid4().hex[:8]}")
    template = make_invoice(user, organization, operator)
    fields = [f.attname for f in Invoice._meta.concrete_fields]
    year = today().year - 10  # another year's series than the template's
    copies = []
    for n in range(count):
        copy = Invoice(**{name: getattr(template, name) for name in fields})
        copy.id, copy.code, copy.payment_reference = uuid7(), f"BENCH-{year}-{n + 1:06d}", ""
        copies.append(copy)
    Invoice.objects.bulk_create(copies, batch_size=1000)
    return organization, user, year


def statement(count: int, year: int) -> bytes:
    from tests.payment_module.bank_helpers import camt053_document

    entries = [{"ref": f"BENCH-{n:07d}", "amount": "102.00", "debtor": "POMPES FUNEBRES BENCH",
                "text": f"VIR SEPA REGLEMENT FACTURE BENCH-{year}-{n + 1:06d}" if n % 100 else "VIR SEPA DON"}
               for n in range(count)]
    entries += [{"ref": f"BENCH-D{n:06d}", "amount": "3.50", "direction": "DBIT", "text": "FRAIS"}
                for n in range(count // 100)]
    return camt053_document(entries)


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(label: str, organization, user, content: bytes) -> float:
    from django.db import connection

    from payment_module.services.bank_statements import bank_statement_import

    counter = Counter()
    start = time.perf_counter()
    with connection.execute_wrapper(counter):
        report = bank_statement_import(actor=user, organization=organization, content=content, fmt="camt053",
                                       file_name="bench.xml")
    seconds = time.perf_counter() - start
    print(f"{label:<10} {report.lines:>7} lines  {seconds:7.2f} s  {report.lines / seconds:9.0f} lines/s  "
          f"{counter.count:>5} SQL statements  matched {report.matched}, unmatched {report.unmatched}, "
          f"ambiguous {report.ambiguous}, ignored {report.ignored}, duplicate {report.duplicate}")
    return seconds


def run(count: int) -> None:
    from django.db import connection

    from payment_module.services.bank_statements import parse_statement

    organization, user, year = seed(count)
    content = statement(count, year)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; statement {len(content) / 1e6:.1f} MB, "
          f"{count} credits + {count // 100} debits; load average {os.getloadavg()[0]:.2f}")
    start = time.perf_counter()
    parsed = parse_statement(content, "camt053")
    print(f"{'parse+XSD':<10} {len(parsed.lines):>7} lines  {time.perf_counter() - start:7.2f} s")
    seconds = timed("import", organization, user, content)
    timed("re-import", organization, user, content)
    verdict = "PASS" if seconds < TARGET_SECONDS * (len(parsed.lines) / 10_000) else "MISS"
    print(f"target: {len(parsed.lines)} lines in < {TARGET_SECONDS * len(parsed.lines) / 10_000:.1f} s: {verdict} "
          f"(load average after {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
