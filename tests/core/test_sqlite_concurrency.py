"""The embedded default (`make run`: SQLite, Django's threaded server) under a browser's parallel
requests: parallel writes wait for the write lock instead of failing with "database is locked"
(INTERNAL_ERROR), and failed logins are all counted by the throttle.

A real server process on a real SQLite file: the test database of the unit suite is an in-memory
shared-cache database, whose locking is not the one `make run` has."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.helpers import pipeline

ROOT = Path(__file__).resolve().parents[2]
PARALLEL = 16

SETUP = """
from core.models import Membership, Organization, User
org = Organization.objects.create(code="org-c", name="Org C", invoice_number_prefix="ORGC")
user = User.objects.create_user(username="c@molink.test", email="c@molink.test", password="pw-12345678")
Membership.objects.create(user=user, organization=org, role="admin")
"""


def graphql(port: int, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture
def sqlite_server(tmp_path):
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "CELERY_BROKER_URL": "",
           "STORAGE_BACKEND": "local", "VAR_DIR": str(tmp_path), "LOGIN_MAX_ATTEMPTS": "1000"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, check=True)
    port = pipeline.free_port()
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        pipeline.wait_for(lambda: server.poll() is not None or _answers(port), what="runserver to answer")
        assert server.poll() is None, (tmp_path / "server.log").read_text()
        yield port, tmp_path / "db.sqlite3"
    finally:
        server.terminate()
        server.wait(20)
        log.close()


def _answers(port: int) -> bool:
    try:
        return "data" in graphql(port, "{ languages { code } }")
    except OSError:
        return False


def test_parallel_writes_on_the_embedded_sqlite_all_succeed(sqlite_server):
    port, db_path = sqlite_server
    token = graphql(port, 'mutation { tokenAuth(username: "c@molink.test", password: "pw-12345678") { token } }')[
        "data"]["tokenAuth"]["token"]
    create = "mutation($i: CreateInvoiceMutationInput!) { createInvoice(input: $i) { internalId errors { code message } } }"

    # when: drafts created and wrong passwords tried at the same time, as a browser's parallel requests
    def write(n):
        return graphql(port, create, {"i": {"clientMutationId": f"par-{n}", "note": f"parallel {n}"}}, token)

    def bad_login(n):
        return graphql(port, 'mutation { tokenAuth(username: "c@molink.test", password: "wrong") { token } }')

    with ThreadPoolExecutor(PARALLEL) as pool:
        writes = list(pool.map(write, range(PARALLEL)))
        logins = list(pool.map(bad_login, range(PARALLEL)))

    # then: every draft made, every refused login a credentials error, none an internal error
    assert [w.get("errors") or w["data"]["createInvoice"]["errors"] for w in writes] == [[]] * PARALLEL, writes
    assert {e["extensions"]["code"] for answer in logins for e in answer["errors"]} == {"INVALID_CREDENTIALS"}, logins
    with sqlite3.connect(db_path) as db:
        drafts = db.execute("SELECT count(*) FROM invoice_invoice WHERE note LIKE 'parallel %'").fetchone()[0]
        failures = db.execute("SELECT max(failures) FROM core_loginattempt").fetchone()[0]
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert (drafts, failures, journal) == (PARALLEL, PARALLEL, "wal")
