"""The production web command (docker/Dockerfile: gunicorn on config.wsgi) serves the application
with DEBUG off, against the real PostgreSQL and RabbitMQ."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers import pipeline

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DOCKERFILE = Path(__file__).resolve().parents[2] / "docker" / "Dockerfile"


def gunicorn_argv(port: int) -> list[str]:
    """The Dockerfile's gunicorn command, bound to a loopback port."""
    cmd = re.search(r"exec (gunicorn [^\"]+)\"", DOCKERFILE.read_text()).group(1).split()
    cmd[cmd.index("--bind") + 1] = f"127.0.0.1:{port}"
    return [sys.executable, "-m", *cmd]


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_gunicorn_serves_health_and_answers_errors_in_json(tmp_path):
    # given: the production command with DEBUG off
    port = pipeline.free_port()
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "127.0.0.1",
           "SECURE_SSL_REDIRECT": "0", "DATABASE_URL": pipeline.test_database_url(),
           "CELERY_BROKER_URL": settings.CELERY_BROKER_URL, "VAR_DIR": str(tmp_path)}
    log = open(tmp_path / "gunicorn.log", "wb")
    server = subprocess.Popen(gunicorn_argv(port), cwd=DOCKERFILE.parents[1], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        pipeline.wait_for(lambda: server.poll() is not None or b"Booting worker" in (tmp_path / "gunicorn.log").read_bytes(),
                          what="gunicorn to boot")
        assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
        # when
        health = pipeline.wait_for(lambda: _try(get, f"http://127.0.0.1:{port}/health"), what="/health to answer")
        missing = get(f"http://127.0.0.1:{port}/v2/invoices/00000000-0000-0000-0000-000000000000")
        # then
        assert health[0] == 200 and health[1]["status"] == "ok", health
        assert {"database", "broker", "storage"} <= set(health[1]["checks"])
        assert missing[0] == 401 and missing[1]["code"] == "UNAUTHENTICATED", missing
    finally:
        server.terminate()
        server.wait(20)
        log.close()


def _try(func, *args):
    try:
        return func(*args)
    except (urllib.error.URLError, ConnectionError):
        return None
