"""Chaos drill, full size: document requests while workers are SIGKILLed, RabbitMQ restarts and S3
calls fail (tests/helpers/chaos.py). Prints the figures; exits 1 if an invariant breaks.

    DEBUG=1 .venv/bin/python bench/chaos.py [--requests 500] [--kills 3] [--rabbit-restarts 1]
                                            [--s3-fault-rate 0.2] [--seed 1]
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--rabbit-restarts", type=int, default=1)
    parser.add_argument("--s3-fault-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/molink_chaos")
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    args = parser.parse_args()

    os.environ.setdefault("DEBUG", "1")
    os.environ["DATABASE_URL"] = args.database
    os.environ["CELERY_BROKER_URL"] = args.broker
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    _create_database(args.database)

    import django

    django.setup()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests.helpers.chaos import run_drill
    from tests.helpers.fixtures import make_organization, make_user

    import uuid

    suffix = uuid.uuid4().hex[:6]
    organization = make_organization(f"chaos-{suffix}", f"Chaos {suffix}")
    actor = make_user(organization)
    figures = run_drill(organization=organization, actor=actor, requests=args.requests, kills=args.kills,
                        rabbit_restarts=args.rabbit_restarts, fault_rate=args.s3_fault_rate, seed=args.seed,
                        log_dir=Path(tempfile.mkdtemp(prefix="chaos-")), timeout=900)
    print(figures.report())
    return 0 if figures.ok else 1


def _create_database(url: str) -> None:
    import psycopg
    from urllib.parse import urlparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.replace(f"/{name}", "/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main())
