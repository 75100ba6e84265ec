"""Real services for the document pipeline's integration tests: an S3 server (moto in server
mode, on loopback), a Celery worker process on the real RabbitMQ, and a throwaway queue name per
test so that nothing leaks between tests or into a developer's running worker."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import boto3
from django.conf import settings
from django.db import connection

from invoice.delivery.sandbox import free_port  # noqa: F401 - re-exported: one definition

REPO = Path(__file__).resolve().parents[2]
S3_REGION = "us-east-1"
S3_KEYS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing"}


def s3_env(endpoint: str, bucket: str) -> dict:
    """The environment of a worker process storing to S3 at `endpoint`."""
    return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": bucket, "S3_REGION": S3_REGION,
            **S3_KEYS}


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name=S3_REGION,
                        aws_access_key_id=S3_KEYS["S3_ACCESS_KEY_ID"], aws_secret_access_key=S3_KEYS["S3_SECRET_ACCESS_KEY"])


def storages_for(endpoint: str, bucket: str) -> dict:
    return {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": bucket, "endpoint_url": endpoint, "region_name": S3_REGION,
                        "access_key": S3_KEYS["S3_ACCESS_KEY_ID"], "secret_key": S3_KEYS["S3_SECRET_ACCESS_KEY"],
                        "querystring_expire": 300, "file_overwrite": True, "default_acl": None},
        },
        "staticfiles": settings.STORAGES["staticfiles"],
    }


class BlackHole:
    """A TCP server that accepts connections and never answers: an S3 that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.clients = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(client)

    def close(self):
        self.sock.close()
        for client in self.clients:
            client.close()


def test_database_url() -> str:
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    return f"postgresql://{user}@{host}:{port}/{db['NAME']}"


def delivery_queue_of(queue: str) -> str:
    return f"{queue}_deliveries"


class Worker:
    """`celery -A config worker` in a subprocess, consuming one document queue and its delivery
    queue (`<queue>_deliveries`, see delivery_queue_of) with the solo pool."""

    def __init__(self, queue: str, env: dict, log_path: Path):
        self.queue = queue
        self.log_path = log_path
        self.env = {**os.environ, "DEBUG": "1", "DATABASE_URL": test_database_url(),
                    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL, "INVOICE_DOCUMENTS_QUEUE": queue,
                    "DELIVERY_QUEUE": delivery_queue_of(queue),
                    "PYTHONUNBUFFERED": "1", "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard", **env}
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", f"{self.queue},{delivery_queue_of(self.queue)}",
             "--pool=solo",
             "-l", "INFO", "--without-mingle", "--without-gossip", "-n", f"it-{uuid.uuid4().hex[:8]}@%h"],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        wait_for(lambda: b" ready." in self.log_path.read_bytes() or self.process.poll() is not None,
                 timeout=60, what="the celery worker to be ready")
        assert self.process.poll() is None, self.log()
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def run_manage(args: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "DEBUG": "1", "DATABASE_URL": test_database_url(),
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL, **env}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
